//! Payers (a school, its trust or its council): who an invoice is addressed to, their billing
//! contact and postal address, and the purchase-order numbers they give each year.

use super::audit::{self, Event};
use super::{FieldError, OrClash, ServiceError};
use crate::domain::address::postal_address;
pub use crate::domain::payer::PaidBy;
use entity::{local_authority, payer, purchase_order, school, trust};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

fn problem(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

/// The payer for a school's membership, created the first time it is needed.
pub async fn payer_for(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    school: &school::Model,
    paid_by: PaidBy,
) -> Result<payer::Model, ServiceError> {
    let (reference, name, address) = match paid_by {
        PaidBy::School => (
            format!("school:{}", school.id),
            school.name.clone(),
            postal_address(&school.name, [school.address.as_deref(), school.postcode.as_deref()]),
        ),
        PaidBy::Trust => {
            let trust_id = school
                .trust_id
                .ok_or_else(|| problem("paid_by", format!("{} is not in a trust", school.name)))?;
            let trust = trust::Entity::find_by_id(trust_id)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::NotFound("trust".into()))?;
            (
                format!("trust:{}", trust.id),
                trust.name.clone(),
                postal_address(&trust.name, [Some(trust.address.as_deref().unwrap_or("Finance team"))]),
            )
        }
        PaidBy::Council => return council_payer(db, partnership_id, school.local_authority_id).await,
    };
    find_or_make(db, partnership_id, paid_by.as_str(), reference, name, address).await
}

/// The payer for a council (a local authority of the partnership's register), created the
/// first time it is needed.
pub async fn council_payer(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    local_authority_id: i64,
) -> Result<payer::Model, ServiceError> {
    let la = local_authority::Entity::find_by_id(local_authority_id)
        .filter(local_authority::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("local authority".into()))?;
    let council = format!("{} Council", la.name);
    let address = postal_address(&council, [Some(la.address.as_deref().unwrap_or("Schools Finance"))]);
    find_or_make(db, partnership_id, PaidBy::Council.as_str(), format!("council:{}", la.id), council, address)
        .await
}

/// The payer for another organisation (a health body, a charity, a grant-maker), by its name:
/// the same name is the same payer.
pub async fn organisation_payer(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    name: &str,
    address: &str,
) -> Result<payer::Model, ServiceError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let reference = format!("organisation:{}", name.to_lowercase());
    let address = postal_address(&name, address.lines().map(Some));
    find_or_make(
        db,
        partnership_id,
        crate::domain::payer::PayerKind::Organisation.as_str(),
        reference,
        name,
        address,
    )
    .await
}

