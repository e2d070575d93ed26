//! Where a query's text came from, and byte offset → line:column.
//!
//! A [`Source`] holds the text a diagnostic is shown against (the query itself, or the whole
//! rule file it is embedded in) and an [`OffsetMap`] from byte offsets in the *query* to
//! byte offsets in that text, so that an error in a TOML rule is reported at the file's own
//! line and column.

/// Maps byte offsets of the query text to byte offsets of the displayed text.
///
/// Stored as sorted breakpoints `(query_offset, text_offset)`; between breakpoints offsets
/// advance together. A query taken verbatim from a file (a `'''` TOML literal string) needs
/// one breakpoint; a basic string with escapes needs one after every escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetMap {
    points: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// The identity map.
    pub fn identity() -> OffsetMap {
        OffsetMap {
            points: vec![(0, 0)],
        }
    }

    /// Query offset `o` is at text offset `base + o`.
    pub fn shifted(base: usize) -> OffsetMap {
        OffsetMap {
            points: vec![(0, base)],
        }
    }

    /// A map from breakpoints `(query_offset, text_offset)`. They are sorted here; an empty
    /// list means the identity.
    pub fn from_points(mut points: Vec<(usize, usize)>) -> OffsetMap {
        points.sort_unstable();
        points.dedup_by_key(|p| p.0);
        if points.first().map(|p| p.0) != Some(0) {
            points.insert(0, (0, points.first().map_or(0, |p| p.1)));
        }
        OffsetMap { points }
    }

    /// Map a query offset to a text offset.
    pub fn map(&self, offset: usize) -> usize {
        let i = self.points.partition_point(|p| p.0 <= offset);
        let (q, t) = self.points[i.saturating_sub(1)];
        t + (offset - q)
    }
}

/// The text diagnostics are shown against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Name shown before `:line:col` (a file path, or `<query>`).
    pub name: String,
    /// The displayed text (the query, or the whole file).
    pub text: String,
    /// Query offsets → offsets in [`Source::text`].
    pub map: OffsetMap,
}

impl Source {
    /// A query that stands alone (shown as itself).
    pub fn inline(name: impl Into<String>, query: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: query.into(),
            map: OffsetMap::identity(),
        }
    }

    /// A query embedded in a file whose full text is `file_text`.
    pub fn embedded(
        name: impl Into<String>,
        file_text: impl Into<String>,
        map: OffsetMap,
    ) -> Source {
        Source {
            name: name.into(),
            text: file_text.into(),
            map,
        }
    }

    /// Offset in [`Source::text`] of a query offset, clamped to the text.
    pub fn text_offset(&self, query_offset: usize) -> usize {
        let mut o = self.map.map(query_offset).min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// 1-based line and column (in characters) of a query offset.
    pub fn line_col(&self, query_offset: usize) -> (usize, usize) {
        line_col(&self.text, self.text_offset(query_offset))
    }
}

/// 1-based line and column (in characters) of a byte offset of `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_positions() {
        let m = OffsetMap::from_points(vec![(0, 10), (5, 17)]);
        assert_eq!(m.map(0), 10);
        assert_eq!(m.map(4), 14);
        assert_eq!(m.map(5), 17);
        assert_eq!(m.map(7), 19);
        assert_eq!(line_col("ab\ncdé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nx", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
        assert_eq!(line_col("ab\ncdé\nx", 7), (2, 4));
    }
}
