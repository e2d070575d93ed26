//! The `sample` engine (`sample by k... [f1] [f2] ...`), as `eql-semantics.md` §8.
//!
//! A sample is one event per filter, all sharing the same join-key tuple, in any time
//! order (no timestamps involved). Generated code describes the query with a
//! [`SampleSpec`], builds one [`SampleEngine`] per rule, calls [`SampleEngine::on_event`]
//! for every event (with the same [`StageInput`] trait as sequences: `matches(f)` for
//! filter `f`, `key_values(f, k)` for key field `k` of filter `f`) and
//! [`SampleEngine::flush`] at the end of input.
//!
//! # Results are emitted at flush
//!
//! Elasticsearch returns samples in ascending order of their key tuple (a composite
//! aggregation over the keys), which is only known at the end of input, so every sample
//! is emitted from [`SampleEngine::flush`], ordered by key ([`Key`]'s `Ord`: `null` first,
//! then booleans, numbers, strings byte-wise; but a key field whose values were all JSON
//! strings is a keyword field, whose keys sort as text, `"1000"` before `"999"`), events
//! in filter order. At most `size` samples are emitted in total (the first ones in key
//! order; the API's `size`).
//!
//! # Which events (inferred from Elasticsearch's `SampleIterator`)
//!
//! For each key tuple ES fetches, per filter, a handful of matching documents (no
//! sorting: index order) and then enumerates combinations depth-first, filter 1
//! outermost, skipping combinations that would use the **same event twice**, until it
//! has `max_samples_per_key` samples for that key. This engine does the same with
//! arrival order standing in for index order: per key and filter it keeps the first
//! `filters × max_samples_per_key` matching events (the documented ES fetch size per
//! filter is the number of filters; the `max_samples_per_key` factor is inferred so that
//! `max_samples_per_key` samples can be found), and at flush builds up to
//! `max_samples_per_key` samples per key by that depth-first enumeration. This reproduces
//! one of the accepted answers of every case of `test_sample.toml` and
//! `test_sample_multi.toml` (e.g. lists `[1,2,4]` and `[3]` with
//! `max_samples_per_key = 2` give `[1,3]`, `[2,3]`).
//!
//! # Join keys
//!
//! As for sequences (§7.3): each distinct non-null element of a multi-valued key field
//! is a key value, several key fields combine as a cartesian product, and a key field
//! without a non-null value excludes the event from that filter unless it is optional
//! (`?field`), in which case it is the key value `null`.
//!
//! # Bounded state
//!
//! At most `capacity` key tuples are tracked, each with at most
//! `filters² × max_samples_per_key` event references; an event with a new key when all
//! `capacity` keys are in use is ignored for that key and counted in
//! [`SampleStats::rejected_keys`] (a sample needs the whole input, so no key can be
//! evicted safely). The per-key state lives in flat arrays (key bytes, event lists,
//! counts) that grow by doubling and are kept, emptied, across [`SampleEngine::flush`]:
//! `on_event` allocates only when more keys are tracked at once than ever before (and
//! then only at a doubling), never for an event of a known key.

use crate::pack::{EventRef, PackStats};
use crate::sequence::{cmp_key_as_mapped, Key, KeyScratch, StageInput};
use core::hash::BuildHasher;
use hashbrown::HashTable;

/// Static description of one `sample` query, built by generated code.
#[derive(Debug, Clone, Copy)]
pub struct SampleSpec {
    /// The filter index of each `[ ... ]` block, in query order.
    pub filters: &'static [usize],
    /// Number of join-key fields of every filter (the `sample by` fields followed by the
    /// filter's own `by` fields).
    pub keys: usize,
}

/// One sample, as passed to the output callback.
#[derive(Debug, Clone, Copy)]
pub struct SampleMatch<'a> {
    /// One event per filter, in filter order (always `Some`; the `Option` matches
    /// [`crate::Alert::events`]).
    pub events: &'a [Option<EventRef>],
    /// The join-key tuple.
    pub key: Key<'a>,
}

/// Counters of a [`SampleEngine`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleStats {
    /// Key tuples now tracked.
    pub keys: u64,
    /// Events (per key tuple) ignored because `capacity` keys were already tracked.
    pub rejected_keys: u64,
}

