//! Detection-rules TOML files → [`RuleFile`]: rule metadata, the query, and where the query
//! text sits in the file.
//!
//! The layout is that of Elastic's detection-rules repository: a `[metadata]` table and a
//! `[rule]` table (`name`, `rule_id`, `risk_score`, `severity`, `query`, `language`, `type`,
//! `tags`, ..., `[[rule.threat]]`). Files without a `[rule]` table, and rules in another
//! language (kuery, esql, ...), are [`Loaded::Skipped`] with a reason.
//!
//! **Query position.** The query value is read with [`toml::Spanned`], which gives the byte
//! range of the TOML string token. From the delimiter the offset of the query's first byte
//! is derived exactly: `'''` literal strings (the usual case; the newline right after the
//! opening quotes is trimmed, as TOML specifies) and `'...'` need a shift only. For basic
//! strings (`"..."`, `"""..."""`), escapes are decoded here again while recording where
//! each piece came from; if that decoding does not reproduce the value exactly the map falls
//! back to the start of the string and [`QueryOrigin::exact`] is `false`.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{OffsetMap, Source};

/// A detection rule read from a TOML file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFile {
    /// `[rule] name`.
    pub name: String,
    /// `[rule] rule_id`.
    pub rule_id: String,
    /// `[rule] description`.
    pub description: Option<String>,
    /// `[rule] risk_score`.
    pub risk_score: Option<i64>,
    /// `[rule] severity` (`low`, `medium`, `high`, `critical`).
    pub severity: Option<String>,
    /// `[rule] language` (always `eql` here).
    pub language: String,
    /// `[rule] type` (`eql`).
    pub rule_type: Option<String>,
    /// `[rule] tags`.
    pub tags: Vec<String>,
    /// `[rule] index` patterns.
    pub index: Vec<String>,
    /// `[rule] interval` (`5m`).
    pub interval: Option<String>,
    /// `[rule] from` (`now-9m`).
    pub from: Option<String>,
    /// `[rule] max_signals`.
    pub max_signals: Option<u64>,
    /// `[rule] note` (investigation guide).
    pub note: Option<String>,
    /// `[rule] setup`.
    pub setup: Option<String>,
    /// `[rule] references`.
    pub references: Vec<String>,
    /// `[rule] author`.
    pub author: Vec<String>,
    /// `[rule] license`.
    pub license: Option<String>,
    /// `[rule] event_category_override`: the category field, when not `event.category`.
    pub event_category_override: Option<String>,
    /// `[rule] timestamp_override`: the timestamp field, when not `@timestamp`.
    pub timestamp_override: Option<String>,
    /// `[[rule.threat]]` MITRE ATT&CK mapping.
    pub threat: Vec<Threat>,
    /// `[[rule.exceptions_list]]`: the `list_id`s of the exception lists the rule names
    /// (see [`crate::exceptions`]).
    pub exceptions_list: Vec<String>,
    /// The file also holds `[[exceptions]]` lists of its own (next to the rule), which
    /// apply to this rule: read them with [`crate::exceptions::parse_exception_file`].
    pub inline_exceptions: bool,
    /// `[metadata]`.
    pub metadata: Metadata,
    /// The EQL query.
    pub query: String,
    /// Where the query is in the file.
    pub query_origin: QueryOrigin,
    /// `[[test]]` tables: the rule's self-tests ([`crate::selftest`]).
    pub tests: Vec<TestCase>,
}

/// One `[[test]]` table of a rule file: events and the alerts the rule must give on them.
///
/// ```toml
/// [[test]]
/// name = "bash -i, then a connection out"
/// events = '''
/// {"@timestamp": "2024-05-01T00:00:00Z", "event": {"category": "process"}, ...}
/// {"@timestamp": "2024-05-01T00:00:00.5Z", "event": {"category": "network"}, ...}
/// '''
/// expect = [[1, 2]]
/// ```
///
/// `events` holds one JSON event per line (blank lines are ignored; numbering counts only
/// event lines, from 1). `expect` lists the alerts, each as the numbers of the events it
/// carries in stage order (a missing-event stage contributes no number); `expect = []`
/// says the rule must stay silent. An optional `note` (free text) may say why; other keys
/// are errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// `name` (default: `test N`, N counting the file's tests from 1).
    pub name: String,
    /// The `events` text.
    pub events: String,
    /// Where `events` is in the file.
    pub events_origin: QueryOrigin,
    /// `expect`.
    pub expect: Vec<Vec<usize>>,
    /// Byte range of the `expect` value in the file.
    pub expect_span: Range<usize>,
}

