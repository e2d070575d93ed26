//! Alert output: Elastic Security–shaped NDJSON, or a compact table for people.
//!
//! NDJSON alerts use the flat dotted keys of Elastic's `.alerts-security.alerts-*`
//! documents:
//!
//! ```text
//! {"@timestamp":"…",                       detection time = time of the last matched event
//!  "event.kind":"signal",
//!  "kibana.alert.uuid":"…",                 deterministic (rule id + matched handles/times)
//!  "kibana.alert.status":"active", "kibana.alert.workflow_status":"open",
//!  "kibana.alert.original_time":"…",        time of the first matched event
//!  "kibana.alert.severity":"medium", "kibana.alert.risk_score":47,
//!  "kibana.alert.reason":"…",
//!  "kibana.alert.rule.rule_id":"…", "kibana.alert.rule.name":"…", "kibana.alert.rule.type":"eql",
//!  "kibana.alert.rule.severity":"…", "kibana.alert.rule.risk_score":47,
//!  "kibana.alert.rule.tags":[…], "kibana.alert.rule.threat":[{framework, tactic, technique}],
//!  "kibana.alert.group.id":"…",             sequences and samples only
//!  "eqlc.events":[{…raw source…}, …]}       matched source documents, in stage order,
//!                                           embedded byte for byte; `null` for a
//!                                           missing-event stage or a line no longer held
//! ```

use std::io::{self, Write};

use eqlc_runtime::meta::RuleMeta;
use eqlc_runtime::time::format_rfc3339;
use eqlc_runtime::{EventRef, Record, SlotBuf, Value};

use crate::decode::{Decoder, FieldTrie, FieldType};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON alert per line.
    Ndjson,
    /// A readable block per alert.
    Table,
}

/// Append `s` as a JSON string literal.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{c:04x}");
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// An alert time as Elastic writes one: RFC 3339 in UTC with exactly three fraction
/// digits (`2024-05-01T00:00:00.000Z`), so that alert times sort as text. Event times are
/// whole milliseconds, so nothing is cut.
fn ts_str(out: &mut Vec<u8>, ns: i64) {
    let mut s = String::with_capacity(32);
    let _ = format_rfc3339(ns - ns.rem_euclid(1_000_000), &mut s);
    if !s.contains('.') {
        s.insert_str(s.len() - 1, ".000");
    }
    json_str(out, &s);
}

