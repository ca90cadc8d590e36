//! Fee rules: pricing at the edges, reading with errors that say where, rules in words.

use super::*;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::money::Money;
use crate::domain::pro_rata::Coverage;
use BillingPhase::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

#[test]
fn rules_read_in_words() {
    let words = |json: &str| FeeRule::from_json(json).unwrap().describe();
    assert_eq!(words(r#"{"flat": "1500.00"}"#), "£1,500.00 a school");
    assert_eq!(
        words(r#"{"per_pupil": "19.00", "lump_sum": "400.00", "min": "1000.00"}"#),
        "£19.00 per pupil plus £400.00 a school, at least £1,000.00"
    );
    assert_eq!(
        words(
            r#"{"by_phase": {"Secondary": {"flat": "6000.00"}, "default": {"per_pupil": "8.50"}}, "max": "9000.00"}"#
        ),
        "Secondary: £6,000.00 a school; other phases: £8.50 per pupil, at most £9,000.00"
    );
    assert_eq!(
        words(r#"{"bands": [{"up_to": 100, "flat": "800.00"}, {"per_pupil": "9.00"}], "mode": "graduated"}"#),
        "graduated bands (each band prices the pupils in it): 0 to 100 pupils £800.00; 101 pupils or more £9.00 per pupil"
    );
}

fn rule(json: &str) -> FeeRule {
    FeeRule::from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn fee(rule: &FeeRule, phase: BillingPhase, pupils: Option<u32>) -> Result<Money, Unpriced> {
    price_school(rule, phase, pupils, Discounts::default(), Coverage::WHOLE_YEAR).map(|p| p.fee)
}

fn pounds(text: &str) -> Money {
    Money::parse(text).unwrap()
}

#[test]
fn flat() {
    let r = rule(r#"{"flat": "1500.00"}"#);
    assert_eq!(fee(&r, Primary, None), Ok(pounds("1500.00")), "flat needs no pupil number");
    assert!(!r.needs_pupils(Primary));
}

#[test]
fn per_pupil_with_and_without_lump_sum() {
    let r = rule(r#"{"per_pupil": "19.00"}"#);
    assert_eq!(fee(&r, Primary, Some(420)), Ok(pounds("7980.00")));
    assert_eq!(fee(&r, Primary, Some(0)), Ok(pounds("0.00")), "zero pupils is zero, not missing");
    assert_eq!(fee(&r, Primary, None), Err(Unpriced::NeedsPupilNumber));
    let surrey = rule(r#"{"per_pupil": "0.89"}"#);
    assert_eq!(fee(&surrey, Secondary, Some(1187)), Ok(pounds("1056.43")));
    let lump = rule(r#"{"per_pupil": "4.00", "lump_sum": "300.00"}"#);
    assert_eq!(fee(&lump, Primary, Some(250)), Ok(pounds("1300.00")));
}

#[test]
fn fractions_of_a_penny_round_once_half_up() {
    let r = rule(r#"{"per_pupil": "0.895"}"#);
    assert_eq!(fee(&r, Primary, Some(1)), Ok(pounds("0.90")));
    assert_eq!(fee(&r, Primary, Some(3)), Ok(pounds("2.69")), "2.685 rounds up once, not per pupil");
}

#[test]
fn by_phase_with_lump_sum_and_default() {
    let r = rule(
        r#"{"by_phase": {
            "Primary": {"per_pupil": "10.00", "lump_sum": "500.00"},
            "Secondary": {"per_pupil": "8.00", "lump_sum": "1000.00"},
            "default": {"flat": "750.00"}}}"#,
    );
    assert_eq!(fee(&r, Primary, Some(300)), Ok(pounds("3500.00")));
    assert_eq!(fee(&r, Secondary, Some(1000)), Ok(pounds("9000.00")));
    assert_eq!(fee(&r, Special, None), Ok(pounds("750.00")), "the default needs no pupils");
    assert!(r.needs_pupils(Primary) && !r.needs_pupils(Special));
    let no_default = rule(r#"{"by_phase": {"Primary": {"flat": "1.00"}}}"#);
    assert_eq!(fee(&no_default, Nursery, Some(10)), Err(Unpriced::NoRuleForPhase(Nursery)));
}

const BANDS: &str = r#"{"bands": [{"up_to": 100, "flat": "800.00"}, {"up_to": 300, "per_pupil": "4.00"}, {"per_pupil": "3.00"}], "mode": "MODE"}"#;

#[test]
fn volume_bands_at_their_boundaries() {
    let r = rule(&BANDS.replace("MODE", "volume"));
    assert_eq!(fee(&r, Primary, Some(0)), Ok(pounds("800.00")));
    assert_eq!(fee(&r, Primary, Some(100)), Ok(pounds("800.00")), "exactly up_to is in the band");
    assert_eq!(fee(&r, Primary, Some(101)), Ok(pounds("404.00")), "one above is in the next band");
    assert_eq!(fee(&r, Primary, Some(300)), Ok(pounds("1200.00")));
    assert_eq!(fee(&r, Primary, Some(301)), Ok(pounds("903.00")));
    assert_eq!(fee(&r, Primary, None), Err(Unpriced::NeedsPupilNumber));
}

#[test]
fn graduated_bands_price_the_pupils_inside_each() {
    let r = rule(&BANDS.replace("MODE", "graduated"));
    assert_eq!(fee(&r, Primary, Some(0)), Ok(pounds("800.00")), "the first band is always reached");
    assert_eq!(fee(&r, Primary, Some(100)), Ok(pounds("800.00")));
    assert_eq!(fee(&r, Primary, Some(101)), Ok(pounds("804.00")));
    assert_eq!(fee(&r, Primary, Some(300)), Ok(pounds("1600.00")));
    assert_eq!(fee(&r, Primary, Some(301)), Ok(pounds("1603.00")));
    // The same school priced both ways.
    let volume = rule(&BANDS.replace("MODE", "volume"));
    assert_eq!(fee(&volume, Primary, Some(420)), Ok(pounds("1260.00")));
    assert_eq!(fee(&r, Primary, Some(420)), Ok(pounds("1960.00")));
}

#[test]
fn bands_with_flat_and_per_pupil_together() {
    let r = rule(
        r#"{"bands": [{"up_to": 200, "flat": "100.00", "per_pupil": "2.00"}, {"flat": "50.00", "per_pupil": "1.00"}], "mode": "graduated"}"#,
    );
    assert_eq!(fee(&r, Primary, Some(250)), Ok(pounds("600.00")), "100 + 200 x 2 + 50 + 50 x 1");
    let v = rule(
        r#"{"bands": [{"up_to": 200, "flat": "100.00", "per_pupil": "2.00"}, {"flat": "50.00", "per_pupil": "1.00"}]}"#,
    );
    assert_eq!(fee(&v, Primary, Some(250)), Ok(pounds("300.00")), "volume is the default mode");
}

#[test]
fn floor_and_cap_together() {
    let r = rule(r#"{"per_pupil": "19.00", "min": "2000.00", "max": "15000.00"}"#);
    assert_eq!(fee(&r, Primary, Some(50)), Ok(pounds("2000.00")));
    assert_eq!(fee(&r, Primary, Some(500)), Ok(pounds("9500.00")));
    assert_eq!(fee(&r, Secondary, Some(1500)), Ok(pounds("15000.00")));
    assert_eq!(fee(&r, Primary, Some(0)), Ok(pounds("2000.00")), "the floor applies to zero pupils");
    let inner = rule(
        r#"{"by_phase": {"Primary": {"per_pupil": "10.00", "max": "3000.00"}, "default": {"flat": "100.00"}}, "min": "500.00"}"#,
    );
    assert_eq!(fee(&inner, Primary, Some(400)), Ok(pounds("3000.00")));
    assert_eq!(fee(&inner, Special, None), Ok(pounds("500.00")));
}

#[test]
fn discounts_apply_after_floor_and_cap_in_order() {
    let r = rule(r#"{"per_pupil": "19.00", "max": "10000.00"}"#);
    let discounts = Discounts { trust_percent: dec!(10), first_year_percent: dec!(50) };
    let priced = price_school(&r, Primary, Some(1000), discounts, Coverage::WHOLE_YEAR).unwrap();
    assert_eq!(priced.fee, pounds("4500.00"), "cap 10,000, less 10% = 9,000, less 50% = 4,500");
    assert_eq!(
        priced.working,
        "1000 pupils x £19.00, capped at £10,000.00, less trust discount 10%, less first-year discount 50%"
    );
    assert!(Discounts { trust_percent: dec!(101), first_year_percent: dec!(0) }.check().is_err());
    assert!(Discounts { trust_percent: dec!(-1), first_year_percent: dec!(0) }.check().is_err());
}

#[test]
fn pro_rata_applies_before_the_one_rounding() {
    let r = rule(r#"{"per_pupil": "19.00"}"#);
    let priced =
        price_school(&r, Primary, Some(420), Discounts::default(), Coverage { covered: 7, of: 12 }).unwrap();
    assert_eq!(priced.fee, pounds("4655.00"));
    assert_eq!(priced.working, "420 pupils x £19.00, pro rata 7/12");
    let odd =
        price_school(&r, Primary, Some(1), Discounts::default(), Coverage { covered: 1, of: 12 }).unwrap();
    assert_eq!(odd.fee, pounds("1.58"), "19/12 = 1.5833 rounds to 1.58");
}

#[test]
fn bad_rules_say_where() {
    let cases = [
        (r#"{"flat": 1500}"#, "flat: write amounts in quotes, like \"1500\""),
        (r#"{"flat": "abc"}"#, "flat: \"abc\" is not an amount"),
        (r#"{"fee": "1.00"}"#, "rule: \"fee\" is not part of a fee rule"),
        (
            r#"{"flat": "1.00", "per_pupil": "2.00"}"#,
            "rule: use one of flat, per_pupil in a rule, not several",
        ),
        (r#"{"min": "1.00"}"#, "rule: say how the fee is worked out"),
        (
            r#"{"bands": [{"up_to": -5, "flat": "1.00"}, {"flat": "1.00"}]}"#,
            "bands[0].up_to: -5 is not a whole number",
        ),
        (
            r#"{"bands": [{"flat": "1.00"}], "mode": "stepped"}"#,
            "mode: \"stepped\" is not volume or graduated",
        ),
        (
            r#"{"by_phase": {"Primary": {"per_pupil": "x"}}}"#,
            "by_phase.Primary.per_pupil: \"x\" is not an amount",
        ),
        ("not json", "rule: this is not JSON"),
        (r#"{"per_pupil": "-1.00"}"#, "per_pupil: -1.00 is negative"),
        (r#"{"flat": "10.00", "min": "20.00", "max": "5.00"}"#, "min: the floor 20.00 is above the cap 5.00"),
        (r#"{"by_phase": {"Primry": {"flat": "1.00"}}}"#, "by_phase: \"Primry\" is not a billing phase"),
        (
            r#"{"by_phase": {"Primary": {"per_pupil": "-2.00"}}}"#,
            "by_phase.Primary.per_pupil: -2.00 is negative",
        ),
        (r#"{"bands": [{"up_to": 100, "flat": "1.00"}]}"#, "bands[0]: the last band must be open"),
        (
            r#"{"bands": [{"flat": "1.00"}, {"flat": "2.00"}]}"#,
            "bands[0]: only the last band may leave out up_to",
        ),
        (
            r#"{"bands": [{"up_to": 100, "flat": "1.00"}, {"up_to": 100, "flat": "1.00"}, {"flat": "1.00"}]}"#,
            "bands[1]: up_to 100 must be above the band before",
        ),
        (
            r#"{"bands": [{"up_to": 100}, {"flat": "1.00"}]}"#,
            "bands[0]: a band needs flat, per_pupil or both",
        ),
        (r#"{"bands": []}"#, "bands: give at least one band"),
        (
            r#"{"flat": "100000000000000000"}"#,
            "flat: 100000000000000000 is more than £1,000,000,000.00, the largest amount a fee rule may hold",
        ),
        (
            r#"{"per_pupil": "79228162514264337593543950335"}"#,
            "per_pupil: 79228162514264337593543950335 is more than £1,000,000,000.00",
        ),
        (r#"{"per_pupil": "0.00001"}"#, "per_pupil: 0.00001 has more than 4 decimal places"),
        (
            r#"{"by_phase": {"Primary": {"flat": "1.00", "max": "2000000000"}}}"#,
            "by_phase.Primary.max: 2000000000 is more than £1,000,000,000.00",
        ),
    ];
    for (json, expected) in cases {
        let error = FeeRule::from_json(json).unwrap_err().to_string();
        assert!(error.starts_with(expected), "{json}: {error}");
    }
}

#[test]
fn the_largest_rules_price_the_largest_schools_without_overflow() {
    let max = "1000000000";
    let rules = [
        format!(r#"{{"per_pupil": "{max}", "lump_sum": "{max}"}}"#),
        format!(
            r#"{{"bands": [{{"up_to": 1, "flat": "{max}", "per_pupil": "{max}"}}, {{"flat": "{max}", "per_pupil": "{max}"}}], "mode": "graduated"}}"#
        ),
    ];
    for json in rules {
        let r = rule(&json);
        let priced = price_school(
            &r,
            Primary,
            Some(crate::domain::pupils::MAX_PUPILS as u32),
            Discounts { trust_percent: dec!(99.99), first_year_percent: dec!(0.01) },
            Coverage { covered: 7, of: 12 },
        )
        .unwrap();
        assert!(priced.fee.to_pence().is_ok(), "{json}: {}", priced.fee);
        assert!(r.scaled(dec!(100000000)).exact_amount(Primary, Some(20_000)).is_ok());
    }
}

#[test]
fn stored_rules_are_read_by_the_checking_reader() {
    let stored: Result<FeeRule, _> =
        serde_json::from_str(r#"{"flat": "10.00", "min": "20.00", "max": "5.00"}"#);
    assert!(stored.unwrap_err().to_string().contains("the floor 20.00 is above the cap 5.00"));
    let number: Result<FeeRule, _> = serde_json::from_str(r#"{"flat": 10}"#);
    assert!(number.is_err(), "amounts as numbers are refused in every document");
}

#[test]
fn rules_round_trip_through_json() {
    let text = r#"{"by_phase":{"Primary":{"bands":[{"up_to":100,"flat":"800.00"},{"per_pupil":"3.00"}],"mode":"graduated"},"default":{"per_pupil":"19.00","lump_sum":"300.00"}},"min":"500.00"}"#;
    let r = rule(text);
    assert_eq!(serde_json::to_string(&r).unwrap(), text);
}

proptest! {
    /// Graduated pricing never charges less than the first band and grows with pupils;
    /// floors and caps always hold.
    #[test]
    fn fees_respect_floor_cap_and_grow_with_pupils(a in 0u32..3000, b in 0u32..3000) {
        let r = rule(r#"{"bands": [{"up_to": 100, "flat": "800.00"}, {"up_to": 300, "per_pupil": "4.00"}, {"per_pupil": "3.00"}], "mode": "graduated", "min": "900.00", "max": "5000.00"}"#);
        let (small, large) = (a.min(b), a.max(b));
        let fs = fee(&r, Primary, Some(small)).unwrap();
        let fl = fee(&r, Primary, Some(large)).unwrap();
        prop_assert!(fs <= fl);
        prop_assert!(fs >= pounds("900.00") && fl <= pounds("5000.00"));
    }
}
