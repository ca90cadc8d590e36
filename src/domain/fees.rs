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

use super::billing_phase::BillingPhase;
use super::money::{Money, round_half_up_to_penny};
use super::pro_rata::Coverage;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One fee rule (see the module documentation for the JSON vocabulary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeRule {
    #[serde(flatten)]
    pub kind: RuleKind,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
    pub min: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
    pub max: Option<Decimal>,
}

/// What a rule charges, before its floor and cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleKind {
    Flat {
        #[serde(with = "amount")]
        flat: Decimal,
    },
    PerPupil {
        #[serde(with = "amount")]
        per_pupil: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
        lump_sum: Option<Decimal>,
    },
    ByPhase {
        by_phase: BTreeMap<String, FeeRule>,
    },
    Bands {
        bands: Vec<Band>,
        #[serde(default)]
        mode: BandMode,
    },
}

/// One band of a banded rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// The largest pupil number in the band (inclusive); `None` for the open last band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
    pub flat: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
    pub per_pupil: Option<Decimal>,
}

/// How bands price a school.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandMode {
    /// The band the school falls in prices all its pupils.
    #[default]
    Volume,
    /// Each band prices the pupils inside it.
    Graduated,
}

/// Amounts are decimal strings ("19.00"); numbers are refused so no float ever carries money.
mod amount {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(d)?;
        text.trim()
            .parse::<Decimal>()
            .map_err(|_| D::Error::custom(format!("\"{text}\" is not an amount (write it like \"19.00\")")))
    }
}

mod opt_amount {
    use rust_decimal::Decimal;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::amount::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        super::amount::deserialize(d).map(Some)
    }
}

/// Why a rule is not usable, with where in the rule the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuleError {
    /// Where in the rule, e.g. `by_phase.Primary.bands[1]`.
    pub path: String,
    pub message: String,
}

fn rule_error(path: &str, message: impl Into<String>) -> RuleError {
    RuleError {
        path: if path.is_empty() { "rule".into() } else { path.to_string() },
        message: message.into(),
    }
}