/// FNV-1a over `bytes`, from `h`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A deterministic alert id: a UUID (version 8, "custom") hashed from the rule id and the
/// matched events' handles and timestamps.
pub fn alert_uuid(rule_id: &str, events: &[Option<EventRef>]) -> String {
    let mut a = fnv(0xcbf2_9ce4_8422_2325, rule_id.as_bytes());
    let mut b = fnv(0x84222325_cbf29ce4, rule_id.as_bytes());
    for e in events {
        let (h, t) = e.map_or((u64::MAX, i64::MIN), |e| (e.handle, e.ts));
        for (x, seed) in [(&mut a, 0u8), (&mut b, 1u8)] {
            *x = fnv(*x, &[seed]);
            *x = fnv(*x, &h.to_le_bytes());
            *x = fnv(*x, &t.to_le_bytes());
        }
    }
    // mix
    let a = a ^ (b.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let b = b ^ (a.rotate_left(17)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let hi = (a & 0xffff_ffff_ffff_0fff) | 0x8000; // version 8
    let lo = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // variant 10
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// One matched event, as the output sees it.
#[derive(Debug, Clone, Copy)]
pub struct MatchedEvent<'a> {
    /// The reference given to the pack (`None`: missing-event placeholder).
    pub event: Option<EventRef>,
    /// The raw line, if still held.
    pub raw: Option<&'a [u8]>,
}

/// The fields alerts show (the reason text, the table view), in [`DocReader`] slot order.
const DOC_FIELDS: [&str; 10] = [
    "event.category",
    "process.name",
    "process.parent.name",
    "destination.ip",
    "destination.port",
    "user.name",
    "host.name",
    "host.id",
    "process.args",
    "process.pid",
];
const CATEGORY: usize = 0;
const PROCESS_NAME: usize = 1;
const PARENT_NAME: usize = 2;
const DEST_IP: usize = 3;
const DEST_PORT: usize = 4;
const USER_NAME: usize = 5;
const HOST_NAME: usize = 6;
const HOST_ID: usize = 7;
const PROCESS_ARGS: usize = 8;
const PROCESS_PID: usize = 9;

/// Reads the few fields an alert shows (`DOC_FIELDS`) out of its matched raw lines
/// with the detector's own decoder, into buffers kept from alert to alert: an alert costs
/// one scan of each matched line instead of building a JSON tree of it.
#[derive(Debug, Clone)]
pub struct DocReader {
    decoder: Decoder,
    bufs: Vec<SlotBuf>,
}

impl Default for DocReader {
    fn default() -> Self {
        DocReader::new()
    }
}

impl DocReader {
    /// A reader for `DOC_FIELDS`.
    pub fn new() -> DocReader {
        DocReader {
            decoder: Decoder::new(FieldTrie::new(&DOC_FIELDS, &|_| FieldType::Any)),
            bufs: Vec::new(),
        }
    }

    /// Decode the held raw lines of `events` (lines that do not decode are left out).
    fn load<'e>(&mut self, events: &[MatchedEvent<'e>]) -> Docs<'_, 'e> {
        let mut lines = Vec::with_capacity(events.len());
        for raw in events.iter().filter_map(|e| e.raw) {
            let Ok(line) = core::str::from_utf8(raw) else {
                continue;
            };
            if self.bufs.len() == lines.len() {
                self.bufs.push(SlotBuf::new(DOC_FIELDS.len()));
            }
            if self
                .decoder
                .decode(line, &mut self.bufs[lines.len()])
                .is_ok()
            {
                lines.push(line);
            }
        }
        Docs {
            bufs: &self.bufs,
            lines,
        }
    }
}

/// A non-null value as text.
fn text(v: Value<'_>) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
    }
}

/// The decoded matched lines of one alert.
struct Docs<'r, 'e> {
    bufs: &'r [SlotBuf],
    lines: Vec<&'e str>,
}

impl Docs<'_, '_> {
    /// Number of decoded documents.
    fn len(&self) -> usize {
        self.lines.len()
    }

    /// The values of field `f` (a `DOC_FIELDS` index) in document `d`, as text.
    fn texts(&self, d: usize, f: usize) -> Vec<String> {
        let view = self.bufs[d].view(self.lines[d]);
        view.values(f).filter_map(text).collect()
    }

    /// The first value of field `f` in documents `docs`, as text.
    fn first_in(&self, docs: core::ops::Range<usize>, f: usize) -> Option<String> {
        docs.into_iter().find_map(|d| {
            let view = self.bufs[d].view(self.lines[d]);
            let first = view.values(f).find_map(text);
            first
        })
    }

    /// The first value of field `f` across all documents, as text.
    fn first(&self, f: usize) -> Option<String> {
        self.first_in(0..self.len(), f)
    }
}

/// The `kibana.alert.reason` text, in the style of Elastic's EQL rule reasons.
fn reason(meta: &RuleMeta, docs: &Docs<'_, '_>) -> String {
    let category = docs
        .first_in(docs.len().saturating_sub(1)..docs.len(), CATEGORY)
        .unwrap_or_else(|| "event".into());
    let mut s = format!("{category} event");
    if let Some(p) = docs.first(PROCESS_NAME) {
        s.push_str(&format!(" with process {p}"));
    }
    if let Some(p) = docs.first(PARENT_NAME) {
        s.push_str(&format!(", parent process {p}"));
    }
    if let Some(ip) = docs.first(DEST_IP).map(|x| printable(&x).into_owned()) {
        match docs.first(DEST_PORT).map(|x| printable(&x).into_owned()) {
            Some(port) => s.push_str(&format!(", destination {ip}:{port}")),
            None => s.push_str(&format!(", destination {ip}")),
        }
    }
    if let Some(u) = docs.first(USER_NAME) {
        s.push_str(&format!(", by {u}"));
    }
    if let Some(h) = docs.first(HOST_NAME) {
        s.push_str(&format!(" on {h}"));
    }
    s.push_str(&format!(
        " created {} alert {}.",
        meta.severity.as_str(),
        meta.name
    ));
    s
}

