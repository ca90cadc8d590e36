//! Partnerships: the tenants. Every other record belongs to one.

use super::{OrClash, ServiceError};
use crate::domain::money::Money;
use crate::domain::partnership::YearKind;
use crate::domain::text;
use entity::partnership;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// The longest payment terms a partnership may set.
pub const MAX_PAYMENT_TERMS_DAYS: i32 = 120;

/// A partnership as the rest of the service sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Partnership {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub address: String,
    pub vat_number: Option<String>,
    pub year_kind: YearKind,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    pub payment_terms_days: i32,
    pub bank_account_name: Option<String>,
    pub bank_sort_code: Option<String>,
    pub bank_account_number: Option<String>,
    pub remittance_email: Option<String>,
    pub company_number: Option<String>,
    pub registered_office: Option<String>,
    /// The largest remainder finance may write off as small (not a bad debt).
    pub small_write_off: Money,
}

impl Partnership {
    /// A partnership without a VAT number is not VAT-registered and charges no VAT.
    pub fn vat_registered(&self) -> bool {
        self.vat_number.as_deref().is_some_and(|v| !v.trim().is_empty())
    }

    /// When an invoice issued on `issued` falls due: the payment terms later.
    pub fn due_date(&self, issued: chrono::NaiveDate) -> chrono::NaiveDate {
        let days = self.payment_terms_days.clamp(0, MAX_PAYMENT_TERMS_DAYS) as u64;
        issued.checked_add_days(chrono::Days::new(days)).unwrap_or(issued)
    }
}

/// What it takes to create a partnership.
#[derive(Debug, Clone)]
pub struct NewPartnership {
    pub slug: String,
    pub name: String,
    pub address: String,
    pub vat_number: Option<String>,
    pub year_kind: YearKind,
}

pub(crate) fn from_model(m: partnership::Model) -> Result<Partnership, ServiceError> {
    Ok(Partnership {
        id: m.id,
        slug: m.slug,
        name: m.name,
        address: m.address,
        vat_number: m.vat_number,
        year_kind: super::read_stored("partnerships", "year_kind", &m.year_kind)?,
        invoice_prefix: m.invoice_prefix,
        credit_note_prefix: m.credit_note_prefix,
        payment_terms_days: m.payment_terms_days,
        bank_account_name: m.bank_account_name,
        bank_sort_code: m.bank_sort_code,
        bank_account_number: m.bank_account_number,
        remittance_email: m.remittance_email,
        company_number: m.company_number,
        registered_office: m.registered_office,
        small_write_off: if m.small_write_off_pence >= 0 {
            Money::from_pence(m.small_write_off_pence)
        } else {
            return Err(ServiceError::Corrupt {
                table: "partnerships",
                column: "small_write_off_pence",
                value: m.small_write_off_pence.to_string(),
                reason: "a write-off limit is never negative".into(),
            });
        },
    })
}

/// Checks a slug: lower-case letters, digits and hyphens, 2 to 40 characters.
pub fn check_slug(slug: &str) -> Result<(), ServiceError> {
    let ok = (2..=40).contains(&slug.len())
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "slug",
            format!("\"{slug}\" must be 2 to 40 lower-case letters, digits or hyphens"),
        ))
    }
}

/// How the partnership's invoices are numbered, paid and remitted.
#[derive(Debug, Clone)]
pub struct InvoiceSettings {
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    pub payment_terms_days: i32,
    pub bank_account_name: Option<String>,
    pub bank_sort_code: Option<String>,
    pub bank_account_number: Option<String>,
    pub remittance_email: Option<String>,
    /// The largest remainder written off as small; `None` keeps it as it is.
    pub small_write_off: Option<Money>,
}

/// The largest small remainder a partnership may set.
pub const MAX_SMALL_WRITE_OFF: Money = Money::from_pence_const(10_000);

