//! Membership pages for finance: enrol, leave, change level.

use crate::domain::gias::parse_gias_date;
use crate::domain::payer::PaidBy;
use crate::domain::role::Action;
use crate::services::memberships::{self, MembershipRow, NewMembership};
use crate::services::{FieldError, ServiceError, offers};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/memberships", get(list).post(join))
        .route("/billing/memberships/{id}", get(show))
        .route("/billing/memberships/{id}/leave", post(leave))
        .route("/billing/memberships/{id}/change", post(change))
}

struct Row {
    id: i64,
    urn: i32,
    school: String,
    level: String,
    first_year: bool,
    from: String,
    until: String,
    paid_by: &'static str,
}

struct Field {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
    options: Vec<SelectOption>,
}

#[derive(Template)]
#[template(path = "memberships/list.html")]
struct ListPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    year: String,
    year_options: Vec<SelectOption>,
    fields: Vec<Field>,
    rows: Vec<Row>,
}

#[derive(serde::Deserialize, Default, Clone)]
struct JoinForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    urn: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    paid_by: String,
    #[serde(default)]
    first_year: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &PageUser,
    year: Option<String>,
    form: &JoinForm,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let all = offers::list(&state.db, user.partnership.id).await?;
    let year =
        year.filter(|y| !y.is_empty()).or_else(|| all.first().map(|o| o.year.clone())).unwrap_or_default();
    let offer = all.iter().find(|o| o.year == year);
    let rows = memberships::list_for_year(&state.db, user.partnership.id, &year, None).await?;
    let error = |name: &str| errors.iter().find(|e| e.field == name).map(|e| e.message.clone());
    let level_choice = if form.level.is_empty() { None } else { Some(form.level.as_str()) };
    let paid_choice = if form.paid_by.is_empty() { Some("school") } else { Some(form.paid_by.as_str()) };
    let fields = vec![
        Field {
            name: "urn",
            label: "School URN",
            hint: "",
            value: form.urn.clone(),
            error: error("urn"),
            options: vec![],
        },
        Field {
            name: "level",
            label: "Level",
            hint: "",
            value: String::new(),
            error: error("level"),
            options: offer
                .map(|o| {
                    o.levels
                        .iter()
                        .map(|l| SelectOption::new(l.name.clone(), l.name.clone(), level_choice))
                        .collect()
                })
                .unwrap_or_default(),
        },
        Field {
            name: "starts_on",
            label: "Member from",
            hint: "For example 01-09-2025",
            value: form.starts_on.clone(),
            error: error("starts_on"),
            options: vec![],
        },
        Field {
            name: "paid_by",
            label: "Who pays",
            hint: "",
            value: String::new(),
            error: error("paid_by"),
            options: [PaidBy::School, PaidBy::Trust, PaidBy::Council]
                .iter()
                .map(|p| SelectOption::new(p.as_str(), PaidBy::label(*p), paid_choice))
                .collect(),
        },
    ];
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ListPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        notice,
        year_options: all
            .iter()
            .map(|o| SelectOption::new(o.year.clone(), o.year.clone(), Some(year.as_str())))
            .collect(),
        year,
        fields,
        rows: rows
            .into_iter()
            .map(|r: MembershipRow| Row {
                id: r.id,
                urn: r.urn,
                school: r.school,
                level: r.level,
                first_year: r.first_year,
                from: long_date(r.starts_on),
                until: r.ends_on.map(long_date).unwrap_or_else(|| "End of year".into()),
                paid_by: PaidBy::label(r.paid_by),
            })
            .collect(),
    };
    Ok((code, render(&page)?).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    year: Option<String>,
    joined: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let notice = q.joined.map(|s| format!("{s} was enrolled."));
    list_page(&state, &user, q.year, &JoinForm::default(), vec![], notice).await
}

fn date_field(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDate> {
    match parse_gias_date(text) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(FieldError {
                field: field.into(),
                message: "Enter a date, for example 01-09-2025".into(),
            });
            None
        }
        Err(e) => {
            errors.push(FieldError { field: field.into(), message: e });
            None
        }
    }
}

async fn join(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<JoinForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let mut errors = Vec::new();
    let urn = form
        .urn
        .trim()
        .parse::<i32>()
        .map_err(|_| {
            errors.push(FieldError {
                field: "urn".into(),
                message: format!("\"{}\" is not a URN", form.urn.trim()),
            })
        })
        .ok();
    let starts_on = date_field("starts_on", &form.starts_on, &mut errors);
    let (Some(urn), Some(starts_on), true) = (urn, starts_on, errors.is_empty()) else {
        return list_page(&state, &user, Some(form.year.clone()), &form, errors, None).await;
    };
    let new = NewMembership {
        urn,
        year: form.year.clone(),
        level: form.level.clone(),
        starts_on,
        ends_on: None,
        paid_by: form.paid_by.clone(),
        first_year: form.first_year.is_some(),
    };
    match memberships::join(&state.db, user.partnership.id, &new, Some(user.user.id)).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/billing/memberships?year={}&joined={}", urlencode(&form.year), urn))
                .into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            list_page(&state, &user, Some(form.year.clone()), &form, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "memberships/membership.html")]
struct MembershipPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    r: MembershipRow,
    from: String,
    until: String,
    paid_by: &'static str,
    level_options: Vec<SelectOption>,
}

impl FieldErrors for MembershipPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

async fn membership_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let m = memberships::get(&state.db, user.partnership.id, id).await?;
    let offer = offers::list(&state.db, user.partnership.id)
        .await?
        .into_iter()
        .find(|o| o.id == m.offer_id)
        .ok_or(PageError::NotFound)?;
    let r = memberships::list_for_year(&state.db, user.partnership.id, &offer.year, Some(&[m.school_id]))
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(PageError::NotFound)?;
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = MembershipPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        from: long_date(r.starts_on),
        until: r.ends_on.map(long_date).unwrap_or_else(|| "End of year".into()),
        paid_by: PaidBy::label(r.paid_by),
        level_options: offer
            .levels
            .iter()
            .map(|l| SelectOption::new(l.name.clone(), l.name.clone(), Some(r.level.as_str())))
            .collect(),
        r,
    };
    Ok((code, render(&page)?).into_response())
}

fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    membership_page(&state, &user, parse_id(&id)?, vec![]).await
}

#[derive(serde::Deserialize)]
struct LeaveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    ends_on: String,
}

async fn leave(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(form): Form<LeaveForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let Some(date) = date_field("ends_on", &form.ends_on, &mut errors) else {
        return membership_page(&state, &user, id, errors).await;
    };
    match memberships::leave(&state.db, user.partnership.id, id, date, Some(user.user.id)).await {
        Ok(_) => Ok(Redirect::to(&format!("/billing/memberships/{id}")).into_response()),
        Err(ServiceError::Invalid(errors)) => membership_page(&state, &user, id, errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    from: String,
}

async fn change(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let Some(from) = date_field("from", &form.from, &mut errors) else {
        return membership_page(&state, &user, id, errors).await;
    };
    match memberships::change_level(&state.db, user.partnership.id, id, &form.level, from, Some(user.user.id))
        .await
    {
        Ok(new) => Ok(Redirect::to(&format!("/billing/memberships/{}", new.id)).into_response()),
        Err(ServiceError::Invalid(errors)) => membership_page(&state, &user, id, errors).await,
        Err(e) => Err(e.into()),
    }
}
