//! The audit log: every money-changing action, who did it, when, and the before and after.

use super::ServiceError;
use entity::audit_entry;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// One money-changing action. `before` and `after` are JSON snapshots of what changed.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub partnership_id: i64,
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: i64,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records one action in the same transaction as the change itself.
pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<(), ServiceError> {
    let Event { partnership_id, user_id, action, entity, entity_id, before, after } = event;
    audit_entry::ActiveModel {
        partnership_id: Set(partnership_id),
        user_id: Set(user_id),
        at: Set(chrono::Utc::now()),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id),
        before_json: Set(before.map(|v| v.to_string())),
        after_json: Set(after.map(|v| v.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The most recent entries, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, ServiceError> {
    let query = audit_entry::Entity::find()
        .filter(audit_entry::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(audit_entry::Column::Id);
    Ok(crate::services::rows_at(db, query, 0, limit).await?)
}

/// Which entries the log shows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    /// The start of the recorded action (one of `domain::audit::KINDS`).
    pub kind: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// An invoice number: entries about that invoice.
    pub invoice: Option<String>,
    /// A school's URN or part of its name: entries about its memberships and invoices.
    pub school: Option<String>,
}

/// One entry as the log shows it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The action as recorded, for the API (pages show the sentence).
    pub action: String,
    pub sentence: String,
    /// Where the thing changed can be seen, if it still exists.
    pub link: Option<String>,
    pub changes: Vec<crate::domain::audit::Change>,
}

/// A page of the log, newest first.
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// Entries per page of the log.
pub const PER_PAGE: u64 = 50;

/// A page of the log, filtered, each entry in words with a link to what it changed.
pub async fn page(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    filter: &AuditFilter,
    page: u64,
) -> Result<AuditPage, ServiceError> {
    use super::rows_by_id;
    use crate::domain::audit::{Entry, changes, sentence};
    use entity::{invoice, invoice_line, membership, offer, offer_level, payer, school, user};
    use sea_orm::Condition;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let mut query = audit_entry::Entity::find().filter(audit_entry::Column::PartnershipId.eq(partnership_id));
    if let Some(id) = filter.user_id {
        query = query.filter(audit_entry::Column::UserId.eq(id));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(Expr::col(audit_entry::Column::Action).like(format!("{kind}%")));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        query = query.filter(audit_entry::Column::At.gte(from.and_utc()));
    }
    if let Some(to) = filter.to.and_then(|d| d.succ_opt()).and_then(|d| d.and_hms_opt(0, 0, 0)) {
        query = query.filter(audit_entry::Column::At.lt(to.and_utc()));
    }
    if let Some(number) = filter.invoice.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let ids = Query::select()
            .column(invoice::Column::Id)
            .from(invoice::Entity)
            .and_where(invoice::Column::PartnershipId.eq(partnership_id))
            .and_where(Expr::col(invoice::Column::Number).eq(number.to_uppercase()))
            .to_owned();
        query = query
            .filter(audit_entry::Column::Entity.eq("invoice"))
            .filter(audit_entry::Column::EntityId.in_subquery(ids));
    }
    if let Some(typed) = filter.school.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let found = super::register::find_school(db, partnership_id, typed, 50).await?;
        let urns: Vec<i32> = found.iter().map(|(u, _)| *u).collect();
        let schools = Query::select()
            .column(school::Column::Id)
            .from(school::Entity)
            .and_where(school::Column::PartnershipId.eq(partnership_id))
            .and_where(school::Column::Urn.is_in(urns))
            .to_owned();
        let memberships = Query::select()
            .column(membership::Column::Id)
            .from(membership::Entity)
            .and_where(membership::Column::SchoolId.in_subquery(schools.clone()))
            .to_owned();
        let invoices = Query::select()
            .column(invoice_line::Column::InvoiceId)
            .from(invoice_line::Entity)
            .and_where(invoice_line::Column::SchoolId.in_subquery(schools))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(audit_entry::Column::Entity.eq("membership"))
                        .add(audit_entry::Column::EntityId.in_subquery(memberships)),
                )
                .add(
                    Condition::all()
                        .add(audit_entry::Column::Entity.eq("invoice"))
                        .add(audit_entry::Column::EntityId.in_subquery(invoices)),
                ),
        );
    }
    let found = super::page_of(
        db,
        query.order_by_desc(audit_entry::Column::At).order_by_desc(audit_entry::Column::Id),
        page,
        PER_PAGE,
    )
    .await?;
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    // What each entry is about, read a kind at a time (a handful of queries for the page).
    let ids_of = |entity: &str| -> Vec<i64> {
        found.rows.iter().filter(|e| e.entity == entity).map(|e| e.entity_id).collect()
    };
    let invoices = rows_by_id(
        db,
        invoice::Entity::find().filter(invoice::Column::PartnershipId.eq(partnership_id)),
        invoice::Column::Id,
        ids_of("invoice"),
    )
    .await?;
    let memberships = rows_by_id(
        db,
        membership::Entity::find().filter(membership::Column::PartnershipId.eq(partnership_id)),
        membership::Column::Id,
        ids_of("membership"),
    )
    .await?;
    let school_ids = memberships.values().map(|m| m.school_id).collect();
    let schools = rows_by_id(db, school::Entity::find(), school::Column::Id, school_ids).await?;
    // By id alone, the partnership checked on each: given both, SQLite (which has no
    // statistics) may walk the partnership's 24,000 payers instead of looking up 50.
    let mut payers = rows_by_id(db, payer::Entity::find(), payer::Column::Id, ids_of("payer")).await?;
    payers.retain(|_, p| p.partnership_id == partnership_id);
    let levels =
        rows_by_id(db, offer_level::Entity::find(), offer_level::Column::Id, ids_of("offer_level")).await?;
    let mut offer_ids = ids_of("offer");
    offer_ids.extend(levels.values().map(|l| l.offer_id));
    let offers = rows_by_id(
        db,
        offer::Entity::find().filter(offer::Column::PartnershipId.eq(partnership_id)),
        offer::Column::Id,
        offer_ids,
    )
    .await?;
    let statements = rows_by_id(
        db,
        entity::bank_statement::Entity::find()
            .filter(entity::bank_statement::Column::PartnershipId.eq(partnership_id)),
        entity::bank_statement::Column::Id,
        ids_of("bank_statement"),
    )
    .await?;
    let contracts = rows_by_id(
        db,
        entity::contract::Entity::find().filter(entity::contract::Column::PartnershipId.eq(partnership_id)),
        entity::contract::Column::Id,
        ids_of("contract"),
    )
    .await?;
    let mut rows = Vec::with_capacity(found.rows.len());
    for e in found.rows {
        let (subject, link): (Option<String>, Option<String>) = match e.entity.as_str() {
            "invoice" => invoices.get(&e.entity_id).map_or((None, None), |i| {
                (
                    Some(format!(
                        "{} ({})",
                        i.number.clone().unwrap_or_else(|| "an invoice not yet numbered".into()),
                        i.payer_name
                    )),
                    Some(format!("/invoices/{}", i.id)),
                )
            }),
            "membership" => memberships.get(&e.entity_id).map_or((None, None), |m| {
                (
                    schools.get(&m.school_id).map(|s| format!("{} (URN {})", s.name, s.urn)),
                    Some(format!("/billing/memberships/{}", m.id)),
                )
            }),
            "bank_statement" => statements.get(&e.entity_id).map_or((None, None), |s| {
                (Some(format!("the statement {}", s.file_name)), Some(format!("/bank-statements/{}", s.id)))
            }),
            "payer" => payers
                .get(&e.entity_id)
                .map_or((None, None), |p| (Some(p.name.clone()), Some(format!("/billing/payers/{}", p.id)))),
            "offer" => offers.get(&e.entity_id).map_or((None, None), |o| {
                (Some(format!("the {} offer", o.year)), Some(format!("/billing/offers/{}", o.year)))
            }),
            "offer_level" => levels
                .get(&e.entity_id)
                .and_then(|l| offers.get(&l.offer_id).map(|o| (l, o)))
                .map_or((None, None), |(l, o)| {
                    (
                        Some(format!("{} in the {} offer", l.name, o.year)),
                        Some(format!("/billing/offers/{}", o.year)),
                    )
                }),
            "user" => (
                names.get(&e.entity_id).cloned(),
                names.contains_key(&e.entity_id).then(|| format!("/users/{}", e.entity_id)),
            ),
            "outbox_message" => (Some("an email".into()), Some(format!("/mail/{}", e.entity_id))),
            "contract" => contracts.get(&e.entity_id).map_or((None, None), |c| {
                (Some(format!("the contract {}", c.title)), Some(format!("/contracts/{}", e.entity_id)))
            }),
            "renewal_round" => (Some("the renewal round".into()), Some(format!("/renewals/{}", e.entity_id))),
            "partnership" if e.action.starts_with("export") => {
                (Some("the account codes".into()), Some("/exports".into()))
            }
            "partnership" if e.action.starts_with("budget") => {
                (Some("the budgets".into()), Some("/reports".into()))
            }
            "partnership" if e.action.starts_with("reminders") => {
                (Some("the reminders and emails settings".into()), Some("/reminders".into()))
            }
            "partnership" if e.action.starts_with("invoice_settings") => {
                (Some("the invoice settings".into()), Some("/billing/settings".into()))
            }
            "partnership" => (Some("the partnership's details".into()), Some("/settings/partnership".into())),
            _ => (None, None),
        };
        let who = e.user_id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| "The system".into());
        let before = e.before_json.as_deref().and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok());
        let after = e.after_json.as_deref().and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok());
        let entry = Entry {
            who: &who,
            action: &e.action,
            subject: subject.as_deref(),
            before: before.as_ref(),
            after: after.as_ref(),
        };
        rows.push(AuditRow {
            at: e.at,
            sentence: sentence(&entry),
            link,
            changes: changes(&entry),
            action: e.action.clone(),
        });
    }
    Ok(AuditPage { rows, total: found.total, page: found.page, pages: found.pages })
}
