//! Paying invoices by card: a Stripe Checkout Session for what they owe, named in its metadata
//! (and its PaymentIntent's) so every later event says which partnership and invoices it pays;
//! and refunds back to the card, recorded when Stripe confirms them.

use super::{Credentials, client, credentials, unavailable};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::domain::provider::{ProviderKind, ProviderState};
use crate::services::audit::{self, Event};
use crate::services::invoices::InvoiceScope;
use crate::services::ledger::Actor;
use crate::services::partnerships::Partnership;
use crate::services::{ServiceError, begin_write, to_stored_pence};
use crate::settings::PaymentSettings;
use chrono::{DateTime, Utc};
use entity::{invoice, provider_payment};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use std::collections::HashMap;
use stripe::StripeRequest;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ProductData,
};

/// The most one card payment may be: Stripe's limit for a payment in pounds.
pub const MAX_CARD_PAYMENT: Money = Money::from_pence_const(99_999_999);
/// The most invoices one card payment may pay (each is a line on Stripe's page).
pub const MAX_INVOICES_PER_PAYMENT: usize = 50;

/// A card payment started: where to send the payer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CardCheckout {
    pub url: String,
    pub amount: Money,
    pub session_id: String,
}

/// Only the parts of Stripe's answer this service reads.
#[derive(miniserde::Deserialize)]
struct SessionAnswer {
    id: String,
    url: Option<String>,
}

/// Starts paying `invoice_ids` (one payer's, `payer_id`'s when given, in the user's scope,
/// issued and owing) by card: asks Stripe for a Checkout Session for exactly what they owe and
/// records it as started.
#[allow(clippy::too_many_arguments)]
pub async fn start_card_payment<C>(
    db: &C,
    settings: &PaymentSettings,
    partnership: &Partnership,
    scope: &InvoiceScope,
    payer_id: Option<i64>,
    invoice_ids: &[i64],
    public_url: &str,
    actor: Actor,
) -> Result<CardCheckout, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if invoice_ids.is_empty() {
        return Err(ServiceError::invalid("invoices", "choose at least one invoice to pay"));
    }
    if invoice_ids.len() > MAX_INVOICES_PER_PAYMENT {
        return Err(ServiceError::invalid(
            "invoices",
            format!("pay at most {MAX_INVOICES_PER_PAYMENT} invoices at once"),
        ));
    }
    // The invoices are checked first, so no one learns anything of another payer's.
    let invoices = payable(db, partnership.id, scope, invoice_ids).await?;
    if payer_id.is_some_and(|p| p != invoices[0].payer_id) {
        return Err(ServiceError::invalid("invoices", "those invoices are not this payer's"));
    }
    let Some(creds) = credentials(db, settings, partnership.id).await? else {
        return Err(ServiceError::Conflict(format!("{} does not take card payments", partnership.name)));
    };
    let amount: Money = invoices.iter().map(|i| Money::from_pence(i.outstanding_pence)).sum();
    if amount > MAX_CARD_PAYMENT {
        return Err(ServiceError::invalid(
            "invoices",
            format!(
                "{amount} is more than one card payment can be ({MAX_CARD_PAYMENT}); pay by bank transfer"
            ),
        ));
    }
    let payer_id = invoices[0].payer_id;
    let ids_text = invoices.iter().map(|i| i.id.to_string()).collect::<Vec<_>>().join(",");
    let numbers: Vec<String> = invoices.iter().map(|i| i.number.clone().unwrap_or_default()).collect();
    let metadata = HashMap::from([
        ("partnership".to_string(), partnership.slug.clone()),
        ("invoice_ids".to_string(), ids_text.clone()),
        ("payer".to_string(), payer_id.to_string()),
    ]);
    let lines: Vec<CreateCheckoutSessionLineItems> = invoices
        .iter()
        .map(|i| {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::GBP);
            price.unit_amount = Some(i.outstanding_pence);
            price.product_data = Some(ProductData::new(format!(
                "Invoice {} from {}",
                i.number.as_deref().unwrap_or_default(),
                partnership.name
            )));
            let mut line = CreateCheckoutSessionLineItems::new();
            line.price_data = Some(price);
            line.quantity = Some(1);
            line
        })
        .collect();
    let mut intent = CreateCheckoutSessionPaymentIntentData::new();
    intent.metadata = Some(metadata.clone());
    intent.description = Some(format!("{}: {}", partnership.name, numbers.join(", ")));
    let base = public_url.trim_end_matches('/');
    let request = CreateCheckoutSession::new()
        .mode(stripe_checkout::CheckoutSessionMode::Payment)
        .line_items(lines)
        .metadata(metadata)
        .payment_intent_data(intent)
        .client_reference_id(payer_id.to_string())
        .success_url(format!("{base}/pay/done?session={{CHECKOUT_SESSION_ID}}"))
        .cancel_url(format!("{base}/pay/cancelled?invoices={ids_text}"));
    let answer = send_session(&creds, settings, request).await?;
    let url = answer.url.ok_or_else(|| {
        ServiceError::Unavailable(
            "Stripe made no payment page for this payment; try again in a minute".into(),
        )
    })?;
    let txn = begin_write(db).await?;
    provider_payment::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(payer_id),
        kind: Set(ProviderKind::Card.as_str().into()),
        checkout_session_id: Set(Some(answer.id.clone())),
        payment_intent_id: Set(None),
        invoice_ids: Set(ids_text),
        amount_pence: Set(to_stored_pence("amount", amount)?),
        state: Set(ProviderState::Started.as_str().into()),
        state_at: Set(actor.now),
        failure: Set(None),
        payment_id: Set(None),
        refunded_pence: Set(0),
        refund_requested_pence: Set(0),
        created_by_user_id: Set(actor.user_id),
        created_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(CardCheckout { url, amount, session_id: answer.id })
}

