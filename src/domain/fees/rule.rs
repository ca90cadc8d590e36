//! A fee rule's shape, its checks and the changes a funding model makes to it.

use super::json::read_rule;
use crate::domain::billing_phase::BillingPhase;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// One fee rule (see the module documentation for the JSON vocabulary).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeeRule {
    #[serde(flatten)]
    pub kind: RuleKind,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
    pub min: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_amount")]
    pub max: Option<Decimal>,
}

/// What a rule charges, before its floor and cap.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Every rule is read by the one reader that checks it ([`FeeRule::from_json`]), whatever
/// document it is part of (an offer, a scenario, an API request).
impl<'de> Deserialize<'de> for FeeRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeeRule, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let rule = read_rule(&value, "").map_err(serde::de::Error::custom)?;
        rule.check().map_err(serde::de::Error::custom)?;
        Ok(rule)
    }
}

/// Amounts are written as decimal strings ("19.00"), so no float ever carries money.
mod amount {
    use rust_decimal::Decimal;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }
}

mod opt_amount {
    use rust_decimal::Decimal;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::amount::serialize(v, s),
            None => s.serialize_none(),
        }
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

pub(super) fn rule_error(path: &str, message: impl Into<String>) -> RuleError {
    RuleError {
        path: if path.is_empty() { "rule".into() } else { path.to_string() },
        message: message.into(),
    }
}

impl FeeRule {
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
}

/// The rule a by-phase rule gives a phase: its own, or the default.
pub(super) fn phase_rule(by_phase: &BTreeMap<String, FeeRule>, phase: BillingPhase) -> Option<&FeeRule> {
    by_phase
        .iter()
        .find(|(name, _)| BillingPhase::parse(name) == Some(phase))
        .map(|(_, rule)| rule)
        .or_else(|| by_phase.get("default"))
}
