//! Differential test: every generated matcher agrees with the reference interpreter
//! (`eqlc::interp`, a direct tree walk over the checked IR) on random events.
//!
//! Each query below is compiled twice: at build time by `rule!` into a pack, and at run
//! time by `eqlc::compile_query` for the interpreter. Random events draw field values from
//! small vocabularies (case variants, numbers as strings, arrays, `null`, missing fields)
//! so that both engines meet the corners of eql-semantics.md §3–5.

use eqlc_sdk::runtime::func::Val;
use eqlc_sdk::runtime::{Event, EventRef, RulePack, SlotBuf, Value};
use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};

macro_rules! queries {
    ($($name:ident => $q:tt,)*) => {
        $(
            eqlc_sdk::rule! {
                pub struct $name;
                name = "differential",
                query = $q,
            }
        )*

        /// (query text, generated matcher)
        fn all() -> Vec<(&'static str, fn(&Json) -> bool)> {
            vec![$(($q, run::<$name> as fn(&Json) -> bool)),*]
        }
    };
}

queries! {
    Q00 => r#"process where process.name : ("bash", "*sh", "py?hon*")"#,
    Q01 => r#"process where process.name == "bash" or process.name != "sh""#,
    Q02 => r#"any where process.name in ("a", "B", "1") and not process.name in~ ("c")"#,
    Q03 => r#"any where process.name like~ "*A*" and process.args like ("-c", "*x?")"#,
    Q04 => r#"any where process.pid > 10 and process.pid <= 100.5"#,
    Q05 => r#"any where process.pid == 7 or process.pid in (1, 2, 3)"#,
    Q06 => r#"any where process.name == null or process.args != null"#,
    Q07 => r#"any where length(process.name) > 3"#,
    Q08 => r#"any where startsWith~(process.name, "BA") and not endsWith(process.name, "h")"#,
    Q09 => r#"any where substring(process.name, 1, 3) == "as""#,
    Q10 => r#"any where concat(process.name, "-", process.pid) == "bash-7""#,
    Q11 => r#"any where process.pid + 1 == 8 or process.pid * 2 > 50 or process.pid % 3 == 1"#,
    Q12 => r#"any where number(process.name) > 5"#,
    Q13 => r#"any where string(process.pid) : "1*""#,
    Q14 => r#"any where between(process.name, "a", "h") == "s""#,
    Q15 => r#"any where cidrmatch(destination.ip, "10.0.0.0/8", "::1")"#,
    Q16 => r#"any where not cidrmatch(destination.ip, "192.168.0.0/16")"#,
    Q17 => r#"any where process.name regex "b.*h" or process.args regex~ "-[A-Z]""#,
    Q18 => r#"any where stringContains(process.name, "as") and indexOf(process.name, "s") == 2"#,
    Q19 => r#"any where ?user.id == null and process.name : "*""#,
    Q20 => r#"network where process.args : "-c" and not process.args == "-x""#,
    Q21 => r#"any where process.flag"#,
    Q22 => r#"any where process.flag == false or not process.flag"#,
    Q23 => r#"any where stringContains~(process.args, "X") or indexOf~(process.name, "S") >= 1"#,
    Q24 => r#"any where process.name > "b" and process.name < "z""#,
}

fn run<P: RulePack + Default>(e: &Json) -> bool {
    let mut p = P::default();
    let mut buf = SlotBuf::new(p.fields().len());
    buf.fill_from(e, p.fields());
    let mut hit = false;
    p.on_event(&buf.view(""), EventRef { handle: 0, ts: 0 }, &mut |_| {
        hit = true
    });
    hit
}

fn reference(query: &str, e: &Json) -> bool {
    let q = eqlc::compile_query(query, &eqlc::Options::default()).expect("query checks");
    let eqlc::ir::Body::Event(stage) = &q.body else {
        panic!("event queries only")
    };
    // Owned copies (`Val<'static>`) of every field's values, so that the interpreter can borrow them.
    let mut store: Vec<(String, Vec<Val<'static>>)> = Vec::new();
    for path in PATHS {
        let mut vals = Vec::new();
        e.field_values(path, &mut |v: Value<'_>| {
            vals.push(Val::from(v).into_owned())
        });
        store.push((path.to_string(), vals));
    }
    let values = |path: &str| -> Vec<Value<'_>> {
        store
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.iter().map(Val::as_value).collect())
            .unwrap_or_default()
    };
    eqlc::interp::stage_matches(stage, "event.category", &values)
}

