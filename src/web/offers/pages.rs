//! A year's offer on the pages: create one (a copy of an earlier year's, or one level to start),
//! see it in words, and change its billing plan, part-year unit and discounts.

use super::levels::{LevelFields, level_fields_posted, read_level, register_phases};
use crate::domain::instalments::BillingPlan;
use crate::domain::partnership::MembershipYear;
use crate::domain::pro_rata::ProRataUnit;
use crate::domain::role::Action;
use crate::services::offers::{self, NewOffer, Offer};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, encode_segment};
use crate::web::forms::fields::{FormData, Problems};
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/offers/new", get(new_form).post(create))
        .route("/billing/offers/{year}", get(show))
        .route("/billing/offers/{year}/terms", get(terms_form).post(save_terms))
}

field_errors!(NewOfferPage, TermsPage, OfferPage);

/// Where an offer's page is.
pub fn offer_url(year: &str) -> String {
    format!("/billing/offers/{}", encode_segment(year))
}

/// An offer's plan, part-year unit and discounts as fields.
pub(super) struct TermsFields {
    plans: Vec<SelectOption>,
    units: Vec<SelectOption>,
    trust: String,
    first: String,
}

impl TermsFields {
    fn of(offer: Option<&Offer>) -> TermsFields {
        let percent =
            |d: rust_decimal::Decimal| if d.is_zero() { String::new() } else { d.normalize().to_string() };
        TermsFields::chosen(
            offer.map_or(BillingPlan::Termly.as_str(), |o| o.billing_plan.as_str()),
            offer.map_or(ProRataUnit::Months.as_str(), |o| o.pro_rata_unit.as_str()),
            offer.map(|o| percent(o.discounts.trust_percent)).unwrap_or_default(),
            offer.map(|o| percent(o.discounts.first_year_percent)).unwrap_or_default(),
        )
    }

    fn chosen(plan: &str, unit: &str, trust: String, first: String) -> TermsFields {
        TermsFields {
            plans: BillingPlan::ALL
                .iter()
                .map(|p| SelectOption::new(p.as_str(), p.label(), Some(plan)))
                .collect(),
            units: ProRataUnit::ALL
                .iter()
                .map(|u| SelectOption::new(u.as_str(), u.label(), Some(unit)))
                .collect(),
            trust,
            first,
        }
    }

    fn posted(form: &FormData) -> TermsFields {
        TermsFields::chosen(
            form.get("billing_plan"),
            form.get("pro_rata_unit"),
            form.get("trust_discount_percent").to_string(),
            form.get("first_year_discount_percent").to_string(),
        )
    }
}

/// The offer's terms in words, for the offer page and the billing page.
pub fn terms_words(offer: &Offer) -> Vec<(&'static str, String)> {
    let percent = |d: rust_decimal::Decimal| {
        if d.is_zero() { "None".to_string() } else { format!("{}%", d.normalize()) }
    };
    vec![
        ("Billed", offer.billing_plan.label().to_string()),
        ("Part years", offer.pro_rata_unit.label().to_string()),
        ("Discount for schools their trust pays for", percent(offer.discounts.trust_percent)),
        ("Discount in a school's first year", percent(offer.discounts.first_year_percent)),
    ]
}

// ---------------------------------------------------------------------------------------------
// A new offer

#[derive(Template)]
#[template(path = "offers/new.html")]
struct NewOfferPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    years: Vec<SelectOption>,
    starts: Vec<SelectOption>,
    empty_chosen: bool,
    terms: TermsFields,
    level: LevelFields,
}

