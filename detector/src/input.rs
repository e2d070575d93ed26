//! Input sources: files (plain or gzip, detected by magic bytes) and stdin, read on a
//! reader thread in fixed-size chunks that are recycled, so the detector loop can watch
//! for signals while the reader blocks, and decompression overlaps matching.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use flate2::read::MultiGzDecoder;

/// Size of one chunk handed to the detector.
pub const CHUNK: usize = 256 * 1024;
/// Number of chunks in flight.
const CHUNKS: usize = 4;

/// One input as named on the command line.
pub struct Source {
    /// Name for diagnostics (`-` for stdin).
    pub name: String,
    /// The opened stream (before gzip detection).
    pub reader: Box<dyn Read + Send>,
}

/// Open the inputs named on the command line (`-` is stdin; no names = stdin). Fails on
/// the first one that cannot be opened, or that is a directory.
pub fn open_sources(names: &[String]) -> Result<Vec<Source>, String> {
    let names: Vec<String> = if names.is_empty() {
        vec!["-".into()]
    } else {
        names.to_vec()
    };
    let mut out = Vec::new();
    for n in names {
        if n == "-" {
            out.push(Source {
                name: n,
                reader: Box::new(io::stdin()),
            });
            continue;
        }
        let f = File::open(&n).map_err(|e| format!("{n}: {e}"))?;
        if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(format!("{n}: is a directory"));
        }
        out.push(Source {
            name: n,
            reader: Box::new(f),
        });
    }
    Ok(out)
}

/// Wrap `r` in a gzip decoder when it starts with the gzip magic bytes.
pub fn maybe_gunzip(r: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut br = BufReader::with_capacity(CHUNK, r);
    let head = br.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Box::new(MultiGzDecoder::new(br)))
    } else {
        Ok(Box::new(br))
    }
}

/// What the reader thread sends.
pub enum Msg {
    /// Input `usize` starts.
    Begin(usize),
    /// Bytes of the current input (give the buffer back through the recycle sender).
    Data(Vec<u8>),
    /// Input ended normally.
    End,
    /// Reading the input failed; the rest of it is skipped.
    Error(io::Error),
}

/// Start the reader thread over `sources` (in order). Returns the message receiver and
/// the sender on which data buffers must be given back.
pub fn spawn_reader(sources: Vec<Source>) -> (Receiver<Msg>, SyncSender<Vec<u8>>) {
    let (tx, rx) = mpsc::sync_channel::<Msg>(CHUNKS + 2);
    let (free_tx, free_rx) = mpsc::sync_channel::<Vec<u8>>(CHUNKS);
    for _ in 0..CHUNKS {
        let _ = free_tx.send(Vec::with_capacity(CHUNK));
    }
    thread::spawn(move || {
        for (i, s) in sources.into_iter().enumerate() {
            if tx.send(Msg::Begin(i)).is_err() {
                return;
            }
            let mut r = match maybe_gunzip(s.reader) {
                Ok(r) => r,
                Err(e) => {
                    if tx.send(Msg::Error(e)).is_err() {
                        return;
                    }
                    continue;
                }
            };
            loop {
                let Ok(mut buf) = free_rx.recv() else { return };
                buf.resize(CHUNK, 0);
                let n = loop {
                    match r.read(&mut buf) {
                        Ok(n) => break Ok(n),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => break Err(e),
                    }
                };
                match n {
                    Ok(0) => {
                        buf.clear();
                        // keep the buffer in circulation
                        let _ = tx.send(Msg::Data(buf));
                        if tx.send(Msg::End).is_err() {
                            return;
                        }
                        break;
                    }
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.send(Msg::Data(buf)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        buf.clear();
                        let _ = tx.send(Msg::Data(buf));
                        if tx.send(Msg::Error(e)).is_err() {
                            return;
                        }
                        break;
                    }
                }
            }
        }
    });
    (rx, free_tx)
}
