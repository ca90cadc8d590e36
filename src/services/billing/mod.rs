//! Billing runs as load, plan, commit: the facts are loaded here, the plan is the pure
//! [`crate::domain::billing::plan_run`], and the commit writes invoices in batches.
//!
//! Every invoice line carries a unique charge key (membership, year, period), so a run that is
//! re-run raises nothing twice, a run killed part-way resumes without gaps or duplicates, and two
//! runs at once cannot raise the same charge: the database refuses the second.

mod commit;
mod load;
mod po;
mod runs;

pub use crate::domain::billing::{PlannedInvoice, PlannedLine, RunPlan, Skipped};
pub use commit::{CommitOptions, RunBy, RunSummary, commit, commit_with};
pub use po::release_with_po;
pub use runs::{
    RUNS_PER_PAGE, RunRecord, RunState, finish_run, get_run, record_batch, runs, runs_page, start_run,
};

use super::partnerships::Partnership;
use super::{ServiceError, offers};
use crate::domain::billing::{Period, find_period, periods};
use crate::domain::partnership::MembershipYear;
use sea_orm::ConnectionTrait;

/// The membership year and billing period a run is for, checked against the offer.
pub async fn resolve_period(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
    period: &str,
) -> Result<(offers::Offer, MembershipYear, Period), ServiceError> {
    let my = MembershipYear::parse(partnership.year_kind, year)
        .ok_or_else(|| ServiceError::invalid("year", MembershipYear::problem(year)))?;
    let offer = offers::find(db, partnership.id, year).await?.ok_or_else(|| {
        ServiceError::invalid("year", format!("there is no membership offer for {}", my.label()))
    })?;
    if period.trim().is_empty() {
        return Err(ServiceError::invalid("period", "choose the billing period to run"));
    }
    let found = find_period(my, offer.billing_plan, period).ok_or_else(|| {
        let names: Vec<String> = periods(my, offer.billing_plan).into_iter().map(|p| p.name).collect();
        ServiceError::invalid(
            "period",
            format!(
                "\"{}\" is not a billing period of {}'s {} plan ({})",
                period.trim(),
                my.label(),
                offer.billing_plan.as_str(),
                names.join(", ")
            ),
        )
    })?;
    Ok((offer, my, found))
}

/// Works out every invoice the period would raise, without writing anything.
pub async fn plan(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
    period: &str,
) -> Result<RunPlan, ServiceError> {
    let started = std::time::Instant::now();
    let (offer, my, period) = resolve_period(db, partnership, year, period).await?;
    let facts = load::facts(db, partnership, &offer, &my.label(), &period).await?;
    let loaded = started.elapsed();
    let plan = facts.plan(&offer, my, &period, partnership.vat_registered());
    tracing::debug!(
        year,
        period = %period.name,
        load_ms = loaded.as_millis() as u64,
        plan_ms = (started.elapsed() - loaded).as_millis() as u64,
        invoices = plan.invoices.len(),
        already_raised = plan.already_raised,
        "billing run planned"
    );
    Ok(plan)
}

/// Each offer's year and plan with the periods billed so far (and how many invoices each), by
/// period name.
pub type Billed = Vec<(MembershipYear, crate::domain::instalments::BillingPlan, Vec<(String, u64)>)>;

/// What every offer has billed so far, and the period due next (the earliest not billed).
pub async fn billed_so_far(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
) -> Result<(Billed, Option<(MembershipYear, Period)>), ServiceError> {
    let mut billed = Vec::new();
    for o in offers::list(db, partnership.id).await? {
        if let Some(my) = MembershipYear::parse(partnership.year_kind, &o.year) {
            let counts = super::invoices::count_by_period(db, partnership.id, &o.year).await?;
            billed.push((my, o.billing_plan, counts));
        }
    }
    let due = crate::domain::billing::next_due(
        &billed
            .iter()
            .map(|(y, p, c)| (*y, *p, c.iter().map(|(n, _)| n.clone()).collect()))
            .collect::<Vec<_>>(),
    );
    Ok((billed, due))
}