/// The years a new offer can be for: last year to the year after next, less those offered.
fn year_choices(
    user: &PageUser,
    today: chrono::NaiveDate,
    offered: &[Offer],
    chosen: Option<&str>,
) -> Vec<SelectOption> {
    let Some(current) = user.partnership.year_kind.year_containing(today) else { return vec![] };
    let first = current.start_year() - 1;
    let years: Vec<String> = (first..first + 4)
        .filter_map(|y| MembershipYear::new(user.partnership.year_kind, y))
        .map(MembershipYear::label)
        .filter(|y| !offered.iter().any(|o| &o.year == y))
        .collect();
    let default = chosen.map(str::to_string).or_else(|| {
        let this = current.label();
        if years.contains(&this) { Some(this) } else { years.iter().find(|y| **y > this).cloned() }
    });
    years.iter().map(|y| SelectOption::new(y.clone(), y.clone(), default.as_deref())).collect()
}

fn start_choices(offered: &[Offer], chosen: &str) -> Vec<SelectOption> {
    offered
        .iter()
        .map(|o| {
            let value = format!("copy:{}", o.year);
            let names: Vec<&str> = o.levels.iter().map(|l| l.name.as_str()).collect();
            SelectOption::new(
                value,
                format!("A copy of the {} offer (levels: {})", o.year, names.join(", ")),
                Some(chosen),
            )
        })
        .collect()
}

async fn new_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let offered = offers::list(&state.db, user.partnership.id).await?;
    let start = offered.first().map_or("empty".to_string(), |o| format!("copy:{}", o.year));
    let phases = register_phases(&state, &user).await?;
    let page = NewOfferPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        years: year_choices(&user, state.clock.today(), &offered, None),
        starts: start_choices(&offered, &start),
        empty_chosen: start == "empty",
        terms: TermsFields::of(offered.first()),
        level: LevelFields::new(None, &phases),
    };
    Ok(render(&page)?.into_response())
}

async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let offered = offers::list(&state.db, user.partnership.id).await?;
    let phases = register_phases(&state, &user).await?;
    let mut level = LevelFields::new(None, &phases);
    let mut problems = Problems::default();
    let year = form.get("year").to_string();
    if year.is_empty() {
        problems.add("year", "Choose the membership year the offer is for");
    }
    let start = form.get("start").to_string();
    let mut new = match start.strip_prefix("copy:") {
        Some(from) => match offered.iter().find(|o| o.year == from) {
            Some(o) => Some(offers::copy_for(o, &year)),
            None => {
                problems.add("start", format!("There is no {from} offer to copy"));
                None
            }
        },
        None if start == "empty" => read_level(&level, &form, &mut problems).map(|first| NewOffer {
            year: year.clone(),
            billing_plan: String::new(),
            pro_rata_unit: None,
            trust_discount_percent: None,
            first_year_discount_percent: None,
            levels: vec![first],
        }),
        None => {
            problems.add("start", "Choose whether to copy an earlier offer or start with one level");
            None
        }
    };
    if let Some(new) = new.as_mut() {
        new.billing_plan = form.get("billing_plan").to_string();
        new.pro_rata_unit = Some(form.get("pro_rata_unit").to_string());
        new.trust_discount_percent = Some(form.get("trust_discount_percent").to_string());
        new.first_year_discount_percent = Some(form.get("first_year_discount_percent").to_string());
    }
    if let (Some(new), true) = (new, problems.0.is_empty()) {
        match offers::create(
            &state.db,
            user.partnership.id,
            user.partnership.year_kind,
            &new,
            Some(user.user.id),
        )
        .await
        {
            Ok(made) => {
                return Ok(Redirect::to(&format!("{}?created=1", offer_url(&made.year))).into_response());
            }
            Err(e) => problems.0 = refused_as(e, OFFER_FIELDS)?,
        }
    }
    level_fields_posted(&mut level, &form);
    let page = NewOfferPage {
        chrome: Chrome::for_user(&user, "/billing"),
        years: year_choices(&user, state.clock.today(), &offered, Some(&year)),
        starts: start_choices(&offered, &start),
        empty_chosen: start == "empty",
        terms: TermsFields::posted(&form),
        level,
        errors: problems.0,
    };
    Ok(with_problems(&page.errors, render(&page)?))
}

