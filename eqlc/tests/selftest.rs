//! Rule self-tests (`[[test]]` tables): parsing, diagnostics, and the interpreter-driven
//! runner ([`eqlc::selftest::run_query`]) on event, sequence (runs, missing stage), sample
//! and pipe queries. Every expectation below is worked out by hand from
//! eql-semantics.md (the section is named at each case), not taken from a run.

use eqlc::compile::{rule_source, RuleSource};
use eqlc::rule_file::{parse_rule_file, Loaded};
use eqlc::selftest::run_query;

fn rule(query: &str, tests: &str) -> RuleSource {
    let text = format!(
        "[rule]\nname = \"t\"\nrule_id = \"t-1\"\nlanguage = \"eql\"\nquery = '''\n{query}\n'''\n{tests}"
    );
    match parse_rule_file(&text) {
        Ok(Loaded::Rule(r)) => {
            let src = r.source("t.toml", &text);
            rule_source(&r, "t.toml".into(), src)
        }
        Ok(other) => panic!("not a rule: {other:?}"),
        Err(d) => panic!(
            "{}",
            d.render(&eqlc::source::Source::inline("t.toml", text))
        ),
    }
}

/// The results of the rule's only test's events, after checking that the test parses.
fn run(query: &str, events: &[String]) -> Vec<Vec<usize>> {
    let tests = format!(
        "[[test]]\nevents = '''\n{}\n'''\nexpect = []\n",
        events.join("\n")
    );
    let r = rule(query, &tests);
    let q = r.check().unwrap_or_else(|e| panic!("{e}"));
    let events = r.tests[0].events().unwrap_or_else(|e| panic!("{e}"));
    run_query(&q, &events)
}

fn ev(ts: &str, cat: &str, extra: &str) -> String {
    format!(
        r#"{{"@timestamp": "2024-05-01T00:00:{ts}Z", "event": {{"category": "{cat}"}}{extra}}}"#
    )
}

