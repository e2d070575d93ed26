//! Variable-length keys of numbered slots in one shared buffer (the sequence engine's
//! join keys), reused without allocating once the buffer is large enough.
//!
//! Each slot owns a region of the buffer (`cap` bytes, a multiple of [`ALIGN`]). A key
//! that fits its slot's region is written in place; a longer one gets a new region at
//! the end of the buffer and the old region becomes garbage. When the buffer is full,
//! garbage is squeezed out in place (no allocation); only if the live regions still
//! leave less than a fifth of the buffer free does the buffer grow (by doubling). So
//! the buffer allocates only when the live keys need about twice the bytes they needed
//! at the last growth, and memory stays within a small factor of the live keys' bytes
//! (at most one region per slot, slots bounded by the owner's capacity).

/// Regions are rounded up to a multiple of this, so that keys of slightly different
/// lengths (ids, host names) reuse each other's regions.
const ALIGN: usize = 16;

#[derive(Debug, Clone, Copy, Default)]
struct Region {
    off: usize,
    len: usize,
    cap: usize,
}

/// Keys of slots `0..slots()`; see the [module documentation](self).
#[derive(Debug, Default)]
pub(crate) struct KeyStore {
    bytes: Vec<u8>,
    regions: Vec<Region>,
    /// Bytes of abandoned regions in `bytes`.
    garbage: usize,
    /// Compaction scratch (capacity kept at least `regions.len()`).
    order: Vec<u32>,
}

impl KeyStore {
    /// Makes room for `total` slots in the slot tables (allocates only if needed).
    pub(crate) fn reserve_slots(&mut self, total: usize) {
        self.regions
            .reserve_exact(total.saturating_sub(self.regions.len()));
        self.order
            .reserve_exact(total.saturating_sub(self.order.len()));
    }

    /// Adds a slot with an empty key; returns its number. Allocates nothing when room
    /// for it was made with [`KeyStore::reserve_slots`].
    pub(crate) fn push_slot(&mut self) -> usize {
        self.regions.push(Region::default());
        if self.order.capacity() < self.regions.len() {
            self.reserve_slots(self.regions.capacity());
        }
        self.regions.len() - 1
    }

    /// Number of slots.
    #[cfg(test)]
    pub(crate) fn slots(&self) -> usize {
        self.regions.len()
    }

    /// The key of slot `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let r = self.regions[i];
        &self.bytes[r.off..r.off + r.len]
    }

    /// Sets the key of slot `i`.
    pub(crate) fn set(&mut self, i: usize, key: &[u8]) {
        let r = self.regions[i];
        if key.len() <= r.cap {
            self.bytes[r.off..r.off + key.len()].copy_from_slice(key);
            self.regions[i].len = key.len();
            return;
        }
        self.garbage += r.cap;
        self.regions[i] = Region::default();
        let cap = key.len().div_ceil(ALIGN) * ALIGN;
        if self.bytes.len() + cap > self.bytes.capacity() {
            self.make_room(cap);
        }
        let off = self.bytes.len();
        self.bytes.extend_from_slice(key);
        self.bytes.resize(off + cap, 0);
        self.regions[i] = Region {
            off,
            len: key.len(),
            cap,
        };
    }

    /// The buffer is full: squeeze out garbage, grow if that leaves too little room.
    fn make_room(&mut self, need: usize) {
        if self.garbage > 0 {
            self.compact();
        }
        let len = self.bytes.len();
        let room = self.bytes.capacity() - len;
        if room < need || room < len / 4 {
            // `reserve` at least doubles the capacity (amortized growth).
            self.bytes.reserve(need.max(len / 4));
        }
    }

    /// Moves every region down over the garbage, in place.
    fn compact(&mut self) {
        self.order.clear();
        let regions = &self.regions;
        self.order
            .extend((0..regions.len() as u32).filter(|&i| regions[i as usize].cap > 0));
        self.order
            .sort_unstable_by_key(|&i| self.regions[i as usize].off);
        let mut w = 0;
        for &i in &self.order {
            let r = &mut self.regions[i as usize];
            self.bytes.copy_within(r.off..r.off + r.cap, w);
            r.off = w;
            w += r.cap;
        }
        self.bytes.truncate(w);
        self.garbage = 0;
    }

    /// Bytes reserved by the buffer (for tests).
    #[cfg(test)]
    pub(crate) fn reserved(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_reuse_and_compaction() {
        let mut ks = KeyStore::default();
        let n = 50;
        for _ in 0..n {
            ks.push_slot();
        }
        let mut want: Vec<Vec<u8>> = vec![Vec::new(); n];
        let mut x = 7u64;
        for round in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (x >> 33) as usize % n;
            let len = ((x >> 40) as usize % 90) + (round % 3);
            let key: Vec<u8> = (0..len)
                .map(|j| (j as u8).wrapping_add(round as u8))
                .collect();
            ks.set(i, &key);
            want[i] = key;
            if round % 97 == 0 {
                for (j, w) in want.iter().enumerate() {
                    assert_eq!(ks.get(j), &w[..], "slot {j} after round {round}");
                }
            }
        }
        assert_eq!(ks.slots(), n);
        // Bounded: at most a few times the largest possible live bytes.
        assert!(ks.reserved() <= 4 * n * 96, "reserved {}", ks.reserved());
    }
}
