//! Rule self-tests through a compiled pack: a rule file's `[[test]]` table gives NDJSON
//! events and the alerts the rule must give on them (each alert as the numbers, from 1,
//! of its events in stage order). `include_rules!` turns the tests of the rules it
//! compiles into a `#[test]` that calls [`check`]; the compiler's `eqlc::selftest` runs
//! the same tests with its reference interpreter and reuses these pieces.
//!
//! How a test runs: events are taken in `@timestamp` order (equal times in the order they
//! are written, as Elasticsearch breaks ties by document order); the pack is matched and
//! flushed; the alerts of the rule under test are compared with the expected ones as a
//! multiset (their order is not part of the expectation).

use serde_json::Value as Json;

use crate::{Event, EventRef, RulePack, SlotBuf};

/// A problem with a test's `events` text: the byte offset in the text where it is, and
/// what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsError {
    /// Byte offset in the `events` text.
    pub at: usize,
    /// What is wrong (for example `event 2 is not valid JSON: ...`).
    pub message: String,
}

/// Parse a test's `events`: one JSON object with a usable `@timestamp` per non-blank
/// line (Elasticsearch's EQL never returns a document without one).
///
/// # Errors
/// The first line that is not such an object.
pub fn parse_events(text: &str) -> Result<Vec<Json>, EventsError> {
    let mut events = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let at = start;
        start += line.len();
        if line.trim().is_empty() {
            continue;
        }
        let n = events.len() + 1;
        let lead = line.len() - line.trim_start().len();
        // without the line break, so that an event cut short is reported at its end
        let ev: Json = serde_json::from_str(line.trim_end()).map_err(|e| EventsError {
            // serde_json counts (1-based) columns within this one line
            at: at
                + e.column()
                    .saturating_sub(1)
                    .min(line.len().saturating_sub(1)),
            message: format!("event {n} is not valid JSON: {e}"),
        })?;
        let problem = if !ev.is_object() {
            Some("is not a JSON object")
        } else if ev.timestamp().is_none() {
            Some("has no usable `@timestamp`")
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(EventsError {
                at: at + lead,
                message: format!("event {n} {p}"),
            });
        }
        // a key repeated in one object: serde_json keeps the last value silently, a
        // detector refuses the line, as Elasticsearch refuses the document
        if let Err(e) = serde_json::from_str::<NoRepeatedKeys>(line.trim_end()) {
            return Err(EventsError {
                at: at
                    + e.column()
                        .saturating_sub(1)
                        .min(line.len().saturating_sub(1)),
                message: format!(
                    "event {n}: {e}; Elasticsearch refuses a document with a duplicate field"
                ),
            });
        }
        let mut ev = ev;
        // the values a detector sees: what the fields' mappings index (a `long` keeps the
        // integer part of 4.5, ...); a value they refuse keeps the event out of any index
        crate::mapping::index_document(&mut ev).map_err(|r| EventsError {
            at: at + lead,
            message: format!(
                "event {n}: `{}` holds {}, which its mapping (`{}`) refuses, so Elasticsearch would not index the event and a detector drops it as a bad line",
                r.path,
                r.value,
                r.ty.name()
            ),
        })?;
        events.push(ev);
    }
    Ok(events)
}

/// A JSON document read only to check that no object holds a key twice (serde_json's
/// `Value` keeps the last of them).
struct NoRepeatedKeys;

impl<'de> serde::Deserialize<'de> for NoRepeatedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NoRepeatedKeys;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<NoRepeatedKeys, E> {
                Ok(NoRepeatedKeys)
            }
            fn visit_bool<E>(self, _: bool) -> Result<NoRepeatedKeys, E> {
                Ok(NoRepeatedKeys)
            }
            fn visit_i64<E>(self, _: i64) -> Result<NoRepeatedKeys, E> {
                Ok(NoRepeatedKeys)
            }
            fn visit_u64<E>(self, _: u64) -> Result<NoRepeatedKeys, E> {
                Ok(NoRepeatedKeys)
            }
            fn visit_f64<E>(self, _: f64) -> Result<NoRepeatedKeys, E> {
                Ok(NoRepeatedKeys)
            }
            fn visit_str<E>(self, _: &str) -> Result<NoRepeatedKeys, E> {
                Ok(NoRepeatedKeys)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<NoRepeatedKeys, A::Error> {
                while a.next_element::<NoRepeatedKeys>()?.is_some() {}
                Ok(NoRepeatedKeys)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<NoRepeatedKeys, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(k) = m.next_key::<String>()? {
                    if seen.contains(&k) {
                        return Err(serde::de::Error::custom(format_args!(
                            "the key `{k}` is repeated in one object"
                        )));
                    }
                    m.next_value::<NoRepeatedKeys>()?;
                    seen.insert(k);
                }
                Ok(NoRepeatedKeys)
            }
        }
        d.deserialize_any(V)
    }
}

