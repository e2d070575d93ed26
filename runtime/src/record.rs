//! Field access for generated matchers.
//!
//! Generated code never looks a field up by name: a pack numbers the field paths it reads
//! at build time (`RulePack::fields`), and matchers ask a [`Record`] for the values of
//! slot `i`. [`SlotBuf`] is reusable storage for one decoded event (filled by the
//! detector's decoder straight from JSON, or from any [`Event`] through
//! [`SlotBuf::fill_from`]).

use crate::value::Value;

/// One event as generated matchers see it: values by slot number.
pub trait Record {
    /// Iterator over the values of one slot.
    type Values<'s>: Iterator<Item = Value<'s>> + Clone
    where
        Self: 's;
    /// The values of slot `slot` (empty when the field is missing).
    fn values(&self, slot: usize) -> Self::Values<'_>;
}
