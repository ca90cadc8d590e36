//! What a scenario may hold: every amount, count and share bounded, so a model always runs.

use super::scenario::{Council, Pricing, Scenario, SignUp, Units};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::money::MAX_POUNDS;
use crate::domain::partnership::{MembershipYear, YearKind};
use crate::domain::text::{self, MAX_NAME_CHARS};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The most days or units a cost line or service may count.
pub const MAX_UNITS: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
/// The most cost lines a scenario may have.
pub const MAX_COST_LINES: usize = 100;
/// How many options a scenario compares side by side, paid tiers and services an option has.
pub const MAX_OPTIONS: usize = 4;
pub const MAX_TIERS: usize = 3;
pub const MAX_SERVICES: usize = 4;
/// The most years a council schedule may run, and the highest match ratio.
pub const MAX_SCHEDULE_YEARS: usize = 20;
pub const MAX_MATCH_RATIO: Decimal = Decimal::from_parts(10, 0, 0, false, 0);

/// One thing wrong with a scenario: where (e.g. `costs[1].day_rate`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioProblem {
    pub field: String,
    pub message: String,
}

struct Problems(Vec<ScenarioProblem>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(ScenarioProblem { field: field.into(), message: message.into() });
    }

    fn between(&mut self, field: &str, value: Decimal, max: Decimal, what: &str) {
        if value.is_sign_negative() && !value.is_zero() {
            self.add(field, format!("{value} is negative"));
        } else if value > max {
            self.add(field, format!("{value} is more than {max}, the most {what}"));
        }
    }

    fn amount(&mut self, field: &str, value: Decimal) {
        self.between(field, value, MAX_POUNDS, "an amount may be (£1,000,000,000.00)");
    }

    fn units(&mut self, field: &str, value: Decimal) {
        self.between(field, value, MAX_UNITS, "days or units may be");
    }

    fn name(&mut self, field: &str, value: &str) {
        if let Err(message) = text::required(value, MAX_NAME_CHARS, "Give it a name") {
            self.add(field, message);
        }
    }

    fn phases<T>(&mut self, field: &str, map: &BTreeMap<String, T>, default_allowed: bool) {
        for phase in map.keys() {
            let ok = BillingPhase::parse(phase).is_some() || (default_allowed && phase == "default");
            if !ok {
                self.add(field, format!("\"{phase}\" is not a billing phase"));
            }
        }
    }

    fn sign_up(&mut self, field: &str, sign_up: &SignUp) {
        let share = |p: &mut Problems, f: String, v: Decimal| {
            p.between(&f, v, Decimal::ONE, "a share of schools may be (1, which is 100%)")
        };
        match sign_up {
            SignUp::All(v) => share(self, field.to_string(), *v),
            SignUp::ByPhase(map) => {
                self.phases(field, map, true);
                for (phase, v) in map {
                    share(self, format!("{field}.{phase}"), *v);
                }
            }
        }
    }

    fn year(&mut self, field: &str, year: &str) {
        if MembershipYear::parse(YearKind::Academic, year).is_none() {
            self.add(field, MembershipYear::problem(year));
        }
    }
}

fn check_units(p: &mut Problems, at: &str, u: &Units) {
    p.units(&format!("{at}.units"), u.units);
    p.amount(&format!("{at}.unit_cost"), u.unit_cost);
}

