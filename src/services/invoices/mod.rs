//! Invoices and credit notes: reading them (every stored value read strictly), numbering,
//! issuing and crediting. An issued invoice is never edited or deleted; corrections are credit
//! notes.

pub mod claims;
pub mod credit;
mod list;
pub mod numbering;
pub mod raise;
pub(crate) mod stored;

pub use credit::{CreditAmounts, CreditNoteView, CreditRequest, credit, get_credit_note};
pub use list::{
    InvoiceFilter, InvoicePage, InvoiceSummary, MAX_PER_PAGE, PER_PAGE, YearTotals, count_by_period,
    count_held, list, totals_by_year,
};
pub use numbering::{CREDIT_NOTE, INVOICE, allocate_block, allocate_number, issue};

use super::ServiceError;
use crate::domain::invoice::{self as doc, InvoiceStatus, Line, LineSource, Totals};
use crate::domain::ledger::{InvoiceMoney, PaymentState, WriteOffKind, payment_state};
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use chrono::NaiveDate;
use entity::{credit_note, invoice, invoice_line, payer};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

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
    #[serde(skip)]
    pub source: LineSource,
}

impl LineView {
    /// The line as the domain's invoice rules see it.
    pub fn line(&self) -> Line {
        Line {
            description: self.description.clone(),
            quantity: self.quantity,
            unit_price: self.unit_price,
            net: self.net,
            vat_rate: self.vat_rate,
            source: self.source.clone(),
        }
    }
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
    /// Why reminders are paused for this invoice, when they are.
    pub reminders_paused: Option<String>,
    pub number: Option<String>,
    pub status: InvoiceStatus,
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
    pub supplier_company_number: Option<String>,
    pub supplier_registered_office: Option<String>,
    pub lines: Vec<LineView>,
    pub totals: Totals,
    pub credited: Money,
    pub outstanding: Money,
    pub overdue: bool,
    pub credit_notes: Vec<CreditNoteSummary>,
    /// What credit notes, payments and write-offs did to an issued invoice's money.
    pub money: InvoiceMoney,
    /// Issued invoices only: issued, part paid, paid, overdue, credited or written off.
    pub payment_state: Option<PaymentState>,
    /// Payments allocated to it, including undone ones (each says when and why).
    pub allocations: Vec<crate::services::ledger::AllocationView>,
    pub write_offs: Vec<WriteOffSummary>,
}

/// A write-off in brief.
#[derive(Debug, Clone, Serialize)]
pub struct WriteOffSummary {
    pub id: i64,
    pub written_off_on: NaiveDate,
    pub amount: Money,
    pub kind: WriteOffKind,
    pub reason: String,
}

/// Which invoices a caller may see.
#[derive(Debug, Clone)]
pub enum InvoiceScope {
    All,
    /// Only invoices addressed to these payers.
    Payers(Vec<i64>),
}

impl InvoiceScope {
    /// Whether the scope reaches the invoices addressed to `payer_id`.
    pub fn reaches(&self, payer_id: i64) -> bool {
        match self {
            InvoiceScope::All => true,
            InvoiceScope::Payers(ids) => ids.contains(&payer_id),
        }
    }
}

/// Whether the scope reaches an invoice.
fn in_scope(scope: &InvoiceScope, m: &invoice::Model) -> bool {
    scope.reaches(m.payer_id)
}

/// Whether an issued invoice is overdue on `today`: its due date has passed and something is
/// still owed (a fully credited invoice is never overdue).
fn is_overdue(status: InvoiceStatus, due: Option<NaiveDate>, outstanding: Money, today: NaiveDate) -> bool {
    status == InvoiceStatus::Issued && due.is_some_and(|d| d < today) && outstanding > Money::ZERO
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
        .filter(|m| in_scope(scope, m))
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
    let note_lines = entity::credit_note_line::Entity::find()
        .filter(entity::credit_note_line::Column::CreditNoteId.is_in(note_ids))
        .all(db)
        .await?;
    let credited_line = |line_id: i64| {
        note_lines
            .iter()
            .filter(|l| l.invoice_line_id == line_id)
            .map(|l| Money::from_pence(l.net_pence))
            .sum::<Money>()
    };
    let domain_lines: Vec<Line> = lines.iter().map(Line::try_from).collect::<Result<_, _>>()?;
    let vat_registered = m.supplier_vat_number.is_some();
    let totals = doc::totals(&domain_lines, vat_registered);
    // The stored totals are what was issued; the lines must add up to them.
    let issued =
        (Money::from_pence(m.net_pence), Money::from_pence(m.vat_pence), Money::from_pence(m.gross_pence));
    if (totals.net, totals.vat, totals.gross) != issued {
        return Err(ServiceError::Corrupt {
            table: "invoices",
            column: "gross_pence",
            value: m.gross_pence.to_string(),
            reason: format!("invoice {id}'s lines add up to {} gross", totals.gross),
        });
    }
    let credited: Money = notes.iter().map(|n| Money::from_pence(n.gross_pence)).sum();
    let allocations = crate::services::ledger::allocations_of_invoice(db, m.id).await?;
    let write_offs = entity::write_off::Entity::find()
        .filter(entity::write_off::Column::InvoiceId.eq(m.id))
        .order_by_asc(entity::write_off::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|w| {
            Ok(WriteOffSummary {
                id: w.id,
                written_off_on: w.written_off_on,
                amount: Money::from_pence(w.amount_pence),
                kind: crate::services::read_stored("write_offs", "kind", &w.kind)?,
                reason: w.reason,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    // What happened to its money, from the documents just read.
    let money = InvoiceMoney {
        gross: totals.gross,
        credited,
        allocated: allocations.iter().filter(|a| a.undone_at.is_none()).map(|a| a.amount).sum(),
        written_off: write_offs.iter().map(|w| w.amount).sum(),
    };
    let outstanding = money.outstanding();
    let status = stored::status(&m)?;
    let payment_state = (status == InvoiceStatus::Issued).then(|| payment_state(&money, m.due_date, today));
    Ok(InvoiceView {
        id: m.id,
        reminders_paused: m.reminders_paused.clone(),
        overdue: is_overdue(status, m.due_date, outstanding, today),
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
        supplier_company_number: m.supplier_company_number,
        supplier_registered_office: m.supplier_registered_office,
        lines: lines
            .iter()
            .zip(domain_lines)
            .map(|(model, line)| LineView {
                id: model.id,
                position: model.position,
                description: line.description,
                quantity: line.quantity,
                unit_price: line.unit_price,
                net: line.net,
                vat_rate: line.vat_rate,
                credited: credited_line(model.id),
                source: line.source,
            })
            .collect(),
        totals,
        credited,
        outstanding,
        money,
        payment_state,
        allocations,
        write_offs,
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
