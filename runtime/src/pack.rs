//! [`RulePack`]: the interface of a compiled rule pack, and the [`Alert`]s it produces.

use crate::meta::RuleMeta;
use crate::record::Record;
use crate::sequence::Key;

/// A reference to one event, as given by the caller: an opaque handle (for example the
/// event's sequence number in the input, used to find its source text again) and its
/// timestamp in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventRef {
    /// Caller-chosen handle.
    pub handle: u64,
    /// Event time, nanoseconds since the Unix epoch.
    pub ts: i64,
}

/// One detection.
#[derive(Debug, Clone, Copy)]
pub struct Alert<'a> {
    /// Index of the rule in [`RulePack::rules`].
    pub rule: usize,
    /// The matched events in order (stage order for sequences, filter order for samples).
    /// `None` is the placeholder of a missing-event stage.
    pub events: &'a [Option<EventRef>],
    /// For sequences and samples: a deterministic id shared by the events of this match
    /// (derived from the rule, the join key and the matched events).
    pub group_id: Option<u64>,
    /// For sequences and samples: the join-key tuple the events matched under (`None`
    /// for event queries; an empty tuple without `by`).
    pub key: Option<Key<'a>>,
}

/// Counters a pack keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackStats {
    /// Pending partial sequences dropped because the state was full (oldest first).
    pub evictions: u64,
    /// Pending partial sequences dropped because their maxspan had passed.
    pub expired: u64,
    /// Pending partial sequences now held.
    pub pending: u64,
}

/// One test a filter requires, for prefilters ([`RulePack::prefilter`]): some value of the
/// field in slot `slot`, read as keyword text, is one of `values` or starts with one of
/// `prefixes` — byte for byte, or when `fold`, after Unicode simple case folding (then
/// `values` and `prefixes` are given folded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueTest {
    /// Slot (index into [`RulePack::fields`]).
    pub slot: usize,
    /// Accepted values.
    pub values: &'static [&'static str],
    /// Accepted prefixes.
    pub prefixes: &'static [&'static str],
    /// Case-insensitive (Unicode simple case folding).
    pub fold: bool,
}

/// A compiled set of rules. Generated code implements it; the detector and tests drive it.
///
/// Events must be fed in ascending time order (ties in arrival order). The pack calls
/// `out` for every alert, immediately when it is final, or from [`RulePack::flush`] for
/// results that need the end of input (`tail`, trailing missing-event stages, samples).
pub trait RulePack {
    /// The field paths the pack reads; slot `i` of a [`Record`] holds the values of
    /// `FIELDS[i]`.
    fn fields(&self) -> &'static [&'static str];
    /// Metadata of every rule, indexed by [`Alert::rule`].
    fn rules(&self) -> &'static [RuleMeta];
    /// Match one event.
    fn on_event<R: Record + ?Sized>(
        &mut self,
        rec: &R,
        ev: EventRef,
        out: &mut dyn FnMut(Alert<'_>),
    );
    /// End of input: emit every result still held back.
    fn flush(&mut self, out: &mut dyn FnMut(Alert<'_>));
    /// Counters summed over all rules.
    fn stats(&self) -> PackStats;
    /// Necessary conditions for an event to matter, so that a caller may skip events
    /// without decoding them fully: an event can pass a filter of some rule (and so change
    /// any state of the pack or produce any alert) only if, for some entry of the list, it
    /// passes every [`ValueTest`] of that entry. An event that passes no filter leaves the
    /// pack unchanged. `None` (the default): nothing is known, every event may matter.
    fn prefilter(&self) -> Option<&'static [&'static [ValueTest]]> {
        None
    }
    /// How many rules keep state between events (sequences and samples): the ones a
    /// budget of pending partials is shared among (`eqlc-detect --max-pending N` gives
    /// each `N / stateful_rules()`). The default counts every rule.
    fn stateful_rules(&self) -> usize {
        self.rules().len()
    }
}