/// Changes the invoice settings; prefixes may change, but numbers already given never do.
pub async fn set_invoice_settings(
    db: &impl ConnectionTrait,
    id: i64,
    settings: InvoiceSettings,
    user_id: Option<i64>,
) -> Result<Partnership, ServiceError> {
    let mut errors = Vec::new();
    for (field, prefix) in
        [("invoice_prefix", &settings.invoice_prefix), ("credit_note_prefix", &settings.credit_note_prefix)]
    {
        if prefix.len() > 12 || prefix.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '/')) {
            errors.push(super::FieldError {
                field: field.into(),
                message: format!("\"{prefix}\" must be up to 12 letters, digits, hyphens or slashes"),
            });
        }
    }
    for (field, value, max) in [
        ("bank_account_name", &settings.bank_account_name, text::MAX_NAME_CHARS),
        ("bank_sort_code", &settings.bank_sort_code, 20),
        ("bank_account_number", &settings.bank_account_number, 20),
        ("remittance_email", &settings.remittance_email, 254),
    ] {
        if let Some(Err(message)) = value.as_deref().map(|v| text::optional(v, max)) {
            errors.push(super::FieldError { field: field.into(), message });
        }
    }
    if !(0..=MAX_PAYMENT_TERMS_DAYS).contains(&settings.payment_terms_days) {
        errors.push(super::FieldError {
            field: "payment_terms_days".into(),
            message: format!("{} days is not between 0 and 120", settings.payment_terms_days),
        });
    }
    if let Some(limit) = settings.small_write_off
        && (limit.is_negative() || limit > MAX_SMALL_WRITE_OFF)
    {
        errors.push(super::FieldError {
            field: "small_write_off".into(),
            message: format!(
                "{limit} is not between £0.00 and {MAX_SMALL_WRITE_OFF}: a bigger debt is written off as bad"
            ),
        });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let model = partnership::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("partnership {id}")))?;
    let before = serde_json::json!({"invoice_prefix": model.invoice_prefix, "credit_note_prefix": model.credit_note_prefix, "payment_terms_days": model.payment_terms_days, "bank_sort_code": model.bank_sort_code, "bank_account_number": model.bank_account_number});
    let after = serde_json::json!({"invoice_prefix": settings.invoice_prefix, "credit_note_prefix": settings.credit_note_prefix, "payment_terms_days": settings.payment_terms_days, "bank_sort_code": settings.bank_sort_code, "bank_account_number": settings.bank_account_number});
    let mut active: partnership::ActiveModel = model.into();
    active.invoice_prefix = Set(settings.invoice_prefix);
    active.credit_note_prefix = Set(settings.credit_note_prefix);
    active.payment_terms_days = Set(settings.payment_terms_days);
    active.bank_account_name = Set(settings.bank_account_name);
    active.bank_sort_code = Set(settings.bank_sort_code);
    active.bank_account_number = Set(settings.bank_account_number);
    active.remittance_email = Set(settings.remittance_email);
    if let Some(limit) = settings.small_write_off {
        active.small_write_off_pence = Set(super::to_stored_pence("small_write_off", limit)?);
    }
    let saved = from_model(active.update(db).await?)?;
    // Signed-in people carry their partnership: they see the new settings at once.
    super::auth::changed();
    super::audit::record(
        db,
        super::audit::Event {
            partnership_id: id,
            user_id,
            action: "invoice_settings.changed",
            entity: "partnership",
            entity_id: id,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    Ok(saved)
}

/// Who the partnership is, as its documents print it.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub name: String,
    pub address: String,
    pub vat_number: String,
    pub company_number: String,
    pub registered_office: String,
    pub year_kind: String,
}

