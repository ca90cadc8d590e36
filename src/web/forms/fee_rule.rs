//! A fee rule as a form, so nobody needs to write JSON: the shapes the form shows (one amount,
//! per pupil with a lump sum, by phase, size bands, each with a floor and a cap), read back with
//! errors that name the field.

use super::fields::{FormData, Problems, amount_text, slug};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::{Band, BandMode, FeeRule, RuleKind};
use std::collections::BTreeMap;

/// One labelled text field inside a repeated group (a phase's amount, a band's limit).
pub struct Cell {
    pub id: String,
    pub label: String,
    pub value: String,
}

/// One band row of the bands table.
pub struct BandRow {
    pub up_to: Cell,
    pub flat: Cell,
    pub per_pupil: Cell,
}

/// How many band rows the form offers.
const BAND_ROWS: usize = 5;

/// A fee rule as a form: a shape (flat, per pupil, by phase, bands), its amounts, and a floor
/// and cap. A rule written through the API that the form cannot show is kept as it is unless
/// another shape is chosen.
pub struct RuleForm {
    pub prefix: String,
    pub legend: String,
    pub hint: String,
    pub shape: String,
    /// Offer "no rule" (a baseline may be left out).
    pub allow_none: bool,
    /// The rule in words, when the form cannot show it field by field.
    pub kept: Option<String>,
    kept_rule: Option<FeeRule>,
    pub flat: String,
    pub per_pupil: String,
    pub lump_sum: String,
    pub phase_amounts: Vec<Cell>,
    pub bands: Vec<BandRow>,
    pub graduated: bool,
    pub min: String,
    pub max: String,
}

/// The phases a form asks about, plus "Other phases" (the rule's `default`).
fn phase_keys(phases: &[BillingPhase]) -> Vec<(String, String)> {
    phases
        .iter()
        .map(|p| (p.label().to_string(), p.label().to_string()))
        .chain(std::iter::once(("default".to_string(), "Other phases".to_string())))
        .collect()
}

impl RuleForm {
    /// The form for `rule` (or an empty one), asking per-phase amounts for `phases`.
    pub fn new(prefix: &str, legend: &str, rule: Option<&FeeRule>, phases: &[BillingPhase]) -> RuleForm {
        let mut form = RuleForm {
            prefix: prefix.to_string(),
            legend: legend.to_string(),
            hint: String::new(),
            shape: if rule.is_some() { "keep".into() } else { "per_pupil".into() },
            allow_none: false,
            kept: None,
            kept_rule: rule.cloned(),
            flat: String::new(),
            per_pupil: String::new(),
            lump_sum: String::new(),
            phase_amounts: phase_keys(phases)
                .into_iter()
                .map(|(key, label)| Cell {
                    id: format!("{prefix}-phase-{}", slug(&key)),
                    label,
                    value: String::new(),
                })
                .collect(),
            bands: (0..BAND_ROWS)
                .map(|i| BandRow {
                    up_to: Cell {
                        id: format!("{prefix}-band{i}-up-to"),
                        label: format!("Band {} up to (pupils)", i + 1),
                        value: String::new(),
                    },
                    flat: Cell {
                        id: format!("{prefix}-band{i}-flat"),
                        label: format!("Band {} flat amount", i + 1),
                        value: String::new(),
                    },
                    per_pupil: Cell {
                        id: format!("{prefix}-band{i}-per-pupil"),
                        label: format!("Band {} per pupil", i + 1),
                        value: String::new(),
                    },
                })
                .collect(),
            graduated: false,
            min: String::new(),
            max: String::new(),
        };
        if let Some(rule) = rule
            && form.show(rule, phases)
        {
            form.kept = None;
        } else if let Some(rule) = rule {
            form.kept = Some(rule.describe());
        }
        form
    }

    /// Offers "none" and starts there when there is no rule.
    pub fn optional(mut self, hint: &str) -> RuleForm {
        self.allow_none = true;
        self.hint = hint.to_string();
        if self.kept_rule.is_none() {
            self.shape = "none".into();
        }
        self
    }