#[test]
fn event_queries_run_in_time_order_and_pipes_cut_the_results() {
    // §6: results in timestamp order; §9: head keeps the first N, tail the last N.
    let events = [
        ev("03", "process", r#", "process": {"name": "a1"}"#),
        ev("01", "process", r#", "process": {"name": "b"}"#),
        ev("02", "process", r#", "process": {"name": "a2"}"#),
        ev("04", "process", r#", "process": {"name": "A3"}"#),
    ];
    let q = r#"process where process.name : "a*""#;
    assert_eq!(run(q, &events), vec![vec![3], vec![1], vec![4]]);
    assert_eq!(
        run(&format!("{q} | head 2"), &events),
        vec![vec![3], vec![1]]
    );
    assert_eq!(
        run(&format!("{q} | tail 2"), &events),
        vec![vec![1], vec![4]]
    );
    // `==` is case-sensitive (§4): A3 no longer matches
    let q = r#"process where process.name like "a*""#;
    assert_eq!(run(q, &events), vec![vec![3], vec![1]]);
}

#[test]
fn sequences_join_by_key_and_expand_runs() {
    // §7.1: `with runs=2` needs two process events of the same user before the network
    // event; user u2 has only one.
    let events = [
        ev("00", "process", r#", "user": {"name": "u1"}"#),
        ev("00.5", "process", r#", "user": {"name": "u2"}"#),
        ev("01", "process", r#", "user": {"name": "u1"}"#),
        ev("02", "network", r#", "user": {"name": "u2"}"#),
        ev("03", "network", r#", "user": {"name": "u1"}"#),
    ];
    let q = "sequence by user.name with maxspan=10s [process where true] with runs=2 [network where true]";
    assert_eq!(run(q, &events), vec![vec![1, 3, 5]]);
    // §7.1: maxspan counts from the first event, inclusively: 3 s is past 2 s.
    let q = "sequence by user.name with maxspan=2s [process where true] with runs=2 [network where true]";
    assert!(run(q, &events).is_empty());
}

#[test]
fn a_missing_stage_discards_a_sequence_with_an_event_between() {
    // §7.2: a middle missing stage discards the candidate when a matching event of the
    // same key lies strictly between its neighbours; the placeholder has no number.
    let events = [
        ev("00", "process", r#", "host": {"id": "h1"}"#),
        ev("01", "file", r#", "host": {"id": "h1"}"#),
        ev("02", "network", r#", "host": {"id": "h1"}"#),
        ev("00", "process", r#", "host": {"id": "h2"}"#),
        ev("02", "network", r#", "host": {"id": "h2"}"#),
    ];
    let q = "sequence by host.id with maxspan=10s [process where true] ![file where true] [network where true]";
    assert_eq!(run(q, &events), vec![vec![4, 5]]);
}

#[test]
fn samples_take_one_event_per_filter_in_any_order() {
    // §8: a sample is one event per filter under one key, in any time order, listed in
    // filter order; h2 has no network event.
    let events = [
        ev("00", "network", r#", "host": {"id": "h1"}"#),
        ev("05", "process", r#", "host": {"id": "h1"}"#),
        ev("06", "process", r#", "host": {"id": "h2"}"#),
    ];
    let q = "sample by host.id [process where true] [network where true]";
    assert_eq!(run(q, &events), vec![vec![2, 1]]);
}

#[test]
fn compare_reports_missing_and_unexpected_alerts() {
    let tests = "[[test]]\nname = \"x\"\nevents = '''\n{\"@timestamp\": 1}\n'''\nexpect = [[1]]\n";
    let r = rule("any where true", tests);
    let t = &r.tests[0];
    assert!(t.compare(&[vec![1]]).is_ok());
    let e = t.compare(&[vec![1], vec![1]]).unwrap_err();
    assert!(
        e.contains("unexpected: [[1]]") && !e.contains("missing"),
        "{e}"
    );
    let e = t.compare(&[]).unwrap_err();
    assert!(e.starts_with("t.toml:13: test `x`"), "{e}");
    assert!(e.contains("missing: [[1]]"), "{e}");
}

#[test]
fn bad_tests_are_errors_at_their_place_in_the_file() {
    // line 11 of the file is the second event line; its column 7 is the stray `x`
    let bad_json = "[[test]]\nevents = '''\n{\"@timestamp\": 1}\n{\"a\": x}\n'''\nexpect = []\n";
    let r = rule("any where true", bad_json);
    let e = r.tests[0].events().unwrap_err();
    assert!(
        e.contains("t.toml:11:7: error: test `test 1`: event 2 is not valid JSON"),
        "{e}"
    );
    assert!(e.contains("^"), "{e}");

    let no_ts = "[[test]]\nevents = '''\n{\"event\": {}}\n'''\nexpect = []\n";
    let e = rule("any where true", no_ts).tests[0].events().unwrap_err();
    assert!(
        e.contains("t.toml:10:1: error: test `test 1`: event 1 has no usable `@timestamp`"),
        "{e}"
    );

    let out_of_range = "[[test]]\nevents = '''\n{\"@timestamp\": 1}\n'''\nexpect = [[1, 2]]\n";
    let e = rule("any where true", out_of_range).tests[0]
        .events()
        .unwrap_err();
    assert!(e.contains("t.toml:12:10: error"), "{e}");
    assert!(
        e.contains("names event 2, but the test has events 1 to 1"),
        "{e}"
    );

    // unknown keys in a test table are errors (a misspelt `expect` must not pass silently)
    let typo = "[[test]]\nevents = '''\n{\"@timestamp\": 1}\n'''\nexpect = []\nexpects = [[1]]\n";
    let text =
        format!("[rule]\nname = \"t\"\nlanguage = \"eql\"\nquery = 'any where true'\n{typo}");
    let err = parse_rule_file(&text).unwrap_err();
    let shown = err.render(&eqlc::source::Source::inline("t.toml", text.clone()));
    assert!(shown.contains("unknown field `expects`"), "{shown}");
}

#[test]
fn parts_without_fields_fold_three_valued_before_negation() {
    // §3.4: `<` with a null operand is null, `not null` is null, `true and null` is null,
    // `false or null` is null, and a null top-level condition does not match; a part
    // that folds to null is null under `not` too, and `null and x` is never true.
    let events = [ev(
        "01",
        "process",
        r#", "process": {"pid": 3, "name": "x"}"#,
    )];
    for q in [
        "process where not (1 < null)",
        "process where not (true and 1 < null)",
        "process where not (false or 1 < null)",
        "process where not startsWith(null, \"a\")",
        "process where not (length(null) > 0)",
        "process where not (1 < null) and process.pid == 3",
    ] {
        assert_eq!(run(q, &events), Vec::<Vec<usize>>::new(), "{q}");
    }
    // Folded parts that are true or false still count as such.
    for (q, want) in [
        (
            "process where not (1 > 2) and process.pid == 3",
            vec![vec![1]],
        ),
        (
            "process where (1 < null or true) and process.pid == 3",
            vec![vec![1]],
        ),
        ("process where not (2 > 1) or process.pid == 4", vec![]),
    ] {
        assert_eq!(run(q, &events), want, "{q}");
    }
}

#[test]
fn test_events_carry_the_values_their_mappings_index() {
    // A built detector's decoder applies the ECS mapping of the fields it reads (a
    // `long` keeps the integer part, numeric strings are numbers); `eqlc test` sees the
    // same values, so both agree (eql-semantics.md §3.7: types as indexed).
    let events = [
        ev("01", "process", r#", "process": {"pid": 4.5}"#),
        ev("02", "process", r#", "process": {"pid": "5.7"}"#),
        ev("03", "process", r#", "process": {"pid": 6}"#),
    ];
    assert_eq!(
        run("process where process.pid < 4.5", &events),
        vec![vec![1]]
    );
    assert_eq!(
        run("process where process.pid == 5", &events),
        vec![vec![2]]
    );
    assert_eq!(
        run("process where process.pid in (4, 6)", &events),
        vec![vec![1], vec![3]]
    );
}

#[test]
fn a_test_event_its_mapping_refuses_is_an_error_at_its_line() {
    let tests = "[[test]]\nevents = '''\n{\"@timestamp\": 1, \"source\": {\"ip\": \"not an ip\"}}\n'''\nexpect = []\n";
    let r = rule("network where true", tests);
    let err = r.tests[0].events().unwrap_err();
    assert!(
        err.contains("event 1: `source.ip` holds \"not an ip\", which its mapping (`ip`) refuses"),
        "{err}"
    );
    assert!(err.contains("t.toml:"), "{err}");
}

#[test]
fn join_keys_meet_across_json_types_when_every_mapping_would_join_them() {
    // §7.3: keys compare as indexed, and a field has one mapping: under keyword the JSON
    // number 1.5 is indexed as "1.5", under double the string "1.5" as 1.5, so the two
    // join either way; "1.50" and 1.5 differ under keyword and stay apart.
    let q =
        r#"sequence by k [process where process.name == "a"] [process where process.name == "b"]"#;
    let pair = |k1: &str, k2: &str| {
        run(
            q,
            &[
                ev(
                    "01",
                    "process",
                    &format!(r#", "k": {k1}, "process": {{"name": "a"}}"#),
                ),
                ev(
                    "02",
                    "process",
                    &format!(r#", "k": {k2}, "process": {{"name": "b"}}"#),
                ),
            ],
        )
    };
    assert_eq!(pair(r#""1.5""#, "1.5"), vec![vec![1, 2]]);
    assert_eq!(pair("-0.25", r#""-0.25""#), vec![vec![1, 2]]);
    assert_eq!(pair(r#""7""#, "7"), vec![vec![1, 2]]);
    assert_eq!(pair(r#""1.50""#, "1.5"), Vec::<Vec<usize>>::new());
    assert_eq!(pair(r#""1.5""#, r#""1.50""#), Vec::<Vec<usize>>::new());
}

#[test]
fn sample_keys_sort_as_their_field_is_mapped() {
    // §8: samples come in ascending key order. A field whose keys are JSON strings is a
    // keyword field (dynamic mapping), sorted as text: "1000" < "999"; JSON numbers make
    // a numeric field, sorted by value: 999 < 1000.
    let q = "sample by user.id [process where true] [network where true]";
    let events = |a: &str, b: &str| {
        [
            ev("01", "process", &format!(r#", "user": {{"id": {a}}}"#)),
            ev("02", "network", &format!(r#", "user": {{"id": {a}}}"#)),
            ev("03", "process", &format!(r#", "user": {{"id": {b}}}"#)),
            ev("04", "network", &format!(r#", "user": {{"id": {b}}}"#)),
        ]
    };
    let text = events(r#""999""#, r#""1000""#);
    assert_eq!(run(q, &text), vec![vec![3, 4], vec![1, 2]]);
    assert_eq!(run(&format!("{q} | head 1"), &text), vec![vec![3, 4]]);
    let numbers = events("999", "1000");
    assert_eq!(run(q, &numbers), vec![vec![1, 2], vec![3, 4]]);
    // "1.5" and "10" as text: "1.5" < "10" (and as numbers too); "9.5" > "10" as text.
    let text = events(r#""9.5""#, r#""10""#);
    assert_eq!(run(q, &text), vec![vec![3, 4], vec![1, 2]]);
}

#[test]
fn numbers_in_keyword_comparisons_read_as_their_text() {
    // §3.7 keyword strings: a JSON number in a field compared with a string is read as
    // its text, doubles as Elasticsearch prints them ("1.0", not "1"); the built
    // detectors read them the same way (`eqlc_runtime::__private::as_text`).
    let events = [
        ev("01", "process", r#", "user": {"name": 1.0}"#),
        ev("02", "process", r#", "user": {"name": 7}"#),
    ];
    assert_eq!(
        run(r#"process where user.name == "1.0""#, &events),
        vec![vec![1]]
    );
    assert_eq!(
        run(r#"process where user.name == "1""#, &events),
        Vec::<Vec<usize>>::new()
    );
    assert_eq!(
        run(r#"process where user.name : "7""#, &events),
        vec![vec![2]]
    );
}
