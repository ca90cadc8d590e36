//! Fee rules: how one school's annual fee follows from its billing phase and pupil number.
//!
//! A rule is a plain serde value, so a board's scenario file, the fee editor and the billing run
//! all read the same JSON and price with the same code. The vocabulary:
//!
//! - `{"flat": "1500.00"}`: the same amount for every school;
//! - `{"per_pupil": "19.00", "lump_sum": "300.00"}`: per pupil, plus an optional lump sum;
//! - `{"by_phase": {"Primary": RULE, "Secondary": RULE, "default": RULE}}`: a rule per billing phase;
//! - `{"bands": [{"up_to": 100, "flat": "800.00"}, {"up_to": 300, "per_pupil": "4.00"},
//!   {"per_pupil": "3.00"}], "mode": "volume"}`: bands on pupil numbers, `up_to` inclusive, the
//!   last band open. **Volume**: the band the school falls in prices all its pupils (its flat plus
//!   its per-pupil rate times all pupils). **Graduated**: every band the school reaches adds its
//!   flat plus its per-pupil rate times the pupils inside that band; the first band is always
//!   reached, band *n* is reached when the school has more pupils than band *n-1*'s `up_to`.
//! - every rule may carry `"min"` and/or `"max"`: a floor and a cap on that rule's own result.
//!
//! Pricing is exact; the one rounding (half up, to the penny) happens after discounts, in
//! [`price_school`].

pub mod compare;
mod describe;
mod json;
mod price;
mod rule;

pub use price::{
    Discounts, Priced, SchoolPrice, Unpriced, discounted_annual, discounted_annual_amount, price_school,
};
pub use rule::{Band, BandMode, FeeRule, RuleError, RuleKind};

#[cfg(test)]
mod tests;
