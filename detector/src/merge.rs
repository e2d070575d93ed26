//! [`Merger`]: several inputs read as one stream in `@timestamp` order.
//!
//! Events of one host, or of one kind, often come in files of their own (`host-a.ndjson`,
//! `process.ndjson` and `network.ndjson`), each in time order. Read one after the other,
//! the second file's events would all be older than the first file's last one, and every
//! one of them beyond the reorder window would be dropped as a straggler; Elasticsearch,
//! which searches all of them together, would see one stream in time order. So when the
//! detector is given several inputs it merges them: it holds the next line of each input
//! and always takes the one with the earliest `@timestamp` (the lower input number on a
//! tie), so lines of one input keep their order. An input need only be in rough time
//! order; the reorder window downstream puts small inversions right, as for one input.
//!
//! A line's time for merging is read cheaply: `{"@timestamp":"..."` at its start, else
//! the first `@timestamp` of the whole line, found by a decoder that wants no other field.
//! A line whose time cannot be read (a bad line, a blank one) takes the time of the line
//! before it in its input, so it stays in place; the detector reports it as usual.
//!
//! Lines are read whole, at most `max_line_bytes` and one more byte of each kept (a `\r`
//! before the newline, which the detector does not count): a longer line is read to its
//! end without being stored and handed on as too long, with its length.

use std::io::{self, BufRead, BufReader, Read};

use eqlc_runtime::SlotBuf;

use crate::decode::{Decoder, FieldTrie, FieldType};
use crate::prefilter::leading_timestamp;

/// Read buffer of one input.
const BUF: usize = 64 * 1024;

/// One line handed out by [`Merger::next_line`].
#[derive(Debug)]
pub struct MergedLine<'m> {
    /// The input it comes from (its position among the inputs).
    pub input: usize,
    /// Its line number in that input (from 1).
    pub lineno: u64,
    /// The line without its newline; empty when `too_long`.
    pub text: &'m [u8],
    /// The line is longer than the limit: `len` bytes, not kept.
    pub too_long: bool,
    /// Length of the line in bytes (without the newline).
    pub len: u64,
}

/// What [`Merger::next_line`] gives.
#[derive(Debug)]
pub enum Next<'m> {
    /// The earliest line of all inputs.
    Line(MergedLine<'m>),
    /// Reading input `usize` failed; the rest of it is skipped.
    Error(usize, io::Error),
    /// Every input has ended.
    End,
}

/// The next line of one input, read ahead.
struct Head {
    line: Vec<u8>,
    len: u64,
    too_long: bool,
    lineno: u64,
    ts: i64,
}

struct Input {
    reader: Option<Box<dyn BufRead + Send>>,
    head: Option<Head>,
    lineno: u64,
    /// Time of the last line read whose time could be read.
    last_ts: i64,
    /// A read error to report before anything else of this input.
    error: Option<io::Error>,
}

/// Several inputs merged by `@timestamp` (see the module documentation).
pub struct Merger {
    inputs: Vec<Input>,
    max_line_bytes: usize,
    ts_decoder: Decoder,
    ts_slots: SlotBuf,
    /// The line handed out last (kept until the next call).
    out: Vec<u8>,
}

impl Merger {
    /// Merge `readers` (already past gzip detection), in input order; lines longer than
    /// `max_line_bytes` are not kept.
    pub fn new(readers: Vec<Box<dyn Read + Send>>, max_line_bytes: usize) -> Merger {
        let inputs = readers
            .into_iter()
            .map(|r| Input {
                reader: Some(Box::new(BufReader::with_capacity(BUF, r)) as Box<dyn BufRead + Send>),
                head: None,
                lineno: 0,
                last_ts: i64::MIN,
                error: None,
            })
            .collect();
        let mut m = Merger {
            inputs,
            max_line_bytes,
            ts_decoder: Decoder::new(FieldTrie::new(&[], &|_| FieldType::Any)),
            ts_slots: SlotBuf::new(0),
            out: Vec::new(),
        };
        for i in 0..m.inputs.len() {
            m.fill(i);
        }
        m
    }

    /// Read the next line of input `i` into its head (nothing at its end or on error).
    fn fill(&mut self, i: usize) {
        let input = &mut self.inputs[i];
        let mut line = input.head.take().map(|h| h.line).unwrap_or_default();
        let Some(reader) = input.reader.as_mut() else {
            return;
        };
        line.clear();
        // one byte over the limit is handed on: it may be a `\r` before the newline, which
        // the detector does not count (and it checks the limit itself)
        let limit = self.max_line_bytes.saturating_add(1);
        match read_line_limited(reader.as_mut(), &mut line, limit) {
            Ok(None) => input.reader = None,
            Ok(Some((len, too_long))) => {
                input.lineno += 1;
                let ts = if too_long {
                    None
                } else {
                    line_time(&line, &mut self.ts_decoder, &mut self.ts_slots)
                };
                if let Some(t) = ts {
                    input.last_ts = t;
                }
                input.head = Some(Head {
                    line,
                    len,
                    too_long,
                    lineno: input.lineno,
                    ts: ts.unwrap_or(input.last_ts),
                });
            }
            Err(e) => {
                input.reader = None;
                input.error = Some(e);
            }
        }
    }

