//! Invoices and credit notes: issuing with unbroken numbers, reading, crediting and voiding.
//! An issued invoice is never edited or deleted; corrections are credit notes.

use super::audit::{self, Event};
use super::partnerships::Partnership;
use super::{FieldError, ServiceError};
use crate::domain::invoice::{self as doc, CreditError, Line, LineSource, Totals, document_number};
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use chrono::NaiveDate;
use entity::{credit_note, credit_note_line, document_sequence, invoice, invoice_line, payer};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;

/// Where an invoice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    /// Held until the payer gives a purchase-order number.
    WaitingForPo,
    Issued,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::WaitingForPo => "waiting_for_po",
            Status::Issued => "issued",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Draft, Status::WaitingForPo, Status::Issued].into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::WaitingForPo => "Waiting for PO",
            Status::Issued => "Issued",
        }
    }
}

/// The kinds of numbered document.
pub const INVOICE: &str = "invoice";
pub const CREDIT_NOTE: &str = "credit_note";

/// Takes the next number of a sequence inside the caller's transaction (see
/// [`allocate_block`]): numbers never skip or repeat.
pub async fn allocate_number(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    kind: &str,
) -> Result<i64, ServiceError> {
    allocate_block(db, partnership_id, kind, 1).await
}

/// Takes `count` consecutive numbers of a sequence inside the caller's transaction and returns
/// the first. The row is updated first, so a concurrent transaction waits for this one, and a
/// rolled-back one gives its numbers back.
pub async fn allocate_block(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    kind: &str,
    count: i64,
) -> Result<i64, ServiceError> {
    let filter = Condition::all()
        .add(document_sequence::Column::PartnershipId.eq(partnership_id))
        .add(document_sequence::Column::Kind.eq(kind));
    let updated = document_sequence::Entity::update_many()
        .col_expr(
            document_sequence::Column::NextValue,
            Expr::col(document_sequence::Column::NextValue).add(count),
        )
        .filter(filter.clone())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        document_sequence::ActiveModel {
            partnership_id: Set(partnership_id),
            kind: Set(kind.to_string()),
            next_value: Set(count + 1),
            ..Default::default()
        }
        .insert(db)
        .await?;
        return Ok(1);
    }
    let row = document_sequence::Entity::find()
        .filter(filter)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("sequence".into()))?;
    Ok(row.next_value - count)
}

/// Issues a draft or held invoice on `today`: gives it the next number and its dates.
pub async fn issue(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    draft: invoice::Model,
    po_number: Option<String>,
    today: NaiveDate,
    user_id: Option<i64>,
) -> Result<invoice::Model, ServiceError> {
    if draft.status == Status::Issued.as_str() {
        return Err(ServiceError::Conflict(format!(
            "invoice {} is already issued",
            draft.number.unwrap_or_default()
        )));
    }
    let sequence = allocate_number(db, partnership.id, INVOICE).await?;
    let number = document_number(&partnership.invoice_prefix, sequence);
    let id = draft.id;
    let mut active: invoice::ActiveModel = draft.into();
    active.status = Set(Status::Issued.as_str().to_string());
    active.sequence = Set(Some(sequence));
    active.number = Set(Some(number.clone()));
    active.issue_date = Set(Some(today));
    active.supply_date = Set(Some(today));
    active.due_date =
        Set(Some(today + chrono::Days::new(Ord::max(partnership.payment_terms_days, 0) as u64)));
    active.issued_at = Set(Some(chrono::Utc::now()));
    if po_number.is_some() {
        active.po_number = Set(po_number);
    }
    let issued = active.update(db).await?;
    audit::record(
        db,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "invoice.issued",
            entity: "invoice",
            entity_id: id,
            before: None,
            after: Some(serde_json::json!({"number": number, "gross": Money::from_pence(issued.gross_pence), "payer": issued.payer_name})),
        },
    )
    .await?;
    Ok(issued)
}

/// One line as pages, the API and PDFs show it.
#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub id: i64,
    pub position: i32,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Money,
    pub net: Money,
    pub vat_rate: VatRate,
    pub credited: Money,
}

/// A credit note in brief.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteSummary {
    pub id: i64,
    pub number: String,
    pub issue_date: NaiveDate,
    pub reason: String,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

/// Everything about one invoice.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceView {
    pub id: i64,
    pub number: Option<String>,
    pub status: Status,
    pub payer_id: i64,
    pub payer_name: String,
    pub payer_address: String,
    pub year: String,
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub issue_date: Option<NaiveDate>,
    pub supply_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub po_number: Option<String>,
    pub supplier_name: String,
    pub supplier_address: String,
    pub supplier_vat_number: Option<String>,
    pub lines: Vec<LineView>,
    pub totals: Totals,
    pub credited: Money,
    pub outstanding: Money,
    pub overdue: bool,
    pub credit_notes: Vec<CreditNoteSummary>,
}