/// Events in the order a test feeds them: `(index, timestamp)` by timestamp, ties in
/// written order.
pub fn feed_order(events: &[Json]) -> Vec<(usize, i64)> {
    let mut order: Vec<(usize, i64)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (i, e.timestamp().unwrap_or(i64::MIN)))
        .collect();
    order.sort_by_key(|&(_, ts)| ts); // stable
    order
}

/// The event numbers (from 1) of one result whose [`EventRef::handle`]s are the events'
/// indexes: a missing-event stage's placeholder contributes none.
pub fn numbers(events: &[Option<EventRef>]) -> Vec<usize> {
    events
        .iter()
        .flatten()
        .map(|e| e.handle as usize + 1)
        .collect()
}

/// Run `events` through `pack` and collect the results of the rule with id `rule_id`
/// (numbers from 1 of each alert's events, in stage order).
pub fn run_pack<P: RulePack>(pack: &mut P, rule_id: &str, events: &[Json]) -> Vec<Vec<usize>> {
    let rule = pack.rules().iter().position(|r| r.rule_id == rule_id);
    let fields = pack.fields();
    let mut slots = SlotBuf::new(fields.len());
    let mut results = Vec::new();
    let mut out = |a: crate::Alert<'_>| {
        if Some(a.rule) == rule {
            results.push(numbers(a.events));
        }
    };
    for (i, ts) in feed_order(events) {
        slots.fill_from(&events[i], fields);
        let ev = EventRef {
            handle: i as u64,
            ts,
        };
        pack.on_event(&slots.view(""), ev, &mut out);
    }
    pack.flush(&mut out);
    results
}

/// Compare results with the expected alerts, as multisets.
///
/// # Errors
/// `expected [...], got [...]` with the alerts missing and the ones not expected.
pub fn compare(expect: &[Vec<usize>], got: &[Vec<usize>]) -> Result<(), String> {
    let mut want = expect.to_vec();
    let mut extra = Vec::new();
    for g in got {
        match want.iter().position(|w| w == g) {
            Some(i) => {
                want.swap_remove(i);
            }
            None => extra.push(g.clone()),
        }
    }
    if want.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut msg = format!("expected {expect:?}, got {got:?}");
    if !want.is_empty() {
        msg.push_str(&format!("\n  missing: {want:?}"));
    }
    if !extra.is_empty() {
        msg.push_str(&format!("\n  unexpected: {extra:?}"));
    }
    Err(msg)
}

/// Check that every expected alert names events of the test (numbers 1 to `n_events`).
///
/// # Errors
/// The first expected alert that is empty, names a number out of range, or names one
/// event twice (an event fills one place of an alert).
pub fn check_expect(expect: &[Vec<usize>], n_events: usize) -> Result<(), String> {
    for a in expect {
        if a.is_empty() {
            return Err("an expected alert lists no event".to_string());
        }
        if let Some(i) = a.iter().find(|&&i| i == 0 || i > n_events) {
            return Err(format!(
                "expected alert {a:?} names event {i}, but the test has events 1 to {n_events}"
            ));
        }
        if let Some((_, i)) = a.iter().enumerate().find(|(k, i)| a[..*k].contains(i)) {
            return Err(format!(
                "expected alert {a:?} names event {i} twice: one event takes one place in an alert"
            ));
        }
    }
    Ok(())
}

