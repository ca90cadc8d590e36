//! A model run: every option's income, surplus, break-even and per-school charges, to the penny.

use super::break_even::{BreakEven, break_even, break_even_words, sensitivity};
use super::income::{charges, costs_covered, income};
use super::scenario::{CostKind, CostLine, ModelSchool, Scenario};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::money::{Money, round_half_up_to_penny};
use rust_decimal::Decimal;
use serde::Serialize;

/// Shows an exact amount to the penny.
pub fn to_money(value: Decimal) -> Money {
    Money::from_decimal_rounded(round_half_up_to_penny(value))
}

/// One school's line in the results.
#[derive(Debug, Clone, Serialize)]
pub struct SchoolCharge {
    pub urn: i32,
    pub name: String,
    pub billing_phase: BillingPhase,
    pub pupils: Option<u32>,
    pub charge: Option<Money>,
    pub charge_per_pupil: Option<Money>,
    pub baseline: Option<Money>,
    pub change: Option<Money>,
}

/// Charges in one billing phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseStats {
    pub phase: BillingPhase,
    pub schools: usize,
    pub pupils: u64,
    pub total: Money,
    pub min: Money,
    pub median: Money,
    pub max: Money,
}

/// Income by stream, to the penny.
#[derive(Debug, Clone, Serialize)]
pub struct IncomeShown {
    pub memberships: Money,
    pub levels: Money,
    pub services: Money,
    pub council: Money,
    pub total: Money,
}

/// One option's results.
#[derive(Debug, Clone, Serialize)]
pub struct OptionResult {
    pub name: String,
    pub income: IncomeShown,
    pub costs_covered: Money,
    pub surplus: Money,
    /// A per-pupil rate or flat amount ("47.77"), a scale ("scale 1.2345"), "free" or
    /// "unreachable".
    pub break_even: String,
    /// The break-even fee in words, as the option's rule reads at that amount.
    pub break_even_words: String,
    pub by_phase: Vec<PhaseStats>,
    pub schools: Vec<SchoolCharge>,
    pub needs_pupil_number: Vec<SchoolCharge>,
    /// (sign-up percent, surplus).
    pub sensitivity: Vec<(u32, Money)>,
}

/// A cost line with its amount, to the penny.
#[derive(Debug, Clone, Serialize)]
pub struct CostShown {
    pub name: String,
    pub kind: CostKind,
    pub amount: Money,
}

/// Everything a model run shows.
#[derive(Debug, Clone, Serialize)]
pub struct ModelResult {
    pub year: String,
    pub schools: usize,
    pub costs: Vec<CostShown>,
    pub costs_total: Money,
    pub options: Vec<OptionResult>,
}

fn median(sorted: &[Money]) -> Money {
    match sorted.len() {
        0 => Money::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => to_money((sorted[n / 2 - 1].amount() + sorted[n / 2].amount()) / Decimal::TWO),
    }
}

