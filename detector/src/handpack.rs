//! [`SeedPack`]: the seed rule ("Potential Reverse Shell via Suspicious Child Process")
//! written by hand against the [`RulePack`] contract.
//!
//! It serves as a baseline for benchmarks (generated matcher vs. hand-written one), and
//! lets the detector be tested end to end independently of the code generator. The
//! query is the one in `rules/linux/execution_potential_reverse_shell_via_suspicious_child_process.toml`:
//!
//! ```text
//! sequence by host.id, process.entity_id with maxspan=1s
//!   [process where host.os.type == "linux" and event.type == "start" and
//!      event.action in ("exec", "fork") and (<nine interpreter branches>) and
//!      process.parent.name : (<shells and interpreters>)]
//!   [network where host.os.type == "linux" and event.type == "start" and
//!      event.action in ("connection_attempted", "connection_accepted") and
//!      process.name : (<interpreters>) and destination.ip != null and
//!      not cidrmatch(destination.ip, "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "::1")]
//! ```
//!
//! Semantics as in eql-semantics.md: `:` is a case-insensitive wildcard match against any
//! element, `==`/`in` are case-sensitive, `not` of an any-element test is "no element",
//! one pending partial per key (newest wins), maxspan inclusive from the first event.
//! Simplifications (fine for Elastic Defend data, documented for a baseline): text tests
//! read string values only, `process.args_count` is read from numbers and numeric
//! strings.
//!
//! State: at most `capacity` pending partials (oldest evicted first, counted), expired by
//! event time; nothing is allocated per event.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use eqlc_runtime::cidr::{cidr_match_str, Cidr};
use eqlc_runtime::meta::{RuleMeta, Severity, Subtechnique, Tactic, Technique, Threat};
use eqlc_runtime::text::glob;
use eqlc_runtime::{Alert, EventRef, PackStats, Record, RulePack, Value};

const F_OS: usize = 0;
const F_TYPE: usize = 1;
const F_ACTION: usize = 2;
const F_NAME: usize = 3;
const F_ARGS: usize = 4;
const F_ARGC: usize = 5;
const F_PARENT: usize = 6;
const F_DIP: usize = 7;
const F_HOST: usize = 8;
const F_ENTITY: usize = 9;
const F_CATEGORY: usize = 10;

static FIELDS: &[&str] = &[
    "host.os.type",
    "event.type",
    "event.action",
    "process.name",
    "process.args",
    "process.args_count",
    "process.parent.name",
    "destination.ip",
    "host.id",
    "process.entity_id",
    "event.category",
];

const MAXSPAN_NS: i64 = 1_000_000_000;

pub(crate) static RULES: &[RuleMeta] = &[RuleMeta {
    name: "Potential Reverse Shell via Suspicious Child Process",
    rule_id: "76e4d92b-61c1-4a95-ab61-5fd94179a1ee",
    description: "This detection rule detects the creation of a shell through a suspicious process chain. Any reverse shells spawned by the specified utilities that are initialized from a single process followed by a network connection attempt will be captured through this rule. Attackers may spawn reverse shells to establish persistence onto a target system.",
    severity: Severity::Medium,
    risk_score: 47,
    tags: &[
        "Domain: Endpoint",
        "OS: Linux",
        "Use Case: Threat Detection",
        "Tactic: Execution",
        "Data Source: Elastic Defend",
        "Resources: Investigation Guide",
    ],
    max_signals: 100,
    interval_ns: 300_000_000_000,
    from: "now-9m",
    note: "",
    setup: "",
    references: &[],
    threat: &[
        Threat {
            framework: "MITRE ATT&CK",
            tactic: Tactic {
                id: "TA0002",
                name: "Execution",
                reference: "https://attack.mitre.org/tactics/TA0002/",
            },
            techniques: &[Technique {
                id: "T1059",
                name: "Command and Scripting Interpreter",
                reference: "https://attack.mitre.org/techniques/T1059/",
                subtechniques: &[Subtechnique {
                    id: "T1059.004",
                    name: "Unix Shell",
                    reference: "https://attack.mitre.org/techniques/T1059/004/",
                }],
            }],
        },
        Threat {
            framework: "MITRE ATT&CK",
            tactic: Tactic {
                id: "TA0011",
                name: "Command and Control",
                reference: "https://attack.mitre.org/tactics/TA0011/",
            },
            techniques: &[Technique {
                id: "T1071",
                name: "Application Layer Protocol",
                reference: "https://attack.mitre.org/techniques/T1071/",
                subtechniques: &[],
            }],
        },
    ],
    index: &["logs-endpoint.events.*"],
}];

