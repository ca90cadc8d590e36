//! Scenarios in words, for the editor's summaries and the board paper.

use super::model::to_money;
use super::scenario::{CostKind, CostLine, Council, Pricing, ScenarioCouncil, SignUp};
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
