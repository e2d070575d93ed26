//! The seed rule matched by hand over `serde_json`: the baseline of `ndjson_e2e`.
//!
//! What a competent engineer would write without eqlc to run the seed rule over NDJSON:
//! parse each line with `serde_json` into a borrowed struct that declares only the fields
//! the rule reads (unknown fields are skipped by serde), strings borrowed from the line
//! when they have no escapes, lists of strings kept inline (no per-event allocation for
//! the usual one-to-a-few values), then the two stage predicates with ASCII
//! case-insensitive compares, and a `HashMap` of pending stage-1 events keyed by a 64-bit
//! hash of (host.id, process.entity_id), completed by a stage-2 event within one second.
//! `@timestamp` is parsed only for events that match a stage.
//!
//! Simplifications a hand-written matcher typically makes, and that the benchmark stream
//! does not exercise (the benchmark checks that it finds exactly the detector's alerts
//! before timing): ASCII-only case folding, 64-bit hashed keys, no bad-line accounting
//! (a line that is not JSON is skipped), no type checks, no `max_signals`.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::handwritten::{excluded, exec_branches, network_name_in_list, parent_in_list};
use std::fmt;
use std::hash::{BuildHasher, Hasher};

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// A string borrowed from the line when it has no escapes.
#[derive(Debug, Clone)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

const INLINE: usize = 2;

/// A keyword field: one string or an array of strings, the first few kept inline.
#[derive(Debug, Default)]
pub struct Strs<'a> {
    inline: [Option<Str<'a>>; INLINE],
    more: Vec<Str<'a>>,
}

impl<'a> Strs<'a> {
    fn push(&mut self, s: Str<'a>) {
        match self.inline.iter_mut().find(|x| x.is_none()) {
            Some(slot) => *slot = Some(s),
            None => self.more.push(s),
        }
    }

    /// The values.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.inline
            .iter()
            .map_while(|x| x.as_ref())
            .chain(self.more.iter())
            .map(|s| &*s.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Strs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                let mut s = Strs::default();
                s.push(Str(Cow::Borrowed(v)));
                Ok(s)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let mut s = Strs::default();
                s.push(Str(Cow::Owned(v.to_owned())));
                Ok(s)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut s = Strs::default();
                while let Some(x) = seq.next_element::<Str<'de>>()? {
                    s.push(x);
                }
                Ok(s)
            }
        }
        d.deserialize_any(V)
    }
}

/// The fields the seed rule reads.
#[derive(Deserialize)]
pub struct Doc<'a> {
    #[serde(rename = "@timestamp", borrow)]
    timestamp: Str<'a>,
    #[serde(borrow, default)]
    event: Option<EventF<'a>>,
    #[serde(borrow, default)]
    host: Option<Host<'a>>,
    #[serde(borrow, default)]
    process: Option<Process<'a>>,
    #[serde(borrow, default)]
    destination: Option<Dest<'a>>,
}

#[derive(Deserialize)]
struct EventF<'a> {
    #[serde(borrow, default)]
    category: Strs<'a>,
    #[serde(borrow, default, rename = "type")]
    kind: Strs<'a>,
    #[serde(borrow, default)]
    action: Strs<'a>,
}

#[derive(Deserialize)]
struct Host<'a> {
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
    #[serde(borrow, default)]
    os: Option<Os<'a>>,
}

#[derive(Deserialize)]
struct Os<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Strs<'a>,
}

#[derive(Deserialize)]
struct Process<'a> {
    #[serde(borrow, default)]
    entity_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    name: Strs<'a>,
    #[serde(borrow, default)]
    args: Strs<'a>,
    #[serde(default)]
    args_count: Option<i64>,
    #[serde(borrow, default)]
    parent: Option<Parent<'a>>,
}

#[derive(Deserialize)]
struct Parent<'a> {
    #[serde(borrow, default)]
    name: Strs<'a>,
}

#[derive(Deserialize)]
struct Dest<'a> {
    #[serde(borrow, default)]
    ip: Strs<'a>,
}

static EMPTY: Strs<'static> = Strs {
    inline: [None, None],
    more: Vec::new(),
};

impl<'a> Doc<'a> {
    fn event<'s>(&'s self, f: for<'x> fn(&'x EventF<'a>) -> &'x Strs<'a>) -> &'s Strs<'a> {
        self.event.as_ref().map_or(&EMPTY, f)
    }
    fn os_type(&self) -> &Strs<'a> {
        match &self.host {
            Some(Host { os: Some(os), .. }) => &os.kind,
            _ => &EMPTY,
        }
    }
    fn process<'s>(&'s self, f: for<'x> fn(&'x Process<'a>) -> &'x Strs<'a>) -> &'s Strs<'a> {
        self.process.as_ref().map_or(&EMPTY, f)
    }
    fn parent_name(&self) -> &Strs<'a> {
        match &self.process {
            Some(Process {
                parent: Some(p), ..
            }) => &p.name,
            _ => &EMPTY,
        }
    }
    fn dest_ip(&self) -> &Strs<'a> {
        self.destination.as_ref().map_or(&EMPTY, |d| &d.ip)
    }
}

