//! Finance's decisions on a statement line: confirm a suggestion or choose invoices (a payment
//! is recorded and allocated; the payer's bank name is learned as an alias), keep it as a
//! payer's credit, reject the suggestions, set it aside, mark money out as a refund, or undo
//! any of these (a match is undone by reversing its payment, which stays on record).

use super::super::audit::{self, Event};
use super::super::ledger::{self, Actor};
use super::super::partnerships::Partnership;
use super::super::{ServiceError, begin_write, read_stored};
use super::pay_from_line;
use crate::domain::bank::reference::{bacs_normalise, squeeze};
use crate::domain::bank::{Candidate, LineState};
use crate::domain::money::Money;
use entity::{bank_line, payer, payer_alias, payment};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};

/// What finance decides for a line.
#[derive(Debug, Clone)]
pub enum Choice {
    /// The suggestion at this place (0 is the top one).
    Suggestion(usize),
    /// These amounts to these invoices, all of one payer.
    Invoices(Vec<(i64, Money)>),
    /// The payer's money, kept as its credit for now.
    Credit(i64),
    /// The invoices written here (numbers as finance types them, "RH-000123 RH-000124"), all
    /// of one payer: the line's money goes to them oldest first, any rest as that payer's credit.
    Numbers(String),
    /// None of the suggestions: the line goes back to unmatched.
    Reject,
    /// Not a payer's money (or money out that needs nothing).
    Ignore,
    /// Money out that was a refund.
    Refund,
    /// Undo the last decision.
    Undo,
}

fn suggestions_of(line: &bank_line::Model) -> Result<Vec<Candidate>, ServiceError> {
    match &line.suggestions {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| ServiceError::Corrupt {
            table: "bank_lines",
            column: "suggestions",
            value: text.chars().take(80).collect(),
            reason: e.to_string(),
        }),
    }
}

/// Moves a line from one of `from` to `to`, only if no one else moved it first.
async fn transition(
    txn: &impl ConnectionTrait,
    line: &bank_line::Model,
    from: &[LineState],
    to: LineState,
    decision: Option<String>,
    actor: Actor,
) -> Result<(), ServiceError> {
    let done = bank_line::Entity::update_many()
        .col_expr(bank_line::Column::State, Expr::value(to.as_str()))
        .col_expr(bank_line::Column::Decision, Expr::value(decision))
        .col_expr(bank_line::Column::DecidedByUserId, Expr::value(actor.user_id))
        .col_expr(bank_line::Column::DecidedAt, Expr::value(Some(actor.now)))
        .filter(bank_line::Column::Id.eq(line.id))
        .filter(bank_line::Column::State.is_in(from.iter().map(|s| s.as_str()).collect::<Vec<_>>()))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::Conflict(
            "this line was decided a moment ago by someone else: look at it again".into(),
        ));
    }
    Ok(())
}

/// The name the payer's bank gives it, as written on the line: the words before any number.
fn bank_name(line: &bank_line::Model) -> Option<String> {
    let text = bacs_normalise(line.counterparty.as_deref().unwrap_or(&line.description));
    let words: Vec<&str> = text.split(' ').take_while(|w| !w.chars().any(|c| c.is_ascii_digit())).collect();
    let name = words.join(" ");
    (squeeze(&name).len() >= 6).then_some(name)
}

