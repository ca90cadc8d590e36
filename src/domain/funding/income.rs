//! What an option raises: each school's charge (the billing calculation) times sign-up, plus
//! tiers, services and the council.

use super::scenario::{CostLine, Council, FundingOption, ModelSchool, Service, SignUp};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::FeeRule;
use crate::domain::money::{Money, round_half_up_to_penny};
use rust_decimal::Decimal;

/// Income by stream, exact.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Income {
    pub memberships: Decimal,
    pub levels: Decimal,
    pub services: Decimal,
    pub council: Decimal,
}

impl Income {
    pub fn total(&self) -> Decimal {
        self.memberships + self.levels + self.services + self.council
    }
}

/// Each school's charge under a rule: `None` when it needs a pupil number (or the rule has no
/// price for its phase). Rounded once, as billing does.
pub fn charges(rule: &FeeRule, schools: &[ModelSchool]) -> Vec<Option<Money>> {
    schools.iter().map(|s| charge(rule, s)).collect()
}

/// One school's charge for a whole year: the billing calculation, rounded once, half up.
fn charge(rule: &FeeRule, school: &ModelSchool) -> Option<Money> {
    rule.exact_amount(school.billing_phase, school.pupils)
        .ok()
        .map(|a| Money::from_decimal_rounded(round_half_up_to_penny(a)))
}

/// Charges under a rule, added up per billing phase (what sign-up shares multiply).
pub(super) fn sums_by_phase(rule: &FeeRule, schools: &[ModelSchool]) -> [Decimal; 8] {
    let mut sums = [Decimal::ZERO; 8];
    for s in schools {
        if let Some(c) = charge(rule, s) {
            let index = BillingPhase::ALL.iter().position(|p| *p == s.billing_phase).unwrap_or(7);
            sums[index] += c.amount();
        }
    }
    sums
}

fn shared(sums: &[Decimal; 8], sign_up: &SignUp) -> Decimal {
    BillingPhase::ALL.iter().zip(sums).map(|(phase, sum)| *sum * sign_up.share(*phase)).sum()
}

/// Expected income from a rule over the schools: each charge times its phase's sign-up share.
pub fn expected(rule: &FeeRule, sign_up: &SignUp, schools: &[ModelSchool]) -> Decimal {
    shared(&sums_by_phase(rule, schools), sign_up)
}

/// What stays put while a model varies the membership fee or its sign-up: income from tiers
/// and services, and the membership charges per phase.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(super) membership_by_phase: [Decimal; 8],
    levels: Decimal,
    services: Decimal,
}

impl Prepared {
    pub fn new(option: &FundingOption, schools: &[ModelSchool]) -> Prepared {
        Prepared {
            membership_by_phase: sums_by_phase(&option.membership_fee, schools),
            levels: option.levels.iter().map(|t| expected(&t.fee, &t.sign_up, schools)).sum(),
            services: option.services.iter().map(Service::income).sum(),
        }
    }

    /// Income by stream with the membership's sign-up as given.
    pub fn income(&self, sign_up: &SignUp, council: Option<&Council>, year_index: usize) -> Income {
        let memberships = shared(&self.membership_by_phase, sign_up);
        let school_income = memberships + self.levels + self.services;
        let council = council.map_or(Decimal::ZERO, |c| c.contribution(school_income, year_index));
        Income { memberships, levels: self.levels, services: self.services, council }
    }
}

/// An option's income by stream, with the membership sign-up as given.
pub fn income(
    option: &FundingOption,
    membership_sign_up: &SignUp,
    schools: &[ModelSchool],
    council: Option<&Council>,
    year_index: usize,
) -> Income {
    Prepared::new(option, schools).income(membership_sign_up, council, year_index)
}

/// What the option's income must pay for: the cost lines of the kinds it covers.
pub fn costs_covered(option: &FundingOption, costs: &[CostLine]) -> Decimal {
    costs.iter().filter(|c| option.covers.contains(&c.kind)).map(CostLine::amount).sum()
}