/// Which invoices a caller may see.
#[derive(Debug, Clone)]
pub enum InvoiceScope {
    All,
    /// Only invoices addressed to these payers.
    Payers(Vec<i64>),
}

/// Filters for the invoice list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<Status>,
    pub payer_id: Option<i64>,
    pub year: Option<String>,
    pub overdue: bool,
    /// An invoice number, or part of a payer's or school's name.
    pub q: Option<String>,
}

/// An invoice in a list.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceSummary {
    pub id: i64,
    pub number: Option<String>,
    pub status: Status,
    pub payer_name: String,
    pub year: String,
    pub period: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub gross: Money,
    pub credited: Money,
    pub outstanding: Money,
    pub overdue: bool,
}

async fn credited_by_invoice(
    db: &impl ConnectionTrait,
    invoice_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Money>, ServiceError> {
    let mut map = std::collections::HashMap::new();
    for chunk in invoice_ids.chunks(500) {
        for note in credit_note::Entity::find()
            .filter(credit_note::Column::InvoiceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let entry = map.entry(note.invoice_id).or_insert(Money::ZERO);
            *entry = *entry + Money::from_pence(note.gross_pence);
        }
    }
    Ok(map)
}

/// The partnership's invoices that the scope reaches and the filter keeps, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: &InvoiceScope,
    filter: &InvoiceFilter,
    today: NaiveDate,
) -> Result<Vec<InvoiceSummary>, ServiceError> {
    let mut query = invoice::Entity::find().filter(invoice::Column::PartnershipId.eq(partnership_id));
    if let InvoiceScope::Payers(ids) = scope {
        query = query.filter(invoice::Column::PayerId.is_in(ids.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(invoice::Column::Status.eq(status.as_str()));
    }
    if let Some(payer) = filter.payer_id {
        query = query.filter(invoice::Column::PayerId.eq(payer));
    }
    if let Some(year) = filter.year.as_deref().filter(|y| !y.is_empty()) {
        query = query.filter(invoice::Column::Year.eq(year));
    }
    if filter.overdue {
        query = query
            .filter(invoice::Column::Status.eq(Status::Issued.as_str()))
            .filter(invoice::Column::DueDate.lt(today));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        use sea_orm::sea_query::Func;
        let school_lines = sea_orm::sea_query::Query::select()
            .column(invoice_line::Column::InvoiceId)
            .from(invoice_line::Entity)
            .and_where(
                Expr::expr(Func::lower(Expr::col(invoice_line::Column::Description))).like(pattern.clone()),
            )
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(invoice::Column::Number))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(invoice::Column::PayerName))).like(pattern))
                .add(invoice::Column::Id.in_subquery(school_lines)),
        );
    }
    let models = query.order_by_desc(invoice::Column::Id).all(db).await?;
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let credited = credited_by_invoice(db, &ids).await?;
    let summaries = models
        .into_iter()
        .map(|m| {
            let credited = credited.get(&m.id).copied().unwrap_or_default();
            let gross = Money::from_pence(m.gross_pence);
            let outstanding = gross - credited;
            let status = Status::parse(&m.status).unwrap_or(Status::Draft);
            InvoiceSummary {
                id: m.id,
                overdue: status == Status::Issued
                    && m.due_date.is_some_and(|d| d < today)
                    && !outstanding.amount().is_zero(),
                number: m.number,
                status,
                payer_name: m.payer_name,
                year: m.year,
                period: m.period,
                issue_date: m.issue_date,
                due_date: m.due_date,
                gross,
                credited,
                outstanding,
            }
        })
        // Overdue means money is still owed: a fully credited invoice is never overdue.
        .filter(|s: &InvoiceSummary| !filter.overdue || s.overdue)
        .collect();
    Ok(summaries)
}

fn line_of(model: &invoice_line::Model) -> Line {
    Line {
        description: model.description.clone(),
        quantity: model.quantity.parse().unwrap_or(Decimal::ONE),
        unit_price: Money::from_pence(model.unit_price_pence),
        net: Money::from_pence(model.net_pence),
        vat_rate: VatRate::parse(&model.vat_rate).unwrap_or(VatRate::Standard),
        source: LineSource::Other { reference: format!("{}:{}", model.source_kind, model.source_id) },
    }
}

