//! Parser: one test per construct, with exact spans.

use eqlc::ast::*;
use eqlc::parse::{parse_expression, parse_query};

fn expr(text: &str) -> Expr {
    parse_expression(text).unwrap_or_else(|d| panic!("{text}: {d}"))
}

fn event(text: &str) -> Subquery {
    match parse_query(text)
        .unwrap_or_else(|d| panic!("{text}: {d}"))
        .body
    {
        Body::Event(s) => s,
        other => panic!("not an event query: {other:?}"),
    }
}

fn string_value(text: &str) -> String {
    match expr(text).kind {
        ExprKind::Literal(Literal::Str(s)) => s,
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn event_query_spans() {
    let s = event("process where true");
    assert_eq!(s.category.kind, CategoryKind::Name("process".into()));
    assert_eq!(s.category.span, 0..7);
    assert_eq!(s.condition.span, 14..18);
    assert_eq!(s.span, 0..18);
    assert_eq!(event("any where true").category.kind, CategoryKind::Any);
    let q = event(r#""my-cat" where true"#);
    assert_eq!(q.category.kind, CategoryKind::Name("my-cat".into()));
    assert_eq!(q.category.span, 0..8);
    let q = event(r#""""x y""" where true"#);
    assert_eq!(q.category.kind, CategoryKind::Name("x y".into()));
}

#[test]
fn fields_dotted_quoted_optional() {
    let e = expr("process.parent.name");
    assert_eq!(e.span, 0..19);
    let ExprKind::Field(f) = e.kind else { panic!() };
    assert_eq!(f.segments, ["process", "parent", "name"]);
    assert!(!f.optional);
    let ExprKind::Field(f) = expr("?user.id").kind else {
        panic!()
    };
    assert!(f.optional);
    assert_eq!(f.span, 0..8);
    assert_eq!(f.path(), "user.id");
    let ExprKind::Field(f) = expr("a.`0`.`x``y`.sequence").kind else {
        panic!()
    };
    assert_eq!(f.segments, ["a", "0", "x`y", "sequence"]);
    let ExprKind::Field(f) = expr("`kubernetes.io/pod-name`").kind else {
        panic!()
    };
    assert_eq!(f.path(), "kubernetes.io/pod-name");
    let ExprKind::Field(f) = expr("@timestamp").kind else {
        panic!()
    };
    assert_eq!(f.path(), "@timestamp");
    // Keywords are reserved as first segments.
    assert!(parse_expression("sequence.x == 1").is_err());
    assert!(parse_expression("`sequence` == 1").is_ok());
}

#[test]
fn strings_and_escapes() {
    assert_eq!(string_value(r#""a\"b\\c\n\t\r""#), "a\"b\\c\n\t\r");
    assert_eq!(string_value(r#""\u{41}\u{1F600}\u{000000e9}""#), "A😀é");
    assert_eq!(string_value(r#""""C:\Windows\x""""#), r"C:\Windows\x");
    assert_eq!(string_value(r#""""a"""""#), "a\"");
    assert_eq!(string_value(r#""""a""""""#), "a\"\"");
    assert_eq!(string_value(r#""""""""#), "");
    assert_eq!(string_value(r#""""#), "");
    assert!(parse_expression(r#""\u{4}""#).is_err(), "one hex digit");
    assert!(
        parse_expression(r#""\u{123456789}""#).is_err(),
        "nine hex digits"
    );
    assert!(parse_expression(r#""\u{D800}""#).is_err(), "surrogate");
    assert!(parse_expression(r#""\d""#).is_err(), "unknown escape");
    assert!(parse_expression("\"a\nb\"").is_err(), "raw newline");
    assert!(parse_expression("'a'").is_err());
    assert!(parse_expression("?\"a\"").is_err());
    assert!(parse_expression("?'a'").is_err());
}

#[test]
fn numbers_and_constants() {
    let num = |t: &str| match expr(t).kind {
        ExprKind::Literal(Literal::Number(n)) => n,
        other => panic!("{t}: {other:?}"),
    };
    assert_eq!(num("42"), Number::Int(42));
    assert_eq!(num("1.5"), Number::Float(1.5));
    assert_eq!(num(".5"), Number::Float(0.5));
    assert_eq!(num("1."), Number::Float(1.0));
    assert_eq!(num("1e3"), Number::Float(1000.0));
    assert_eq!(num("2.5E-2"), Number::Float(0.025));
    assert!(parse_expression("99999999999999999999").is_err());
    assert!(parse_expression("1e999").is_err());
    assert_eq!(expr("true").kind, ExprKind::Literal(Literal::Bool(true)));
    assert_eq!(expr("false").kind, ExprKind::Literal(Literal::Bool(false)));
    assert_eq!(expr("null").kind, ExprKind::Literal(Literal::Null));
    let e = expr("-5");
    assert_eq!(e.span, 0..2);
    assert!(matches!(
        e.kind,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            ..
        }
    ));
    assert!(matches!(
        expr("+5").kind,
        ExprKind::Unary {
            op: UnaryOp::Plus,
            ..
        }
    ));
}

#[test]
fn operators_and_precedence() {
    // or < and < not < comparison < + - < * / % < unary
    let e = expr("a == 1 or b == 2 and not c == 3");
    let ExprKind::Or(v) = &e.kind else { panic!() };
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].span, 0..6);
    let ExprKind::And(w) = &v[1].kind else {
        panic!()
    };
    assert!(matches!(w[1].kind, ExprKind::Not(_)));
    assert_eq!(w[1].span, 21..31);
    let e = expr("a + 2 * 3 - 1 < 10");
    let ExprKind::Compare {
        op, op_span, lhs, ..
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(*op, CompareOp::Lt);
    assert_eq!(*op_span, 14..15);
    let ExprKind::Arith {
        op: ArithOp::Sub,
        lhs: l2,
        ..
    } = &lhs.kind
    else {
        panic!()
    };
    assert!(matches!(
        l2.kind,
        ExprKind::Arith {
            op: ArithOp::Add,
            ..
        }
    ));
    for (text, op) in [
        ("a == 1", CompareOp::Eq),
        ("a != 1", CompareOp::Ne),
        ("a < 1", CompareOp::Lt),
        ("a <= 1", CompareOp::Le),
        ("a > 1", CompareOp::Gt),
        ("a >= 1", CompareOp::Ge),
    ] {
        assert!(
            matches!(expr(text).kind, ExprKind::Compare { op: o, .. } if o == op),
            "{text}"
        );
    }
    let e = expr("a % 2 / 3");
    assert!(matches!(
        e.kind,
        ExprKind::Arith {
            op: ArithOp::Div,
            ..
        }
    ));
    assert!(parse_expression("a = 1").is_err());
    assert!(parse_expression("a < b < c").is_err());
}

#[test]
fn in_like_regex() {
    let e = expr(r#"a not in~ ("x", "y")"#);
    assert_eq!(e.span, 0..20);
    let ExprKind::In {
        negated,
        insensitive,
        op_span,
        list,
        ..
    } = &e.kind
    else {
        panic!()
    };
    assert!(*negated && *insensitive);
    assert_eq!(*op_span, 2..9);
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].span, 16..19);
    for (t, neg, ins) in [
        ("a in (1)", false, false),
        ("a in~ (\"a\")", false, true),
        ("a not in (1, 2)", true, false),
    ] {
        assert!(
            matches!(expr(t).kind, ExprKind::In { negated, insensitive, .. } if negated == neg && insensitive == ins),
            "{t}"
        );
    }
    for (t, op, n, list) in [
        (r#"a : "x*""#, MatchOp::Colon, 1, false),
        (r#"a : ("x*", "y")"#, MatchOp::Colon, 2, true),
        (r#"a like "x""#, MatchOp::Like, 1, false),
        (r#"a like~ ("x")"#, MatchOp::LikeInsensitive, 1, true),
        (r#"a regex """.*""""#, MatchOp::Regex, 1, false),
        (r#"a regex~ ("a", "b")"#, MatchOp::RegexInsensitive, 2, true),
    ] {
        let ExprKind::Match {
            op: o,
            patterns,
            list: l,
            ..
        } = expr(t).kind
        else {
            panic!("{t}")
        };
        assert_eq!((o, patterns.len(), l), (op, n, list), "{t}");
    }
    let e = expr(r#"process.name : "a""#);
    let ExprKind::Match { op_span, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(*op_span, 13..14);
}

#[test]
fn function_calls() {
    let e = expr(r#"startsWith~(a, "x")"#);
    assert_eq!(e.span, 0..19);
    let ExprKind::Call {
        name,
        name_span,
        insensitive,
        args,
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(name, "startsWith");
    assert_eq!(*name_span, 0..11);
    assert!(*insensitive);
    assert_eq!(args[1].span, 15..18);
    let ExprKind::Call { name, args, .. } = expr("CIDRMATCH(ip, \"10.0.0.0/8\")").kind else {
        panic!()
    };
    assert_eq!(name, "CIDRMATCH");
    assert_eq!(args.len(), 2);
    assert!(matches!(expr("concat()").kind, ExprKind::Call { ref args, .. } if args.is_empty()));
    // The `~` must be glued to the name.
    assert!(parse_expression("startsWith ~(a, \"x\")").is_err());
}

#[test]
fn comments() {
    let s = event("process /* a /* nested */ comment */ where // line\n true");
    assert_eq!(s.condition.span, 52..56);
    assert!(parse_query("process where true /* unclosed").is_err());
}

#[test]
fn sequences() {
    let text = "sequence by host.id with maxspan=30s\n  [process where true] by process.pid with runs=2\n  ![network where false]\nuntil [process where true] by process.pid";
    let Body::Sequence(s) = parse_query(text).expect("parses").body else {
        panic!()
    };
    assert_eq!(s.by.len(), 1);
    assert_eq!(s.by[0].span, 12..19);
    let m = s.maxspan.as_ref().expect("maxspan");
    assert_eq!((m.amount.as_str(), m.unit.as_deref()), ("30", Some("s")));
    assert_eq!(m.span, 33..36);
    assert_eq!(s.stages.len(), 2);
    assert_eq!(s.stages[0].span, 39..86);
    assert_eq!(s.stages[0].by[0].path(), "process.pid");
    let r = s.stages[0].runs.as_ref().expect("runs");
    assert_eq!((r.value, r.span.clone()), (Number::Int(2), 85..86));
    assert!(s.stages[1].missing);
    assert_eq!(s.stages[1].span, 89..111);
    let u = s.until.expect("until");
    assert_eq!(u.by.len(), 1);
    // maxspan without unit and sequence without by still parse (the checker decides).
    assert!(parse_query("sequence with maxspan=5 [a where true] [b where true]").is_ok());
    assert!(parse_query("sequence [a where true] [b where true]").is_ok());
    // `by` after `with maxspan` is rejected.
    assert!(parse_query("sequence with maxspan=1s by a [a where true] [b where true]").is_err());
}

#[test]
fn samples_and_pipes() {
    let q = parse_query("sample by host.id [a where true] [b where true] by x | head 3 | tail 1")
        .expect("parses");
    let Body::Sample(s) = &q.body else { panic!() };
    assert_eq!(s.by[0].path(), "host.id");
    assert_eq!(s.stages.len(), 2);
    assert_eq!(q.pipes.len(), 2);
    assert_eq!(q.pipes[0].name, "head");
    assert_eq!(q.pipes[0].name_span, 55..59);
    assert_eq!(q.pipes[1].span, 62..70);
    assert!(parse_query("sample with maxspan=1s [a where true] [b where true]").is_err());
    assert!(parse_query("sample [a where true] [b where true] until [c where true]").is_err());
    assert!(parse_query("join [a where true] [b where true]").is_err());
}

#[test]
fn keywords_are_lower_case_and_reserved() {
    assert!(parse_query("process WHERE true").is_err());
    assert!(parse_query("process where a == 1 AND b == 2").is_err());
    assert!(parse_query("where where true").is_err());
    // `runs` is not reserved.
    assert!(parse_query("process where runs == 1").is_ok());
}

#[test]
fn printer_round_trips() {
    for text in [
        r#"process where a == "x\"y\\z" and (b or c) and not d : ("a*", "b") | head 1"#,
        "any where -(-1) == +2 and a + (b - c) * 2 > 1 % 3",
        "sequence by a with maxspan=1.5s [x where true] by b with runs=3 ![y where false] until [z where true] by c",
        "sample by k [\"my cat\" where a in~ (\"x\")] [b where ?c.`d-e` not in (1, 2.5, null)]",
        r#"any where startsWith~(a, """raw\path""") or `and` == 2"#,
    ] {
        let a = parse_query(text).unwrap_or_else(|d| panic!("{text}: {d}"));
        let printed = a.to_string();
        let b = parse_query(&printed).unwrap_or_else(|d| panic!("{printed}: {d}"));
        assert!(a.same_as(&b), "{text}\n{printed}");
    }
}
