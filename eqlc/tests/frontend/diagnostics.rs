//! Diagnostics: every kind points at the right line:col, renders like rustc, and a query
//! inside a TOML rule file is reported at the file's own line and column.

use eqlc::source::Source;
use eqlc::{Options, RuleOutcome};

/// The first diagnostic's `line:col` and message for a query.
fn first(text: &str) -> (usize, usize, String) {
    let d = eqlc::compile_query(text, &Options::default()).expect_err("should be rejected");
    let src = Source::inline("<query>", text);
    let (l, c) = src.line_col(d.0[0].span.start);
    (l, c, d.0[0].message.clone())
}

fn at(text: &str, line: usize, col: usize, needle: &str) {
    let (l, c, m) = first(text);
    assert_eq!((l, c), (line, col), "{text}: {m}");
    assert!(m.contains(needle), "{text}: `{m}` lacks `{needle}`");
}

#[test]
fn syntax_errors() {
    at("process where a == ", 1, 19, "expected"); // just after `==`
    at("process where\n  a == 1 AND b == 2", 2, 10, "found `AND`");
    at("process wher a", 1, 9, "expected `where`");
    at(
        "process where a = 1",
        1,
        17,
        "`=` is not a comparison operator",
    );
    at("process where a < 1 < 2", 1, 21, "cannot be chained");
    at("process where a == 'x'", 1, 20, "single-quoted");
    at("process where a == ?\"x\"", 1, 20, "`?\"...\"`");
    at("process where a == \"\\q\"", 1, 21, "unknown escape");
    at(
        "process where a == \"\\u{zz}\"",
        1,
        21,
        "invalid unicode escape",
    );
    at(
        "process where a == 123456789012345678901",
        1,
        20,
        "too large",
    );
    at(
        "sequence with maxspan=1s by a [x where true] [y where true]",
        1,
        26,
        "before `with maxspan`",
    );
    at(
        "sample with maxspan=1s [x where true] [y where true]",
        1,
        8,
        "does not support `maxspan`",
    );
    at("join [x where true] [y where true]", 1, 1, "`join`");
    let deep = format!("any where {}true{}", "(".repeat(150), ")".repeat(150));
    let (_, _, m) = first(&deep);
    assert!(m.contains("nested too deeply"), "{m}");
    // a long chain of arithmetic is a deep tree too: a diagnostic, not a stack overflow
    for op in [" + ", " - ", " * ", " / "] {
        let terms = vec!["1"; 6000].join(op);
        let (l, c, m) = first(&format!("process where process.pid == {terms}"));
        assert_eq!((l, c), (1, 30), "{m}");
        assert!(m.contains("arithmetic expression too long"), "{m}");
    }
    // the operators count with the parentheses around them
    let terms = vec!["1"; 60].join(" + ");
    let nested = format!(
        "any where {}{terms}{} == 60",
        "(".repeat(50),
        ")".repeat(50)
    );
    assert!(first(&nested).2.contains("arithmetic expression too long"));
    // a chain of reasonable length compiles
    let terms = vec!["1"; 60].join(" + ");
    let ok = format!("process where process.pid == {terms}");
    assert!(eqlc::compile_query(&ok, &Options::default()).is_ok());
}

#[test]
fn checker_errors() {
    at(
        "process where\n  lenght(a) == 1",
        2,
        3,
        "unknown function `lenght`",
    );
    at(
        "process where length~(a) == 1",
        1,
        15,
        "no case-insensitive",
    );
    at("process where number(1) == 1", 1, 22, "must be a string");
    at(
        "process where length(a, b) == 1",
        1,
        15,
        "takes 1 argument, found 2",
    );
    at(
        "process where cidrMatch(ip, \"1.2.3.4/40\")",
        1,
        29,
        "invalid CIDR block",
    );
    at("process where a == b", 1, 15, "comparisons against fields");
    at("process where a : 1", 1, 19, "needs a string pattern");
    at(
        "process where a in (b)",
        1,
        21,
        "comparisons against fields",
    );
    at("process where \"x\"", 1, 15, "must be a boolean");
    at(
        "process where 1 == \"x\"",
        1,
        17,
        "cannot compare integer with string",
    );
    at(
        "sequence with maxspan=10 [a where true] [b where true]",
        1,
        23,
        "needs a time unit",
    );
    at(
        "sequence with maxspan=0s [a where true] [b where true]",
        1,
        23,
        "greater than zero",
    );
    at(
        "sequence with maxspan=2.5m [a where true] [b where true]",
        1,
        23,
        "whole number",
    );
    at(
        "sequence with maxspan=5sec [a where true] [b where true]",
        1,
        24,
        "unknown time unit",
    );
    at(
        "sequence [a where true] with runs=500",
        1,
        35,
        "between 1 and 100",
    );
    at("sequence [a where true]", 1, 10, "at least 2 stages");
    at(
        "sequence [a where true] ![b where true]",
        1,
        25,
        "needs `with maxspan`",
    );
    at(
        "sequence by a\n [x where true]\n [y where true] by b",
        3,
        20,
        "inconsistent number of join keys",
    );
    at(
        "sample [a where true] ![b where true]",
        1,
        23,
        "missing-event",
    );
    at(
        "any where true | unique a",
        1,
        18,
        "unrecognized pipe `unique`",
    );
    at("any where true | head x", 1, 23, "non-negative integer");
}

