//! Reading statements and their lines, a page at a time.

use super::super::{Paged, ServiceError, page_of, read_stored};
use crate::domain::bank::{Candidate, LineState};
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{bank_line, bank_statement, payer};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

/// A statement with how many of its lines are in each state.
#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    pub id: i64,
    pub file_name: String,
    pub format: String,
    pub imported_at: DateTime<Utc>,
    pub lines: i32,
    pub new: i32,
    /// (state, count) for every state with lines.
    pub states: Vec<(LineState, u64)>,
}

/// A suggestion with the payer's and invoices' names.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionView {
    pub payer_id: i64,
    pub payer_name: String,
    /// (invoice id, amount)
    pub allocations: Vec<(i64, Money)>,
    pub reason: String,
    pub score: u32,
}

/// A line with its state, suggestions and what was decided.
#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub id: i64,
    pub line_no: i32,
    pub booked_on: NaiveDate,
    pub amount: Money,
    pub description: String,
    pub counterparty: Option<String>,
    pub state: LineState,
    pub suggestions: Vec<SuggestionView>,
    pub decision: Option<String>,
    /// Payments recorded from this line.
    pub payment_ids: Vec<i64>,
    /// The invoices those payments are allocated to now.
    pub matched_invoice_ids: Vec<i64>,
}

/// Which lines a page shows.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub state: Option<LineState>,
}

async fn states_of(
    db: &impl ConnectionTrait,
    statement_id: i64,
) -> Result<Vec<(LineState, u64)>, ServiceError> {
    let mut out = Vec::new();
    for state in LineState::ALL {
        let n = bank_line::Entity::find()
            .filter(bank_line::Column::StatementId.eq(statement_id))
            .filter(bank_line::Column::State.eq(state.as_str()))
            .count(db)
            .await?;
        if n > 0 {
            out.push((state, n));
        }
    }
    Ok(out)
}

fn view_of(m: bank_statement::Model, states: Vec<(LineState, u64)>) -> StatementView {
    StatementView {
        id: m.id,
        file_name: m.file_name,
        format: m.format,
        imported_at: m.imported_at,
        lines: m.line_count,
        new: m.new_count,
        states,
    }
}

/// The partnership's statements, newest first.
pub async fn statements(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    page: u64,
    per_page: u64,
) -> Result<Paged<StatementView>, ServiceError> {
    let query = bank_statement::Entity::find()
        .filter(bank_statement::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(bank_statement::Column::Id);
    let found = page_of(db, query, page, per_page).await?;
    let mut rows = Vec::new();
    for m in found.rows {
        let states = states_of(db, m.id).await?;
        rows.push(view_of(m, states));
    }
    Ok(Paged { rows, total: found.total, page: found.page, pages: found.pages })
}

/// One statement.
pub async fn statement(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<StatementView, ServiceError> {
    let m = bank_statement::Entity::find_by_id(id)
        .filter(bank_statement::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("bank statement {id}")))?;
    let states = states_of(db, m.id).await?;
    Ok(view_of(m, states))
}

/// A page of a statement's lines, in file order.
pub async fn lines(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    statement_id: i64,
    filter: &LineFilter,
    page: u64,
    per_page: u64,
) -> Result<Paged<LineView>, ServiceError> {
    statement(db, partnership_id, statement_id).await?;
    let mut query = bank_line::Entity::find().filter(bank_line::Column::StatementId.eq(statement_id));
    if let Some(state) = filter.state {
        query = query.filter(bank_line::Column::State.eq(state.as_str()));
    }
    let found = page_of(db, query.order_by_asc(bank_line::Column::LineNo), page, per_page).await?;
    let mut candidates: Vec<Vec<Candidate>> = Vec::new();
    for m in &found.rows {
        candidates.push(match &m.suggestions {
            None => Vec::new(),
            Some(text) => serde_json::from_str(text).map_err(|e| ServiceError::Corrupt {
                table: "bank_lines",
                column: "suggestions",
                value: text.chars().take(80).collect(),
                reason: e.to_string(),
            })?,
        });
    }
    let payer_ids: Vec<i64> = candidates.iter().flatten().map(|c| c.payer_id).collect();
    let names: HashMap<i64, String> = payer::Entity::find()
        .filter(payer::Column::Id.is_in(payer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let refs: Vec<String> = found.rows.iter().map(|m| format!("bank_line:{}", m.id)).collect();
    let payments: Vec<entity::payment::Model> = entity::payment::Entity::find()
        .filter(entity::payment::Column::PartnershipId.eq(partnership_id))
        .filter(entity::payment::Column::SourceRef.is_in(refs))
        .all(db)
        .await?;
    let allocations = entity::allocation::Entity::find()
        .filter(
            entity::allocation::Column::PaymentId.is_in(payments.iter().map(|p| p.id).collect::<Vec<_>>()),
        )
        .filter(entity::allocation::Column::UndoneAt.is_null())
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for (m, list) in found.rows.into_iter().zip(candidates) {
        let source = format!("bank_line:{}", m.id);
        rows.push(LineView {
            id: m.id,
            line_no: m.line_no,
            booked_on: m.booked_on,
            amount: Money::from_pence(m.amount_pence),
            state: read_stored("bank_lines", "state", &m.state)?,
            suggestions: list
                .into_iter()
                .map(|c| SuggestionView {
                    payer_name: names.get(&c.payer_id).cloned().unwrap_or_default(),
                    payer_id: c.payer_id,
                    allocations: c.allocations,
                    reason: c.reason,
                    score: c.score,
                })
                .collect(),
            payment_ids: payments
                .iter()
                .filter(|p| p.source_ref.as_deref() == Some(source.as_str()))
                .map(|p| p.id)
                .collect(),
            matched_invoice_ids: payments
                .iter()
                .filter(|p| p.source_ref.as_deref() == Some(source.as_str()) && p.reversed_at.is_none())
                .flat_map(|p| allocations.iter().filter(move |a| a.payment_id == p.id).map(|a| a.invoice_id))
                .collect(),
            description: m.description,
            counterparty: m.counterparty,
            decision: m.decision,
        });
    }
    Ok(Paged { rows, total: found.total, page: found.page, pages: found.pages })
}

/// How many statement lines wait for finance: money in unmatched or with suggestions.
pub async fn lines_to_check(db: &impl ConnectionTrait, partnership_id: i64) -> Result<u64, ServiceError> {
    Ok(bank_line::Entity::find()
        .filter(bank_line::Column::PartnershipId.eq(partnership_id))
        .filter(
            bank_line::Column::State.is_in([LineState::Suggested.as_str(), LineState::Unmatched.as_str()]),
        )
        .count(db)
        .await?)
}