impl From<SampleStats> for PackStats {
    fn from(s: SampleStats) -> Self {
        PackStats {
            evictions: s.rejected_keys,
            expired: 0,
            pending: s.keys,
        }
    }
}

/// One tracked key tuple; its event lists and counts are at its index in
/// [`SampleEngine`]'s flat arrays.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The key's bytes: `keys[key_off..key_end]`.
    key_off: usize,
    key_end: usize,
    hash: u64,
}

/// The sample engine of one rule. See the [module documentation](self).
#[derive(Debug)]
pub struct SampleEngine {
    filters: Vec<usize>,
    per_filter: usize,
    max_per_key: usize,
    size: usize,
    capacity: usize,
    entries: Vec<Entry>,
    /// Key bytes of every entry, concatenated.
    keys: Vec<u8>,
    /// Per entry: `nfilters` lists of up to `per_filter` events each.
    events: Vec<EventRef>,
    /// Per entry: `nfilters` list lengths.
    counts: Vec<u32>,
    table: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    ks: KeyScratch,
    /// Per key field: no value it gave as a key so far was a JSON number or boolean, so
    /// its keys sort as keyword text ([`cmp_key_as_mapped`]).
    textual: Vec<bool>,
    stats: SampleStats,
    order: Vec<u32>,
    idx: Vec<usize>,
    picked: Vec<Option<EventRef>>,
}

impl SampleEngine {
    /// Builds an engine for `spec`: at most `capacity` key tuples, at most `size`
    /// samples emitted in total (`usize::MAX`: no limit; ES's default is 10), and at most
    /// `max_samples_per_key` samples per key tuple (ES's default is 1; 0 is taken as 1).
    pub fn new(
        spec: &SampleSpec,
        capacity: usize,
        size: usize,
        max_samples_per_key: usize,
    ) -> Self {
        let nf = spec.filters.len();
        let max_per_key = max_samples_per_key.max(1);
        let capacity = capacity.max(1);
        SampleEngine {
            filters: spec.filters.to_vec(),
            per_filter: nf.saturating_mul(max_per_key).max(1),
            max_per_key,
            size,
            capacity,
            entries: Vec::new(),
            keys: Vec::new(),
            events: Vec::new(),
            counts: Vec::new(),
            table: HashTable::new(),
            hasher: Default::default(),
            ks: KeyScratch::new(spec.keys),
            textual: vec![true; spec.keys],
            stats: SampleStats::default(),
            order: Vec::new(),
            idx: vec![0; nf],
            picked: vec![None; nf],
        }
    }

    /// Counters.
    pub fn stats(&self) -> SampleStats {
        let mut s = self.stats;
        s.keys = self.entries.len() as u64;
        s
    }

    /// Records one event (any order; no timestamp needed). Nothing is emitted here.
    pub fn on_event<I: StageInput + ?Sized>(&mut self, ev: EventRef, input: &I) {
        let nf = self.filters.len();
        for fi in 0..nf {
            let f = self.filters[fi];
            if !input.matches(f) {
                continue;
            }
            let n = self.ks.collect(input, f);
            for (t, &non_text) in self.textual.iter_mut().zip(&self.ks.non_text) {
                *t &= !non_text;
            }
            for t in 0..n {
                let key = self.ks.tuple(t);
                let hash = self.hasher.hash_one(key);
                let (entries, keys) = (&self.entries, &self.keys);
                let found = self.table.find(hash, |&i| {
                    let e = &entries[i as usize];
                    &keys[e.key_off..e.key_end] == key
                });
                let i = match found {
                    Some(&i) => i as usize,
                    None => {
                        if self.entries.len() >= self.capacity {
                            self.stats.rejected_keys += 1;
                            continue;
                        }
                        let key_off = self.keys.len();
                        self.keys.extend_from_slice(key);
                        self.entries.push(Entry {
                            key_off,
                            key_end: self.keys.len(),
                            hash,
                        });
                        self.events.extend(core::iter::repeat_n(
                            EventRef { handle: 0, ts: 0 },
                            nf * self.per_filter,
                        ));
                        self.counts.extend(core::iter::repeat_n(0, nf));
                        let i = (self.entries.len() - 1) as u32;
                        let entries = &self.entries;
                        self.table
                            .insert_unique(hash, i, |&j| entries[j as usize].hash);
                        i as usize
                    }
                };
                let c = &mut self.counts[i * nf + fi];
                if (*c as usize) < self.per_filter {
                    self.events[(i * nf + fi) * self.per_filter + *c as usize] = ev;
                    *c += 1;
                }
            }
        }
    }

