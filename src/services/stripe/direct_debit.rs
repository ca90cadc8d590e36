//! Bacs Direct Debit through Stripe: a payer gives a mandate on Stripe's Checkout page (setup
//! mode); Stripe's events fill in its payment method, mandate and state; the Direct Debit job
//! tells the payer what will be collected and when (advance notice), then collects each due
//! invoice with an off-session PaymentIntent whose idempotency key names the invoice and the
//! attempt, so a job that runs twice never collects twice. A failed collection stops automatic
//! collection for the payer until finance starts it again.

use super::events::{WebhookRefusal, text_at};
use super::{client, credentials, unavailable};
use crate::domain::direct_debit::{self, Collection, MAX_DIRECT_DEBIT, MandateState};
use crate::domain::money::Money;
use crate::domain::provider::{ProviderKind, ProviderState};
use crate::services::audit::{self, Event};
use crate::services::invoices::InvoiceScope;
use crate::services::ledger::Actor;
use crate::services::partnerships::Partnership;
use crate::services::{ServiceError, begin_write, mail, payers};
use crate::settings::PaymentSettings;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{direct_debit_mandate as mandate, invoice, outbox_message, provider_payment};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde_json::Value;
use std::collections::HashMap;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};

/// A payer's mandate as people see it.
#[derive(Debug, Clone)]
pub struct MandateView {
    pub state: MandateState,
    pub reference: Option<String>,
    pub stopped_reason: Option<String>,
    pub since: DateTime<Utc>,
}

fn read(m: &mandate::Model) -> Result<MandateView, ServiceError> {
    Ok(MandateView {
        state: MandateState::parse(&m.state).ok_or_else(|| ServiceError::Corrupt {
            table: "direct_debit_mandates",
            column: "state",
            value: m.state.clone(),
            reason: "not a state of a mandate".into(),
        })?,
        reference: m.reference.clone(),
        stopped_reason: m.stopped_reason.clone(),
        since: m.state_at,
    })
}

async fn row_of(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
) -> Result<Option<mandate::Model>, ServiceError> {
    Ok(mandate::Entity::find()
        .filter(mandate::Column::PartnershipId.eq(partnership_id))
        .filter(mandate::Column::PayerId.eq(payer_id))
        .one(db)
        .await?)
}

/// The payer's mandate, if it has started one.
pub async fn mandate_of(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
) -> Result<Option<MandateView>, ServiceError> {
    row_of(db, partnership_id, payer_id).await?.as_ref().map(read).transpose()
}

#[derive(miniserde::Deserialize)]
struct IdAnswer {
    id: String,
}

#[derive(miniserde::Deserialize)]
struct SessionAnswer {
    id: String,
    url: Option<String>,
}

