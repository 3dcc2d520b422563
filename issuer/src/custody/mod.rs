//! Key custody: card keys and merchant API keys are stored sealed
//! (AES-256-GCM) under a key-encryption key that never enters the
//! database. The stores seal on insert and open on read
//! ([`crate::store`]); nothing else sees a sealed value.

mod error;
mod kek;
mod source;
mod vault;

pub use error::CustodyError;
pub use kek::{Kek, KEK_BYTES, KEK_ID_BYTES};
pub use source::{KekSource, KEK_ENV, KEK_FILE_ENV};
pub use vault::{KeyOwner, Vault, KEY_VERSION};

/// One vault for every store a test process opens, so a file or database
/// reopened by a test still opens its keys.
#[cfg(test)]
pub(crate) fn test_vault() -> std::sync::Arc<Vault> {
    static VAULT: std::sync::OnceLock<std::sync::Arc<Vault>> = std::sync::OnceLock::new();
    std::sync::Arc::clone(VAULT.get_or_init(|| std::sync::Arc::new(Vault::ephemeral())))
}