fn has(v: &Strs<'_>, s: &str) -> bool {
    v.iter().any(|x| x == s)
}

/// Whether some value, lower-cased (ASCII) into a stack buffer, satisfies `pred`.
fn lower_has(v: &Strs<'_>, pred: impl Fn(&str) -> bool) -> bool {
    let mut buf = [0u8; 512];
    v.iter().any(|v| {
        if v.len() <= buf.len() {
            let b = &mut buf[..v.len()];
            b.copy_from_slice(v.as_bytes());
            b.make_ascii_lowercase();
            // ASCII lower-casing keeps UTF-8 valid.
            pred(std::str::from_utf8(b).unwrap_or(""))
        } else {
            pred(&v.to_ascii_lowercase())
        }
    })
}

/// Stage 1: the interpreter / netcat exec.
fn stage1(d: &Doc<'_>) -> bool {
    let action = d.event(|e| &e.action);
    if !(has(d.event(|e| &e.category), "process")
        && has(d.os_type(), "linux")
        && has(d.event(|e| &e.kind), "start")
        && (has(action, "exec") || has(action, "fork")))
    {
        return false;
    }
    let parent_ok = lower_has(d.parent_name(), parent_in_list);
    if !parent_ok {
        return false;
    }
    let names = d.process(|p| &p.name);
    let args = d.process(|p| &p.args);
    let count_ge = |n: i64| d.process.as_ref().and_then(|p| p.args_count) >= Some(n);
    let name = |pred: &dyn Fn(&str) -> bool| lower_has(names, pred);
    let arg = |pred: &dyn Fn(&str) -> bool| lower_has(args, pred);
    exec_branches(&name, &arg, &|x| has(args, x), &count_ge)
}

/// Stage 2: the outbound connection.
fn stage2(d: &Doc<'_>) -> bool {
    let action = d.event(|e| &e.action);
    let ip = d.dest_ip();
    has(d.event(|e| &e.category), "network")
        && has(d.os_type(), "linux")
        && has(d.event(|e| &e.kind), "start")
        && (has(action, "connection_attempted") || has(action, "connection_accepted"))
        && lower_has(d.process(|p| &p.name), network_name_in_list)
        && ip.iter().next().is_some()
        && !ip.iter().any(|ip| ip.parse().is_ok_and(excluded))
}

/// The seed rule over NDJSON lines: serde_json parse + the sequence by hand.
#[derive(Default)]
pub struct SerdeMatcher {
    pending: HashMap<u64, (i64, u64)>,
    hasher: std::collections::hash_map::RandomState,
    next: u64,
}

impl SerdeMatcher {
    fn key(&self, d: &Doc<'_>) -> Option<u64> {
        let host = d.host.as_ref()?.id.as_ref()?;
        let entity = d.process.as_ref()?.entity_id.as_ref()?;
        let mut h = self.hasher.build_hasher();
        h.write(host.0.as_bytes());
        h.write_u8(0xff);
        h.write(entity.0.as_bytes());
        Some(h.finish())
    }

    /// Feed one NDJSON line (events in time order); returns the (first, second) line
    /// numbers (0-based, counting parsed events) of a completed sequence.
    pub fn on_line(&mut self, line: &[u8]) -> Option<(u64, u64)> {
        let d: Doc<'_> = serde_json::from_slice(line).ok()?;
        let handle = self.next;
        self.next += 1;
        let ts = || eqlc_runtime::time::parse_rfc3339(&d.timestamp.0);
        let mut done = None;
        if stage2(&d) {
            if let (Some(k), Some(ts)) = (self.key(&d), ts()) {
                if let Some((t0, h0)) = self.pending.remove(&k) {
                    if ts - t0 <= 1_000_000_000 {
                        done = Some((h0, handle));
                    }
                }
            }
        }
        if stage1(&d) {
            if let (Some(k), Some(ts)) = (self.key(&d), ts()) {
                self.pending.insert(k, (ts, handle));
            }
        }
        done
    }
}

/// Run the seed rule over NDJSON bytes; returns the number of alerts.
pub fn count_alerts(ndjson: &[u8]) -> u64 {
    let mut m = SerdeMatcher::default();
    ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter(|l| m.on_line(l).is_some())
        .count() as u64
}