    /// The earliest line of all inputs, a read error, or the end.
    pub fn next_line(&mut self) -> Next<'_> {
        if let Some(i) = self.inputs.iter().position(|x| x.error.is_some()) {
            let e = self.inputs[i].error.take().expect("an error");
            return Next::Error(i, e);
        }
        let mut best: Option<(i64, usize)> = None;
        for (i, input) in self.inputs.iter().enumerate() {
            if let Some(h) = &input.head {
                if best.is_none_or(|(ts, _)| h.ts < ts) {
                    best = Some((h.ts, i));
                }
            }
        }
        let Some((_, i)) = best else {
            return Next::End;
        };
        let head = self.inputs[i].head.take().expect("a head");
        // hand the line out from `out`, and give `out`'s buffer to the input for reuse
        self.inputs[i].head = Some(Head {
            line: std::mem::replace(&mut self.out, head.line),
            len: 0,
            too_long: false,
            lineno: 0,
            ts: 0,
        });
        self.fill(i);
        Next::Line(MergedLine {
            input: i,
            lineno: head.lineno,
            text: if head.too_long { &[] } else { &self.out },
            too_long: head.too_long,
            len: head.len,
        })
    }
}

/// The time a line is merged by, if it can be read.
fn line_time(line: &[u8], dec: &mut Decoder, slots: &mut SlotBuf) -> Option<i64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let start = line.iter().position(|c| !matches!(c, b' ' | b'\t'))?;
    let line = &line[start..];
    if line.first() != Some(&b'{') {
        return None;
    }
    if let Some(t) = leading_timestamp(line) {
        return Some(t);
    }
    dec.decode_bytes(line, slots).ok().map(|(_, ts)| ts)
}

/// Read one line (without its newline) into `out`, keeping at most `max + 1` bytes of
/// it. `None` at the end of input; else the line's length and whether it is longer than
/// `max` (then `out` holds only its start).
fn read_line_limited(
    r: &mut dyn BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<(u64, bool)>> {
    let mut len = 0u64;
    let mut any = false;
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(any.then_some((len, len > max as u64)));
        }
        any = true;
        let (part, used, done) = match memchr::memchr(b'\n', buf) {
            Some(n) => (&buf[..n], n + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = (max + 1).saturating_sub(out.len());
        out.extend_from_slice(&part[..part.len().min(room)]);
        len += part.len() as u64;
        r.consume(used);
        if done {
            return Ok(Some((len, len > max as u64)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merger(inputs: &[&str], max: usize) -> Merger {
        let readers = inputs
            .iter()
            .map(|s| Box::new(io::Cursor::new(s.as_bytes().to_vec())) as Box<dyn Read + Send>)
            .collect();
        Merger::new(readers, max)
    }

    fn drain(m: &mut Merger) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match m.next_line() {
                Next::Line(l) if l.too_long => {
                    out.push(format!("{}:{} too long ({})", l.input, l.lineno, l.len))
                }
                Next::Line(l) => out.push(format!(
                    "{}:{} {}",
                    l.input,
                    l.lineno,
                    String::from_utf8_lossy(l.text)
                )),
                Next::Error(i, e) => out.push(format!("{i}: error {e}")),
                Next::End => return out,
            }
        }
    }

    fn ev(sec: u32, tag: &str) -> String {
        format!("{{\"@timestamp\":\"2024-05-01T00:00:{sec:02}Z\",\"t\":\"{tag}\"}}\n")
    }

    #[test]
    fn inputs_interleave_by_time_and_keep_their_own_order() {
        let a = [ev(1, "a1"), ev(3, "a3"), ev(5, "a5")].concat();
        // the time is not the first key here, and one line is not JSON
        let b = "{\"t\":\"b2\",\"@timestamp\":\"2024-05-01T00:00:02Z\"}\nnot json\n".to_string()
            + &ev(3, "b3")
            + &ev(4, "b4");
        let got = drain(&mut merger(&[&a, &b], 1 << 20));
        let tags: Vec<&str> = got
            .iter()
            .map(|l| l.split_once(' ').expect("a line").0)
            .collect();
        // the bad line keeps its place after b2 (it takes b2's time); on a tie at 3 s the
        // first input goes first
        assert_eq!(tags, ["0:1", "1:1", "1:2", "0:2", "1:3", "1:4", "0:3"]);
        assert!(got[2].ends_with("not json"), "{got:?}");
    }

    #[test]
    fn long_lines_are_measured_not_kept_and_the_last_line_needs_no_newline() {
        let long = ev(1, &"x".repeat(100));
        let a = format!("{long}{}", ev(2, "short").trim_end());
        let got = drain(&mut merger(&[&a], 79));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], format!("0:1 too long ({})", long.len() - 1));
        assert!(
            got[1].starts_with("0:2 {") && got[1].ends_with("short\"}"),
            "{got:?}"
        );
    }

    #[test]
    fn a_read_error_is_reported_and_the_other_inputs_go_on() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let a = ev(1, "a1");
        let readers: Vec<Box<dyn Read + Send>> =
            vec![Box::new(io::Cursor::new(a.into_bytes())), Box::new(Failing)];
        let got = drain(&mut Merger::new(readers, 1 << 20));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], "1: error disk on fire");
        assert!(got[1].starts_with("0:1 "), "{got:?}");
    }
}
