//! The seed rule ("Potential Reverse Shell via Suspicious Child Process") written by hand:
//! what a competent engineer would write without eqlc, reading the same pre-decoded
//! slots. It is the baseline of the `seed_match` benchmark, so it must decide exactly
//! what the generated matcher decides on the benchmark stream (checked by a test in
//! `benches/seed.rs` before timing).
//!
//! Simplifications a hand-written matcher typically makes, and that the benchmark stream
//! does not exercise: ASCII-only case folding, pending partials keyed by a 64-bit hash of
//! (host.id, process.entity_id).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

use eqlc_runtime::record::SlotView;
use eqlc_runtime::{Record, Value};

/// Slot numbers of the fields the rule reads, looked up once by name.
#[derive(Debug, Clone, Copy)]
pub struct Slots {
    category: usize,
    os_type: usize,
    event_type: usize,
    action: usize,
    name: usize,
    args: usize,
    args_count: usize,
    parent: usize,
    dest_ip: usize,
    host: usize,
    entity: usize,
}

impl Slots {
    /// Find the slots in a pack's field list.
    pub fn new(fields: &[&str]) -> Slots {
        let f = |n: &str| {
            fields
                .iter()
                .position(|x| *x == n)
                .unwrap_or_else(|| panic!("field {n} not in the pack"))
        };
        Slots {
            category: f("event.category"),
            os_type: f("host.os.type"),
            event_type: f("event.type"),
            action: f("event.action"),
            name: f("process.name"),
            args: f("process.args"),
            args_count: f("process.args_count"),
            parent: f("process.parent.name"),
            dest_ip: f("destination.ip"),
            host: f("host.id"),
            entity: f("process.entity_id"),
        }
    }
}

fn strs<'a>(r: &'a SlotView<'a>, slot: usize) -> impl Iterator<Item = &'a str> + 'a {
    r.values(slot).filter_map(|v| v.as_str())
}

fn has(r: &SlotView<'_>, slot: usize, s: &str) -> bool {
    strs(r, slot).any(|v| v == s)
}

