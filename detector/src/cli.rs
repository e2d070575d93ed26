//! The command line of detector binaries: [`main_with`] / [`run`].

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eqlc_runtime::RulePack;

use crate::detector::{Detector, Options, Stats};
use crate::input::{maybe_gunzip, open_sources, spawn_reader, Msg, Source};
use crate::merge::{Merger, Next};
use crate::output::Format;

const USAGE: &str = "\
usage: eqlc-detect [OPTIONS] [FILE...]

Reads Elastic Common Schema events as NDJSON (plain or gzip; '-' or no FILE = stdin)
and writes Elastic Security-shaped alerts. Several inputs are read as one stream,
merged by @timestamp (each in rough time order, e.g. one file per host or per kind).

options:
  --format ndjson|table    output format (default: table at a terminal, else ndjson)
  -o, --output FILE        write alerts to FILE instead of stdout
  --max-line-bytes N       longer lines are bad lines (default 1M; K/M/G suffixes)
  --reorder-window DUR     buffer events DUR of event time and release them in
                           timestamp order (units ns us ms s m h d, e.g. 2s, 500ms;
                           default 2s; 0 = off: alerts without delay, any event
                           older than the one before it is dropped)
  --max-pending N          pending sequence/sample partials, all rules together, split
                           evenly among the rules that keep state (default 1000000)
  --keep-bytes N           raw-line store for alert output (default 64M)
  --no-type-check          do not treat values of the wrong type as bad lines
  --list-rules             print the compiled rules and exit
  -q, --quiet              no summary, no progress
  -h, --help               this text
";

