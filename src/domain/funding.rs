//! Funding models for boards: what each option raises from the real roster against what the
//! offer costs, with the same fee code that bills.
//!
//! Pure: the caller supplies the schools (from the register or a GIAS file) and the scenario.
//! Each school's charge is rounded once, as in billing; everything else is exact until the
//! result is shown (to the penny, half up).

use super::billing_phase::BillingPhase;
use super::fees::{FeeRule, RuleKind};
use super::money::{Money, round_half_up_to_penny};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One school as a model sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSchool {
    pub urn: i32,
    pub name: String,
    pub billing_phase: BillingPhase,
    pub pupils: Option<u32>,
}

/// Whether a cost belongs to the core offer or to additional support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    Core,
    Additional,
}

/// Units at a unit cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Units {
    pub units: Decimal,
    pub unit_cost: Decimal,
}

/// How a cost line is priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pricing {
    Amount { amount: Decimal },
    Days { days: Decimal, day_rate: Decimal },
    Units(Units),
    PerPhase { per_phase: BTreeMap<String, Units> },
}

/// One line of the costed offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub name: String,
    pub kind: CostKind,
    #[serde(flatten)]
    pub pricing: Pricing,
}

impl CostLine {
    /// The line's exact cost.
    pub fn amount(&self) -> Decimal {
        match &self.pricing {
            Pricing::Amount { amount } => *amount,
            Pricing::Days { days, day_rate } => *days * *day_rate,
            Pricing::Units(u) => u.units * u.unit_cost,
            Pricing::PerPhase { per_phase } => per_phase.values().map(|u| u.units * u.unit_cost).sum(),
        }
    }
}

/// The share of schools expected to sign up: one share, or one per billing phase (phases not
/// named take `default`, or 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignUp {
    All(Decimal),
    ByPhase(BTreeMap<String, Decimal>),
}

impl Default for SignUp {
    fn default() -> SignUp {
        SignUp::All(Decimal::ONE)
    }
}

impl SignUp {
    pub fn share(&self, phase: BillingPhase) -> Decimal {
        match self {
            SignUp::All(share) => *share,
            SignUp::ByPhase(map) => map
                .iter()
                .find(|(k, _)| BillingPhase::parse(k) == Some(phase))
                .map(|(_, v)| *v)
                .or_else(|| map.get("default").copied())
                .unwrap_or(Decimal::ONE),
        }
    }
}

/// A paid tier above the membership; its income counts towards additional costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    pub fee: FeeRule,
    #[serde(default)]
    pub sign_up: SignUp,
}

/// A traded service sold under an option: a price and expected units per billing phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub price: BTreeMap<String, Decimal>,
    pub units: BTreeMap<String, Decimal>,
}

impl Service {
    pub fn income(&self) -> Decimal {
        self.units
            .iter()
            .map(|(phase, units)| self.price.get(phase).copied().unwrap_or_default() * *units)
            .sum()
    }
}

/// One funding option a board compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FundingOption {
    pub name: String,
    pub membership_fee: FeeRule,
    #[serde(default)]
    pub sign_up: SignUp,
    pub covers: Vec<CostKind>,
    #[serde(default)]
    pub levels: Vec<Tier>,
    #[serde(default)]
    pub services: Vec<Service>,
}

/// What the council puts in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Council {
    Fixed {
        fixed: Decimal,
    },
    Match {
        #[serde(rename = "match")]
        ratio: Decimal,
        #[serde(default)]
        cap: Option<Decimal>,
    },
    Schedule {
        schedule: Vec<Decimal>,
    },
}

