//! The merchant's id and API key, as `paycode merchant add` prints them:
//! a JSON file `{"merchant": ID, "key": HEX}`. The key is only ever read
//! from a file: on a command line it would show in `ps` and shell history.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::secret::SecretKey;
use crate::signing::header::check_merchant_id;

/// API keys are 32 bytes; anything from 16 to 64 is accepted, like card keys.
const MIN_KEY_BYTES: usize = 16;
const MAX_KEY_BYTES: usize = 64;
/// A key file is a line of JSON; anything much bigger is the wrong file.
const MAX_FILE_BYTES: u64 = 4096;

/// Who signs, and with what. Debug shows the merchant only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub merchant: String,
    pub key: SecretKey,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("merchant", &self.merchant)
            .field("key", &self.key)
            .finish()
    }
}

/// Why a key file was refused. No message quotes the file's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialsError {
    Unreadable(String),
    TooLarge,
    /// Not JSON, or without the `merchant` and `key` strings.
    NotAKeyFile,
    BadMerchantId,
    KeyNotHex,
    KeyLength(usize),
}

impl CredentialsError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unreadable(_) => "key_file_unreadable",
            Self::TooLarge => "key_file_too_large",
            Self::NotAKeyFile => "key_file_malformed",
            Self::BadMerchantId => "key_file_bad_merchant",
            Self::KeyNotHex => "key_file_key_not_hex",
            Self::KeyLength(_) => "key_file_key_length",
        }
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(why) => write!(f, "cannot read the key file: {why}"),
            Self::TooLarge => f.write_str("the key file is larger than 4 KiB; is it the right file?"),
            Self::NotAKeyFile => f.write_str(
                "the key file must be JSON {\"merchant\": ID, \"key\": HEX}, as paycode merchant add prints",
            ),
            Self::BadMerchantId => {
                f.write_str("the key file's merchant must be 1 to 64 of A-Z, a-z, 0-9, _ and -")
            }
            Self::KeyNotHex => f.write_str("the key file's key must be hex digits"),
            Self::KeyLength(n) => write!(
                f,
                "the key file's key is {n} bytes; API keys are {MIN_KEY_BYTES} to {MAX_KEY_BYTES}"
            ),
        }
    }
}

impl std::error::Error for CredentialsError {}

#[derive(Deserialize)]
struct KeyFile {
    merchant: String,
    key: String,
}

impl Credentials {
    /// Reads `{"merchant", "key"}`; other fields (a name, a created time)
    /// are ignored, so the output of `paycode merchant add` can be saved as is.
    pub fn from_json(text: &str) -> Result<Credentials, CredentialsError> {
        let file: KeyFile =
            serde_json::from_str(text).map_err(|_| CredentialsError::NotAKeyFile)?;
        check_merchant_id(&file.merchant).map_err(|_| CredentialsError::BadMerchantId)?;
        let key_hex = Zeroizing::new(file.key);
        let key =
            Zeroizing::new(hex::decode(key_hex.trim()).map_err(|_| CredentialsError::KeyNotHex)?);
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(CredentialsError::KeyLength(key.len()));
        }
        Ok(Credentials {
            merchant: file.merchant,
            key: SecretKey::from_slice(&key),
        })
    }

    pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
        let unreadable = |e: std::io::Error| CredentialsError::Unreadable(e.kind().to_string());
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > MAX_FILE_BYTES {
            return Err(CredentialsError::TooLarge);
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(unreadable)?);
        Credentials::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn reads_the_merchant_add_output() {
        let text =
            format!(r#"{{"merchant":"m_0123456789abcdef","name":"Shop","key":"{KEY_HEX}"}}"#);
        let c = Credentials::from_json(&text).unwrap();
        assert_eq!(c.merchant, "m_0123456789abcdef");
        assert_eq!(c.key.as_bytes(), hex::decode(KEY_HEX).unwrap());
    }

    #[test]
    fn refusals_are_specific_and_never_quote_the_key() {
        use CredentialsError::*;
        let cases = [
            ("not json".to_owned(), NotAKeyFile),
            (format!(r#"{{"key":"{KEY_HEX}"}}"#), NotAKeyFile),
            (r#"{"merchant":"m_1"}"#.to_owned(), NotAKeyFile),
            (
                format!(r#"{{"merchant":"m 1","key":"{KEY_HEX}"}}"#),
                BadMerchantId,
            ),
            (
                format!(r#"{{"merchant":"m_1","key":"{KEY_HEX}zz"}}"#),
                KeyNotHex,
            ),
            (
                format!(r#"{{"merchant":"m_1","key":"{}"}}"#, &KEY_HEX[..30]),
                KeyLength(15),
            ),
        ];
        for (text, want) in cases {
            let e = Credentials::from_json(&text).unwrap_err();
            assert!(!e.to_string().contains(&KEY_HEX[..16]), "{e}");
            assert_eq!(e, want, "{text}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let text = format!(r#"{{"merchant":"m_1","key":"{KEY_HEX}"}}"#);
        let shown = format!("{:?}", Credentials::from_json(&text).unwrap());
        assert!(
            shown.contains("m_1") && shown.contains("redacted"),
            "{shown}"
        );
        assert!(!shown.contains("0102"), "{shown}");
    }
}
