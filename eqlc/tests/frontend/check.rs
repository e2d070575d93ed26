//! Checker: the IR produced for each construct, and what is rejected.

use std::sync::Arc;

use eqlc::ir::*;
use eqlc::schema::Schema;
use eqlc::Options;

fn compile(text: &str) -> Query {
    eqlc::compile_query(text, &Options::default()).unwrap_or_else(|d| panic!("{text}: {d}"))
}

fn cond(text: &str) -> Expr {
    match compile(&format!("any where {text}")).body {
        Body::Event(s) => s.condition,
        other => panic!("{other:?}"),
    }
}

fn rejected(text: &str) -> String {
    match eqlc::compile_query(text, &Options::default()) {
        Ok(q) => panic!("accepted: {text}\n{q:?}"),
        Err(d) => d.to_string(),
    }
}

fn field_path(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Field(f) => &f.path,
        other => panic!("not a field: {other:?}"),
    }
}

#[test]
fn not_equal_is_not_of_equal_and_null_checks_are_isnull() {
    let e = cond("a != 1");
    let ExprKind::Not(inner) = &e.kind else {
        panic!()
    };
    let ExprKind::Compare {
        op: CmpOp::Eq,
        lhs,
        rhs,
    } = &inner.kind
    else {
        panic!()
    };
    assert_eq!(field_path(lhs), "a");
    assert_eq!(rhs.kind, ExprKind::Literal(Literal::Int(1)));
    assert_eq!(e.span, 10..16);
    for t in ["a == null", "null == a"] {
        let ExprKind::IsNull(x) = &cond(t).kind else {
            panic!("{t}")
        };
        assert_eq!(field_path(x), "a");
    }
    for t in ["a != null", "null != a"] {
        let ExprKind::Not(x) = &cond(t).kind else {
            panic!("{t}")
        };
        assert!(matches!(x.kind, ExprKind::IsNull(_)));
    }
    // Ordering with null stays a comparison (folds to null).
    assert!(matches!(
        cond("a < null").kind,
        ExprKind::Compare { op: CmpOp::Lt, .. }
    ));
}

