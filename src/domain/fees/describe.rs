//! A fee rule in words, for people: the board paper, summaries, previews.

use super::rule::{BandMode, FeeRule, RuleKind};
use crate::domain::money::Money;
use rust_decimal::Decimal;

impl FeeRule {
    /// The rule in words, for people: "£19.00 per pupil plus £400.00 a school, at least
    /// £1,000.00". Used where a board reads the assumptions.
    pub fn describe(&self) -> String {
        let money = |v: Decimal| Money::from_decimal_rounded(v).to_string();
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
}
