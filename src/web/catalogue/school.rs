//! Traded services as a school sees them: the catalogue with *their* price today and why, what
//! their membership includes and how much of it is used; and the order form (which finance
//! uses too, naming the school by its URN).

use crate::domain::role::{Action, SchoolScope};
use crate::domain::traded::Unit;
use crate::services::orders::{self, NewOrder};
use crate::services::traded as catalogue;
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{refused_as, sentence_case, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, page_id, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use entity::school;

field_errors!(OrderPage);

/// The schools a user may order for: finance any (named by URN on the form), a business manager
/// their own.
pub(super) fn ordering_scope(user: &PageUser) -> Result<SchoolScope, PageError> {
    if user.require(Action::ManageBilling).is_ok() {
        return Ok(SchoolScope::All);
    }
    user.require(Action::OrderServices)?;
    match user.user.school_scope() {
        SchoolScope::Nothing => Err(PageError::Forbidden),
        scope => Ok(scope),
    }
}

/// The school chosen by `?school=URN` among `schools`, or the first.
fn chosen<'a>(schools: &'a [school::Model], urn: &str) -> Result<&'a school::Model, PageError> {
    match urn.trim() {
        "" => schools.first().ok_or(PageError::NotFound),
        u => schools.iter().find(|s| s.urn.to_string() == u).ok_or(PageError::NotFound),
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ServicesQuery {
    #[serde(default)]
    pub done: String,
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub urn: String,
}

struct Offer {
    id: i64,
    name: String,
    category: &'static str,
    description: String,
    price: String,
    why: String,
    included: String,
    orderable: bool,
}

#[derive(Template)]
#[template(path = "services/school.html")]
struct SchoolServicesPage {
    chrome: Chrome,
    school: String,
    urn: i32,
    year: String,
    schools: Vec<SelectOption>,
    offers: Vec<Offer>,
}

/// "1 of 2 days used" (or "2 days, none used yet").
fn entitlement_words(unit: Unit, included: rust_decimal::Decimal, used: rust_decimal::Decimal) -> String {
    if included.is_zero() {
        return String::new();
    }
    if used.is_zero() {
        return format!("{} included, none used yet", unit.count(included));
    }
    format!("{} of {} used", used.normalize(), unit.count(included))
}

/// A business manager's services page: every service offered today with the school's own price.
pub(super) async fn services(
    state: AppState,
    user: PageUser,
    q: ServicesQuery,
) -> Result<Response, PageError> {
    let scope = ordering_scope(&user)?;
    let today = state.clock.today();
    let schools = crate::services::register::own_schools(&state.db, user.partnership.id, scope).await?;
    let s = chosen(&schools, &q.school)?;
    let year = super::pages::this_year(&user, today)?;
    let mut offers = Vec::new();
    for service in catalogue::list(&state.db, user.partnership.id).await? {
        if service.active_from > today || service.active_to.is_some_and(|to| to < today) {
            continue;
        }
        let unit = Unit::parse(service.unit).unwrap_or(Unit::Item);
        let (price, why, included, orderable) =
            match catalogue::quote(&state.db, &user.partnership, service.id, s, today).await {
                Ok(q) => {
                    let used = orders::used_units(&state.db, s.id, service.id, &q.year, None).await?;
                    (
                        format!("{} {}", q.unit.amount, unit.per()),
                        sentence_case(&q.unit.why),
                        entitlement_words(unit, q.included, used),
                        true,
                    )
                }
                Err(ServiceError::Conflict(m)) => {
                    let why = m.split_once(": ").map_or(m.as_str(), |(_, r)| r);
                    ("Not available".into(), sentence_case(why), String::new(), false)
                }
                Err(ServiceError::Invalid(list)) => {
                    let why = list.into_iter().map(|f| f.message).collect::<Vec<_>>().join(". ");
                    ("Not available".into(), sentence_case(&why), String::new(), false)
                }
                Err(e) => return Err(e.into()),
            };
        offers.push(Offer {
            id: service.id,
            name: service.name,
            category: service.category_label,
            description: service.description,
            price,
            why,
            included,
            orderable,
        });
    }
    let page = SchoolServicesPage {
        chrome: Chrome::for_user(&user, "/services"),
        school: s.name.clone(),
        urn: s.urn,
        year,
        schools: if schools.len() > 1 {
            schools
                .iter()
                .map(|x| SelectOption::new(x.urn.to_string(), x.name.clone(), Some(&s.urn.to_string())))
                .collect()
        } else {
            vec![]
        },
        offers,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "services/order.html")]
struct OrderPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    service_id: i64,
    service: String,
    unit: String,
    /// Finance names the school by URN; a business manager picks one of theirs.
    by_urn: bool,
    urn: String,
    schools: Vec<SelectOption>,
    price: Option<String>,
    quantity: String,
    date: DateInput,
    po_number: String,
    notes: String,
}

