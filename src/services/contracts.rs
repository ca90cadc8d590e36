//! Contracts and grants: a council's commission, another body's, or a grant; the schedule each
//! is paid on (regular instalments of each year's value, named dates, matched funding or
//! milestones), raising each due instalment as an invoice exactly once (its charge key is
//! unique and its state changes in the same transaction), variations that change later
//! instalments only, deliverables, and what each counterparty has been invoiced and paid.

use super::audit::{self, Event};
use super::invoices::raise::{Raise, RaisedLine, raise};
use super::ledger::pence_sum;
use super::partnerships::Partnership;
use super::{FieldError, ServiceError, begin_write, payers, read_stored, to_stored_pence};
use crate::domain::contracts::{
    self as rules, Frequency, Instalment, ScheduleKind, Standing, Stream, Timing, contract_year_of,
};
use crate::domain::invoice::{InvoiceStatus, Line, LineSource};
use crate::domain::money::Money;
use crate::domain::partnership::{MembershipYear, YearKind};
use crate::domain::vat::VatRate;
use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::{
    allocation, contract, contract_deliverable as deliverable, contract_instalment as instalment,
    contract_variation as variation, credit_note, credit_note_line, invoice, invoice_line, local_authority,
    school, user,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Instalment states.
pub const SCHEDULED: &str = "scheduled";
pub const INVOICED: &str = "invoiced";
pub const CANCELLED: &str = "cancelled";
/// Matched funding that came to nothing (schools were invoiced nothing in the year).
pub const NOTHING_DUE: &str = "nothing_due";

/// The most instalments, dates and deliverables a contract may have.
const MOST: usize = 120;

/// Who the contract is with.
#[derive(Debug, Clone)]
pub enum Counterparty {
    /// A council of the register, by its local authority's id.
    Council(i64),
    /// Another body, by name and postal address.
    Organisation { name: String, address: String },
}

/// How the contract is paid, as finance sets it.
#[derive(Debug, Clone)]
pub enum ScheduleInput {
    Fixed { yearly: Vec<Money>, frequency: Frequency, timing: Timing },
    NamedDates(Vec<(NaiveDate, Money)>),
    Matched { year: String, ratio: Decimal, cap: Option<Money>, invoice_on: NaiveDate },
    Milestones,
}

/// A deliverable or report the contract expects back; with an amount, a milestone.
#[derive(Debug, Clone)]
pub struct NewDeliverable {
    pub title: String,
    pub due_on: NaiveDate,
    pub amount: Option<Money>,
}

/// A new contract.
#[derive(Debug, Clone)]
pub struct NewContract {
    pub counterparty: Counterparty,
    pub counterparty_vat_number: Option<String>,
    pub stream: Stream,
    pub title: String,
    pub reference: Option<String>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub break_dates: Vec<NaiveDate>,
    pub extension_until: Option<NaiveDate>,
    /// None: the stream's usual rate.
    pub vat_rate: Option<VatRate>,
    pub schedule: ScheduleInput,
    pub deliverables: Vec<NewDeliverable>,
}

/// One instalment of a schedule, before or after saving.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedInstalment {
    pub kind: &'static str,
    pub contract_year: usize,
    pub description: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// None for a milestone until it is signed off.
    pub due_on: Option<NaiveDate>,
    /// None for matched funding until it is worked out from the ledger.
    pub amount: Option<Money>,
    #[serde(skip)]
    pub deliverable: Option<usize>,
}

/// A schedule previewed: each instalment, each year's total and the contract's value.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub value: Money,
    pub vat_rate: VatRate,
    pub years: Vec<YearValue>,
    pub instalments: Vec<PlannedInstalment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearValue {
    pub contract_year: usize,
    pub value: Money,
}

fn day(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn bad(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError { field: field.into(), message: message.into() });
}

fn in_range(d: NaiveDate) -> bool {
    use chrono::Datelike;
    (2000..=2100).contains(&d.year())
}