fn threat(out: &mut Vec<u8>, meta: &RuleMeta) {
    out.push(b'[');
    for (i, t) in meta.threat.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"framework\":");
        json_str(out, t.framework);
        out.extend_from_slice(b",\"tactic\":{\"id\":");
        json_str(out, t.tactic.id);
        out.extend_from_slice(b",\"name\":");
        json_str(out, t.tactic.name);
        out.extend_from_slice(b",\"reference\":");
        json_str(out, t.tactic.reference);
        out.extend_from_slice(b"},\"technique\":[");
        for (j, te) in t.techniques.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"id\":");
            json_str(out, te.id);
            out.extend_from_slice(b",\"name\":");
            json_str(out, te.name);
            out.extend_from_slice(b",\"reference\":");
            json_str(out, te.reference);
            out.extend_from_slice(b",\"subtechnique\":[");
            for (k, st) in te.subtechniques.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"id\":");
                json_str(out, st.id);
                out.extend_from_slice(b",\"name\":");
                json_str(out, st.name);
                out.extend_from_slice(b",\"reference\":");
                json_str(out, st.reference);
                out.push(b'}');
            }
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
}

/// The times of an alert: its earliest and its latest event (`original_time` and
/// `@timestamp`). A sequence's events come in time order, a sample's in the order of its
/// filters, which need not be (0 when no event is known).
pub fn alert_times(refs: &[Option<EventRef>]) -> (i64, i64) {
    let mut times = refs.iter().flatten().map(|e| e.ts);
    let Some(t0) = times.next() else {
        return (0, 0);
    };
    times.fold((t0, t0), |(lo, hi), t| (lo.min(t), hi.max(t)))
}