/// `[metadata]` of a rule file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// `creation_date` (`2023/07/04`).
    pub creation_date: Option<String>,
    /// `updated_date`.
    pub updated_date: Option<String>,
    /// `maturity` (`production`, ...).
    pub maturity: Option<String>,
    /// `integration` names.
    #[serde(deserialize_with = "one_or_many")]
    pub integration: Vec<String>,
}

/// One `[[rule.threat]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Threat {
    /// `MITRE ATT&CK`.
    pub framework: String,
    /// The tactic.
    pub tactic: ThreatRef,
    /// Techniques.
    pub technique: Vec<Technique>,
}

/// A tactic or sub-technique: id, name, reference URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ThreatRef {
    /// `TA0002`, `T1059.004`, ...
    pub id: String,
    /// Human name.
    pub name: String,
    /// URL.
    pub reference: String,
}

/// A technique with its sub-techniques.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Technique {
    /// `T1059`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// URL.
    pub reference: String,
    /// Sub-techniques.
    pub subtechnique: Vec<ThreatRef>,
}

/// Where a rule's query text is in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOrigin {
    /// Byte range of the TOML string token (quotes included).
    pub value_span: Range<usize>,
    /// Query byte offset → file byte offset.
    pub map: OffsetMap,
    /// Whether `map` is exact for every offset (see the module docs).
    pub exact: bool,
}

impl RuleFile {
    /// A [`Source`] that shows query diagnostics at the file's own lines and columns.
    pub fn source(&self, name: impl Into<String>, file_text: &str) -> Source {
        Source::embedded(name, file_text, self.query_origin.map.clone())
    }
}