const PARENTS: &[&str] = &[
    "bash", "dash", "sh", "tcsh", "csh", "zsh", "ksh", "fish", "python*", "php*", "perl", "ruby",
    "lua*", "openssl", "nc", "netcat", "ncat", "telnet", "awk",
];
const NET_NAMES: &[&str] = &[
    "python*", "php*", "perl", "ruby", "lua*", "openssl", "nc", "netcat", "ncat", "telnet", "awk",
];

static EXCLUDED: [Cidr; 4] = [
    Cidr::v4(0x7f00_0000, 8),
    Cidr::v4(0xa9fe_0000, 16),
    Cidr::v4(0xe000_0000, 4),
    Cidr::v6(1, 128),
];

fn strs<R: Record + ?Sized>(r: &R, slot: usize) -> impl Iterator<Item = &str> + Clone {
    r.values(slot).filter_map(Value::as_str)
}

/// `field : pattern` for any value (patterns are lower case already).
fn any_like<R: Record + ?Sized>(r: &R, slot: usize, pats: &[&str]) -> bool {
    strs(r, slot).any(|v| pats.iter().any(|p| glob(v, p, true)))
}

fn any_eq<R: Record + ?Sized>(r: &R, slot: usize, lits: &[&str]) -> bool {
    strs(r, slot).any(|v| lits.contains(&v))
}

fn any_num_ge<R: Record + ?Sized>(r: &R, slot: usize, min: f64) -> bool {
    r.values(slot).any(|v| match v {
        Value::Int(i) => i as f64 >= min,
        Value::Float(f) => f >= min,
        Value::Str(s) => s.trim().parse::<f64>().is_ok_and(|f| f >= min),
        _ => false,
    })
}

fn stage1<R: Record + ?Sized>(r: &R) -> bool {
    if !(any_eq(r, F_CATEGORY, &["process"])
        && any_eq(r, F_OS, &["linux"])
        && any_eq(r, F_TYPE, &["start"])
        && any_eq(r, F_ACTION, &["exec", "fork"]))
    {
        return false;
    }
    let branch = (any_like(r, F_NAME, &["python*"])
        && any_like(r, F_ARGS, &["-c"])
        && any_like(
            r,
            F_ARGS,
            &["*import*pty*spawn*", "*import*subprocess*call*"],
        ))
        || (any_like(r, F_NAME, &["perl*"])
            && any_like(r, F_ARGS, &["-e"])
            && any_like(r, F_ARGS, &["*socket*"])
            && any_like(r, F_ARGS, &["*exec*", "*system*"]))
        || (any_like(r, F_NAME, &["ruby*"])
            && any_like(r, F_ARGS, &["-e", "-rsocket"])
            && any_like(r, F_ARGS, &["*tcpsocket.new*", "*tcpsocket.open*"]))
        || (any_like(r, F_NAME, &["lua*"])
            && any_like(r, F_ARGS, &["-e"])
            && any_like(r, F_ARGS, &["*socket.tcp*"])
            && any_like(r, F_ARGS, &["*io.popen*", "*os.execute*"]))
        || (any_like(r, F_NAME, &["php*"])
            && any_like(r, F_ARGS, &["-r"])
            && any_like(r, F_ARGS, &["*fsockopen*"])
            && any_like(r, F_ARGS, &["*/bin/*sh*"]))
        || (any_like(r, F_NAME, &["awk", "gawk", "mawk", "nawk"])
            && any_like(r, F_ARGS, &["*/inet/tcp/*"]))
        || (any_like(r, F_NAME, &["openssl"]) && any_like(r, F_ARGS, &["-connect"]))
        || (any_like(r, F_NAME, &["nc", "ncat", "netcat"])
            && any_eq(r, F_ARGS, &["-e"])
            && any_num_ge(r, F_ARGC, 3.0)
            && !any_eq(r, F_ARGS, &["-z"]))
        || (any_like(r, F_NAME, &["telnet"]) && any_num_ge(r, F_ARGC, 3.0));
    branch && any_like(r, F_PARENT, PARENTS)
}

