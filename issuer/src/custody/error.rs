//! What can go wrong with the key-encryption key and sealed keys. No
//! variant carries key bytes.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustodyError {
    /// The KEK file could not be read, created or written.
    KekFile { path: PathBuf, reason: String },
    /// The KEK file or variable does not hold 64 hex digits (32 bytes).
    KekMalformed { source: String },
    /// The KEK file can be read by other users.
    KekExposed { path: PathBuf, mode: u32 },
    /// A stored key was sealed under a KEK this issuer was not given.
    UnknownKek { sealed_under: String },
    /// A stored key does not open: tampered with, or moved from another
    /// row (the associated data names the row it belongs to).
    DoesNotOpen { owner: String },
    /// A stored value is not a sealed key at all.
    NotSealed { owner: String },
}

impl CustodyError {
    pub fn kind(&self) -> &'static str {
        "key_custody"
    }
}

impl fmt::Display for CustodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KekFile { path, reason } => {
                write!(f, "key-encryption key file {}: {reason}", path.display())
            }
            Self::KekMalformed { source } => write!(
                f,
                "the key-encryption key from {source} is not 64 hex digits (32 bytes)"
            ),
            Self::KekExposed { path, mode } => write!(
                f,
                "key-encryption key file {} is readable by other users (mode {mode:o}): chmod 600 it",
                path.display()
            ),
            Self::UnknownKek { sealed_under } => write!(
                f,
                "a stored key is sealed under key-encryption key {sealed_under}, which this issuer was not given"
            ),
            Self::DoesNotOpen { owner } => write!(
                f,
                "the stored key of {owner} does not decrypt: it was tampered with or moved from another row"
            ),
            Self::NotSealed { owner } => {
                write!(f, "the stored key of {owner} is not a sealed key")
            }
        }
    }
}

impl std::error::Error for CustodyError {}
