//! Runs the function cases of Elasticsearch's `test_string_functions.toml` (shared
//! conformance data) through `eqlc_runtime::func`.
//!
//! The data lives outside the crate: `$EQLC_SHARED` or `<manifest>/../../shared`. When
//! it is missing the test is skipped with a message, unless `CI=true`, where it fails.
//!
//! Where the file disagrees with Elasticsearch's code (it was inherited from the Python
//! implementation; eql-semantics.md §11), [`es_override`] gives the ES answer and says
//! why; everything else must match the file exactly.

use std::borrow::Cow;
use std::path::PathBuf;

use eqlc_runtime::func::{self, Val};

fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("EQLC_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    if dir.join("conformance").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "shared test data not found at {} (set EQLC_SHARED)",
            dir.display()
        );
    }
    eprintln!(
        "skipping: shared test data not found at {} (set EQLC_SHARED)",
        dir.display()
    );
    None
}

/// One `(expression, expected)` case; `expected` is the TOML text (`None` = null).
#[derive(Debug)]
struct Case {
    expr: String,
    expected: Option<String>,
}

/// Minimal reader for the file's shape: `[[x.fold.tests]]` / `[[x.tests]]` tables with
/// `expression = '...'` or `'''...'''` and `expected = ...` (absent or commented out =
/// null). `verifier` tables (compile errors) are skipped.
fn read_cases(text: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    let mut in_test = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("[[") {
            in_test = t.ends_with(".tests]]");
            continue;
        }
        if t.starts_with('[') {
            in_test = false;
            continue;
        }
        if !in_test {
            continue;
        }
        if let Some(rest) = t.strip_prefix("expression = ") {
            let e = if let Some(d) = rest.strip_prefix('"') {
                // basic TOML string: no escapes occur in this file's expressions
                d.strip_suffix('"').unwrap_or(d)
            } else {
                rest.trim_start_matches("'''")
                    .trim_end_matches("'''")
                    .trim_matches('\'')
            };
            out.push(Case {
                expr: e.to_owned(),
                expected: None,
            });
        } else if let Some(rest) = t.strip_prefix("expected = ") {
            if let Some(c) = out.last_mut() {
                c.expected = Some(rest.trim().to_owned());
            }
        }
    }
    out
}

/// Tiny evaluator for `name(args)` / `name~(args)` with literal or nested-call arguments.
struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expr(&mut self) -> Val<'static> {
        self.ws();
        let c = self.s[self.i];
        if c == b'"' {
            self.i += 1;
            let mut out = String::new();
            while self.s[self.i] != b'"' {
                if self.s[self.i] == b'\\' {
                    self.i += 1;
                }
                out.push(self.s[self.i] as char);
                self.i += 1;
            }
            self.i += 1;
            return Val::Str(Cow::Owned(out));
        }
        if c == b'-' || c == b'+' || c.is_ascii_digit() {
            let start = self.i;
            self.i += 1;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.')
            {
                self.i += 1;
            }
            let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
            return match t.parse::<i64>() {
                Ok(i) => Val::Int(i),
                Err(_) => Val::Float(t.parse().unwrap()),
            };
        }
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'~')
        {
            self.i += 1;
        }
        let name = std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .to_ascii_lowercase();
        match name.as_str() {
            "null" => return Val::Null,
            "true" => return Val::Bool(true),
            "false" => return Val::Bool(false),
            _ => {}
        }
        assert!(self.eat(b'('), "call expected in {:?}", self.s);
        let mut args = Vec::new();
        if !self.eat(b')') {
            loop {
                args.push(self.expr());
                if self.eat(b')') {
                    break;
                }
                assert!(self.eat(b','));
            }
        }
        call(&name, &args)
    }
}

fn arg<'a>(args: &'a [Val<'static>], i: usize) -> &'a Val<'static> {
    const NULL: Val<'static> = Val::Null;
    args.get(i).unwrap_or(&NULL)
}

fn call(name: &str, a: &[Val<'static>]) -> Val<'static> {
    let (base, ci) = match name.strip_suffix('~') {
        Some(b) => (b, true),
        None => (name, false),
    };
    match base {
        "between" => func::between(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), ci).into_owned(),
        "concat" => func::concat(a),
        "endswith" => func::ends_with(arg(a, 0), arg(a, 1), ci),
        "startswith" => func::starts_with(arg(a, 0), arg(a, 1), ci),
        "indexof" => func::index_of(arg(a, 0), arg(a, 1), arg(a, 2), ci),
        "length" => func::length(arg(a, 0)),
        "number" => func::number(arg(a, 0), arg(a, 1)),
        "string" => func::string(arg(a, 0)).into_owned(),
        "stringcontains" => func::string_contains(arg(a, 0), arg(a, 1), ci),
        "substring" => func::substring(arg(a, 0), arg(a, 1), arg(a, 2)).into_owned(),
        other => panic!("unknown function {other}"),
    }
}

fn expected_val(text: Option<&str>) -> Val<'static> {
    let Some(t) = text else { return Val::Null };
    if let Some(s) = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return Val::Str(Cow::Owned(s.to_owned()));
    }
    match t {
        "true" => Val::Bool(true),
        "false" => Val::Bool(false),
        _ => {
            let t = t.trim_start_matches('+');
            match t.parse::<i64>() {
                Ok(i) => Val::Int(i),
                Err(_) => Val::Float(t.parse().unwrap()),
            }
        }
    }
}

/// Cases where Elasticsearch's code answers differently from the file (which encodes
/// Python eql's behaviour): `Some(es_answer)`.
fn es_override(expr: &str) -> Option<Val<'static>> {
    let s = |x: &str| Some(Val::Str(Cow::Owned(x.to_owned())));
    let whole = "welcome to the planet";
    match expr {
        // `between`: left/right not found → "" in ES (Python: null)
        r#"between("welcome to the planet", "welcome", "village")"#
        | r#"between("welcome to the planet", "goodbye", "planet")"#
        | r#"between("welcome to the planet", "welcome", "x", false)"#
        | r#"between("welcome to the planet", "welcome", "x", true)"# => s(""),
        // `between`: an empty left or right returns the input unchanged in ES
        r#"between("welcome to the planet", "", "x", true)"#
        | r#"between("welcome to the planet", "", "", false)"#
        | r#"between("welcome to the planet", "", "planet", false)"# => s(whole),
        _ => None,
    }
}

#[test]
fn string_function_vectors() {
    let Some(dir) = shared_dir() else { return };
    let path = dir.join("conformance/elasticsearch/unit/test_string_functions.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases = read_cases(&text);
    assert!(cases.len() >= 80, "only {} cases read", cases.len());
    let mut overridden = 0;
    for c in &cases {
        let got = P {
            s: c.expr.as_bytes(),
            i: 0,
        }
        .expr();
        let want = match es_override(&c.expr) {
            Some(v) => {
                overridden += 1;
                v
            }
            None => expected_val(c.expected.as_deref()),
        };
        assert_eq!(got, want, "{}", c.expr);
    }
    assert_eq!(overridden, 7, "every documented deviation is exercised");
}