    /// Fills the fields from a rule; false when the form cannot show it.
    fn show(&mut self, rule: &FeeRule, phases: &[BillingPhase]) -> bool {
        let keys = phase_keys(phases);
        let shape = match &rule.kind {
            RuleKind::Flat { flat } => {
                self.flat = amount_text(*flat);
                "flat"
            }
            RuleKind::PerPupil { per_pupil, lump_sum } => {
                self.per_pupil = amount_text(*per_pupil);
                self.lump_sum = lump_sum.map(amount_text).unwrap_or_default();
                "per_pupil"
            }
            RuleKind::ByPhase { by_phase } => {
                let plain = |r: &FeeRule| r.min.is_none() && r.max.is_none();
                let all_flat = by_phase.values().all(|r| plain(r) && matches!(r.kind, RuleKind::Flat { .. }));
                let all_pp = by_phase
                    .values()
                    .all(|r| plain(r) && matches!(r.kind, RuleKind::PerPupil { lump_sum: None, .. }));
                if !(all_flat || all_pp) || by_phase.keys().any(|k| !keys.iter().any(|(key, _)| key == k)) {
                    return false;
                }
                for (cell, (key, _)) in self.phase_amounts.iter_mut().zip(&keys) {
                    cell.value = match by_phase.get(key).map(|r| &r.kind) {
                        Some(RuleKind::Flat { flat }) => amount_text(*flat),
                        Some(RuleKind::PerPupil { per_pupil, .. }) => amount_text(*per_pupil),
                        _ => String::new(),
                    };
                }
                if all_flat { "phase_flat" } else { "phase_per_pupil" }
            }
            RuleKind::Bands { bands, mode } => {
                if bands.len() > BAND_ROWS {
                    return false;
                }
                for (row, band) in self.bands.iter_mut().zip(bands) {
                    row.up_to.value = band.up_to.map(|u| u.to_string()).unwrap_or_default();
                    row.flat.value = band.flat.map(amount_text).unwrap_or_default();
                    row.per_pupil.value = band.per_pupil.map(amount_text).unwrap_or_default();
                }
                self.graduated = *mode == BandMode::Graduated;
                "bands"
            }
        };
        self.shape = shape.into();
        self.min = rule.min.map(amount_text).unwrap_or_default();
        self.max = rule.max.map(amount_text).unwrap_or_default();
        true
    }

    /// Takes the values as posted, to show the form again with its errors.
    pub fn posted(&mut self, form: &FormData) {
        let p = self.prefix.clone();
        let shape = form.get(&format!("{p}-shape"));
        if !shape.is_empty() {
            self.shape = shape.to_string();
        }
        self.flat = form.get(&format!("{p}-flat")).to_string();
        self.per_pupil = form.get(&format!("{p}-per-pupil")).to_string();
        self.lump_sum = form.get(&format!("{p}-lump-sum")).to_string();
        for cell in &mut self.phase_amounts {
            cell.value = form.get(&cell.id).to_string();
        }
        for row in &mut self.bands {
            for cell in [&mut row.up_to, &mut row.flat, &mut row.per_pupil] {
                cell.value = form.get(&cell.id).to_string();
            }
        }
        self.graduated = form.has(&format!("{p}-graduated"), "yes");
        self.min = form.get(&format!("{p}-min")).to_string();
        self.max = form.get(&format!("{p}-max")).to_string();
    }