/// Checks a new contract and works out its schedule: every problem at once, each naming its
/// field.
pub fn plan(c: &NewContract, year_kind: YearKind) -> Result<Preview, ServiceError> {
    let mut errors = Vec::new();
    let title = c.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        bad(&mut errors, "title", "Enter the contract's title, up to 200 characters");
    }
    if c.reference.as_deref().is_some_and(|r| r.trim().chars().count() > 100) {
        bad(&mut errors, "reference", "The reference can be up to 100 characters");
    }
    if let Counterparty::Organisation { name, address } = &c.counterparty {
        if name.trim().is_empty() || name.trim().chars().count() > 200 {
            bad(&mut errors, "counterparty_name", "Enter the organisation's name, up to 200 characters");
        }
        if address.trim().is_empty() || address.chars().count() > 500 {
            bad(
                &mut errors,
                "counterparty_address",
                "Enter the organisation's postal address, up to 500 characters",
            );
        }
    }
    if let Some(v) = &c.counterparty_vat_number
        && let Err(m) = crate::domain::partnership::vat_number(v)
    {
        bad(&mut errors, "counterparty_vat_number", m);
    }
    if !in_range(c.start) || !in_range(c.end) {
        bad(&mut errors, "start_date", "Contracts run between the years 2000 and 2100");
        return Err(ServiceError::Invalid(errors));
    }
    if c.end < c.start {
        bad(&mut errors, "end_date", "The end date must be on or after the start date");
        return Err(ServiceError::Invalid(errors));
    }
    let years = contract_year_of(c.start, c.end);
    if years > 10 {
        bad(&mut errors, "end_date", "A contract can run for up to 10 years");
        return Err(ServiceError::Invalid(errors));
    }
    if c.break_dates.len() > 10 {
        bad(&mut errors, "break_dates", "Name up to 10 break points");
    }
    for b in &c.break_dates {
        if *b <= c.start || *b >= c.end {
            bad(
                &mut errors,
                "break_dates",
                format!("The break point {} is not inside the contract", day(*b)),
            );
        }
    }
    let last_day = c.extension_until.unwrap_or(c.end);
    if let Some(x) = c.extension_until
        && (x <= c.end || !in_range(x) || contract_year_of(c.start, x) > 20)
    {
        bad(
            &mut errors,
            "extension_until",
            "An extension must end after the contract's end date, within 10 more years",
        );
    }
    let vat_rate = c.vat_rate.unwrap_or(c.stream.default_vat());
    if c.stream == Stream::Grant && vat_rate != VatRate::OutsideScope {
        bad(&mut errors, "vat_rate", "A grant is not a supply: it is outside the scope of VAT");
    }
    if c.deliverables.len() > MOST {
        bad(&mut errors, "deliverables", format!("A contract can list up to {MOST} deliverables"));
    }
    for (i, d) in c.deliverables.iter().enumerate() {
        let field = format!("deliverables[{i}]");
        if d.title.trim().is_empty() || d.title.trim().chars().count() > 200 {
            bad(&mut errors, &field, "Enter what is due, up to 200 characters");
        }
        if d.due_on < c.start || !in_range(d.due_on) {
            bad(&mut errors, &field, format!("{} is due before the contract starts", d.title.trim()));
        }
        match d.amount {
            Some(_) if c.schedule_kind() != ScheduleKind::Milestones => {
                bad(&mut errors, &field, "Only a contract paid on milestones pays for deliverables");
            }
            Some(a) if a <= Money::ZERO => {
                bad(&mut errors, &field, "A milestone's amount must be more than £0.00")
            }
            _ => {}
        }
    }
    let whole = |s: &str| s.trim().to_string();
    let mut planned: Vec<PlannedInstalment> = Vec::new();
    match &c.schedule {
        ScheduleInput::Fixed { yearly, frequency, timing } => {
            let whole_years =
                c.start.checked_add_months(Months::new(12 * years as u32)).and_then(|d| d.pred_opt());
            if whole_years != Some(c.end) {
                let ends: Vec<String> = (1..=3)
                    .filter_map(|y| {
                        c.start.checked_add_months(Months::new(12 * y)).and_then(|d| d.pred_opt())
                    })
                    .map(day)
                    .collect();
                bad(
                    &mut errors,
                    "end_date",
                    format!(
                        "A contract paid in regular instalments runs whole years: from {} it ends on {}, and so on",
                        day(c.start),
                        ends.join(", ")
                    ),
                );
            } else if yearly.len() != years {
                bad(
                    &mut errors,
                    "yearly_values",
                    format!("Give a value for each of the contract's {years} years"),
                );
            } else {
                match rules::schedule(c.start, yearly, *frequency, *timing) {
                    Ok(list) => planned.extend(list.into_iter().map(|i| fixed_line(title, &i, years))),
                    Err(e) => bad(&mut errors, "yearly_values", e.0),
                }
                if yearly.iter().all(|v| *v == Money::ZERO) {
                    bad(&mut errors, "yearly_values", "At least one year must be worth more than £0.00");
                }
            }
        }
        ScheduleInput::NamedDates(dates) => match rules::on_named_dates(c.start, last_day, dates) {
            Ok(list) => planned.extend(list.into_iter().map(|i| PlannedInstalment {
                kind: "instalment",
                contract_year: i.contract_year,
                description: format!("{}: payment due {}", whole(title), day(i.due)),
                period_start: i.period_start,
                period_end: i.period_end,
                due_on: Some(i.due),
                amount: Some(i.amount),
                deliverable: None,
            })),
            Err(e) => bad(&mut errors, "dates", e.0),
        },
        ScheduleInput::Matched { year, ratio, cap, invoice_on } => {
            if MembershipYear::parse(year_kind, year).is_none() {
                bad(&mut errors, "matched_year", MembershipYear::problem(year));
            }
            if *ratio <= Decimal::ZERO || *ratio > Decimal::from(10) {
                bad(&mut errors, "matched_ratio", "The ratio must be more than 0 and at most 10 (1,000%)");
            }
            if cap.is_some_and(|c| c <= Money::ZERO) {
                bad(&mut errors, "matched_cap", "The cap must be more than £0.00, or left out");
            }
            if *invoice_on < c.start || *invoice_on > last_day {
                bad(&mut errors, "invoice_on", format!("{} is not within the contract", day(*invoice_on)));
            } else {
                planned.push(PlannedInstalment {
                    kind: "matched",
                    contract_year: contract_year_of(c.start, *invoice_on),
                    description: format!("{}: matched funding for {}", whole(title), year.trim()),
                    period_start: c.start,
                    period_end: c.end,
                    due_on: Some(*invoice_on),
                    amount: None,
                    deliverable: None,
                });
            }
        }
        ScheduleInput::Milestones => {
            for (i, d) in c.deliverables.iter().enumerate() {
                if let Some(amount) = d.amount {
                    planned.push(PlannedInstalment {
                        kind: "milestone",
                        contract_year: contract_year_of(c.start, d.due_on),
                        description: format!("{}: {}", whole(title), d.title.trim()),
                        period_start: c.start,
                        period_end: d.due_on.max(c.start),
                        due_on: None,
                        amount: Some(amount),
                        deliverable: Some(i),
                    });
                }
            }
            if planned.is_empty() {
                bad(
                    &mut errors,
                    "deliverables",
                    "A contract paid on milestones needs at least one deliverable with an amount",
                );
            }
        }
    }
    if planned.len() > MOST {
        bad(&mut errors, "schedule", format!("A schedule can have up to {MOST} instalments"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let value = match &c.schedule {
        ScheduleInput::Matched { cap, .. } => cap.unwrap_or(Money::ZERO),
        _ => planned.iter().filter_map(|p| p.amount).fold(Money::ZERO, |a, b| a + b),
    };
    Ok(Preview { value, vat_rate, years: year_values(&planned), instalments: planned })
}

impl NewContract {
    fn schedule_kind(&self) -> ScheduleKind {
        match self.schedule {
            ScheduleInput::Fixed { .. } => ScheduleKind::Fixed,
            ScheduleInput::NamedDates(_) => ScheduleKind::NamedDates,
            ScheduleInput::Matched { .. } => ScheduleKind::Matched,
            ScheduleInput::Milestones => ScheduleKind::Milestones,
        }
    }
}

fn fixed_line(title: &str, i: &Instalment, years: usize) -> PlannedInstalment {
    PlannedInstalment {
        kind: "instalment",
        contract_year: i.contract_year,
        description: format!(
            "{}: {} to {} (year {} of {years})",
            title.trim(),
            day(i.period_start),
            day(i.period_end),
            i.contract_year
        ),
        period_start: i.period_start,
        period_end: i.period_end,
        due_on: Some(i.due),
        amount: Some(i.amount),
        deliverable: None,
    }
}

fn year_values(planned: &[PlannedInstalment]) -> Vec<YearValue> {
    let mut by: BTreeMap<usize, Money> = BTreeMap::new();
    for p in planned {
        let e = by.entry(p.contract_year).or_insert(Money::ZERO);
        *e = *e + p.amount.unwrap_or(Money::ZERO);
    }
    by.into_iter().map(|(contract_year, value)| YearValue { contract_year, value }).collect()
}

fn pence_list(values: &[Money]) -> Result<String, ServiceError> {
    let mut out = Vec::new();
    for v in values {
        out.push(to_stored_pence("yearly_values", *v)?.to_string());
    }
    Ok(out.join(","))
}

fn read_pence_list(text: &str) -> Result<Vec<Money>, ServiceError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|p| read_stored::<i64>("contracts", "yearly_pence", p).map(Money::from_pence))
        .collect()
}

