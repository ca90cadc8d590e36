//! Stripe's webhook events, taken in once each: the signature checked on the raw body with the
//! partnership's signing secret (async-stripe-webhook), the event id stored so a replay changes
//! nothing, and what the event says recorded in the ledger in the same transaction.
//!
//! Events may come late, twice or out of order: a success is recorded once per PaymentIntent
//! (whichever of `checkout.session.completed` and `payment_intent.succeeded` comes first), a
//! late "pending" never undoes a success (see [`crate::domain::provider::moves`]), and a
//! refund that arrives before its payment is refused for now so Stripe sends it again later.

use super::credentials;
use crate::domain::ledger::{PaymentSource, oldest_first};
use crate::domain::money::Money;
use crate::domain::provider::{ProviderKind, ProviderState, moves, parse_invoice_ids, refund_to_record};
use crate::services::ledger::adjustments::{free_payment, refund_in};
use crate::services::ledger::payments::{Allocate, NewPayment, allocate_in, get_payment, record_in};
use crate::services::ledger::{Actor, NewRefund, lock_payers, open_invoices};
use crate::services::partnerships::{self, Partnership};
use crate::services::{ServiceError, begin_write, to_stored_pence};
use crate::settings::PaymentSettings;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice, payment, provider_event, provider_payment};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;

