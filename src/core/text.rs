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

/// `text` split around the first `sep` (an ASCII byte), as
/// `split_once(char)` does, without the general pattern searcher.
pub fn split_first(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == sep)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text` split around the last `sep` (an ASCII byte).
pub fn split_last(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().rposition(|b| b == sep)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// Whether a name is fit to show: not blank, at most `max_chars`
/// characters, none of them a control character. One pass instead of
/// `trim`, `chars().count()` and `chars().any(..)`.
pub fn is_printable_name(name: &str, max_chars: usize) -> bool {
    let mut chars = 0;
    let mut blank = true;
    for c in name.chars() {
        if c.is_control() {
            return false;
        }
        blank &= c.is_whitespace();
        chars += 1;
    }
    !blank && chars <= max_chars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_split_once_does() {
        for text in [
            "",
            ":",
            "a:b",
            "debit:招商:银行:1234",
            "no colon",
            "::",
            "行:",
        ] {
            assert_eq!(split_first(text, b':'), text.split_once(':'), "{text}");
            assert_eq!(split_last(text, b':'), text.rsplit_once(':'), "{text}");
        }
    }

    #[test]
    fn printable_names_as_trim_count_and_control_would_judge() {
        let reference = |name: &str, max: usize| {
            !name.trim().is_empty()
                && name.chars().count() <= max
                && !name.chars().any(char::is_control)
        };
        let names = [
            "",
            " ",
            "\u{3000}",
            "ICBC",
            " a ",
            "招商银行",
            "a\tb",
            "a\u{7f}",
            "abcd",
            "abcde",
        ];
        for name in names {
            for max in [0, 4, 64] {
                assert_eq!(
                    is_printable_name(name, max),
                    reference(name, max),
                    "{name:?} {max}"
                );
            }
        }
    }

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