async fn send_session(
    creds: &Credentials,
    settings: &PaymentSettings,
    request: CreateCheckoutSession,
) -> Result<SessionAnswer, ServiceError> {
    let stripe = client(settings, creds)?;
    request
        .build()
        .customize::<SessionAnswer>()
        .send(&stripe)
        .await
        .map_err(|e| unavailable("The card payment page could not be opened", e))
}

/// The invoices, checked: in the partnership and the user's scope, issued, owing, one payer's,
/// none with a payment already pending; in the order asked.
async fn payable(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: &InvoiceScope,
    ids: &[i64],
) -> Result<Vec<invoice::Model>, ServiceError> {
    let found = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for id in ids {
        let inv = found
            .iter()
            .find(|i| i.id == *id)
            .filter(|i| scope.reaches(i.payer_id))
            .ok_or_else(|| ServiceError::NotFound(format!("invoice {id}")))?;
        let number = inv.number.clone().unwrap_or_else(|| "This invoice".into());
        if crate::services::invoices::stored::status(inv)? != InvoiceStatus::Issued {
            return Err(ServiceError::invalid("invoices", format!("{number} is not issued yet")));
        }
        if inv.outstanding_pence <= 0 {
            return Err(ServiceError::invalid("invoices", format!("{number} owes nothing")));
        }
        if out.first().is_some_and(|first: &invoice::Model| first.payer_id != inv.payer_id) {
            return Err(ServiceError::invalid("invoices", "pay one payer's invoices at a time"));
        }
        if !out.iter().any(|o: &invoice::Model| o.id == inv.id) {
            out.push(inv.clone());
        }
    }
    let pending = provider_payment::Entity::find()
        .filter(provider_payment::Column::PartnershipId.eq(partnership_id))
        .filter(provider_payment::Column::PayerId.eq(out[0].payer_id))
        .filter(provider_payment::Column::State.eq(ProviderState::Processing.as_str()))
        .all(db)
        .await?;
    for p in pending {
        let named = crate::domain::provider::parse_invoice_ids(&p.invoice_ids).unwrap_or_default();
        if let Some(inv) = out.iter().find(|i| named.contains(&i.id)) {
            return Err(ServiceError::invalid(
                "invoices",
                format!(
                    "a payment of {} for {} is pending; wait for it to clear",
                    Money::from_pence(p.amount_pence),
                    inv.number.as_deref().unwrap_or_default()
                ),
            ));
        }
    }
    Ok(out)
}

/// A payment asked of Stripe, as the invoice and account pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderPaymentView {
    pub id: i64,
    pub kind: ProviderKind,
    pub state: ProviderState,
    pub amount: Money,
    pub invoice_ids: Vec<i64>,
    pub failure: Option<String>,
    pub payment_id: Option<i64>,
    pub refunded: Money,
    pub refund_requested: Money,
    pub at: DateTime<Utc>,
}

impl ProviderPaymentView {
    /// "Collection pending: £1,200.00 by Direct Debit on 2 December 2026", with the bank's or
    /// card issuer's reason when it failed.
    pub fn in_words(&self) -> String {
        let state = match (self.kind, self.state) {
            (ProviderKind::DirectDebit, ProviderState::Processing) => "Collection pending",
            (_, state) => state.label(),
        };
        let mut words = format!(
            "{state}: {} by {} on {}",
            self.amount,
            self.kind.in_words(),
            self.at.date_naive().format("%-d %B %Y")
        );
        if let Some(why) = &self.failure {
            words.push_str(&format!(" ({why})"));
        }
        words
    }

    /// Pending or failed: worth showing to the payer and finance.
    pub fn worth_showing(&self) -> bool {
        matches!(self.state, ProviderState::Processing | ProviderState::Failed)
    }
}

