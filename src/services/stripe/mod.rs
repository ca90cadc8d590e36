//! Card payments through each partnership's own Stripe account: its keys (sealed with
//! `PB_SECRET_KEY`, never shown again), Checkout Sessions to pay invoices, refunds back to the
//! card, and the webhook events that record what Stripe says happened in the ledger.
//!
//! Requests are built with async-stripe's typed builders; from Stripe's answers only the few
//! fields used are read, so a field Stripe adds or a fake Stripe leaves out does not stop a
//! payment.

pub mod checkout;
pub mod direct_debit;
pub mod events;

pub use checkout::{CardCheckout, ProviderPaymentView, payments_of_payer, refund_card, start_card_payment};
pub use events::{EventOutcome, WebhookRefusal, take_event};

use super::audit::{self, Event};
use super::ledger::Actor;
use super::partnerships::Partnership;
use super::{ServiceError, begin_write};
use crate::domain::provider::{check_secret_key, check_webhook_secret};
use crate::secrets::SealingKey;
use crate::settings::PaymentSettings;
use chrono::{DateTime, Utc};
use entity::payment_provider;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};

/// Whether a partnership takes card payments, as its settings page shows it (no key shown).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProviderStatus {
    /// Live keys (real money) rather than test keys.
    pub live: bool,
    pub set_at: DateTime<Utc>,
    /// The keys are stored but this service has no `PB_SECRET_KEY` to open them.
    pub locked: bool,
}

fn purpose(partnership_id: i64, field: &str) -> String {
    format!("partnership:{partnership_id}:{field}")
}

fn sealing_key(settings: &PaymentSettings) -> Result<&SealingKey, ServiceError> {
    settings.sealing_key.as_deref().ok_or_else(|| {
        ServiceError::Conflict(
            "this service has no PB_SECRET_KEY to keep Stripe keys safe; ask whoever runs it to set one and restart it"
                .into(),
        )
    })
}

