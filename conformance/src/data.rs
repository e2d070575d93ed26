//! The QA data sets: which files make up each one, how their documents are read
//! (quirks of the copies in `shared/conformance`), and what their mappings say beyond
//! field types (aliases, multi-fields, `null_value`s).
//!
//! Shared by the build script (field lists for the schema) and the runner (events).

use std::path::Path;

use serde_json::Value;

/// One data set of the QA suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSet {
    /// Id used in the case table.
    pub id: &'static str,
    /// Data files (JSON arrays), relative to `conformance/elasticsearch`.
    pub data: &'static [&'static str],
    /// Mapping files, relative to `conformance/elasticsearch`.
    pub mappings: &'static [&'static str],
    /// How `@timestamp` is obtained.
    pub time: TimeRule,
    /// The tiebreaker field (sort key after the timestamp; nulls last).
    pub tiebreaker: Option<&'static str>,
    /// The field holding the event id the expectations use.
    pub id_field: &'static str,
    /// Field types the suite relies on that the copied mapping lacks: `(path, ES type)`.
    pub extra_types: &'static [(&'static str, &'static str)],
}

/// How a data set's events get their timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRule {
    /// `timestamp` is a Windows FILETIME; `@timestamp` (ms) = `timestamp / 10000 −
    /// 11644473600000`.
    FileTimeMillis,
    /// `timestamp` read as Unix nanoseconds (`date_nanos` variant); `@timestamp` holds
    /// the same number.
    RawNanos,
    /// `@timestamp` in the document: epoch-millis strings or ISO-8601 dates.
    InDocument,
    /// No timestamp (samples): every event gets time 0.
    None,
}

/// Every data set, by id.
pub const DATA_SETS: &[DataSet] = &[
    DataSet {
        id: "endgame",
        data: &["test_data.json"],
        mappings: &["data/endgame-140.mapping"],
        time: TimeRule::FileTimeMillis,
        tiebreaker: Some("serial_event_id"),
        id_field: "serial_event_id",
        extra_types: &[],
    },
    DataSet {
        id: "endgame-nanos",
        data: &["test_data.json"],
        mappings: &["data/endgame-140-nanos.mapping"],
        time: TimeRule::RawNanos,
        tiebreaker: Some("serial_event_id"),
        id_field: "serial_event_id",
        extra_types: &[],
    },
    DataSet {
        id: "extra",
        data: &["data/extra.data"],
        mappings: &["data/extra.mapping"],
        time: TimeRule::InDocument,
        tiebreaker: Some("sequence"),
        id_field: "sequence",
        // `test_extra.toml`'s `sequenceWithVersionRange*` / `...InvalidVersion` cases
        // compare `version` as a `version` field ("1.11.3" > "1.5.0", "bad" after every
        // valid version); the copied `extra.mapping` is an older revision without it.
        extra_types: &[("version", "version")],
    },
    DataSet {
        id: "missing-events",
        data: &["data/missing-events.data"],
        mappings: &["data/missing-events.mapping"],
        time: TimeRule::InDocument,
        tiebreaker: Some("sequence"),
        id_field: "sequence",
        extra_types: &[],
    },
    DataSet {
        id: "sample",
        data: &[
            "data/sample1.data",
            "data/sample2.data",
            "data/sample3.data",
        ],
        mappings: &[
            "data/sample1.mapping",
            "data/sample2.mapping",
            "data/sample3.mapping",
        ],
        time: TimeRule::None,
        tiebreaker: None,
        id_field: "id",
        extra_types: &[],
    },
    DataSet {
        id: "sample-multi",
        data: &["data/sample-multi.data"],
        mappings: &["data/sample-multi.mapping"],
        time: TimeRule::None,
        tiebreaker: None,
        id_field: "id",
        extra_types: &[],
    },
];

/// The data set of a suite file (by file name).
pub fn data_set_of(file: &str) -> Option<&'static DataSet> {
    let id = match file {
        "test_queries.toml" | "additional_test_queries.toml" | "test_queries_date.toml" => {
            "endgame"
        }
        "test_queries_date_nanos.toml" => "endgame-nanos",
        "test_extra.toml" => "extra",
        "test_missing_events.toml" => "missing-events",
        "test_sample.toml" => "sample",
        "test_sample_multi.toml" => "sample-multi",
        _ => return None,
    };
    data_set(id)
}

/// A data set by id.
pub fn data_set(id: &str) -> Option<&'static DataSet> {
    DATA_SETS.iter().find(|d| d.id == id)
}

/// Read a JSON array of documents. Lines whose first non-blank characters are `//` are
/// comments (`missing-events.data`).
pub fn read_docs(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cleaned: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(|l| [l, "\n"])
        .collect();
    let v: Value =
        serde_json::from_str(&cleaned).map_err(|e| format!("{}: {e}", path.display()))?;
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(format!("{}: expected a JSON array", path.display())),
    }
}

/// Read a mapping file: `#` lines are comments, `[runtime_random_keyword_type]` means
/// `keyword`.
pub fn read_mapping(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cleaned: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.replace("[runtime_random_keyword_type]", "keyword") + "\n")
        .collect();
    serde_json::from_str(&cleaned).map_err(|e| format!("{}: {e}", path.display()))
}

