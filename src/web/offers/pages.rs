//! The offer page: each level's fee rule, with an editor that previews what every school
//! would pay before anything is saved.

use crate::domain::fees::FeeRule;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::domain::vat::VatRate;
use crate::services::offers::{self, NewLevel};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, SelectOption, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/offers/{year}", get(show))
        .route("/billing/offers/{year}/levels/{level}", post(edit))
}

struct LevelView {
    name: String,
    slug: String,
    description: String,
    rule_json: String,
    error: Option<String>,
    vat_options: Vec<SelectOption>,
}

#[derive(Template)]
#[template(path = "offers/offer.html")]
struct OfferPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    year: String,
    plan_text: String,
    levels: Vec<LevelView>,
    preview_caption: String,
    preview: Vec<(String, String, String, String, String)>,
}

/// A level as typed in the editor, kept so nothing typed is lost when there is a problem.
struct Typed<'a> {
    level: &'a str,
    rule: &'a str,
    description: &'a str,
    vat: &'a str,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    year: &str,
    typed: Option<Typed<'_>>,
    notice: Option<String>,
    preview: Option<(String, Vec<offers::SchoolFee>)>,
) -> Result<Response, PageError> {
    let offer = offers::find(&state.db, user.partnership.id, year).await?.ok_or(PageError::NotFound)?;
    let mut errors = Vec::new();
    let levels = offer
        .levels
        .iter()
        .map(|l| {
            let slug: String = l
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                .collect();
            let mine = typed.as_ref().filter(|t| t.level.eq_ignore_ascii_case(&l.name));
            if let Some(message) = mine.and_then(|t| t.error.clone()) {
                errors.push(FieldError {
                    field: format!("fee_rule-{slug}"),
                    message: format!("{}: {message}", l.name),
                });
            }
            let vat = mine.map(|t| t.vat.to_string()).unwrap_or_else(|| l.vat_rate.as_str().to_string());
            LevelView {
                name: l.name.clone(),
                description: mine.map(|t| t.description.to_string()).unwrap_or_else(|| l.description.clone()),
                rule_json: mine
                    .map(|t| t.rule.to_string())
                    .unwrap_or_else(|| serde_json::to_string_pretty(&l.rule).unwrap_or_default()),
                error: mine.and_then(|t| t.error.clone()),
                vat_options: VatRate::ALL
                    .iter()
                    .map(|r| SelectOption::new(r.as_str(), r.label(), Some(vat.as_str())))
                    .collect(),
                slug,
            }
        })
        .collect();
    let (preview_caption, rows) = match preview {
        Some((level, fees)) => {
            let total: crate::domain::money::Money = fees.iter().filter_map(|f| f.fee).sum();
            let unpriced = fees.iter().filter(|f| f.fee.is_none()).count();
            (
                format!(
                    "Preview of {level}: {} schools, {total} a year if every school joined at this level; {unpriced} not priced",
                    fees.len()
                ),
                fees.into_iter()
                    .map(|f| {
                        (
                            format!("{} ({})", f.name, f.urn),
                            f.billing_phase.label().to_string(),
                            f.pupils.map(|p| p.to_string()).unwrap_or_else(|| "None".into()),
                            f.fee.map(|m| m.to_string()).unwrap_or_else(|| "Not charged".into()),
                            f.working,
                        )
                    })
                    .collect(),
            )
        }
        None => (String::new(), vec![]),
    };
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = OfferPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        notice,
        year: offer.year.clone(),
        plan_text: format!(
            "Billed {}; part years charged by {}; trust discount {}%, first-year discount {}%",
            offer.billing_plan.as_str(),
            match offer.pro_rata_unit {
                crate::domain::pro_rata::ProRataUnit::Months => "whole months",
                crate::domain::pro_rata::ProRataUnit::Days => "days",
            },
            offer.discounts.trust_percent.normalize(),
            offer.discounts.first_year_percent.normalize()
        ),
        levels,
        preview_caption,
        preview: rows,
    };
    Ok((code, render(&view)?).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    saved: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(year): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    page(
        &state,
        &user,
        &year,
        None,
        q.saved.map(|l| format!("{l} was saved. Invoices raised from now on use it.")),
        None,
    )
    .await
}

#[derive(serde::Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    fee_rule: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    vat_rate: String,
    #[serde(default)]
    action: String,
}

async fn edit(
    State(state): State<AppState>,
    user: PageUser,
    Path((year, level)): Path<(String, String)>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let typed = |error: Option<String>| Typed {
        level: &level,
        rule: &form.fee_rule,
        description: &form.description,
        vat: &form.vat_rate,
        error,
    };
    let rule = match FeeRule::from_json(&form.fee_rule) {
        Ok(rule) => rule,
        Err(e) => return page(&state, &user, &year, Some(typed(Some(e.to_string()))), None, None).await,
    };
    if form.action == "preview" {
        let first_day =
            MembershipYear::parse(user.partnership.year_kind, &year).ok_or(PageError::NotFound)?.first_day();
        let fees = offers::preview_rule(&state.db, user.partnership.id, &rule, first_day).await?;
        return page(&state, &user, &year, Some(typed(None)), None, Some((level.clone(), fees))).await;
    }
    let changed = NewLevel {
        name: level.clone(),
        description: form.description.clone(),
        fee_rule: serde_json::to_value(&rule).unwrap_or_default(),
        vat_rate: form.vat_rate.clone(),
    };
    match offers::update_level(&state.db, user.partnership.id, &year, &level, &changed, Some(user.user.id))
        .await
    {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/billing/offers/{}?saved={}",
            urlencode(&year),
            urlencode(&saved.name)
        ))
        .into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let message = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ");
            page(&state, &user, &year, Some(typed(Some(message))), None, None).await
        }
        Err(e) => Err(e.into()),
    }
}