impl Scenario {
    /// Everything out of bounds in the scenario (fee rules are checked as they are read).
    pub fn check(&self) -> Vec<ScenarioProblem> {
        let mut p = Problems(Vec::new());
        p.year("year", &self.year);
        if self.costs.len() > MAX_COST_LINES {
            p.add(
                "costs",
                format!(
                    "a scenario has up to {MAX_COST_LINES} cost lines; this one has {}",
                    self.costs.len()
                ),
            );
        }
        for (i, cost) in self.costs.iter().enumerate() {
            let at = format!("costs[{i}]");
            p.name(&format!("{at}.name"), &cost.name);
            match &cost.pricing {
                Pricing::Amount { amount } => p.amount(&format!("{at}.amount"), *amount),
                Pricing::Days { days, day_rate } => {
                    p.units(&format!("{at}.days"), *days);
                    p.amount(&format!("{at}.day_rate"), *day_rate);
                }
                Pricing::Units(u) => check_units(&mut p, &at, u),
                Pricing::PerPhase { per_phase } => {
                    p.phases(&format!("{at}.per_phase"), per_phase, false);
                    for (phase, u) in per_phase {
                        check_units(&mut p, &format!("{at}.per_phase.{phase}"), u);
                    }
                }
            }
        }
        if self.options.len() > MAX_OPTIONS {
            p.add(
                "options",
                format!(
                    "a scenario compares up to {MAX_OPTIONS} options side by side; this one has {}",
                    self.options.len()
                ),
            );
        }
        for (i, option) in self.options.iter().enumerate() {
            let at = format!("options[{i}]");
            p.name(&format!("{at}.name"), &option.name);
            p.sign_up(&format!("{at}.sign_up"), &option.sign_up);
            if option.levels.len() > MAX_TIERS {
                p.add(format!("{at}.levels"), format!("an option has up to {MAX_TIERS} paid tiers"));
            }
            for (j, tier) in option.levels.iter().enumerate() {
                p.name(&format!("{at}.levels[{j}].name"), &tier.name);
                p.sign_up(&format!("{at}.levels[{j}].sign_up"), &tier.sign_up);
            }
            if option.services.len() > MAX_SERVICES {
                p.add(
                    format!("{at}.services"),
                    format!("an option has up to {MAX_SERVICES} traded services"),
                );
            }
            for (j, service) in option.services.iter().enumerate() {
                let sat = format!("{at}.services[{j}]");
                p.name(&format!("{sat}.name"), &service.name);
                p.phases(&format!("{sat}.price"), &service.price, true);
                p.phases(&format!("{sat}.units"), &service.units, true);
                for (phase, price) in &service.price {
                    p.amount(&format!("{sat}.price.{phase}"), *price);
                }
                for (phase, units) in &service.units {
                    p.units(&format!("{sat}.units.{phase}"), *units);
                }
            }
        }
        if let Some(council) = &self.council {
            if let Some(first) = &council.first_year {
                p.year("council.first_year", first);
            }
            match &council.council {
                Council::Fixed { fixed } => p.amount("council.fixed", *fixed),
                Council::Match { ratio, cap } => {
                    p.between("council.match", *ratio, MAX_MATCH_RATIO, "a match ratio may be");
                    if let Some(cap) = cap {
                        p.amount("council.cap", *cap);
                    }
                }
                Council::Schedule { schedule } => {
                    if schedule.len() > MAX_SCHEDULE_YEARS {
                        p.add(
                            "council.schedule",
                            format!("a schedule runs for up to {MAX_SCHEDULE_YEARS} years"),
                        );
                    }
                    for (i, amount) in schedule.iter().enumerate() {
                        p.amount(&format!("council.schedule[{i}]"), *amount);
                    }
                }
            }
        }
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::funding::{ModelSchool, model};

    fn scenario(costs: serde_json::Value, council: serde_json::Value) -> Scenario {
        serde_json::from_value(serde_json::json!({
            "year": "2026-27",
            "schools": { "register": "demo" },
            "costs": costs,
            "options": [{ "name": "A", "membership_fee": { "per_pupil": "1000000000" }, "covers": ["core"], "sign_up": "1" }],
            "council": council,
        }))
        .unwrap()
    }

    #[test]
    fn out_of_bounds_values_are_named() {
        let s = scenario(
            serde_json::json!([
                { "name": "Chair", "kind": "core", "days": "79228162514264337593543950335", "day_rate": "600.00" },
                { "name": "", "kind": "core", "amount": "-1" }
            ]),
            serde_json::json!({ "match": "11", "cap": "5000000000" }),
        );
        let fields: Vec<String> = s.check().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["costs[0].days", "costs[1].name", "costs[1].amount", "council.match", "council.cap"]
        );
        let mut bad_year = s.clone();
        bad_year.year = "262143-44".into();
        assert!(
            bad_year.check().iter().any(|p| p.field == "year" && p.message.contains("2000-01 to 2100-01"))
        );
    }

    #[test]
    fn the_largest_scenario_in_bounds_runs_without_overflow() {
        let max_cost = serde_json::json!([
            { "name": "Days", "kind": "core", "days": "1000000", "day_rate": "1000000000" },
            { "name": "Per phase", "kind": "core", "per_phase": { "Primary": { "units": "1000000", "unit_cost": "1000000000" } } }
        ]);
        let s = scenario(max_cost, serde_json::json!({ "match": "10", "cap": "1000000000" }));
        assert_eq!(s.check(), vec![]);
        let schools: Vec<ModelSchool> = (0..24_000)
            .map(|i| ModelSchool {
                urn: i,
                name: format!("S{i}"),
                billing_phase: BillingPhase::Secondary,
                pupils: Some(crate::domain::pupils::MAX_PUPILS as u32),
            })
            .collect();
        let result = model(&s, &schools);
        assert_eq!(result.options.len(), 1);
    }
}