/// The service's names for an offer's fields, and the ids of the form's fields.
const OFFER_FIELDS: &[(&str, &str)] = &[
    ("levels", "start"),
    ("levels[0].name", "level-name"),
    ("levels[0].description", "description"),
    ("levels[0].fee_rule", "fee-shape"),
    ("levels[0].vat_rate", "vat_rate"),
];

// ---------------------------------------------------------------------------------------------
// The offer

/// One level as the offer page shows it.
struct LevelRow {
    name: String,
    url: String,
    rule: String,
    vat: &'static str,
    description: String,
    members: u64,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "offers/offer.html")]
struct OfferPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    year: String,
    url: String,
    terms: Vec<(&'static str, String)>,
    invoices: u64,
    levels: Vec<LevelRow>,
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    created: Option<String>,
    saved: Option<String>,
    removed: Option<String>,
    terms: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(year): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let offer = offers::find(&state.db, user.partnership.id, &year).await?.ok_or(PageError::NotFound)?;
    let notice = if q.created.is_some() {
        Some(format!("The {} offer was created. Check each level's fee, then enrol schools.", offer.year))
    } else if let Some(name) = q.saved {
        Some(format!("{name} was saved. Invoices raised from now on use it."))
    } else if let Some(name) = q.removed {
        Some(format!("{name} was removed."))
    } else {
        q.terms.map(|_| "The billing plan and discounts were saved.".to_string())
    };
    let mut levels = Vec::new();
    let count = offer.levels.len();
    for (i, l) in offer.levels.iter().enumerate() {
        levels.push(LevelRow {
            url: format!("{}/levels/{}", offer_url(&offer.year), encode_segment(&l.name)),
            name: l.name.clone(),
            rule: l.rule.describe(),
            vat: l.vat_rate.label(),
            description: l.description.clone(),
            members: offers::members_of_level(&state.db, l.id).await?,
            first: i == 0,
            last: i + 1 == count,
        });
    }
    let page = OfferPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        notice,
        url: offer_url(&offer.year),
        terms: terms_words(&offer),
        invoices: offers::invoices_in_year(&state.db, user.partnership.id, &offer.year).await?,
        year: offer.year,
        levels,
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// Plan and discounts

#[derive(Template)]
#[template(path = "offers/terms.html")]
struct TermsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year: String,
    url: String,
    invoices: u64,
    terms: TermsFields,
}

async fn terms_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(year): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let offer = offers::find(&state.db, user.partnership.id, &year).await?.ok_or(PageError::NotFound)?;
    let page = TermsPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        url: offer_url(&offer.year),
        invoices: offers::invoices_in_year(&state.db, user.partnership.id, &offer.year).await?,
        terms: TermsFields::of(Some(&offer)),
        year: offer.year,
    };
    Ok(render(&page)?.into_response())
}

async fn save_terms(
    State(state): State<AppState>,
    user: PageUser,
    Path(year): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let offer = offers::find(&state.db, user.partnership.id, &year).await?.ok_or(PageError::NotFound)?;
    let saved = offers::update_terms(
        &state.db,
        user.partnership.id,
        &offer.year,
        form.get("billing_plan"),
        form.get("pro_rata_unit"),
        form.get("trust_discount_percent"),
        form.get("first_year_discount_percent"),
        Some(user.user.id),
    )
    .await;
    let errors = match saved {
        Ok(o) => return Ok(Redirect::to(&format!("{}?terms=saved", offer_url(&o.year))).into_response()),
        Err(e @ ServiceError::Invalid(_)) => refused_as(e, &[])?,
        Err(e) => return Err(e.into()),
    };
    let page = TermsPage {
        chrome: Chrome::for_user(&user, "/billing"),
        url: offer_url(&offer.year),
        invoices: offers::invoices_in_year(&state.db, user.partnership.id, &offer.year).await?,
        terms: TermsFields::posted(&form),
        year: offer.year,
        errors,
    };
    Ok(with_problems(&page.errors, render(&page)?))
}