fn stage2<R: Record + ?Sized>(r: &R) -> bool {
    any_eq(r, F_CATEGORY, &["network"])
        && any_eq(r, F_OS, &["linux"])
        && any_eq(r, F_TYPE, &["start"])
        && any_eq(
            r,
            F_ACTION,
            &["connection_attempted", "connection_accepted"],
        )
        && any_like(r, F_NAME, NET_NAMES)
        && r.values(F_DIP).any(|v| !v.is_null())
        && !strs(r, F_DIP).any(|ip| cidr_match_str(ip, &EXCLUDED))
}

fn key(host: &str, entity: &str) -> u128 {
    let mut a = std::hash::DefaultHasher::new();
    (host, entity).hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    (entity, 0x5eedu32, host).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The seed rule as a hand-written [`RulePack`] (see the module docs).
#[derive(Debug)]
pub struct SeedPack {
    pending: HashMap<u128, EventRef>,
    order: VecDeque<(u128, EventRef)>,
    capacity: usize,
    stats: PackStats,
}

impl Default for SeedPack {
    fn default() -> Self {
        SeedPack::new()
    }
}

impl SeedPack {
    /// A pack with room for 100,000 pending partials.
    pub fn new() -> SeedPack {
        SeedPack::with_capacity(100_000)
    }

    /// A pack with room for `capacity` pending partials (at least 1).
    pub fn with_capacity(capacity: usize) -> SeedPack {
        let capacity = capacity.max(1);
        SeedPack {
            pending: HashMap::with_capacity(capacity),
            order: VecDeque::with_capacity(2 * capacity + 16),
            capacity,
            stats: PackStats::default(),
        }
    }

    fn expire(&mut self, now: i64) {
        while let Some(&(k, e)) = self.order.front() {
            if now - e.ts <= MAXSPAN_NS {
                break;
            }
            self.order.pop_front();
            if self.pending.get(&k) == Some(&e) {
                self.pending.remove(&k);
                self.stats.expired += 1;
            }
        }
    }

    fn start(&mut self, k: u128, ev: EventRef) {
        if !self.pending.contains_key(&k) && self.pending.len() >= self.capacity {
            while let Some((ok, oe)) = self.order.pop_front() {
                if self.pending.get(&ok) == Some(&oe) {
                    self.pending.remove(&ok);
                    self.stats.evictions += 1;
                    break;
                }
            }
        }
        self.pending.insert(k, ev);
        if self.order.len() >= 2 * self.capacity + 16 {
            let pending = &self.pending;
            self.order.retain(|(k, e)| pending.get(k) == Some(e));
        }
        self.order.push_back((k, ev));
    }
}

impl RulePack for SeedPack {
    fn fields(&self) -> &'static [&'static str] {
        FIELDS
    }

    fn rules(&self) -> &'static [RuleMeta] {
        RULES
    }

    fn on_event<R: Record + ?Sized>(
        &mut self,
        rec: &R,
        ev: EventRef,
        out: &mut dyn FnMut(Alert<'_>),
    ) {
        self.expire(ev.ts);
        // stages last to first
        if stage2(rec) {
            for h in strs(rec, F_HOST) {
                for e in strs(rec, F_ENTITY) {
                    let k = key(h, e);
                    if let Some(first) = self.pending.remove(&k) {
                        if ev.ts - first.ts > MAXSPAN_NS {
                            self.stats.expired += 1;
                            continue;
                        }
                        let events = [Some(first), Some(ev)];
                        let mut g = std::hash::DefaultHasher::new();
                        (k, first.handle, ev.handle).hash(&mut g);
                        out(Alert {
                            rule: 0,
                            events: &events,
                            group_id: Some(g.finish()),
                            key: None,
                        });
                    }
                }
            }
        }
        if stage1(rec) {
            for h in strs(rec, F_HOST) {
                for e in strs(rec, F_ENTITY) {
                    self.start(key(h, e), ev);
                }
            }
        }
        self.stats.pending = self.pending.len() as u64;
    }

    fn flush(&mut self, _out: &mut dyn FnMut(Alert<'_>)) {}

    fn stats(&self) -> PackStats {
        self.stats
    }
}
