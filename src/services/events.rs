//! CPD courses and conferences: events sold through a CPD service (a place priced from its
//! price list by the booking school's membership on the first day), their sessions and
//! capacity, bookings of named delegates that never take more places than there are (a
//! conditional update the database checks, whoever books at the same moment), a waiting list
//! that is offered freed places in order, delegate substitution, cancellation fees by the
//! event's policy (credited back or charged), and the attendance register with no-show charges.
//! Places are invoiced per booking.

use super::{FieldError, ServiceError, audit, begin_write, to_stored_pence};
use crate::domain::events::{CancellationPolicy, PlaceState, split_places};
use crate::domain::invoice::{Line, LineSource};
use crate::domain::money::Money;
use crate::domain::payer::PaidBy;
use crate::domain::role::SchoolScope;
use crate::domain::text;
use crate::domain::traded::{Category, Unit};
use crate::domain::vat::VatRate;
use crate::services::invoices::raise::{Raise, RaisedLine, raise};
use crate::services::ledger::Actor;
use crate::services::partnerships::Partnership;
use crate::services::{payers, traded as catalogue};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entity::{event, event_place, event_session, school};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// A session as sent: a date with start and end times, and where (empty: the event's venue).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub date: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub venue: String,
}

/// An event as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub service_id: i64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub online: bool,
    pub capacity: i64,
    pub booking_deadline: NaiveDate,
    pub sessions: Vec<NewSession>,
    #[serde(default)]
    pub cancellation_policy: CancellationPolicy,
    /// "per_booking" (the default: booked places are invoiced at once) or "monthly" (each
    /// school's places and fees are invoiced after the month of the event).
    #[serde(default)]
    pub invoicing: Option<String>,
}

/// Booked places invoiced at once.
pub const PER_BOOKING: &str = "per_booking";
/// Places and fees invoiced per school after the month of the event.
pub const MONTHLY: &str = "monthly";

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub date: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub venue: String,
}

/// An event as read back, with how many places are left.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: i64,
    pub service_id: i64,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub online: bool,
    pub capacity: i32,
    pub places_taken: i32,
    pub places_left: i32,
    pub waiting: u64,
    pub booking_deadline: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub cancellation_policy: CancellationPolicy,
    pub cancellation_policy_in_words: String,
    pub invoicing: String,
    pub sessions: Vec<SessionView>,
}

/// A place as read back.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceView {
    pub id: i64,
    pub event_id: i64,
    pub school_id: i64,
    pub urn: i32,
    pub school: String,
    pub delegate: String,
    pub state: &'static str,
    pub price: String,
    pub why: String,
    pub po_number: Option<String>,
    pub invoice_id: Option<i64>,
    pub cancelled_on: Option<NaiveDate>,
    pub fee: Option<String>,
    pub credit_note_id: Option<i64>,
    pub charge_invoice_id: Option<i64>,
}

fn read_time(text: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<NaiveTime> {
    match NaiveTime::parse_from_str(text.trim(), "%H:%M") {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(FieldError {
                field: field.into(),
                message: format!(
                    "\"{}\" is not a time like 09:30",
                    text.chars().take(20).collect::<String>()
                ),
            });
            None
        }
    }
}

fn policy_of(m: &event::Model) -> Result<CancellationPolicy, ServiceError> {
    serde_json::from_str(&m.policy).map_err(|e| ServiceError::Corrupt {
        table: "events",
        column: "policy",
        value: m.policy.chars().take(200).collect(),
        reason: e.to_string(),
    })
}

fn state_of(m: &event_place::Model) -> Result<PlaceState, ServiceError> {
    PlaceState::parse(&m.state).ok_or_else(|| ServiceError::Corrupt {
        table: "event_places",
        column: "state",
        value: m.state.clone(),
        reason: "not a state of a place".into(),
    })
}

