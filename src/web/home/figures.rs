//! The partnership-wide figures on the home pages of finance, admins and the board, each an
//! aggregate over the whole register and its invoices. They are kept for a few seconds per
//! partnership and read again after any change made through this service (every request that
//! is not a read counts as one), so a national register's home page does not add up 24,000 rows
//! eight times for every visit. A change made by another process (a command-line billing run)
//! shows within [`FRESH_FOR`].

use crate::domain::billing::Period;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::SchoolScope;
use crate::services::invoices::YearTotals;
use crate::services::ledger::{Collection, Owed};
use crate::services::partnerships::Partnership;
use crate::services::register::{self, SchoolFilter};
use crate::services::{ServiceError, bank, billing, invoices, ledger};
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long figures are kept when nothing is changed through this service.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

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

/// Figures per partnership, with the count of changes they were read after.
#[derive(Default)]
pub struct HomeCache {
    entries: Mutex<HashMap<i64, (Instant, u64, Figures)>>,
    writes: AtomicU64,
    /// One adding-up at a time per partnership: requests arriving while the figures are being
    /// added up wait for them rather than each adding them up again.
    adding: Mutex<HashMap<i64, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    /// How many times figures were added up (for the tests).
    added_up: AtomicU64,
}

impl HomeCache {
    /// Records that something may have changed: every kept figure is read again.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, u64, Figures)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The partnership's figures on `today`: kept ones while fresh, else added up again.
    pub async fn figures(
        &self,
        db: &DatabaseConnection,
        partnership: &Partnership,
        today: NaiveDate,
    ) -> Result<Figures, ServiceError> {
        if let Some(figures) = self.fresh(partnership.id) {
            return Ok(figures);
        }
        let turn = {
            let mut adding = self.adding.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            adding.entry(partnership.id).or_default().clone()
        };
        let _turn = turn.lock().await;
        // Another request may have added them up while this one waited for its turn.
        if let Some(figures) = self.fresh(partnership.id) {
            return Ok(figures);
        }
        let generation = self.writes.load(Ordering::SeqCst);
        self.added_up.fetch_add(1, Ordering::SeqCst);
        let figures = add_up(db, partnership, today).await?;
        self.lock().insert(partnership.id, (Instant::now(), generation, figures.clone()));
        Ok(figures)
    }

    /// The partnership's kept figures, when nothing has been written since and they are fresh.
    fn fresh(&self, partnership_id: i64) -> Option<Figures> {
        let generation = self.writes.load(Ordering::SeqCst);
        match self.lock().get(&partnership_id) {
            Some((at, seen, figures)) if *seen == generation && at.elapsed() < FRESH_FOR => {
                Some(figures.clone())
            }
            _ => None,
        }
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
