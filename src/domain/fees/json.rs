//! Reading a fee rule from JSON: where anything is wrong, the error says where and what.

use super::rule::{Band, BandMode, FeeRule, RuleError, RuleKind, rule_error};
use crate::domain::money::MAX_POUNDS;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The most decimal places a rule's amount may have (a per-pupil rate may be 0.8950).
pub const MAX_DECIMAL_PLACES: u32 = 4;

impl FeeRule {
    /// Reads a rule from JSON, then checks it; errors say where and what.
    pub fn from_json(text: &str) -> Result<FeeRule, RuleError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| rule_error("rule", format!("this is not JSON: {e}")))?;
        let rule = read_rule(&value, "")?;
        rule.check()?;
        Ok(rule)
    }
}

fn at(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_string() } else { format!("{path}.{field}") }
}

/// An amount written as a decimal string, from 0 to [`MAX_POUNDS`] with at most
/// [`MAX_DECIMAL_PLACES`] places (the sign is checked with the rest of the rule).
fn read_amount(value: &serde_json::Value, path: &str) -> Result<Decimal, RuleError> {
    let amount = match value {
        serde_json::Value::String(text) => text.trim().parse::<Decimal>().map_err(|_| {
            rule_error(path, format!("\"{text}\" is not an amount (write it like \"19.00\")"))
        })?,
        serde_json::Value::Number(n) => {
            return Err(rule_error(
                path,
                format!(
                    "write amounts in quotes, like \"{n}\", so that no floating point ever carries money"
                ),
            ));
        }
        other => return Err(rule_error(path, format!("{other} is not an amount (write it like \"19.00\")"))),
    };
    if amount.abs() > MAX_POUNDS {
        return Err(rule_error(
            path,
            format!("{amount} is more than £1,000,000,000.00, the largest amount a fee rule may hold"),
        ));
    }
    if amount.normalize().scale() > MAX_DECIMAL_PLACES {
        return Err(rule_error(path, format!("{amount} has more than {MAX_DECIMAL_PLACES} decimal places")));
    }
    Ok(amount)
}

fn read_optional_amount(
    object: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    path: &str,
) -> Result<Option<Decimal>, RuleError> {
    object.get(field).filter(|v| !v.is_null()).map(|v| read_amount(v, &at(path, field))).transpose()
}

/// Reads one rule (and the rules inside it) from parsed JSON, naming where anything is wrong.
pub(super) fn read_rule(value: &serde_json::Value, path: &str) -> Result<FeeRule, RuleError> {
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