    /// Reads the posted rule: `Some(None)` for "none", `None` when something is wrong (the
    /// problems name the fields).
    pub fn read(&self, form: &FormData, problems: &mut Problems) -> Option<Option<FeeRule>> {
        let p = &self.prefix;
        let before = problems.0.len();
        let field = |name: &str| format!("{p}-{name}");
        let what = self.legend.to_lowercase();
        let kind = match form.get(&field("shape")) {
            "none" if self.allow_none => return Some(None),
            "keep" if self.kept_rule.is_some() => return Some(self.kept_rule.clone()),
            "flat" => {
                problems.amount(form, &field("flat"), "the flat amount").map(|flat| RuleKind::Flat { flat })
            }
            "per_pupil" => {
                let per_pupil = problems.amount(form, &field("per-pupil"), "the amount per pupil");
                let lump_sum = problems.optional_amount(form, &field("lump-sum"), "the lump sum");
                per_pupil
                    .zip(lump_sum)
                    .map(|(per_pupil, lump_sum)| RuleKind::PerPupil { per_pupil, lump_sum })
            }
            shape @ ("phase_flat" | "phase_per_pupil") => {
                let mut by_phase = BTreeMap::new();
                for cell in &self.phase_amounts {
                    let what = format!("the amount for {}", cell.label);
                    if let Some(Some(v)) = problems.optional_amount(form, &cell.id, &what) {
                        let key = if cell.label == "Other phases" {
                            "default".to_string()
                        } else {
                            cell.label.clone()
                        };
                        let kind = if shape == "phase_flat" {
                            RuleKind::Flat { flat: v }
                        } else {
                            RuleKind::PerPupil { per_pupil: v, lump_sum: None }
                        };
                        by_phase.insert(key, FeeRule { kind, min: None, max: None });
                    }
                }
                if by_phase.is_empty() && problems.0.len() == before {
                    problems.add(&self.phase_amounts[0].id, "Enter an amount for at least one phase");
                }
                Some(RuleKind::ByPhase { by_phase })
            }
            "bands" => {
                let mut bands = Vec::new();
                for row in &self.bands {
                    let blank =
                        [&row.up_to, &row.flat, &row.per_pupil].iter().all(|c| form.get(&c.id).is_empty());
                    if blank {
                        continue;
                    }
                    let up_to = match form.get(&row.up_to.id) {
                        "" => None,
                        text => match text.replace(',', "").parse::<u32>() {
                            Ok(n) => Some(n),
                            Err(_) => {
                                problems.add(
                                    &row.up_to.id,
                                    format!(
                                        "{} must be a whole number of pupils (you wrote \"{text}\")",
                                        row.up_to.label
                                    ),
                                );
                                None
                            }
                        },
                    };
                    let flat = problems
                        .optional_amount(form, &row.flat.id, &row.flat.label.to_lowercase())
                        .flatten();
                    let per_pupil = problems
                        .optional_amount(form, &row.per_pupil.id, &row.per_pupil.label.to_lowercase())
                        .flatten();
                    bands.push(Band { up_to, flat, per_pupil });
                }
                if bands.is_empty() && problems.0.len() == before {
                    problems.add(&self.bands[0].up_to.id, "Enter at least one band");
                }
                let mode =
                    if form.has(&field("graduated"), "yes") { BandMode::Graduated } else { BandMode::Volume };
                Some(RuleKind::Bands { bands, mode })
            }
            _ => {
                problems.add(&field("shape"), format!("Choose how the {what} is worked out"));
                None
            }
        };
        let min = problems.optional_amount(form, &field("min"), "the floor");
        let max = problems.optional_amount(form, &field("max"), "the cap");
        if problems.0.len() > before {
            return None;
        }
        let rule = FeeRule { kind: kind?, min: min?, max: max? };
        if let Err(e) = rule.check() {
            let at = if e.path.contains("bands") {
                self.bands[0].up_to.id.clone()
            } else if e.path.contains("min") {
                field("min")
            } else {
                field("shape")
            };
            problems.add(&at, format!("The {what} cannot be used: {}", e.message));
            return None;
        }
        Some(Some(rule))
    }
}

#[cfg(test)]
mod tests {
    use super::super::sign_up::SignUpForm;
    use super::*;
    use crate::domain::funding::SignUp;
    use rust_decimal::Decimal;