impl FeeRule {
    /// Reads a rule from JSON, then checks it; errors say where and what.
    pub fn from_json(text: &str) -> Result<FeeRule, RuleError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| rule_error("rule", format!("this is not JSON: {e}")))?;
        let rule = read_rule(&value, "")?;
        rule.check()?;
        Ok(rule)
    }

    /// Checks amounts are not negative, floors are not above caps, phases exist and bands are
    /// in order with an open last band.
    pub fn check(&self) -> Result<(), RuleError> {
        self.check_at("")
    }

    fn check_at(&self, path: &str) -> Result<(), RuleError> {
        let here = |field: &str| if path.is_empty() { field.to_string() } else { format!("{path}.{field}") };
        let not_negative = |field: &str, v: Option<Decimal>| match v {
            Some(v) if v.is_sign_negative() && !v.is_zero() => {
                Err(rule_error(&here(field), format!("{v} is negative")))
            }
            _ => Ok(()),
        };
        not_negative("min", self.min)?;
        not_negative("max", self.max)?;
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            return Err(rule_error(&here("min"), format!("the floor {min} is above the cap {max}")));
        }
        match &self.kind {
            RuleKind::Flat { flat } => not_negative("flat", Some(*flat)),
            RuleKind::PerPupil { per_pupil, lump_sum } => {
                not_negative("per_pupil", Some(*per_pupil))?;
                not_negative("lump_sum", *lump_sum)
            }
            RuleKind::ByPhase { by_phase } => {
                if by_phase.is_empty() {
                    return Err(rule_error(
                        &here("by_phase"),
                        "give a rule for at least one phase, or \"default\"",
                    ));
                }
                for (phase, rule) in by_phase {
                    if phase != "default" && BillingPhase::parse(phase).is_none() {
                        return Err(rule_error(
                            &here("by_phase"),
                            format!(
                                "\"{phase}\" is not a billing phase (Nursery, Primary, Secondary, All-through, \
                                 Special, Alternative provision, Post-16, Other or default)"
                            ),
                        ));
                    }
                    rule.check_at(&here(&format!("by_phase.{phase}")))?;
                }
                Ok(())
            }
            RuleKind::Bands { bands, .. } => {
                if bands.is_empty() {
                    return Err(rule_error(&here("bands"), "give at least one band"));
                }
                let mut previous: Option<u32> = None;
                for (i, band) in bands.iter().enumerate() {
                    let at = here(&format!("bands[{i}]"));
                    let last = i == bands.len() - 1;
                    match (band.up_to, last) {
                        (None, false) => {
                            return Err(rule_error(&at, "only the last band may leave out up_to"));
                        }
                        (Some(_), true) => {
                            return Err(rule_error(&at, "the last band must be open: leave out its up_to"));
                        }
                        (Some(up_to), false) if previous.is_some_and(|p| up_to <= p) => {
                            return Err(rule_error(
                                &at,
                                format!("up_to {up_to} must be above the band before"),
                            ));
                        }
                        _ => {}
                    }
                    if band.flat.is_none() && band.per_pupil.is_none() {
                        return Err(rule_error(&at, "a band needs flat, per_pupil or both"));
                    }
                    for (field, value) in [("flat", band.flat), ("per_pupil", band.per_pupil)] {
                        if let Some(v) = value.filter(|v| v.is_sign_negative() && !v.is_zero()) {
                            return Err(rule_error(&format!("{at}.{field}"), format!("{v} is negative")));
                        }
                    }
                    previous = band.up_to.or(previous);
                }
                Ok(())
            }
        }
    }

    /// The same rule with every amount (flat, per-pupil, lump sums, band amounts, floors and
    /// caps) multiplied by `factor`: how a funding model searches for a break-even level.
    pub fn scaled(&self, factor: Decimal) -> FeeRule {
        let scale = |v: Decimal| v * factor;
        let kind = match &self.kind {
            RuleKind::Flat { flat } => RuleKind::Flat { flat: scale(*flat) },
            RuleKind::PerPupil { per_pupil, lump_sum } => {
                RuleKind::PerPupil { per_pupil: scale(*per_pupil), lump_sum: lump_sum.map(scale) }
            }
            RuleKind::ByPhase { by_phase } => RuleKind::ByPhase {
                by_phase: by_phase.iter().map(|(k, r)| (k.clone(), r.scaled(factor))).collect(),
            },
            RuleKind::Bands { bands, mode } => RuleKind::Bands {
                bands: bands
                    .iter()
                    .map(|b| Band {
                        up_to: b.up_to,
                        flat: b.flat.map(scale),
                        per_pupil: b.per_pupil.map(scale),
                    })
                    .collect(),
                mode: *mode,
            },
        };
        FeeRule { kind, min: self.min.map(scale), max: self.max.map(scale) }
    }

    /// For a rule that is one per-pupil rate or one flat amount: the same rule with that amount
    /// replaced (floors and caps kept). `None` for other rules.
    pub fn with_single_amount(&self, amount: Decimal) -> Option<FeeRule> {
        let kind = match &self.kind {
            RuleKind::Flat { .. } => RuleKind::Flat { flat: amount },
            RuleKind::PerPupil { lump_sum, .. } => {
                RuleKind::PerPupil { per_pupil: amount, lump_sum: *lump_sum }
            }
            _ => return None,
        };
        Some(FeeRule { kind, min: self.min, max: self.max })
    }

    /// The rule in words, for people: "£19.00 per pupil plus £400.00 a school, at least
    /// £1,000.00". Used where a board reads the assumptions.
    pub fn describe(&self) -> String {
        let money = |v: Decimal| super::money::Money::from_decimal_rounded(v).to_string();
        let mut text = match &self.kind {
            RuleKind::Flat { flat } => format!("{} a school", money(*flat)),
            RuleKind::PerPupil { per_pupil, lump_sum } => match lump_sum {
                Some(l) => format!("{} per pupil plus {} a school", money(*per_pupil), money(*l)),
                None => format!("{} per pupil", money(*per_pupil)),
            },
            RuleKind::ByPhase { by_phase } => by_phase
                .iter()
                .map(|(phase, rule)| {
                    let who = if phase == "default" { "other phases".to_string() } else { phase.clone() };
                    format!("{who}: {}", rule.describe())
                })
                .collect::<Vec<_>>()
                .join("; "),
            RuleKind::Bands { bands, mode } => {
                let mut from = 0u32;
                let parts: Vec<String> = bands
                    .iter()
                    .map(|b| {
                        let range = match b.up_to {
                            Some(up_to) => format!("{from} to {up_to} pupils"),
                            None => format!("{from} pupils or more"),
                        };
                        from = b.up_to.map_or(from, |u| u + 1);
                        let price = match (b.flat, b.per_pupil) {
                            (Some(f), Some(p)) => format!("{} plus {} per pupil", money(f), money(p)),
                            (Some(f), None) => money(f),
                            (None, Some(p)) => format!("{} per pupil", money(p)),
                            (None, None) => "nothing".into(),
                        };
                        format!("{range} {price}")
                    })
                    .collect();
                let how = match mode {
                    BandMode::Volume => "size bands (the band a school falls in prices all its pupils)",
                    BandMode::Graduated => "graduated bands (each band prices the pupils in it)",
                };
                format!("{how}: {}", parts.join("; "))
            }
        };
        match (self.min, self.max) {
            (Some(min), Some(max)) => {
                text.push_str(&format!(", at least {} and at most {}", money(min), money(max)))
            }
            (Some(min), None) => text.push_str(&format!(", at least {}", money(min))),
            (None, Some(max)) => text.push_str(&format!(", at most {}", money(max))),
            (None, None) => {}
        }
        text
    }

    /// Whether pricing needs the school's pupil number.
    pub fn needs_pupils(&self, phase: BillingPhase) -> bool {
        match &self.kind {
            RuleKind::Flat { .. } => false,
            RuleKind::PerPupil { .. } | RuleKind::Bands { .. } => true,
            RuleKind::ByPhase { by_phase } => {
                phase_rule(by_phase, phase).is_some_and(|rule| rule.needs_pupils(phase))
            }
        }
    }

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

