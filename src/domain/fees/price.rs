//! Pricing one school under a rule: exact until the one rounding, half up, to the penny.

use super::rule::{Band, BandMode, FeeRule, RuleError, RuleKind, phase_rule, rule_error};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::money::{Money, round_half_up_to_penny};
use crate::domain::pro_rata::Coverage;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

impl FeeRule {
    /// The exact annual amount before discounts and rounding, with how it was reached.
    pub fn exact(&self, phase: BillingPhase, pupils: Option<u32>) -> Result<Priced, Unpriced> {
        let mut notes = Notes(Some(String::new()));
        let amount = self.evaluate(phase, pupils, &mut notes)?;
        Ok(Priced { amount, working: notes.0.unwrap_or_default() })
    }

    /// The exact annual amount alone: the same calculation as [`FeeRule::exact`] without
    /// writing how it was reached (funding models price thousands of schools many times).
    pub fn exact_amount(&self, phase: BillingPhase, pupils: Option<u32>) -> Result<Decimal, Unpriced> {
        self.evaluate(phase, pupils, &mut Notes(None))
    }

    fn evaluate(
        &self,
        phase: BillingPhase,
        pupils: Option<u32>,
        notes: &mut Notes,
    ) -> Result<Decimal, Unpriced> {
        let mut amount = match &self.kind {
            RuleKind::Flat { flat } => {
                notes.add(|| format!("flat {}", show(*flat)));
                *flat
            }
            RuleKind::PerPupil { per_pupil, lump_sum } => {
                let pupils = pupils.ok_or(Unpriced::NeedsPupilNumber)?;
                notes.add(|| format!("{pupils} pupils x {}", show(*per_pupil)));
                let mut amount = *per_pupil * Decimal::from(pupils);
                if let Some(lump) = lump_sum {
                    amount += *lump;
                    notes.add(|| format!(" + lump sum {}", show(*lump)));
                }
                amount
            }
            RuleKind::ByPhase { by_phase } => {
                let rule = phase_rule(by_phase, phase).ok_or(Unpriced::NoRuleForPhase(phase))?;
                rule.evaluate(phase, pupils, notes)?
            }
            RuleKind::Bands { bands, mode } => {
                let pupils = pupils.ok_or(Unpriced::NeedsPupilNumber)?;
                price_bands(bands, *mode, pupils, notes)
            }
        };
        if let Some(min) = self.min.filter(|min| amount < *min) {
            amount = min;
            notes.add(|| format!(", raised to the minimum {}", show(min)));
        }
        if let Some(max) = self.max.filter(|max| amount > *max) {
            amount = max;
            notes.add(|| format!(", capped at {}", show(max)));
        }
        Ok(amount)
    }
}

/// How a price was reached, written only when someone will read it.
struct Notes(Option<String>);

impl Notes {
    fn add(&mut self, text: impl FnOnce() -> String) {
        if let Some(notes) = self.0.as_mut() {
            notes.push_str(&text());
        }
    }
}

fn price_bands(bands: &[Band], mode: BandMode, pupils: u32, notes: &mut Notes) -> Decimal {
    let band_cost = |band: &Band, count: u32| {
        band.flat.unwrap_or_default() + band.per_pupil.unwrap_or_default() * Decimal::from(count)
    };
    match mode {
        BandMode::Volume => {
            let (index, band) = bands
                .iter()
                .enumerate()
                .find(|(_, b)| b.up_to.is_none_or(|up_to| pupils <= up_to))
                .unwrap_or((bands.len() - 1, &bands[bands.len() - 1]));
            notes.add(|| {
                format!(
                    "{pupils} pupils, band {} ({}): {}",
                    index + 1,
                    band_label(bands, index),
                    band_working(band, pupils)
                )
            });
            band_cost(band, pupils)
        }
        BandMode::Graduated => {
            let mut amount = Decimal::ZERO;
            let mut parts = Vec::new();
            let mut below = 0u32;
            for (index, band) in bands.iter().enumerate() {
                if index > 0 && pupils <= below {
                    break;
                }
                let top = band.up_to.unwrap_or(u32::MAX).min(pupils);
                let inside = top.saturating_sub(below);
                amount += band_cost(band, inside);
                if notes.0.is_some() {
                    parts.push(format!("band {} {}", index + 1, band_working(band, inside)));
                }
                below = band.up_to.unwrap_or(u32::MAX);
            }
            notes.add(|| format!("{pupils} pupils graduated: {}", parts.join(" + ")));
            amount
        }
    }
}

