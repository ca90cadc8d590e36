//! Money: pounds and pence over `rust_decimal`, never floating point.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Neg, Sub};

/// An amount of sterling held exactly. Stored in the database as whole pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Default for Money {
    fn default() -> Money {
        Money::ZERO
    }
}

/// Why a piece of text or a number is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("\"{0}\" is not an amount of money: write it like 1234.56")]
    NotANumber(String),
    #[error("{0} has fractions of a penny")]
    FractionOfPenny(Decimal),
    #[error("{0} is more than £1,000,000,000.00, the largest amount the service takes")]
    TooLarge(Decimal),
}

/// The largest amount, in pounds, typed into or stored in any one money field: no school,
/// trust or council pays a partnership anywhere near a billion pounds at once.
pub const MAX_POUNDS: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Rounds to the nearest penny, halves away from zero (0.005 -> 0.01).
///
/// This is the one rounding of amounts used outside VAT; VAT has its own rule.
pub fn round_half_up_to_penny(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl Money {
    /// £0.00, with its pence: it prints and serialises as "0.00".
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// An amount from whole pence, the database's storage form.
    pub fn from_pence(pence: i64) -> Money {
        Money(Decimal::new(pence, 2))
    }

    /// An amount from a whole number of pence known when compiling (a limit, a default).
    pub const fn from_pence_const(pence: u32) -> Money {
        Money(Decimal::from_parts(pence, 0, 0, false, 2))
    }

    /// The largest amount one field may hold: £1,000,000,000.00 ([`MAX_POUNDS`]).
    pub const MAX: Money = Money(Decimal::from_parts(1_215_752_192, 23, 0, false, 2));

    /// An exact amount of at most [`Money::MAX`] either way; refuses fractions of a penny.
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        if value.abs() > MAX_POUNDS {
            return Err(MoneyError::TooLarge(value));
        }
        if value.normalize().scale() > 2 {
            return Err(MoneyError::FractionOfPenny(value));
        }
        Ok(Money::from_decimal_rounded(value))
    }

    /// An amount rounded to the penny with [`round_half_up_to_penny`].
    pub fn from_decimal_rounded(value: Decimal) -> Money {
        let mut rounded = round_half_up_to_penny(value);
        rounded.rescale(2);
        Money(rounded)
    }

    /// Whole pence, for storage and for payment providers' minor units.
    pub fn to_pence(self) -> Result<i64, MoneyError> {
        let pence = self.0 * Decimal::ONE_HUNDRED;
        i64::try_from(pence).map_err(|_| MoneyError::TooLarge(self.0))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Reads "1234.56", "1,234.56" or "£1,234.56".
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let cleaned: String = text.trim().trim_start_matches('£').chars().filter(|c| *c != ',').collect();
        let value: Decimal = cleaned.parse().map_err(|_| MoneyError::NotANumber(text.to_string()))?;
        Money::from_decimal(value)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// Shows an amount the way people read it on a page: `£1,234.56`, `-£5.00`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0.abs();
        value.rescale(2);
        let text = value.to_string();
        let (whole, pence) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if self.is_negative() { "-" } else { "" };
        write!(f, "{sign}£{grouped}.{pence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn displays_pounds_with_separators() {
        assert_eq!(Money::from_pence(123456).to_string(), "£1,234.56");
        assert_eq!(Money::from_pence(0).to_string(), "£0.00");
        assert_eq!(Money::from_pence(5).to_string(), "£0.05");
        assert_eq!(Money::from_pence(-500).to_string(), "-£5.00");
        assert_eq!(Money::from_pence(100_000_000).to_string(), "£1,000,000.00");
        assert_eq!(Money::from_pence(9_999_999_999_999_999).to_string(), "£99,999,999,999,999.99");
    }

    #[test]
    fn rounds_halves_away_from_zero() {
        assert_eq!(round_half_up_to_penny(dec!(0.005)), dec!(0.01));
        assert_eq!(round_half_up_to_penny(dec!(0.0049)), dec!(0.00));
        assert_eq!(round_half_up_to_penny(dec!(-0.005)), dec!(-0.01));
        assert_eq!(Money::from_decimal_rounded(dec!(7979.995)).to_string(), "£7,980.00");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Money::parse("1234.56").unwrap(), Money::from_pence(123456));
        assert_eq!(Money::parse("£1,234.5").unwrap(), Money::from_pence(123450));
        assert_eq!(Money::parse(" 19 ").unwrap(), Money::from_pence(1900));
        assert!(matches!(Money::parse("12.345"), Err(MoneyError::FractionOfPenny(_))));
        assert!(matches!(Money::parse("abc"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(Money::parse("1e40"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(Money::parse("999999999999999999999"), Err(MoneyError::TooLarge(_))));
        assert_eq!(Money::parse("1,000,000,000.00").unwrap(), Money::MAX);
        assert_eq!(Money::MAX.amount().to_string(), "1000000000.00");
        let e = Money::parse("1000000000.01").unwrap_err();
        assert_eq!(
            e.to_string(),
            "1000000000.01 is more than £1,000,000,000.00, the largest amount the service takes"
        );
        assert!(matches!(Money::parse("79228162514264337593543950335"), Err(MoneyError::TooLarge(_))));
    }

    #[test]
    fn zero_has_pence() {
        assert_eq!(Money::ZERO.amount().to_string(), "0.00");
        assert_eq!(Money::default(), Money::ZERO);
        assert_eq!(serde_json::to_string(&Money::ZERO).unwrap(), "\"0.00\"");
    }

    #[test]
    fn adds_exactly() {
        let sum = Money::parse("0.10").unwrap() + Money::parse("0.20").unwrap();
        assert_eq!(sum, Money::parse("0.30").unwrap());
        assert_eq!(sum.to_pence().unwrap(), 30);
    }

    proptest! {
        #[test]
        fn pence_round_trip(pence in -9_000_000_000_000_000i64..9_000_000_000_000_000i64) {
            let money = Money::from_pence(pence);
            prop_assert_eq!(money.to_pence().unwrap(), pence);
            let reread = Money::parse(&money.amount().to_string());
            if pence.abs() <= 100_000_000_000 {
                prop_assert_eq!(reread.unwrap(), money);
            } else {
                prop_assert!(matches!(reread, Err(MoneyError::TooLarge(_))));
            }
        }

        #[test]
        fn display_parses_back(pence in -100_000_000_000i64..=100_000_000_000i64) {
            let money = Money::from_pence(pence);
            let shown = money.to_string();
            let reread = if let Some(rest) = shown.strip_prefix('-') {
                -Money::parse(rest).unwrap()
            } else {
                Money::parse(&shown).unwrap()
            };
            prop_assert_eq!(reread, money);
        }
    }
}