/// Adds an event; every problem is named by its field.
pub async fn create<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewEvent,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<EventView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut errors = Vec::new();
    let mut problem = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
    let title = text::required(&new.title, text::MAX_NAME_CHARS, "enter the event's title")
        .map_err(|m| problem("title", m))
        .ok();
    let description = text::optional(&new.description, text::MAX_DESCRIPTION_CHARS)
        .map_err(|m| problem("description", m))
        .ok()
        .flatten()
        .unwrap_or_default();
    let venue =
        text::optional(&new.venue, 500).map_err(|m| problem("venue", m)).ok().flatten().unwrap_or_default();
    if venue.is_empty() && !new.online {
        problem("venue", "say where the event is, or that it is online".into());
    }
    if !(1..=10_000).contains(&new.capacity) {
        problem("capacity", "the capacity is 1 to 10,000 places".into());
    }
    if let Err(e) = new.cancellation_policy.check() {
        problem("cancellation_policy", e.to_string());
    }
    let invoicing = match new.invoicing.as_deref().map(str::trim) {
        None | Some("") | Some(PER_BOOKING) => PER_BOOKING,
        Some(MONTHLY) => MONTHLY,
        Some(other) => {
            problem(
                "invoicing",
                format!("\"{other}\" is not how places are invoiced: per_booking or monthly"),
            );
            PER_BOOKING
        }
    };
    if new.sessions.is_empty() || new.sessions.len() > 30 {
        problem("sessions", "give 1 to 30 sessions".into());
    }
    let mut errors_t = Vec::new();
    for (i, s) in new.sessions.iter().enumerate() {
        let from = read_time(&s.starts_at, &format!("sessions[{i}].starts_at"), &mut errors_t);
        let to = read_time(&s.ends_at, &format!("sessions[{i}].ends_at"), &mut errors_t);
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            errors_t.push(FieldError {
                field: format!("sessions[{i}].ends_at"),
                message: "a session ends after it starts".into(),
            });
        }
        if s.venue.chars().count() > 500 || s.venue.chars().any(char::is_control) {
            errors_t.push(FieldError {
                field: format!("sessions[{i}].venue"),
                message: "a venue is at most 500 characters on one line".into(),
            });
        }
    }
    errors.extend(errors_t);
    let starts_on = new.sessions.iter().map(|s| s.date).min();
    let ends_on = new.sessions.iter().map(|s| s.date).max();
    if let Some(start) = starts_on
        && new.booking_deadline > start
    {
        errors.push(FieldError {
            field: "booking_deadline".into(),
            message: format!("bookings must close by the first session ({start})"),
        });
    }
    let service = match catalogue::get(db, partnership.id, new.service_id).await {
        Ok(s) => Some(s),
        Err(ServiceError::NotFound(_)) => {
            errors.push(FieldError {
                field: "service_id".into(),
                message: format!("the catalogue has no service {}", new.service_id),
            });
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(s) = &service {
        let category = Category::parse(s.category);
        if !matches!(category, Some(Category::CpdCourse | Category::Conference))
            || s.unit != Unit::Place.as_str()
        {
            errors.push(FieldError {
                field: "service_id".into(),
                message: format!("{} is not a CPD course or conference sold by the place", s.name),
            });
        }
    }
    let (Some(title), Some(starts_on), Some(ends_on), true) = (title, starts_on, ends_on, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = begin_write(db).await?;
    let made = event::ActiveModel {
        partnership_id: Set(partnership.id),
        service_id: Set(new.service_id),
        title: Set(title),
        description: Set(description),
        venue: Set(venue.clone()),
        online: Set(new.online),
        capacity: Set(i32::try_from(new.capacity).unwrap_or(1)),
        places_taken: Set(0),
        booking_deadline: Set(new.booking_deadline),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        policy: Set(serde_json::to_string(&new.cancellation_policy).unwrap_or_else(|_| "{}".into())),
        invoicing: Set(invoicing.into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for s in &new.sessions {
        event_session::ActiveModel {
            event_id: Set(made.id),
            on_date: Set(s.date),
            starts_at: Set(s.starts_at.trim().to_string()),
            ends_at: Set(s.ends_at.trim().to_string()),
            venue: Set(if s.venue.trim().is_empty() { venue.clone() } else { s.venue.trim().to_string() }),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "event.created",
            entity: "event",
            entity_id: made.id,
            before: None,
            after: Some(serde_json::json!({ "title": made.title, "capacity": made.capacity, "starts_on": made.starts_on })),
        },
    )
    .await?;
    txn.commit().await?;
    get(db, partnership.id, made.id).await
}

async fn found(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<event::Model, ServiceError> {
    event::Entity::find_by_id(id)
        .filter(event::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("event {id}")))
}

async fn view(db: &impl ConnectionTrait, m: event::Model) -> Result<EventView, ServiceError> {
    let sessions = event_session::Entity::find()
        .filter(event_session::Column::EventId.eq(m.id))
        .order_by_asc(event_session::Column::OnDate)
        .order_by_asc(event_session::Column::StartsAt)
        .all(db)
        .await?;
    let waiting = event_place::Entity::find()
        .filter(event_place::Column::EventId.eq(m.id))
        .filter(event_place::Column::State.eq(PlaceState::Waiting.as_str()))
        .count(db)
        .await?;
    let policy = policy_of(&m)?;
    Ok(EventView {
        id: m.id,
        service_id: m.service_id,
        title: m.title,
        description: m.description,
        venue: m.venue,
        online: m.online,
        capacity: m.capacity,
        places_taken: m.places_taken,
        places_left: Ord::max(m.capacity - m.places_taken, 0),
        waiting,
        booking_deadline: m.booking_deadline,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        cancellation_policy_in_words: policy.describe(),
        invoicing: m.invoicing.clone(),
        cancellation_policy: policy,
        sessions: sessions
            .into_iter()
            .map(|s| SessionView {
                date: s.on_date,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                venue: s.venue,
            })
            .collect(),
    })
}

/// One event of the partnership.
pub async fn get(db: &impl ConnectionTrait, partnership_id: i64, id: i64) -> Result<EventView, ServiceError> {
    let m = found(db, partnership_id, id).await?;
    view(db, m).await
}

/// Events per page of the list.
pub const PER_PAGE: u64 = 50;

/// A page of the partnership's events, soonest first, and how many there are.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    page: u64,
) -> Result<(Vec<EventView>, u64), ServiceError> {
    let query = event::Entity::find().filter(event::Column::PartnershipId.eq(partnership_id));
    let total = query.clone().count(db).await?;
    let rows = crate::services::rows_at(
        db,
        query.order_by_asc(event::Column::StartsOn).order_by_asc(event::Column::Id),
        page.saturating_sub(1).saturating_mul(PER_PAGE),
        PER_PAGE,
    )
    .await?;
    let mut out = Vec::new();
    for m in rows {
        out.push(view(db, m).await?);
    }
    Ok((out, total))
}

/// A booking as sent: the school, one named delegate per place, and a PO number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub urn: String,
    pub delegates: Vec<String>,
    #[serde(default)]
    pub po_number: Option<String>,
}

/// Takes up to `wanted` places of the event, never more than are left: one conditional update
/// the database applies only while the count stays within the capacity. Returns how many.
async fn take_places(txn: &impl ConnectionTrait, event_id: i64, wanted: u32) -> Result<u32, ServiceError> {
    for _ in 0..5 {
        let m = event::Entity::find_by_id(event_id)
            .one(txn)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("event {event_id}")))?;
        let free = u32::try_from(Ord::max(m.capacity - m.places_taken, 0)).unwrap_or(0);
        let (k, _) = split_places(wanted, free);
        if k == 0 {
            return Ok(0);
        }
        let k_i32 = i32::try_from(k).unwrap_or(0);
        let done = event::Entity::update_many()
            .col_expr(event::Column::PlacesTaken, Expr::col(event::Column::PlacesTaken).add(k_i32))
            .filter(event::Column::Id.eq(event_id))
            .filter(Expr::col(event::Column::PlacesTaken).add(k_i32).lte(Expr::col(event::Column::Capacity)))
            .exec(txn)
            .await?;
        if done.rows_affected == 1 {
            return Ok(k);
        }
    }
    Ok(0)
}

