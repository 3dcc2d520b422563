//! Why the shown code could not change.

use super::CodeError;

/// Why the shown code could not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationError {
    /// The code could not be made (for example no such funding source).
    Code(CodeError),
    /// All 16 codes of this time step have been shown.
    CounterExhausted,
    /// The clock or the clock offset is not a usable time.
    BadClock,
}

impl RotationError {
    /// Stable snake_case name, for programs and translations.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Code(e) => e.kind(),
            Self::CounterExhausted => "counter_exhausted",
            Self::BadClock => "bad_clock",
        }
    }
}

impl From<CodeError> for RotationError {
    fn from(e: CodeError) -> Self {
        Self::Code(e)
    }
}

impl RotationError {
    /// The plain-words message (what Display prints), without `core::fmt`.
    pub fn message(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Self::Code(e) => e.message(),
            Self::CounterExhausted => {
                "all 16 codes of this time step have been used; a new code comes with the next step"
                    .into()
            }
            Self::BadClock => "the clock or the clock offset is not a valid time".into(),
        }
    }
}

impl core::fmt::Display for RotationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for RotationError {}
