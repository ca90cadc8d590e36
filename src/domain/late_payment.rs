//! Claims under the Late Payment of Commercial Debts (Interest) Act 1998: statutory interest at
//! the reference rate plus 8% a year, simple, for each day after the due date, and a fixed sum
//! for the cost of recovering the debt (£40 under £1,000, £70 under £10,000, £100 above). Both
//! are compensation, outside the scope of VAT.

use super::money::Money;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The rate added to the Bank of England reference rate, in percent a year.
pub const STATUTORY_MARGIN: Decimal = Decimal::from_parts(8, 0, 0, false, 0);
/// The highest reference rate accepted, in percent (a guard against typing 400 for 4.00).
pub const MAX_REFERENCE_RATE: Decimal = Decimal::from_parts(25, 0, 0, false, 0);

/// What can be claimed on one late invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub days_late: i64,
    /// Reference rate plus the margin, percent a year.
    pub rate: Decimal,
    pub interest: Money,
    pub fixed_sum: Money,
}

impl Claim {
    pub fn total(&self) -> Money {
        self.interest + self.fixed_sum
    }
}

/// The fixed sum for recovering a debt of `debt`.
pub fn fixed_sum(debt: Money) -> Money {
    if debt < Money::from_pence_const(100_000) {
        Money::from_pence_const(4_000)
    } else if debt < Money::from_pence_const(1_000_000) {
        Money::from_pence_const(7_000)
    } else {
        Money::from_pence_const(10_000)
    }
}

/// Simple interest on `debt` at `rate` percent a year for `days` days (of 365), rounded half up
/// to the penny by [`Money::from_decimal_rounded`].
pub fn statutory_interest(debt: Money, rate: Decimal, days: i64) -> Money {
    if days <= 0 || debt <= Money::ZERO {
        return Money::ZERO;
    }
    Money::from_decimal_rounded(
        debt.amount() * rate / Decimal::ONE_HUNDRED * Decimal::from(days) / Decimal::from(365),
    )
}

/// The claim on `debt` still owed on an invoice due on `due`, as of `today`, with the reference
/// rate in force; none when it is not late.
pub fn claim(debt: Money, due: NaiveDate, today: NaiveDate, reference_rate: Decimal) -> Option<Claim> {
    let days_late = (today - due).num_days();
    if days_late <= 0 || debt <= Money::ZERO {
        return None;
    }
    let rate = reference_rate + STATUTORY_MARGIN;
    Some(Claim {
        days_late,
        rate,
        interest: statutory_interest(debt, rate, days_late),
        fixed_sum: fixed_sum(debt),
    })
}

/// Reads a reference rate as typed ("4", "4.00", "3.75%"): from 0 to [`MAX_REFERENCE_RATE`],
/// at most two decimal places.
pub fn parse_reference_rate(text: &str) -> Result<Decimal, String> {
    let cleaned = text.trim().trim_end_matches('%').trim();
    let rate: Decimal = cleaned.parse().map_err(|_| {
        format!("enter the reference rate as a percentage, like 4.00 (you wrote \"{}\")", text.trim())
    })?;
    if rate < Decimal::ZERO || rate > MAX_REFERENCE_RATE || rate.scale() > 2 {
        return Err(format!(
            "the reference rate must be from 0 to {MAX_REFERENCE_RATE}%, with at most two decimal places (you wrote \"{}\")",
            text.trim()
        ));
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn the_act_s_figures() {
        assert_eq!(fixed_sum(Money::from_pence(99_999)), Money::from_pence(4_000));
        assert_eq!(fixed_sum(Money::from_pence(100_000)), Money::from_pence(7_000));
        assert_eq!(fixed_sum(Money::from_pence(999_999)), Money::from_pence(7_000));
        assert_eq!(fixed_sum(Money::from_pence(1_000_000)), Money::from_pence(10_000));
        // £5,000 at 4% + 8% for 30 days: 5000 × 0.12 × 30 / 365 = 49.315… → £49.32
        let c = claim(Money::from_pence(500_000), d(1, 1), d(1, 31), dec!(4)).unwrap();
        assert_eq!(
            (c.days_late, c.rate, c.interest, c.fixed_sum),
            (30, dec!(12), Money::from_pence(4_932), Money::from_pence(7_000))
        );
        assert_eq!(c.total(), Money::from_pence(11_932));
        assert_eq!(claim(Money::from_pence(500_000), d(1, 31), d(1, 31), dec!(4)), None);
        assert_eq!(parse_reference_rate("3.75%"), Ok(dec!(3.75)));
        assert!(parse_reference_rate("400").unwrap_err().contains("from 0 to 25%"));
        assert!(parse_reference_rate("four").unwrap_err().contains("like 4.00"));
        assert!(parse_reference_rate("4.125").is_err());
    }

    proptest! {
        /// Interest grows with the days and the debt, and is never more than the debt's yearly
        /// interest times the years.
        #[test]
        fn interest_is_monotonic(pence in 1i64..100_000_000, days in 1i64..2000, rate_bp in 0i64..2500) {
            let rate = Decimal::new(rate_bp, 2) + STATUTORY_MARGIN;
            let debt = Money::from_pence(pence);
            let a = statutory_interest(debt, rate, days);
            let b = statutory_interest(debt, rate, days + 1);
            prop_assert!(b >= a);
            let bigger = statutory_interest(Money::from_pence(pence + 100), rate, days);
            prop_assert!(bigger >= a);
            let bound = debt.amount() * rate / Decimal::ONE_HUNDRED * Decimal::from(days) / Decimal::from(365) + dec!(0.005);
            prop_assert!(a.amount() <= bound);
        }
    }
}