/// What reading a TOML file gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// An EQL rule.
    Rule(Box<RuleFile>),
    /// Not an EQL rule; the reason says why.
    Skipped(String),
    /// An exception file (`[[exceptions]]`, no `[rule]`): read it with
    /// [`crate::exceptions::parse_exception_file`].
    Exceptions,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    metadata: Option<Metadata>,
    rule: Option<Spanned<RawRule>>,
    exceptions: Option<toml::Value>,
    #[serde(default)]
    test: Vec<RawTest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    name: Option<String>,
    /// Free text: why the expectation holds (not used).
    #[allow(dead_code)]
    note: Option<String>,
    events: Spanned<String>,
    expect: Spanned<Vec<Vec<usize>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRule {
    name: Option<String>,
    rule_id: Option<String>,
    description: Option<String>,
    risk_score: Option<Spanned<i64>>,
    severity: Option<Spanned<String>>,
    language: Option<String>,
    #[serde(rename = "type")]
    rule_type: Option<String>,
    tags: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    index: Vec<String>,
    interval: Option<Spanned<String>>,
    from: Option<String>,
    max_signals: Option<Spanned<u64>>,
    note: Option<String>,
    setup: Option<String>,
    references: Vec<String>,
    author: Vec<String>,
    license: Option<String>,
    event_category_override: Option<String>,
    timestamp_override: Option<String>,
    threat: Vec<Spanned<Threat>>,
    exceptions_list: Vec<RawListRef>,
    query: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawListRef {
    list_id: String,
}

/// The span of the `[rule]` header in `text`, given the span toml reports for the table
/// (its first line; the whole span when no header is found, as for an inline table).
fn rule_header(text: &str, table: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let table = table.start.min(text.len())..table.end.min(text.len());
    let body = &text[table.clone()];
    match body.find('\n') {
        Some(n) if body.starts_with('[') => table.start..table.start + n,
        _ => table,
    }
}

/// The rule's settings that Kibana would refuse, as errors at their values: a severity
/// other than the four, a risk score outside 0 to 100, `max_signals` of 0 (the rule could
/// never alert), an `interval` that is not a duration, a threat entry without its
/// framework or its tactic's (techniques') id and name.
fn check_metadata(rule: &RawRule) -> Result<(), Diagnostics> {
    let mut d = Diagnostics::default();
    if let Some(sev) = &rule.severity {
        let known = ["low", "medium", "high", "critical"];
        if !known.iter().any(|k| sev.get_ref().eq_ignore_ascii_case(k)) {
            d.push(
                Diagnostic::error(sev.span(), format!("unknown severity `{}`", sev.get_ref()))
                    .with_help("severity is one of `low`, `medium`, `high`, `critical`"),
            );
        }
    }
    if let Some(score) = &rule.risk_score {
        if !(0..=100).contains(score.get_ref()) {
            d.push(
                Diagnostic::error(score.span(), "`risk_score` out of range")
                    .with_help("a risk score is a whole number from 0 to 100"),
            );
        }
    }
    if let Some(n) = &rule.max_signals {
        if *n.get_ref() == 0 {
            d.push(
                Diagnostic::error(n.span(), "`max_signals` of 0: the rule could never alert")
                    .with_help("give at least 1 (Elastic's default is 100)"),
            );
        }
    }
    if let Some(i) = &rule.interval {
        if eqlc_runtime::meta::parse_interval(i.get_ref()).is_none() {
            d.push(
                Diagnostic::error(
                    i.span(),
                    format!("`interval` `{}` is not a duration", i.get_ref()),
                )
                .with_help("write a whole number and a unit: `30s`, `5m`, `1h`"),
            );
        }
    }
    // Kibana's threat mapping: a framework and a tactic with its id and name; each
    // technique, and sub-technique, with its id and name
    for t in &rule.threat {
        let th = t.get_ref();
        let mut missing = Vec::new();
        if th.framework.is_empty() {
            missing.push("`framework`");
        }
        if th.tactic.id.is_empty() || th.tactic.name.is_empty() {
            missing.push("a `tactic` with `id` and `name`");
        }
        let partial = |id: &str, name: &str| id.is_empty() || name.is_empty();
        if th.technique.iter().any(|x| {
            partial(&x.id, &x.name) || x.subtechnique.iter().any(|y| partial(&y.id, &y.name))
        }) {
            missing.push("an `id` and `name` for every technique and sub-technique");
        }
        if !missing.is_empty() {
            d.push(
                Diagnostic::error(
                    table_start(t.span()),
                    format!("threat entry without {}", missing.join(", ")),
                )
                .with_help("e.g. `framework = \"MITRE ATT&CK\"` and `[rule.threat.tactic]` with `id = \"TA0002\"`, `name = \"Execution\"`, `reference`"),
            );
        }
    }
    if d.is_empty() {
        Ok(())
    } else {
        Err(d)
    }
}

/// The first character of a table's span (its header, where a reader looks).
fn table_start(span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    span.start..span.start + 1
}

/// Read a rule file's text. Diagnostics (TOML syntax errors, missing fields) have spans
/// into `text` itself.
///
/// # Errors
/// Invalid TOML, wrong field types, an EQL rule without `name` or `query`, `type` and
/// `language` that contradict each other, or settings Kibana refuses (severity,
/// `risk_score`, `max_signals`, `interval`, threat entries).
pub fn parse_rule_file(text: &str) -> Result<Loaded, Diagnostics> {
    let invalid = |e: toml::de::Error| {
        let span = e.span().unwrap_or(0..0);
        // one line: TOML's messages may hold line breaks
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        Diagnostics::from(Diagnostic::error(
            span,
            format!("invalid rule file: {message}"),
        ))
    };
    // A TOML file that is neither a rule nor an exception list (a `Cargo.toml` beside
    // the rules) is passed over, not judged by the rule file's schema: when the file does
    // not read as a rule file, what it is is decided from its tables alone.
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let table: toml::Table = toml::from_str(text).map_err(invalid)?;
            if table.contains_key("rule") {
                return Err(invalid(e));
            }
            RawFile {
                metadata: None,
                rule: None,
                exceptions: table.get("exceptions").cloned(),
                test: Vec::new(),
            }
        }
    };
    let Some(rule) = raw.rule else {
        // any `exceptions` key: a single `[exceptions]` table instead of `[[exceptions]]`
        // is then reported where the file is read, not skipped in silence
        if raw.exceptions.is_some() {
            return Ok(Loaded::Exceptions);
        }
        return Ok(Loaded::Skipped("no `[rule]` table".to_string()));
    };
    // where the `[rule]` table is, for what it lacks
    let rule_span = rule_header(text, rule.span());
    let rule = rule.into_inner();
    let language = match (&rule.language, &rule.rule_type) {
        (Some(l), _) => l.to_ascii_lowercase(),
        (None, Some(t)) if t == "eql" => "eql".to_string(),
        (None, Some(t)) => return Ok(Loaded::Skipped(format!("rule type `{t}` has no EQL query"))),
        (None, None) => return Ok(Loaded::Skipped("rule has no `language`".to_string())),
    };
    // `type` and `language` go together: an EQL rule is `type = "eql"`, and the other
    // types run other languages; a file that says both is contradictory, not skippable
    match (language.as_str(), rule.rule_type.as_deref()) {
        ("eql", Some(t)) if t != "eql" => {
            return Err(Diagnostic::error(
                rule_span,
                format!("rule of type `{t}` with language `eql`"),
            )
            .with_help("an EQL rule has `type = \"eql\"`; other types use other languages")
            .into());
        }
        (l, Some("eql")) if l != "eql" => {
            return Err(Diagnostic::error(
                rule_span,
                format!("rule of type `eql` with language `{l}`"),
            )
            .with_help("an EQL rule has `language = \"eql\"`")
            .into());
        }
        _ => {}
    }
    if language != "eql" {
        return Ok(Loaded::Skipped(format!("language `{language}`, not EQL")));
    }
    check_metadata(&rule)?;
    let Some(query) = rule.query else {
        return Err(Diagnostic::error(rule_span, "EQL rule without a `query`")
            .with_help("add the EQL text as `query` to the `[rule]` table")
            .into());
    };
    let Some(name) = rule.name else {
        return Err(Diagnostic::error(rule_span, "rule without a `name`")
            .with_help("add `name = \"...\"` to the `[rule]` table")
            .into());
    };
    let value_span = query.span();
    let query_text = query.into_inner();
    let (map, exact) = query_map(text, value_span.clone(), &query_text);
    let tests = raw
        .test
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let events_span = t.events.span();
            let events = t.events.into_inner();
            let (map, exact) = query_map(text, events_span.clone(), &events);
            TestCase {
                name: t.name.unwrap_or_else(|| format!("test {}", i + 1)),
                events,
                events_origin: QueryOrigin {
                    value_span: events_span,
                    map,
                    exact,
                },
                expect_span: t.expect.span(),
                expect: t.expect.into_inner(),
            }
        })
        .collect();
    Ok(Loaded::Rule(Box::new(RuleFile {
        name,
        rule_id: rule.rule_id.unwrap_or_default(),
        description: rule.description,
        risk_score: rule.risk_score.map(Spanned::into_inner),
        severity: rule.severity.map(Spanned::into_inner),
        language,
        rule_type: rule.rule_type,
        tags: rule.tags,
        index: rule.index,
        interval: rule.interval.map(Spanned::into_inner),
        from: rule.from,
        max_signals: rule.max_signals.map(Spanned::into_inner),
        note: rule.note,
        setup: rule.setup,
        references: rule.references,
        author: rule.author,
        license: rule.license,
        event_category_override: rule.event_category_override,
        timestamp_override: rule.timestamp_override,
        threat: rule.threat.into_iter().map(Spanned::into_inner).collect(),
        inline_exceptions: raw.exceptions.is_some(),
        exceptions_list: rule
            .exceptions_list
            .into_iter()
            .map(|l| l.list_id)
            .filter(|id| !id.is_empty())
            .collect(),
        metadata: raw.metadata.unwrap_or_default(),
        query: query_text,
        query_origin: QueryOrigin {
            value_span,
            map,
            exact,
        },
        tests,
    })))
}