/// Runs every option of a scenario over the schools.
pub fn model(scenario: &Scenario, schools: &[ModelSchool]) -> ModelResult {
    let council = scenario.council.as_ref().map(|c| &c.council);
    let year_index = scenario.year_index();
    let baseline = scenario.baseline.as_ref().map(|b| charges(b, schools));
    let options = scenario
        .options
        .iter()
        .map(|o| {
            let i = income(o, &o.sign_up, schools, council, year_index);
            let covered = costs_covered(o, &scenario.costs);
            let charged = charges(&o.membership_fee, schools);
            let mut rows = Vec::new();
            let mut missing = Vec::new();
            for (index, (s, charge)) in schools.iter().zip(&charged).enumerate() {
                let base = baseline.as_ref().and_then(|b| b[index]);
                let row = SchoolCharge {
                    urn: s.urn,
                    name: s.name.clone(),
                    billing_phase: s.billing_phase,
                    pupils: s.pupils,
                    charge: *charge,
                    charge_per_pupil: match (charge, s.pupils) {
                        (Some(c), Some(p)) if p > 0 => Some(to_money(c.amount() / Decimal::from(p))),
                        _ => None,
                    },
                    baseline: base,
                    change: match (charge, base) {
                        (Some(c), Some(b)) => Some(*c - b),
                        _ => None,
                    },
                };
                if charge.is_some() { rows.push(row) } else { missing.push(row) }
            }
            let mut by_phase = Vec::new();
            for phase in BillingPhase::ALL {
                let mut amounts: Vec<Money> =
                    rows.iter().filter(|r| r.billing_phase == phase).filter_map(|r| r.charge).collect();
                if amounts.is_empty() {
                    continue;
                }
                amounts.sort();
                by_phase.push(PhaseStats {
                    phase,
                    schools: amounts.len(),
                    pupils: rows
                        .iter()
                        .filter(|r| r.billing_phase == phase)
                        .filter_map(|r| r.pupils)
                        .map(u64::from)
                        .sum(),
                    total: amounts.iter().copied().sum(),
                    min: amounts[0],
                    median: median(&amounts),
                    max: amounts[amounts.len() - 1],
                });
            }
            let found = break_even(o, schools, &scenario.costs, council, year_index);
            OptionResult {
                name: o.name.clone(),
                income: IncomeShown {
                    memberships: to_money(i.memberships),
                    levels: to_money(i.levels),
                    services: to_money(i.services),
                    council: to_money(i.council),
                    total: to_money(i.total()),
                },
                costs_covered: to_money(covered),
                surplus: to_money(i.total() - covered),
                break_even: match &found {
                    BreakEven::Amount(m) => m.amount().to_string(),
                    BreakEven::Scale(f) => format!("scale {f}"),
                    BreakEven::Free => "free".into(),
                    BreakEven::Unreachable => "unreachable".into(),
                },
                break_even_words: break_even_words(o, &found),
                by_phase,
                schools: rows,
                needs_pupil_number: missing,
                sensitivity: sensitivity(o, schools, &scenario.costs, council, year_index)
                    .into_iter()
                    .map(|(p, s)| (p, to_money(s)))
                    .collect(),
            }
        })
        .collect();
    ModelResult {
        year: scenario.year.clone(),
        schools: schools.len(),
        costs: scenario
            .costs
            .iter()
            .map(|c| CostShown { name: c.name.clone(), kind: c.kind, amount: to_money(c.amount()) })
            .collect(),
        costs_total: to_money(scenario.costs.iter().map(CostLine::amount).sum()),
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_run_reports_each_option() {
        let schools = vec![
            ModelSchool { urn: 1, name: "A".into(), billing_phase: BillingPhase::Primary, pupils: Some(200) },
            ModelSchool { urn: 2, name: "B".into(), billing_phase: BillingPhase::Primary, pupils: Some(400) },
            ModelSchool { urn: 3, name: "C".into(), billing_phase: BillingPhase::Secondary, pupils: None },
        ];
        let scenario: Scenario = serde_json::from_value(serde_json::json!({
            "year": "2026-27",
            "schools": { "register": "demo" },
            "costs": [{ "name": "Core", "kind": "core", "amount": "9000.00" }],
            "options": [{ "name": "Per pupil", "membership_fee": { "per_pupil": "10.00" }, "covers": ["core"] }],
            "council": { "schedule": ["3000.00", "1000.00"], "first_year": "2025-26" },
            "baseline": { "flat": "2500.00" }
        }))
        .unwrap();
        assert_eq!(scenario.year_index(), 1);
        let result = model(&scenario, &schools);
        let o = &result.options[0];
        assert_eq!(o.income.memberships.to_string(), "£6,000.00");
        assert_eq!(o.income.council.to_string(), "£1,000.00");
        assert_eq!(o.surplus.to_string(), "-£2,000.00");
        assert_eq!(o.break_even, "13.34", "7999.99/600 rounds up to the next penny");
        assert_eq!(o.schools.len(), 2);
        assert_eq!(o.needs_pupil_number.len(), 1);
        assert_eq!(o.schools[0].change.map(|c| c.to_string()), Some("-£500.00".into()));
        assert_eq!(o.by_phase[0].median.to_string(), "£3,000.00");
        assert_eq!(result.costs_total.to_string(), "£9,000.00");
    }
}
