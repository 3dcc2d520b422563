//! A small command-line reader: `COMMAND [POSITIONAL…] [--name VALUE |
//! --name=VALUE]…`, options in any order. Every option takes a value.

use std::fmt;

/// What went wrong reading the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    MissingCommand,
    UnknownCommand(String),
    UnknownOption(String),
    MissingValue(String),
    DuplicateOption(String),
    MissingArgument(&'static str),
    ExtraArgument(String),
    BadValue { option: String, why: String },
}

impl ArgError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingCommand => "missing_command",
            Self::UnknownCommand(_) => "unknown_command",
            Self::UnknownOption(_) => "unknown_option",
            Self::MissingValue(_) => "missing_value",
            Self::DuplicateOption(_) => "duplicate_option",
            Self::MissingArgument(_) => "missing_argument",
            Self::ExtraArgument(_) => "extra_argument",
            Self::BadValue { .. } => "bad_value",
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCommand => {
                f.write_str("no command given; try provision, code, charge, verify or pin")
            }
            Self::UnknownCommand(c) => {
                write!(f, "there is no command {}; see paycode --help", shown(c))
            }
            Self::UnknownOption(o) => write!(f, "this command has no option {}", shown(o)),
            Self::MissingValue(o) => write!(f, "the option {o} needs a value"),
            Self::DuplicateOption(o) => write!(f, "the option {o} was given twice"),
            Self::MissingArgument(what) => write!(f, "missing {what}"),
            Self::ExtraArgument(a) => write!(f, "unexpected argument {}", shown(a)),
            Self::BadValue { option, why } => write!(f, "bad value for {option}: {why}"),
        }
    }
}

impl std::error::Error for ArgError {}

/// A word of the command line as messages may quote it. Anything longer
/// than a payment code (24 characters) is only described: a misplaced
/// provisioning link or base32 key must not be echoed to a terminal, a
/// log or a till's screen.
pub(crate) fn shown(word: &str) -> String {
    let chars = word.chars().count();
    if chars <= 24 {
        format!("{word:?}")
    } else {
        format!("of {chars} characters (not shown: it may hold a card's key)")
    }
}

/// The options of one command as given.
#[derive(Debug, Default)]
pub struct Parsed {
    pub positional: Vec<String>,
    options: Vec<(&'static str, String)>,
}

/// Reads `args` (the words after the command) for a command that accepts
/// the options `allowed` (names without dashes); those in `repeatable` may
/// appear more than once.
/// `--kek-file`, taken by every command that takes `--db`.
pub const KEK_FILE: &str = "kek-file";

pub fn parse(
    args: &[String],
    allowed: &[&'static str],
    repeatable: &[&'static str],
) -> Result<Parsed, ArgError> {
    let mut parsed = Parsed::default();
    let mut words = args.iter();
    let mut only_positional = false;
    while let Some(word) = words.next() {
        let Some(option) = word.strip_prefix("--").filter(|_| !only_positional) else {
            parsed.positional.push(word.clone());
            continue;
        };
        if option.is_empty() {
            only_positional = true;
            continue;
        }
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (option, None),
        };
        // Whatever opens the database may be given its key-encryption key.
        let opens_db = allowed.contains(&"db");
        let Some(&name) = allowed
            .iter()
            .chain(opens_db.then_some(&KEK_FILE))
            .find(|a| **a == name)
        else {
            return Err(ArgError::UnknownOption(format!("--{name}")));
        };
        let value = match inline {
            Some(v) => v,
            None => words
                .next()
                .cloned()
                .ok_or_else(|| ArgError::MissingValue(format!("--{name}")))?,
        };
        if !repeatable.contains(&name) && parsed.options.iter().any(|(n, _)| *n == name) {
            return Err(ArgError::DuplicateOption(format!("--{name}")));
        }
        parsed.options.push((name, value));
    }
    Ok(parsed)
}

impl Parsed {
    /// The value of a single-use option.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable option, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.options
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The one positional argument, named `what` in messages.
    pub fn single_positional(&self, what: &'static str) -> Result<&str, ArgError> {
        match self.positional.as_slice() {
            [] => Err(ArgError::MissingArgument(what)),
            [one] => Ok(one),
            [_, extra, ..] => Err(ArgError::ExtraArgument(extra.clone())),
        }
    }

    pub fn no_positional(&self) -> Result<(), ArgError> {
        match self.positional.first() {
            None => Ok(()),
            Some(extra) => Err(ArgError::ExtraArgument(extra.clone())),
        }
    }

    /// An unsigned decimal option ("0".."max"), or `default` when absent.
    pub fn number<T: TryFrom<u64> + Copy>(
        &self,
        name: &str,
        default: T,
        max: u64,
    ) -> Result<T, ArgError> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        let bad = |why: String| ArgError::BadValue {
            option: format!("--{name}"),
            why,
        };
        if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("{} is not a whole number", shown(text))));
        }
        text.parse::<u64>()
            .ok()
            .filter(|v| *v <= max)
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| bad(format!("{text} is larger than {max}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn reads_both_option_forms_in_any_order() {
        let p = parse(
            &words(&[
                "--amount=12.50",
                "1345",
                "--at",
                "17",
                "--funding",
                "a",
                "--funding=b",
            ]),
            &["amount", "at", "funding"],
            &["funding"],
        )
        .unwrap();
        assert_eq!(p.single_positional("CODE").unwrap(), "1345");
        assert_eq!(p.get("amount"), Some("12.50"));
        assert_eq!(p.number("at", 0u64, u64::MAX).unwrap(), 17);
        assert_eq!(p.all("funding").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.number("missing", 9u8, 10).unwrap(), 9);
    }

    #[test]
    fn mistakes_are_named() {
        let kind = |w: &[&str]| parse(&words(w), &["at"], &[]).unwrap_err().kind();
        assert_eq!(kind(&["--nope", "1"]), "unknown_option");
        assert_eq!(kind(&["--at"]), "missing_value");
        assert_eq!(kind(&["--at", "1", "--at=2"]), "duplicate_option");
        let p = parse(&words(&["a", "b"]), &[], &[]).unwrap();
        assert_eq!(
            p.single_positional("CODE").unwrap_err().kind(),
            "extra_argument"
        );
        let p = parse(&words(&[]), &[], &[]).unwrap();
        assert_eq!(
            p.single_positional("CODE").unwrap_err().kind(),
            "missing_argument"
        );
        for bad in ["-1", "", "1e3", "x", "99999999999999999999999", "300"] {
            let p = parse(&words(&["--at", bad]), &["at"], &[]).unwrap();
            assert_eq!(
                p.number("at", 0u8, 255).unwrap_err().kind(),
                "bad_value",
                "{bad}"
            );
        }
    }

    #[test]
    fn double_dash_ends_options() {
        let p = parse(&words(&["--", "--at"]), &["at"], &[]).unwrap();
        assert_eq!(p.positional, ["--at"]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(ws in proptest::collection::vec(".{0,12}", 0..8)) {
            if let Ok(p) = parse(&ws, &["at", "amount", "funding"], &["funding"]) {
                let _ = p.number("at", 0u64, u64::MAX);
                let _ = p.single_positional("CODE");
            }
        }
    }
}
