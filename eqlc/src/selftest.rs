//! Rule self-tests: `[[test]]` tables in rule files ([`TestCase`]) and what runs them.
//!
//! A test lists events (NDJSON) and the alerts the rule must give on them. `eqlc test`
//! runs every test of every rule without compiling Rust: [`run_query`] evaluates the
//! checked IR with the reference interpreter ([`crate::interp`]) and drives the runtime's
//! own sequence and sample engines with the results, so a test exercises the same join,
//! `maxspan`, `until`, `runs` and missing-stage logic as a built detector. [`run_pack`]
//! (from `eqlc_runtime::selftest`) runs a test through a compiled pack instead (generated
//! code), as the `#[test]` that `include_rules!` emits for a folder's tests does: the
//! bundled rules' tests run both ways, so each also checks that the two engines agree.
//!
//! How a test is run:
//! * events are taken in `@timestamp` order (events with equal timestamps in the order
//!   they are written: Elasticsearch breaks such ties by document order, the detector by
//!   arrival); an event without a usable `@timestamp` is an error in the test, as
//!   Elasticsearch's EQL never returns such a document;
//! * each event's values are those its fields' mappings index, as a built detector's
//!   decoder reads them (`eqlc_runtime::mapping`: a `long` keeps the integer part of
//!   `4.5`, a numeric string is its number); an event holding a value its mapping refuses
//!   (`source.ip: "x"`) is an error in the test, as Elasticsearch never indexes it;
//! * the rule's exception items apply (they are part of its checked query);
//! * `| head N` / `| tail N` keep the first / last N results;
//! * alerts are compared as a multiset of event-number lists (their order is not part of
//!   the expectation), each list in stage order; the detector's per-run alert cap
//!   (`max_signals`) does not apply.

use eqlc_runtime::record::json_field_values;
use eqlc_runtime::sample::{SampleEngine, SampleSpec};
pub use eqlc_runtime::selftest::run_pack;
use eqlc_runtime::selftest::{self, feed_order, numbers};
use eqlc_runtime::sequence::{SequenceEngine, SequenceSpec, StageInput, StageSpec};
use eqlc_runtime::{EventRef, Value};
use serde_json::Value as Json;

use crate::diag::Diagnostic;
use crate::ir::{Body, Pipe, Query, Stage};
pub use crate::rule_file::TestCase;
use crate::source::Source;

/// Pending join keys a sequence or sample engine keeps while running a test (tests hold a
/// handful of events; this only has to be more than any test needs).
const TEST_CAPACITY: usize = 1 << 16;

/// A rule's `[[test]]` with the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTest {
    /// The test.
    pub case: TestCase,
    /// The rule file, with offsets of the `events` text mapped to the file's.
    pub source: Source,
}

impl RuleTest {
    /// 1-based line in the rule file of the test's `expect` value.
    pub fn line(&self) -> usize {
        crate::source::line_col(&self.source.text, self.case.expect_span.start).0
    }

    /// A diagnostic at file offsets (not `events` offsets), rendered.
    fn file_error(&self, span: std::ops::Range<usize>, msg: String, help: &str) -> String {
        Diagnostic::error(span, msg)
            .with_help(help)
            .render(&Source::inline(
                self.source.name.clone(),
                self.source.text.clone(),
            ))
    }

    /// Parse the `events` text (one JSON object per non-blank line, each with a usable
    /// `@timestamp`) and check `expect` against the number of events.
    ///
    /// # Errors
    /// The first bad event or expectation, rendered at its place in the rule file.
    pub fn events(&self) -> Result<Vec<Json>, String> {
        let name = &self.case.name;
        let events = selftest::parse_events(&self.case.events).map_err(|e| {
            Diagnostic::error(e.at..e.at + 1, format!("test `{name}`: {}", e.message))
                .with_help(
                    "write one JSON object per line, each with an `@timestamp` (RFC 3339 text or epoch milliseconds)",
                )
                .render(&self.source)
        })?;
        selftest::check_expect(&self.case.expect, events.len()).map_err(|e| {
            self.file_error(
                self.case.expect_span.clone(),
                format!("test `{name}`: {e}"),
                "each expected alert lists the numbers (from 1) of its events",
            )
        })?;
        Ok(events)
    }