/// Creates a contract with its deliverables and schedule, in one transaction.
pub async fn create<C>(
    db: &C,
    partnership: &Partnership,
    c: NewContract,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ContractView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let preview = plan(&c, partnership.year_kind)?;
    let txn = begin_write(db).await?;
    let (payer, la) = match &c.counterparty {
        Counterparty::Council(la) => (payers::council_payer(&txn, partnership.id, *la).await?, Some(*la)),
        Counterparty::Organisation { name, address } => {
            (payers::organisation_payer(&txn, partnership.id, name, address).await?, None)
        }
    };
    let payer = match (la, &payer.email) {
        // The council's commissioners receive its invoices when it has no billing email yet.
        (Some(la), None) => {
            let officers: Vec<String> = user::Entity::find()
                .filter(user::Column::PartnershipId.eq(partnership.id))
                .filter(user::Column::LocalAuthorityId.eq(la))
                .filter(user::Column::Role.eq(crate::domain::role::Role::Commissioner.as_str()))
                .filter(user::Column::DisabledAt.is_null())
                .all(&txn)
                .await?
                .into_iter()
                .map(|u| u.email)
                .take(5)
                .collect();
            match crate::domain::mail::parse_addresses(&officers.join(", ")) {
                Ok(list) if !list.is_empty() => {
                    let mut active: entity::payer::ActiveModel = payer.clone().into();
                    active.email = Set(Some(crate::domain::mail::join_addresses(&list)));
                    let updated = active.update(&txn).await?;
                    audit::record(
                        &txn,
                        Event {
                            partnership_id: partnership.id,
                            user_id,
                            action: "payer.emails_changed",
                            entity: "payer",
                            entity_id: payer.id,
                            before: Some(serde_json::json!({ "email": payer.email })),
                            after: Some(serde_json::json!({ "email": updated.email })),
                        },
                    )
                    .await?;
                    updated
                }
                _ => payer,
            }
        }
        _ => payer,
    };
    let (frequency, timing, yearly, matched) = match &c.schedule {
        ScheduleInput::Fixed { yearly, frequency, timing } => {
            (Some(frequency.as_str()), Some(timing.as_str()), pence_list(yearly)?, None)
        }
        ScheduleInput::Matched { year, ratio, cap, .. } => {
            (None, None, String::new(), Some((year.trim().to_string(), ratio.normalize().to_string(), *cap)))
        }
        _ => (None, None, String::new(), None),
    };
    let made = contract::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(payer.id),
        local_authority_id: Set(la),
        stream: Set(c.stream.as_str().into()),
        title: Set(c.title.trim().into()),
        reference: Set(c.reference.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(Into::into)),
        start_date: Set(c.start),
        end_date: Set(c.end),
        break_dates: Set(c.break_dates.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")),
        extension_until: Set(c.extension_until),
        schedule_kind: Set(c.schedule_kind().as_str().into()),
        frequency: Set(frequency.map(Into::into)),
        timing: Set(timing.map(Into::into)),
        yearly_pence: Set(yearly),
        matched_year: Set(matched.as_ref().map(|m| m.0.clone())),
        matched_ratio: Set(matched.as_ref().map(|m| m.1.clone())),
        matched_cap_pence: Set(match matched.as_ref().and_then(|m| m.2) {
            Some(cap) => Some(to_stored_pence("matched_cap", cap)?),
            None => None,
        }),
        vat_rate: Set(preview.vat_rate.as_str().into()),
        counterparty_vat_number: Set(c.counterparty_vat_number.as_deref().map(str::trim).map(Into::into)),
        value_pence: Set(to_stored_pence("value", preview.value)?),
        created_by_user_id: Set(user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut deliverable_ids = Vec::new();
    for d in &c.deliverables {
        let row = deliverable::ActiveModel {
            partnership_id: Set(partnership.id),
            contract_id: Set(made.id),
            title: Set(d.title.trim().into()),
            due_on: Set(d.due_on),
            done_on: Set(None),
            note: Set(None),
            done_by_user_id: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        deliverable_ids.push(row.id);
    }
    for (i, p) in preview.instalments.iter().enumerate() {
        insert_instalment(
            &txn,
            partnership.id,
            made.id,
            i as i32 + 1,
            p,
            p.deliverable.map(|d| deliverable_ids[d]),
        )
        .await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "contract.created",
            entity: "contract",
            entity_id: made.id,
            before: None,
            after: Some(serde_json::json!({
                "title": made.title, "counterparty": payer.name, "value": preview.value.to_string(),
                "instalments": preview.instalments.len(),
            })),
        },
    )
    .await?;
    txn.commit().await?;
    get(db, partnership.id, made.id, &ContractScope::All).await
}

async fn insert_instalment(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    contract_id: i64,
    position: i32,
    p: &PlannedInstalment,
    deliverable_id: Option<i64>,
) -> Result<instalment::Model, ServiceError> {
    Ok(instalment::ActiveModel {
        partnership_id: Set(partnership_id),
        contract_id: Set(contract_id),
        position: Set(position),
        kind: Set(p.kind.into()),
        contract_year: Set(p.contract_year as i32),
        description: Set(p.description.clone()),
        period_start: Set(p.period_start),
        period_end: Set(p.period_end),
        due_on: Set(p.due_on),
        amount_pence: Set(match p.amount {
            Some(a) => Some(to_stored_pence("amount", a)?),
            None => None,
        }),
        state: Set(SCHEDULED.into()),
        deliverable_id: Set(deliverable_id),
        invoice_id: Set(None),
        working: Set(None),
        charge_key: Set(format!("contract:{contract_id}:{position}")),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// Whose contracts a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractScope {
    All,
    /// A commissioner: their council's only.
    Council(i64),
}

impl ContractScope {
    /// The scope of a user: every contract for finance, admins and the board (the board only
    /// reads), their council's for a commissioner, none for anyone else.
    pub fn of(user: &super::users::User) -> Option<ContractScope> {
        use crate::domain::role::Role;
        match user.role {
            Role::Admin | Role::Finance | Role::Board => Some(ContractScope::All),
            Role::Commissioner => user.local_authority_id.map(ContractScope::Council),
            Role::SchoolBusinessManager => None,
        }
    }

    fn reaches(self, c: &contract::Model) -> bool {
        match self {
            ContractScope::All => true,
            ContractScope::Council(la) => c.local_authority_id == Some(la),
        }
    }
}

/// One instalment as shown.
#[derive(Debug, Clone, Serialize)]
pub struct InstalmentView {
    pub id: i64,
    pub position: i32,
    pub kind: String,
    pub contract_year: i32,
    pub description: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub amount: Option<Money>,
    pub state: String,
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    pub working: Option<String>,
    pub deliverable_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliverableView {
    pub id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    pub note: Option<String>,
    /// What signing it off releases (a milestone).
    pub amount: Option<Money>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VariationView {
    pub effective_from: NaiveDate,
    pub reason: String,
    pub old_value: Money,
    pub new_value: Money,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Money of one contract year (or the whole contract): its value and what is invoiced are
/// before VAT (net of credit notes); what is received and outstanding are what the payer pays,
/// VAT included.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub value: Money,
    pub invoiced: Money,
    pub received: Money,
    pub outstanding: Money,
    pub to_invoice: Money,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.value = self.value + o.value;
        self.invoiced = self.invoiced + o.invoiced;
        self.received = self.received + o.received;
        self.outstanding = self.outstanding + o.outstanding;
        self.to_invoice = self.to_invoice + o.to_invoice;
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct YearFigures {
    pub contract_year: i32,
    pub starts: NaiveDate,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A contract with its schedule and its state.
#[derive(Debug, Clone, Serialize)]
pub struct ContractView {
    pub id: i64,
    pub title: String,
    pub stream: &'static str,
    pub stream_label: &'static str,
    pub counterparty: String,
    pub counterparty_address: String,
    pub counterparty_vat_number: Option<String>,
    pub payer_id: i64,
    pub council: bool,
    pub reference: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub break_dates: Vec<NaiveDate>,
    pub extension_until: Option<NaiveDate>,
    pub schedule_kind: &'static str,
    pub schedule_in_words: String,
    pub vat_rate: VatRate,
    pub matched_year: Option<String>,
    pub matched_ratio: Option<String>,
    pub matched_cap: Option<Money>,
    pub totals: Figures,
    pub by_year: Vec<YearFigures>,
    pub instalments: Vec<InstalmentView>,
    pub deliverables: Vec<DeliverableView>,
    pub variations: Vec<VariationView>,
    /// The council's commissioners, who see its invoices ("Name <email>").
    pub receives_invoices: Vec<String>,
    /// Where its invoices are emailed (the payer's billing addresses).
    pub billing_emails: Option<String>,
}

/// A contract, if the scope reaches it.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    scope: &ContractScope,
) -> Result<ContractView, ServiceError> {
    let c = contract::Entity::find_by_id(id)
        .filter(contract::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .filter(|c| scope.reaches(c))
        .ok_or_else(|| ServiceError::NotFound(format!("contract {id}")))?;
    view(db, c).await
}

async fn view(db: &impl ConnectionTrait, c: contract::Model) -> Result<ContractView, ServiceError> {
    let payer = payers::get(db, c.partnership_id, c.payer_id).await?;
    let rows = instalment::Entity::find()
        .filter(instalment::Column::ContractId.eq(c.id))
        .order_by_asc(instalment::Column::Position)
        .all(db)
        .await?;
    let invoice_ids: Vec<i64> = rows.iter().filter_map(|r| r.invoice_id).collect();
    let money = invoice_money(db, &invoice_ids).await?;
    let deliverables = deliverable::Entity::find()
        .filter(deliverable::Column::ContractId.eq(c.id))
        .order_by_asc(deliverable::Column::DueOn)
        .order_by_asc(deliverable::Column::Id)
        .all(db)
        .await?;
    let variations = variation::Entity::find()
        .filter(variation::Column::ContractId.eq(c.id))
        .order_by_asc(variation::Column::Id)
        .all(db)
        .await?;
    let names: BTreeMap<i64, String> = user::Entity::find()
        .filter(user::Column::PartnershipId.eq(c.partnership_id))
        .filter(user::Column::Id.is_in(variations.iter().filter_map(|v| v.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut by_year: BTreeMap<i32, Figures> = BTreeMap::new();
    let mut instalments = Vec::new();
    for r in rows {
        let amount = r.amount_pence.map(Money::from_pence);
        let f = by_year.entry(r.contract_year).or_default();
        match r.state.as_str() {
            INVOICED => {
                let m = r.invoice_id.and_then(|i| money.get(&i));
                let (invoiced, received, outstanding) =
                    m.map(|m| (m.net_of_credits, m.received, m.outstanding)).unwrap_or_default();
                f.value = f.value + amount.unwrap_or(Money::ZERO);
                f.invoiced = f.invoiced + invoiced;
                f.received = f.received + received;
                f.outstanding = f.outstanding + outstanding;
            }
            SCHEDULED => {
                f.value = f.value + amount.unwrap_or(Money::ZERO);
                f.to_invoice = f.to_invoice + amount.unwrap_or(Money::ZERO);
            }
            _ => {}
        }
        instalments.push(InstalmentView {
            id: r.id,
            position: r.position,
            kind: r.kind,
            contract_year: r.contract_year,
            description: r.description,
            period_start: r.period_start,
            period_end: r.period_end,
            due_on: r.due_on,
            amount,
            state: r.state,
            invoice_number: r.invoice_id.and_then(|i| money.get(&i)).and_then(|m| m.number.clone()),
            invoice_id: r.invoice_id,
            working: r.working,
            deliverable_id: r.deliverable_id,
        });
    }
    let mut totals = Figures::default();
    for f in by_year.values() {
        totals.add(f);
    }
    let kind: ScheduleKind = read_stored("contracts", "schedule_kind", &c.schedule_kind)?;
    let stream: Stream = read_stored("contracts", "stream", &c.stream)?;
    let cap = c.matched_cap_pence.map(Money::from_pence);
    let schedule_in_words = match kind {
        ScheduleKind::Fixed => {
            let f: Frequency = read_stored("contracts", "frequency", c.frequency.as_deref().unwrap_or(""))?;
            let t: Timing = read_stored("contracts", "timing", c.timing.as_deref().unwrap_or(""))?;
            let yearly = read_pence_list(&c.yearly_pence)?;
            let values: Vec<String> = yearly.iter().map(ToString::to_string).collect();
            format!(
                "{} instalments {}, each year worth {}",
                f.label(),
                if t == Timing::InAdvance { "in advance" } else { "in arrears" },
                values.join(" / ")
            )
        }
        ScheduleKind::NamedDates => "Amounts on the dates the contract names".into(),
        ScheduleKind::Matched => {
            let ratio: Decimal =
                read_stored("contracts", "matched_ratio", c.matched_ratio.as_deref().unwrap_or(""))?;
            format!(
                "{}% of what schools were invoiced for membership in {} (net of credit notes){}",
                (ratio * Decimal::from(100)).normalize(),
                c.matched_year.clone().unwrap_or_default(),
                cap.map(|c| format!(", up to {c}")).unwrap_or_default()
            )
        }
        ScheduleKind::Milestones => "Amounts due when deliverables are signed off".into(),
    };
    let by_deliverable: BTreeMap<i64, Money> = instalments
        .iter()
        .filter(|i| i.state != CANCELLED)
        .filter_map(|i| Some((i.deliverable_id?, i.amount?)))
        .collect();
    let receives_invoices = match c.local_authority_id {
        Some(la) => user::Entity::find()
            .filter(user::Column::PartnershipId.eq(c.partnership_id))
            .filter(user::Column::LocalAuthorityId.eq(la))
            .filter(user::Column::Role.eq(crate::domain::role::Role::Commissioner.as_str()))
            .filter(user::Column::DisabledAt.is_null())
            .order_by_asc(user::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|u| format!("{} <{}>", u.name, u.email))
            .collect(),
        None => Vec::new(),
    };
    Ok(ContractView {
        id: c.id,
        title: c.title,
        stream: stream.as_str(),
        stream_label: stream.label(),
        counterparty: payer.name.clone(),
        counterparty_address: payer.address.clone(),
        counterparty_vat_number: c.counterparty_vat_number,
        payer_id: payer.id,
        council: c.local_authority_id.is_some(),
        reference: c.reference,
        start_date: c.start_date,
        end_date: c.end_date,
        break_dates: c
            .break_dates
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| read_stored("contracts", "break_dates", d))
            .collect::<Result<_, _>>()?,
        extension_until: c.extension_until,
        schedule_kind: kind.as_str(),
        schedule_in_words,
        vat_rate: read_stored("contracts", "vat_rate", &c.vat_rate)?,
        matched_year: c.matched_year,
        matched_ratio: c.matched_ratio,
        matched_cap: cap,
        totals,
        by_year: by_year
            .into_iter()
            .map(|(y, figures)| YearFigures {
                contract_year: y,
                starts: c
                    .start_date
                    .checked_add_months(Months::new(12 * (y.max(1) as u32 - 1)))
                    .unwrap_or(c.start_date),
                figures,
            })
            .collect(),
        instalments,
        deliverables: deliverables
            .into_iter()
            .map(|d| DeliverableView {
                amount: by_deliverable.get(&d.id).copied(),
                id: d.id,
                title: d.title,
                due_on: d.due_on,
                done_on: d.done_on,
                note: d.note,
            })
            .collect(),
        variations: variations
            .into_iter()
            .map(|v| VariationView {
                effective_from: v.effective_from,
                reason: v.reason,
                old_value: Money::from_pence(v.old_value_pence),
                new_value: Money::from_pence(v.new_value_pence),
                by: v.user_id.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "The service".into()),
                at: v.created_at,
            })
            .collect(),
        receives_invoices,
        billing_emails: payer.email.clone(),
    })
}

/// What happened to an invoice's money.
#[derive(Debug, Clone, Default)]
struct InvoiceMoney {
    number: Option<String>,
    net_of_credits: Money,
    received: Money,
    outstanding: Money,
}

async fn invoice_money(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<BTreeMap<i64, InvoiceMoney>, ServiceError> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(500) {
        for i in invoice::Entity::find().filter(invoice::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            out.insert(
                i.id,
                InvoiceMoney {
                    number: i.number,
                    net_of_credits: Money::from_pence(i.net_pence),
                    received: Money::ZERO,
                    outstanding: Money::from_pence(i.outstanding_pence),
                },
            );
        }
        for n in credit_note::Entity::find()
            .filter(credit_note::Column::InvoiceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some(m) = out.get_mut(&n.invoice_id) {
                m.net_of_credits = m.net_of_credits - Money::from_pence(n.net_pence);
            }
        }
        for a in allocation::Entity::find()
            .filter(allocation::Column::InvoiceId.is_in(chunk.to_vec()))
            .filter(allocation::Column::UndoneAt.is_null())
            .all(db)
            .await?
        {
            if let Some(m) = out.get_mut(&a.invoice_id) {
                m.received = m.received + Money::from_pence(a.amount_pence);
            }
        }
    }
    Ok(out)
}

/// A contract in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ContractSummary {
    pub id: i64,
    pub title: String,
    pub stream: &'static str,
    pub stream_label: &'static str,
    pub counterparty: String,
    pub reference: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub value: Money,
    pub next_due: Option<NaiveDate>,
    pub deliverables_due: usize,
}

/// Contracts per page.
pub const PER_PAGE: u64 = 25;

/// A page of the contracts the scope reaches, newest start first, with how many there are.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: &ContractScope,
    stream: Option<Stream>,
    page: u64,
) -> Result<super::Paged<ContractSummary>, ServiceError> {
    let mut q = contract::Entity::find().filter(contract::Column::PartnershipId.eq(partnership_id));
    if let ContractScope::Council(la) = scope {
        q = q.filter(contract::Column::LocalAuthorityId.eq(*la));
    }
    if let Some(s) = stream {
        q = q.filter(contract::Column::Stream.eq(s.as_str()));
    }
    let paged = super::page_of(
        db,
        q.order_by_desc(contract::Column::StartDate).order_by_desc(contract::Column::Id),
        page,
        PER_PAGE,
    )
    .await?;
    let ids: Vec<i64> = paged.rows.iter().map(|c| c.id).collect();
    let payer_ids: Vec<i64> = paged.rows.iter().map(|c| c.payer_id).collect();
    let names: BTreeMap<i64, String> = entity::payer::Entity::find()
        .filter(entity::payer::Column::Id.is_in(payer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut next: BTreeMap<i64, NaiveDate> = BTreeMap::new();
    for i in instalment::Entity::find()
        .filter(instalment::Column::ContractId.is_in(ids.clone()))
        .filter(instalment::Column::State.eq(SCHEDULED))
        .filter(instalment::Column::DueOn.is_not_null())
        .all(db)
        .await?
    {
        if let Some(d) = i.due_on {
            let e = next.entry(i.contract_id).or_insert(d);
            *e = (*e).min(d);
        }
    }
    let mut open: BTreeMap<i64, usize> = BTreeMap::new();
    for d in deliverable::Entity::find()
        .filter(deliverable::Column::ContractId.is_in(ids))
        .filter(deliverable::Column::DoneOn.is_null())
        .all(db)
        .await?
    {
        *open.entry(d.contract_id).or_default() += 1;
    }
    let mut rows = Vec::new();
    for c in paged.rows {
        let stream: Stream = read_stored("contracts", "stream", &c.stream)?;
        rows.push(ContractSummary {
            id: c.id,
            counterparty: names.get(&c.payer_id).cloned().unwrap_or_default(),
            stream: stream.as_str(),
            stream_label: stream.label(),
            reference: c.reference,
            start_date: c.start_date,
            end_date: c.end_date,
            value: Money::from_pence(c.value_pence),
            next_due: next.get(&c.id).copied(),
            deliverables_due: open.get(&c.id).copied().unwrap_or(0),
            title: c.title,
        });
    }
    Ok(super::Paged { rows, total: paged.total, page: paged.page, pages: paged.pages })
}

/// What membership invoices to schools came to in `year`, net of credit notes: for a council's
/// schools only when `local_authority_id` is given.
pub async fn membership_invoiced(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    local_authority_id: Option<i64>,
) -> Result<Money, ServiceError> {
    use sea_orm::sea_query::ExprTrait;
    let lines = Alias::new("l");
    let inv = Alias::new("i");
    let sch = Alias::new("s");
    let filter = |q: &mut sea_orm::sea_query::SelectStatement| {
        q.join_as(
            sea_orm::JoinType::InnerJoin,
            invoice::Entity,
            inv.clone(),
            Expr::col((inv.clone(), invoice::Column::Id))
                .equals((lines.clone(), invoice_line::Column::InvoiceId)),
        )
        .and_where(Expr::col((inv.clone(), invoice::Column::PartnershipId)).eq(partnership_id))
        .and_where(Expr::col((inv.clone(), invoice::Column::Year)).eq(year))
        .and_where(Expr::col((inv.clone(), invoice::Column::Status)).eq(InvoiceStatus::Issued.as_str()))
        .and_where(Expr::col((lines.clone(), invoice_line::Column::SourceKind)).eq("membership"));
        if let Some(la) = local_authority_id {
            q.join_as(
                sea_orm::JoinType::InnerJoin,
                school::Entity,
                sch.clone(),
                Expr::col((sch.clone(), school::Column::Id))
                    .equals((lines.clone(), invoice_line::Column::SchoolId)),
            )
            .and_where(Expr::col((sch.clone(), school::Column::LocalAuthorityId)).eq(la));
        }
    };
    let mut invoiced = Query::select();
    invoiced
        .expr_as(pence_sum("l.net_pence"), Alias::new("total"))
        .from_as(invoice_line::Entity, lines.clone());
    filter(&mut invoiced);
    let mut credited = Query::select();
    credited
        .expr_as(pence_sum("c.net_pence"), Alias::new("total"))
        .from_as(credit_note_line::Entity, Alias::new("c"))
        .join_as(
            sea_orm::JoinType::InnerJoin,
            invoice_line::Entity,
            lines.clone(),
            Expr::col((lines.clone(), invoice_line::Column::Id))
                .equals((Alias::new("c"), credit_note_line::Column::InvoiceLineId)),
        );
    filter(&mut credited);
    let sum = |row: Option<sea_orm::QueryResult>| -> Result<i64, ServiceError> {
        Ok(match row {
            Some(r) => r.try_get::<i64>("", "total")?,
            None => 0,
        })
    };
    let a = sum(db.query_one(&invoiced).await?)?;
    let b = sum(db.query_one(&credited).await?)?;
    Ok(Money::from_pence(a) - Money::from_pence(b))
}

/// What raising instalments did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Raised {
    pub invoices: usize,
    pub nothing_due: usize,
}

/// Raises every instalment due on or before `today` that is not yet invoiced (the scheduled
/// job). Each in its own transaction, so one that fails leaves the others raised; running it
/// again, or two at once, raises nothing twice.
pub async fn raise_due<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Raised, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let due = instalment::Entity::find()
        .filter(instalment::Column::PartnershipId.eq(partnership.id))
        .filter(instalment::Column::State.eq(SCHEDULED))
        .filter(instalment::Column::DueOn.lte(today))
        .order_by_asc(instalment::Column::DueOn)
        .order_by_asc(instalment::Column::Id)
        .all(db)
        .await?;
    let mut done = Raised::default();
    for i in due {
        let txn = begin_write(db).await?;
        match raise_instalment(&txn, partnership, i.id, None, today, now).await? {
            Some(true) => done.invoices += 1,
            Some(false) => done.nothing_due += 1,
            None => {}
        }
        txn.commit().await?;
    }
    Ok(done)
}

/// Raises one instalment by hand (finance may raise it before its date).
pub async fn raise_now<C>(
    db: &C,
    partnership: &Partnership,
    contract_id: i64,
    instalment_id: i64,
    user_id: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ContractView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let found = instalment::Entity::find_by_id(instalment_id)
        .filter(instalment::Column::PartnershipId.eq(partnership.id))
        .filter(instalment::Column::ContractId.eq(contract_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("instalment {instalment_id}")))?;
    if found.state != SCHEDULED {
        return Err(ServiceError::Conflict("This instalment has already been invoiced or cancelled".into()));
    }
    if found.due_on.is_none() {
        return Err(ServiceError::Conflict(
            "A milestone is invoiced when its deliverable is signed off: sign it off first".into(),
        ));
    }
    let txn = begin_write(db).await?;
    if raise_instalment(&txn, partnership, instalment_id, user_id, today, now).await?.is_none() {
        return Err(ServiceError::Conflict("This instalment has just been invoiced".into()));
    }
    txn.commit().await?;
    get(db, partnership.id, contract_id, &ContractScope::All).await
}

/// Claims a scheduled instalment and invoices it, in the caller's transaction: `None` when
/// another run claimed it first, `Some(false)` when it came to nothing.
async fn raise_instalment(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    id: i64,
    user_id: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<bool>, ServiceError> {
    let claimed = instalment::Entity::update_many()
        .col_expr(instalment::Column::State, Expr::value(INVOICED))
        .filter(instalment::Column::Id.eq(id))
        .filter(instalment::Column::State.eq(SCHEDULED))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    let i = instalment::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("instalment {id}")))?;
    let c = contract::Entity::find_by_id(i.contract_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("contract {}", i.contract_id)))?;
    let vat: VatRate = read_stored("contracts", "vat_rate", &c.vat_rate)?;
    let (amount, working) = match i.amount_pence {
        Some(p) => (Money::from_pence(p), None),
        None => {
            let year = c.matched_year.clone().unwrap_or_default();
            let ratio: Decimal =
                read_stored("contracts", "matched_ratio", c.matched_ratio.as_deref().unwrap_or(""))?;
            let paid = membership_invoiced(txn, c.partnership_id, &year, c.local_authority_id).await?;
            let (due, working) =
                rules::matched_funding(paid, ratio, c.matched_cap_pence.map(Money::from_pence));
            (due, Some(format!("{working} (membership invoices for {year}, net of credit notes)")))
        }
    };
    let mut active: instalment::ActiveModel = i.clone().into();
    active.amount_pence = Set(Some(to_stored_pence("amount", amount)?));
    active.working = Set(working.clone());
    if amount <= Money::ZERO {
        active.state = Set(NOTHING_DUE.into());
        active.update(txn).await?;
        return Ok(Some(false));
    }
    let payer = payers::get(txn, c.partnership_id, c.payer_id).await?;
    let description = match &working {
        Some(w) => format!("{}: {w}", i.description),
        None => i.description.clone(),
    };
    let made = raise(
        txn,
        partnership,
        Raise {
            payer,
            source_key: i.charge_key.clone(),
            year: partnership
                .year_kind
                .year_containing(i.period_start)
                .map(|y| y.label())
                .unwrap_or_else(|| i.period_start.format("%Y").to_string()),
            period: format!("contract year {}", i.contract_year),
            period_start: i.period_start,
            period_end: i.period_end,
            po_number: c.reference.clone(),
            lines: vec![RaisedLine {
                line: Line {
                    description,
                    quantity: Decimal::ONE,
                    unit_price: amount,
                    net: amount,
                    vat_rate: vat,
                    source: LineSource::Other { reference: i.charge_key.clone() },
                },
                school_id: None,
                source_kind: "contract",
                source_id: i.id,
                charge_key: i.charge_key.clone(),
            }],
        },
        today,
        now,
    )
    .await?;
    active.invoice_id = Set(Some(made.id));
    active.update(txn).await?;
    audit::record(
        txn,
        Event {
            partnership_id: c.partnership_id,
            user_id,
            action: "contract.instalment_invoiced",
            entity: "invoice",
            entity_id: made.id,
            before: None,
            after: Some(serde_json::json!({ "contract": c.title, "amount": amount.to_string(), "invoice": made.number })),
        },
    )
    .await?;
    Ok(Some(true))
}

/// A variation: each contract year's new value from a date, and why.
#[derive(Debug, Clone)]
pub struct NewVariation {
    pub yearly: Vec<Money>,
    pub effective_from: NaiveDate,
    pub reason: String,
}

/// Varies a contract's yearly values from a date: instalments invoiced or due before it stay as
/// they are; later ones are replaced (the old ones kept, cancelled) so each year adds up to its
/// new value; recorded with who, when and why.
pub async fn vary<C>(
    db: &C,
    partnership: &Partnership,
    contract_id: i64,
    v: NewVariation,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ContractView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    vary_in(&txn, partnership, contract_id, &v, user_id, now).await?;
    txn.commit().await?;
    get(db, partnership.id, contract_id, &ContractScope::All).await
}

/// The contract as a variation would leave it, with nothing saved (the variation is made in a
/// transaction that is rolled back).
pub async fn preview_variation<C>(
    db: &C,
    partnership: &Partnership,
    contract_id: i64,
    v: NewVariation,
    now: DateTime<Utc>,
) -> Result<ContractView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    vary_in(&txn, partnership, contract_id, &v, None, now).await?;
    let c = contract::Entity::find_by_id(contract_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("contract {contract_id}")))?;
    let shown = view(&txn, c).await;
    txn.rollback().await?;
    shown
}

async fn vary_in(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    contract_id: i64,
    v: &NewVariation,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let reason = v.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ServiceError::invalid("reason", "Say why the contract changes, up to 1,000 characters"));
    }
    let c = contract::Entity::find_by_id(contract_id)
        .filter(contract::Column::PartnershipId.eq(partnership.id))
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("contract {contract_id}")))?;
    let kind: ScheduleKind = read_stored("contracts", "schedule_kind", &c.schedule_kind)?;
    if !matches!(kind, ScheduleKind::Fixed | ScheduleKind::NamedDates) {
        return Err(ServiceError::Conflict(
            "Only a contract paid in instalments (regular or on named dates) can be varied by its yearly values; matched funding follows the ledger and milestones their deliverables".into(),
        ));
    }
    if v.effective_from < c.start_date || v.effective_from > c.end_date {
        return Err(ServiceError::invalid(
            "effective_from",
            "The variation must take effect within the contract",
        ));
    }
    let rows: Vec<instalment::Model> = instalment::Entity::find()
        .filter(instalment::Column::ContractId.eq(c.id))
        .filter(instalment::Column::State.ne(CANCELLED))
        .order_by_asc(instalment::Column::Position)
        .all(txn)
        .await?;
    let standing: Vec<Standing> = rows
        .iter()
        .map(|r| Standing {
            contract_year: r.contract_year as usize,
            due: r.due_on.unwrap_or(r.period_start),
            amount: Money::from_pence(r.amount_pence.unwrap_or(0)),
            invoiced: r.state != SCHEDULED,
        })
        .collect();
    // Each year's value as it stands (for a named-dates schedule too, which stores none).
    let years = standing.iter().map(|s| s.contract_year).max().unwrap_or(0);
    let old_yearly: Vec<Money> = (1..=years)
        .map(|y| standing.iter().filter(|s| s.contract_year == y).fold(Money::ZERO, |a, s| a + s.amount))
        .collect();
    let changed = rules::vary(&standing, &v.yearly, v.effective_from)
        .map_err(|e| ServiceError::invalid("yearly_values", e.0))?;
    let mut position = rows.iter().map(|r| r.position).max().unwrap_or(0);
    for (index, amount) in &changed {
        let old = &rows[*index];
        instalment::Entity::update_many()
            .col_expr(instalment::Column::State, Expr::value(CANCELLED))
            .filter(instalment::Column::Id.eq(old.id))
            .filter(instalment::Column::State.eq(SCHEDULED))
            .exec(txn)
            .await?;
        if *amount > Money::ZERO {
            position += 1;
            let p = PlannedInstalment {
                kind: "instalment",
                contract_year: old.contract_year as usize,
                description: old.description.clone(),
                period_start: old.period_start,
                period_end: old.period_end,
                due_on: old.due_on,
                amount: Some(*amount),
                deliverable: None,
            };
            insert_instalment(txn, partnership.id, c.id, position, &p, None).await?;
        }
    }
    let new_value = v.yearly.iter().fold(Money::ZERO, |a, b| a + *b);
    let old_value = Money::from_pence(c.value_pence);
    variation::ActiveModel {
        partnership_id: Set(partnership.id),
        contract_id: Set(c.id),
        effective_from: Set(v.effective_from),
        reason: Set(reason.into()),
        old_value_pence: Set(c.value_pence),
        new_value_pence: Set(to_stored_pence("yearly_values", new_value)?),
        old_yearly_pence: Set(pence_list(&old_yearly)?),
        new_yearly_pence: Set(pence_list(&v.yearly)?),
        user_id: Set(user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut active: contract::ActiveModel = c.clone().into();
    active.value_pence = Set(to_stored_pence("yearly_values", new_value)?);
    active.yearly_pence = Set(pence_list(&v.yearly)?);
    active.update(txn).await?;
    let words = |list: &[Money]| list.iter().map(ToString::to_string).collect::<Vec<_>>().join(" / ");
    audit::record(
        txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "contract.varied",
            entity: "contract",
            entity_id: c.id,
            before: Some(serde_json::json!({ "title": c.title, "value": old_value.to_string(), "years": words(&old_yearly) })),
            after: Some(serde_json::json!({
                "title": c.title, "value": new_value.to_string(), "years": words(&v.yearly),
                "from": day(v.effective_from), "reason": reason,
            })),
        },
    )
    .await?;
    Ok(())
}

