//! Deterministic byte-level mutations for the stable smoke tests that run the fuzz
//! properties without libFuzzer (`eqlc/tests/fuzz_props.rs`,
//! `detector/tests/fuzz_props.rs`).

/// A xorshift generator: `next(n)` is in `0..n`.
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One to three edits of `b`: delete a byte, replace one from `alphabet`, insert one of
/// `words` (or, without words, copy a short run of `b` elsewhere), or insert a byte.
pub fn mutate(b: &mut Vec<u8>, rng: &mut Rng, alphabet: &[u8], words: &[&[u8]]) {
    for _ in 0..1 + rng.next(3) {
        let at = rng.next(b.len() + 1);
        match rng.next(4) {
            0 if at < b.len() => {
                b.remove(at);
            }
            1 if at < b.len() => b[at] = alphabet[rng.next(alphabet.len())],
            2 if !words.is_empty() => {
                let w = words[rng.next(words.len())];
                b.splice(at..at, w.iter().copied());
            }
            2 if at + 8 < b.len() => {
                let run: Vec<u8> = b[at..at + 1 + rng.next(8)].to_vec();
                let to = rng.next(b.len());
                b.splice(to..to, run);
            }
            _ => b.insert(at, alphabet[rng.next(alphabet.len())]),
        }
    }
}