/// Changes the partnership's name, address, VAT and company numbers, registered office and
/// membership-year kind. Invoices already raised keep the details they were issued with; the
/// year kind cannot change once there is an offer.
pub async fn set_details(
    db: &impl ConnectionTrait,
    id: i64,
    details: &Details,
    user_id: Option<i64>,
) -> Result<Partnership, ServiceError> {
    use crate::domain::partnership::{company_number, vat_number};
    let mut errors = Vec::new();
    let mut problem = |field: &str, message: String| {
        errors.push(super::FieldError { field: field.into(), message });
    };
    let name = text::required(&details.name, text::MAX_NAME_CHARS, "enter the partnership's name")
        .map_err(|m| problem("name", m))
        .ok();
    let address =
        text::optional(&details.address, text::MAX_ADDRESS_CHARS).map_err(|m| problem("address", m)).ok();
    let office = text::optional(&details.registered_office, text::MAX_ADDRESS_CHARS)
        .map_err(|m| problem("registered_office", m))
        .ok();
    let optional =
        |text: &str, check: fn(&str) -> Result<String, String>| -> Result<Option<String>, String> {
            if text.trim().is_empty() { Ok(None) } else { check(text).map(Some) }
        };
    let vat = optional(&details.vat_number, vat_number).map_err(|m| problem("vat_number", m)).ok();
    let company =
        optional(&details.company_number, company_number).map_err(|m| problem("company_number", m)).ok();
    let kind = YearKind::parse(&details.year_kind);
    if kind.is_none() {
        problem("year_kind", format!("\"{}\" is not academic or financial", details.year_kind));
    }
    let model = partnership::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("partnership {id}")))?;
    if let Some(kind) = kind
        && kind.as_str() != model.year_kind
    {
        let offers = super::offers::list(db, id).await?;
        if let Some(first) = offers.last() {
            problem(
                "year_kind",
                format!("the membership year cannot change now that there is an offer (for {})", first.year),
            );
        }
    }
    let (Some(name), Some(address), Some(office), Some(vat), Some(company), Some(kind), true) =
        (name, address, office, vat, company, kind, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };
    let shot = |m: &partnership::Model| serde_json::json!({"name": m.name, "address": m.address, "vat_number": m.vat_number, "company_number": m.company_number, "registered_office": m.registered_office, "year_kind": m.year_kind});
    let before = shot(&model);
    let mut active: partnership::ActiveModel = model.into();
    active.name = Set(name);
    active.address = Set(address.unwrap_or_default());
    active.vat_number = Set(vat);
    active.company_number = Set(company);
    active.registered_office = Set(office);
    active.year_kind = Set(kind.as_str().to_string());
    let updated = active.update(db).await?;
    let after = shot(&updated);
    // Signed-in people carry their partnership: they see the new details at once.
    super::auth::changed();
    super::audit::record(
        db,
        super::audit::Event {
            partnership_id: id,
            user_id,
            action: "partnership.details_changed",
            entity: "partnership",
            entity_id: id,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    from_model(updated)
}

/// Creates a partnership; a slug already in use is a conflict.
pub async fn create(db: &impl ConnectionTrait, new: NewPartnership) -> Result<Partnership, ServiceError> {
    check_slug(&new.slug)?;
    let mut errors = Vec::new();
    if let Err(message) = text::required(&new.name, text::MAX_NAME_CHARS, "a partnership needs a name") {
        errors.push(super::FieldError { field: "name".into(), message });
    }
    if let Err(message) = text::optional(&new.address, text::MAX_ADDRESS_CHARS) {
        errors.push(super::FieldError { field: "address".into(), message });
    }
    if let Some(Err(message)) = new.vat_number.as_deref().map(|v| text::optional(v, 20)) {
        errors.push(super::FieldError { field: "vat_number".into(), message });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    if find_by_slug(db, &new.slug).await?.is_some() {
        return Err(ServiceError::Conflict(format!(
            "a partnership with slug \"{}\" already exists",
            new.slug
        )));
    }
    let model = partnership::ActiveModel {
        slug: Set(new.slug),
        name: Set(new.name.trim().to_string()),
        address: Set(new.address),
        vat_number: Set(new.vat_number),
        year_kind: Set(new.year_kind.as_str().to_string()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_clash("slug", "a partnership with that slug already exists")?;
    from_model(model)
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Partnership>, ServiceError> {
    partnership::Entity::find()
        .filter(partnership::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(from_model)
        .transpose()
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Partnership, ServiceError> {
    partnership::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(from_model)
        .transpose()?
        .ok_or_else(|| ServiceError::NotFound(format!("partnership {id}")))
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Partnership>, ServiceError> {
    partnership::Entity::find()
        .order_by_asc(partnership::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// The partnership named by `slug`, or the only one when no slug is given.
pub async fn resolve(db: &impl ConnectionTrait, slug: Option<&str>) -> Result<Partnership, ServiceError> {
    match slug {
        Some(slug) => find_by_slug(db, slug)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("partnership \"{slug}\""))),
        None => {
            let mut all = list(db).await?;
            match all.len() {
                1 => Ok(all.remove(0)),
                0 => Err(ServiceError::NotFound("any partnership (run `demo` or create one)".into())),
                _ => Err(ServiceError::invalid(
                    "partnership",
                    "there is more than one partnership: say which with --partnership SLUG",
                )),
            }
        }
    }
}