    /// End of input: emits the samples in ascending key order (at most
    /// `max_samples_per_key` per key, `size` in total), then forgets all state.
    pub fn flush(&mut self, out: &mut dyn FnMut(SampleMatch<'_>)) {
        let nf = self.filters.len();
        let mut remaining = self.size;
        if nf > 0 && remaining > 0 {
            self.order.clear();
            self.order.extend(0..self.entries.len() as u32);
            let (entries, keys, textual) = (&self.entries, &self.keys, &self.textual);
            let key_of = |i: u32| {
                let e = &entries[i as usize];
                Key::new(&keys[e.key_off..e.key_end])
            };
            self.order
                .sort_unstable_by(|&a, &b| cmp_key_as_mapped(key_of(a), key_of(b), textual));
            'keys: for oi in 0..self.order.len() {
                let ei = self.order[oi] as usize;
                let e = self.entries[ei];
                let key = Key::new(&self.keys[e.key_off..e.key_end]);
                let counts = &self.counts[ei * nf..(ei + 1) * nf];
                let events =
                    &self.events[ei * nf * self.per_filter..(ei + 1) * nf * self.per_filter];
                if counts.contains(&0) {
                    continue;
                }
                // Depth-first over the per-filter lists, distinct events only.
                let pf = self.per_filter;
                let mut produced = 0;
                let mut d = 0;
                self.idx[0] = 0;
                loop {
                    if self.idx[d] >= counts[d] as usize {
                        if d == 0 {
                            break;
                        }
                        d -= 1;
                        self.idx[d] += 1;
                        continue;
                    }
                    let cand = events[d * pf + self.idx[d]];
                    if self.picked[..d]
                        .iter()
                        .any(|p| p.is_some_and(|p| p.handle == cand.handle))
                    {
                        self.idx[d] += 1;
                        continue;
                    }
                    self.picked[d] = Some(cand);
                    if d + 1 < nf {
                        d += 1;
                        self.idx[d] = 0;
                        continue;
                    }
                    out(SampleMatch {
                        events: &self.picked,
                        key,
                    });
                    produced += 1;
                    remaining -= 1;
                    if remaining == 0 {
                        break 'keys;
                    }
                    if produced == self.max_per_key {
                        break;
                    }
                    self.idx[d] += 1;
                }
            }
        }
        self.entries.clear();
        self.keys.clear();
        self.events.clear();
        self.counts.clear();
        self.table.clear();
    }
}

#[cfg(test)]
mod tests {
    //! Expected values come from `test_sample.toml` / `test_sample_multi.toml` over the
    //! QA data files (`sample1..3.data`, `sample-multi.data`), fed in file order.
    use super::*;
    use crate::value::Value;

    /// A QA event: id, category and the fields used as keys.
    struct E {
        id: u64,
        cat: &'static str,
        fields: Vec<(&'static str, Option<&'static str>)>,
    }