    fn posted(pairs: &[(&str, &str)]) -> FormData {
        FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    const PHASES: [BillingPhase; 2] = [BillingPhase::Primary, BillingPhase::Secondary];

    #[test]
    fn every_shape_the_form_shows_reads_back_the_same() {
        for json in [
            r#"{"flat": "1500.00"}"#,
            r#"{"per_pupil": "6.00", "lump_sum": "400.00", "min": "800.00", "max": "12000.00"}"#,
            r#"{"by_phase": {"Secondary": {"flat": "2500.00"}, "default": {"flat": "900.00"}}}"#,
            r#"{"by_phase": {"Primary": {"per_pupil": "5.00"}}}"#,
            r#"{"bands": [{"up_to": 100, "flat": "800.00"}, {"per_pupil": "9.00"}], "mode": "graduated"}"#,
        ] {
            let rule = FeeRule::from_json(json).unwrap();
            let form = RuleForm::new("fee", "Membership fee", Some(&rule), &PHASES);
            assert!(form.kept.is_none(), "{json} should be shown field by field");
            // Post every field back as the form shows it.
            let mut pairs = vec![("fee-shape".to_string(), form.shape.clone())];
            for (name, value) in [
                ("flat", &form.flat),
                ("per-pupil", &form.per_pupil),
                ("lump-sum", &form.lump_sum),
                ("min", &form.min),
                ("max", &form.max),
            ] {
                pairs.push((format!("fee-{name}"), value.clone()));
            }
            for c in &form.phase_amounts {
                pairs.push((c.id.clone(), c.value.clone()));
            }
            for r in &form.bands {
                for c in [&r.up_to, &r.flat, &r.per_pupil] {
                    pairs.push((c.id.clone(), c.value.clone()));
                }
            }
            if form.graduated {
                pairs.push(("fee-graduated".into(), "yes".into()));
            }
            let mut problems = Problems::default();
            let read = form.read(&FormData(pairs), &mut problems);
            assert_eq!(read, Some(Some(rule)), "{json}: {:?}", problems.0);
        }
    }

    #[test]
    fn a_rule_the_form_cannot_show_is_kept_unless_replaced() {
        let rule = FeeRule::from_json(r#"{"by_phase": {"Primary": {"per_pupil": "5.00", "min": "600.00"}}}"#)
            .unwrap();
        let form = RuleForm::new("fee", "Membership fee", Some(&rule), &PHASES);
        assert_eq!(form.shape, "keep");
        assert!(form.kept.as_deref().unwrap().contains("at least £600.00"));
        let mut problems = Problems::default();
        assert_eq!(form.read(&posted(&[("fee-shape", "keep")]), &mut problems), Some(Some(rule)));
        let flat = form.read(&posted(&[("fee-shape", "flat"), ("fee-flat", "£1,000")]), &mut problems);
        assert_eq!(flat, Some(Some(FeeRule::from_json(r#"{"flat": "1000.00"}"#).unwrap())));
    }

    #[test]
    fn mistakes_name_their_field() {
        let form = RuleForm::new("tier0", "Tier fee", None, &PHASES);
        let mut problems = Problems::default();
        let read = form.read(
            &posted(&[("tier0-shape", "per_pupil"), ("tier0-per-pupil", "six"), ("tier0-min", "-5")]),
            &mut problems,
        );
        assert_eq!(read, None);
        let fields: Vec<_> = problems.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tier0-per-pupil", "tier0-min"]);
        assert!(problems.0[0].message.contains("\"six\""));

        let mut problems = Problems::default();
        let read = form.read(
            &posted(&[
                ("tier0-shape", "flat"),
                ("tier0-flat", "100.00"),
                ("tier0-min", "50"),
                ("tier0-max", "20"),
            ]),
            &mut problems,
        );
        assert_eq!(read, None);
        assert_eq!(problems.0[0].field, "tier0-min");
        assert!(problems.0[0].message.contains("above the cap"), "{}", problems.0[0].message);

        let mut problems = Problems::default();
        let bands = form.read(
            &posted(&[("tier0-shape", "bands"), ("tier0-band0-up-to", "100"), ("tier0-band0-flat", "800")]),
            &mut problems,
        );
        assert_eq!(bands, None, "the last band must be open");
        assert_eq!(problems.0[0].field, "tier0-band0-up-to");
    }

    #[test]
    fn sign_up_reads_percentages() {
        let form = SignUpForm::new("signup", "Sign-up", &SignUp::default(), &PHASES);
        assert_eq!(form.all, "100");
        let mut problems = Problems::default();
        let read = form.read(&posted(&[("signup-all", "90"), ("signup-secondary", "50%")]), &mut problems);
        let expected = SignUp::ByPhase(BTreeMap::from([
            ("Secondary".to_string(), Decimal::new(5, 1)),
            ("default".to_string(), Decimal::new(9, 1)),
        ]));
        assert_eq!(read, Some(expected.clone()));
        assert_eq!(SignUpForm::new("signup", "Sign-up", &expected, &PHASES).phases[1].value, "50");
        let wrong = form.read(&posted(&[("signup-all", "120")]), &mut problems);
        assert_eq!(wrong, None);
        assert_eq!(problems.0[0].field, "signup-all");
    }
}
