//! One membership's page: what it is, and leaving or changing level from a date.

use crate::domain::partnership::MembershipYear;
use crate::domain::payer::PaidBy;
use crate::domain::role::Action;
use crate::services::memberships::{self, MembershipRow};
use crate::services::{FieldError, ServiceError, offers};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/memberships/{id}", get(show))
        .route("/billing/memberships/{id}/leave", post(leave))
        .route("/billing/memberships/{id}/change", post(change))
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
    leave_on: DateInput,
    change_on: DateInput,
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
        leave_on: DateInput::new(
            "ends_on",
            "Last day of membership",
            MembershipYear::parse(user.partnership.year_kind, &offer.year)
                .map_or(chrono::NaiveDate::MIN, |y| y.last_day()),
            "A month is charged to whoever is a member on its 1st",
        ),
        change_on: DateInput::new(
            "from",
            "First day at the new level",
            MembershipYear::parse(user.partnership.year_kind, &offer.year)
                .and_then(|y| y.first_day().checked_add_months(chrono::Months::new(4)))
                .unwrap_or(chrono::NaiveDate::MIN),
            "",
        ),
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
    #[serde(default, rename = "ends_on-day")]
    day: String,
    #[serde(default, rename = "ends_on-month")]
    month: String,
    #[serde(default, rename = "ends_on-year")]
    year: String,
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
    let parts = DateParts::of(&form.day, &form.month, &form.year);
    let Some(date) = date_field("ends_on", parts, "Last day of membership", &mut errors) else {
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
    #[serde(default, rename = "from-day")]
    day: String,
    #[serde(default, rename = "from-month")]
    month: String,
    #[serde(default, rename = "from-year")]
    year: String,
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
    let parts = DateParts::of(&form.day, &form.month, &form.year);
    let Some(from) = date_field("from", parts, "First day at the new level", &mut errors) else {
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