/// Signs a deliverable off with a note; a milestone's payment falls due that day and is
/// invoiced at once, in the same transaction.
pub async fn complete_deliverable<C>(
    db: &C,
    partnership: &Partnership,
    contract_id: i64,
    deliverable_id: i64,
    note: &str,
    actor: super::ledger::Actor,
) -> Result<ContractView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let super::ledger::Actor { user_id, today, now } = actor;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1000 {
        return Err(ServiceError::invalid("note", "Say how it was delivered, up to 1,000 characters"));
    }
    let txn = begin_write(db).await?;
    let d = deliverable::Entity::find_by_id(deliverable_id)
        .filter(deliverable::Column::PartnershipId.eq(partnership.id))
        .filter(deliverable::Column::ContractId.eq(contract_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("deliverable {deliverable_id}")))?;
    let done = deliverable::Entity::update_many()
        .col_expr(deliverable::Column::DoneOn, Expr::value(Some(today)))
        .col_expr(deliverable::Column::Note, Expr::value(Some(note.to_string())))
        .col_expr(deliverable::Column::DoneByUserId, Expr::value(user_id))
        .filter(deliverable::Column::Id.eq(d.id))
        .filter(deliverable::Column::DoneOn.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::Conflict(format!("{} was already signed off", d.title)));
    }
    let milestones = instalment::Entity::find()
        .filter(instalment::Column::DeliverableId.eq(d.id))
        .filter(instalment::Column::State.eq(SCHEDULED))
        .all(&txn)
        .await?;
    for m in &milestones {
        instalment::Entity::update_many()
            .col_expr(instalment::Column::DueOn, Expr::value(Some(today)))
            .filter(instalment::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        raise_instalment(&txn, partnership, m.id, user_id, today, now).await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "contract.deliverable_done",
            entity: "contract",
            entity_id: contract_id,
            before: None,
            after: Some(serde_json::json!({ "deliverable": d.title, "note": note, "milestone": !milestones.is_empty() })),
        },
    )
    .await?;
    txn.commit().await?;
    get(db, partnership.id, contract_id, &ContractScope::All).await
}