fn band_label(bands: &[Band], index: usize) -> String {
    let from = if index == 0 { 0 } else { bands[index - 1].up_to.map_or(0, |u| u + 1) };
    match bands[index].up_to {
        Some(to) => format!("{from} to {to}"),
        None => format!("{from} and over"),
    }
}

fn band_working(band: &Band, pupils: u32) -> String {
    match (band.flat, band.per_pupil) {
        (Some(flat), Some(rate)) => format!("{} + {pupils} x {}", show(flat), show(rate)),
        (Some(flat), None) => show(flat),
        (None, Some(rate)) => format!("{pupils} x {}", show(rate)),
        (None, None) => "£0.00".into(),
    }
}

/// An amount as working text: pounds and pence when whole pence, otherwise exact.
fn show(value: Decimal) -> String {
    Money::from_decimal(value).map(|m| m.to_string()).unwrap_or_else(|_| format!("£{value}"))
}

/// An exact amount and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced {
    pub amount: Decimal,
    pub working: String,
}

/// Why a school could not be priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpriced {
    /// The rule needs pupils and the school has no pupil number in force.
    NeedsPupilNumber,
    /// A by-phase rule with no rule for this phase and no default.
    NoRuleForPhase(BillingPhase),
}

impl std::fmt::Display for Unpriced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unpriced::NeedsPupilNumber => f.write_str("needs pupil number"),
            Unpriced::NoRuleForPhase(p) => write!(f, "the fee rule has no rule for {p} schools"),
        }
    }
}

/// Percentage discounts, applied after the rule's floor and cap.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Discounts {
    /// For schools whose trust pays for several schools, e.g. 5 for 5%.
    #[serde(default)]
    pub trust_percent: Decimal,
    /// For a school's first year of membership.
    #[serde(default)]
    pub first_year_percent: Decimal,
}

impl Discounts {
    /// Checks each discount is between 0% and 100%.
    pub fn check(&self) -> Result<(), RuleError> {
        for (field, value) in
            [("trust_percent", self.trust_percent), ("first_year_percent", self.first_year_percent)]
        {
            if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                return Err(rule_error(field, format!("{value}% is not between 0% and 100%")));
            }
        }
        Ok(())
    }
}

/// A school's price: the rounded annual fee and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolPrice {
    pub fee: Money,
    pub working: String,
}

/// The annual amount after the rule (with its floors and caps), then the trust discount, then
/// the first-year discount (each on what is left after the one before). Exact: not rounded.
pub fn discounted_annual(
    rule: &FeeRule,
    phase: BillingPhase,
    pupils: Option<u32>,
    discounts: Discounts,
) -> Result<Priced, Unpriced> {
    let Priced { amount, mut working } = rule.exact(phase, pupils)?;
    let amount = less_discounts(amount, discounts, |label, percent| {
        working.push_str(&format!(", less {label} {}%", percent.normalize()));
    });
    Ok(Priced { amount, working })
}

/// [`discounted_annual`]'s amount alone, without writing how it was reached (the memberships
/// list prices a page of schools on every request).
pub fn discounted_annual_amount(
    rule: &FeeRule,
    phase: BillingPhase,
    pupils: Option<u32>,
    discounts: Discounts,
) -> Result<Decimal, Unpriced> {
    Ok(less_discounts(rule.exact_amount(phase, pupils)?, discounts, |_, _| {}))
}

/// The trust discount, then the first-year discount, each on what is left after the one
/// before; `note` hears each one applied.
fn less_discounts(mut amount: Decimal, discounts: Discounts, mut note: impl FnMut(&str, Decimal)) -> Decimal {
    for (label, percent) in
        [("trust discount", discounts.trust_percent), ("first-year discount", discounts.first_year_percent)]
    {
        if !percent.is_zero() {
            amount -= amount * percent / Decimal::ONE_HUNDRED;
            note(label, percent);
        }
    }
    amount
}

/// Prices one school for the share of the year its membership covers: [`discounted_annual`],
/// then the share, then one rounding half up to the penny with [`round_half_up_to_penny`].
pub fn price_school(
    rule: &FeeRule,
    phase: BillingPhase,
    pupils: Option<u32>,
    discounts: Discounts,
    coverage: Coverage,
) -> Result<SchoolPrice, Unpriced> {
    let Priced { mut amount, mut working } = discounted_annual(rule, phase, pupils, discounts)?;
    if !coverage.is_whole() {
        amount = amount * Decimal::from(coverage.covered) / Decimal::from(coverage.of);
        working.push_str(&format!(", pro rata {}/{}", coverage.covered, coverage.of));
    }
    Ok(SchoolPrice { fee: Money::from_decimal_rounded(round_half_up_to_penny(amount)), working })
}
