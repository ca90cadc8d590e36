//! What a board's scenario holds: the schools, the costed offer, the options and the council.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::FeeRule;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One school as a model sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSchool {
    pub urn: i32,
    pub name: String,
    pub billing_phase: BillingPhase,
    pub pupils: Option<u32>,
}

/// Whether a cost belongs to the core offer or to additional support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    Core,
    Additional,
}

/// Units at a unit cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Units {
    pub units: Decimal,
    pub unit_cost: Decimal,
}

/// How a cost line is priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pricing {
    Amount { amount: Decimal },
    Days { days: Decimal, day_rate: Decimal },
    Units(Units),
    PerPhase { per_phase: BTreeMap<String, Units> },
}

/// One line of the costed offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub name: String,
    pub kind: CostKind,
    #[serde(flatten)]
    pub pricing: Pricing,
}

impl CostLine {
    /// The line's exact cost.
    pub fn amount(&self) -> Decimal {
        match &self.pricing {
            Pricing::Amount { amount } => *amount,
            Pricing::Days { days, day_rate } => *days * *day_rate,
            Pricing::Units(u) => u.units * u.unit_cost,
            Pricing::PerPhase { per_phase } => per_phase.values().map(|u| u.units * u.unit_cost).sum(),
        }
    }
}

/// The share of schools expected to sign up: one share, or one per billing phase (phases not
/// named take `default`, or 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignUp {
    All(Decimal),
    ByPhase(BTreeMap<String, Decimal>),
}

impl Default for SignUp {
    fn default() -> SignUp {
        SignUp::All(Decimal::ONE)
    }
}

impl SignUp {
    pub fn share(&self, phase: BillingPhase) -> Decimal {
        match self {
            SignUp::All(share) => *share,
            SignUp::ByPhase(map) => map
                .iter()
                .find(|(k, _)| BillingPhase::parse(k) == Some(phase))
                .map(|(_, v)| *v)
                .or_else(|| map.get("default").copied())
                .unwrap_or(Decimal::ONE),
        }
    }
}

/// A paid tier above the membership; its income counts towards additional costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    pub fee: FeeRule,
    #[serde(default)]
    pub sign_up: SignUp,
}

/// A traded service sold under an option: a price and expected units per billing phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub price: BTreeMap<String, Decimal>,
    pub units: BTreeMap<String, Decimal>,
}

impl Service {
    pub fn income(&self) -> Decimal {
        self.units
            .iter()
            .map(|(phase, units)| self.price.get(phase).copied().unwrap_or_default() * *units)
            .sum()
    }
}

/// One funding option a board compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FundingOption {
    pub name: String,
    pub membership_fee: FeeRule,
    #[serde(default)]
    pub sign_up: SignUp,
    pub covers: Vec<CostKind>,
    #[serde(default)]
    pub levels: Vec<Tier>,
    #[serde(default)]
    pub services: Vec<Service>,
}

/// What the council puts in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Council {
    Fixed {
        fixed: Decimal,
    },
    Match {
        #[serde(rename = "match")]
        ratio: Decimal,
        #[serde(default)]
        cap: Option<Decimal>,
    },
    Schedule {
        schedule: Vec<Decimal>,
    },
}

impl Council {
    /// The contribution given the income from schools and which year of a schedule it is
    /// (0 for the first; years beyond the schedule get nothing).
    pub fn contribution(&self, school_income: Decimal, year_index: usize) -> Decimal {
        match self {
            Council::Fixed { fixed } => *fixed,
            Council::Match { ratio, cap } => {
                let matched = school_income * *ratio;
                cap.map_or(matched, |c| matched.min(c))
            }
            Council::Schedule { schedule } => schedule.get(year_index).copied().unwrap_or_default(),
        }
    }
}

/// Where a scenario's schools come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchoolsSource {
    /// A GIAS-format CSV, relative to the scenario file.
    #[serde(default)]
    pub gias_csv: Option<String>,
    /// Only these local authorities (names or codes) from the CSV.
    #[serde(default)]
    pub la: Vec<String>,
    /// Closed schools are left out unless this is true.
    #[serde(default)]
    pub include_closed: bool,
    /// A partnership's register, by slug.
    #[serde(default)]
    pub register: Option<String>,
    /// Only these billing phases.
    #[serde(default)]
    pub phases: Vec<String>,
    /// Only these GIAS type groups.
    #[serde(default)]
    pub type_groups: Vec<String>,
}

/// A council schedule may say which year its first entry is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioCouncil {
    #[serde(flatten)]
    pub council: Council,
    /// The membership year of the schedule's first entry (default: the scenario's year).
    #[serde(default)]
    pub first_year: Option<String>,
}

/// A board's scenario: the schools, the costed offer, the options, the council, a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// The membership year modelled, e.g. "2026-27".
    pub year: String,
    pub schools: SchoolsSource,
    pub costs: Vec<CostLine>,
    pub options: Vec<FundingOption>,
    #[serde(default)]
    pub council: Option<ScenarioCouncil>,
    /// What schools pay today, for winners and losers.
    #[serde(default)]
    pub baseline: Option<FeeRule>,
}

impl Scenario {
    /// Which entry of a council schedule the scenario's year takes.
    pub fn year_index(&self) -> usize {
        let start = |y: &str| y.split('-').next().and_then(|s| s.parse::<i32>().ok());
        match (self.council.as_ref().and_then(|c| c.first_year.as_deref()).and_then(start), start(&self.year))
        {
            (Some(first), Some(this)) if this >= first => (this - first) as usize,
            _ => 0,
        }
    }
}