async fn find_or_make(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    kind: &str,
    reference: String,
    name: String,
    address: String,
) -> Result<payer::Model, ServiceError> {
    if let Some(existing) = payer::Entity::find()
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .filter(payer::Column::Reference.eq(reference.as_str()))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    Ok(payer::ActiveModel {
        partnership_id: Set(partnership_id),
        kind: Set(kind.to_string()),
        reference: Set(reference),
        name: Set(name),
        address: Set(address),
        email: Set(None),
        requires_po: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The payers to offer as a choice: all of them, by name, when there are at most `limit`;
/// otherwise (a national register has thousands, which no list can be chosen from) only
/// `chosen`, so a filter already applied still shows, and people search by name instead.
pub async fn payers_to_choose(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    limit: u64,
    chosen: Option<i64>,
) -> Result<Vec<payer::Model>, ServiceError> {
    use sea_orm::{PaginatorTrait, QuerySelect};
    let mut query = payer::Entity::find().filter(payer::Column::PartnershipId.eq(partnership_id));
    if query.clone().limit(limit + 1).count(db).await? > limit {
        let Some(chosen) = chosen else { return Ok(Vec::new()) };
        query = query.filter(payer::Column::Id.eq(chosen));
    }
    Ok(query.order_by_asc(payer::Column::Name).all(db).await?)
}

/// Says whether a payer's invoices wait for a purchase-order number.
pub async fn set_requires_po(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
    requires: bool,
    user_id: Option<i64>,
) -> Result<payer::Model, ServiceError> {
    let found = payer::Entity::find_by_id(payer_id)
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {payer_id}")))?;
    let before = found.requires_po;
    let mut active: payer::ActiveModel = found.into();
    active.requires_po = Set(requires);
    let updated = active.update(db).await?;
    audit::record(
        db,
        Event {
            partnership_id,
            user_id,
            action: "payer.requires_po",
            entity: "payer",
            entity_id: payer_id,
            before: Some(serde_json::json!(before)),
            after: Some(serde_json::json!(requires)),
        },
    )
    .await?;
    Ok(updated)
}

/// The PO number a payer gave for a year, if any.
pub async fn po_number(
    db: &impl ConnectionTrait,
    payer_id: i64,
    year: &str,
) -> Result<Option<String>, ServiceError> {
    Ok(purchase_order::Entity::find()
        .filter(purchase_order::Column::PayerId.eq(payer_id))
        .filter(purchase_order::Column::Year.eq(year))
        .one(db)
        .await?
        .map(|p| p.po_number))
}

/// Records (or replaces) the PO number a payer gave for a year.
pub async fn record_po(
    db: &impl ConnectionTrait,
    payer_id: i64,
    year: &str,
    po: &str,
    user_id: Option<i64>,
) -> Result<(), ServiceError> {
    let po = po.trim();
    if po.is_empty() || po.chars().count() > 60 || crate::domain::text::control_character(po).is_some() {
        return Err(problem("po_number", "enter the purchase-order number (up to 60 characters)"));
    }
    let existing = purchase_order::Entity::find()
        .filter(purchase_order::Column::PayerId.eq(payer_id))
        .filter(purchase_order::Column::Year.eq(year))
        .one(db)
        .await?;
    match existing {
        Some(row) => {
            let mut active: purchase_order::ActiveModel = row.into();
            active.po_number = Set(po.to_string());
            active.entered_by_user_id = Set(user_id);
            active.entered_at = Set(chrono::Utc::now());
            active.update(db).await?;
        }
        None => {
            purchase_order::ActiveModel {
                payer_id: Set(payer_id),
                year: Set(year.to_string()),
                po_number: Set(po.to_string()),
                entered_by_user_id: Set(user_id),
                entered_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await
            .or_clash("po_number", "a PO number for that year was recorded at the same moment: look again")?;
        }
    }
    Ok(())
}

/// One page of payers, by name, with how many invoices each has held for a PO number.
pub struct PayerPage {
    pub payers: Vec<(payer::Model, u64)>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// Payers per page of the list.
pub const PER_PAGE: u64 = 50;

/// A page of the partnership's payers whose name contains `q`; `held_only` keeps those with
/// invoices waiting for a PO number.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    q: &str,
    held_only: bool,
    page: u64,
) -> Result<PayerPage, ServiceError> {
    use crate::domain::invoice::InvoiceStatus;
    use entity::invoice;
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let mut query = payer::Entity::find().filter(payer::Column::PartnershipId.eq(partnership_id));
    if !q.trim().is_empty() {
        let backend = db.get_database_backend();
        query = query.filter(super::contains_text(backend, Expr::col(payer::Column::Name), q.trim()));
    }
    let held = Query::select()
        .column(invoice::Column::PayerId)
        .from(invoice::Entity)
        .and_where(invoice::Column::PartnershipId.eq(partnership_id))
        .and_where(invoice::Column::Status.eq(InvoiceStatus::WaitingForPo.as_str()))
        .to_owned();
    if held_only {
        query = query.filter(payer::Column::Id.in_subquery(held));
    }
    let query = query.order_by_asc(payer::Column::Name).order_by_asc(payer::Column::Id);
    let found = if q.trim().is_empty() {
        super::page_in_kept_order(db, query, payer::Column::Id, page, PER_PAGE).await?
    } else {
        super::page_of(db, query, page, PER_PAGE).await?
    };
    let ids: Vec<i64> = found.rows.iter().map(|p| p.id).collect();
    let counts: Vec<(i64, i64)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::PayerId)
        .column_as(Expr::col(invoice::Column::Id).count(), "held")
        .filter(invoice::Column::PayerId.is_in(ids))
        .filter(invoice::Column::Status.eq(InvoiceStatus::WaitingForPo.as_str()))
        .group_by(invoice::Column::PayerId)
        .into_tuple()
        .all(db)
        .await?;
    let payers = found
        .rows
        .into_iter()
        .map(|p| {
            let n =
                counts.iter().find(|(id, _)| *id == p.id).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
            (p, n)
        })
        .collect();
    Ok(PayerPage { payers, total: found.total, page: found.page, pages: found.pages })
}

/// One payer of the partnership.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<payer::Model, ServiceError> {
    payer::Entity::find_by_id(id)
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {id}")))
}

/// A payer's invoices held for a PO number: id, year, period label and total, oldest first.
pub async fn held_invoices(
    db: &impl ConnectionTrait,
    payer_id: i64,
) -> Result<Vec<(i64, String, String, crate::domain::money::Money)>, ServiceError> {
    use crate::domain::invoice::InvoiceStatus;
    use entity::invoice;
    Ok(invoice::Entity::find()
        .filter(invoice::Column::PayerId.eq(payer_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::WaitingForPo.as_str()))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.year, i.period, crate::domain::money::Money::from_pence(i.gross_pence)))
        .collect())
}

