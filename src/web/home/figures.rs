//! The partnership-wide figures on the home pages of finance, admins and the board, each an
//! aggregate over the whole register and its invoices. They are kept for a few seconds per
//! partnership and read again after any change made through this service (every request that
//! is not a read counts as one), so a national register's home page does not add up 24,000 rows
//! eight times for every visit. A change made by another process (a command-line billing run)
//! shows within [`crate::services::counts::FRESH_FOR`].

use crate::domain::billing::Period;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::SchoolScope;
use crate::services::counts::Counts;
use crate::services::invoices::YearTotals;
use crate::services::ledger::{Collection, Owed};
use crate::services::partnerships::Partnership;
use crate::services::register::{self, SchoolFilter};
use crate::services::{ServiceError, bank, billing, invoices, ledger};
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicU64, Ordering};

/// Everything partnership-wide a home page adds up.
#[derive(Debug, Clone)]
pub struct Figures {
    pub year_totals: Vec<YearTotals>,
    pub phase_counts: Vec<(BillingPhase, u64)>,
    pub needs_pupils: u64,
    pub owed: Owed,
    pub collection: Option<Collection>,
    pub held: u64,
    pub due: Option<(MembershipYear, Period)>,
    pub lines_to_check: u64,
    /// Contract deliverables not signed off that are due within a month or overdue.
    pub deliverables_due: u64,
}

/// Figures per partnership, kept by the same mechanism as the lists' counts
/// ([`crate::services::counts::Counts::keep`]: one adding-up at a time per partnership, the
/// others waiting for it), against this application's own count of changes.
#[derive(Default)]
pub struct HomeCache {
    kept: Counts,
    writes: AtomicU64,
    /// How many times figures were added up (for the tests).
    added_up: AtomicU64,
}

impl HomeCache {
    /// Records that something may have changed: every kept figure is read again.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    /// The partnership's figures on `today`: kept ones while fresh, else added up again.
    pub async fn figures(
        &self,
        db: &DatabaseConnection,
        partnership: &Partnership,
        today: NaiveDate,
    ) -> Result<Figures, ServiceError> {
        let add = async {
            self.added_up.fetch_add(1, Ordering::SeqCst);
            add_up(db, partnership, today).await
        };
        self.kept.keep(partnership.id.to_string(), || self.writes.load(Ordering::SeqCst), add).await
    }

    /// How many times figures have been added up.
    pub fn times_added_up(&self) -> u64 {
        self.added_up.load(Ordering::SeqCst)
    }
}

async fn add_up(
    db: &DatabaseConnection,
    partnership: &Partnership,
    today: NaiveDate,
) -> Result<Figures, ServiceError> {
    let pid = partnership.id;
    let needing =
        SchoolFilter { needs_pupils: Some(true), status: Some("open".into()), ..Default::default() };
    let collection = match partnership.year_kind.year_containing(today) {
        Some(year) => Some(ledger::collection(db, pid, &year.label()).await?),
        None => None,
    };
    Ok(Figures {
        year_totals: invoices::totals_by_year(db, pid).await?,
        phase_counts: register::count_by_phase(db, pid, SchoolScope::All).await?,
        needs_pupils: register::count_schools(db, pid, SchoolScope::All, &needing, today).await?,
        owed: ledger::owed(db, pid, today).await?,
        collection,
        held: invoices::count_held(db, pid).await?,
        due: billing::billed_so_far(db, partnership).await?.1,
        lines_to_check: bank::lines_to_check(db, pid).await?,
        deliverables_due: crate::services::contracts::deliverables_due(
            db,
            pid,
            today + chrono::Days::new(30),
        )
        .await?,
    })
}