/// What a mapping says beyond types.
#[derive(Debug, Clone, Default)]
pub struct MappingInfo {
    /// `(path, target)`: `alias` fields, and multi-fields (`file_name.keyword` reads
    /// `file_name`).
    pub aliases: Vec<(String, String)>,
    /// `(path, value)`: `null_value` of a field (an explicit `null` is indexed as it).
    pub null_values: Vec<(String, Value)>,
    /// Every mapped path with its Elasticsearch type.
    pub types: Vec<(String, String)>,
    /// `date` / `date_nanos` fields with their custom `format`, if any.
    pub dates: Vec<(String, Option<String>)>,
}

/// Collect aliases, multi-fields and `null_value`s of a mapping.
pub fn mapping_info(mapping: &Value) -> MappingInfo {
    let mut info = MappingInfo::default();
    let root = mapping.get("mappings").unwrap_or(mapping);
    if let Some(props) = root.get("properties").and_then(Value::as_object) {
        walk(props, "", &mut info);
    }
    info
}

fn walk(props: &serde_json::Map<String, Value>, prefix: &str, info: &mut MappingInfo) {
    for (name, def) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let ty = def.get("type").and_then(Value::as_str).unwrap_or("object");
        if ty == "alias" {
            if let Some(t) = def.get("path").and_then(Value::as_str) {
                info.aliases.push((path.clone(), t.to_string()));
            }
        } else {
            info.types.push((path.clone(), ty.to_string()));
        }
        if ty == "date" || ty == "date_nanos" {
            let format = def.get("format").and_then(Value::as_str).map(String::from);
            info.dates.push((path.clone(), format));
        }
        if let Some(nv) = def.get("null_value") {
            info.null_values.push((path.clone(), nv.clone()));
        }
        if let Some(sub) = def.get("properties").and_then(Value::as_object) {
            walk(sub, &path, info);
        }
        if let Some(sub) = def.get("fields").and_then(Value::as_object) {
            for (sub_name, sub_def) in sub {
                let sub_path = format!("{path}.{sub_name}");
                info.aliases.push((sub_path.clone(), path.clone()));
                if let Some(t) = sub_def.get("type").and_then(Value::as_str) {
                    info.types.push((sub_path, t.to_string()));
                }
            }
        }
    }
}

/// The leaf fields of a document with the Elasticsearch type dynamic mapping would give
/// them (first non-null value decides): `(dotted path, type)`. Objects are walked, dotted
/// keys kept as written, arrays give their elements' type.
pub fn dynamic_fields(doc: &Value, out: &mut Vec<(String, String)>) {
    fn visit(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    visit(x, &p, out);
                }
            }
            Value::Array(a) => {
                for x in a {
                    visit(x, path, out);
                }
            }
            Value::Null => {}
            other => {
                if !out.iter().any(|(p, _)| p == path) {
                    out.push((path.to_string(), dynamic_type(other).to_string()));
                }
            }
        }
    }
    visit(doc, "", out);
}

/// Elasticsearch's dynamic mapping of a JSON scalar: strings that look like dates
/// (`strict_date_optional_time`) become `date`, other strings `keyword` (the
/// `.keyword` sub-field of the default `text` mapping), integers `long`, other numbers
/// `float`, booleans `boolean`.
pub fn dynamic_type(v: &Value) -> &'static str {
    match v {
        Value::String(s) => {
            if looks_like_date(s) {
                "date"
            } else {
                "keyword"
            }
        }
        Value::Number(n) if n.is_i64() || n.is_u64() => "long",
        Value::Number(_) => "float",
        Value::Bool(_) => "boolean",
        _ => "object",
    }
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T')
}

/// Epoch milliseconds of a date string written in a Joda/Java date `format` made of
/// `yyyy`, `MM`, `dd`, `HH`, `mm`, `ss` and literal separators (the custom formats of the
/// QA mappings, e.g. `dd-MM-yyyy`). Several formats may be joined with `||`.
pub fn parse_date_format(s: &str, format: &str) -> Option<i64> {
    format
        .split("||")
        .find_map(|f| parse_one_format(s, f.trim()))
}

fn parse_one_format(s: &str, f: &str) -> Option<i64> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut se) = (1970i64, 1i64, 1i64, 0i64, 0i64, 0i64);
    let (sb, fb) = (s.as_bytes(), f.as_bytes());
    let (mut i, mut j) = (0, 0);
    while j < fb.len() {
        let c = fb[j];
        let run = fb[j..].iter().take_while(|&&x| x == c).count();
        if c.is_ascii_alphabetic() {
            let digits = &sb.get(i..i + run)?;
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            match c {
                b'y' | b'u' => y = v,
                b'M' => mo = v,
                b'd' => d = v,
                b'H' => h = v,
                b'm' => mi = v,
                b's' => se = v,
                _ => return None,
            }
            i += run;
        } else {
            if sb.get(i..i + run)? != &fb[j..j + run] {
                return None;
            }
            i += run;
        }
        j += run;
    }
    if i != sb.len() || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil date (proleptic Gregorian).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000)
}