/// Sends the payer (in the user's scope) to Stripe to set up a Direct Debit; returns where.
pub async fn start_mandate<C>(
    db: &C,
    settings: &PaymentSettings,
    partnership: &Partnership,
    scope: &InvoiceScope,
    payer_id: i64,
    public_url: &str,
    actor: Actor,
) -> Result<String, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if !scope.reaches(payer_id) {
        return Err(ServiceError::NotFound(format!("payer {payer_id}")));
    }
    let payer = payers::get(db, partnership.id, payer_id).await?;
    let existing = row_of(db, partnership.id, payer_id).await?;
    if let Some(m) = &existing
        && matches!(read(m)?.state, MandateState::Active | MandateState::Pending)
    {
        return Err(ServiceError::Conflict(format!(
            "{} already has a Direct Debit ({})",
            payer.name,
            read(m)?.state.label().to_lowercase()
        )));
    }
    let Some(creds) = credentials(db, settings, partnership.id).await? else {
        return Err(ServiceError::Conflict(format!("{} does not take Direct Debits", partnership.name)));
    };
    let stripe = client(settings, &creds)?;
    let metadata = HashMap::from([
        ("partnership".to_string(), partnership.slug.clone()),
        ("payer".to_string(), payer_id.to_string()),
        ("method".to_string(), "direct_debit".to_string()),
    ]);
    let customer = match existing.as_ref().and_then(|m| m.customer_id.clone()) {
        Some(id) => id,
        None => {
            let mut request = stripe_core::customer::CreateCustomer::new()
                .name(payer.name.clone())
                .metadata(metadata.clone());
            if let Some(first) = mail::payer_addresses(&payer).ok().and_then(|l| l.into_iter().next()) {
                request = request.email(first);
            }
            request
                .build()
                .customize::<IdAnswer>()
                .send(&stripe)
                .await
                .map_err(|e| unavailable("Direct Debit could not be set up", e))?
                .id
        }
    };
    let base = public_url.trim_end_matches('/');
    let mut intent = stripe_checkout::checkout_session::CreateCheckoutSessionSetupIntentData::new();
    intent.metadata = Some(metadata.clone());
    intent.description = Some(format!("Direct Debit to {} for {}", partnership.name, payer.name));
    let session = stripe_checkout::checkout_session::CreateCheckoutSession::new()
        .mode(stripe_checkout::CheckoutSessionMode::Setup)
        .currency(stripe_types::Currency::GBP)
        .allowed_payment_method_types(vec![
            stripe_checkout::checkout_session::CreateCheckoutSessionAllowedPaymentMethodTypes::BacsDebit,
        ])
        .customer(customer.clone())
        .metadata(metadata)
        .setup_intent_data(intent)
        .client_reference_id(payer_id.to_string())
        .success_url(format!("{base}/direct-debit/done?session={{CHECKOUT_SESSION_ID}}"))
        .cancel_url(format!("{base}/payers/{payer_id}/account"))
        .build()
        .customize::<SessionAnswer>()
        .send(&stripe)
        .await
        .map_err(|e| unavailable("Direct Debit could not be set up", e))?;
    let url = session.url.ok_or_else(|| {
        ServiceError::Unavailable("Stripe made no page for the Direct Debit; try again in a minute".into())
    })?;
    let txn = begin_write(db).await?;
    let row = mandate::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(payer_id),
        customer_id: Set(Some(customer)),
        checkout_session_id: Set(Some(session.id)),
        setup_intent_id: Set(None),
        payment_method_id: Set(None),
        mandate_id: Set(None),
        reference: Set(None),
        state: Set(MandateState::SettingUp.as_str().into()),
        state_at: Set(actor.now),
        stopped_reason: Set(None),
        created_by_user_id: Set(actor.user_id),
        created_at: Set(actor.now),
        ..Default::default()
    };
    mandate::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([mandate::Column::PartnershipId, mandate::Column::PayerId])
                .update_columns([
                    mandate::Column::CustomerId,
                    mandate::Column::CheckoutSessionId,
                    mandate::Column::SetupIntentId,
                    mandate::Column::PaymentMethodId,
                    mandate::Column::MandateId,
                    mandate::Column::Reference,
                    mandate::Column::State,
                    mandate::Column::StateAt,
                    mandate::Column::StoppedReason,
                    mandate::Column::CreatedByUserId,
                    mandate::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "direct_debit.set_up_started",
            entity: "payer",
            entity_id: payer_id,
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(url)
}

/// Finance starts automatic collection again after a failure.
pub async fn resume<C>(
    db: &C,
    partnership_id: i64,
    payer_id: i64,
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let Some(row) = row_of(&txn, partnership_id, payer_id).await? else {
        return Err(ServiceError::Conflict("this payer has no Direct Debit to start again".into()));
    };
    let before = row.stopped_reason.clone();
    let mut active: mandate::ActiveModel = row.into();
    active.stopped_reason = Set(None);
    active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "direct_debit.resumed",
            entity: "payer",
            entity_id: payer_id,
            before: Some(serde_json::json!({ "stopped_reason": before })),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The mandate row an event is about: by one of its Stripe ids, else by the payer its metadata
/// names.
async fn row_for_event(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    by: &[(mandate::Column, Option<&str>)],
    object: &Value,
) -> Result<Option<mandate::Model>, ServiceError> {
    for (column, value) in by {
        if let Some(value) = value
            && let Some(row) = mandate::Entity::find()
                .filter(mandate::Column::PartnershipId.eq(partnership_id))
                .filter(column.eq(*value))
                .one(txn)
                .await?
        {
            return Ok(Some(row));
        }
    }
    match text_at(object, "/metadata/payer").and_then(|p| p.parse::<i64>().ok()) {
        Some(payer) => row_of(txn, partnership_id, payer).await,
        None => Ok(None),
    }
}

/// `checkout.session.completed` in setup mode: the payer gave their bank details.
pub(super) async fn setup_completed(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    object: &Value,
    occurred: DateTime<Utc>,
) -> Result<String, WebhookRefusal> {
    let session = text_at(object, "/id");
    let Some(row) =
        row_for_event(txn, partnership_id, &[(mandate::Column::CheckoutSessionId, session)], object).await?
    else {
        return Ok("Not recorded: no Direct Debit set-up of this service".into());
    };
    let mut active: mandate::ActiveModel = row.clone().into();
    if let Some(intent) = text_at(object, "/setup_intent") {
        active.setup_intent_id = Set(Some(intent.to_string()));
    }
    if row.state == MandateState::SettingUp.as_str() {
        active.state = Set(MandateState::Pending.as_str().into());
        active.state_at = Set(occurred);
    }
    active.update(txn).await?;
    Ok("Direct Debit details given; waiting for the bank".into())
}

/// `setup_intent.succeeded`: the payment method and the mandate to collect with.
pub(super) async fn setup_succeeded(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    object: &Value,
    occurred: DateTime<Utc>,
) -> Result<String, WebhookRefusal> {
    let intent = text_at(object, "/id");
    let Some(row) =
        row_for_event(txn, partnership_id, &[(mandate::Column::SetupIntentId, intent)], object).await?
    else {
        return Ok("Not recorded: no Direct Debit set-up of this service".into());
    };
    let mut active: mandate::ActiveModel = row.clone().into();
    active.setup_intent_id = Set(intent.map(String::from).or(row.setup_intent_id.clone()));
    if let Some(pm) = text_at(object, "/payment_method") {
        active.payment_method_id = Set(Some(pm.to_string()));
    }
    if let Some(m) = text_at(object, "/mandate") {
        active.mandate_id = Set(Some(m.to_string()));
    }
    if row.state == MandateState::SettingUp.as_str() {
        active.state = Set(MandateState::Pending.as_str().into());
        active.state_at = Set(occurred);
    }
    active.update(txn).await?;
    Ok("Direct Debit mandate made; waiting for the bank".into())
}

/// `mandate.updated`: the bank accepted, or the mandate was cancelled. Before the mandate is
/// known (its set-up event has not come yet) it is refused for now, so Stripe sends it again.
pub(super) async fn mandate_updated(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    object: &Value,
    occurred: DateTime<Utc>,
) -> Result<String, WebhookRefusal> {
    let id = text_at(object, "/id");
    let method = text_at(object, "/payment_method");
    let Some(row) = row_for_event(
        txn,
        partnership_id,
        &[(mandate::Column::MandateId, id), (mandate::Column::PaymentMethodId, method)],
        object,
    )
    .await?
    else {
        return Err(WebhookRefusal::NotYet(
            "the Direct Debit this mandate belongs to has not arrived yet".into(),
        ));
    };
    let Some(state) = text_at(object, "/status").and_then(MandateState::from_stripe) else {
        return Ok("Not recorded: the mandate's status does not read".into());
    };
    if row.state_at > occurred {
        return Ok("No change: a newer state is recorded".into());
    }
    let mut active: mandate::ActiveModel = row.clone().into();
    active.mandate_id = Set(id.map(String::from).or(row.mandate_id.clone()));
    if let Some(reference) = text_at(object, "/payment_method_details/bacs_debit/reference") {
        active.reference = Set(Some(reference.chars().take(100).collect()));
    }
    active.state = Set(state.as_str().into());
    active.state_at = Set(occurred);
    active.update(txn).await?;
    Ok(format!("Direct Debit: {}", state.label()))
}

/// A collection failed: automatic collection stops for the payer until finance acts.
pub(super) async fn stop_after_failure(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
    why: &str,
) -> Result<(), ServiceError> {
    if let Some(row) = row_of(txn, partnership_id, payer_id).await? {
        let mut active: mandate::ActiveModel = row.into();
        active.stopped_reason = Set(Some(format!("A collection failed: {why}")));
        active.update(txn).await?;
    }
    Ok(())
}

/// What one run of the Direct Debit job did.
#[derive(Debug, Clone, Default)]
pub struct CollectSummary {
    pub notices: u64,
    pub collections: u64,
    pub collected: Money,
    /// Invoices that could not be collected, and why.
    pub held: Vec<String>,
}

#[derive(miniserde::Deserialize)]
struct IntentAnswer {
    id: String,
}

/// Tells payers of what will be collected and collects what is due, for every payer of the
/// partnership with an active mandate and automatic collection running.
pub async fn collect_due<C>(
    db: &C,
    settings: &PaymentSettings,
    partnership: &Partnership,
    public_url: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<CollectSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut summary = CollectSummary::default();
    let mandates = mandate::Entity::find()
        .filter(mandate::Column::PartnershipId.eq(partnership.id))
        .filter(mandate::Column::State.eq(MandateState::Active.as_str()))
        .filter(mandate::Column::StoppedReason.is_null())
        .all(db)
        .await?;
    if mandates.is_empty() {
        return Ok(summary);
    }
    let Some(creds) = credentials(db, settings, partnership.id).await? else {
        summary.held.push("Stripe keys are not set: nothing can be collected".into());
        return Ok(summary);
    };
    let stripe = client(settings, &creds)?;
    for m in mandates {
        let (Some(customer), Some(method)) = (&m.customer_id, &m.payment_method_id) else { continue };
        let payer = payers::get(db, partnership.id, m.payer_id).await?;
        let open = invoice::Entity::find()
            .filter(invoice::Column::PartnershipId.eq(partnership.id))
            .filter(invoice::Column::PayerId.eq(m.payer_id))
            .filter(invoice::Column::Status.eq("issued"))
            .filter(invoice::Column::OutstandingPence.gt(0))
            .order_by_asc(invoice::Column::DueDate)
            .order_by_asc(invoice::Column::Id)
            .all(db)
            .await?;
        let tried = provider_payment::Entity::find()
            .filter(provider_payment::Column::PartnershipId.eq(partnership.id))
            .filter(provider_payment::Column::PayerId.eq(m.payer_id))
            .all(db)
            .await?;
        for inv in open {
            let number = inv.number.clone().unwrap_or_default();
            let Some(due) = inv.due_date else { continue };
            if let Some(why) = &inv.reminders_paused {
                summary.held.push(format!("{number}: paused ({why})"));
                continue;
            }
            let mine: Vec<&provider_payment::Model> = tried
                .iter()
                .filter(|t| {
                    crate::domain::provider::parse_invoice_ids(&t.invoice_ids)
                        .is_ok_and(|ids| ids.contains(&inv.id))
                })
                .collect();
            if mine.iter().any(|t| {
                matches!(
                    ProviderState::parse(&t.state),
                    Some(ProviderState::Started | ProviderState::Processing)
                )
            }) {
                continue; // being paid already
            }
            let owed = Money::from_pence(inv.outstanding_pence);
            if owed > MAX_DIRECT_DEBIT {
                summary.held.push(format!(
                    "{number}: {owed} is more than one Direct Debit can collect ({MAX_DIRECT_DEBIT})"
                ));
                continue;
            }
            let notice_key = format!("dd_notice:{}", inv.id);
            let told = outbox_message::Entity::find()
                .filter(outbox_message::Column::PartnershipId.eq(partnership.id))
                .filter(outbox_message::Column::DedupeKey.eq(notice_key.clone()))
                .one(db)
                .await?
                .map(|n| n.queued_at.date_naive());
            match direct_debit::plan(due, today, told) {
                Collection::Wait | Collection::Due { .. } => {}
                Collection::SendNotice { collect_on } => {
                    let message = mail::compose::direct_debit_notice(
                        partnership,
                        public_url,
                        &payer,
                        &inv,
                        owed,
                        collect_on,
                        m.reference.as_deref(),
                    );
                    if mail::queue(db, partnership.id, message, now).await? {
                        summary.notices += 1;
                    }
                }
                Collection::Collect => {
                    let attempt =
                        1 + mine.iter().filter(|t| t.kind == ProviderKind::DirectDebit.as_str()).count();
                    let key = format!("pb-dd-{}-{}-{attempt}", partnership.id, inv.id);
                    let metadata = HashMap::from([
                        ("partnership".to_string(), partnership.slug.clone()),
                        ("invoice_ids".to_string(), inv.id.to_string()),
                        ("payer".to_string(), m.payer_id.to_string()),
                        ("method".to_string(), "direct_debit".to_string()),
                    ]);
                    let mut request = stripe_core::payment_intent::CreatePaymentIntent::new(
                        inv.outstanding_pence,
                        stripe_types::Currency::GBP,
                    )
                    .customer(customer.clone())
                    .payment_method(method.clone())
                    .allowed_payment_method_types(vec![
                        stripe_core::PaymentIntentAllowedPaymentMethodTypes::BacsDebit,
                    ])
                    .confirm(true)
                    .off_session(stripe_core::payment_intent::CreatePaymentIntentOffSession::Bool(true))
                    .metadata(metadata)
                    .description(format!("{}: invoice {number}", partnership.name));
                    if let Some(mandate_id) = &m.mandate_id {
                        request = request.mandate(mandate_id.clone());
                    }
                    let idempotency = IdempotencyKey::new(&key)
                        .map_err(|e| ServiceError::Internal(format!("idempotency key {key}: {e}")))?;
                    let answer = request
                        .build()
                        .customize::<IntentAnswer>()
                        .request_strategy(RequestStrategy::Idempotent(idempotency))
                        .send(&stripe)
                        .await;
                    let intent = match answer {
                        Ok(a) => a.id,
                        Err(e) => {
                            let said = unavailable("A Direct Debit could not be asked for", e);
                            summary.held.push(format!("{number}: {said}"));
                            continue;
                        }
                    };
                    let row = provider_payment::ActiveModel {
                        partnership_id: Set(partnership.id),
                        payer_id: Set(m.payer_id),
                        kind: Set(ProviderKind::DirectDebit.as_str().into()),
                        checkout_session_id: Set(None),
                        payment_intent_id: Set(Some(intent)),
                        invoice_ids: Set(inv.id.to_string()),
                        amount_pence: Set(inv.outstanding_pence),
                        state: Set(ProviderState::Processing.as_str().into()),
                        state_at: Set(now),
                        failure: Set(None),
                        payment_id: Set(None),
                        refunded_pence: Set(0),
                        refund_requested_pence: Set(0),
                        created_by_user_id: Set(None),
                        created_at: Set(now),
                        ..Default::default()
                    };
                    // The same key gives the same PaymentIntent: a second run finds it recorded.
                    let inserted = provider_payment::Entity::insert(row)
                        .on_conflict(
                            OnConflict::columns([
                                provider_payment::Column::PartnershipId,
                                provider_payment::Column::PaymentIntentId,
                            ])
                            .do_nothing()
                            .to_owned(),
                        )
                        .exec_without_returning(db)
                        .await?;
                    if inserted > 0 {
                        summary.collections += 1;
                        summary.collected = summary.collected + owed;
                    }
                }
            }
        }
    }
    Ok(summary)
}

/// When each of a payer's unpaid invoices will be collected, for its pages: (invoice id, day).
pub async fn planned_collections(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
) -> Result<Vec<(i64, NaiveDate)>, ServiceError> {
    let notices = outbox_message::Entity::find()
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .filter(outbox_message::Column::PayerId.eq(payer_id))
        .filter(outbox_message::Column::Kind.eq("direct_debit_notice"))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for n in notices {
        let Some(id) = n.document_id else { continue };
        if let Some(inv) = invoice::Entity::find_by_id(id).one(db).await?
            && let Some(due) = inv.due_date
            && inv.outstanding_pence > 0
        {
            out.push((id, direct_debit::collection_day(due, n.queued_at.date_naive())));
        }
    }
    Ok(out)
}
