//! Billing runs, pure: what a membership owes for a period, and what a run would raise for a
//! period of an offer, and why (the plan). Services load the facts and commit the plan.

mod period;
mod plan;

pub use period::{
    ChargeError, MembershipTerms, Period, PeriodCharge, find_period, next_due, period_charge, period_net,
    periods,
};
pub use plan::{
    Level, Member, OfferTerms, PayerFacts, PlanInput, PlannedInvoice, PlannedLine, RunPlan, SchoolFacts,
    Skipped, charge_key, payer_reference, plan_run,
};