async fn order_page(
    state: &AppState,
    user: &PageUser,
    service_id: i64,
    urn: &str,
) -> Result<OrderPage, PageError> {
    let scope = ordering_scope(user)?;
    let today = state.clock.today();
    let service = catalogue::get(&state.db, user.partnership.id, service_id).await?;
    let unit = Unit::parse(service.unit).unwrap_or(Unit::Item);
    let schools = crate::services::register::own_schools(&state.db, user.partnership.id, scope).await?;
    let (by_urn, chosen_school) = match scope {
        SchoolScope::All => (true, None),
        _ => (false, Some(chosen(&schools, urn)?)),
    };
    let price = match chosen_school {
        Some(s) => match catalogue::quote(&state.db, &user.partnership, service_id, s, today).await {
            Ok(q) => {
                let used = orders::used_units(&state.db, s.id, service_id, &q.year, None).await?;
                let left = (q.included - used).max(rust_decimal::Decimal::ZERO);
                let included = if q.included.is_zero() {
                    String::new()
                } else if left.is_zero() {
                    format!(
                        " Everything its membership includes this year ({}) is used.",
                        unit.count(q.included)
                    )
                } else {
                    format!(
                        " Its membership includes {} this year, {} still to use: those are used first, at no charge.",
                        unit.count(q.included),
                        unit.count(left)
                    )
                };
                Some(format!(
                    "{} pays {} {} today ({}).{included}",
                    s.name,
                    q.unit.amount,
                    unit.per(),
                    q.unit.why,
                ))
            }
            Err(ServiceError::Conflict(m)) => Some(sentence_case(&m)),
            Err(_) => None,
        },
        None => None,
    };
    Ok(OrderPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        service_id,
        service: service.name,
        unit: unit.singular().to_string(),
        by_urn,
        urn: chosen_school.map(|s| s.urn.to_string()).unwrap_or_else(|| urn.to_string()),
        schools: if schools.len() > 1 {
            let chosen = chosen_school.map(|s| s.urn.to_string());
            schools
                .iter()
                .map(|x| SelectOption::new(x.urn.to_string(), x.name.clone(), chosen.as_deref()))
                .collect()
        } else {
            vec![]
        },
        price,
        quantity: "1".into(),
        date: DateInput::new(
            "service_date",
            "Date wanted",
            today,
            "The day the service is wanted, or its first day",
        ),
        po_number: String::new(),
        notes: String::new(),
    })
}

pub(super) async fn order_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ServicesQuery>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    let page = order_page(&state, &user, id, &q.school).await?;
    Ok(render(&page)?.into_response())
}

/// The service's names for an order's fields, and the ids of the form's fields.
const ORDER_FIELDS: &[(&str, &str)] = &[
    ("urn", "urn"),
    ("quantity", "quantity"),
    ("date", "service_date"),
    ("po_number", "po_number"),
    ("notes", "notes"),
];

pub(super) async fn place(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    let scope = ordering_scope(&user)?;
    user.check_csrf(form.get("csrf_token"))?;
    let id = page_id(&id)?;
    let mut page = order_page(&state, &user, id, form.get("urn")).await?;
    let parts = DateParts::of(
        form.get("service_date-day"),
        form.get("service_date-month"),
        form.get("service_date-year"),
    );
    page.date = page.date.typed(&parts);
    page.quantity = form.get("quantity").to_string();
    page.po_number = form.get("po_number").to_string();
    page.notes = form.get("notes").to_string();
    let mut errors = Vec::new();
    let date = date_field("service_date", parts, "Date wanted", &mut errors);
    let quantity = match page.quantity.trim().parse::<rust_decimal::Decimal>() {
        Ok(q) => Some(q),
        Err(_) => {
            errors.push(FieldError {
                field: "quantity".into(),
                message: format!(
                    "Enter how many {}s, like 1 or 1.5 (you wrote \"{}\")",
                    page.unit,
                    page.quantity.trim()
                ),
            });
            None
        }
    };
    if page.by_urn && page.urn.trim().is_empty() {
        errors
            .push(FieldError { field: "urn".into(), message: "Enter the school's URN, like 100000".into() });
    }
    let (Some(date), Some(quantity), true) = (date, quantity, errors.is_empty()) else {
        page.errors = errors;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    };
    let new = NewOrder {
        service_id: id,
        urn: page.urn.clone(),
        quantity,
        service_date: date,
        po_number: Some(page.po_number.clone()),
        notes: page.notes.clone(),
    };
    match orders::place(&state.db, &user.partnership, scope, &new, Some(user.user.id), state.clock.now())
        .await
    {
        Ok(made) => Ok(Redirect::to(&format!("/orders/{}?done=placed", made.id)).into_response()),
        Err(ServiceError::Conflict(m)) => {
            page.errors = vec![FieldError { field: "service_date".into(), message: sentence_case(&m) }];
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(ServiceError::NotFound(_)) if page.by_urn => {
            page.errors = vec![FieldError {
                field: "urn".into(),
                message: format!("No school in the register has the URN {}", page.urn.trim()),
            }];
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => {
            page.errors = refused_as(e, ORDER_FIELDS)?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}
