//! A sign-up share as a form: one percentage for every phase, and optional percentages for
//! particular phases.

use super::fee_rule::Cell;
use super::fields::{FormData, Problems, slug};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::SignUp;
use crate::domain::funding::words::percent;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A sign-up share as a form: one percentage for every phase, and optional percentages for
/// particular phases.
pub struct SignUpForm {
    pub prefix: String,
    pub legend: String,
    pub all: String,
    pub phases: Vec<Cell>,
}

impl SignUpForm {
    pub fn new(prefix: &str, legend: &str, sign_up: &SignUp, phases: &[BillingPhase]) -> SignUpForm {
        let (all, by): (Decimal, BTreeMap<String, Decimal>) = match sign_up {
            SignUp::All(share) => (*share, BTreeMap::new()),
            SignUp::ByPhase(map) => (map.get("default").copied().unwrap_or(Decimal::ONE), map.clone()),
        };
        SignUpForm {
            prefix: prefix.to_string(),
            legend: legend.to_string(),
            all: percent(all),
            phases: phases
                .iter()
                .map(|p| Cell {
                    id: format!("{prefix}-{}", slug(p.label())),
                    label: p.label().to_string(),
                    value: by
                        .iter()
                        .find(|(k, _)| BillingPhase::parse(k) == Some(*p))
                        .map(|(_, v)| percent(*v))
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }

    pub fn posted(&mut self, form: &FormData) {
        self.all = form.get(&format!("{}-all", self.prefix)).to_string();
        for cell in &mut self.phases {
            cell.value = form.get(&cell.id).to_string();
        }
    }

    pub fn read(&self, form: &FormData, problems: &mut Problems) -> Option<SignUp> {
        let all_id = format!("{}-all", self.prefix);
        let all = problems.percent(form, &all_id, "the share signing up")?.unwrap_or(Decimal::ONE);
        let mut by = BTreeMap::new();
        for cell in &self.phases {
            if let Some(v) =
                problems.percent(form, &cell.id, &format!("the share of {} schools", cell.label))?
            {
                by.insert(cell.label.clone(), v);
            }
        }
        if by.is_empty() {
            return Some(SignUp::All(all));
        }
        by.insert("default".into(), all);
        Some(SignUp::ByPhase(by))
    }
}