/// One invoice, if the scope reaches it.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    scope: &InvoiceScope,
    today: NaiveDate,
) -> Result<InvoiceView, ServiceError> {
    let m = invoice::Entity::find_by_id(id)
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .filter(|m| match scope {
            InvoiceScope::All => true,
            InvoiceScope::Payers(ids) => ids.contains(&m.payer_id),
        })
        .ok_or_else(|| ServiceError::NotFound(format!("invoice {id}")))?;
    let lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(m.id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?;
    let notes = credit_note::Entity::find()
        .filter(credit_note::Column::InvoiceId.eq(m.id))
        .order_by_asc(credit_note::Column::Id)
        .all(db)
        .await?;
    let note_ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    let note_lines = credit_note_line::Entity::find()
        .filter(credit_note_line::Column::CreditNoteId.is_in(note_ids))
        .all(db)
        .await?;
    let credited_line = |line_id: i64| {
        note_lines
            .iter()
            .filter(|l| l.invoice_line_id == line_id)
            .map(|l| Money::from_pence(l.net_pence))
            .sum::<Money>()
    };
    let domain_lines: Vec<Line> = lines.iter().map(line_of).collect();
    let vat_registered = m.supplier_vat_number.is_some();
    let mut totals = doc::totals(&domain_lines, vat_registered);
    // The stored totals are what was issued; they agree with the lines by construction.
    totals.net = Money::from_pence(m.net_pence);
    totals.vat = Money::from_pence(m.vat_pence);
    totals.gross = Money::from_pence(m.gross_pence);
    let credited: Money = notes.iter().map(|n| Money::from_pence(n.gross_pence)).sum();
    let outstanding = totals.gross - credited;
    let status = Status::parse(&m.status).unwrap_or(Status::Draft);
    Ok(InvoiceView {
        id: m.id,
        overdue: status == Status::Issued
            && m.due_date.is_some_and(|d| d < today)
            && !outstanding.amount().is_zero(),
        number: m.number,
        status,
        payer_id: m.payer_id,
        payer_name: m.payer_name,
        payer_address: m.payer_address,
        year: m.year,
        period: m.period,
        period_start: m.period_start,
        period_end: m.period_end,
        issue_date: m.issue_date,
        supply_date: m.supply_date,
        due_date: m.due_date,
        po_number: m.po_number,
        supplier_name: m.supplier_name,
        supplier_address: m.supplier_address,
        supplier_vat_number: m.supplier_vat_number,
        lines: lines
            .iter()
            .zip(domain_lines.iter())
            .map(|(model, line)| LineView {
                id: model.id,
                position: model.position,
                description: line.description.clone(),
                quantity: line.quantity,
                unit_price: line.unit_price,
                net: line.net,
                vat_rate: line.vat_rate,
                credited: credited_line(model.id),
            })
            .collect(),
        totals,
        credited,
        outstanding,
        credit_notes: notes
            .into_iter()
            .map(|n| CreditNoteSummary {
                id: n.id,
                number: n.number,
                issue_date: n.issue_date,
                reason: n.reason,
                net: Money::from_pence(n.net_pence),
                vat: Money::from_pence(n.vat_pence),
                gross: Money::from_pence(n.gross_pence),
            })
            .collect(),
    })
}

/// What to credit: every line's remainder, or chosen amounts (net) on chosen lines.
#[derive(Debug, Clone)]
pub enum CreditAmounts {
    Everything,
    Lines(Vec<(i64, Money)>),
    /// A net amount, spread over the lines in order, each up to what is left on it.
    Amount(Money),
}

/// Raises a credit note against an issued invoice, never for more than is left on it. Crediting
/// everything left gives back exactly the VAT left (so voiding leaves nothing owed).
pub async fn credit<C>(
    db: &C,
    partnership: &Partnership,
    invoice_id: i64,
    amounts: &CreditAmounts,
    reason: &str,
    user_id: Option<i64>,
    today: NaiveDate,
) -> Result<credit_note::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if reason.trim().is_empty() {
        return Err(ServiceError::Invalid(vec![FieldError {
            field: "reason".into(),
            message: "Say why the invoice is credited".into(),
        }]));
    }
    let txn = super::begin_write(db).await?;
    let view = get(&txn, partnership.id, invoice_id, &InvoiceScope::All, today).await?;
    if view.status != Status::Issued {
        return Err(ServiceError::Conflict(
            "only an issued invoice can be credited; a draft can simply be left unissued".into(),
        ));
    }
    let invoice_lines: Vec<Line> = view
        .lines
        .iter()
        .map(|l| Line {
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            net: l.net,
            vat_rate: l.vat_rate,
            source: LineSource::Other { reference: l.id.to_string() },
        })
        .collect();
    let credited: Vec<Money> = view.lines.iter().map(|l| l.credited).collect();
    let asked: Vec<(usize, Money)> = match amounts {
        CreditAmounts::Everything => {
            view.lines.iter().enumerate().map(|(i, l)| (i, l.net - l.credited)).collect()
        }
        CreditAmounts::Amount(amount) => {
            let left: Vec<Money> = view.lines.iter().map(|l| l.net - l.credited).collect();
            doc::allocate_amount(&left, *amount).map_err(|e| {
                ServiceError::Invalid(vec![FieldError { field: "amount".into(), message: e.to_string() }])
            })?
        }
        CreditAmounts::Lines(chosen) => {
            let mut asked = Vec::new();
            for (line_id, amount) in chosen {
                let index = view.lines.iter().position(|l| l.id == *line_id).ok_or_else(|| {
                    ServiceError::Invalid(vec![FieldError {
                        field: "lines".into(),
                        message: format!("line {line_id} is not on this invoice"),
                    }])
                })?;
                asked.push((index, *amount));
            }
            asked
        }
    };
    let vat_registered = view.supplier_vat_number.is_some();
    let lines = doc::credit_lines(&invoice_lines, &credited, &asked, view.outstanding, vat_registered)
        .map_err(|e| {
            let field = match e {
                CreditError::MoreThanInvoiceLeft { .. } | CreditError::Nothing => "amount",
                _ => "lines",
            };
            ServiceError::Invalid(vec![FieldError { field: field.into(), message: e.to_string() }])
        })?;
    let mut totals = doc::totals(&lines, vat_registered);
    let everything_left = asked.iter().all(|(i, a)| *a == view.lines[*i].net - view.lines[*i].credited)
        && asked.len() == view.lines.len();
    if everything_left {
        let vat_credited: Money = view.credit_notes.iter().map(|n| n.vat).sum();
        totals.vat = view.totals.vat - vat_credited;
        totals.gross = totals.net + totals.vat;
    }
    let sequence = allocate_number(&txn, partnership.id, CREDIT_NOTE).await?;
    let number = document_number(&partnership.credit_note_prefix, sequence);
    let note = credit_note::ActiveModel {
        partnership_id: Set(partnership.id),
        invoice_id: Set(invoice_id),
        number: Set(number.clone()),
        sequence: Set(sequence),
        reason: Set(reason.trim().to_string()),
        issue_date: Set(today),
        net_pence: Set(totals.net.to_pence().unwrap_or_default()),
        vat_pence: Set(totals.vat.to_pence().unwrap_or_default()),
        gross_pence: Set(totals.gross.to_pence().unwrap_or_default()),
        created_by_user_id: Set(user_id),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (line, (index, _)) in lines.iter().zip(asked.iter().filter(|(_, a)| !a.amount().is_zero())) {
        credit_note_line::ActiveModel {
            credit_note_id: Set(note.id),
            invoice_line_id: Set(view.lines[*index].id),
            description: Set(line.description.clone()),
            net_pence: Set(line.net.to_pence().unwrap_or_default()),
            vat_rate: Set(line.vat_rate.as_str().to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: if everything_left { "invoice.credited_in_full" } else { "invoice.credited" },
            entity: "invoice",
            entity_id: invoice_id,
            before: Some(serde_json::json!({"outstanding": view.outstanding})),
            after: Some(serde_json::json!({"credit_note": number, "gross": totals.gross, "reason": reason.trim(), "outstanding": view.outstanding - totals.gross})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(note)
}

/// The payers whose invoices a school business manager or commissioner may see.
pub async fn payer_ids_for(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    school_ids: &[i64],
    trust_id: Option<i64>,
    local_authority_id: Option<i64>,
) -> Result<Vec<i64>, ServiceError> {
    let mut references: Vec<String> = school_ids.iter().map(|id| format!("school:{id}")).collect();
    if let Some(t) = trust_id {
        references.push(format!("trust:{t}"));
    }
    if let Some(la) = local_authority_id {
        references.push(format!("council:{la}"));
    }
    Ok(payer::Entity::find()
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .filter(payer::Column::Reference.is_in(references))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// A credit note with what it credits, for its page and PDF.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteView {
    pub id: i64,
    pub number: String,
    pub issue_date: NaiveDate,
    pub reason: String,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    pub payer_name: String,
    pub payer_address: String,
    pub supplier_name: String,
    pub supplier_address: String,
    pub supplier_vat_number: Option<String>,
    pub lines: Vec<(String, VatRate, Money)>,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

/// One credit note, if the scope reaches its invoice.
pub async fn get_credit_note(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    scope: &InvoiceScope,
) -> Result<CreditNoteView, ServiceError> {
    let note = credit_note::Entity::find_by_id(id)
        .filter(credit_note::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("credit note {id}")))?;
    let inv = invoice::Entity::find_by_id(note.invoice_id)
        .one(db)
        .await?
        .filter(|m| match scope {
            InvoiceScope::All => true,
            InvoiceScope::Payers(ids) => ids.contains(&m.payer_id),
        })
        .ok_or_else(|| ServiceError::NotFound(format!("credit note {id}")))?;
    let lines = credit_note_line::Entity::find()
        .filter(credit_note_line::Column::CreditNoteId.eq(note.id))
        .order_by_asc(credit_note_line::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|l| {
            (
                l.description,
                VatRate::parse(&l.vat_rate).unwrap_or(VatRate::Standard),
                Money::from_pence(l.net_pence),
            )
        })
        .collect();
    Ok(CreditNoteView {
        id: note.id,
        number: note.number,
        issue_date: note.issue_date,
        reason: note.reason,
        invoice_id: inv.id,
        invoice_number: inv.number,
        payer_name: inv.payer_name,
        payer_address: inv.payer_address,
        supplier_name: inv.supplier_name,
        supplier_address: inv.supplier_address,
        supplier_vat_number: inv.supplier_vat_number,
        lines,
        net: Money::from_pence(note.net_pence),
        vat: Money::from_pence(note.vat_pence),
        gross: Money::from_pence(note.gross_pence),
    })
}

/// The invoices a user may read: all of them for finance and admins, those addressed to their
/// school or trust for a business manager, their council's for a commissioner; `None` for
/// everyone else.
pub async fn scope_for(
    db: &impl ConnectionTrait,
    user: &super::users::User,
) -> Result<Option<InvoiceScope>, ServiceError> {
    use crate::domain::role::{Action, Role, allows};
    if allows(user.role, Action::ViewAllInvoices) {
        return Ok(Some(InvoiceScope::All));
    }
    if !allows(user.role, Action::ViewOwnInvoices) {
        return Ok(None);
    }
    let ids = match user.role {
        Role::SchoolBusinessManager => {
            let mut schools: Vec<i64> = user.school_id.into_iter().collect();
            if let Some(trust) = user.trust_id {
                schools.extend(
                    entity::school::Entity::find()
                        .filter(entity::school::Column::TrustId.eq(trust))
                        .all(db)
                        .await?
                        .into_iter()
                        .map(|s| s.id),
                );
            }
            payer_ids_for(db, user.partnership_id, &schools, user.trust_id, None).await?
        }
        _ => payer_ids_for(db, user.partnership_id, &[], None, user.local_authority_id).await?,
    };
    Ok(Some(InvoiceScope::Payers(ids)))
}

/// How many invoices of each payer are held for a PO number.
pub async fn held_by_payer(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<std::collections::HashMap<i64, usize>, ServiceError> {
    let mut held = std::collections::HashMap::new();
    for i in invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Status.eq(Status::WaitingForPo.as_str()))
        .all(db)
        .await?
    {
        *held.entry(i.payer_id).or_insert(0) += 1;
    }
    Ok(held)
}

/// Invoiced totals per membership year: issued invoices, their total, credits, and what is held.
#[derive(Debug, Clone, Serialize)]
pub struct YearTotals {
    pub year: String,
    pub issued: usize,
    pub gross: Money,
    pub credited: Money,
    pub held: usize,
}

/// The board's view: what has been invoiced each year.
pub async fn totals_by_year(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<YearTotals>, ServiceError> {
    let all =
        invoice::Entity::find().filter(invoice::Column::PartnershipId.eq(partnership_id)).all(db).await?;
    let ids: Vec<i64> = all.iter().map(|i| i.id).collect();
    let credited = credited_by_invoice(db, &ids).await?;
    let mut years: std::collections::BTreeMap<String, YearTotals> = std::collections::BTreeMap::new();
    for i in all {
        let entry = years.entry(i.year.clone()).or_insert_with(|| YearTotals {
            year: i.year.clone(),
            issued: 0,
            gross: Money::ZERO,
            credited: Money::ZERO,
            held: 0,
        });
        if i.status == Status::Issued.as_str() {
            entry.issued += 1;
            entry.gross = entry.gross + Money::from_pence(i.gross_pence);
            entry.credited = entry.credited + credited.get(&i.id).copied().unwrap_or_default();
        } else {
            entry.held += 1;
        }
    }
    Ok(years.into_values().collect())
}