/// Remembers the bank name for the payer, unless it is already known (for anyone).
async fn learn(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
    line: &bank_line::Model,
    actor: Actor,
) -> Result<(), ServiceError> {
    let Some(name) = bank_name(line) else { return Ok(()) };
    let p = payer::Entity::find_by_id(payer_id).one(txn).await?;
    if p.is_some_and(|p| squeeze(&p.name).starts_with(&squeeze(&name))) {
        return Ok(());
    }
    let known = payer_alias::Entity::find()
        .filter(payer_alias::Column::PartnershipId.eq(partnership_id))
        .filter(payer_alias::Column::Alias.eq(name.clone()))
        .one(txn)
        .await?;
    if known.is_none() {
        payer_alias::ActiveModel {
            partnership_id: Set(partnership_id),
            payer_id: Set(payer_id),
            alias: Set(name),
            created_at: Set(actor.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// The invoices finance typed, as a candidate: all one payer's, the money spread oldest first.
async fn by_numbers(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    text: &str,
    amount: Money,
) -> Result<Candidate, ServiceError> {
    use crate::domain::bank::reference::invoice_numbers;
    let sequences: Vec<i64> = invoice_numbers(text, &partnership.invoice_prefix)
        .into_iter()
        .filter_map(|(n, _)| i64::try_from(n).ok())
        .collect();
    if sequences.is_empty() {
        return Err(ServiceError::invalid(
            "numbers",
            format!(
                "\"{}\" has no invoice number in it, like {}000123",
                text.trim(),
                partnership.invoice_prefix
            ),
        ));
    }
    let found = entity::invoice::Entity::find()
        .filter(entity::invoice::Column::PartnershipId.eq(partnership.id))
        .filter(entity::invoice::Column::Sequence.is_in(sequences.clone()))
        .all(txn)
        .await?;
    if let Some(missing) = sequences.iter().find(|n| !found.iter().any(|i| i.sequence == Some(**n))) {
        return Err(ServiceError::invalid(
            "numbers",
            format!(
                "there is no invoice {}",
                crate::domain::invoice::document_number(&partnership.invoice_prefix, *missing)
            ),
        ));
    }
    let payer_id = found[0].payer_id;
    if found.iter().any(|i| i.payer_id != payer_id) {
        return Err(ServiceError::invalid(
            "numbers",
            "those invoices are different payers': match a line to one payer's invoices",
        ));
    }
    let mut open: Vec<&entity::invoice::Model> = found.iter().filter(|i| i.outstanding_pence > 0).collect();
    open.sort_by_key(|i| (i.due_date, i.sequence));
    let mut left = amount;
    let mut allocations = Vec::new();
    for i in open {
        if left <= Money::ZERO {
            break;
        }
        let owed = Money::from_pence(i.outstanding_pence);
        let take = if owed < left { owed } else { left };
        allocations.push((i.id, take));
        left = left - take;
    }
    let numbers: Vec<String> = found.iter().filter_map(|i| i.number.clone()).collect();
    Ok(Candidate {
        payer_id,
        allocations,
        score: 100,
        reason: format!("matched by finance to {}", numbers.join(", ")),
    })
}

/// Applies finance's choice to a line, in one transaction.
pub async fn decide<C>(
    db: &C,
    partnership: &Partnership,
    line_id: i64,
    choice: &Choice,
    actor: Actor,
) -> Result<LineState, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let line = bank_line::Entity::find_by_id(line_id)
        .filter(bank_line::Column::PartnershipId.eq(partnership.id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("statement line {line_id}")))?;
    let state: LineState = read_stored("bank_lines", "state", &line.state)?;
    let credit = line.amount_pence > 0;
    let open = [LineState::Suggested, LineState::Unmatched];
    let (new_state, words) = match choice {
        Choice::Suggestion(_) | Choice::Invoices(_) | Choice::Credit(_) | Choice::Numbers(_) => {
            if !credit {
                return Err(ServiceError::Conflict("money out cannot pay an invoice".into()));
            }
            let candidate = match choice {
                Choice::Suggestion(n) => suggestions_of(&line)?.get(*n).cloned().ok_or_else(|| {
                    ServiceError::invalid("suggestion", format!("there is no suggestion {}", n + 1))
                })?,
                Choice::Invoices(chosen) => {
                    let first = chosen
                        .first()
                        .ok_or_else(|| ServiceError::invalid("allocations", "choose at least one invoice"))?;
                    let inv = entity::invoice::Entity::find_by_id(first.0)
                        .filter(entity::invoice::Column::PartnershipId.eq(partnership.id))
                        .one(&txn)
                        .await?
                        .ok_or_else(|| {
                            ServiceError::invalid("allocations", format!("there is no invoice {}", first.0))
                        })?;
                    let total: Money = chosen.iter().map(|c| c.1).sum();
                    if total > Money::from_pence(line.amount_pence) {
                        return Err(ServiceError::invalid(
                            "allocations",
                            format!(
                                "the line brought in {}; these amounts add up to {total}",
                                Money::from_pence(line.amount_pence)
                            ),
                        ));
                    }
                    Candidate {
                        payer_id: inv.payer_id,
                        allocations: chosen.clone(),
                        score: 100,
                        reason: "chosen by finance".into(),
                    }
                }
                Choice::Credit(payer_id) => Candidate {
                    payer_id: *payer_id,
                    allocations: vec![],
                    score: 100,
                    reason: "kept as the payer's credit".into(),
                },
                Choice::Numbers(text) => {
                    by_numbers(&txn, partnership, text, Money::from_pence(line.amount_pence)).await?
                }
                Choice::Reject | Choice::Ignore | Choice::Refund | Choice::Undo => {
                    return Err(ServiceError::Internal("a line's decision was read twice".into()));
                }
            };
            transition(
                &txn,
                &line,
                &open,
                LineState::Matched,
                Some(format!("Confirmed: {}", candidate.reason)),
                actor,
            )
            .await?;
            pay_from_line(&txn, partnership, &line, &candidate, actor).await?;
            learn(&txn, partnership.id, candidate.payer_id, &line, actor).await?;
            (LineState::Matched, format!("matched to {}", candidate.reason))
        }
        Choice::Reject => {
            transition(
                &txn,
                &line,
                &[LineState::Suggested],
                LineState::Unmatched,
                Some("Suggestions rejected".into()),
                actor,
            )
            .await?;
            bank_line::Entity::update_many()
                .col_expr(bank_line::Column::Suggestions, Expr::value(Option::<String>::None))
                .filter(bank_line::Column::Id.eq(line.id))
                .exec(&txn)
                .await?;
            (LineState::Unmatched, "rejected the suggestions".into())
        }
        Choice::Ignore => {
            let from: &[LineState] = if credit { &open } else { &[LineState::Debit] };
            transition(&txn, &line, from, LineState::Ignored, Some("Set aside".into()), actor).await?;
            (LineState::Ignored, "set it aside".into())
        }
        Choice::Refund => {
            if credit {
                return Err(ServiceError::Conflict("only money out can be a refund".into()));
            }
            transition(
                &txn,
                &line,
                &[LineState::Debit],
                LineState::Refund,
                Some("A refund to a payer".into()),
                actor,
            )
            .await?;
            (LineState::Refund, "marked it as a refund".into())
        }
        Choice::Undo => {
            let back = match (state, credit) {
                (LineState::Matched, _) | (LineState::Ignored, true) => LineState::Unmatched,
                (LineState::Ignored, false) | (LineState::Refund, _) => LineState::Debit,
                _ => return Err(ServiceError::Conflict("there is nothing to undo on this line".into())),
            };
            transition(&txn, &line, &[state], back, Some("Decision undone".into()), actor).await?;
            if state == LineState::Matched {
                let made = payment::Entity::find()
                    .filter(payment::Column::PartnershipId.eq(partnership.id))
                    .filter(payment::Column::SourceRef.eq(format!("bank_line:{}", line.id)))
                    .filter(payment::Column::ReversedAt.is_null())
                    .all(&txn)
                    .await?;
                for p in made {
                    ledger::payments::reverse_in(
                        &txn,
                        partnership,
                        p.id,
                        "The statement line's match was undone",
                        actor,
                    )
                    .await?;
                }
            }
            (back, "undid the last decision".into())
        }
    };
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "bank.line_decided",
            entity: "bank_statement",
            entity_id: line.statement_id,
            before: Some(serde_json::json!({"state": state.label()})),
            after: Some(serde_json::json!({
                "line": line.line_no, "amount": Money::from_pence(line.amount_pence), "what": words, "state": new_state.label(),
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(new_state)
}