#[test]
fn rendering_looks_like_rustc() {
    let text = "process where lenght(process.name) > 3";
    let d = eqlc::compile_query(text, &Options::default()).expect_err("rejected");
    let out = d.render(&Source::inline("<query>", text));
    assert_eq!(
        out,
        "<query>:1:15: error: unknown function `lenght`\n  |\n1 | process where lenght(process.name) > 3\n  |               ^^^^^^\n  = help: did you mean `length`?\n"
    );
}

#[test]
fn error_in_a_toml_rule_is_reported_at_the_file_position() {
    let file = "[metadata]\nmaturity = \"production\"\n\n[rule]\nname = \"Test\"\nrule_id = \"x\"\nlanguage = \"eql\"\ntype = \"eql\"\nquery = '''\nprocess where process.name : \"bash\" and\n    lenght(process.args) > 3\n'''\n";
    let RuleOutcome::Failed {
        source,
        diagnostics,
    } = eqlc::compile_rule_file("rules/test.toml", file, &Options::default())
    else {
        panic!("should fail")
    };
    let out = diagnostics.render(&source);
    assert!(
        out.starts_with("rules/test.toml:11:5: error: unknown function `lenght`\n"),
        "{out}"
    );
    assert!(
        out.contains("11 |     lenght(process.args) > 3\n   |     ^^^^^^\n"),
        "{out}"
    );

    // A basic (escaped) string: positions account for the escapes.
    let file = "[rule]\nname = \"T\"\nlanguage = \"eql\"\nquery = \"process where a : \\\"x\\\\\\\\y\\\" and lenght(b) > 1\"\n";
    let RuleOutcome::Failed {
        source,
        diagnostics,
    } = eqlc::compile_rule_file("t.toml", file, &Options::default())
    else {
        panic!("should fail")
    };
    let out = diagnostics.render(&source);
    let col = file
        .lines()
        .nth(3)
        .and_then(|l| l.find("lenght"))
        .expect("in line")
        + 1;
    assert!(
        out.starts_with(&format!("t.toml:4:{col}: error: unknown function")),
        "{out}"
    );

    // TOML errors are reported in the file too.
    let RuleOutcome::Failed {
        source,
        diagnostics,
    } = eqlc::compile_rule_file("bad.toml", "[rule]\nname = \n", &Options::default())
    else {
        panic!("should fail")
    };
    assert!(diagnostics.render(&source).starts_with("bad.toml:2:"));
}

/// The diagnostics of a rule file, rendered.
fn file_errors(text: &str) -> String {
    match eqlc::compile_rule_file("r.toml", text, &Options::default()) {
        RuleOutcome::Failed {
            source,
            diagnostics,
        } => diagnostics.render(&source),
        other => panic!("should fail: {other:?}"),
    }
}

