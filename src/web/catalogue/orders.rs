//! Orders on the pages: finance's queue (every order, by state) and a business manager's own
//! orders; one order with what it costs and why, its invoice, and finance's steps: confirm (at
//! another price only with a reason), record delivery, cancel.

use super::school::ordering_scope;
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::domain::traded::{OrderState, Unit};
use crate::services::orders::{self, OrderView, Step};
use crate::services::{FieldError, ServiceError, traded as catalogue};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{editor, sentence_case, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, Pagination, field_errors, page_id, page_param, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(OrderPage);

fn tag(state: OrderState) -> &'static str {
    match state {
        OrderState::Requested => "govuk-tag--blue",
        OrderState::Confirmed => "govuk-tag--yellow",
        OrderState::Scheduled => "govuk-tag--turquoise",
        OrderState::Delivered => "govuk-tag--green",
        OrderState::Cancelled => "govuk-tag--grey",
    }
}

struct Row {
    id: i64,
    school: String,
    service: String,
    date: String,
    quantity: String,
    price: String,
    state: &'static str,
    tag: &'static str,
}

#[derive(Template)]
#[template(path = "services/orders.html")]
struct OrdersPage {
    chrome: Chrome,
    /// A school's places on courses: course id, title, date, delegate, state.
    places: Vec<(i64, String, String, String, &'static str)>,
    finance: bool,
    states: Vec<(&'static str, &'static str, bool)>,
    count_text: String,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

fn state_of(view: &OrderView) -> OrderState {
    OrderState::parse(view.state).unwrap_or(OrderState::Requested)
}

/// What an order costs: the units charged at the unit price (the included ones are free).
fn cost(view: &OrderView) -> Result<Money, PageError> {
    let quantity: rust_decimal::Decimal = view.quantity.parse().map_err(|_| PageError::Internal)?;
    let free: rust_decimal::Decimal = view.free_units.parse().map_err(|_| PageError::Internal)?;
    let unit = Money::parse(&view.unit_price).map_err(|_| PageError::Internal)?;
    Ok(crate::domain::traded::line_total(quantity - free, unit))
}

pub(super) async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let scope = ordering_scope(&user)?;
    let page = page_param(&q.page)?;
    let chosen = match q.state.trim() {
        "" => None,
        s => Some(OrderState::parse(s).ok_or_else(|| {
            PageError::BadRequest(format!("\"{s}\" is not a state of an order: choose one from the list"))
        })?),
    };
    let (views, total) = orders::list(&state.db, user.partnership.id, scope, chosen, page).await?;
    let pages = total.div_ceil(orders::PER_PAGE).max(1);
    let filter = chosen.map(|s| format!("state={}&", s.as_str())).unwrap_or_default();
    let mut rows = Vec::new();
    for v in &views {
        let s = state_of(v);
        rows.push(Row {
            id: v.id,
            school: v.school.clone(),
            service: v.service.clone(),
            date: v.service_date.format("%-d %b %Y").to_string(),
            quantity: v.quantity.clone(),
            price: cost(v)?.to_string(),
            state: s.label(),
            tag: tag(s),
        });
    }
    let places = if scope == crate::domain::role::SchoolScope::All {
        vec![]
    } else {
        crate::services::events::places_of_schools(&state.db, user.partnership.id, scope)
            .await?
            .into_iter()
            .map(|(p, title, on)| {
                let state = crate::domain::events::PlaceState::parse(p.state)
                    .map_or("", crate::domain::events::PlaceState::label);
                (p.event_id, title, on.format("%-d %b %Y").to_string(), p.delegate, state)
            })
            .collect()
    };
    let view = OrdersPage {
        places,
        chrome: Chrome::for_user(&user, "/services"),
        finance: user.require(Action::ManageBilling).is_ok(),
        states: OrderState::ALL.iter().map(|s| (s.as_str(), s.label(), Some(*s) == chosen)).collect(),
        count_text: match total {
            0 if chosen.is_some() => "No orders in this state.".into(),
            0 => "No orders yet.".into(),
            1 => "1 order.".into(),
            n => format!("{n} orders, newest first."),
        },
        rows,
        pagination: Pagination::new("Pages of orders", page, pages, |n| format!("/orders?{filter}page={n}")),
    };
    Ok(render(&view)?.into_response())
}

#[derive(Template)]
#[template(path = "services/order_view.html")]
struct OrderPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    id: i64,
    heading: String,
    state: &'static str,
    tag: &'static str,
    facts: Vec<(&'static str, String)>,
    invoice_id: Option<i64>,
    may_confirm: bool,
    may_schedule: bool,
    may_deliver: bool,
    may_cancel: bool,
    unit_price: String,
    reason: String,
    scheduled_on: DateInput,
    delivered_on: DateInput,
    delivered_by: String,
    units: String,
    provider_urn: String,
    cancel_reason: String,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn order_page(state: &AppState, user: &PageUser, id: i64) -> Result<OrderPage, PageError> {
    let scope = ordering_scope(user)?;
    let v = orders::get(&state.db, user.partnership.id, scope, id).await?;
    let service = catalogue::get(&state.db, user.partnership.id, v.service_id).await?;
    let unit = Unit::parse(service.unit).unwrap_or(Unit::Item);
    let s = state_of(&v);
    let quantity: rust_decimal::Decimal = v.quantity.parse().map_err(|_| PageError::Internal)?;
    let free: rust_decimal::Decimal = v.free_units.parse().map_err(|_| PageError::Internal)?;
    let mut facts = vec![
        ("School", format!("{} (URN {})", v.school, v.urn)),
        ("Service", v.service.clone()),
        (
            if s == OrderState::Scheduled { "Date agreed" } else { "Date wanted" },
            v.service_date.format("%-d %B %Y").to_string(),
        ),
        ("Quantity", unit.count(quantity)),
    ];
    if !free.is_zero() {
        facts.push(("Included in the membership", format!("{}, at no charge", unit.count(free))));
    }
    let price = Money::parse(&v.unit_price).map_err(|_| PageError::Internal)?;
    facts.push(("Price", format!("{price} {} ({})", unit.per(), v.why)));
    facts.push(("Cost before VAT", cost(&v)?.to_string()));
    if let Some(po) = &v.po_number {
        facts.push(("PO number", po.clone()));
    }
    if !v.notes.is_empty() {
        facts.push(("Notes", v.notes.clone()));
    }
    if let (Some(on), Some(by)) = (v.delivered_on, &v.delivered_by) {
        facts.push(("Delivered", format!("{} by {by}", on.format("%-d %B %Y"))));
    }
    if let Some(r) = &v.cancelled_reason {
        facts.push(("Why it was cancelled", r.clone()));
    }
    facts.push(("Placed", v.placed_at.format("%-d %B %Y at %H:%M").to_string()));
    let finance = user.require(Action::ManageBilling).is_ok();
    let done = orders::delivered_units(&state.db, id).await?;
    let delivered_so_far = (!done.is_zero() && done < quantity)
        .then(|| format!("{} of {} delivered so far", unit.count(done), unit.count(quantity)));
    if let Some(so_far) = &delivered_so_far {
        facts.push(("Delivered so far", so_far.clone()));
    }
    Ok(OrderPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        notice: None,
        id,
        heading: format!("{}: {}", v.service, v.school),
        state: s.label(),
        tag: tag(s),
        facts,
        invoice_id: v.invoice_id,
        may_confirm: finance && s.may_become(OrderState::Confirmed),
        may_schedule: finance && s.may_become(OrderState::Scheduled),
        may_deliver: finance && s.may_become(OrderState::Delivered),
        may_cancel: finance && s.may_become(OrderState::Cancelled) && v.invoice_id.is_none(),
        unit_price: String::new(),
        reason: String::new(),
        scheduled_on: DateInput::new("scheduled_on", "Date agreed", v.service_date, ""),
        delivered_on: DateInput::new("delivered_on", "Date delivered", state.clock.today(), ""),
        delivered_by: String::new(),
        units: String::new(),
        provider_urn: String::new(),
        cancel_reason: String::new(),
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    let mut page = order_page(&state, &user, id).await?;
    page.notice = match q.done.as_str() {
        "placed" => Some("The order is placed. The partnership's finance team will confirm it.".into()),
        "confirmed" => Some("The order is confirmed.".into()),
        "scheduled" => Some("The order is scheduled on the date agreed.".into()),
        "delivered" => Some("The delivery is recorded.".into()),
        "cancelled" => Some("The order is cancelled.".into()),
        _ => None,
    };
    Ok(render(&page)?.into_response())
}

/// Finance moves an order on from its page: confirm, deliver or cancel.
pub(super) async fn step(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    let mut page = order_page(&state, &user, id).await?;
    let mut errors = Vec::new();
    let (step, done) = match action.as_str() {
        "confirm" => {
            page.unit_price = form.get("unit_price").to_string();
            page.reason = form.get("reason").to_string();
            let price = match page.unit_price.trim() {
                "" => None,
                text => match crate::web::forms::fields::read_amount(text, "The new price") {
                    Ok(Some(p)) => Some((Money::from_decimal_rounded(p), page.reason.clone())),
                    Ok(None) => None,
                    Err(m) => {
                        errors.push(FieldError { field: "unit_price".into(), message: m });
                        None
                    }
                },
            };
            (Step::Confirm { price }, "confirmed")
        }
        "deliver" => {
            let parts = DateParts::of(
                form.get("delivered_on-day"),
                form.get("delivered_on-month"),
                form.get("delivered_on-year"),
            );
            page.delivered_on = page.delivered_on.typed(&parts);
            page.delivered_by = form.get("delivered_by").to_string();
            let on = date_field("delivered_on", parts, "Date delivered", &mut errors);
            page.units = form.get("units").to_string();
            page.provider_urn = form.get("provider_urn").to_string();
            let units = match page.units.trim() {
                "" => None,
                text => {
                    match text.parse::<rust_decimal::Decimal>() {
                        Ok(u) => Some(u),
                        Err(_) => {
                            errors.push(FieldError {
                            field: "units".into(),
                            message: format!("Enter how many units were delivered, like 1 or 0.5 (you wrote \"{text}\")"),
                        });
                            None
                        }
                    }
                }
            };
            let delivery = orders::Delivery {
                on: on.unwrap_or_default(),
                by: page.delivered_by.clone(),
                units,
                provider_urn: Some(page.provider_urn.clone()),
                notes: form.get("delivery_notes").to_string(),
            };
            (Step::Deliver(delivery), "delivered")
        }
        "schedule" => {
            let parts = DateParts::of(
                form.get("scheduled_on-day"),
                form.get("scheduled_on-month"),
                form.get("scheduled_on-year"),
            );
            page.scheduled_on = page.scheduled_on.typed(&parts);
            let on = date_field("scheduled_on", parts, "Date agreed", &mut errors);
            (Step::Schedule { on: on.unwrap_or_default() }, "scheduled")
        }
        "cancel" => {
            page.cancel_reason = form.get("cancel_reason").to_string();
            (Step::Cancel { reason: page.cancel_reason.clone() }, "cancelled")
        }
        _ => return Err(PageError::NotFound),
    };
    if !errors.is_empty() {
        page.errors = errors;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    }
    let now = state.clock.now();
    match orders::step(&state.db, &user.partnership, id, step, Some(user.user.id), state.clock.today(), now)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orders/{id}?done={done}")).into_response()),
        Err(ServiceError::Invalid(list)) => {
            page.errors = list
                .into_iter()
                .map(|f| FieldError {
                    field: match f.field.as_str() {
                        "reason" if action == "cancel" => "cancel_reason".into(),
                        "date" => "scheduled_on".into(),
                        other => other.to_string(),
                    },
                    message: sentence_case(&f.message),
                })
                .collect();
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(ServiceError::Conflict(m)) => {
            page.errors = vec![FieldError { field: "state".into(), message: sentence_case(&m) }];
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => Err(e.into()),
    }
}