    /// Compare results with `expect` (as multisets): `Err` describes the difference.
    ///
    /// # Errors
    /// Alerts missing or unexpected.
    pub fn compare(&self, got: &[Vec<usize>]) -> Result<(), String> {
        selftest::compare(&self.case.expect, got).map_err(|e| {
            format!(
                "{}:{}: test `{}`: {e}",
                self.source.name,
                self.line(),
                self.case.name
            )
        })
    }
}

fn values_of<'a>(ev: &'a Json, path: &str) -> Vec<Value<'a>> {
    let mut out = Vec::new();
    json_field_values(ev, path, &mut |v| out.push(v));
    out
}

/// Whether `ev` passes a stage ([`crate::interp::stage_matches`]).
fn stage_matches(q: &Query, st: &Stage, ev: &Json) -> bool {
    crate::interp::stage_matches(st, &q.category_field.path, &|p| values_of(ev, p))
}

/// One event as the engines see it: filter `f` is `filters[f]`.
struct Input<'a> {
    q: &'a Query,
    filters: &'a [&'a Stage],
    ev: &'a Json,
}

impl StageInput for Input<'_> {
    fn matches(&self, f: usize) -> bool {
        stage_matches(self.q, self.filters[f], self.ev)
    }
    fn key_values(&self, f: usize, k: usize, out: &mut dyn FnMut(Value<'_>)) {
        json_field_values(self.ev, &self.filters[f].keys[k].path, &mut |v| out(v));
    }
    fn key_optional(&self, f: usize, k: usize) -> bool {
        self.filters[f].keys[k].optional
    }
}

/// Run a checked query over `events` with the reference interpreter and the runtime's
/// engines: one entry per result, the numbers (from 1) of its events in stage order.
///
/// The engine specs are built per call; their stage lists are leaked (a few bytes per
/// sequence or sample query), as the runtime's specs are `'static` tables.
pub fn run_query(q: &Query, events: &[Json]) -> Vec<Vec<usize>> {
    let order = feed_order(events);
    let mut results: Vec<Vec<usize>> = Vec::new();
    let at = |i: usize, ts: i64| EventRef {
        handle: i as u64,
        ts,
    };
    match &q.body {
        Body::Event(st) => {
            for &(i, _) in &order {
                if stage_matches(q, st, &events[i]) {
                    results.push(vec![i + 1]);
                }
            }
        }
        Body::Sequence(seq) => {
            let mut filters: Vec<&Stage> = Vec::new();
            let mut stages = Vec::new();
            for st in &seq.stages {
                for _ in 0..st.runs.max(1) {
                    stages.push(StageSpec {
                        filter: filters.len(),
                        missing: st.missing,
                    });
                }
                filters.push(st);
            }
            let until_filter = seq.until.as_ref().map(|u| {
                filters.push(u);
                filters.len() - 1
            });
            let spec = SequenceSpec {
                stages: Box::leak(stages.into_boxed_slice()),
                keys: seq.stages.first().map_or(0, |s| s.keys.len()),
                maxspan: seq.maxspan,
                until_filter,
            };
            let mut engine = SequenceEngine::new(&spec, TEST_CAPACITY);
            let mut out =
                |m: eqlc_runtime::sequence::SequenceMatch<'_>| results.push(numbers(m.events));
            for &(i, ts) in &order {
                let input = Input {
                    q,
                    filters: &filters,
                    ev: &events[i],
                };
                engine.on_event(at(i, ts), &input, &mut out);
            }
            engine.flush(&mut out);
        }
        Body::Sample(sample) => {
            let filters: Vec<&Stage> = sample.stages.iter().collect();
            let spec = SampleSpec {
                filters: Box::leak((0..filters.len()).collect::<Vec<_>>().into_boxed_slice()),
                keys: sample.stages.first().map_or(0, |s| s.keys.len()),
            };
            // the knobs of a pack built with `with_capacity`: every sample, one per key
            let mut engine = SampleEngine::new(&spec, TEST_CAPACITY, usize::MAX, 1);
            for &(i, ts) in &order {
                let input = Input {
                    q,
                    filters: &filters,
                    ev: &events[i],
                };
                engine.on_event(at(i, ts), &input);
            }
            engine.flush(&mut |m| results.push(numbers(m.events)));
        }
    }
    for p in &q.pipes {
        match *p {
            Pipe::Head(n) => results.truncate(usize::try_from(n).unwrap_or(usize::MAX)),
            Pipe::Tail(n) => {
                let keep = usize::try_from(n).unwrap_or(usize::MAX);
                let drop = results.len().saturating_sub(keep);
                results.drain(..drop);
            }
        }
    }
    results
}