    /// A filter: category (`any` = all) + extra predicate on the id, keyed by field names
    /// (`?name` = optional).
    struct F {
        cat: &'static str,
        pred: fn(u64) -> bool,
        by: &'static [&'static str],
    }

    struct In<'a> {
        e: &'a E,
        filters: &'a [F],
    }

    impl In<'_> {
        fn field(&self, name: &str) -> Option<&'static str> {
            let name = name.trim_start_matches('?');
            if name == "op_sys" {
                // sample2.data names the field `op_sys` (ids 21..=29).
                const OP_SYS: [&str; 9] = [
                    "win10", "win10", "win10", "slack", "fedora", "redhat", "redhat", "win10",
                    "win10",
                ];
                return (21..=29)
                    .contains(&self.e.id)
                    .then(|| OP_SYS[self.e.id as usize - 21]);
            }
            if (21..=29).contains(&self.e.id) && name == "os" {
                return None;
            }
            self.e.fields.iter().find(|f| f.0 == name).and_then(|f| f.1)
        }
    }

    impl StageInput for In<'_> {
        fn matches(&self, f: usize) -> bool {
            let f = &self.filters[f];
            (f.cat == "any" || f.cat == self.e.cat) && (f.pred)(self.e.id)
        }
        fn key_values(&self, f: usize, k: usize, out: &mut dyn FnMut(Value<'_>)) {
            if let Some(v) = self.field(self.filters[f].by[k]) {
                out(Value::Str(v));
            }
        }
        fn key_optional(&self, f: usize, k: usize) -> bool {
            self.filters[f].by[k].starts_with('?')
        }
    }

    fn run(data: &[E], filters: &[F], size: usize, max: usize) -> (Vec<u64>, Vec<String>) {
        let idx: &'static [usize] = Box::leak((0..filters.len()).collect::<Vec<_>>().into());
        let spec = SampleSpec {
            filters: idx,
            keys: filters[0].by.len(),
        };
        let mut s = SampleEngine::new(&spec, 100, size, max);
        for (i, e) in data.iter().enumerate() {
            s.on_event(
                EventRef {
                    handle: e.id,
                    ts: i as i64,
                },
                &In { e, filters },
            );
        }
        let (mut ids, mut keys) = (Vec::new(), Vec::new());
        s.flush(&mut |m| {
            ids.extend(m.events.iter().map(|e| e.unwrap().handle));
            keys.extend(
                m.key
                    .iter()
                    .map(|v| v.as_str().unwrap_or("null").to_string()),
            );
        });
        (ids, keys)
    }

    fn any(_: u64) -> bool {
        true
    }

    /// `sample-multi.data` (fields `os`, `host`).
    fn multi() -> Vec<E> {
        vec![
            E {
                id: 1,
                cat: "alert_1",
                fields: vec![("os", Some("win10")), ("host", Some("doom"))],
            },
            E {
                id: 2,
                cat: "alert_1",
                fields: vec![("os", Some("win10")), ("host", Some("CS"))],
            },
            E {
                id: 3,
                cat: "alert_2",
                fields: vec![("os", Some("win10")), ("host", Some("farcry"))],
            },
            E {
                id: 4,
                cat: "alert_1",
                fields: vec![("os", Some("win10")), ("host", Some("GTA"))],
            },
            E {
                id: 5,
                cat: "alert_1",
                fields: vec![("os", Some("fedora")), ("host", Some("GTA"))],
            },
            E {
                id: 6,
                cat: "alert_2",
                fields: vec![("os", Some("redhat")), ("host", Some("farcry"))],
            },
            E {
                id: 7,
                cat: "alert_1",
                fields: vec![("os", Some("redhat")), ("host", Some("farcry"))],
            },
            E {
                id: 8,
                cat: "alert_1",
                fields: vec![("os", None), ("host", Some("farcry"))],
            },
            E {
                id: 9,
                cat: "alert_2",
                fields: vec![("os", None), ("host", Some("farcry"))],
            },
            E {
                id: 10,
                cat: "alert_1",
                fields: vec![("host", Some("GTA"))],
            },
        ]
    }

    fn f(cat: &'static str, by: &'static [&'static str]) -> F {
        F { cat, pred: any, by }
    }

    #[test]
    fn one_sample_per_key() {
        // oneSamplePerKey: accepted [7,6, 1,3] (first alternative).
        let (ids, keys) = run(
            &multi(),
            &[f("alert_1", &["os"]), f("alert_2", &["os"])],
            10,
            1,
        );
        assert_eq!(ids, vec![7, 6, 1, 3]);
        assert_eq!(keys, vec!["redhat", "win10"]);
        // oneSamplePerKey_optional: null first.
        let (ids, keys) = run(
            &multi(),
            &[f("alert_1", &["?os"]), f("alert_2", &["?os"])],
            10,
            1,
        );
        assert_eq!(ids, vec![8, 9, 7, 6, 1, 3]);
        assert_eq!(keys, vec!["null", "redhat", "win10"]);
    }

    #[test]
    fn max_samples_per_key() {
        let q = [f("alert_1", &["os"]), f("alert_2", &["os"])];
        // twoSamplesPerKeyOutOfThree
        assert_eq!(run(&multi(), &q, 10, 2).0, vec![7, 6, 1, 3, 2, 3]);
        // threeSamplesPerKey / moreSamplesPerKey
        assert_eq!(run(&multi(), &q, 10, 3).0, vec![7, 6, 1, 3, 2, 3, 4, 3]);
        assert_eq!(run(&multi(), &q, 10, 10).0, vec![7, 6, 1, 3, 2, 3, 4, 3]);
        // twoSamplesPerKeyOutOfThree_optional
        let qo = [f("alert_1", &["?os"]), f("alert_2", &["?os"])];
        let (ids, keys) = run(&multi(), &qo, 10, 2);
        assert_eq!(ids, vec![8, 9, 10, 9, 7, 6, 1, 3, 2, 3]);
        assert_eq!(keys, vec!["null", "null", "redhat", "win10", "win10"]);
        // twoSamplesPerKeyOutOfThree2 (filters swapped)
        let q2 = [f("alert_2", &["os"]), f("alert_1", &["os"])];
        assert_eq!(run(&multi(), &q2, 10, 2).0, vec![6, 7, 3, 1, 3, 2]);
        // twoSamplesPerKeyOutOfThree_withCondition: host != "farcry" on alert_1
        let q3 = [
            F {
                cat: "alert_1",
                pred: |id| id != 7 && id != 8,
                by: &["os"],
            },
            f("alert_2", &["os"]),
        ];
        assert_eq!(run(&multi(), &q3, 10, 2).0, vec![1, 3, 2, 3]);
    }

    #[test]
    fn size_limits_total() {
        let q = [f("alert_1", &["os"]), f("alert_2", &["os"])];
        assert_eq!(run(&multi(), &q, 0, 3).0, Vec::<u64>::new());
        assert_eq!(run(&multi(), &q, 2, 3).0, vec![7, 6, 1, 3]);
        assert_eq!(run(&multi(), &q, 3, 3).0, vec![7, 6, 1, 3, 2, 3]);
    }

    #[test]
    fn distinct_events_per_sample() {
        // One event matching both filters cannot fill both: ES SampleIterator comment
        // example [d1,d2,d3] [d4,d5] [d4,d5,d3] → [d1,d4,d5] (d3 arrives last).
        let data = [
            E {
                id: 1,
                cat: "a",
                fields: vec![],
            },
            E {
                id: 2,
                cat: "a",
                fields: vec![],
            },
            E {
                id: 4,
                cat: "bc",
                fields: vec![],
            },
            E {
                id: 5,
                cat: "bc",
                fields: vec![],
            },
            E {
                id: 3,
                cat: "ac",
                fields: vec![],
            },
        ];
        let has = |c: &'static str| {
            F {
                cat: "any",
                pred: any,
                by: &[],
            }
            .with(c)
        };
        let q = [has("a"), has("b"), has("c")];
        // Filters on category letters.
        let (ids, keys) = run_cat(&data, &q);
        assert_eq!(ids, vec![1, 4, 5]);
        assert!(keys.is_empty());
        // A lone event matching both filters yields nothing.
        let data = [E {
            id: 1,
            cat: "ab",
            fields: vec![],
        }];
        assert!(run_cat(&data, &[has("a"), has("b")]).0.is_empty());
    }

    impl F {
        fn with(self, c: &'static str) -> F {
            F { cat: c, ..self }
        }
    }

    /// Like `run`, with a filter matching when the event category contains `F::cat`.
    fn run_cat(data: &[E], filters: &[F]) -> (Vec<u64>, Vec<String>) {
        struct C<'a>(&'a E, &'a [F]);
        impl StageInput for C<'_> {
            fn matches(&self, f: usize) -> bool {
                self.0.cat.contains(self.1[f].cat)
            }
            fn key_values(&self, _: usize, _: usize, _: &mut dyn FnMut(Value<'_>)) {}
            fn key_optional(&self, _: usize, _: usize) -> bool {
                false
            }
        }
        let idx: &'static [usize] = Box::leak((0..filters.len()).collect::<Vec<_>>().into());
        let mut s = SampleEngine::new(
            &SampleSpec {
                filters: idx,
                keys: 0,
            },
            10,
            10,
            1,
        );
        for e in data {
            s.on_event(
                EventRef {
                    handle: e.id,
                    ts: 0,
                },
                &C(e, filters),
            );
        }
        let mut ids = Vec::new();
        s.flush(&mut |m| ids.extend(m.events.iter().map(|e| e.unwrap().handle)));
        (ids, Vec::new())
    }

    /// `sample1..3.data`, only the fields used below.
    fn qa() -> Vec<E> {
        macro_rules! e {
            ($id:expr, $cat:expr, $host:expr, $os:expr) => {
                E {
                    id: $id,
                    cat: $cat,
                    fields: vec![("host", $host), ("os", $os)],
                }
            };
        }
        let (d, g) = (Some("doom"), Some("GTA"));
        vec![
            e!(11, "alert", d, Some("win10")),
            e!(12, "alert", Some("CS"), Some("win10")),
            e!(13, "alert", Some("farcry"), Some("win10")),
            e!(14, "alert", g, Some("slack")),
            e!(15, "alert", Some("sniper 3d"), Some("fedora")),
            e!(16, "alert", d, Some("redhat")),
            e!(17, "failure", d, Some("redhat")),
            e!(18, "success", d, Some("win10")),
            e!(19, "success", g, Some("win10")),
            e!(110, "alert", Some("farcry"), Some("win10")),
            e!(21, "alert", d, None),
            e!(22, "alert", Some("CS"), None),
            e!(23, "alert", Some("farcry"), None),
            e!(24, "alert", g, None),
            e!(25, "alert", Some("sniper 3d"), None),
            e!(26, "alert", d, None),
            e!(27, "failure", d, None),
            e!(28, "success", d, None),
            e!(29, "success", g, None),
            e!(31, "alert", d, Some("win10")),
            e!(32, "alert", Some("CS"), Some("win10")),
            e!(33, "alert", Some("farcry"), Some("win10")),
            e!(34, "alert", g, Some("slack")),
            e!(35, "alert", Some("sniper 3d"), Some("fedora")),
            e!(36, "alert", d, Some("redhat")),
            e!(37, "failure", d, Some("redhat")),
            e!(38, "success", d, Some("win10")),
            e!(39, "success", g, Some("win10")),
        ]
    }

    #[test]
    fn different_key_names() {
        // anyRulesWithOneDifferentNameKey: sample by host [uptime > 0] by os
        // [port > 100] by op_sys [bool == true] by os → accepted [17,26,16, 13,23,110].
        let q = [
            F {
                cat: "any",
                pred: |id| [12, 13, 14, 15, 17, 18, 110, 22, 23, 24, 25, 27, 28].contains(&id),
                by: &["host", "os"],
            },
            F {
                cat: "any",
                pred: |id| [21, 23, 25, 26, 27, 28].contains(&id),
                by: &["host", "op_sys"],
            },
            F {
                cat: "any",
                pred: |id| [16, 17, 19, 110, 26, 27, 33, 34, 36, 37, 39].contains(&id),
                by: &["host", "os"],
            },
        ];
        let (ids, keys) = run(&qa(), &q, 10, 1);
        assert_eq!(ids, vec![17, 26, 16, 13, 23, 110]);
        assert_eq!(keys, vec!["doom", "redhat", "farcry", "win10"]);
    }

    #[test]
    fn optional_keys_order() {
        // allKeysOptional (first alternative)
        let q = [
            f("success", &["?host", "?os"]),
            f("alert", &["?host", "?os"]),
        ];
        let (ids, keys) = run(&qa(), &q, 10, 1);
        assert_eq!(ids, vec![29, 24, 28, 21, 18, 11]);
        assert_eq!(keys, vec!["GTA", "null", "doom", "null", "doom", "win10"]);
        // oneKeyOptional_1 / noOptionalKeys
        let q = [f("success", &["?host", "os"]), f("alert", &["?host", "os"])];
        assert_eq!(run(&qa(), &q, 10, 1).0, vec![18, 11]);
        let q = [f("success", &["host", "os"]), f("alert", &["host", "os"])];
        assert_eq!(
            run(&qa(), &q, 10, 1),
            (vec![18, 11], vec!["doom".into(), "win10".into()])
        );
        // size2: the first two in key order.
        let alert = F {
            cat: "alert",
            pred: |id| id == 21 || id == 24 || id == 11,
            by: &["host", "?os"],
        };
        let q = [f("success", &["host", "?os"]), alert];
        assert_eq!(run(&qa(), &q, 2, 1).0, vec![29, 24, 28, 21]);
    }
}
