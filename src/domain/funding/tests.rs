//! Funding models: income, costs, break-even and sensitivity on a small roster.

use super::break_even::surplus_with;
use super::*;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::FeeRule;
use crate::domain::money::Money;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

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

#[test]
fn break_even_reads_as_the_rule_at_that_amount() {
    use super::break_even::{BreakEven, break_even_words};
    let per_pupil = option(r#"{"per_pupil": "19.00"}"#, vec![CostKind::Core]);
    assert_eq!(break_even_words(&per_pupil, &BreakEven::Amount(Money::from_pence(221))), "£2.21 per pupil");
    let two_parts = option(r#"{"per_pupil": "19.00", "lump_sum": "400.00"}"#, vec![CostKind::Core]);
    let words = break_even_words(&two_parts, &BreakEven::Scale(dec!(0.4057)));
    assert_eq!(words, "£7.71 per pupil plus £162.28 a school");
    assert!(!words.contains(" x "), "{words}");
}