/// The partnership's stored (sealed) keys, if any.
async fn provider_row(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Option<payment_provider::Model>, ServiceError> {
    Ok(payment_provider::Entity::find()
        .filter(payment_provider::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?)
}

/// The partnership's card payment set-up, if any.
pub async fn status(
    db: &impl ConnectionTrait,
    settings: &PaymentSettings,
    partnership_id: i64,
) -> Result<Option<ProviderStatus>, ServiceError> {
    let row = provider_row(db, partnership_id).await?;
    Ok(row.map(|r| ProviderStatus { live: r.live, set_at: r.set_at, locked: settings.sealing_key.is_none() }))
}

/// Stores (or replaces) the partnership's Stripe secret key and webhook signing secret, sealed.
pub async fn set_keys<C>(
    db: &C,
    settings: &PaymentSettings,
    partnership: &Partnership,
    secret_key: &str,
    webhook_secret: &str,
    actor: Actor,
) -> Result<ProviderStatus, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut problems = Vec::new();
    let live = match check_secret_key(secret_key) {
        Ok(live) => live,
        Err(m) => {
            problems.push(super::FieldError { field: "secret_key".into(), message: m });
            false
        }
    };
    if let Err(m) = check_webhook_secret(webhook_secret) {
        problems.push(super::FieldError { field: "webhook_secret".into(), message: m });
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let key = sealing_key(settings)?;
    let sealed_key = key.seal(&purpose(partnership.id, "stripe_secret_key"), secret_key.trim());
    let sealed_hook = key.seal(&purpose(partnership.id, "stripe_webhook_secret"), webhook_secret.trim());
    let txn = begin_write(db).await?;
    match provider_row(&txn, partnership.id).await? {
        Some(row) => {
            let mut row: payment_provider::ActiveModel = row.into();
            row.secret_key_sealed = Set(sealed_key);
            row.webhook_secret_sealed = Set(sealed_hook);
            row.live = Set(live);
            row.set_by_user_id = Set(actor.user_id);
            row.set_at = Set(actor.now);
            row.update(&txn).await?;
        }
        None => {
            payment_provider::ActiveModel {
                partnership_id: Set(partnership.id),
                secret_key_sealed: Set(sealed_key),
                webhook_secret_sealed: Set(sealed_hook),
                live: Set(live),
                set_by_user_id: Set(actor.user_id),
                set_at: Set(actor.now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "stripe.keys_set",
            entity: "partnership",
            entity_id: partnership.id,
            before: None,
            after: Some(serde_json::json!({ "mode": if live { "live" } else { "test" } })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ProviderStatus { live, set_at: actor.now, locked: false })
}

/// Removes the partnership's Stripe keys: card payment is no longer offered. Payments already
/// made stay in the ledger.
pub async fn remove_keys<C>(db: &C, partnership: &Partnership, actor: Actor) -> Result<bool, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let done = payment_provider::Entity::delete_many()
        .filter(payment_provider::Column::PartnershipId.eq(partnership.id))
        .exec(&txn)
        .await?;
    if done.rows_affected > 0 {
        audit::record(
            &txn,
            Event {
                partnership_id: partnership.id,
                user_id: actor.user_id,
                action: "stripe.keys_removed",
                entity: "partnership",
                entity_id: partnership.id,
                before: None,
                after: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(done.rows_affected > 0)
}

/// A partnership's Stripe keys, opened.
pub(crate) struct Credentials {
    pub secret_key: SecretString,
    pub webhook_secret: SecretString,
}

/// The partnership's keys, or `None` when it has not set any.
pub(crate) async fn credentials(
    db: &impl ConnectionTrait,
    settings: &PaymentSettings,
    partnership_id: i64,
) -> Result<Option<Credentials>, ServiceError> {
    let Some(row) = provider_row(db, partnership_id).await? else {
        return Ok(None);
    };
    let key = sealing_key(settings)?;
    let open = |field: &'static str, sealed: &str| {
        key.open(&purpose(partnership_id, field), sealed).map_err(|e| ServiceError::Corrupt {
            table: "payment_providers",
            column: field,
            value: "(sealed)".into(),
            reason: e.to_string(),
        })
    };
    Ok(Some(Credentials {
        secret_key: open("stripe_secret_key", &row.secret_key_sealed)?,
        webhook_secret: open("stripe_webhook_secret", &row.webhook_secret_sealed)?,
    }))
}

/// Whether the partnership offers card payment now.
pub async fn card_payments_on(
    db: &impl ConnectionTrait,
    settings: &PaymentSettings,
    partnership_id: i64,
) -> Result<bool, ServiceError> {
    Ok(settings.sealing_key.is_some() && status(db, settings, partnership_id).await?.is_some())
}

/// A Stripe client for the partnership's account (at `STRIPE_API_BASE` when set).
pub(crate) fn client(
    settings: &PaymentSettings,
    credentials: &Credentials,
) -> Result<stripe::Client, ServiceError> {
    let mut builder = stripe::ClientBuilder::new(credentials.secret_key.expose_secret());
    if let Some(base) = &settings.stripe_api_base {
        builder = builder.url(base.as_str());
    }
    builder.build().map_err(|e| ServiceError::Internal(format!("the Stripe client cannot be made: {e}")))
}

/// Stripe's refusal or silence, in words for the person waiting, and logged without secrets.
pub(crate) fn unavailable(what: &str, e: stripe::StripeError) -> ServiceError {
    let said = match &e {
        stripe::StripeError::Stripe(errors, status) => {
            format!("Stripe refused ({status}): {}", errors.message.clone().unwrap_or_default())
        }
        stripe::StripeError::Timeout => "Stripe did not answer in time".into(),
        other => format!("Stripe could not be reached ({other})"),
    };
    tracing::warn!(what, error = %said, "a Stripe request failed");
    ServiceError::Unavailable(format!("{what}: {said}. Nothing was charged; try again in a minute."))
}