/// Why a webhook delivery was not taken: each is a 4xx (Stripe sends it again later) or a 500.
#[derive(Debug, thiserror::Error)]
pub enum WebhookRefusal {
    #[error("there is no partnership {0}")]
    UnknownPartnership(String),
    #[error("{0} does not take card payments (no Stripe keys are set)")]
    NotSetUp(String),
    #[error("the signature does not check out: {0}")]
    BadSignature(String),
    #[error("the event cannot be read: {0}")]
    Malformed(String),
    /// Not yet: something it depends on has not arrived (Stripe will send it again).
    #[error("{0}")]
    NotYet(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for WebhookRefusal {
    fn from(e: sea_orm::DbErr) -> WebhookRefusal {
        WebhookRefusal::Service(e.into())
    }
}

/// What became of an event that was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// Taken now; what it did, in words.
    Taken(String),
    /// Seen before: nothing changed.
    Duplicate,
    /// Its metadata names another partnership: nothing changed.
    OtherPartnership,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: Value,
}

/// Takes one webhook delivery for the partnership `slug`.
#[allow(clippy::too_many_arguments)]
pub async fn take_event<C>(
    db: &C,
    settings: &PaymentSettings,
    slug: &str,
    payload: &[u8],
    signature: Option<&str>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<EventOutcome, WebhookRefusal>
where
    C: ConnectionTrait + TransactionTrait,
{
    let partnership = partnerships::find_by_slug(db, slug)
        .await?
        .ok_or_else(|| WebhookRefusal::UnknownPartnership(slug.to_string()))?;
    let creds = credentials(db, settings, partnership.id)
        .await?
        .ok_or_else(|| WebhookRefusal::NotSetUp(partnership.name.clone()))?;
    let text = std::str::from_utf8(payload)
        .map_err(|_| WebhookRefusal::Malformed("the body is not UTF-8".into()))?;
    let signature =
        signature.ok_or_else(|| WebhookRefusal::BadSignature("no Stripe-Signature header".into()))?;
    match stripe_webhook::Webhook::construct_event_with_timestamp(
        text,
        signature,
        creds.webhook_secret.expose_secret(),
        now.timestamp(),
    ) {
        // Verified; the typed parse may not know every object this service's API version sends,
        // so the fields used are read below.
        Ok(_) | Err(stripe_webhook::WebhookError::BadParse(_)) => {}
        Err(stripe_webhook::WebhookError::BadTimestamp(_)) => {
            return Err(WebhookRefusal::BadSignature("it was signed more than 5 minutes ago".into()));
        }
        Err(e) => return Err(WebhookRefusal::BadSignature(e.to_string())),
    }
    let event: RawEvent = serde_json::from_str(text).map_err(|e| WebhookRefusal::Malformed(e.to_string()))?;
    let object = &event.data.object;
    if let Some(named) = object.pointer("/metadata/partnership").and_then(Value::as_str)
        && named != partnership.slug
    {
        return Ok(EventOutcome::OtherPartnership);
    }
    let occurred = DateTime::from_timestamp(event.created, 0)
        .ok_or_else(|| WebhookRefusal::Malformed(format!("created {} is not a time", event.created)))?;
    let actor = Actor { user_id: None, today, now };
    let txn = begin_write(db).await?;
    if already_seen(&txn, partnership.id, &event.id).await? {
        return Ok(EventOutcome::Duplicate);
    }
    let stored = provider_event::ActiveModel {
        partnership_id: Set(partnership.id),
        event_id: Set(event.id.clone()),
        event_type: Set(event.kind.chars().take(100).collect()),
        object_id: Set(text_at(object, "/id").map(|s| s.chars().take(255).collect())),
        occurred_at: Set(occurred),
        received_at: Set(now),
        outcome: Set(String::new()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let stored = match stored {
        Ok(row) => row,
        // Another delivery of the same event was stored a moment ago.
        Err(_) if already_seen(db, partnership.id, &event.id).await? => return Ok(EventOutcome::Duplicate),
        Err(e) => return Err(e.into()),
    };
    let step = Step { partnership: &partnership, object, at: event.created, occurred, actor };
    let outcome = step.apply(&txn, &event.kind).await?;
    let mut stored: provider_event::ActiveModel = stored.into();
    stored.outcome = Set(outcome.clone());
    stored.update(&txn).await?;
    txn.commit().await?;
    Ok(EventOutcome::Taken(outcome))
}

async fn already_seen(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    event_id: &str,
) -> Result<bool, ServiceError> {
    Ok(provider_event::Entity::find()
        .filter(provider_event::Column::PartnershipId.eq(partnership_id))
        .filter(provider_event::Column::EventId.eq(event_id))
        .one(db)
        .await?
        .is_some())
}

/// A text field of an event's object (or the id of an expanded object there).
pub(super) fn text_at<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(|v| v.as_str().or_else(|| v.get("id").and_then(Value::as_str)))
}

fn pence_at(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

/// One event being applied.
struct Step<'a> {
    partnership: &'a Partnership,
    object: &'a Value,
    /// When Stripe made the event (seconds).
    at: i64,
    occurred: DateTime<Utc>,
    actor: Actor,
}

/// The ids an event's object carries.
struct Ids {
    intent: Option<String>,
    session: Option<String>,
}

impl Step<'_> {
    async fn apply(&self, txn: &impl ConnectionTrait, kind: &str) -> Result<String, WebhookRefusal> {
        let o = self.object;
        let session_ids = || Ids {
            intent: text_at(o, "/payment_intent").map(String::from),
            session: text_at(o, "/id").map(String::from),
        };
        let intent_ids = || Ids { intent: text_at(o, "/id").map(String::from), session: None };
        match kind {
            "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
                if text_at(o, "/mode") == Some("setup") {
                    return super::direct_debit::setup_completed(txn, self.partnership.id, o, self.occurred)
                        .await;
                }
                let paid = kind.ends_with("succeeded") || text_at(o, "/payment_status") == Some("paid");
                if paid {
                    self.succeeded(txn, session_ids(), pence_at(o, "/amount_total")).await
                } else {
                    self.moved(txn, session_ids(), ProviderState::Processing, None).await
                }
            }
            "checkout.session.async_payment_failed" => {
                let why = "The payment did not go through".to_string();
                self.moved(txn, session_ids(), ProviderState::Failed, Some(why)).await
            }
            "checkout.session.expired" => {
                self.moved(txn, session_ids(), ProviderState::Cancelled, None).await
            }
            "payment_intent.succeeded" => {
                let amount =
                    pence_at(o, "/amount_received").filter(|p| *p > 0).or_else(|| pence_at(o, "/amount"));
                self.succeeded(txn, intent_ids(), amount).await
            }
            "payment_intent.processing" => {
                self.moved(txn, intent_ids(), ProviderState::Processing, None).await
            }
            "payment_intent.payment_failed" => {
                let why: String = text_at(o, "/last_payment_error/message")
                    .map(|m| m.chars().take(500).collect())
                    .unwrap_or_else(|| "The payment did not go through".to_string());
                let outcome = self.moved(txn, intent_ids(), ProviderState::Failed, Some(why.clone())).await?;
                // A failed Direct Debit stops automatic collection until finance acts.
                if let Some(row) = self.find(txn, &intent_ids()).await?
                    && row.kind == ProviderKind::DirectDebit.as_str()
                    && row.state == ProviderState::Failed.as_str()
                {
                    super::direct_debit::stop_after_failure(txn, self.partnership.id, row.payer_id, &why)
                        .await?;
                    return Ok(format!("{outcome}; automatic collection stopped"));
                }
                Ok(outcome)
            }
            "setup_intent.succeeded" => {
                super::direct_debit::setup_succeeded(txn, self.partnership.id, o, self.occurred).await
            }
            "mandate.updated" => {
                super::direct_debit::mandate_updated(txn, self.partnership.id, o, self.occurred).await
            }
            "payment_intent.canceled" => self.moved(txn, intent_ids(), ProviderState::Cancelled, None).await,
            "charge.refunded" => self.refunded(txn).await,
            _ => Ok("Not used by this service".into()),
        }
    }

    /// The provider payment the ids name, if this service knows it.
    async fn find(
        &self,
        txn: &impl ConnectionTrait,
        ids: &Ids,
    ) -> Result<Option<provider_payment::Model>, ServiceError> {
        let base = || {
            provider_payment::Entity::find()
                .filter(provider_payment::Column::PartnershipId.eq(self.partnership.id))
        };
        if let Some(intent) = &ids.intent
            && let Some(found) =
                base().filter(provider_payment::Column::PaymentIntentId.eq(intent)).one(txn).await?
        {
            return Ok(Some(found));
        }
        if let Some(session) = &ids.session {
            return Ok(base()
                .filter(provider_payment::Column::CheckoutSessionId.eq(session))
                .one(txn)
                .await?);
        }
        Ok(None)
    }

    /// The payer and invoices the object's metadata names (all one payer's, in the partnership).
    async fn named(
        &self,
        txn: &impl ConnectionTrait,
    ) -> Result<Result<(i64, Vec<i64>), String>, ServiceError> {
        let Some(text) = text_at(self.object, "/metadata/invoice_ids") else {
            return Ok(Err("it names no invoices of this service".into()));
        };
        let ids = match parse_invoice_ids(text) {
            Ok(ids) => ids,
            Err(e) => return Ok(Err(format!("its invoice ids do not read: {e}"))),
        };
        let found = invoice::Entity::find()
            .filter(invoice::Column::PartnershipId.eq(self.partnership.id))
            .filter(invoice::Column::Id.is_in(ids.clone()))
            .all(txn)
            .await?;
        let payers: std::collections::BTreeSet<i64> = found.iter().map(|i| i.payer_id).collect();
        match (found.len() == ids.len(), payers.len()) {
            (true, 1) => Ok(Ok((found[0].payer_id, ids))),
            (false, _) => Ok(Err("it names invoices this partnership does not have".into())),
            _ => Ok(Err("it names invoices of more than one payer".into())),
        }
    }

    /// The payer whose account the event is about, locked; and its provider payment (found or
    /// made from the metadata). `Err` with words when the event cannot be placed.
    async fn place(
        &self,
        txn: &impl ConnectionTrait,
        ids: &Ids,
    ) -> Result<Result<provider_payment::Model, String>, ServiceError> {
        let known = self.find(txn, ids).await?;
        let payer_id = match &known {
            Some(row) => row.payer_id,
            None => match self.named(txn).await? {
                Ok((payer, _)) => payer,
                Err(why) => return Ok(Err(why)),
            },
        };
        lock_payers(txn, self.partnership.id, &[payer_id]).await?;
        // Read again after the lock: another event for the same payment may just have made it.
        if let Some(row) = self.find(txn, ids).await? {
            return Ok(Ok(row));
        }
        let invoice_ids = text_at(self.object, "/metadata/invoice_ids").unwrap_or_default().to_string();
        let amount =
            pence_at(self.object, "/amount_total").or_else(|| pence_at(self.object, "/amount")).unwrap_or(0);
        // Made as started; the event's own state is then applied like any other.
        let row = provider_payment::ActiveModel {
            partnership_id: Set(self.partnership.id),
            payer_id: Set(payer_id),
            kind: Set(if text_at(self.object, "/metadata/method") == Some("direct_debit") {
                ProviderKind::DirectDebit.as_str().into()
            } else {
                ProviderKind::Card.as_str().into()
            }),
            checkout_session_id: Set(ids.session.clone()),
            payment_intent_id: Set(ids.intent.clone()),
            invoice_ids: Set(invoice_ids),
            amount_pence: Set(amount.max(0)),
            state: Set(ProviderState::Started.as_str().into()),
            state_at: Set(self.occurred),
            failure: Set(None),
            payment_id: Set(None),
            refunded_pence: Set(0),
            refund_requested_pence: Set(0),
            created_by_user_id: Set(None),
            created_at: Set(self.actor.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(Ok(row))
    }

    /// Fills in the ids Stripe has told us since the payment was started.
    fn with_ids(row: &provider_payment::Model, ids: &Ids) -> provider_payment::ActiveModel {
        let mut active: provider_payment::ActiveModel = row.clone().into();
        if row.payment_intent_id.is_none() && ids.intent.is_some() {
            active.payment_intent_id = Set(ids.intent.clone());
        }
        if row.checkout_session_id.is_none() && ids.session.is_some() {
            active.checkout_session_id = Set(ids.session.clone());
        }
        active
    }

    async fn moved(
        &self,
        txn: &impl ConnectionTrait,
        ids: Ids,
        next: ProviderState,
        failure: Option<String>,
    ) -> Result<String, WebhookRefusal> {
        let row = match self.place(txn, &ids).await? {
            Ok(row) => row,
            Err(why) => return Ok(format!("Not recorded: {why}")),
        };
        let current = ProviderState::parse(&row.state).unwrap_or(ProviderState::Started);
        let mut active = Self::with_ids(&row, &ids);
        let outcome = if current == next {
            format!("No change: already {}", next.label().to_lowercase())
        } else if moves(current, row.state_at.timestamp(), next, self.at) {
            active.state = Set(next.as_str().into());
            active.state_at = Set(self.occurred);
            active.failure = Set(failure.clone());
            match &failure {
                Some(why) => format!("{}: {why}", next.label()),
                None => next.label().to_string(),
            }
        } else {
            format!("{} came after {}; kept {}", next.label(), current.label(), current.label())
        };
        active.update(txn).await?;
        Ok(outcome)
    }

    async fn succeeded(
        &self,
        txn: &impl ConnectionTrait,
        ids: Ids,
        amount: Option<i64>,
    ) -> Result<String, WebhookRefusal> {
        if let Some(currency) = text_at(self.object, "/currency")
            && !currency.eq_ignore_ascii_case("gbp")
        {
            return Ok(format!("Not recorded: it was paid in {currency}, not pounds"));
        }
        let Some(pence) = amount.filter(|p| *p > 0) else {
            return Ok("Not recorded: it carries no amount paid".into());
        };
        let row = match self.place(txn, &ids).await? {
            Ok(row) => row,
            Err(why) => return Ok(format!("Not recorded: {why}")),
        };
        let source_ref =
            ids.intent.clone().or_else(|| ids.session.clone()).or_else(|| row.payment_intent_id.clone());
        let already = match (row.payment_id, &source_ref) {
            (Some(id), _) => Some(id),
            (None, Some(r)) => payment::Entity::find()
                .filter(payment::Column::PartnershipId.eq(self.partnership.id))
                .filter(payment::Column::Source.eq(PaymentSource::Provider.as_str()))
                .filter(payment::Column::SourceRef.eq(r))
                .one(txn)
                .await?
                .map(|p| p.id),
            (None, None) => None,
        };
        let mut active = Self::with_ids(&row, &ids);
        if let Some(id) = already {
            active.payment_id = Set(Some(id));
            active.state = Set(ProviderState::Succeeded.as_str().into());
            active.update(txn).await?;
            return Ok("Already recorded".into());
        }
        let method = ProviderKind::parse(&row.kind).unwrap_or(ProviderKind::Card).method();
        let amount = Money::from_pence(pence);
        let received_on = self.occurred.date_naive().min(self.actor.today);
        let new = NewPayment {
            payer_id: row.payer_id,
            received_on,
            amount,
            method,
            reference: format!("Stripe {}", source_ref.clone().unwrap_or_default()),
            source: PaymentSource::Provider,
            source_ref,
        };
        let payment_id = record_in(txn, self.partnership, &new, None, self.actor).await?;
        let named = parse_invoice_ids(&row.invoice_ids).unwrap_or_default();
        let open: Vec<_> = open_invoices(txn, row.payer_id)
            .await?
            .into_iter()
            .filter(|(m, _)| named.contains(&m.id))
            .map(|(_, o)| o)
            .collect();
        let plan = oldest_first(amount, &open);
        let allocated: Money = plan.iter().map(|(_, a)| *a).sum();
        if !plan.is_empty() {
            allocate_in(txn, self.partnership, payment_id, &Allocate::Chosen(plan), self.actor).await?;
        }
        active.payment_id = Set(Some(payment_id));
        active.state = Set(ProviderState::Succeeded.as_str().into());
        active.state_at = Set(self.occurred);
        active.failure = Set(None);
        if row.amount_pence == 0 {
            active.amount_pence = Set(pence);
        }
        active.update(txn).await?;
        let credit = amount - allocated;
        Ok(if credit > Money::ZERO {
            format!("Paid {amount}: {allocated} to its invoices, {credit} kept as credit")
        } else {
            format!("Paid {amount} to its invoices")
        })
    }

    async fn refunded(&self, txn: &impl ConnectionTrait) -> Result<String, WebhookRefusal> {
        let ids = Ids { intent: text_at(self.object, "/payment_intent").map(String::from), session: None };
        let Some(total) = pence_at(self.object, "/amount_refunded") else {
            return Ok("Not recorded: it says no amount refunded".into());
        };
        let Some(row) = self.find(txn, &ids).await? else {
            return Err(WebhookRefusal::NotYet(
                "the payment this refund belongs to has not arrived yet".into(),
            ));
        };
        lock_payers(txn, self.partnership.id, &[row.payer_id]).await?;
        let Some(row) = self.find(txn, &ids).await? else {
            return Err(WebhookRefusal::NotYet(
                "the payment this refund belongs to has not arrived yet".into(),
            ));
        };
        let Some(payment_id) = row.payment_id else {
            return Err(WebhookRefusal::NotYet(
                "the payment this refund belongs to is not recorded yet".into(),
            ));
        };
        let add = refund_to_record(Money::from_pence(total), Money::from_pence(row.refunded_pence));
        if add == Money::ZERO {
            return Ok("Already recorded".into());
        }
        let reason = "Refunded to the card through Stripe";
        let pay = get_payment(txn, self.partnership.id, payment_id).await?;
        if pay.unallocated < add {
            free_payment(txn, payment_id, add - pay.unallocated, reason, self.actor).await?;
        }
        let new = NewRefund {
            payment_id,
            amount: add,
            refunded_on: self.occurred.date_naive().min(self.actor.today),
            method: ProviderKind::parse(&row.kind).unwrap_or(ProviderKind::Card).method(),
            reason: reason.into(),
        };
        refund_in(txn, self.partnership, &new, reason, self.actor).await?;
        let mut active: provider_payment::ActiveModel = row.clone().into();
        active.refunded_pence = Set(to_stored_pence("amount", Money::from_pence(total))?);
        active.refund_requested_pence = Set(row.refund_requested_pence.max(total));
        active.update(txn).await?;
        Ok(format!("Refunded {add} to the card"))
    }
}
