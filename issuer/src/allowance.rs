//! The no-PIN allowance: how much may be charged without the payer's PIN.
//!
//! Past either limit the answer is "PIN required", never "declined": the
//! payer can still pay, the terminal just asks for the PIN.

use crate::money::Fen;

/// Seconds east of UTC of the issuer's time zone; Asia/Shanghai (UTC+8, no
/// daylight saving) by default. A fixed offset is enough because the
/// allowance only needs to know where a calendar day starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcOffset(i32);

impl UtcOffset {
    pub const SHANGHAI: UtcOffset = UtcOffset(8 * 3600);
    pub const UTC: UtcOffset = UtcOffset(0);

    /// `seconds` east of UTC; `None` beyond ±18 hours (no zone is).
    pub fn from_seconds(seconds: i32) -> Option<UtcOffset> {
        (seconds.abs() <= 18 * 3600).then_some(UtcOffset(seconds))
    }

    /// Parses "+08:00", "-05:30", "+8", "0", "UTC".
    pub fn parse(text: &str) -> Option<UtcOffset> {
        if text.eq_ignore_ascii_case("utc") || text.eq_ignore_ascii_case("z") {
            return Some(Self::UTC);
        }
        let (sign, rest) = match text.as_bytes().first()? {
            b'+' => (1, &text[1..]),
            b'-' => (-1, &text[1..]),
            _ => (1, text),
        };
        let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
        let number = |s: &str| -> Option<i32> {
            if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let (hours, minutes) = (number(hours)?, number(minutes)?);
        if minutes >= 60 {
            return None;
        }
        Self::from_seconds(sign * (hours * 3600 + minutes * 60))
    }

    pub fn seconds(self) -> i32 {
        self.0
    }

    /// The local calendar day containing `unix_seconds`, as days since
    /// 1970-01-01 local time.
    pub fn day_of(self, unix_seconds: u64) -> i64 {
        // i128: no unix time or offset can overflow it.
        let local = i128::from(unix_seconds) + i128::from(self.0);
        i64::try_from(local.div_euclid(86_400)).unwrap_or(i64::MAX)
    }
}

/// Why a charge needs the PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinReason {
    /// The card already had its no-PIN approvals for today.
    DailyCount,
    /// The amount is above the per-charge no-PIN limit.
    AmountLimit,
}

impl PinReason {
    pub fn kind(self) -> &'static str {
        match self {
            Self::DailyCount => "daily_count",
            Self::AmountLimit => "amount_limit",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::DailyCount => "the card has used today's charges without PIN; ask for the PIN",
            Self::AmountLimit => "the amount is above the limit without PIN; ask for the PIN",
        }
    }

    pub fn from_kind(kind: &str) -> Option<PinReason> {
        [Self::DailyCount, Self::AmountLimit]
            .into_iter()
            .find(|r| r.kind() == kind)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowancePolicy {
    /// Approvals without PIN per card per local day.
    pub max_approvals_per_day: u32,
    /// Largest single charge without PIN (inclusive).
    pub max_amount: Fen,
    /// Where the issuer's days start.
    pub offset: UtcOffset,
}

impl Default for AllowancePolicy {
    fn default() -> Self {
        AllowancePolicy {
            max_approvals_per_day: 10,
            max_amount: Fen::from_yuan(300, 0),
            offset: UtcOffset::SHANGHAI,
        }
    }
}

impl AllowancePolicy {
    /// Whether a charge of `amount` may go through without PIN when the card
    /// already has `approvals_today` no-PIN approvals. The amount is checked
    /// first because it is about this charge alone.
    pub fn check(&self, approvals_today: u32, amount: Fen) -> Result<(), PinReason> {
        if amount > self.max_amount {
            Err(PinReason::AmountLimit)
        } else if approvals_today >= self.max_approvals_per_day {
            Err(PinReason::DailyCount)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_day_starts_at_16_utc() {
        let tz = UtcOffset::SHANGHAI;
        // 2025-11-25T15:59:59Z is 23:59:59 in Shanghai; one second later is
        // the next local day. 1764086399 = 2025-11-25T15:59:59Z.
        assert_eq!(tz.day_of(1_764_086_400), tz.day_of(1_764_086_399) + 1);
        assert_eq!(tz.day_of(1_764_086_400), tz.day_of(1_764_086_400 + 86_399));
        // The same two instants fall on one UTC day.
        let utc = UtcOffset::UTC;
        assert_eq!(utc.day_of(1_764_086_400), utc.day_of(1_764_086_399));
    }

    #[test]
    fn day_of_handles_extremes() {
        assert_eq!(UtcOffset::SHANGHAI.day_of(0), 0);
        let west = UtcOffset::parse("-05:00").unwrap();
        assert_eq!(west.day_of(0), -1);
        let _ = UtcOffset::SHANGHAI.day_of(u64::MAX);
    }

    #[test]
    fn parses_offsets() {
        assert_eq!(UtcOffset::parse("+08:00"), Some(UtcOffset::SHANGHAI));
        assert_eq!(UtcOffset::parse("8"), Some(UtcOffset::SHANGHAI));
        assert_eq!(UtcOffset::parse("utc"), Some(UtcOffset::UTC));
        assert_eq!(
            UtcOffset::parse("-05:30").map(|o| o.seconds()),
            Some(-19_800)
        );
        for bad in ["", "+", "25", "+08:60", "abc", "+8:00:00", "+123", "--1"] {
            assert_eq!(UtcOffset::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn limits_are_inclusive_and_amount_comes_first() {
        let p = AllowancePolicy::default();
        assert_eq!(p.check(0, Fen::from_yuan(300, 0)), Ok(()));
        assert_eq!(p.check(9, Fen::from_yuan(1, 0)), Ok(()));
        assert_eq!(
            p.check(10, Fen::from_yuan(1, 0)),
            Err(PinReason::DailyCount)
        );
        assert_eq!(
            p.check(0, Fen::from_yuan(300, 1)),
            Err(PinReason::AmountLimit)
        );
        assert_eq!(
            p.check(10, Fen::from_yuan(300, 1)),
            Err(PinReason::AmountLimit)
        );
    }
}
