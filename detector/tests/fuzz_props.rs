//! The decoder fuzz target's properties (`fuzz/props/decode.rs`) on a fixed, generated
//! set of lines, so that they hold on the stable toolchain and in CI: the bundled sample's
//! lines, hand-written lines with arrays of objects, flat dotted keys, duplicates,
//! escapes and control characters, and byte-level mutations of all of them.

#[path = "../../fuzz/props/decode.rs"]
#[allow(dead_code)]
mod props;

#[path = "../../fuzz/props/mutate.rs"]
mod mutate;

const TS: &str = r#""@timestamp":"2024-01-01T00:00:00Z""#;

fn seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = include_str!("../samples/sample.ndjson")
        .lines()
        .take(40)
        .map(|l| l.as_bytes().to_vec())
        .collect();
    for body in [
        r#""a":{"b":[1,{"c":"x"},[2.5,null]]},"a.b":"y","a":{"b.c":true}"#,
        r#""process":{"args":["-c","x\"y","\u00e9\ud83d\ude00"],"name":"sh"},"process.name":"bash""#,
        r#""k":1,"k":[2,3],"k":{"z":4},"b":-0,"b":1e3,"b":12345678901234567890"#,
        r#""event":{"category":[]},"x":{"y":{}},"x.y":[[["deep"]]]"#,
        r#""a very long key segment over sixteen bytes":{"z":"long"},"":"empty key""#,
        "\"a\":\"tab\tinside\"",
        "\t\"a\" :\r\n\"spaced\" ",
    ] {
        out.push(format!("{{{TS},{body}}}").into_bytes());
    }
    out
}

#[test]
fn decoder_properties_hold_on_seeds_and_mutations() {
    let seeds = seeds();
    let mut rng = mutate::Rng::new(0x51_7cc1_b727_220a);
    let alphabet = b"{}[],:\"\\1a.-e0 \tnul\x01\xc3\xa9";
    for s in &seeds {
        props::line(s);
    }
    for round in 0..20_000 {
        let mut b = seeds[round % seeds.len()].clone();
        mutate::mutate(&mut b, &mut rng, alphabet, &[]);
        props::line(&b);
    }
}
