//! [`Value`]: one value of an event field.

/// One value of a field, borrowed from the event. A field holds zero or more values: a
/// JSON array contributes each of its (non-array) elements, a scalar contributes itself,
/// a missing field contributes none. An explicit JSON `null` is [`Value::Null`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// JSON `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integral JSON number that fits `i64`.
    Int(i64),
    /// Any other JSON number.
    Float(f64),
    /// A string (already unescaped).
    Str(&'a str),
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    #[inline]
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is JSON `null`.
    #[inline]
    pub fn is_null(self) -> bool {
        matches!(self, Value::Null)
    }
}
