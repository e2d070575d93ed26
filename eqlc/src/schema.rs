//! Field schemas: which fields exist and what type they have.
//!
//! Two loaders: Elasticsearch mapping JSON ([`Schema::from_es_mapping`], the conformance
//! `.mapping` files: `#` comment lines, the `[runtime_random_keyword_type]` placeholder,
//! nested `properties`, multi-field `fields`, `alias` types) and the flat
//! `{"field": "type"}` table of `shared/schema/ecs-flat.json` ([`Schema::from_flat`]).
//! [`Schema::load`] picks one by looking at the file.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::ir::FieldType;

/// Mapped fields and their types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    fields: BTreeMap<String, FieldType>,
}

/// The [`FieldType`] of an Elasticsearch mapping type name.
pub fn es_field_type(es_type: &str) -> FieldType {
    match es_type {
        "keyword" | "constant_keyword" | "wildcard" | "text" | "match_only_text" => {
            FieldType::Keyword
        }
        "long" | "integer" | "short" | "byte" | "unsigned_long" => FieldType::Integer,
        "double" | "float" | "half_float" | "scaled_float" => FieldType::Float,
        "boolean" => FieldType::Boolean,
        "ip" => FieldType::Ip,
        "date" => FieldType::Date,
        "date_nanos" => FieldType::DateNanos,
        "version" => FieldType::Version,
        _ => FieldType::Unknown,
    }
}

impl Schema {
    /// An empty schema (every field unmapped).
    pub fn new() -> Schema {
        Schema::default()
    }

    /// Map `path` with type `ty`.
    pub fn insert(&mut self, path: impl Into<String>, ty: FieldType) {
        self.fields.insert(path.into(), ty);
    }

    /// The type of a mapped field; `None` when unmapped.
    pub fn get(&self, path: &str) -> Option<FieldType> {
        self.fields.get(path).copied()
    }

    /// Whether `path` is mapped.
    pub fn is_mapped(&self, path: &str) -> bool {
        self.fields.contains_key(path)
    }

    /// Add every field of `other` (its types win on conflicts), e.g. to search several
    /// indices together.
    pub fn extend(&mut self, other: Schema) {
        self.fields.extend(other.fields);
    }

    /// Number of mapped fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field is mapped.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Mapped paths and types, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, FieldType)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Load an Elasticsearch mapping or a flat `{"field": "type"}` table from a file.
    ///
    /// # Errors
    /// The file cannot be read or is not one of the two formats.
    pub fn load(path: &Path) -> Result<Schema, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let v = parse_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let is_mapping = v.get("properties").is_some() || v.get("mappings").is_some();
        if is_mapping {
            Schema::from_mapping_value(&v)
        } else {
            Schema::from_flat_value(&v)
        }
        .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parse Elasticsearch mapping JSON. Lines starting with `#` are comments;
    /// `[runtime_random_keyword_type]` means `keyword`. An `alias` field gets the type of its
    /// target (the path stays as written).
    ///
    /// # Errors
    /// Invalid JSON or no `properties`.
    pub fn from_es_mapping(text: &str) -> Result<Schema, String> {
        Schema::from_mapping_value(&parse_json(text)?)
    }

    /// Parse a flat `{"dotted.path": "es_type"}` table (`ecs-flat.json`).
    ///
    /// # Errors
    /// Invalid JSON or not an object of strings.
    pub fn from_flat(text: &str) -> Result<Schema, String> {
        Schema::from_flat_value(&parse_json(text)?)
    }

    fn from_flat_value(v: &Value) -> Result<Schema, String> {
        let obj = v
            .as_object()
            .ok_or("expected a JSON object of field → type")?;
        let mut s = Schema::new();
        for (k, t) in obj {
            let t = match t {
                Value::String(t) => t.as_str(),
                Value::Object(o) => o.get("type").and_then(Value::as_str).unwrap_or(""),
                _ => "",
            };
            s.insert(k.clone(), es_field_type(t));
        }
        Ok(s)
    }

    fn from_mapping_value(v: &Value) -> Result<Schema, String> {
        let root = v.get("mappings").unwrap_or(v);
        let props = root
            .get("properties")
            .and_then(Value::as_object)
            .ok_or("expected `properties` in the mapping")?;
        let mut s = Schema::new();
        let mut aliases = Vec::new();
        walk(props, "", &mut s, &mut aliases);
        for (path, target) in aliases {
            let ty = s.get(&target).unwrap_or_default();
            s.insert(path, ty);
        }
        Ok(s)
    }
}

fn parse_json(text: &str) -> Result<Value, String> {
    let cleaned: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.replace("[runtime_random_keyword_type]", "keyword") + "\n")
        .collect();
    serde_json::from_str(&cleaned).map_err(|e| format!("invalid JSON: {e}"))
}

fn walk(
    props: &serde_json::Map<String, Value>,
    prefix: &str,
    s: &mut Schema,
    aliases: &mut Vec<(String, String)>,
) {
    for (name, def) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let ty = def.get("type").and_then(Value::as_str);
        match ty {
            Some("alias") => {
                if let Some(target) = def.get("path").and_then(Value::as_str) {
                    aliases.push((path.clone(), target.to_string()));
                }
            }
            Some(t) => s.insert(path.clone(), es_field_type(t)),
            None => s.insert(path.clone(), FieldType::Unknown),
        }
        if let Some(sub) = def.get("properties").and_then(Value::as_object) {
            walk(sub, &path, s, aliases);
        }
        if let Some(sub) = def.get("fields").and_then(Value::as_object) {
            walk(sub, &path, s, aliases);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_with_alias_comments_and_placeholder() {
        let m = r#"
# a comment
{ "properties": {
    "event_type": { "type": "[runtime_random_keyword_type]" },
    "event": { "properties": { "category": { "type": "alias", "path": "event_type" } } },
    "file_name": { "type": "text", "fields": { "keyword": { "type": "keyword" } } },
    "pid": { "type": "long" },
    "ip": { "type": "ip" }
} }"#;
        let s = Schema::from_es_mapping(m).unwrap();
        assert_eq!(s.get("event.category"), Some(FieldType::Keyword));
        assert_eq!(s.get("event_type"), Some(FieldType::Keyword));
        assert_eq!(s.get("file_name.keyword"), Some(FieldType::Keyword));
        assert_eq!(s.get("pid"), Some(FieldType::Integer));
        assert_eq!(s.get("ip"), Some(FieldType::Ip));
        assert_eq!(s.get("event"), Some(FieldType::Unknown));
        assert_eq!(s.get("nope"), None);
    }

    #[test]
    fn flat_table() {
        let s = Schema::from_flat(r#"{"a.b": "keyword", "n": "long", "o": "object"}"#).unwrap();
        assert_eq!(s.get("a.b"), Some(FieldType::Keyword));
        assert_eq!(s.get("n"), Some(FieldType::Integer));
        assert_eq!(s.get("o"), Some(FieldType::Unknown));
        assert_eq!(s.len(), 3);
    }
}