fn view_of(m: &provider_payment::Model) -> Result<ProviderPaymentView, ServiceError> {
    let corrupt = |column: &'static str, value: &str, reason: &str| ServiceError::Corrupt {
        table: "provider_payments",
        column,
        value: value.to_string(),
        reason: reason.to_string(),
    };
    Ok(ProviderPaymentView {
        id: m.id,
        kind: ProviderKind::parse(&m.kind)
            .ok_or_else(|| corrupt("kind", &m.kind, "not a kind of payment"))?,
        state: ProviderState::parse(&m.state)
            .ok_or_else(|| corrupt("state", &m.state, "not a payment state"))?,
        amount: Money::from_pence(m.amount_pence),
        invoice_ids: crate::domain::provider::parse_invoice_ids(&m.invoice_ids)
            .map_err(|r| corrupt("invoice_ids", &m.invoice_ids, &r))?,
        failure: m.failure.clone(),
        payment_id: m.payment_id,
        refunded: Money::from_pence(m.refunded_pence),
        refund_requested: Money::from_pence(m.refund_requested_pence),
        at: m.created_at,
    })
}

/// The card payment Stripe's Checkout Session `session` made, if the scope reaches its payer.
pub async fn by_session(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: &InvoiceScope,
    session: &str,
) -> Result<Option<ProviderPaymentView>, ServiceError> {
    provider_payment::Entity::find()
        .filter(provider_payment::Column::PartnershipId.eq(partnership_id))
        .filter(provider_payment::Column::CheckoutSessionId.eq(session))
        .one(db)
        .await?
        .filter(|r| scope.reaches(r.payer_id))
        .as_ref()
        .map(view_of)
        .transpose()
}

/// The numbers of the invoices `ids` the scope reaches: (id, number), to link back to them.
pub async fn invoice_numbers(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: &InvoiceScope,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, ServiceError> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .filter(|i| scope.reaches(i.payer_id))
        .map(|i| (i.id, i.number.unwrap_or_default()))
        .collect())
}

/// A payer's card and Direct Debit payments, newest first (at most 100).
pub async fn payments_of_payer(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
) -> Result<Vec<ProviderPaymentView>, ServiceError> {
    provider_payment::Entity::find()
        .filter(provider_payment::Column::PartnershipId.eq(partnership_id))
        .filter(provider_payment::Column::PayerId.eq(payer_id))
        .order_by_desc(provider_payment::Column::Id)
        .limit(100)
        .all(db)
        .await?
        .iter()
        .map(view_of)
        .collect()
}

/// Only the parts of Stripe's refund answer this service reads.
#[derive(miniserde::Deserialize)]
struct RefundAnswer {
    id: String,
}

/// Asks Stripe to refund `amount` of a card payment (the ledger payment `payment_id`) to the
/// card. The ledger records the refund when Stripe's `charge.refunded` event confirms it.
pub async fn refund_card<C>(
    db: &C,
    settings: &PaymentSettings,
    partnership: &Partnership,
    payment_id: i64,
    amount: Money,
    actor: Actor,
) -> Result<String, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if amount <= Money::ZERO {
        return Err(ServiceError::invalid("amount", "enter an amount more than £0.00"));
    }
    let row = provider_payment::Entity::find()
        .filter(provider_payment::Column::PartnershipId.eq(partnership.id))
        .filter(provider_payment::Column::PaymentId.eq(payment_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Conflict("this payment was not made by card through Stripe".into()))?;
    let Some(intent) = row.payment_intent_id.clone() else {
        return Err(ServiceError::Conflict("Stripe has not said which payment this was".into()));
    };
    // Asked for but not yet confirmed counts, so a refund is never asked for twice.
    let asked = row.refunded_pence.max(row.refund_requested_pence);
    let left = Money::from_pence(row.amount_pence - asked);
    if amount > left {
        return Err(ServiceError::invalid(
            "amount",
            format!("at most {left} of this card payment can be refunded"),
        ));
    }
    let Some(creds) = credentials(db, settings, partnership.id).await? else {
        return Err(ServiceError::Conflict(format!("{} has no Stripe keys set", partnership.name)));
    };
    let stripe = client(settings, &creds)?;
    let pence = to_stored_pence("amount", amount)?;
    let answer = stripe_core::refund::CreateRefund::new()
        .payment_intent(intent)
        .amount(pence)
        .build()
        .customize::<RefundAnswer>()
        .send(&stripe)
        .await
        .map_err(|e| unavailable("The refund was not made", e))?;
    let txn = begin_write(db).await?;
    let requested = asked + pence;
    let mut active: provider_payment::ActiveModel = row.clone().into();
    active.refund_requested_pence = Set(requested);
    active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "stripe.refund_requested",
            entity: "payer",
            entity_id: row.payer_id,
            before: None,
            after: Some(serde_json::json!({ "amount": amount })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(answer.id)
}
