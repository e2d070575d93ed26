//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! Every stage reports problems as [`Diagnostic`]s (a message, a primary byte span into the
//! query, optional secondary labels and a help line) collected in [`Diagnostics`].
//! [`Diagnostics::render`] draws them like rustc against a [`Source`]:
//!
//! ```text
//! rules/x.toml:12:35: error: maxspan needs a time unit
//!    |
//! 12 | sequence by host.id with maxspan=1
//!    |                                  ^
//!    = help: write the unit after the number: `1s` (units: ms, s, m, h, d)
//! ```

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::Span;
use crate::source::Source;

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The query is rejected.
    Error,
    /// Reported, but the query is accepted.
    Warning,
}

/// A secondary span with a short note ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What about it.
    pub message: String,
}

/// One problem in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Lower-case, no trailing period, names things in backticks.
    pub message: String,
    /// Primary byte span into the query text.
    pub span: Span,
    /// Secondary spans.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    /// Add a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Add a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Render against `src` (see the module docs for the layout).
    pub fn render(&self, src: &Source) -> String {
        let mut out = String::new();
        let (line, col) = src.line_col(self.span.start);
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{}:{line}:{col}: {sev}: {}", src.name, self.message);
        let width = digits(line).max(
            self.labels
                .iter()
                .map(|l| digits(src.line_col(l.span.start).0))
                .max()
                .unwrap_or(0),
        );
        let _ = writeln!(out, "{:width$} |", "");
        let primary_line = src.line_col(self.span.start).0;
        let (same, other): (Vec<&Label>, Vec<&Label>) = self
            .labels
            .iter()
            .partition(|l| src.line_col(l.span.start).0 == primary_line);
        snippet(&mut out, src, &self.span, &same, width);
        for l in other {
            let note = Label {
                span: l.span.clone(),
                message: l.message.clone(),
            };
            snippet_label(&mut out, src, &note, width);
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "{:width$} = help: {h}", "");
        }
        out
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

/// Byte range of `span` within its first line, in display columns: (line start offset,
/// line end offset, first column, width).
fn columns(src: &Source, span: &Span) -> (usize, usize, usize, usize) {
    let text = &src.text;
    let start = src.text_offset(span.start);
    let end = src.text_offset(span.end.max(span.start)).max(start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let col = text[line_start..start].chars().count();
    let len = text[start..end.min(line_end)].chars().count().max(1);
    (line_start, line_end, col, len)
}

/// Write the source line holding `span`.
fn source_line(out: &mut String, src: &Source, span: &Span, width: usize) {
    let (line_start, line_end, _, _) = columns(src, span);
    let line_text = src.text[line_start..line_end].trim_end_matches('\r');
    let (line, _) = src.line_col(span.start);
    // Tabs are shown as one space so that the markers line up.
    let shown: String = line_text
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let _ = writeln!(out, "{line:>width$} | {shown}");
}

/// The primary span's line with `^` under it, and `-` under labels on the same line
/// (their notes below, rustc style).
fn snippet(out: &mut String, src: &Source, span: &Span, labels: &[&Label], width: usize) {
    source_line(out, src, span, width);
    let (_, _, col, len) = columns(src, span);
    let mut marks: Vec<char> = Vec::new();
    let put = |from: usize, n: usize, c: char, marks: &mut Vec<char>| {
        if marks.len() < from + n {
            marks.resize(from + n, ' ');
        }
        for m in &mut marks[from..from + n] {
            if *m != '^' {
                *m = c;
            }
        }
    };
    put(col, len, '^', &mut marks);
    let mut notes = Vec::new();
    for l in labels {
        let (_, _, c, n) = columns(src, &l.span);
        put(c, n, '-', &mut marks);
        if !l.message.is_empty() {
            notes.push((c, l.message.as_str()));
        }
    }
    let marks: String = marks.into_iter().collect();
    let _ = writeln!(out, "{:width$} | {}", "", marks.trim_end());
    for (c, note) in notes {
        let _ = writeln!(out, "{:width$} | {:c$}|", "", "");
        let _ = writeln!(out, "{:width$} | {:c$}{note}", "", "");
    }
}

/// A label on another line: its source line, `-` markers and the note.
fn snippet_label(out: &mut String, src: &Source, l: &Label, width: usize) {
    source_line(out, src, &l.span, width);
    let (_, _, col, len) = columns(src, &l.span);
    let _ = writeln!(
        out,
        "{:width$} | {:col$}{} {}",
        "",
        "",
        "-".repeat(len),
        l.message
    );
}

impl Display for Diagnostic {
    /// Short form without source: `error: message (at bytes a..b)`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{sev}: {} (at bytes {}..{})",
            self.message, self.span.start, self.span.end
        )?;
        if let Some(h) = &self.help {
            write!(f, "; help: {h}")?;
        }
        Ok(())
    }
}

/// The diagnostics of one query, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    /// Add one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterate.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Render all of them against `src`, separated by blank lines.
    pub fn render(&self, src: &Source) -> String {
        self.0
            .iter()
            .map(|d| d.render(src))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl Display for Diagnostics {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_char('\n')?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