/// Whether some value, lower-cased (ASCII) into a stack buffer, satisfies `pred`.
fn lower_has(r: &SlotView<'_>, slot: usize, pred: impl Fn(&str) -> bool) -> bool {
    let mut buf = [0u8; 512];
    strs(r, slot).any(|v| {
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

/// `*a*b*c*` in order.
pub(crate) fn contains_in_order(s: &str, parts: &[&str]) -> bool {
    let mut rest = s;
    for p in parts {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

fn args_count_ge(r: &SlotView<'_>, slot: usize, n: i64) -> bool {
    r.values(slot).any(|v| match v {
        Value::Int(i) => i >= n,
        Value::Float(f) => f >= n as f64,
        _ => false,
    })
}

/// Parents the rule accepts (lower-cased name).
pub(crate) fn parent_in_list(p: &str) -> bool {
    matches!(
        p,
        "bash"
            | "dash"
            | "sh"
            | "tcsh"
            | "csh"
            | "zsh"
            | "ksh"
            | "fish"
            | "perl"
            | "ruby"
            | "openssl"
            | "nc"
            | "netcat"
            | "ncat"
            | "telnet"
            | "awk"
    ) || p.starts_with("python")
        || p.starts_with("php")
        || p.starts_with("lua")
}

/// Process names stage 2 accepts (lower-cased name).
pub(crate) fn network_name_in_list(n: &str) -> bool {
    matches!(
        n,
        "perl" | "ruby" | "openssl" | "nc" | "netcat" | "ncat" | "telnet" | "awk"
    ) || n.starts_with("python")
        || n.starts_with("php")
        || n.starts_with("lua")
}

/// A lower-cased-value test of a field: whether some value passes the predicate.
pub(crate) type AnyLower<'a> = &'a dyn Fn(&dyn Fn(&str) -> bool) -> bool;

/// Stage 1's interpreter branches, over accessors of the event: `name`/`arg` test
/// lower-cased process.name / process.args values, `has_arg` is the case-sensitive `==`
/// on process.args, `count_ge` compares process.args_count.
pub(crate) fn exec_branches(
    name: AnyLower<'_>,
    arg: AnyLower<'_>,
    has_arg: &dyn Fn(&str) -> bool,
    count_ge: &dyn Fn(i64) -> bool,
) -> bool {
    (name(&|n| n.starts_with("python"))
        && arg(&|a| a == "-c")
        && arg(&|a| {
            contains_in_order(a, &["import", "pty", "spawn"])
                || contains_in_order(a, &["import", "subprocess", "call"])
        }))
        || (name(&|n| n.starts_with("perl"))
            && arg(&|a| a == "-e")
            && arg(&|a| a.contains("socket"))
            && arg(&|a| a.contains("exec") || a.contains("system")))
        || (name(&|n| n.starts_with("ruby"))
            && arg(&|a| a == "-e" || a == "-rsocket")
            && arg(&|a| a.contains("tcpsocket.new") || a.contains("tcpsocket.open")))
        || (name(&|n| n.starts_with("lua"))
            && arg(&|a| a == "-e")
            && arg(&|a| a.contains("socket.tcp"))
            && arg(&|a| a.contains("io.popen") || a.contains("os.execute")))
        || (name(&|n| n.starts_with("php"))
            && arg(&|a| a == "-r")
            && arg(&|a| a.contains("fsockopen"))
            && arg(&|a| contains_in_order(a, &["/bin/", "sh"])))
        || (name(&|n| matches!(n, "awk" | "gawk" | "mawk" | "nawk"))
            && arg(&|a| a.contains("/inet/tcp/")))
        || (name(&|n| n == "openssl") && arg(&|a| a == "-connect"))
        || (name(&|n| matches!(n, "nc" | "ncat" | "netcat"))
            && has_arg("-e")
            && count_ge(3)
            && !has_arg("-z"))
        || (name(&|n| n == "telnet") && count_ge(3))
}

/// Stage 1: the interpreter / netcat exec.
pub fn stage1(r: &SlotView<'_>, s: &Slots) -> bool {
    if !(has(r, s.category, "process")
        && has(r, s.os_type, "linux")
        && has(r, s.event_type, "start")
        && (has(r, s.action, "exec") || has(r, s.action, "fork")))
    {
        return false;
    }
    let parent_ok = lower_has(r, s.parent, parent_in_list);
    if !parent_ok {
        return false;
    }
    let name = |pred: &dyn Fn(&str) -> bool| lower_has(r, s.name, pred);
    let arg = |pred: &dyn Fn(&str) -> bool| lower_has(r, s.args, pred);
    exec_branches(&name, &arg, &|x| has(r, s.args, x), &|n| {
        args_count_ge(r, s.args_count, n)
    })
}

/// Inside 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4 or `::1` (the rule's `cidrmatch`).
pub(crate) fn excluded(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            o[0] == 127 || (o[0] == 169 && o[1] == 254) || (224..=239).contains(&o[0])
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(m) => excluded(IpAddr::V4(m)),
            None => a.is_loopback(),
        },
    }
}

/// Stage 2: the outbound connection.
pub fn stage2(r: &SlotView<'_>, s: &Slots) -> bool {
    has(r, s.category, "network")
        && has(r, s.os_type, "linux")
        && has(r, s.event_type, "start")
        && (has(r, s.action, "connection_attempted") || has(r, s.action, "connection_accepted"))
        && lower_has(r, s.name, network_name_in_list)
        && strs(r, s.dest_ip).next().is_some()
        && !strs(r, s.dest_ip).any(|ip| ip.parse().is_ok_and(excluded))
}

/// The sequence: per (host.id, process.entity_id) the newest pending stage-1 event,
/// completed by a stage-2 event within one second.
#[derive(Default)]
pub struct HandMatcher {
    pending: HashMap<u64, (i64, u64)>,
    hasher: std::collections::hash_map::RandomState,
}

impl HandMatcher {
    fn key(&self, r: &SlotView<'_>, s: &Slots) -> Option<u64> {
        let host = strs(r, s.host).next()?;
        let entity = strs(r, s.entity).next()?;
        let mut h = self.hasher.build_hasher();
        h.write(host.as_bytes());
        h.write_u8(0xff);
        h.write(entity.as_bytes());
        Some(h.finish())
    }

    /// Feed one event; returns the handles of a completed match.
    pub fn on_event(
        &mut self,
        r: &SlotView<'_>,
        s: &Slots,
        ts: i64,
        handle: u64,
    ) -> Option<(u64, u64)> {
        let mut done = None;
        if stage2(r, s) {
            if let Some(k) = self.key(r, s) {
                if let Some((t0, h0)) = self.pending.remove(&k) {
                    if ts - t0 <= 1_000_000_000 {
                        done = Some((h0, handle));
                    }
                }
            }
        }
        if stage1(r, s) {
            if let Some(k) = self.key(r, s) {
                self.pending.insert(k, (ts, handle));
            }
        }
        done
    }
}