fn at(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_string() } else { format!("{path}.{field}") }
}

/// An amount written as a decimal string.
fn read_amount(value: &serde_json::Value, path: &str) -> Result<Decimal, RuleError> {
    match value {
        serde_json::Value::String(text) => text
            .trim()
            .parse::<Decimal>()
            .map_err(|_| rule_error(path, format!("\"{text}\" is not an amount (write it like \"19.00\")"))),
        serde_json::Value::Number(n) => Err(rule_error(
            path,
            format!("write amounts in quotes, like \"{n}\", so that no floating point ever carries money"),
        )),
        other => Err(rule_error(path, format!("{other} is not an amount (write it like \"19.00\")"))),
    }
}

fn read_optional_amount(
    object: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    path: &str,
) -> Result<Option<Decimal>, RuleError> {
    object.get(field).filter(|v| !v.is_null()).map(|v| read_amount(v, &at(path, field))).transpose()
}

/// Reads one rule (and the rules inside it) from parsed JSON, naming where anything is wrong.
fn read_rule(value: &serde_json::Value, path: &str) -> Result<FeeRule, RuleError> {
    let here = if path.is_empty() { "rule" } else { path };
    let object = value
        .as_object()
        .ok_or_else(|| rule_error(here, "a rule is a JSON object, like {\"per_pupil\": \"19.00\"}"))?;
    const KNOWN: [&str; 8] = ["flat", "per_pupil", "lump_sum", "by_phase", "bands", "mode", "min", "max"];
    if let Some(unknown) = object.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(rule_error(
            here,
            format!("\"{unknown}\" is not part of a fee rule (use {})", KNOWN.join(", ")),
        ));
    }
    let kinds: Vec<&str> =
        ["flat", "per_pupil", "by_phase", "bands"].into_iter().filter(|k| object.contains_key(*k)).collect();
    let kind = match kinds.as_slice() {
        ["flat"] => RuleKind::Flat { flat: read_amount(&object["flat"], &at(path, "flat"))? },
        ["per_pupil"] => RuleKind::PerPupil {
            per_pupil: read_amount(&object["per_pupil"], &at(path, "per_pupil"))?,
            lump_sum: read_optional_amount(object, "lump_sum", path)?,
        },
        ["by_phase"] => {
            let phases = object["by_phase"].as_object().ok_or_else(|| {
                rule_error(&at(path, "by_phase"), "give an object of phase names and rules")
            })?;
            let mut by_phase = BTreeMap::new();
            for (phase, rule) in phases {
                by_phase.insert(phase.clone(), read_rule(rule, &at(path, &format!("by_phase.{phase}")))?);
            }
            RuleKind::ByPhase { by_phase }
        }
        ["bands"] => {
            let list = object["bands"]
                .as_array()
                .ok_or_else(|| rule_error(&at(path, "bands"), "give a list of bands"))?;
            let mut bands = Vec::new();
            for (i, band) in list.iter().enumerate() {
                let band_path = at(path, &format!("bands[{i}]"));
                let fields = band.as_object().ok_or_else(|| rule_error(&band_path, "a band is an object"))?;
                let up_to = match fields.get("up_to").filter(|v| !v.is_null()) {
                    None => None,
                    Some(v) => Some(v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                        rule_error(
                            &format!("{band_path}.up_to"),
                            format!("{v} is not a whole number of pupils"),
                        )
                    })?),
                };
                bands.push(Band {
                    up_to,
                    flat: read_optional_amount(fields, "flat", &band_path)?,
                    per_pupil: read_optional_amount(fields, "per_pupil", &band_path)?,
                });
            }
            let mode = match object.get("mode").and_then(|m| m.as_str()) {
                None => BandMode::Volume,
                Some("volume") => BandMode::Volume,
                Some("graduated") => BandMode::Graduated,
                Some(other) => {
                    return Err(rule_error(
                        &at(path, "mode"),
                        format!("\"{other}\" is not volume or graduated"),
                    ));
                }
            };
            RuleKind::Bands { bands, mode }
        }
        [] => {
            return Err(rule_error(
                here,
                "say how the fee is worked out: flat, per_pupil, by_phase or bands",
            ));
        }
        several => {
            return Err(rule_error(
                here,
                format!("use one of {} in a rule, not several", several.join(", ")),
            ));
        }
    };
    Ok(FeeRule {
        kind,
        min: read_optional_amount(object, "min", path)?,
        max: read_optional_amount(object, "max", path)?,
    })
}