/// One self-test through a compiled pack: parse `events`, run them through `pack`, and
/// compare the alerts of rule `rule_id` with `expect`.
///
/// # Errors
/// A bad event or expectation, or the difference between expected and actual alerts.
pub fn check<P: RulePack>(
    pack: &mut P,
    rule_id: &str,
    events: &str,
    expect: &[&[usize]],
) -> Result<(), String> {
    let events = parse_events(events).map_err(|e| e.message)?;
    let expect: Vec<Vec<usize>> = expect.iter().map(|a| a.to_vec()).collect();
    check_expect(&expect, events.len())?;
    compare(&expect, &run_pack(pack, rule_id, &events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked_and_ordered_by_time() {
        let text = "{\"@timestamp\": 5}\n\n  {\"@timestamp\": \"1970-01-01T00:00:00.001Z\"}\n";
        let ev = parse_events(text).unwrap();
        assert_eq!(feed_order(&ev), vec![(1, 1_000_000), (0, 5_000_000)]);
        // an event cut short is reported at its end, not on the next line
        let e = parse_events("{\"@timestamp\": 1}\n{\"a\": 1\n").unwrap_err();
        assert_eq!(e.at, 18 + 6); // under its last character
        assert!(e.message.contains("EOF while parsing"), "{e:?}");
        let e = parse_events("{\"@timestamp\": 1}\n{\"a\": x}\n").unwrap_err();
        assert_eq!(e.at, 18 + 6);
        assert!(e.message.starts_with("event 2 is not valid JSON"), "{e:?}");
        let e = parse_events("{\"@timestamp\": 1}\n  [1]\n").unwrap_err();
        assert_eq!(
            (e.at, e.message.as_str()),
            (20, "event 2 is not a JSON object")
        );
        let e = parse_events("{\"a\": 1}").unwrap_err();
        assert_eq!(e.message, "event 1 has no usable `@timestamp`");
        // a key repeated in one object (escaped or not) refuses the event
        let e = parse_events("{\"@timestamp\": 1, \"a\": {\"b\": 1, \"\\u0062\": 2}}").unwrap_err();
        assert!(
            e.message
                .starts_with("event 1: the key `b` is repeated in one object at line 1 column"),
            "{e:?}"
        );
        assert!(parse_events("{\"@timestamp\": 1, \"a\": {\"b\": 1}, \"c\": {\"b\": 2}}").is_ok());
        // values as the fields' mappings index them, or the event refused
        let ev = parse_events("{\"@timestamp\": 1, \"process\": {\"pid\": 4.5}}").unwrap();
        assert_eq!(ev[0]["process"]["pid"], 4);
        let e = parse_events("{\"@timestamp\": 1}\n {\"@timestamp\": 2, \"source.ip\": \"x\"}")
            .unwrap_err();
        assert_eq!(e.at, 19);
        assert!(
            e.message
                .starts_with("event 2: `source.ip` holds \"x\", which its mapping (`ip`) refuses"),
            "{e:?}"
        );
    }

    #[test]
    fn expectations_name_distinct_events_of_the_test() {
        assert!(check_expect(&[vec![1, 2], vec![2]], 2).is_ok());
        assert!(check_expect(&[vec![]], 2)
            .unwrap_err()
            .contains("lists no event"));
        assert!(check_expect(&[vec![3]], 2)
            .unwrap_err()
            .contains("names event 3, but the test has events 1 to 2"));
        assert!(check_expect(&[vec![0]], 2)
            .unwrap_err()
            .contains("names event 0"));
        assert!(check_expect(&[vec![1, 1]], 2)
            .unwrap_err()
            .contains("names event 1 twice"));
    }

    #[test]
    fn comparison_is_as_multisets() {
        assert!(compare(&[vec![1, 2], vec![3]], &[vec![3], vec![1, 2]]).is_ok());
        let e = compare(&[vec![1]], &[vec![1], vec![1]]).unwrap_err();
        assert!(
            e.contains("unexpected: [[1]]") && !e.contains("missing"),
            "{e}"
        );
        let e = compare(&[vec![1, 2]], &[]).unwrap_err();
        assert_eq!(e, "expected [[1, 2]], got []\n  missing: [[1, 2]]");
    }
}
