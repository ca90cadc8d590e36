//! Funding models for boards: what each option raises from the real roster against what the
//! offer costs, with the same fee code that bills.
//!
//! Pure: the caller supplies the schools (from the register or a GIAS file) and the scenario.
//! Each school's charge is rounded once, as in billing; everything else is exact until the
//! result is shown (to the penny, half up).

mod break_even;
mod check;
mod income;
mod model;
mod scenario;
pub mod words;

pub use break_even::{BreakEven, break_even, sensitivity};
pub use check::{MAX_COST_LINES, MAX_OPTIONS, MAX_SERVICES, MAX_TIERS, MAX_UNITS, ScenarioProblem};
pub use income::{Income, Prepared, charges, costs_covered, expected, income};
pub use model::{
    CostShown, IncomeShown, ModelResult, OptionResult, PhaseStats, SchoolCharge, model, to_money,
};
pub use scenario::{
    CostKind, CostLine, Council, FundingOption, ModelSchool, Pricing, Scenario, ScenarioCouncil,
    SchoolsSource, Service, SignUp, Tier, Units,
};

#[cfg(test)]
mod tests;
