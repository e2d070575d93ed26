//! Input sources: files (plain or gzip, detected by magic bytes) and stdin, read on a
//! reader thread in fixed-size chunks that are recycled, so the detector loop can watch
//! for signals while the reader blocks, and decompression overlaps matching.

use std::fs::File;
use std::io::{self, BufReader, Read};
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

/// Wrap `r` in a gzip decoder when it starts with the gzip magic bytes. The first two
/// bytes are read whole (a pipe may deliver one byte at a time) and then given back in
/// front of the rest.
pub fn maybe_gunzip(mut r: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut head = [0u8; 2];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let whole = io::Cursor::new(head[..n].to_vec()).chain(r);
    if head[..n] == [0x1f, 0x8b] {
        Ok(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            CHUNK, whole,
        ))))
    } else {
        Ok(Box::new(whole))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A reader that gives one byte per call.
    struct Trickle(Vec<u8>, usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 == self.0.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[self.1];
            self.1 += 1;
            Ok(1)
        }
    }

    fn read_all(r: Box<dyn Read + Send>) -> Vec<u8> {
        let mut out = Vec::new();
        maybe_gunzip(r).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn gzip_is_found_even_when_the_first_read_gives_one_byte() {
        let text = b"{\"a\":1}\n".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(read_all(Box::new(Trickle(gz.clone(), 0))), text);
        assert_eq!(read_all(Box::new(io::Cursor::new(gz))), text);
        // plain text, a single byte, nothing: given back whole
        assert_eq!(read_all(Box::new(Trickle(text.clone(), 0))), text);
        assert_eq!(read_all(Box::new(Trickle(b"x".to_vec(), 0))), b"x");
        assert_eq!(read_all(Box::new(io::empty())), b"");
    }
}