/// Every field the events carry.
const PATHS: [&str; 7] = [
    "event.category",
    "process.name",
    "process.args",
    "process.pid",
    "destination.ip",
    "process.flag",
    "user.id",
];

fn text() -> impl Strategy<Value = Json> + Clone {
    prop_oneof![
        Just(json!("bash")),
        Just(json!("BASH")),
        Just(json!("sh")),
        Just(json!("python3")),
        Just(json!("pYthon")),
        Just(json!("a")),
        Just(json!("B")),
        Just(json!("1")),
        Just(json!("12")),
        Just(json!("-c")),
        Just(json!("-X")),
        Just(json!("xax")),
        Just(json!("")),
        Just(json!("straße")),
        Just(json!(7)),
        Just(json!(1.5)),
        Just(json!(true)),
        Just(Json::Null),
    ]
}

fn field(leaf: impl Strategy<Value = Json> + Clone) -> impl Strategy<Value = Option<Json>> {
    prop_oneof![
        Just(None),
        leaf.clone().prop_map(Some),
        prop::collection::vec(leaf, 0..3).prop_map(|v| Some(Json::Array(v))),
    ]
}

fn number() -> impl Strategy<Value = Json> + Clone {
    prop_oneof![
        Just(json!(7)),
        Just(json!(1)),
        Just(json!(26)),
        Just(json!(100)),
        Just(json!(100.5)),
        Just(json!(-3)),
        Just(json!("7")),
        Just(json!("x")),
        Just(Json::Null),
    ]
}

fn ip() -> impl Strategy<Value = Json> + Clone {
    prop_oneof![
        Just(json!("10.1.2.3")),
        Just(json!("192.168.1.1")),
        Just(json!("::1")),
        Just(json!("2001:db8::1")),
        Just(json!("8.8.8.8")),
        Just(json!("not an ip")),
        Just(Json::Null),
    ]
}

fn boolean() -> impl Strategy<Value = Json> + Clone {
    prop_oneof![
        Just(json!(true)),
        Just(json!(false)),
        Just(json!("true")),
        Just(Json::Null)
    ]
}

fn event() -> impl Strategy<Value = Json> {
    (
        field(prop_oneof![Just(json!("process")), Just(json!("network"))]),
        field(text()),
        field(text()),
        field(number()),
        field(ip()),
        field(boolean()),
        field(text()),
    )
        .prop_map(|(cat, name, args, pid, ip, flag, user)| {
            let mut m = Map::new();
            let mut put = |k: &str, v: Option<Json>| {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            };
            put("event.category", cat);
            put("process.name", name);
            put("process.args", args);
            put("process.pid", pid);
            put("destination.ip", ip);
            put("process.flag", flag);
            put("user.id", user);
            Json::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn generated_matchers_agree_with_the_interpreter(e in event()) {
        for (q, generated) in all() {
            prop_assert_eq!(generated(&e), reference(q, &e), "query {} on {}", q, e);
        }
    }
}

#[test]
fn the_vocabulary_reaches_both_outcomes() {
    // Guard against a test that cannot fail: each query matches some event and misses
    // another among a fixed handful.
    let events = [
        json!({"event.category": "process", "process.name": "bash", "process.args": ["-c", "xax"],
               "process.pid": 7, "destination.ip": "10.1.2.3", "process.flag": true}),
        json!({"event.category": "network", "process.name": ["BASH", "a"], "process.args": "-X",
               "process.pid": "26", "destination.ip": "::1", "process.flag": false}),
        json!({"process.name": "python3", "process.pid": 100.5, "destination.ip": "8.8.8.8"}),
        json!({"event.category": ["process", "network"], "process.name": "12", "process.args": ["-c"],
               "process.pid": 1, "user.id": "u", "destination.ip": "192.168.1.1"}),
        json!({}),
    ];
    for (q, generated) in all() {
        let outcomes: Vec<bool> = events.iter().map(generated).collect();
        for (e, got) in events.iter().zip(&outcomes) {
            assert_eq!(*got, reference(q, e), "query {q} on {e}");
        }
        assert!(
            outcomes.iter().any(|b| *b) && outcomes.iter().any(|b| !*b),
            "query {q} has one outcome on every fixture event: {outcomes:?}"
        );
    }
}
