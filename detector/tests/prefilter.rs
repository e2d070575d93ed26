//! The prefilter changes nothing but the work: with the bundled (generated) pack, the
//! detector writes byte-identical alerts and counts the same events, bad lines and
//! stragglers with and without it, on a generated stream with garbage, out-of-order
//! events and escaped category values; and the one documented difference (a line that a
//! category no rule reads rules out is not checked for bad JSON) is what it is.
#![cfg(feature = "bundled")]

use eqlc_detector::gen::{generate, GenConfig, OsMix};
use eqlc_detector::{Detector, Options, Stats};
use eqlc_rules::Bundled;

fn run(opts: Options, input: &[u8]) -> (Vec<u8>, Stats) {
    let mut out = Vec::new();
    let stats = {
        let mut det = Detector::new(Bundled::new(), opts, &mut out, std::io::sink());
        for c in input.chunks(4096) {
            det.feed(c);
        }
        det.finish().unwrap()
    };
    (out, stats)
}

fn off() -> Options {
    Options {
        prefilter: false,
        ..Options::default()
    }
}

#[test]
fn same_alerts_and_counts_with_and_without_prefilter() {
    same_with_and_without_prefilter(0);
}

#[test]
fn same_alerts_and_counts_with_and_without_prefilter_under_a_reorder_window() {
    // lines the prefilter rules out are held as their time only: the events around them
    // are released, and judged stragglers, exactly as when every line is decoded
    same_with_and_without_prefilter(300_000_000);
}

fn same_with_and_without_prefilter(reorder_window_ns: i64) {
    let cfg = GenConfig {
        events: 12_000,
        seed: 21,
        shells: 30,
        near_misses: 30,
        hosts: 12,
        os: OsMix::Mixed,
        ..GenConfig::default()
    };
    let mut clean = Vec::new();
    generate(&cfg, &mut clean, None).unwrap();
    let lines: Vec<&[u8]> = clean
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let garbage: [&[u8]; 5] = [
        b"{not json",
        b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"a\":[1,2}",
        b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"event\":{\"category\":\"\xff\"}}",
        b"{\"@timestamp\":\"yesterday\",\"event\":{\"category\":[\"file\"]}}",
        b"{\"event\":{\"category\":[\"file\"]}}",
    ];
    let mut input = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if i % 89 == 7 {
            input.extend_from_slice(garbage[i % garbage.len()]);
            input.push(b'\n');
        }
        // swap some neighbours: stragglers
        let pair: Vec<&[u8]> = if i % 53 == 0 && i + 1 < lines.len() {
            i += 2;
            vec![lines[i - 1], lines[i - 2]]
        } else {
            i += 1;
            vec![lines[i - 1]]
        };
        for l in pair {
            let s = String::from_utf8(l.to_vec()).unwrap();
            // escaped spellings of category values (the prefilter must decode these)
            let s = match i % 7 {
                0 => s.replace(
                    r#""category":["process"]"#,
                    r#""category":["proc\u0065ss"]"#,
                ),
                1 => s.replace(
                    r#""category":["network"]"#,
                    r#""category":["netw\u006frk"]"#,
                ),
                2 => s.replace(r#""category":["file"]"#, r#""category":["fil\u0065"]"#),
                3 => s.replace(r#""category":["file"]"#, r#""category" : [ "file" , "x" ]"#),
                _ => s,
            };
            input.extend_from_slice(s.as_bytes());
            input.push(b'\n');
        }
    }
    let on = Options {
        reorder_window_ns,
        ..Options::default()
    };
    let (out_on, mut stats_on) = run(on, &input);
    let (out_off, stats_off) = run(
        Options {
            reorder_window_ns,
            ..off()
        },
        &input,
    );
    assert!(stats_on.total_alerts() >= 25, "{stats_on:?}");
    assert_eq!(out_on, out_off, "alerts differ");
    assert!(stats_on.skipped > 2000, "{stats_on:?}");
    assert_eq!(stats_off.skipped, 0);
    assert!(stats_on.bad_lines > 100, "{stats_on:?}");
    if reorder_window_ns == 0 {
        assert!(stats_on.stragglers > 50, "{stats_on:?}");
    } else {
        // the swapped neighbours are put back in order
        assert_eq!(stats_on.stragglers, 0, "{stats_on:?}");
    }
    stats_on.skipped = 0;
    assert_eq!(stats_on, stats_off);
}

#[test]
fn documented_difference_broken_line_of_an_unread_category() {
    let input = b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"event\":{\"category\":[\"file\"]},\"x\":tru}\n";
    let (_, on) = run(Options::default(), input);
    let (_, off) = run(off(), input);
    assert_eq!((on.events, on.skipped, on.bad_lines), (1, 1, 0));
    assert_eq!((off.events, off.skipped, off.bad_json), (0, 0, 1));
}
