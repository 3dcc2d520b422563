//! Messages with a number in them, written without `core::fmt`.
//!
//! Formatting machinery (`write!`, `to_string` on integers) costs the wasm
//! bundle several KB, and error messages and CSS lengths are the only
//! places the wallet would need it. `itoa` writes integers on its own.

/// `before` + the decimal digits of `n` + `after`.
pub fn with_number(before: &str, n: u64, after: &str) -> String {
    let mut digits = itoa::Buffer::new();
    join(&[before, digits.format(n), after])
}

/// The parts one after the other. `[..].concat()` does the same through a
/// generic join that is several times the size in wasm.
pub fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// The decimal digits of `n`.
pub fn decimal(n: u64) -> String {
    with_number("", n, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_format_would() {
        for n in [0, 7, 10, 2048, 1_048_576, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(decimal(n), format!("{n}"));
            assert_eq!(with_number("a ", n, " b"), format!("a {n} b"));
        }
        assert_eq!(join(&[]), "");
        assert_eq!(
            join(&["debit:", "招商银行", ":", "1234"]),
            "debit:招商银行:1234"
        );
    }
}