/// How many deliverables are not signed off and due by `by` (overdue ones included), for
/// finance's home page.
pub async fn deliverables_due(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    by: NaiveDate,
) -> Result<u64, ServiceError> {
    use sea_orm::PaginatorTrait;
    Ok(deliverable::Entity::find()
        .filter(deliverable::Column::PartnershipId.eq(partnership_id))
        .filter(deliverable::Column::DoneOn.is_null())
        .filter(deliverable::Column::DueOn.lte(by))
        .count(db)
        .await?)
}

/// Councils of the register, for the counterparty choice: (id, "Name Council").
pub async fn councils(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<(i64, String)>, ServiceError> {
    Ok(local_authority::Entity::find()
        .filter(local_authority::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(local_authority::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|la| (la.id, format!("{} Council", la.name)))
        .collect())
}

/// The board's summary: invoiced (net of credit notes) by stream and financial year of issue,
/// and the share of income from council money (council commissions, and memberships the
/// council pays for).
#[derive(Debug, Clone, Serialize)]
pub struct StreamYear {
    pub year: String,
    pub memberships: Money,
    pub traded: Money,
    pub la_commissions: Money,
    pub other_commissions: Money,
    pub grants: Money,
    pub total: Money,
    pub council_money: Money,
    /// Council money as a share of the total, in whole percent.
    pub council_share: Option<Decimal>,
}

/// Invoiced income by stream and membership year (net of credit notes), with council money:
/// one grouped query ([`super::reports::invoiced`], which says how an invoice's stream is found),
/// so the board's page costs the same with 100,000 invoices.
pub async fn summary(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<StreamYear>, ServiceError> {
    let mut years: BTreeMap<String, StreamYear> = BTreeMap::new();
    for g in super::reports::invoiced(db, partnership_id, None, super::reports::Period::Year).await? {
        let e = years.entry(g.period.clone()).or_insert_with(|| StreamYear {
            year: g.period.clone(),
            memberships: Money::ZERO,
            traded: Money::ZERO,
            la_commissions: Money::ZERO,
            other_commissions: Money::ZERO,
            grants: Money::ZERO,
            total: Money::ZERO,
            council_money: Money::ZERO,
            council_share: None,
        });
        let slot = match g.stream {
            "memberships" => &mut e.memberships,
            "la_commission" => &mut e.la_commissions,
            "other_commission" => &mut e.other_commissions,
            "grant" => &mut e.grants,
            _ => &mut e.traded,
        };
        *slot = *slot + g.net;
        if g.council {
            e.council_money = e.council_money + g.net;
        }
        e.total = e.total + g.net;
    }
    Ok(years
        .into_values()
        .map(|mut y| {
            if y.total > Money::ZERO {
                y.council_share =
                    Some((y.council_money.amount() * Decimal::from(100) / y.total.amount()).round_dp(0));
            }
            y
        })
        .collect())
}