/// Skip the newline TOML trims right after an opening `'''` / `"""`.
fn skip_first_newline(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    if rest.starts_with("\r\n") {
        at + 2
    } else if rest.starts_with('\n') {
        at + 1
    } else {
        at
    }
}

/// Build the query → file offset map for the string token at `span`.
fn query_map(text: &str, span: Range<usize>, value: &str) -> (OffsetMap, bool) {
    let Some(token) = text.get(span.clone()) else {
        return (OffsetMap::shifted(span.start), false);
    };
    if token.starts_with("'''") {
        let start = skip_first_newline(text, span.start + 3);
        if text.get(start..start + value.len()) == Some(value) {
            return (OffsetMap::shifted(start), true);
        }
        return match literal_points(text, start, value) {
            Some(points) => (OffsetMap::from_points(points), true),
            None => (OffsetMap::shifted(start), false),
        };
    }
    if token.starts_with('\'') {
        return (OffsetMap::shifted(span.start + 1), true);
    }
    let (start, end, multi) = if token.starts_with("\"\"\"") {
        (
            skip_first_newline(text, span.start + 3),
            span.end.saturating_sub(3),
            true,
        )
    } else {
        (span.start + 1, span.end.saturating_sub(1), false)
    };
    match decode_basic(text, start, end.max(start), multi) {
        Some((decoded, points)) if decoded == value => (OffsetMap::from_points(points), true),
        _ => (OffsetMap::shifted(start), false),
    }
}