impl Council {
    /// The contribution given the income from schools and which year of a schedule it is
    /// (0 for the first; years beyond the schedule get nothing).
    pub fn contribution(&self, school_income: Decimal, year_index: usize) -> Decimal {
        match self {
            Council::Fixed { fixed } => *fixed,
            Council::Match { ratio, cap } => {
                let matched = school_income * *ratio;
                cap.map_or(matched, |c| matched.min(c))
            }
            Council::Schedule { schedule } => schedule.get(year_index).copied().unwrap_or_default(),
        }
    }
}

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
fn sums_by_phase(rule: &FeeRule, schools: &[ModelSchool]) -> [Decimal; 8] {
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
    membership_by_phase: [Decimal; 8],
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

/// Surplus (negative: deficit) of an option with a given membership rule.
#[cfg(test)]
fn surplus_with(
    option: &FundingOption,
    rule: &FeeRule,
    schools: &[ModelSchool],
    costs: &[CostLine],
    council: Option<&Council>,
    year_index: usize,
) -> Decimal {
    let mut changed = option.clone();
    changed.membership_fee = rule.clone();
    income(&changed, &option.sign_up, schools, council, year_index).total() - costs_covered(option, costs)
}

/// The break-even point of an option's membership fee.
#[derive(Debug, Clone, PartialEq)]
pub enum BreakEven {
    /// The lowest single per-pupil rate or flat amount, in whole pence.
    Amount(Money),
    /// The lowest uniform scaling of every amount of the rule, to 4 decimal places.
    Scale(Decimal),
    /// Already covered with a fee of nothing.
    Free,
    /// No fee under this rule's shape covers the costs (for example a cap holds it down).
    Unreachable,
}

/// Finds the break-even point by bisection on a monotone surplus: for a single-amount rule the
/// lowest amount in whole pence; otherwise the lowest scale in steps of 0.0001.
pub fn break_even(
    option: &FundingOption,
    schools: &[ModelSchool],
    costs: &[CostLine],
    council: Option<&Council>,
    year_index: usize,
) -> BreakEven {
    let single = option.membership_fee.with_single_amount(Decimal::ZERO).is_some();
    let step = if single { Decimal::new(1, 2) } else { Decimal::new(1, 4) };
    let rule_at = |steps: i64| -> FeeRule {
        let value = step * Decimal::from(steps);
        if single {
            option.membership_fee.with_single_amount(value).unwrap_or_else(|| option.membership_fee.clone())
        } else {
            option.membership_fee.scaled(value)
        }
    };
    let base = Prepared::new(option, schools);
    let covered = costs_covered(option, costs);
    let surplus = |steps: i64| {
        let mut prepared = base.clone();
        prepared.membership_by_phase = sums_by_phase(&rule_at(steps), schools);
        prepared.income(&option.sign_up, council, year_index).total() - covered
    };
    let (mut low, mut f_low) = (0i64, surplus(0));
    if f_low >= Decimal::ZERO {
        return BreakEven::Free;
    }
    // Bracket the answer, starting from the rule's own amount (or a scale of 1).
    let start = match (&option.membership_fee.kind, single) {
        (RuleKind::Flat { flat }, true) => *flat,
        (RuleKind::PerPupil { per_pupil, .. }, true) => *per_pupil,
        _ => Decimal::ONE,
    };
    let mut high = i64::try_from((start / step).round()).unwrap_or(1).max(1);
    let mut f_high = surplus(high);
    while f_high < Decimal::ZERO {
        (low, f_low) = (high, f_high);
        high = high.saturating_mul(2);
        if high > 1_000_000_000_000 {
            return BreakEven::Unreachable;
        }
        f_high = surplus(high);
    }
    // Surplus is monotone and piecewise linear: interpolate (false position), halving instead
    // when one end keeps moving, until the ends are one step apart.
    let mut same_side = 0i32;
    while high - low > 1 {
        let span = high - low;
        let mid = if same_side.abs() >= 2 || f_high == f_low {
            low + span / 2
        } else {
            let t = (-f_low) / (f_high - f_low);
            low + i64::try_from((t * Decimal::from(span)).ceil()).unwrap_or(span / 2)
        };
        let mid = mid.clamp(low + 1, high - 1);
        let f = surplus(mid);
        if f >= Decimal::ZERO {
            (high, f_high) = (mid, f);
            same_side = if same_side > 0 { same_side + 1 } else { 1 };
        } else {
            (low, f_low) = (mid, f);
            same_side = if same_side < 0 { same_side - 1 } else { -1 };
        }
    }
    let value = step * Decimal::from(high);
    if single { BreakEven::Amount(Money::from_decimal_rounded(value)) } else { BreakEven::Scale(value) }
}

/// Surplus at sign-up 0%, 5%, ... 100% of the membership (tiers and services as given).
pub fn sensitivity(
    option: &FundingOption,
    schools: &[ModelSchool],
    costs: &[CostLine],
    council: Option<&Council>,
    year_index: usize,
) -> Vec<(u32, Decimal)> {
    let covered = costs_covered(option, costs);
    let prepared = Prepared::new(option, schools);
    (0..=20)
        .map(|i| {
            let share = Decimal::new(i64::from(i) * 5, 2);
            let total = prepared.income(&SignUp::All(share), council, year_index).total();
            (i * 5, total - covered)
        })
        .collect()
}

/// Shows an exact amount to the penny.
pub fn to_money(value: Decimal) -> Money {
    Money::from_decimal_rounded(round_half_up_to_penny(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn school(urn: i32, phase: BillingPhase, pupils: Option<u32>) -> ModelSchool {
        ModelSchool { urn, name: format!("School {urn}"), billing_phase: phase, pupils }
    }

    fn roster() -> Vec<ModelSchool> {
        vec![
            school(1, BillingPhase::Primary, Some(200)),
            school(2, BillingPhase::Primary, Some(400)),
            school(3, BillingPhase::Secondary, Some(1000)),
            school(4, BillingPhase::Special, Some(100)),
            school(5, BillingPhase::Primary, None),
        ]
    }

    fn rule(json: &str) -> FeeRule {
        FeeRule::from_json(json).unwrap()
    }

    fn option(fee: &str, covers: Vec<CostKind>) -> FundingOption {
        FundingOption {
            name: "A".into(),
            membership_fee: rule(fee),
            sign_up: SignUp::default(),
            covers,
            levels: vec![],
            services: vec![],
        }
    }

    fn costs() -> Vec<CostLine> {
        serde_json::from_value(serde_json::json!([
            { "name": "Chair", "kind": "core", "days": "20", "day_rate": "600.00" },
            { "name": "Conference", "kind": "core", "amount": "12000.00" },
            { "name": "Peer reviews", "kind": "additional", "per_phase": {
                "Secondary": { "units": "12", "unit_cost": "1600.00" },
                "Primary": { "units": "20", "unit_cost": "900.00" } } },
            { "name": "SLE days", "kind": "additional", "units": "4", "unit_cost": "5000.00" }
        ]))
        .unwrap()
    }

    #[test]
    fn each_cost_form() {
        let c = costs();
        assert_eq!(c[0].amount(), dec!(12000.00));
        assert_eq!(c[1].amount(), dec!(12000.00));
        assert_eq!(c[2].amount(), dec!(37200.00));
        assert_eq!(c[3].amount(), dec!(20000.00));
    }

    #[test]
    fn a_single_fee_covering_core_and_additional() {
        let o = option(r#"{"per_pupil": "19.00"}"#, vec![CostKind::Core, CostKind::Additional]);
        let i = income(&o, &o.sign_up, &roster(), None, 0);
        // 200 + 400 + 1000 + 100 pupils at £19; the school with no pupil number pays nothing.
        assert_eq!(i.memberships, dec!(32300.00));
        assert_eq!(costs_covered(&o, &costs()), dec!(81200.00));
        // Break-even: 81200 / 1700 = 47.7647... so £47.77 is the lowest rate in whole pence.
        assert_eq!(
            break_even(&o, &roster(), &costs(), None, 0),
            BreakEven::Amount(Money::parse("47.77").unwrap())
        );
    }

    #[test]
    fn a_differentiated_option_with_tiers_and_sign_up_by_phase() {
        let mut o = option(r#"{"flat": "1000.00"}"#, vec![CostKind::Core, CostKind::Additional]);
        o.levels = vec![Tier {
            name: "Advanced".into(),
            fee: rule(r#"{"by_phase": {"Secondary": {"flat": "6000.00"}, "default": {"flat": "2000.00"}}}"#),
            sign_up: SignUp::ByPhase(BTreeMap::from([
                ("Secondary".into(), dec!(0.5)),
                ("default".into(), dec!(0.25)),
            ])),
        }];
        let i = income(&o, &o.sign_up, &roster(), None, 0);
        assert_eq!(i.memberships, dec!(5000.00), "a flat fee needs no pupil number: all five schools");
        // Advanced: secondary 6000 x 0.5, four others 2000 x 0.25 each.
        assert_eq!(i.levels, dec!(5000.00));
    }

    #[test]
    fn core_only_with_council_match_funding_and_a_cap() {
        let o = option(r#"{"per_pupil": "10.00"}"#, vec![CostKind::Core]);
        let council = Council::Match { ratio: dec!(1.0), cap: Some(dec!(10000.00)) };
        let i = income(&o, &o.sign_up, &roster(), Some(&council), 0);
        assert_eq!((i.memberships, i.council), (dec!(17000.00), dec!(10000.00)));
        assert_eq!(costs_covered(&o, &costs()), dec!(24000.00));
        assert_eq!(i.total() - costs_covered(&o, &costs()), dec!(3000.00));
        let schedule = Council::Schedule { schedule: vec![dec!(300000), dec!(225000)] };
        assert_eq!(schedule.contribution(dec!(0), 1), dec!(225000));
        assert_eq!(schedule.contribution(dec!(0), 5), dec!(0));
    }

    #[test]
    fn a_cap_can_make_break_even_unreachable_and_other_rules_scale() {
        let capped = option(r#"{"per_pupil": "1.00", "max": "100.00"}"#, vec![CostKind::Core]);
        assert_eq!(break_even(&capped, &roster(), &costs(), None, 0), BreakEven::Unreachable);
        let banded = option(
            r#"{"bands": [{"up_to": 300, "flat": "1000.00"}, {"per_pupil": "5.00"}]}"#,
            vec![CostKind::Core],
        );
        match break_even(&banded, &roster(), &costs(), None, 0) {
            BreakEven::Scale(factor) => {
                let at = |f: Decimal| {
                    surplus_with(&banded, &banded.membership_fee.scaled(f), &roster(), &costs(), None, 0)
                };
                assert!(at(factor) >= Decimal::ZERO);
                assert!(at(factor - dec!(0.0001)) < Decimal::ZERO);
            }
            other => panic!("{other:?}"),
        }
        let free = option(r#"{"flat": "0.00"}"#, vec![]);
        assert_eq!(break_even(&free, &roster(), &costs(), None, 0), BreakEven::Free);
    }

    #[test]
    fn sensitivity_runs_from_nothing_to_everyone() {
        let o = option(r#"{"per_pupil": "19.00"}"#, vec![CostKind::Core]);
        let points = sensitivity(&o, &roster(), &costs(), None, 0);
        assert_eq!(points.len(), 21);
        assert_eq!(points[0], (0, dec!(-24000.00)));
        assert_eq!(points[20].1, dec!(32300.00) - dec!(24000.00));
    }

    proptest! {
        #[test]
        fn income_never_falls_when_a_rate_rises(a in 0i64..5000, b in 0i64..5000) {
            let (low, high) = (a.min(b), a.max(b));
            let at = |pence: i64| {
                let o = option(&format!(r#"{{"per_pupil": "{}", "min": "500.00", "max": "20000.00"}}"#, Money::from_pence(pence).amount()), vec![CostKind::Core]);
                income(&o, &o.sign_up, &roster(), None, 0).total()
            };
            prop_assert!(at(low) <= at(high));
        }

        #[test]
        fn break_even_is_the_lowest_penny(core in 1i64..100_000_000) {
            let mut o = option(r#"{"per_pupil": "1.00", "min": "300.00"}"#, vec![CostKind::Core]);
            o.sign_up = SignUp::All(dec!(0.8));
            let costs = vec![CostLine { name: "Core".into(), kind: CostKind::Core, pricing: Pricing::Amount { amount: Money::from_pence(core).amount() } }];
            if let BreakEven::Amount(rate) = break_even(&o, &roster(), &costs, None, 0) {
                let at = |r: Decimal| surplus_with(&o, &o.membership_fee.with_single_amount(r).unwrap(), &roster(), &costs, None, 0);
                prop_assert!(at(rate.amount()) >= Decimal::ZERO);
                prop_assert!(at(rate.amount() - dec!(0.01)) < Decimal::ZERO);
            }
        }

        #[test]
        fn no_sign_up_means_no_membership_income(rate in 1i64..10_000) {
            let o = option(&format!(r#"{{"per_pupil": "{}"}}"#, Money::from_pence(rate).amount()), vec![CostKind::Core]);
            prop_assert_eq!(income(&o, &SignUp::All(Decimal::ZERO), &roster(), None, 0).memberships, Decimal::ZERO);
        }
    }
}

/// Where a scenario's schools come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchoolsSource {
    /// A GIAS-format CSV, relative to the scenario file.
    #[serde(default)]
    pub gias_csv: Option<String>,
    /// Only these local authorities (names or codes) from the CSV.
    #[serde(default)]
    pub la: Vec<String>,
    /// Closed schools are left out unless this is true.
    #[serde(default)]
    pub include_closed: bool,
    /// A partnership's register, by slug.
    #[serde(default)]
    pub register: Option<String>,
    /// Only these billing phases.
    #[serde(default)]
    pub phases: Vec<String>,
    /// Only these GIAS type groups.
    #[serde(default)]
    pub type_groups: Vec<String>,
}

/// A council schedule may say which year its first entry is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioCouncil {
    #[serde(flatten)]
    pub council: Council,
    /// The membership year of the schedule's first entry (default: the scenario's year).
    #[serde(default)]
    pub first_year: Option<String>,
}

/// A board's scenario: the schools, the costed offer, the options, the council, a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// The membership year modelled, e.g. "2026-27".
    pub year: String,
    pub schools: SchoolsSource,
    pub costs: Vec<CostLine>,
    pub options: Vec<FundingOption>,
    #[serde(default)]
    pub council: Option<ScenarioCouncil>,
    /// What schools pay today, for winners and losers.
    #[serde(default)]
    pub baseline: Option<FeeRule>,
}

impl Scenario {
    /// Which entry of a council schedule the scenario's year takes.
    pub fn year_index(&self) -> usize {
        let start = |y: &str| y.split('-').next().and_then(|s| s.parse::<i32>().ok());
        match (self.council.as_ref().and_then(|c| c.first_year.as_deref()).and_then(start), start(&self.year))
        {
            (Some(first), Some(this)) if this >= first => (this - first) as usize,
            _ => 0,
        }
    }
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
                break_even: match break_even(o, schools, &scenario.costs, council, year_index) {
                    BreakEven::Amount(m) => m.amount().to_string(),
                    BreakEven::Scale(f) => format!("scale {f}"),
                    BreakEven::Free => "free".into(),
                    BreakEven::Unreachable => "unreachable".into(),
                },
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
mod model_tests {
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

/// Scenarios in words, for the editor's summaries and the board paper.
pub mod words {
    use super::{CostKind, CostLine, Council, Pricing, ScenarioCouncil, SignUp, to_money};
    use rust_decimal::Decimal;

    /// A share as a percentage without the sign: 0.85 gives "85".
    pub fn percent(share: Decimal) -> String {
        (share * Decimal::ONE_HUNDRED).normalize().to_string()
    }

    /// "90% of schools", or by phase.
    pub fn sign_up_words(sign_up: &SignUp) -> String {
        let pct = |v: &Decimal| format!("{}%", percent(*v));
        match sign_up {
            SignUp::All(share) => format!("{} of schools", pct(share)),
            SignUp::ByPhase(map) => map
                .iter()
                .map(|(k, v)| {
                    if k == "default" {
                        format!("{} of other schools", pct(v))
                    } else {
                        format!("{} of {k} schools", pct(v))
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    pub fn pricing_words(line: &CostLine) -> String {
        let money = |v: Decimal| to_money(v).to_string();
        match &line.pricing {
            Pricing::Amount { .. } => "A fixed amount".into(),
            Pricing::Days { days, day_rate } => {
                format!("{} days at {} a day", days.normalize(), money(*day_rate))
            }
            Pricing::Units(u) => format!("{} at {} each", u.units.normalize(), money(u.unit_cost)),
            Pricing::PerPhase { per_phase } => per_phase
                .iter()
                .map(|(phase, u)| format!("{phase}: {} at {} each", u.units.normalize(), money(u.unit_cost)))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    pub fn council_words(council: Option<&ScenarioCouncil>) -> String {
        let money = |v: Decimal| to_money(v).to_string();
        match council.map(|c| (&c.council, c.first_year.as_deref())) {
            None => "None".into(),
            Some((Council::Fixed { fixed }, _)) => format!("A fixed {}", money(*fixed)),
            Some((Council::Match { ratio, cap }, _)) => {
                let cap = cap.map(|c| format!(", up to {}", money(c))).unwrap_or_default();
                format!("Matches school income at {} to 1{cap}", ratio.normalize())
            }
            Some((Council::Schedule { schedule }, first)) => format!(
                "A schedule by year{}: {}",
                first.map(|f| format!(" from {f}")).unwrap_or_default(),
                schedule.iter().map(|v| money(*v)).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    pub fn covers_words(covers: &[CostKind]) -> String {
        match (covers.contains(&CostKind::Core), covers.contains(&CostKind::Additional)) {
            (true, true) => "Core and additional costs".into(),
            (true, false) => "Core costs only".into(),
            (false, true) => "Additional costs only".into(),
            (false, false) => "No costs".into(),
        }
    }
}