#[test]
fn in_lists() {
    let e = cond(r#"a not in ("x", null, -1, 2.5)"#);
    let ExprKind::Not(inner) = &e.kind else {
        panic!()
    };
    let ExprKind::In {
        list,
        case_insensitive,
        ..
    } = &inner.kind
    else {
        panic!()
    };
    assert!(!case_insensitive);
    assert_eq!(
        list,
        &vec![
            Literal::Str("x".into()),
            Literal::Int(-1),
            Literal::Float(2.5)
        ]
    );
    let ExprKind::In {
        case_insensitive, ..
    } = cond(r#"a in~ ("x")"#).kind
    else {
        panic!()
    };
    assert!(case_insensitive);
    rejected("any where a in (b)");
    rejected("any where a in (1 + 1)");
    rejected("any where a in~ (1)");
}

#[test]
fn pattern_operators() {
    for (t, ci, n) in [
        (r#"a : "x""#, true, 1),
        (r#"a : ("x*", "y?")"#, true, 2),
        (r#"a like "x*""#, false, 1),
        (r#"a like~ ("x*")"#, true, 1),
    ] {
        let ExprKind::Like {
            patterns,
            case_insensitive,
            ..
        } = cond(t).kind
        else {
            panic!("{t}")
        };
        assert_eq!((case_insensitive, patterns.len()), (ci, n), "{t}");
    }
    let ExprKind::Regex {
        patterns,
        case_insensitive,
        ..
    } = cond(r#"a regex~ ("a.*", """\d""")"#).kind
    else {
        panic!()
    };
    assert!(case_insensitive);
    assert_eq!(patterns, ["a.*", r"\d"]);
    rejected("any where a : 1");
    rejected("any where a like b");
    rejected("any where a regex (\"x\", null)");
    rejected("any where 1 : \"x\"");
}

#[test]
fn logic_is_flattened_and_typed() {
    let e = cond("a == 1 and (b == 2 and c == 3) or d");
    let ExprKind::Or(v) = &e.kind else { panic!() };
    let ExprKind::And(w) = &v[0].kind else {
        panic!()
    };
    assert_eq!(w.len(), 3);
    assert_eq!(e.ty, Type::Bool);
    assert_eq!(field_path(&v[1]), "d");
    rejected("any where \"x\"");
    rejected("any where 1 and true");
    rejected("any where not 1");
}

#[test]
fn literals_arithmetic_and_types() {
    let e = cond("a + 1 * 2.0 > -3");
    let ExprKind::Compare { lhs, rhs, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(lhs.ty, Type::Any);
    let ExprKind::Arith {
        op: ArithOp::Add,
        rhs: r,
        ..
    } = &lhs.kind
    else {
        panic!()
    };
    assert_eq!(r.ty, Type::Float);
    assert!(matches!(rhs.kind, ExprKind::Neg(_)));
    assert_eq!(rhs.ty, Type::Integer);
    rejected("any where \"a\" + 1 == 2");
    rejected("any where 1 == \"a\"");
    rejected("any where true < 1");
}

#[test]
fn field_to_field_comparisons_are_rejected() {
    let m = rejected("any where a == b");
    assert!(
        m.contains("comparisons against fields are not (currently) supported"),
        "{m}"
    );
    rejected("any where length(a) == length(b)");
    rejected("any where a + 1 < b");
    // A constant side is fine, and function arguments may be fields.
    cond("length(a) - 1 == 5");
    cond(r#"concat(a, b) == "x""#);
}

#[test]
fn functions() {
    let ExprKind::Call {
        func,
        args,
        case_insensitive,
    } = cond(r#"STARTSWITH~(a, "x")"#).kind
    else {
        panic!()
    };
    assert_eq!(func, Func::StartsWith);
    assert!(case_insensitive);
    assert_eq!(args.len(), 2);
    for ok in [
        "add(a, 1) == 2",
        "between(a, \"x\", \"y\") == \"z\"",
        "between(a, \"x\", \"y\", true) == \"z\"",
        "cidrMatch(ip, \"10.0.0.0/8\", \"::1\", \"fe80::/10\")",
        "concat(a, 1, true, null) == \"x\"",
        "divide(a, 2) == 1",
        "endsWith(a, \"x\")",
        "indexOf(a, \"x\", 2) == 1",
        "length(a) > 3",
        "modulo(a, 2) == 0",
        "multiply(a, 2.5) > 1",
        "number(a, 16) > 1",
        "string(a) == \"1\"",
        "stringContains~(a, \"x\")",
        "substring(a, 1, -1) == \"x\"",
        "subtract(a, 1) == 0",
        "between~(a, \"x\", \"y\") == \"z\"",
        "indexOf~(a, \"x\") == 0",
        "endsWith~(a, \"x\")",
    ] {
        cond(ok);
    }
    assert!(rejected("any where lenght(a) == 1").contains("did you mean `length`?"));
    assert!(rejected("any where arrayContains(a, \"x\")").contains("Python eql"));
    rejected("any where length~(a) == 1");
    rejected("any where concat~(a) == \"x\"");
    rejected("any where number(1) == 1");
    rejected("any where number(true) == 1");
    rejected("any where number() == 1");
    rejected("any where startsWith()");
    rejected("any where startsWith(1, \"FOO\")");
    rejected("any where startsWith(\"FOO\", 123)");
    rejected("any where substring(a, 1.5) == \"x\"");
    rejected("any where between(a, \"x\", \"y\", b) == \"z\"");
    rejected("any where cidrMatch(ip, b)");
    rejected("any where cidrMatch(ip, \"10.0.0.300/8\")");
    rejected("any where cidrMatch(ip, \"10.0.0.0/40\")");
    rejected("any where cidrMatch(ip)");
    rejected("any where length(a, b) == 1");
}

#[test]
fn sequences_merge_keys_and_convert_maxspan() {
    let q = compile(
        "sequence by h with maxspan=2m [process where true] by p [network where true] by q until [process where true] by r",
    );
    let Body::Sequence(s) = &q.body else { panic!() };
    assert_eq!(s.maxspan, Some(120_000_000_000));
    let keys = |st: &Stage| st.keys.iter().map(|k| k.path.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&s.stages[0]), ["h", "p"]);
    assert_eq!(keys(&s.stages[1]), ["h", "q"]);
    assert_eq!(keys(s.until.as_ref().expect("until")), ["h", "r"]);
    for (unit, ns) in [
        ("5ms", 5_000_000u64),
        ("5s", 5_000_000_000),
        ("5m", 300_000_000_000),
        ("5h", 18_000_000_000_000),
        ("5d", 432_000_000_000_000),
        // beyond u64 nanoseconds: saturated, as Java's `TimeUnit` converts (no two event
        // times are further apart)
        ("99999999999999999ms", u64::MAX),
        ("9223372036854775807d", u64::MAX),
    ] {
        let Body::Sequence(s) = compile(&format!(
            "sequence with maxspan={unit} [a where true] [b where true]"
        ))
        .body
        else {
            panic!()
        };
        assert_eq!(s.maxspan, Some(ns), "{unit}");
    }
    let Body::Sequence(s) = compile("sequence [a where true] with runs=3").body else {
        panic!()
    };
    assert_eq!(s.stages[0].runs, 3);
    let Body::Sequence(s) =
        compile("sequence with maxspan=1s ![a where true] [b where true] ![c where true]").body
    else {
        panic!()
    };
    assert_eq!(
        s.stages.iter().map(|s| s.missing).collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(q.category_field.path, "event.category");
}

#[test]
fn sequence_rules() {
    rejected("sequence with maxspan=5 [a where true] [b where true]");
    rejected("sequence with maxspan=1.5s [a where true] [b where true]");
    rejected("sequence with maxspan=0s [a where true] [b where true]");
    // not a Java long
    rejected("sequence with maxspan=9223372036854775808ms [a where true] [b where true]");
    rejected("sequence with maxspan=5x [a where true] [b where true]");
    rejected("sequence [a where true] with runs=0");
    rejected("sequence [a where true] with runs=101");
    rejected("sequence [a where true]");
    rejected("sequence [a where true] ![b where true]");
    rejected("sequence with maxspan=1s ![a where true] ![b where true]");
    rejected("sequence by a [x where true] by b [y where true]");
    rejected("sequence [x where true] by a [y where true]");
    rejected("sequence [x where true] [y where true] until [z where true] by a");
    rejected("sequence [x where true] [y where true] until [z where true] with runs=2");
    rejected("sample [a where true] [b where true] with runs=2");
    rejected("sample [a where true] ![b where true]");
    rejected("sample [a where true]");
    compile("sequence [a where true] with runs=2");
    compile("sample by x [a where true] [b where true]");
}

#[test]
fn pipes() {
    assert_eq!(
        compile("any where true | head 5 | tail 2").pipes,
        [Pipe::Head(5), Pipe::Tail(2)]
    );
    for p in [
        "unique a",
        "count",
        "filter a == 1",
        "sort a",
        "unique_count a",
        "head",
        "head -1",
        "head 1.5",
        "head a",
        "Head 1",
    ] {
        let m = rejected(&format!("any where true | {p}"));
        assert!(m.contains("pipe") || m.contains("head"), "{p}: {m}");
    }
    assert!(rejected("any where true | unique a").contains("unrecognized pipe"));
}

#[test]
fn schema_types_optional_fields_and_category_field() {
    let mut s = Schema::new();
    s.insert("ip", FieldType::Ip);
    s.insert("n", FieldType::Integer);
    s.insert("event.category", FieldType::Keyword);
    let opts = Options {
        category_field: "event.type".into(),
        schema: Some(Arc::new(s)),
    };
    let q = eqlc::compile_query("network where cidrMatch(ip, \"10.0.0.0/8\") and n > 1 and ?gone == null and ?n == 1 and other == 1", &opts)
        .expect("checks");
    assert_eq!(q.category_field.path, "event.type");
    let Body::Event(st) = &q.body else { panic!() };
    let ExprKind::And(v) = &st.condition.kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &v[0].kind else {
        panic!()
    };
    assert_eq!(args[0].ty, Type::Field(FieldType::Ip));
    let ExprKind::Compare { lhs, .. } = &v[1].kind else {
        panic!()
    };
    assert_eq!(lhs.ty, Type::Integer);
    let ExprKind::IsNull(x) = &v[2].kind else {
        panic!()
    };
    assert_eq!(x.kind, ExprKind::Literal(Literal::Null));
    let ExprKind::Compare { lhs, .. } = &v[3].kind else {
        panic!()
    };
    assert!(matches!(&lhs.kind, ExprKind::Field(f) if f.optional && f.ty == FieldType::Integer));
    let ExprKind::Compare { lhs, .. } = &v[4].kind else {
        panic!()
    };
    assert!(matches!(&lhs.kind, ExprKind::Field(f) if f.ty == FieldType::Unknown));
    // A schema-typed field against a constant of another type: a warning, not an error.
    let ast = eqlc::parse("any where n == \"x\"").expect("parses");
    let (ir, diags) = eqlc::check::check_with_warnings(&ast, &opts);
    assert!(ir.is_some());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags.0[0].severity, eqlc::diag::Severity::Warning);
}

#[test]
fn all_errors_of_a_query_are_reported() {
    let d = eqlc::compile_query(
        "sequence with maxspan=5 [a where lenght(x) == 1] [b where c == d] | unique x",
        &Options::default(),
    )
    .expect_err("rejected");
    assert_eq!(d.len(), 4, "{d}");
}

#[test]
fn regex_patterns_are_validated() {
    cond(r#"a regex """[a-z]+\.(exe|dll)""""#);
    let m = rejected(r#"any where a regex "(unclosed""#);
    assert!(m.contains("invalid regular expression"), "{m}");
}

#[test]
fn arithmetic_is_a_number_even_on_fields_of_unknown_type() {
    // `n + 1` yields a number whatever `n` holds: not a condition, not comparable with a
    // string
    assert!(
        rejected("process where n + 1").contains("the condition must be a boolean, found number")
    );
    assert!(rejected(r#"process where n + 1 > "x""#).contains("cannot compare number with string"));
    assert!(rejected(r#"process where n + 1 in ("a", "b")"#)
        .contains("cannot compare number with string"));
    compile("process where n + 1 > 2 and n * 2 < 5.5 and m % 3 == 1");
    compile("process where (n + 1) == null");
}
