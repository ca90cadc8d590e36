//! Each partnership's reminder schedule, the switches that pause reminders for a payer or an
//! invoice, and the reminders due on a day: queued as messages by the reminders job, one per
//! invoice and step at most (the message key is "reminder:invoice:step").

use super::{FieldError, ServiceError, audit, begin_write, mail};
use crate::domain::money::Money;
use crate::domain::provider::{ProviderState, parse_invoice_ids};
use crate::domain::reminders::{self, Step};
use crate::services::partnerships::Partnership;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice, outbox_message, partnership, payer, provider_payment, reminder_step};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use std::collections::{HashMap, HashSet};

/// A partnership's reminder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub on: bool,
    /// No reminder for an invoice owing less.
    pub minimum: Money,
    pub steps: Vec<Step>,
    /// Whether new invoices, credit notes and receipts are emailed to payers.
    pub documents_mailed: bool,
    /// The final reminder offers a late-payment claim, raised as an invoice when finance says.
    pub late_payment_claims: bool,
    /// The Bank of England reference rate the claim's interest adds 8% to, in percent.
    pub reference_rate: rust_decimal::Decimal,
}

/// The partnership's schedule; the usual steps when it has never saved any.
pub async fn schedule(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Schedule, ServiceError> {
    let p = partnership::Entity::find_by_id(partnership_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("partnership {partnership_id}")))?;
    let rows = reminder_step::Entity::find()
        .filter(reminder_step::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(reminder_step::Column::DaysFromDue)
        .all(db)
        .await?;
    let steps = if rows.is_empty() {
        reminders::default_steps()
    } else {
        rows.into_iter().map(|r| Step { days_from_due: r.days_from_due, wording: r.wording }).collect()
    };
    if p.reminder_minimum_pence < 0 {
        return Err(ServiceError::Corrupt {
            table: "partnerships",
            column: "reminder_minimum_pence",
            value: p.reminder_minimum_pence.to_string(),
            reason: "a minimum below zero".into(),
        });
    }
    if !(0..=2500).contains(&p.late_payment_reference_bp) {
        return Err(ServiceError::Corrupt {
            table: "partnerships",
            column: "late_payment_reference_bp",
            value: p.late_payment_reference_bp.to_string(),
            reason: "a reference rate outside 0% to 25%".into(),
        });
    }
    Ok(Schedule {
        on: p.reminders_on,
        minimum: Money::from_pence(p.reminder_minimum_pence),
        steps,
        documents_mailed: p.documents_mailed_from.is_some(),
        late_payment_claims: p.late_payment_claims,
        reference_rate: rust_decimal::Decimal::new(i64::from(p.late_payment_reference_bp), 2),
    })
}

/// Saves the schedule (already checked by [`reminders::check_steps`]) and the switches.
pub async fn save_schedule<C>(
    db: &C,
    partnership_id: i64,
    schedule: &Schedule,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let minimum = schedule.minimum.to_pence().map_err(|e| ServiceError::invalid("minimum", e.to_string()))?;
    let bp = schedule.reference_rate * rust_decimal::Decimal::ONE_HUNDRED;
    let reference_bp = rust_decimal::prelude::ToPrimitive::to_i32(&bp)
        .filter(|n| (0..=2500).contains(n) && bp.fract().is_zero())
        .ok_or_else(|| {
            ServiceError::invalid(
                "reference_rate",
                "the reference rate must be from 0% to 25%, to two decimal places",
            )
        })?;
    let before = schedule_json(&self::schedule(db, partnership_id).await?);
    let txn = begin_write(db).await?;
    let found = partnership::Entity::find_by_id(partnership_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("partnership {partnership_id}")))?;
    let mailed_from = match (found.documents_mailed_from, schedule.documents_mailed) {
        (Some(from), true) => Some(from),
        (None, true) => Some(now),
        (_, false) => None,
    };
    let mut active: partnership::ActiveModel = found.into();
    active.reminders_on = Set(schedule.on);
    active.reminder_minimum_pence = Set(minimum);
    active.documents_mailed_from = Set(mailed_from);
    active.late_payment_claims = Set(schedule.late_payment_claims);
    active.late_payment_reference_bp = Set(reference_bp);
    active.update(&txn).await?;
    reminder_step::Entity::delete_many()
        .filter(reminder_step::Column::PartnershipId.eq(partnership_id))
        .exec(&txn)
        .await?;
    for step in &schedule.steps {
        reminder_step::ActiveModel {
            partnership_id: Set(partnership_id),
            days_from_due: Set(step.days_from_due),
            wording: Set(step.wording.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id,
            user_id,
            action: "reminders.schedule_changed",
            entity: "partnership",
            entity_id: partnership_id,
            before: Some(before),
            after: Some(schedule_json(schedule)),
        },
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

fn schedule_json(s: &Schedule) -> serde_json::Value {
    serde_json::json!({
        "reminders_on": s.on,
        "minimum": s.minimum.to_string(),
        "documents_mailed": s.documents_mailed,
        "late_payment_claims": s.late_payment_claims,
        "reference_rate": s.reference_rate.to_string(),
        "steps": s.steps.iter().map(|st| format!("{}: {}", st.when_words(), st.wording)).collect::<Vec<_>>(),
    })
}

/// What a pause applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseOf {
    Invoice(i64),
    Payer(i64),
}

/// Pauses reminders (with the reason, e.g. "disputed") or, with no reason, resumes them.
pub async fn set_pause<C>(
    db: &C,
    partnership_id: i64,
    of: PauseOf,
    reason: Option<&str>,
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let reason = match reason.map(str::trim) {
        None => None,
        Some("") => {
            return Err(ServiceError::Invalid(vec![FieldError {
                field: "reason".into(),
                message: "Say why reminders are paused, e.g. \"disputed\" or \"waiting for the council\""
                    .into(),
            }]));
        }
        Some(r) if r.chars().count() > 500 => {
            return Err(ServiceError::invalid("reason", "Write the reason in at most 500 characters"));
        }
        Some(r) => Some(r.to_string()),
    };
    let txn = begin_write(db).await?;
    let (entity, id, before) = match of {
        PauseOf::Invoice(id) => {
            let found = invoice::Entity::find_by_id(id)
                .filter(invoice::Column::PartnershipId.eq(partnership_id))
                .one(&txn)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("invoice {id}")))?;
            invoice::Entity::update_many()
                .col_expr(invoice::Column::RemindersPaused, Expr::value(reason.clone()))
                .filter(invoice::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            ("invoice", id, found.reminders_paused)
        }
        PauseOf::Payer(id) => {
            let found = payer::Entity::find_by_id(id)
                .filter(payer::Column::PartnershipId.eq(partnership_id))
                .one(&txn)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("payer {id}")))?;
            payer::Entity::update_many()
                .col_expr(payer::Column::RemindersPaused, Expr::value(reason.clone()))
                .filter(payer::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            ("payer", id, found.reminders_paused)
        }
    };
    audit::record(
        &txn,
        audit::Event {
            partnership_id,
            user_id,
            action: if reason.is_some() { "reminders.paused" } else { "reminders.resumed" },
            entity,
            entity_id: id,
            before: Some(serde_json::json!({ "reminders_paused": before })),
            after: Some(serde_json::json!({ "reminders_paused": reason })),
        },
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

/// A reminder due on a day.
#[derive(Debug, Clone)]
pub struct Due {
    pub invoice: invoice::Model,
    pub payer: payer::Model,
    pub step: Step,
    pub owed: Money,
}

/// Why an unpaid invoice gets no reminder today although a step has come.
#[derive(Debug, Clone)]
pub struct Held {
    pub invoice: invoice::Model,
    pub payer_name: String,
    pub reason: String,
}

/// The reminders due on `today` and the overdue invoices held back (paused, in collection, or
/// under the minimum). Paid and fully credited invoices owe nothing, so never appear.
pub async fn due(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    today: NaiveDate,
) -> Result<(Vec<Due>, Vec<Held>), ServiceError> {
    due_under(db, partnership_id, &schedule(db, partnership_id).await?, today).await
}

/// [`due`] under a schedule already read.
async fn due_under(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    schedule: &Schedule,
    today: NaiveDate,
) -> Result<(Vec<Due>, Vec<Held>), ServiceError> {
    let days: Vec<i32> = schedule.steps.iter().map(|s| s.days_from_due).collect();
    let Some(earliest) = days.iter().min().copied() else { return Ok((Vec::new(), Vec::new())) };
    let latest_due = today - chrono::Duration::days(i64::from(earliest));
    let open: Vec<invoice::Model> = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Status.eq("issued"))
        .filter(invoice::Column::OutstandingPence.gt(0))
        .filter(invoice::Column::DueDate.lte(latest_due))
        .order_by_asc(invoice::Column::DueDate)
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    if open.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let sent: Vec<String> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::DedupeKey)
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .filter(outbox_message::Column::Kind.eq("reminder"))
        .into_tuple()
        .all(db)
        .await?;
    let mut sent_steps: HashMap<i64, Vec<i32>> = HashMap::new();
    for key in sent {
        let mut parts = key.split(':').skip(1);
        if let (Some(Ok(id)), Some(Ok(step))) =
            (parts.next().map(str::parse::<i64>), parts.next().map(str::parse::<i32>))
        {
            sent_steps.entry(id).or_default().push(step);
        }
    }
    let mut collecting: HashSet<i64> = HashSet::new();
    let pending: Vec<String> = provider_payment::Entity::find()
        .select_only()
        .column(provider_payment::Column::InvoiceIds)
        .filter(provider_payment::Column::PartnershipId.eq(partnership_id))
        .filter(provider_payment::Column::State.eq(ProviderState::Processing.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    for ids in pending {
        collecting.extend(parse_invoice_ids(&ids).map_err(|reason| ServiceError::Corrupt {
            table: "provider_payments",
            column: "invoice_ids",
            value: ids.clone(),
            reason,
        })?);
    }
    // Invoices a payer was told will be collected by Direct Debit are not chased meanwhile.
    let to_collect: HashSet<i64> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::DocumentId)
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .filter(outbox_message::Column::Kind.eq("direct_debit_notice"))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let payer_ids: Vec<i64> = open.iter().map(|i| i.payer_id).collect::<HashSet<_>>().into_iter().collect();
    let mut payers: HashMap<i64, payer::Model> = HashMap::new();
    for chunk in payer_ids.chunks(500) {
        for p in payer::Entity::find().filter(payer::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            payers.insert(p.id, p);
        }
    }
    let mut due = Vec::new();
    let mut held = Vec::new();
    for i in open {
        let Some(due_date) = i.due_date else { continue };
        let Some(step_days) =
            reminders::step_due(due_date, today, &days, sent_steps.get(&i.id).map_or(&[], Vec::as_slice))
        else {
            continue;
        };
        let Some(p) = payers.get(&i.payer_id) else { continue };
        let owed = Money::from_pence(i.outstanding_pence);
        let reason = if let Some(r) = &i.reminders_paused {
            Some(format!("Paused for this invoice: {r}"))
        } else if let Some(r) = &p.reminders_paused {
            Some(format!("Paused for {}: {r}", p.name))
        } else if collecting.contains(&i.id) {
            Some("Being collected by card or Direct Debit".to_string())
        } else if to_collect.contains(&i.id) {
            Some("To be collected by Direct Debit".to_string())
        } else if owed < schedule.minimum {
            Some(format!("Owes {owed}, under the minimum of {}", schedule.minimum))
        } else {
            None
        };
        match reason {
            Some(reason) => held.push(Held { payer_name: p.name.clone(), invoice: i, reason }),
            None => {
                let step = schedule
                    .steps
                    .iter()
                    .find(|s| s.days_from_due == step_days)
                    .cloned()
                    .unwrap_or(Step { days_from_due: step_days, wording: String::new() });
                due.push(Due { invoice: i, payer: p.clone(), step, owed });
            }
        }
    }
    Ok((due, held))
}

/// Queues today's reminders: how many were queued and how many held back, or none when
/// reminders are off.
pub async fn queue_due<C>(
    db: &C,
    partnership: &Partnership,
    public_url: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<(u64, u64)>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let settings = schedule(db, partnership.id).await?;
    if !settings.on {
        return Ok(None);
    }
    let last = settings.steps.iter().map(|s| s.days_from_due).max();
    let (due, held) = due_under(db, partnership.id, &settings, today).await?;
    let mut queued = 0;
    for chunk in due.chunks(500) {
        let txn = begin_write(db).await?;
        for d in chunk {
            let claim = (settings.late_payment_claims && Some(d.step.days_from_due) == last)
                .then(|| {
                    d.invoice.due_date.and_then(|due| {
                        crate::domain::late_payment::claim(d.owed, due, today, settings.reference_rate)
                    })
                })
                .flatten();
            let message = mail::compose::reminder(partnership, public_url, d, today, claim.as_ref());
            if mail::queue(&txn, partnership.id, message, now).await? {
                queued += 1;
            }
        }
        sea_orm::TransactionSession::commit(txn).await?;
    }
    Ok(Some((queued, held.len() as u64)))
}