#[test]
fn settings_kibana_refuses_are_errors_at_their_values() {
    let rule = |extra: &str| {
        format!("[metadata]\nx = 1\n\n[rule]\nname = \"n\"\nlanguage = \"eql\"\n{extra}query = \"process where true\"\n")
    };
    let e = file_errors(&rule(
        "severity = \"informational\"\nrisk_score = 500\nmax_signals = 0\ninterval = \"banana\"\n",
    ));
    assert!(
        e.contains("r.toml:7:12: error: unknown severity `informational`"),
        "{e}"
    );
    assert!(
        e.contains("r.toml:8:14: error: `risk_score` out of range"),
        "{e}"
    );
    assert!(e.contains("r.toml:9:15: error: `max_signals` of 0"), "{e}");
    assert!(
        e.contains("r.toml:10:12: error: `interval` `banana` is not a duration"),
        "{e}"
    );
    // the values rules use pass (severity in any case, as before)
    let ok = rule("severity = \"High\"\nrisk_score = 73\nmax_signals = 1\ninterval = \"60m\"\n");
    assert!(matches!(
        eqlc::compile_rule_file("r.toml", &ok, &Options::default()),
        RuleOutcome::Compiled { .. }
    ));
    // what the `[rule]` table lacks is reported at its header
    let e = file_errors("[metadata]\nx = 1\n\n[rule]\nname = \"n\"\nlanguage = \"eql\"\n");
    assert!(
        e.contains("r.toml:4:1: error: EQL rule without a `query`"),
        "{e}"
    );
    let e = file_errors("[rule]\nlanguage = \"eql\"\nquery = \"process where true\"\n");
    assert!(
        e.contains("r.toml:1:1: error: rule without a `name`"),
        "{e}"
    );
    // a threat entry needs its framework and tactic
    let e = file_errors("[rule]\nname = \"n\"\nlanguage = \"eql\"\nquery = \"process where true\"\n\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n");
    assert!(
        e.contains("r.toml:6:1: error: threat entry without a `tactic` with `id` and `name`"),
        "{e}"
    );
    // `type` and `language` must agree
    let e = file_errors("[rule]\nname = \"n\"\ntype = \"query\"\nlanguage = \"eql\"\nquery = \"process where true\"\n");
    assert!(
        e.contains("r.toml:1:1: error: rule of type `query` with language `eql`"),
        "{e}"
    );
    let e = file_errors(
        "[rule]\nname = \"n\"\ntype = \"eql\"\nlanguage = \"kuery\"\nquery = \"a:b\"\n",
    );
    assert!(
        e.contains("error: rule of type `eql` with language `kuery`"),
        "{e}"
    );
    let upper = "[rule]\nname = \"n\"\ntype = \"eql\"\nlanguage = \"EQL\"\nquery = \"process where true\"\n";
    assert!(matches!(
        eqlc::compile_rule_file("r.toml", upper, &Options::default()),
        RuleOutcome::Compiled { .. }
    ));
    // a TOML message is one line
    let e = file_errors("[rule]\nname = \"a\"\n[rule]\nname = \"b\"\n");
    let first = e.lines().next().unwrap();
    assert!(
        first.contains("invalid rule file:") && first.len() > 30,
        "{e}"
    );
}

#[test]
fn non_rules_are_skipped_with_a_reason() {
    for (text, why) in [
        (
            "[rule]\nname = \"k\"\nlanguage = \"kuery\"\nquery = \"a:b\"\n",
            "kuery",
        ),
        (
            "[rule]\nname = \"m\"\ntype = \"machine_learning\"\n",
            "machine_learning",
        ),
        ("[other]\nx = 1\n", "[rule]"),
    ] {
        match eqlc::compile_rule_file("x.toml", text, &Options::default()) {
            RuleOutcome::Skipped(r) => assert!(r.contains(why), "{r}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn unterminated_strings_are_named() {
    // a string cannot span lines (eql-semantics.md §1)
    at(
        "process where a == \"bash\n and b == 1",
        1,
        20,
        "unterminated string",
    );
    at(
        "process where a == \"ba\\\"sh",
        1,
        20,
        "unterminated string",
    );
    // a closed string with an escaped quote is fine; the error is elsewhere
    at(
        "process where a == \"ba\\\"sh\" and",
        1,
        32,
        "expected an expression",
    );
}

#[test]
fn an_unfinished_query_is_reported_after_its_last_token() {
    // not on the trailing blank line (in a rule file: the line of the closing quotes)
    at(
        "process where a == \"x\" and\n",
        1,
        27,
        "found end of query",
    );
    at(
        "process where a == \"x\" and  \n\n",
        1,
        27,
        "found end of query",
    );
}

#[test]
fn sample_stages_refuse_runs_and_missing_events_with_a_hint() {
    let q = "sample by host.id [process where true] with runs=2 [network where true]";
    at(q, 1, 50, "`sample` does not support `with runs`");
    let d = eqlc::compile_query(q, &Options::default()).unwrap_err();
    assert!(
        d.0[0]
            .help
            .iter()
            .any(|h| h.contains("one event per filter")),
        "{d}"
    );
    let q = "sample by host.id [process where true] ![network where true]";
    at(q, 1, 40, "does not support missing-event stages");
}

#[test]
fn windows_line_endings_keep_positions_exact() {
    // TOML reads `\r\n` inside a multi-line string as `\n`: positions must still land on
    // the file's own line and column, in literal and basic strings alike
    for quotes in ["'''", "\"\"\""] {
        let file = format!(
            "[rule]\r\nname = \"T\"\r\nlanguage = \"eql\"\r\nquery = {quotes}\r\nprocess where true and\r\n  a == 1 and\r\n    lenght(b) > 1\r\n{quotes}\r\n"
        );
        let RuleOutcome::Failed {
            source,
            diagnostics,
        } = eqlc::compile_rule_file("w.toml", &file, &Options::default())
        else {
            panic!("should fail")
        };
        let out = diagnostics.render(&source);
        assert!(
            out.starts_with("w.toml:7:5: error: unknown function `lenght`"),
            "{quotes}: {out}"
        );
    }
}