fn phase_rule(by_phase: &BTreeMap<String, FeeRule>, phase: BillingPhase) -> Option<&FeeRule> {
    by_phase
        .iter()
        .find(|(name, _)| BillingPhase::parse(name) == Some(phase))
        .map(|(_, rule)| rule)
        .or_else(|| by_phase.get("default"))
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
    let Priced { mut amount, mut working } = rule.exact(phase, pupils)?;
    for (label, percent) in
        [("trust discount", discounts.trust_percent), ("first-year discount", discounts.first_year_percent)]
    {
        if !percent.is_zero() {
            amount -= amount * percent / Decimal::ONE_HUNDRED;
            working.push_str(&format!(", less {label} {}%", percent.normalize()));
        }
    }
    Ok(Priced { amount, working })
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

#[cfg(test)]
mod tests {

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
            words(
                r#"{"bands": [{"up_to": 100, "flat": "800.00"}, {"per_pupil": "9.00"}], "mode": "graduated"}"#
            ),
            "graduated bands (each band prices the pupils in it): 0 to 100 pupils £800.00; 101 pupils or more £9.00 per pupil"
        );
    }
    use super::*;
    use crate::domain::pro_rata::Coverage;
    use BillingPhase::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

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
            price_school(&r, Primary, Some(420), Discounts::default(), Coverage { covered: 7, of: 12 })
                .unwrap();
        assert_eq!(priced.fee, pounds("4655.00"));
        assert_eq!(priced.working, "420 pupils x £19.00, pro rata 7/12");
        let odd = price_school(&r, Primary, Some(1), Discounts::default(), Coverage { covered: 1, of: 12 })
            .unwrap();
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
            (
                r#"{"flat": "10.00", "min": "20.00", "max": "5.00"}"#,
                "min: the floor 20.00 is above the cap 5.00",
            ),
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
        ];
        for (json, expected) in cases {
            let error = FeeRule::from_json(json).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{json}: {error}");
        }
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
}