/// The offset map of a multi-line literal string whose value is `text[start..]` except
/// that TOML turned its `\r\n` line endings into `\n` (a file with Windows line endings):
/// a breakpoint at every such newline. `None` when the value is not the text that way.
fn literal_points(text: &str, start: usize, value: &str) -> Option<Vec<(usize, usize)>> {
    let (f, v) = (text.as_bytes(), value.as_bytes());
    let (mut i, mut j) = (start, 0);
    let mut points = vec![(0, start)];
    while j < v.len() {
        if f.get(i) == Some(&v[j]) {
            i += 1;
        } else if v[j] == b'\n' && f.get(i..i + 2) == Some(b"\r\n") {
            points.push((j, i + 1));
            i += 2;
        } else {
            return None;
        }
        j += 1;
    }
    Some(points)
}

/// Decode a TOML basic string body `text[start..end]`, recording `(decoded, raw)` offset
/// pairs at the start and after every escape.
fn decode_basic(
    text: &str,
    start: usize,
    end: usize,
    multi: bool,
) -> Option<(String, Vec<(usize, usize)>)> {
    let body = text.get(start..end)?;
    let mut out = String::with_capacity(body.len());
    let mut points = vec![(0, start)];
    let mut it = body.char_indices().peekable();
    while let Some((_, c)) = it.next() {
        if c != '\\' {
            if multi && c == '\r' && it.peek().is_some_and(|&(_, n)| n == '\n') {
                // TOML reads a `\r\n` line ending in a multi-line string as `\n`
                let (j, _) = it.next()?;
                points.push((out.len(), start + j));
                out.push('\n');
                continue;
            }
            out.push(c);
            continue;
        }
        let (_, e) = it.next()?;
        let mut consumed_to = None;
        match e {
            'b' => out.push('\u{8}'),
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'f' => out.push('\u{c}'),
            'r' => out.push('\r'),
            'e' => out.push('\u{1b}'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let mut hex = String::new();
                for _ in 0..n {
                    hex.push(it.next()?.1);
                }
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            c if multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r') => {
                // Line-ending backslash: skip all following whitespace and newlines.
                while it
                    .peek()
                    .is_some_and(|(_, c)| matches!(c, ' ' | '\t' | '\n' | '\r'))
                {
                    it.next();
                }
                consumed_to = Some(it.peek().map_or(body.len(), |(j, _)| *j));
            }
            _ => return None,
        }
        let raw_next = consumed_to.unwrap_or_else(|| it.peek().map_or(body.len(), |(j, _)| *j));
        points.push((out.len(), start + raw_next));
    }
    Some((out, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Box<RuleFile> {
        match parse_rule_file(text).unwrap() {
            Loaded::Rule(r) => r,
            Loaded::Skipped(s) => panic!("skipped: {s}"),
            Loaded::Exceptions => panic!("an exception file"),
        }
    }

    #[test]
    fn literal_multiline_query_maps_exactly() {
        let text =
            "[rule]\nname = \"x\"\nlanguage = \"eql\"\nquery = '''\nprocess where a == 1\n'''\n";
        let r = rule(text);
        assert_eq!(r.query, "process where a == 1\n");
        assert!(r.query_origin.exact);
        let at = r.query_origin.map.map(14);
        assert_eq!(&text[at..at + 6], "a == 1");
    }

    #[test]
    fn basic_string_with_escapes_maps_exactly() {
        let text = "[rule]\nname = \"x\"\nlanguage = \"eql\"\nquery = \"any where a : \\\"x\\\\\\\\y\\\" and b\"\n";
        let r = rule(text);
        assert_eq!(r.query, "any where a : \"x\\\\y\" and b");
        assert!(r.query_origin.exact);
        let q_at = r.query.find(" and b").unwrap();
        let at = r.query_origin.map.map(q_at);
        assert_eq!(&text[at..at + 6], " and b");
    }

    #[test]
    fn skips_other_languages_and_non_rules() {
        let k = "[rule]\nname = \"x\"\nlanguage = \"kuery\"\nquery = \"a:b\"\n";
        assert!(matches!(parse_rule_file(k).unwrap(), Loaded::Skipped(s) if s.contains("kuery")));
        assert!(matches!(
            parse_rule_file("[a]\nb = 1\n").unwrap(),
            Loaded::Skipped(_)
        ));
        assert!(parse_rule_file("[rule\n").is_err());
    }
}