/// A payer's billing contact and postal address as typed.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub contact_name: String,
    pub email: String,
    /// The lines under the payer's name (the name itself is the school's, trust's or council's).
    pub address: String,
}

/// Changes a payer's billing contact and postal address; a trust's or council's address is
/// kept on the trust or council too, for payers made later. Invoices already raised keep the
/// address they were issued with.
pub async fn update_contact<C>(
    db: &C,
    partnership_id: i64,
    id: i64,
    contact: &Contact,
    user_id: Option<i64>,
) -> Result<payer::Model, ServiceError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    use crate::domain::text;
    let found = get(db, partnership_id, id).await?;
    let mut errors = Vec::new();
    let name = text::optional(&contact.contact_name, text::MAX_NAME_CHARS)
        .map_err(|m| errors.push(FieldError { field: "contact_name".into(), message: m }))
        .ok();
    let email = billing_addresses(&contact.email)
        .map_err(|message| errors.push(FieldError { field: "email".into(), message }))
        .unwrap_or_default();
    let address = text::optional(&contact.address, text::MAX_ADDRESS_CHARS)
        .map_err(|m| errors.push(FieldError { field: "address".into(), message: m }))
        .ok();
    if contact.address.trim().is_empty() {
        errors.push(FieldError {
            field: "address".into(),
            message: "Enter the postal address invoices go to, with the postcode".into(),
        });
    }
    let (Some(name), Some(address), true) = (name, address, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let lines = address.unwrap_or_default();
    let full = postal_address(&found.name, [Some(lines.as_str())]);
    let before = serde_json::json!({"contact_name": found.contact_name, "email": found.email, "address": found.address});
    let txn = super::begin_write(db).await?;
    let mut active: payer::ActiveModel = found.clone().into();
    active.contact_name = Set(name);
    active.email = Set((!email.is_empty()).then_some(email));
    active.address = Set(full);
    let updated = active.update(&txn).await?;
    if let Some((kind, other)) = found.reference.split_once(':')
        && let Ok(other) = other.parse::<i64>()
    {
        match kind {
            "trust" => {
                trust::Entity::update_many()
                    .col_expr(trust::Column::Address, sea_orm::sea_query::Expr::value(lines.clone()))
                    .filter(trust::Column::Id.eq(other))
                    .filter(trust::Column::PartnershipId.eq(partnership_id))
                    .exec(&txn)
                    .await?;
            }
            "council" => {
                local_authority::Entity::update_many()
                    .col_expr(
                        local_authority::Column::Address,
                        sea_orm::sea_query::Expr::value(lines.clone()),
                    )
                    .filter(local_authority::Column::Id.eq(other))
                    .filter(local_authority::Column::PartnershipId.eq(partnership_id))
                    .exec(&txn)
                    .await?;
            }
            _ => {}
        }
    }
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "payer.contact_changed",
            entity: "payer",
            entity_id: id,
            before: Some(before),
            after: Some(serde_json::json!({"contact_name": updated.contact_name, "email": updated.email, "address": updated.address})),
        },
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(updated)
}

/// The lines of a payer's address under its name, for the form.
pub fn address_lines(payer: &payer::Model) -> String {
    let mut lines: Vec<&str> = payer.address.lines().collect();
    if lines.first().is_some_and(|l| l.trim().eq_ignore_ascii_case(payer.name.trim())) {
        lines.remove(0);
    }
    lines.join("\n")
}

/// Sets a payer's billing email addresses (as typed: separated by commas), for finance or the
/// payer's own school business manager; everything else about the payer stays as it is.
pub async fn set_billing_emails<C>(
    db: &C,
    partnership_id: i64,
    id: i64,
    typed: &str,
    user_id: Option<i64>,
) -> Result<payer::Model, ServiceError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    let joined = billing_addresses(typed).map_err(|m| ServiceError::invalid("email", m))?;
    let txn = super::begin_write(db).await?;
    let found = get(&txn, partnership_id, id).await?;
    let mut active: payer::ActiveModel = found.clone().into();
    active.email = Set((!joined.is_empty()).then_some(joined));
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "payer.emails_changed",
            entity: "payer",
            entity_id: id,
            before: Some(serde_json::json!({"email": found.email})),
            after: Some(serde_json::json!({"email": updated.email})),
        },
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(updated)
}

/// Billing addresses as typed, checked and joined as stored; or the problem, as a sentence.
fn billing_addresses(typed: &str) -> Result<String, String> {
    crate::domain::mail::parse_addresses(typed)
        .map(|list| crate::domain::mail::join_addresses(&list))
        .map_err(|m| {
            let mut chars = m.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        })
}