/// Append one NDJSON alert (with its newline) to `out`.
pub fn write_ndjson(
    out: &mut Vec<u8>,
    reader: &mut DocReader,
    meta: &RuleMeta,
    events: &[MatchedEvent<'_>],
    refs: &[Option<EventRef>],
    group_id: Option<u64>,
) {
    let docs = reader.load(events);
    let (first, last) = alert_times(refs);
    out.extend_from_slice(b"{\"@timestamp\":");
    ts_str(out, last);
    out.extend_from_slice(b",\"event.kind\":\"signal\",\"kibana.alert.uuid\":");
    json_str(out, &alert_uuid(meta.rule_id, refs));
    out.extend_from_slice(
        b",\"kibana.alert.status\":\"active\",\"kibana.alert.workflow_status\":\"open\"",
    );
    out.extend_from_slice(b",\"kibana.alert.original_time\":");
    ts_str(out, first);
    out.extend_from_slice(b",\"kibana.alert.severity\":");
    json_str(out, meta.severity.as_str());
    let _ = write!(out, ",\"kibana.alert.risk_score\":{}", meta.risk_score);
    out.extend_from_slice(b",\"kibana.alert.reason\":");
    json_str(out, &reason(meta, &docs));
    out.extend_from_slice(b",\"kibana.alert.rule.rule_id\":");
    json_str(out, meta.rule_id);
    out.extend_from_slice(b",\"kibana.alert.rule.name\":");
    json_str(out, meta.name);
    out.extend_from_slice(b",\"kibana.alert.rule.type\":\"eql\",\"kibana.alert.rule.severity\":");
    json_str(out, meta.severity.as_str());
    let _ = write!(out, ",\"kibana.alert.rule.risk_score\":{}", meta.risk_score);
    out.extend_from_slice(b",\"kibana.alert.rule.tags\":[");
    for (i, t) in meta.tags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, t);
    }
    out.extend_from_slice(b"],\"kibana.alert.rule.threat\":");
    threat(out, meta);
    if let Some(g) = group_id {
        let _ = write!(out, ",\"kibana.alert.group.id\":\"{g:016x}\"");
    }
    out.extend_from_slice(b",\"eqlc.events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match e.raw {
            Some(r) => out.extend_from_slice(r),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.extend_from_slice(b"]}\n");
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// `s` with every control character (C0, DEL, C1) written as its Rust escape (`\n`,
/// `\u{1b}`): text from events reaches a terminal as text, not as commands that move
/// the cursor, erase lines or forge new ones.
fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Append one human-readable alert block to `out`.
pub fn write_table(
    out: &mut Vec<u8>,
    reader: &mut DocReader,
    meta: &RuleMeta,
    events: &[MatchedEvent<'_>],
    refs: &[Option<EventRef>],
) {
    let docs = reader.load(events);
    let (_, last) = alert_times(refs);
    let mut t = String::new();
    let _ = format_rfc3339(last, &mut t);
    let _ = writeln!(
        out,
        "{t}  {:<8} {}  [{}]",
        meta.severity.as_str().to_uppercase(),
        printable(meta.name),
        printable(meta.rule_id)
    );
    let host = printable(&docs.first(HOST_NAME).unwrap_or_else(|| "?".into())).into_owned();
    match docs.first(HOST_ID).map(|id| printable(&id).into_owned()) {
        Some(id) => {
            let _ = writeln!(out, "    host     {host} ({id})");
        }
        None => {
            let _ = writeln!(out, "    host     {host}");
        }
    }
    // process chain from the first event that names a process
    if let Some(d) = (0..docs.len()).find(|&d| docs.first_in(d..d + 1, PROCESS_NAME).is_some()) {
        let parent = docs.first_in(d..d + 1, PARENT_NAME);
        let name = docs.first_in(d..d + 1, PROCESS_NAME).unwrap_or_default();
        // what events say is shown, never obeyed: control characters (a terminal's escape
        // sequences, line breaks) are written escaped
        let args = docs.texts(d, PROCESS_ARGS);
        let cmd = if args.is_empty() {
            name.clone()
        } else {
            args.join(" ")
        };
        let user = docs.first_in(d..d + 1, USER_NAME);
        let pid = docs.first_in(d..d + 1, PROCESS_PID);
        let mut line = String::new();
        if let Some(p) = parent {
            line.push_str(&printable(&p));
            line.push_str(" → ");
        }
        line.push_str(&printable(&clip(&cmd, 160)));
        let mut extra = Vec::new();
        if let Some(p) = pid {
            extra.push(format!("pid {}", printable(&p)));
        }
        if let Some(u) = user {
            extra.push(format!("user {}", printable(&u)));
        }
        if !extra.is_empty() {
            line.push_str(&format!("  [{}]", extra.join(", ")));
        }
        let _ = writeln!(out, "    process  {line}");
    }
    if let Some(ip) = docs.first(DEST_IP).map(|x| printable(&x).into_owned()) {
        match docs.first(DEST_PORT).map(|x| printable(&x).into_owned()) {
            Some(p) if ip.contains(':') => {
                let _ = writeln!(out, "    dest     [{ip}]:{p}");
            }
            Some(p) => {
                let _ = writeln!(out, "    dest     {ip}:{p}");
            }
            None => {
                let _ = writeln!(out, "    dest     {ip}");
            }
        }
    }
    let missing = events.iter().filter(|e| e.raw.is_none()).count();
    let _ = writeln!(
        out,
        "    events   {}{}",
        events.len(),
        if missing > 0 {
            format!(" ({missing} without source)")
        } else {
            String::new()
        }
    );
    out.push(b'\n');
}

/// Write `buf` to `w` and flush (alerts should reach a pipe reader promptly).
pub fn emit<W: Write>(w: &mut W, buf: &[u8]) -> io::Result<()> {
    w.write_all(buf)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_values_from_events_cannot_drive_the_terminal() {
        assert_eq!(printable("bash -i"), "bash -i");
        assert_eq!(
            printable("a\u{1b}[2K\u{1b}[1A\nFAKE\u{9b}\u{7f}é"),
            "a\\u{1b}[2K\\u{1b}[1A\\nFAKE\\u{9b}\\u{7f}é"
        );
        let meta = &crate::handpack::RULES[0];
        let l1 = br#"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["process"]},"process":{"name":"sh","args":["sh","-c","x\u001b[2K\n    host     forged"]},"host":{"name":"h\u001b]0;t\u0007"}}"#;
        let ev = MatchedEvent {
            event: None,
            raw: Some(l1),
        };
        let mut out = Vec::new();
        write_table(&mut out, &mut DocReader::new(), meta, &[ev], &[None]);
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        // our own line breaks only: the forged `host` line stays inside the process line
        let host_lines = text.lines().filter(|l| l.starts_with("    host ")).count();
        assert_eq!(host_lines, 1, "{text}");
        assert!(text.contains("x\\u{1b}[2K\\n    host     forged"), "{text}");
    }

    #[test]
    fn an_alert_spans_its_earliest_to_its_latest_event() {
        let at = |ts: i64| Some(EventRef { handle: 0, ts });
        // a sample's events come in filter order: 2 s, then 1 s
        assert_eq!(alert_times(&[at(2), at(1)]), (1, 2));
        // a sequence's, in time order, possibly with a missing stage
        assert_eq!(alert_times(&[at(1), None, at(5)]), (1, 5));
        assert_eq!(alert_times(&[None]), (0, 0));
    }

    #[test]
    fn alert_times_have_three_fraction_digits() {
        let t = |ns: i64| {
            let mut v = Vec::new();
            ts_str(&mut v, ns);
            String::from_utf8(v).unwrap()
        };
        let s = 1_714_521_600_000_000_000; // 2024-05-01T00:00:00Z
        assert_eq!(t(s), "\"2024-05-01T00:00:00.000Z\"");
        assert_eq!(t(s + 300_000_000), "\"2024-05-01T00:00:00.300Z\"");
        assert_eq!(t(s + 7_000_000), "\"2024-05-01T00:00:00.007Z\"");
        assert_eq!(t(s + 7_654_321), "\"2024-05-01T00:00:00.007Z\"");
    }

    #[test]
    fn json_strings_escape() {
        let mut v = Vec::new();
        json_str(&mut v, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(v).unwrap(), r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn reason_reads_nested_dotted_and_array_fields() {
        let meta = &crate::handpack::RULES[0];
        let l1 = br#"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["process"]},"process":{"name":["bash","sh"],"parent.name":"nc"},"user":{"name":"root"},"host.name":"h1"}"#;
        let l2 = br#"{"@timestamp":"2024-01-01T00:00:01Z","event.category":"network","destination":{"ip":"10.1.2.3","port":4444}}"#;
        let ev = |raw: &'static [u8]| MatchedEvent {
            event: None,
            raw: Some(raw),
        };
        let mut reader = DocReader::new();
        let events = [ev(l1), ev(b"not json"), ev(l2)];
        let docs = reader.load(&events);
        assert_eq!(docs.len(), 2, "the line that does not decode is left out");
        assert_eq!(
            reason(meta, &docs),
            format!(
                "network event with process bash, parent process nc, destination \
                 10.1.2.3:4444, by root on h1 created medium alert {}.",
                meta.name
            )
        );
        let docs = reader.load(&[]);
        assert_eq!(
            reason(meta, &docs),
            format!("event event created medium alert {}.", meta.name)
        );
    }

    #[test]
    fn uuids_are_deterministic_and_distinct() {
        let e = |h, ts| Some(EventRef { handle: h, ts });
        let a = alert_uuid("r", &[e(1, 10), e(2, 20)]);
        assert_eq!(a, alert_uuid("r", &[e(1, 10), e(2, 20)]));
        assert_ne!(a, alert_uuid("r", &[e(1, 10), e(3, 20)]));
        assert_ne!(a, alert_uuid("s", &[e(1, 10), e(2, 20)]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }
}
