//! Bank statements in storage: importing a file (new lines only, all or nothing), matching its
//! credit lines against the partnership's invoices, and finance's decisions on each line.

pub mod decide;
pub mod list;

pub use decide::{Choice, decide};
pub use list::{
    LineFilter, LineView, StatementView, SuggestionView, lines, lines_to_check, statement, statements,
};

use super::ledger::Actor;
use super::ledger::payments::{Allocate, NewPayment, allocate_in, record_in};
use super::partnerships::Partnership;
use super::{ServiceError, begin_write, to_stored_pence};
use crate::domain::bank::{
    Candidate, ColumnMapping, Format, LineState, Matcher, OpenItem, Outcome, PayerName, StatementLine,
    detect, fingerprints, parse,
};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{PaymentMethod, PaymentSource};
use crate::domain::money::Money;
use entity::{bank_line, bank_statement, invoice, payer, payer_alias, school};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashSet;

/// The largest statement file taken.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub statement_id: i64,
    pub format: Format,
    pub lines: usize,
    pub new: usize,
    pub auto_matched: usize,
    pub suggested: usize,
    pub unmatched: usize,
    pub debits: usize,
}

/// Reads, stores and matches a statement file. The format is detected from the file unless
/// given; a CSV of another bank needs a mapping (given, or the one saved last time). A file that
/// does not read is refused whole, naming the line; nothing is stored.
pub async fn import<C>(
    db: &C,
    partnership: &Partnership,
    bytes: &[u8],
    file_name: &str,
    format: Option<Format>,
    mapping: Option<ColumnMapping>,
    actor: Actor,
) -> Result<ImportSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ServiceError::invalid("file", "the file is larger than 20 MB"));
    }
    let saved_mapping: Option<ColumnMapping> = entity::partnership::Entity::find_by_id(partnership.id)
        .one(db)
        .await?
        .and_then(|p| p.bank_csv_mapping)
        .map(|m| {
            serde_json::from_str(&m).map_err(|e| ServiceError::Corrupt {
                table: "partnerships",
                column: "bank_csv_mapping",
                value: m.clone(),
                reason: e.to_string(),
            })
        })
        .transpose()?;
    let format = match format.or_else(|| detect(bytes)) {
        Some(f) => f,
        None if mapping.is_some() || saved_mapping.is_some() => Format::Generic,
        None => {
            return Err(ServiceError::invalid(
                "format",
                "the file is not one the service recognises (Lloyds, Barclays, NatWest, HSBC, OFX or camt.053): choose its format or map its columns",
            ));
        }
    };
    let use_mapping = mapping.clone().or(saved_mapping);
    let parsed = parse(bytes, &format, use_mapping.as_ref())
        .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
    for (i, l) in parsed.iter().enumerate() {
        if l.date > actor.today {
            return Err(ServiceError::invalid(
                "file",
                format!("transaction {}: {} is in the future", i + 1, l.date.format("%d/%m/%Y")),
            ));
        }
    }
    let prints = fingerprints(&parsed);
    let txn = begin_write(db).await?;
    let mut known: HashSet<String> = HashSet::new();
    for chunk in prints.chunks(500) {
        let rows: Vec<String> = bank_line::Entity::find()
            .select_only()
            .column(bank_line::Column::Fingerprint)
            .filter(bank_line::Column::PartnershipId.eq(partnership.id))
            .filter(bank_line::Column::Fingerprint.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&txn)
            .await?;
        known.extend(rows);
    }
    let fresh: Vec<(usize, &StatementLine, &String)> = parsed
        .iter()
        .zip(prints.iter())
        .enumerate()
        .filter(|(_, (_, p))| !known.contains(*p))
        .map(|(i, (l, p))| (i, l, p))
        .collect();
    let statement = bank_statement::ActiveModel {
        partnership_id: Set(partnership.id),
        file_name: Set(file_name.chars().take(200).collect()),
        format: Set(format.as_str().to_string()),
        line_count: Set(i32::try_from(parsed.len()).unwrap_or(i32::MAX)),
        new_count: Set(i32::try_from(fresh.len()).unwrap_or(i32::MAX)),
        imported_by_user_id: Set(actor.user_id),
        imported_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(m) = &mapping {
        let text = serde_json::to_string(m).map_err(|e| ServiceError::Internal(e.to_string()))?;
        entity::partnership::Entity::update_many()
            .col_expr(
                entity::partnership::Column::BankCsvMapping,
                sea_orm::sea_query::Expr::value(Some(text)),
            )
            .filter(entity::partnership::Column::Id.eq(partnership.id))
            .exec(&txn)
            .await?;
    }
    let mut matcher = matcher_for(&txn, partnership).await?;
    let mut summary = ImportSummary {
        statement_id: statement.id,
        format: format.clone(),
        lines: parsed.len(),
        new: fresh.len(),
        auto_matched: 0,
        suggested: 0,
        unmatched: 0,
        debits: 0,
    };
    for (i, line, print) in fresh {
        let mut state = LineState::Debit;
        let mut suggestions: Option<Vec<Candidate>> = None;
        let mut decision = None;
        let mut auto = None;
        if line.is_credit() {
            match matcher.match_line(&line.text(), line.amount) {
                Outcome::Auto(c) => {
                    state = LineState::Matched;
                    decision = Some(format!("Matched automatically: {}", c.reason));
                    auto = Some(c);
                    summary.auto_matched += 1;
                }
                Outcome::Suggest(list) => {
                    state = LineState::Suggested;
                    suggestions = Some(list);
                    summary.suggested += 1;
                }
                Outcome::Unmatched => {
                    state = LineState::Unmatched;
                    summary.unmatched += 1;
                }
            }
        } else {
            summary.debits += 1;
        }
        let row = bank_line::ActiveModel {
            partnership_id: Set(partnership.id),
            statement_id: Set(statement.id),
            line_no: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            booked_on: Set(line.date),
            amount_pence: Set(to_stored_pence("file", line.amount)?),
            description: Set(line.description.clone()),
            counterparty: Set(line.counterparty.clone()),
            balance_pence: Set(line.balance.map(|b| to_stored_pence("file", b)).transpose()?),
            bank_id: Set(line.bank_id.clone()),
            fingerprint: Set(print.clone()),
            state: Set(state.as_str().to_string()),
            suggestions: Set(suggestions
                .map(|s| serde_json::to_string(&s))
                .transpose()
                .map_err(|e| ServiceError::Internal(e.to_string()))?),
            decision: Set(decision),
            decided_at: Set(auto.as_ref().map(|_| actor.now)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(c) = auto {
            pay_from_line(&txn, partnership, &row, &c, actor).await?;
        }
    }
    super::audit::record(
        &txn,
        super::audit::Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "bank.statement_imported",
            entity: "bank_statement",
            entity_id: statement.id,
            before: None,
            after: Some(serde_json::json!({
                "file": file_name, "lines": summary.lines, "new": summary.new,
                "auto_matched": summary.auto_matched, "suggested": summary.suggested,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(summary)
}

/// Records a statement line's money as a payment of the candidate's payer, allocated as the
/// candidate says (the rest stays as credit).
pub(crate) async fn pay_from_line(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    line: &bank_line::Model,
    candidate: &Candidate,
    actor: Actor,
) -> Result<i64, ServiceError> {
    let new = NewPayment {
        payer_id: candidate.payer_id,
        received_on: line.booked_on,
        amount: Money::from_pence(line.amount_pence),
        method: PaymentMethod::BacsCredit,
        reference: line.description.chars().take(140).collect(),
        source: PaymentSource::BankLine,
        source_ref: Some(format!("bank_line:{}", line.id)),
    };
    let id = record_in(txn, partnership, &new, None, actor).await?;
    if !candidate.allocations.is_empty() {
        allocate_in(txn, partnership, id, &Allocate::Chosen(candidate.allocations.clone()), actor).await?;
    }
    Ok(id)
}

/// The matching state for a partnership: every issued invoice (paid ones too, to spot
/// duplicates) and every payer with its aliases and its school's URN.
pub(crate) async fn matcher_for(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
) -> Result<Matcher, ServiceError> {
    type Row = (i64, Option<i64>, Option<String>, i64, i64, Option<chrono::NaiveDate>);
    let rows: Vec<Row> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .column(invoice::Column::Sequence)
        .column(invoice::Column::Number)
        .column(invoice::Column::PayerId)
        .column(invoice::Column::OutstandingPence)
        .column(invoice::Column::DueDate)
        .filter(invoice::Column::PartnershipId.eq(partnership.id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    let items = rows
        .into_iter()
        .filter_map(|(id, sequence, number, payer_id, outstanding, due)| {
            Some(OpenItem {
                invoice_id: id,
                sequence: u64::try_from(sequence?).ok()?,
                number: number?,
                payer_id,
                outstanding: Money::from_pence(outstanding),
                due,
            })
        })
        .collect();
    let payers =
        payer::Entity::find().filter(payer::Column::PartnershipId.eq(partnership.id)).all(db).await?;
    let aliases = payer_alias::Entity::find()
        .filter(payer_alias::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?;
    let urns: std::collections::HashMap<i64, i32> = school::Entity::find()
        .select_only()
        .column(school::Column::Id)
        .column(school::Column::Urn)
        .filter(school::Column::PartnershipId.eq(partnership.id))
        .into_tuple::<(i64, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let names = payers
        .iter()
        .map(|p| PayerName {
            payer_id: p.id,
            name: p.name.clone(),
            aliases: aliases.iter().filter(|a| a.payer_id == p.id).map(|a| a.alias.clone()).collect(),
            codes: p
                .reference
                .strip_prefix("school:")
                .and_then(|id| id.parse::<i64>().ok())
                .and_then(|id| urns.get(&id))
                .map(|urn| vec![urn.to_string()])
                .unwrap_or_default(),
        })
        .collect();
    Ok(Matcher::new(&partnership.invoice_prefix, items, names))
}
