//! Recognising income in the period it is for: an invoice for a term or a year is income of each
//! month it covers, in proportion to the days of the period falling in that month, rather than
//! all income of the month it was invoiced in.

use super::money::{Money, round_half_up_to_penny};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// The first day of the month `day` falls in.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(chrono::Months::new(1)).unwrap_or(NaiveDate::MAX)
}

/// Spreads `amount` over the days from `start` to `end` (both included), month by month: each
/// month's part is the amount's share of the days up to the end of that month, rounded half up
/// to the penny, less the parts before it, so the parts add up to the amount exactly. A period
/// that ends before it starts is all income of its first month. Months are given by their first
/// day, in order.
pub fn spread_by_month(amount: Money, start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, Money)> {
    if end <= start {
        return vec![(month_of(start), amount)];
    }
    let total_days = Decimal::from((end - start).num_days() + 1);
    let whole = amount.amount();
    let mut out = Vec::new();
    let mut month = month_of(start);
    let mut before = Decimal::ZERO;
    while month <= end {
        let last = next_month(month).pred_opt().unwrap_or(end).min(end);
        let days_upto = Decimal::from((last - start).num_days() + 1);
        let upto = round_half_up_to_penny(whole * days_upto / total_days);
        out.push((month, Money::from_decimal_rounded(upto - before)));
        before = upto;
        month = next_month(month);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn pounds(p: i64) -> Money {
        Money::from_pence(p * 100)
    }

    #[test]
    fn an_annual_fee_is_a_twelfth_of_a_year_a_month_by_days() {
        let months = spread_by_month(pounds(3_650), d(2026, 9, 1), d(2027, 8, 31));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], (d(2026, 9, 1), pounds(300)), "30 days of 365 at £10 a day");
        assert_eq!(months[1], (d(2026, 10, 1), pounds(310)));
        assert_eq!(months[5], (d(2027, 2, 1), pounds(280)));
        assert_eq!(months[11], (d(2027, 8, 1), pounds(310)));
    }

    #[test]
    fn a_term_is_income_of_its_own_months_only() {
        let autumn = spread_by_month(Money::from_pence(10_000), d(2026, 9, 1), d(2026, 12, 31));
        let parts: Vec<i64> = autumn.iter().map(|(_, m)| m.to_pence().unwrap()).collect();
        // 30, 31, 30 and 31 days of 122.
        assert_eq!(parts, vec![2459, 2541, 2459, 2541]);
        assert_eq!(parts.iter().sum::<i64>(), 10_000);
    }

    #[test]
    fn one_day_or_a_backwards_period_is_its_first_month() {
        assert_eq!(
            spread_by_month(pounds(5), d(2026, 10, 9), d(2026, 10, 9)),
            vec![(d(2026, 10, 1), pounds(5))]
        );
        assert_eq!(
            spread_by_month(pounds(5), d(2026, 10, 9), d(2026, 9, 1)),
            vec![(d(2026, 10, 1), pounds(5))]
        );
    }

    proptest! {
        #[test]
        fn the_months_add_up_to_the_amount_exactly(
            pence in -10_000_000_000i64..10_000_000_000,
            start_offset in 0i64..3_000,
            length in 0i64..1_200,
        ) {
            let start = d(2020, 1, 1) + chrono::Days::new(start_offset as u64);
            let end = start + chrono::Days::new(length as u64);
            let months = spread_by_month(Money::from_pence(pence), start, end);
            let sum: i64 = months.iter().map(|(_, m)| m.to_pence().unwrap()).sum();
            prop_assert_eq!(sum, pence);
            prop_assert_eq!(months.first().map(|m| m.0), Some(month_of(start)));
            prop_assert_eq!(months.last().map(|m| m.0), Some(month_of(end)));
            prop_assert!(months.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }
}
