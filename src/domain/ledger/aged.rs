//! Aged debt: what is owed, by how long it has been overdue.

use crate::domain::money::Money;
use chrono::NaiveDate;
use serde::Serialize;

/// How long an amount has been overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    NotYetDue,
    Days1To30,
    Days31To60,
    Days61To90,
    Over90,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] =
        [AgeBand::NotYetDue, AgeBand::Days1To30, AgeBand::Days31To60, AgeBand::Days61To90, AgeBand::Over90];

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::NotYetDue => "Not yet due",
            AgeBand::Days1To30 => "1 to 30 days overdue",
            AgeBand::Days31To60 => "31 to 60 days overdue",
            AgeBand::Days61To90 => "61 to 90 days overdue",
            AgeBand::Over90 => "Over 90 days overdue",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::NotYetDue => "not_yet_due",
            AgeBand::Days1To30 => "days_1_to_30",
            AgeBand::Days31To60 => "days_31_to_60",
            AgeBand::Days61To90 => "days_61_to_90",
            AgeBand::Over90 => "over_90",
        }
    }

    fn index(self) -> usize {
        AgeBand::ALL.iter().position(|b| *b == self).unwrap_or(0)
    }
}

/// The band of an amount due on `due`, on `today`; an invoice with no due date is not yet due.
pub fn age_band(due: Option<NaiveDate>, today: NaiveDate) -> AgeBand {
    let Some(due) = due else { return AgeBand::NotYetDue };
    match (today - due).num_days() {
        days if days <= 0 => AgeBand::NotYetDue,
        1..=30 => AgeBand::Days1To30,
        31..=60 => AgeBand::Days31To60,
        61..=90 => AgeBand::Days61To90,
        _ => AgeBand::Over90,
    }
}

/// Amounts owed in each band, and their total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct AgedDebt {
    pub bands: [Money; 5],
}

impl AgedDebt {
    /// Adds an amount owed, due on `due`.
    pub fn add(&mut self, outstanding: Money, due: Option<NaiveDate>, today: NaiveDate) {
        let i = age_band(due, today).index();
        self.bands[i] = self.bands[i] + outstanding;
    }

    pub fn merge(&mut self, other: &AgedDebt) {
        for (mine, theirs) in self.bands.iter_mut().zip(other.bands) {
            *mine = *mine + theirs;
        }
    }

    pub fn band(&self, band: AgeBand) -> Money {
        self.bands[band.index()]
    }

    pub fn total(&self) -> Money {
        self.bands.iter().copied().sum()
    }

    /// Everything past its due date.
    pub fn overdue(&self) -> Money {
        self.total() - self.band(AgeBand::NotYetDue)
    }
}

/// The share of what a year invoiced (net of credit notes) that has been collected, as a whole
/// percentage rounded down; `None` when nothing was invoiced.
pub fn collection_rate(invoiced_net_of_credits: Money, collected: Money) -> Option<u32> {
    if invoiced_net_of_credits <= Money::ZERO {
        return None;
    }
    use rust_decimal::prelude::ToPrimitive;
    let rate = collected.amount() * rust_decimal::Decimal::ONE_HUNDRED / invoiced_net_of_credits.amount();
    rate.floor().to_u32().map(|r| r.min(100))
}

/// Days sales outstanding: what is owed now as a share of what was invoiced (VAT included) over
/// the last `days` days, in days, rounded half up; none when nothing was invoiced then.
pub fn days_sales_outstanding(owed: Money, invoiced: Money, days: u32) -> Option<u32> {
    use rust_decimal::prelude::ToPrimitive;
    if invoiced <= Money::ZERO {
        return None;
    }
    let exact = owed.amount().max(rust_decimal::Decimal::ZERO) * rust_decimal::Decimal::from(days)
        / invoiced.amount();
    exact.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero).to_u32()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn days_sales_outstanding_is_owed_over_a_days_invoicing() {
        let pounds = |p: i64| Money::from_pence(p * 100);
        // £30,000 owed against £365,000 invoiced in a year: 30 days.
        assert_eq!(days_sales_outstanding(pounds(30_000), pounds(365_000), 365), Some(30));
        // 45.5 days rounds up.
        assert_eq!(days_sales_outstanding(pounds(455), pounds(3_650), 365), Some(46));
        assert_eq!(days_sales_outstanding(Money::ZERO, pounds(100), 365), Some(0));
        assert_eq!(days_sales_outstanding(pounds(100), Money::ZERO, 365), None);
    }

    #[test]
    fn bands_at_their_edges() {
        let today = day(11, 29);
        assert_eq!(age_band(Some(today), today), AgeBand::NotYetDue);
        assert_eq!(age_band(None, today), AgeBand::NotYetDue);
        assert_eq!(age_band(Some(day(11, 28)), today), AgeBand::Days1To30);
        assert_eq!(age_band(Some(day(10, 30)), today), AgeBand::Days1To30, "30 days");
        assert_eq!(age_band(Some(day(10, 29)), today), AgeBand::Days31To60, "31 days");
        assert_eq!(age_band(Some(day(9, 30)), today), AgeBand::Days31To60, "60 days");
        assert_eq!(age_band(Some(day(9, 29)), today), AgeBand::Days61To90, "61 days");
        assert_eq!(age_band(Some(day(8, 31)), today), AgeBand::Days61To90, "90 days");
        assert_eq!(age_band(Some(day(8, 30)), today), AgeBand::Over90, "91 days");
    }

    #[test]
    fn totals_and_rate() {
        let today = day(11, 29);
        let mut debt = AgedDebt::default();
        debt.add(Money::from_pence(1000), Some(day(12, 1)), today);
        debt.add(Money::from_pence(250), Some(day(8, 1)), today);
        assert_eq!(debt.total(), Money::from_pence(1250));
        assert_eq!(debt.overdue(), Money::from_pence(250));
        assert_eq!(debt.band(AgeBand::Over90), Money::from_pence(250));
        assert_eq!(collection_rate(Money::from_pence(1000), Money::from_pence(999)), Some(99));
        assert_eq!(collection_rate(Money::from_pence(1000), Money::from_pence(1000)), Some(100));
        assert_eq!(collection_rate(Money::ZERO, Money::ZERO), None);
    }
}