/// Parsed command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// Input names.
    pub inputs: Vec<String>,
    /// Explicit output format.
    pub format: Option<Format>,
    /// Output file.
    pub output: Option<String>,
    /// Detector options.
    pub opts: Options,
    /// Pending partials over all rules.
    pub max_pending: usize,
    /// `--list-rules`.
    pub list_rules: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--help`.
    pub help: bool,
}

/// Parse a size such as `1048576`, `64K`, `1M`, `2G` (binary units).
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (num, mult) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1usize << 10),
        b'm' | b'M' => (&s[..s.len() - 1], 1 << 20),
        b'g' | b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<usize>().ok()?.checked_mul(mult)
}

/// Parse a duration: `0`, or a positive integer with `ns`, `us`, `ms`, `s`, `m` or `h`.
pub fn parse_duration_ns(s: &str) -> Option<i64> {
    let s = s.trim();
    if s == "0" {
        return Some(0);
    }
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok()?;
    let mult: i64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The reorder window when `--reorder-window` is not given: events may arrive up to
/// this much of event time after newer ones (shippers, threads and sources jitter) and
/// are still matched in time order. Holding them costs little (each is decoded once; on
/// 200,000 mixed events the bundled pack took 0.98x and the 1,024-rule corpus pack 1.10x
/// the CPU time of no window, medians of 9 paired runs), and delays an alert until events
/// this much newer arrive, input ends, or the input has been quiet this long in
/// wall-clock time.
pub const DEFAULT_REORDER_WINDOW_NS: i64 = 2_000_000_000;

/// `ns` in the largest unit of `--reorder-window` that divides it (`2s`, `1500ms`).
pub fn format_duration_ns(ns: i64) -> String {
    const UNITS: [(&str, i64); 7] = [
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    if ns == 0 {
        return "0".into();
    }
    let (unit, size) = UNITS
        .iter()
        .copied()
        .find(|&(_, size)| ns % size == 0)
        .unwrap_or(("ns", 1));
    format!("{}{unit}", ns / size)
}

/// The summary's notes on stragglers, by cause: later than the reorder window (or with
/// none), or within it but after the full buffer had released newer events early.
fn straggler_notes(s: &Stats, opts: &Options) -> Vec<String> {
    let full = s.stragglers_by_full_buffer.min(s.stragglers);
    let late = s.stragglers - full;
    let mut notes = Vec::new();
    if late > 0 {
        let how = if opts.reorder_window_ns == 0 {
            "came after newer ones (no reorder window)".to_string()
        } else {
            format!(
                "came more than the reorder window ({}) after newer ones",
                format_duration_ns(opts.reorder_window_ns)
            )
        };
        notes.push(format!("{late} event(s) {how} and were dropped; for input not in time order (a file merged from several sources, shippers that lag) give a longer --reorder-window DUR"));
    }
    if full > 0 {
        notes.push(format!(
            "{full} event(s) came within the reorder window ({}) but after the full reorder buffer (at most {} events or {} MiB) had released newer events early, and were dropped; sort the input by @timestamp, or give it as several inputs each in time order (they are merged)",
            format_duration_ns(opts.reorder_window_ns),
            opts.reorder_max_events,
            opts.reorder_max_bytes >> 20,
        ));
    }
    notes
}

/// Whether paths `a` and `b` name one existing file (through links or other spellings).
fn same_file(a: &str, b: &str) -> bool {
    if a == "-" || b == "-" {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
        false
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// The progress line (on stderr, overwritten in place).
fn print_progress(prog: &str, s: &Stats, start: Instant) {
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    eprint!(
        "\r{prog}: {} events, {:.1} MiB, {:.0} events/s, {} alerts   ",
        s.events,
        s.bytes as f64 / 1048576.0,
        s.events as f64 / secs,
        s.total_alerts()
    );
}

/// Run several inputs merged by `@timestamp` ([`Merger`]) through `det`, watching for
/// signals and a closed output, with progress from `progress` (the start time) if set.
/// Returns the signal that stopped the run (0: none) and whether an input failed.
fn run_merged<P: RulePack, W: Write, D: Write>(
    prog: &str,
    sources: Vec<Source>,
    det: &mut Detector<P, W, D>,
    flag: &AtomicUsize,
    progress: Option<Instant>,
    max_line_bytes: usize,
) -> (usize, bool) {
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut input_error = false;
    let mut readers = Vec::with_capacity(sources.len());
    for s in sources {
        match maybe_gunzip(s.reader) {
            Ok(r) => readers.push(r),
            Err(e) => {
                eprintln!("{prog}: {}: read error, input skipped: {e}", s.name);
                input_error = true;
                readers.push(Box::new(io::empty()));
            }
        }
    }
    let mut merger = Merger::new(readers, max_line_bytes);
    let mut last_progress = Instant::now();
    for n in 0u64.. {
        // checked before every line (an atomic load): a signal or a failed write stops
        // the run at once, however slowly the lines come
        let s = flag.load(Ordering::Relaxed);
        if s != 0 {
            return (s, input_error);
        }
        // a closed pipe, a full disk: nothing more can be written, so stop reading
        // rather than consume input whose alerts would be lost
        if det.output_error().is_some() {
            break;
        }
        if n % 1024 == 0 {
            if let Some(start) = progress {
                if last_progress.elapsed() >= Duration::from_secs(1) {
                    last_progress = Instant::now();
                    print_progress(prog, &det.stats(), start);
                }
            }
        }
        match merger.next_line() {
            Next::Line(l) if l.too_long => det.too_long_at(&names[l.input], l.lineno, l.len),
            Next::Line(l) => det.line_at(&names[l.input], l.lineno, l.text),
            Next::Error(i, e) => {
                eprintln!(
                    "{prog}: {}: read error, rest of input skipped: {e}",
                    names[i]
                );
                input_error = true;
            }
            Next::End => break,
        }
    }
    (0, input_error)
}

/// Parse the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        inputs: Vec::new(),
        format: None,
        output: None,
        opts: Options {
            reorder_window_ns: DEFAULT_REORDER_WINDOW_NS,
            ..Options::default()
        },
        max_pending: 1_000_000,
        list_rules: false,
        quiet: false,
        help: false,
    };
    let mut it = args.iter();
    let mut only_files = false;
    while let Some(arg) = it.next() {
        if only_files || arg == "-" || !arg.starts_with('-') {
            a.inputs.push(arg.clone());
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag {
            "--" => only_files = true,
            "-h" | "--help" => a.help = true,
            "-q" | "--quiet" => a.quiet = true,
            "--list-rules" => a.list_rules = true,
            "--no-type-check" => a.opts.type_check = false,
            "--format" => {
                a.format = Some(match value(flag)?.as_str() {
                    "ndjson" | "json" => Format::Ndjson,
                    "table" => Format::Table,
                    other => return Err(format!("--format: unknown format '{other}'")),
                })
            }
            "-o" | "--output" => a.output = Some(value(flag)?),
            "--max-line-bytes" => {
                let v = value(flag)?;
                a.opts.max_line_bytes = parse_size(&v)
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--max-line-bytes: invalid size '{v}'"))?;
            }
            "--reorder-window" => {
                let v = value(flag)?;
                a.opts.reorder_window_ns = parse_duration_ns(&v)
                    .ok_or_else(|| {
                        format!(
                            "--reorder-window: invalid duration '{v}' (a whole number and a unit: ns, us, ms, s, m, h or d, e.g. 5s)"
                        )
                    })?;
            }
            "--max-pending" => {
                let v = value(flag)?;
                a.max_pending = parse_size(&v)
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--max-pending: invalid number '{v}'"))?;
            }
            "--keep-bytes" => {
                let v = value(flag)?;
                a.opts.keep_bytes = parse_size(&v)
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--keep-bytes: invalid size '{v}'"))?;
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(a)
}

/// Run a detector binary with the process's arguments: the whole `main` of a detector is
/// `fn main() -> ExitCode { eqlc_detector::main_with(Pack::with_capacity) }`.
///
/// `make_pack(capacity)` builds the pack with room for `capacity` pending partials per
/// rule (`--max-pending` divided by the number of rules).
pub fn main_with<P: RulePack>(make_pack: impl Fn(usize) -> P) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(make_pack, &args)
}

fn install_signals() -> Arc<AtomicUsize> {
    let flag = Arc::new(AtomicUsize::new(0));
    let term_now = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // a second signal while shutting down exits at once (registered first, so it
        // sees the flag as it was before this signal)
        let _ =
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&term_now));
        let _ = signal_hook::flag::register(sig, Arc::clone(&term_now));
        let _ = signal_hook::flag::register_usize(sig, Arc::clone(&flag), sig as usize);
    }
    flag
}

/// [`main_with`] over explicit arguments (without the program name).
pub fn run<P: RulePack>(make_pack: impl Fn(usize) -> P, args: &[String]) -> ExitCode {
    let prog = "eqlc-detect";
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{prog}: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let probe = make_pack(1);
    // The pending-partials budget is shared by the rules that keep state.
    let n_stateful = probe.stateful_rules().max(1);
    if args.list_rules {
        let mut out = io::stdout().lock();
        for r in probe.rules() {
            let _ = writeln!(out, "{}\t{}\t{}", r.rule_id, r.severity.as_str(), r.name);
        }
        return ExitCode::SUCCESS;
    }
    drop(probe);
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        eprintln!("{prog}: standard input ('-') named more than once\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let sources = match open_sources(&args.inputs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{prog}: cannot read input: {e}");
            return ExitCode::from(2);
        }
    };
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let all_files = !names.iter().any(|n| n == "-");
    if let Some(path) = &args.output {
        if let Some(input) = args.inputs.iter().find(|i| same_file(i, path)) {
            eprintln!(
                "{prog}: the output file {path} is the input file {input}: writing alerts to it would destroy the events"
            );
            return ExitCode::from(2);
        }
    }
    let out: Box<dyn Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("{prog}: cannot write {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => Box::new(io::BufWriter::new(io::stdout())),
    };
    let mut opts = args.opts.clone();
    opts.format = args
        .format
        .unwrap_or(if args.output.is_none() && io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Ndjson
        });
    let pack = make_pack((args.max_pending / n_stateful).max(1));
    // settings raised to what the detector needs are said, not changed silently
    if !args.quiet {
        if args.max_pending < n_stateful {
            eprintln!(
                "{prog}: note: --max-pending {} is below the {n_stateful} rules that keep state; each keeps 1, {n_stateful} in all",
                args.max_pending
            );
        }
        if opts.keep_bytes <= opts.max_line_bytes {
            eprintln!(
                "{prog}: note: --keep-bytes {} cannot hold a line of --max-line-bytes {}; raised to {}",
                opts.keep_bytes,
                opts.max_line_bytes,
                opts.max_line_bytes + 1
            );
        }
    }
    let flag = install_signals();
    let mut det = Detector::new(pack, opts, out, io::stderr());
    let progress = !args.quiet && all_files && io::stderr().is_terminal();
    let start = Instant::now();
    let mut last_progress = start;
    let mut input_error = false;
    let mut signal = 0usize;
    if sources.len() > 1 {
        // several inputs: one stream in time order
        (signal, input_error) = run_merged(
            prog,
            sources,
            &mut det,
            &flag,
            progress.then_some(start),
            args.opts.max_line_bytes,
        );
    } else {
        let (rx, recycle) = spawn_reader(sources);
        let mut current = 0usize;
        let mut last_data = Instant::now();
        let idle_release = Duration::from_nanos(args.opts.reorder_window_ns.max(0) as u64)
            .max(Duration::from_millis(100));
        loop {
            let s = flag.load(Ordering::Relaxed);
            if s != 0 {
                signal = s;
                break;
            }
            // a closed pipe, a full disk: nothing more can be written, so stop reading
            // rather than consume input whose alerts would be lost
            if det.output_error().is_some() {
                break;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Msg::Begin(i)) => {
                    current = i;
                    det.begin_source(&names[i]);
                }
                Ok(Msg::Data(buf)) => {
                    det.feed(&buf);
                    let _ = recycle.send(buf);
                    last_data = Instant::now();
                }
                Ok(Msg::End) => det.end_source(),
                Ok(Msg::Error(e)) => {
                    eprintln!(
                        "{prog}: {}: read error, rest of input skipped: {e}",
                        names[current]
                    );
                    input_error = true;
                    det.end_source();
                }
                Err(RecvTimeoutError::Timeout) => {
                    // a quiet live stream: held events wait no longer than the window,
                    // in wall-clock time, for events that would come before them
                    if det.holds_events() && last_data.elapsed() >= idle_release {
                        det.release_held();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if progress && last_progress.elapsed() >= Duration::from_secs(1) {
                last_progress = Instant::now();
                print_progress(prog, &det.stats(), start);
            }
        }
    }
    if progress {
        eprint!("\r\x1b[K");
    }
    if signal != 0 || det.output_error().is_some() {
        det.discard_partial_line();
    }
    let write_failed = det
        .output_error()
        .filter(|e| e.kind() != io::ErrorKind::BrokenPipe)
        .map(|e| e.to_string());
    if let Some(e) = &write_failed {
        // said before the summary, whose alert counts include the alerts not written
        eprintln!("{prog}: writing alerts failed, input not read further: {e}");
    }
    let result = det.finish();
    let elapsed = start.elapsed();
    let stats = det.stats();
    if !args.quiet {
        let mut err = io::stderr().lock();
        let _ = err.write_all(summary(prog, &stats, det.pack().rules(), elapsed).as_bytes());
        for note in straggler_notes(&stats, &args.opts) {
            let _ = writeln!(err, "{prog}: note: {note}");
        }
    }
    if signal != 0 {
        return ExitCode::from((128 + signal).min(255) as u8);
    }
    if write_failed.is_some() {
        return ExitCode::from(1);
    }
    if let Err(e) = result {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("{prog}: writing alerts failed: {e}");
            return ExitCode::from(1);
        }
    }
    if input_error {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// The end-of-run summary.
pub fn summary(
    prog: &str,
    s: &Stats,
    rules: &[eqlc_runtime::RuleMeta],
    elapsed: Duration,
) -> String {
    let secs = elapsed.as_secs_f64();
    let mut o = format!(
        "{prog}: {} events, {:.1} MiB in {:.2} s ({:.0} events/s, {:.1} MiB/s); {} skipped by the prefilter\n",
        s.events,
        s.bytes as f64 / 1048576.0,
        secs,
        s.events as f64 / secs.max(1e-9),
        s.bytes as f64 / 1048576.0 / secs.max(1e-9),
        s.skipped,
    );
    o.push_str(&format!(
        "{prog}: alerts: {} (suppressed by max_signals: {})\n",
        s.total_alerts(),
        s.total_suppressed()
    ));
    for (i, r) in rules.iter().enumerate() {
        let a = s.alerts.get(i).copied().unwrap_or(0);
        let sup = s.suppressed.get(i).copied().unwrap_or(0);
        if a > 0 || sup > 0 {
            o.push_str(&format!("{prog}:   {a:>8}  {}", r.name));
            if sup > 0 {
                o.push_str(&format!("  (+{sup} suppressed)"));
            }
            o.push('\n');
        }
    }
    o.push_str(&format!(
        "{prog}: bad lines: {} (json {}, utf8 {}, too long {}, timestamp {}, type {}); stragglers dropped: {}\n",
        s.bad_lines, s.bad_json, s.bad_utf8, s.bad_too_long, s.bad_timestamp, s.bad_type, s.stragglers
    ));
    o.push_str(&format!(
        "{prog}: sequence state: evictions {}, expired {}, pending {}; alert events without source line: {}\n",
        s.pack.evictions, s.pack.expired, s.pack.pending, s.lost_lines
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("64k"), Some(65536));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_duration_ns("2s"), Some(2_000_000_000));
        assert_eq!(parse_duration_ns("500ms"), Some(500_000_000));
        assert_eq!(parse_duration_ns("0"), Some(0));
        assert_eq!(parse_duration_ns("2"), None);
        assert_eq!(parse_duration_ns("1d"), Some(86_400_000_000_000));
        for (ns, text) in [
            (0, "0"),
            (2_000_000_000, "2s"),
            (1_500_000_000, "1500ms"),
            (7, "7ns"),
            (120_000_000_000, "2m"),
            (86_400_000_000_000, "1d"),
        ] {
            assert_eq!(format_duration_ns(ns), text);
            assert_eq!(parse_duration_ns(text), Some(ns));
        }
    }

    #[test]
    fn the_default_window_is_two_seconds_and_zero_turns_it_off() {
        let p = parse_args(&a(&["f.ndjson"])).unwrap();
        assert_eq!(p.opts.reorder_window_ns, 2_000_000_000);
        let p = parse_args(&a(&["--reorder-window", "0", "f.ndjson"])).unwrap();
        assert_eq!(p.opts.reorder_window_ns, 0);
    }

    #[test]
    fn args() {
        let p = parse_args(&a(&[
            "--format",
            "table",
            "--reorder-window=2s",
            "--max-pending",
            "10",
            "f.ndjson",
            "-",
        ]))
        .unwrap();
        assert_eq!(p.format, Some(Format::Table));
        assert_eq!(p.opts.reorder_window_ns, 2_000_000_000);
        assert_eq!(p.max_pending, 10);
        assert_eq!(p.inputs, ["f.ndjson", "-"]);
        assert!(parse_args(&a(&["--bogus"])).is_err());
        assert!(parse_args(&a(&["--format"])).is_err());
        assert!(parse_args(&a(&["--format", "xml"])).is_err());
    }
}
