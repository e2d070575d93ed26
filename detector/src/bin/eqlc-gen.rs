//! `eqlc-gen`: deterministic Elastic Defend–shaped events with planted reverse shells.
//!
//! ```text
//! eqlc-gen --events N --seed S --shells K [--near-misses M] --hosts H [--os linux|mixed]
//!          [--rate EVENTS_PER_SEC] [--truth FILE]
//! ```
//!
//! Writes NDJSON to stdout; `--truth FILE` writes the answer key (JSON).

use std::io::{self, Write};
use std::process::ExitCode;

use eqlc_detector::gen::{generate, GenConfig, OsMix, Truth};

const USAGE: &str = "usage: eqlc-gen [--events N] [--seed S] [--shells K] [--near-misses M] [--hosts H] [--os linux|mixed] [--rate EVENTS_PER_SEC] [--truth FILE]";

fn main() -> ExitCode {
    let mut cfg = GenConfig::default();
    let mut near: Option<u32> = None;
    let mut truth_path: Option<String> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-h" || a == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(v) = it.next() else {
            eprintln!("eqlc-gen: {a} needs a value\n{USAGE}");
            return ExitCode::from(2);
        };
        let bad = || {
            eprintln!("eqlc-gen: invalid value '{v}' for {a}\n{USAGE}");
            ExitCode::from(2)
        };
        match a.as_str() {
            "--events" => match v.parse() {
                Ok(n) => cfg.events = n,
                Err(_) => return bad(),
            },
            "--seed" => match v.parse() {
                Ok(n) => cfg.seed = n,
                Err(_) => return bad(),
            },
            "--shells" => match v.parse() {
                Ok(n) => cfg.shells = n,
                Err(_) => return bad(),
            },
            "--near-misses" => match v.parse() {
                Ok(n) => near = Some(n),
                Err(_) => return bad(),
            },
            "--hosts" => match v.parse::<u32>() {
                Ok(n) if n > 0 => cfg.hosts = n,
                _ => return bad(),
            },
            "--rate" => match v.parse::<f64>() {
                Ok(n) if n > 0.0 => cfg.rate = n,
                _ => return bad(),
            },
            "--os" => match v.as_str() {
                "linux" => cfg.os = OsMix::Linux,
                "mixed" => cfg.os = OsMix::Mixed,
                _ => return bad(),
            },
            "--truth" => truth_path = Some(v.clone()),
            _ => {
                eprintln!("eqlc-gen: unknown option '{a}'\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    cfg.near_misses = near.unwrap_or(cfg.shells);
    let mut truth = Truth::default();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if let Err(e) = generate(&cfg, &mut out, Some(&mut truth)) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("eqlc-gen: {e}");
            return ExitCode::from(if e.kind() == io::ErrorKind::InvalidInput {
                2
            } else {
                1
            });
        }
    }
    let _ = out.flush();
    if let Some(p) = truth_path {
        if let Err(e) = std::fs::write(&p, truth.to_json() + "\n") {
            eprintln!("eqlc-gen: cannot write {p}: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