async fn give_back_place(txn: &impl ConnectionTrait, event_id: i64) -> Result<(), ServiceError> {
    event::Entity::update_many()
        .col_expr(event::Column::PlacesTaken, Expr::col(event::Column::PlacesTaken).sub(1))
        .filter(event::Column::Id.eq(event_id))
        .filter(event::Column::PlacesTaken.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

fn place_line(
    e: &event::Model,
    p: &event_place::Model,
    vat: VatRate,
    school_name: &str,
    amount: Money,
    what: &str,
    kind: &'static str,
) -> RaisedLine {
    RaisedLine {
        line: Line {
            description: format!(
                "{}, {}, {school_name}: {what} for {} ({})",
                e.title,
                e.starts_on.format("%-d %B %Y"),
                p.delegate,
                p.why
            ),
            quantity: Decimal::ONE,
            unit_price: amount,
            net: amount,
            vat_rate: vat,
            source: LineSource::Other { reference: format!("{kind}:{}", p.id) },
        },
        school_id: Some(p.school_id),
        source_kind: kind,
        source_id: p.id,
        charge_key: format!("{kind}:{}", p.id),
    }
}

/// Invoices booked places (one invoice, a line per place) when they cost anything.
async fn invoice_places(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    e: &event::Model,
    places: &[event_place::Model],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<i64>, ServiceError> {
    let charged: Vec<&event_place::Model> = places.iter().filter(|p| p.price_pence > 0).collect();
    let Some(first) = charged.first() else { return Ok(None) };
    let service = catalogue::get(txn, partnership.id, e.service_id).await?;
    let vat: VatRate = super::read_stored("services", "vat_rate", service.vat_rate)?;
    let school_name =
        school::Entity::find_by_id(first.school_id).one(txn).await?.map(|s| s.name).unwrap_or_default();
    let year = partnership.year_kind.year_containing(e.starts_on).map(|y| y.label()).unwrap_or_default();
    let payer = payers::get(txn, partnership.id, first.payer_id).await?;
    let made = raise(
        txn,
        partnership,
        Raise {
            payer,
            source_key: format!("event-booking:{}", first.id),
            year,
            period: "traded services".into(),
            period_start: e.starts_on,
            period_end: e.ends_on,
            po_number: first.po_number.clone(),
            lines: charged
                .iter()
                .map(|p| {
                    place_line(
                        e,
                        p,
                        vat,
                        &school_name,
                        Money::from_pence(p.price_pence),
                        "a place",
                        "event_place",
                    )
                })
                .collect(),
        },
        today,
        now,
    )
    .await?;
    for p in charged {
        let mut active: event_place::ActiveModel = p.clone().into();
        active.invoice_id = Set(Some(made.id));
        active.update(txn).await?;
    }
    Ok(Some(made.id))
}

/// Books places for a school in the user's scope: as many as are left, the rest on the waiting
/// list in the order asked; the booked places are invoiced at once.
pub async fn book<C>(
    db: &C,
    partnership: &Partnership,
    scope: SchoolScope,
    event_id: i64,
    new: &NewBooking,
    actor: Actor,
) -> Result<Vec<PlaceView>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Actor { user_id, today, now } = actor;
    let e = found(db, partnership.id, event_id).await?;
    if today > e.booking_deadline {
        return Err(ServiceError::Conflict(format!(
            "bookings for {} closed on {}",
            e.title,
            e.booking_deadline.format("%-d %B %Y")
        )));
    }
    if new.delegates.is_empty() || new.delegates.len() > 50 {
        return Err(ServiceError::invalid("delegates", "name 1 to 50 delegates, one a place"));
    }
    let mut names = Vec::new();
    for (i, d) in new.delegates.iter().enumerate() {
        let name = text::required(d, text::MAX_NAME_CHARS, "enter the delegate's name")
            .map_err(|m| ServiceError::invalid(&format!("delegates[{i}]"), m))?;
        if names.iter().any(|n: &String| n.eq_ignore_ascii_case(&name)) {
            return Err(ServiceError::invalid(&format!("delegates[{i}]"), format!("{name} is named twice")));
        }
        names.push(name);
    }
    let po = text::optional(new.po_number.as_deref().unwrap_or_default(), 100)
        .map_err(|m| ServiceError::invalid("po_number", m))?;
    let s = catalogue::school_by_urn(db, partnership.id, &new.urn).await?;
    if !scope.includes(s.id, s.trust_id) {
        return Err(ServiceError::NotFound(format!("school {}", s.urn)));
    }
    let q = catalogue::quote(db, partnership, e.service_id, &s, e.starts_on).await?;
    let payer = payers::payer_for(db, partnership.id, &s, PaidBy::School).await?;
    let price = to_stored_pence("price", q.unit.amount)?;
    let txn = begin_write(db).await?;
    let wanted = u32::try_from(names.len()).unwrap_or(0);
    let booked = take_places(&txn, event_id, wanted).await?;
    let mut made = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let state = if (i as u32) < booked { PlaceState::Booked } else { PlaceState::Waiting };
        made.push(
            event_place::ActiveModel {
                partnership_id: Set(partnership.id),
                event_id: Set(event_id),
                school_id: Set(s.id),
                payer_id: Set(payer.id),
                delegate: Set(name.clone()),
                state: Set(state.as_str().into()),
                price_pence: Set(price),
                why: Set(q.unit.why.clone()),
                po_number: Set(po.clone()),
                created_by_user_id: Set(user_id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?,
        );
    }
    let booked_places: Vec<event_place::Model> =
        made.iter().filter(|p| p.state == PlaceState::Booked.as_str()).cloned().collect();
    let e_now = found(&txn, partnership.id, event_id).await?;
    if e_now.invoicing != MONTHLY {
        invoice_places(&txn, partnership, &e_now, &booked_places, today, now).await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "event.booked",
            entity: "event",
            entity_id: event_id,
            before: None,
            after: Some(
                serde_json::json!({ "school": s.name, "booked": booked, "waiting": wanted - booked }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    let ids: Vec<i64> = made.iter().map(|p| p.id).collect();
    places_by_id(db, &ids).await
}

async fn places_by_id(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<PlaceView>, ServiceError> {
    let rows = event_place::Entity::find()
        .filter(event_place::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(event_place::Column::Id)
        .all(db)
        .await?;
    place_views(db, &rows).await
}

async fn place_views(
    db: &impl ConnectionTrait,
    rows: &[event_place::Model],
) -> Result<Vec<PlaceView>, ServiceError> {
    let school_ids: Vec<i64> = rows.iter().map(|p| p.school_id).collect();
    let schools = crate::services::register::school_names(db, school_ids).await?;
    rows.iter()
        .map(|p| {
            let (name, urn) = schools.get(&p.school_id).cloned().unwrap_or_default();
            Ok(PlaceView {
                id: p.id,
                event_id: p.event_id,
                school_id: p.school_id,
                urn,
                school: name,
                delegate: p.delegate.clone(),
                state: state_of(p)?.as_str(),
                price: Money::from_pence(p.price_pence).amount().to_string(),
                why: p.why.clone(),
                po_number: p.po_number.clone(),
                invoice_id: p.invoice_id,
                cancelled_on: p.cancelled_on,
                fee: p.fee_pence.map(|f| Money::from_pence(f).amount().to_string()),
                credit_note_id: p.credit_note_id,
                charge_invoice_id: p.charge_invoice_id,
            })
        })
        .collect()
}

/// The event's places (in the user's scope), in the order they were asked for.
pub async fn places(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    event_id: i64,
) -> Result<Vec<PlaceView>, ServiceError> {
    found(db, partnership_id, event_id).await?;
    let rows = event_place::Entity::find()
        .filter(event_place::Column::EventId.eq(event_id))
        .order_by_asc(event_place::Column::Id)
        .limit(5000)
        .all(db)
        .await?;
    let own = in_scope(db, scope, &rows).await?;
    place_views(db, &own).await
}

async fn in_scope(
    db: &impl ConnectionTrait,
    scope: SchoolScope,
    rows: &[event_place::Model],
) -> Result<Vec<event_place::Model>, ServiceError> {
    match scope {
        SchoolScope::All => Ok(rows.to_vec()),
        SchoolScope::School(id) => Ok(rows.iter().filter(|p| p.school_id == id).cloned().collect()),
        SchoolScope::Trust(trust) => {
            let ids: Vec<i64> = school::Entity::find()
                .select_only()
                .column(school::Column::Id)
                .filter(school::Column::TrustId.eq(trust))
                .into_tuple()
                .all(db)
                .await?;
            Ok(rows.iter().filter(|p| ids.contains(&p.school_id)).cloned().collect())
        }
        SchoolScope::Nothing => Ok(vec![]),
    }
}

async fn place_in_scope(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    id: i64,
) -> Result<event_place::Model, ServiceError> {
    let p = event_place::Entity::find_by_id(id)
        .filter(event_place::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("booking {id}")))?;
    if in_scope(db, scope, std::slice::from_ref(&p)).await?.is_empty() {
        return Err(ServiceError::NotFound(format!("booking {id}")));
    }
    Ok(p)
}

/// The event of a place the user can see.
pub async fn event_of_place(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    place_id: i64,
) -> Result<i64, ServiceError> {
    Ok(place_in_scope(db, partnership_id, scope, place_id).await?.event_id)
}

/// Offers a freed place to the first on the event's waiting list; false when nobody waits
/// (the caller then gives the place back).
async fn offer_next(txn: &impl ConnectionTrait, event_id: i64) -> Result<bool, ServiceError> {
    let next = event_place::Entity::find()
        .filter(event_place::Column::EventId.eq(event_id))
        .filter(event_place::Column::State.eq(PlaceState::Waiting.as_str()))
        .order_by_asc(event_place::Column::Id)
        .one(txn)
        .await?;
    match next {
        Some(p) => {
            let mut active: event_place::ActiveModel = p.into();
            active.state = Set(PlaceState::Offered.as_str().into());
            active.update(txn).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Cancels a place on `today`. A booked place costs what the event's policy says (the rest of
/// its invoice is credited); its place goes to the first on the waiting list. A waiting or
/// offered place costs nothing.
pub async fn cancel<C>(
    db: &C,
    partnership: &Partnership,
    scope: SchoolScope,
    id: i64,
    actor: Actor,
) -> Result<PlaceView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Actor { user_id, today, now } = actor;
    let p = place_in_scope(db, partnership.id, scope, id).await?;
    let state = state_of(&p)?;
    let e = found(db, partnership.id, p.event_id).await?;
    if !matches!(state, PlaceState::Booked | PlaceState::Waiting | PlaceState::Offered) {
        return Err(ServiceError::Conflict(format!(
            "this place is {}: it cannot be cancelled",
            state.label().to_lowercase()
        )));
    }
    if today > e.ends_on {
        return Err(ServiceError::Conflict("the event is over: record attendance instead".into()));
    }
    let policy = policy_of(&e)?;
    let price = Money::from_pence(p.price_pence);
    let fee = if state == PlaceState::Booked {
        policy.cancellation_fee(price, e.starts_on, today)
    } else {
        Money::ZERO
    };
    let txn = begin_write(db).await?;
    // Claim the place: a second cancellation at the same moment finds it cancelled already.
    let claimed = event_place::Entity::update_many()
        .col_expr(event_place::Column::State, Expr::value(PlaceState::Cancelled.as_str()))
        .col_expr(event_place::Column::CancelledOn, Expr::value(Some(today)))
        .col_expr(event_place::Column::FeePence, Expr::value(Some(to_stored_pence("fee", fee)?)))
        .filter(event_place::Column::Id.eq(id))
        .filter(event_place::Column::State.eq(state.as_str()))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::Conflict("this place was changed by someone else: look again".into()));
    }
    if state.holds_a_place() && !offer_next(&txn, e.id).await? {
        give_back_place(&txn, e.id).await?;
    }
    // What was invoiced and is not due is credited, in the same transaction.
    let refund = price - fee;
    if state == PlaceState::Booked
        && let Some(invoice_id) = p.invoice_id
        && refund > Money::ZERO
    {
        let line = entity::invoice_line::Entity::find()
            .filter(entity::invoice_line::Column::InvoiceId.eq(invoice_id))
            .filter(entity::invoice_line::Column::SourceKind.eq("event_place"))
            .filter(entity::invoice_line::Column::SourceId.eq(p.id))
            .one(&txn)
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict(format!("the invoice of place {} has no line for it", p.id))
            })?;
        let reason = format!(
            "{}: place for {} cancelled on {}{}",
            e.title,
            p.delegate,
            today.format("%-d %B %Y"),
            if fee > Money::ZERO {
                format!(" (cancellation fee {fee} kept by the policy)")
            } else {
                String::new()
            }
        );
        let note = crate::services::invoices::credit(
            &txn,
            partnership,
            invoice_id,
            &crate::services::invoices::CreditAmounts::Lines(vec![(line.id, refund)]),
            crate::services::invoices::CreditRequest { reason: &reason, user_id, today, now },
        )
        .await?;
        event_place::Entity::update_many()
            .col_expr(event_place::Column::CreditNoteId, Expr::value(Some(note.id)))
            .filter(event_place::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "event.place_cancelled",
            entity: "event",
            entity_id: e.id,
            before: Some(serde_json::json!({ "state": state.as_str(), "delegate": p.delegate })),
            after: Some(serde_json::json!({ "state": "cancelled", "fee": fee.to_string() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(places_by_id(db, &[id]).await?.remove(0))
}

/// The first on the waiting list answers an offered place: accepted, it is booked and
/// invoiced; declined, it passes to the next.
pub async fn answer_offer<C>(
    db: &C,
    partnership: &Partnership,
    scope: SchoolScope,
    id: i64,
    accept: bool,
    actor: Actor,
) -> Result<PlaceView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Actor { user_id, today, now } = actor;
    let p = place_in_scope(db, partnership.id, scope, id).await?;
    if state_of(&p)? != PlaceState::Offered {
        return Err(ServiceError::Conflict("this place is not offered to you".into()));
    }
    let e = found(db, partnership.id, p.event_id).await?;
    let txn = begin_write(db).await?;
    let next = if accept { PlaceState::Booked } else { PlaceState::Cancelled };
    let claimed = event_place::Entity::update_many()
        .col_expr(event_place::Column::State, Expr::value(next.as_str()))
        .filter(event_place::Column::Id.eq(id))
        .filter(event_place::Column::State.eq(PlaceState::Offered.as_str()))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::Conflict("this place was changed by someone else: look again".into()));
    }
    if accept {
        let booked = event_place::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("booking {id}")))?;
        if e.invoicing != MONTHLY {
            invoice_places(&txn, partnership, &e, &[booked], today, now).await?;
        }
    } else if !offer_next(&txn, e.id).await? {
        give_back_place(&txn, e.id).await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: if accept { "event.offer_accepted" } else { "event.offer_declined" },
            entity: "event",
            entity_id: e.id,
            before: None,
            after: Some(serde_json::json!({ "delegate": p.delegate })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(places_by_id(db, &[id]).await?.remove(0))
}

/// Another delegate takes a place (before the event ends).
pub async fn substitute<C>(
    db: &C,
    partnership: &Partnership,
    scope: SchoolScope,
    id: i64,
    delegate: &str,
    user_id: Option<i64>,
) -> Result<PlaceView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = place_in_scope(db, partnership.id, scope, id).await?;
    let state = state_of(&p)?;
    if !matches!(state, PlaceState::Booked | PlaceState::Waiting | PlaceState::Offered) {
        return Err(ServiceError::Conflict(format!(
            "this place is {}: its delegate cannot change",
            state.label().to_lowercase()
        )));
    }
    let name = text::required(delegate, text::MAX_NAME_CHARS, "enter the new delegate's name")
        .map_err(|m| ServiceError::invalid("delegate", m))?;
    let txn = begin_write(db).await?;
    let before = p.delegate.clone();
    let mut active: event_place::ActiveModel = p.into();
    active.delegate = Set(name.clone());
    active.update(&txn).await?;
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "event.delegate_changed",
            entity: "event_place",
            entity_id: id,
            before: Some(serde_json::json!({ "delegate": before })),
            after: Some(serde_json::json!({ "delegate": name })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(places_by_id(db, &[id]).await?.remove(0))
}

/// The attendance register after the event starts: each booked place attended or not; a
/// no-show at a free place is charged the policy's fixed sum (one invoice per payer).
pub async fn register_attendance<C>(
    db: &C,
    partnership: &Partnership,
    event_id: i64,
    attended: &[i64],
    no_show: &[i64],
    actor: Actor,
) -> Result<Vec<PlaceView>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Actor { user_id, today, now } = actor;
    let e = found(db, partnership.id, event_id).await?;
    if today < e.starts_on {
        return Err(ServiceError::Conflict(format!(
            "attendance is taken from the first session, {}",
            e.starts_on.format("%-d %B %Y")
        )));
    }
    if attended.iter().any(|a| no_show.contains(a)) {
        return Err(ServiceError::invalid("no_show", "a place is either attended or not"));
    }
    let policy = policy_of(&e)?;
    let txn = begin_write(db).await?;
    let mut charges: std::collections::BTreeMap<i64, Vec<event_place::Model>> = Default::default();
    for (ids, state) in [(attended, PlaceState::Attended), (no_show, PlaceState::NoShow)] {
        for id in ids {
            let p = event_place::Entity::find_by_id(*id)
                .filter(event_place::Column::EventId.eq(event_id))
                .one(&txn)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid(
                        if state == PlaceState::NoShow { "no_show" } else { "attended" },
                        format!("place {id} is not a place on this event"),
                    )
                })?;
            let now_state = state_of(&p)?;
            if !matches!(now_state, PlaceState::Booked | PlaceState::Attended | PlaceState::NoShow) {
                return Err(ServiceError::Conflict(format!(
                    "place {id} is {}: only booked places attend",
                    now_state.label().to_lowercase()
                )));
            }
            let fee = if state == PlaceState::NoShow && p.charge_invoice_id.is_none() {
                policy.no_show_fee(Money::from_pence(p.price_pence))
            } else {
                Money::ZERO
            };
            let mut active: event_place::ActiveModel = p.clone().into();
            active.state = Set(state.as_str().into());
            if fee > Money::ZERO {
                active.fee_pence = Set(Some(to_stored_pence("fee", fee)?));
            }
            let updated = active.update(&txn).await?;
            if fee > Money::ZERO {
                charges.entry(updated.payer_id).or_default().push(updated);
            }
        }
    }
    if !charges.is_empty() {
        let service = catalogue::get(&txn, partnership.id, e.service_id).await?;
        let vat: VatRate = super::read_stored("services", "vat_rate", service.vat_rate)?;
        let year = partnership.year_kind.year_containing(e.starts_on).map(|y| y.label()).unwrap_or_default();
        for (payer_id, list) in charges {
            let payer = payers::get(&txn, partnership.id, payer_id).await?;
            let school_name = school::Entity::find_by_id(list[0].school_id)
                .one(&txn)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            let made = raise(
                &txn,
                partnership,
                Raise {
                    payer,
                    source_key: format!("event-no-show:{}", list[0].id),
                    year: year.clone(),
                    period: "traded services".into(),
                    period_start: e.starts_on,
                    period_end: e.ends_on,
                    po_number: list[0].po_number.clone(),
                    lines: list
                        .iter()
                        .map(|p| {
                            let fee = Money::from_pence(p.fee_pence.unwrap_or(0));
                            place_line(&e, p, vat, &school_name, fee, "no-show charge", "event_no_show")
                        })
                        .collect(),
                },
                today,
                now,
            )
            .await?;
            for p in list {
                let mut active: event_place::ActiveModel = p.into();
                active.charge_invoice_id = Set(Some(made.id));
                active.update(&txn).await?;
            }
        }
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "event.attendance",
            entity: "event",
            entity_id: event_id,
            before: None,
            after: Some(serde_json::json!({ "attended": attended.len(), "no_show": no_show.len() })),
        },
    )
    .await?;
    txn.commit().await?;
    let ids: Vec<i64> = attended.iter().chain(no_show).copied().collect();
    places_by_id(db, &ids).await
}

/// A payer's month of a course: the places charged, and the cancellation fees.
type PlacesAndFees = (Vec<event_place::Model>, Vec<event_place::Model>);

/// Invoices the places and cancellation fees of courses invoiced monthly that started before
/// the month `today` is in: one invoice per payer per month of the course's start. Each place
/// and fee is invoiced once (its invoice is set in the same transaction).
pub async fn invoice_month<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<crate::services::orders::MonthlyInvoicing, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use chrono::Datelike;
    let month_start = today.with_day(1).unwrap_or(today);
    let monthly: Vec<event::Model> = event::Entity::find()
        .filter(event::Column::PartnershipId.eq(partnership.id))
        .filter(event::Column::Invoicing.eq(MONTHLY))
        .filter(event::Column::StartsOn.lt(month_start))
        .all(db)
        .await?;
    let mut done = crate::services::orders::MonthlyInvoicing::default();
    if monthly.is_empty() {
        return Ok(done);
    }
    let held = [PlaceState::Booked, PlaceState::Attended, PlaceState::NoShow].map(|s| s.as_str());
    let ids: Vec<i64> = monthly.iter().map(|e| e.id).collect();
    let places = event_place::Entity::find()
        .filter(event_place::Column::EventId.is_in(ids))
        .filter(event_place::Column::InvoiceId.is_null())
        .order_by_asc(event_place::Column::Id)
        .all(db)
        .await?;
    // (payer, year, month) -> places charged, fees charged.
    let mut groups: std::collections::BTreeMap<(i64, i32, u32), PlacesAndFees> = Default::default();
    for p in places {
        let Some(e) = monthly.iter().find(|e| e.id == p.event_id) else { continue };
        let key = (p.payer_id, e.starts_on.year(), e.starts_on.month());
        if held.contains(&p.state.as_str()) && p.price_pence > 0 {
            groups.entry(key).or_default().0.push(p);
        } else if p.state == PlaceState::Cancelled.as_str()
            && p.fee_pence.unwrap_or(0) > 0
            && p.charge_invoice_id.is_none()
        {
            groups.entry(key).or_default().1.push(p);
        }
    }
    for ((payer_id, year, month), (charged, fees)) in groups {
        let start = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(month_start);
        let end =
            start.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(start);
        let txn = begin_write(db).await?;
        crate::services::ledger::lock_payers(&txn, partnership.id, &[payer_id]).await?;
        let mut lines = Vec::new();
        let mut marks = Vec::new();
        let mut first = None;
        for (p, what, kind) in charged
            .iter()
            .map(|p| (p, "a place", "event_place"))
            .chain(fees.iter().map(|p| (p, "cancellation fee", "event_fee")))
        {
            // Another run may have invoiced it since it was read.
            let now_row = event_place::Entity::find_by_id(p.id).one(&txn).await?;
            if now_row.as_ref().is_none_or(|r| r.invoice_id.is_some() || r.charge_invoice_id.is_some()) {
                continue;
            }
            let e = monthly
                .iter()
                .find(|e| e.id == p.event_id)
                .ok_or_else(|| ServiceError::NotFound("event".into()))?;
            let service = catalogue::get(&txn, partnership.id, e.service_id).await?;
            let vat: VatRate = super::read_stored("services", "vat_rate", service.vat_rate)?;
            let school_name =
                school::Entity::find_by_id(p.school_id).one(&txn).await?.map(|s| s.name).unwrap_or_default();
            let amount = if kind == "event_fee" {
                Money::from_pence(p.fee_pence.unwrap_or(0))
            } else {
                Money::from_pence(p.price_pence)
            };
            first.get_or_insert(p.id);
            marks.push((p.id, kind));
            lines.push(place_line(e, p, vat, &school_name, amount, what, kind));
        }
        let Some(first) = first else { continue };
        let payer = payers::get(&txn, partnership.id, payer_id).await?;
        let made = raise(
            &txn,
            partnership,
            Raise {
                payer,
                source_key: format!("events-month:{payer_id}:{year:04}-{month:02}:{first}"),
                year: partnership.year_kind.year_containing(start).map(|y| y.label()).unwrap_or_default(),
                period: format!("courses, {}", start.format("%B %Y")),
                period_start: start,
                period_end: end,
                po_number: charged.first().and_then(|p| p.po_number.clone()),
                lines,
            },
            today,
            now,
        )
        .await?;
        for (id, kind) in &marks {
            let column = if *kind == "event_fee" {
                event_place::Column::ChargeInvoiceId
            } else {
                event_place::Column::InvoiceId
            };
            event_place::Entity::update_many()
                .col_expr(column, Expr::value(Some(made.id)))
                .filter(event_place::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        done.invoices += 1;
        done.orders += marks.len();
    }
    Ok(done)
}

/// A school's places across courses (their business manager's view), newest course first: the
/// place, and its course's title and first day.
pub async fn places_of_schools(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<(PlaceView, String, NaiveDate)>, ServiceError> {
    let rows = event_place::Entity::find()
        .filter(event_place::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(event_place::Column::EventId)
        .order_by_asc(event_place::Column::Id)
        .limit(2000)
        .all(db)
        .await?;
    let own: Vec<event_place::Model> = in_scope(db, scope, &rows).await?.into_iter().take(200).collect();
    let events: std::collections::HashMap<i64, (String, NaiveDate)> = event::Entity::find()
        .filter(event::Column::Id.is_in(own.iter().map(|p| p.event_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, (e.title, e.starts_on)))
        .collect();
    Ok(place_views(db, &own)
        .await?
        .into_iter()
        .map(|p| {
            let (title, on) = events.get(&p.event_id).cloned().unwrap_or_default();
            (p, title, on)
        })
        .collect())
}
