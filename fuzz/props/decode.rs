//! Properties of the detector's event decoder on arbitrary lines, shared by the fuzz target
//! (`fuzz/fuzz_targets/decode.rs`) and the stable smoke test
//! (`detector/tests/fuzz_props.rs`):
//!
//! * decoding never panics;
//! * a line the decoder accepts is JSON (serde_json accepts it too);
//! * an object serde_json accepts is never a syntax error for the decoder, unless one of
//!   its objects repeats a key that leads to a wanted field (Elasticsearch refuses such a
//!   document: [`DUPLICATE_KEY`]);
//! * when both accept a line, every wanted field holds exactly the values of that path in
//!   the document, in document order, with arrays (and arrays of objects) flattened as
//!   Elasticsearch flattens them.

use eqlc_detector::decode::{DecodeError, Decoder, FieldTrie, FieldType, DUPLICATE_KEY};
use eqlc_runtime::{SlotBuf, Value};

/// The paths the fuzzed decoder wants: nested, flat-dotted, short, long and odd keys.
pub const FIELDS: &[&str] = &[
    "a",
    "a.b",
    "a.b.c",
    "b",
    "event.category",
    "process.name",
    "process.args",
    "process.parent.name",
    "x.y",
    "k",
    "a very long key segment over sixteen bytes.z",
    "",
];

/// Decode `data` and hold it to the properties above.
pub fn line(data: &[u8]) {
    if data.len() > 64 << 10 {
        return;
    }
    let mut dec = Decoder::new(FieldTrie::new(FIELDS, &|_| FieldType::Any));
    let mut buf = SlotBuf::new(FIELDS.len());
    let ours = dec.decode_bytes(data, &mut buf);
    let theirs = serde_json::from_slice::<Node>(data);
    match (&ours, &theirs) {
        (Ok(_), Err(e)) => {
            panic!(
                "decoder accepts what serde_json rejects ({e}): {:?}",
                String::from_utf8_lossy(data)
            )
        }
        (Err(DecodeError::Syntax { what, .. }), Ok(doc))
            if *what == DUPLICATE_KEY && doc.repeats_wanted_key("") => {}
        (Err(DecodeError::Syntax { .. } | DecodeError::TooDeep), Ok(Node::Object(_)))
            if depth_ok(data) =>
        {
            panic!(
                "decoder rejects a JSON object ({ours:?}): {:?}",
                String::from_utf8_lossy(data)
            )
        }
        _ => {}
    }
    let (Ok((text, _)), Ok(doc)) = (ours, theirs) else {
        return;
    };
    let view = buf.view(text);
    for (slot, path) in FIELDS.iter().enumerate() {
        let mut want = Vec::new();
        doc.leaves("", path, &mut want);
        let got: Vec<Value<'_>> = eqlc_runtime::Record::values(&view, slot).collect();
        assert_eq!(
            got.len(),
            want.len(),
            "{path}: {got:?} vs {want:?} in {text}"
        );
        for (g, w) in got.iter().zip(&want) {
            assert!(same(g, w), "{path}: {got:?} vs {want:?} in {text}");
        }
    }
}

/// Whether serde_json would be within the decoder's nesting limit (serde_json's own is 128
/// as well, but counts differently at the top level).
fn depth_ok(data: &[u8]) -> bool {
    let (mut d, mut max) = (0i32, 0i32);
    for &c in data {
        match c {
            b'[' | b'{' => {
                d += 1;
                max = max.max(d);
            }
            b']' | b'}' => d -= 1,
            _ => {}
        }
    }
    max < 120
}

fn same(g: &Value<'_>, w: &Node) -> bool {
    match (g, w) {
        (Value::Null, Node::Null) => true,
        (Value::Bool(a), Node::Bool(b)) => a == b,
        (Value::Str(a), Node::Str(b)) => a == b,
        (Value::Int(a), Node::Num(b)) => *a as f64 == *b,
        (Value::Float(a), Node::Num(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(1.0),
        _ => false,
    }
}

/// A JSON value that keeps duplicate keys (serde_json's own map drops them).
#[derive(Debug)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number.
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, keys in order, duplicates kept.
    Object(Vec<(String, Node)>),
}

/// Whether the key path `p` leads to a wanted field (or is one): the decoder's trie has
/// a node for it.
fn wanted(p: &str) -> bool {
    FIELDS
        .iter()
        .chain(&["@timestamp"])
        .any(|w| *w == p || w.starts_with(&format!("{p}.")))
}

impl Node {
    /// Whether some object at or under `path` holds twice a key that leads to a wanted
    /// field.
    fn repeats_wanted_key(&self, path: &str) -> bool {
        match self {
            Node::Array(items) => items.iter().any(|i| i.repeats_wanted_key(path)),
            Node::Object(kv) => kv.iter().enumerate().any(|(i, (k, v))| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                wanted(&p) && (kv[..i].iter().any(|(k2, _)| k2 == k) || v.repeats_wanted_key(&p))
            }),
            _ => false,
        }
    }

    /// Push the scalar leaves whose dotted path (array levels add no segment) is `want`.
    fn leaves<'n>(&'n self, path: &str, want: &str, out: &mut Vec<&'n Node>) {
        match self {
            Node::Array(items) => items.iter().for_each(|i| i.leaves(path, want, out)),
            Node::Object(kv) => {
                for (k, v) in kv {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    // only descend where the path can still lead to `want`
                    if want == p || want.starts_with(&format!("{p}.")) {
                        v.leaves(&p, want, out);
                    }
                }
            }
            leaf => {
                if path == want {
                    out.push(leaf);
                }
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
                Ok(Node::Num(n as f64))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
                Ok(Node::Num(n as f64))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Node, E> {
                Ok(Node::Num(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node, E> {
                Ok(Node::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Node, E> {
                Ok(Node::Str(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Node::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, Node>()? {
                    v.push((k, x));
                }
                Ok(Node::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}
