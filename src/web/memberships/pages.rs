//! Membership pages for finance: enrol, leave, change level.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::partnership::MembershipYear;
use crate::domain::payer::PaidBy;
use crate::domain::role::Action;
use crate::services::memberships::{self, MembershipFilter, NewMembership};
use crate::services::{FieldError, ServiceError, offers};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, Pagination, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/billing/memberships", get(list).post(join))
}

struct Row {
    id: i64,
    urn: i32,
    school: String,
    phase: &'static str,
    level: String,
    first_year: bool,
    from: String,
    until: String,
    paid_by: &'static str,
    fee: String,
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
    /// Schools matching what was typed, to choose one from: URN and name.
    matches: Vec<(i32, String)>,
    starts_on: DateInput,
    filter: ListQuery,
    level_filter: Vec<SelectOption>,
    paid_filter: Vec<SelectOption>,
    phase_filter: Vec<SelectOption>,
    total: u64,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default, Clone)]
struct JoinForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    year: String,
    /// A URN or part of a school's name.
    #[serde(default)]
    school: String,
    /// The URN chosen among several schools matching `school`.
    #[serde(default)]
    urn: String,
    #[serde(default)]
    level: String,
    #[serde(default, rename = "starts_on-day")]
    starts_on_day: String,
    #[serde(default, rename = "starts_on-month")]
    starts_on_month: String,
    #[serde(default, rename = "starts_on-year")]
    starts_on_year: String,
    #[serde(default)]
    paid_by: String,
    #[serde(default)]
    first_year: Option<String>,
}

#[derive(serde::Deserialize, Default, Clone)]
struct ListQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    paid_by: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    page: String,
    joined: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Result<MembershipFilter, PageError> {
        fn pick(text: &str) -> Option<&str> {
            Some(text.trim()).filter(|t| !t.is_empty())
        }
        Ok(MembershipFilter {
            q: self.q.trim().to_string(),
            level: pick(&self.level).map(str::to_string),
            paid_by: match pick(&self.paid_by) {
                None => None,
                Some(p) => Some(PaidBy::parse(p).ok_or_else(|| {
                    PageError::BadRequest(format!("\"{p}\" is not school, trust or council"))
                })?),
            },
            phase: match pick(&self.phase) {
                None => None,
                Some(p) => Some(
                    BillingPhase::parse(p)
                        .ok_or_else(|| PageError::BadRequest(format!("\"{p}\" is not a billing phase")))?,
                ),
            },
        })
    }

    fn page(&self) -> Result<u64, PageError> {
        crate::web::view::page_param(&self.page)
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    state: &AppState,
    user: &PageUser,
    query: ListQuery,
    form: &JoinForm,
    errors: Vec<FieldError>,
    matches: Vec<(i32, String)>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let all = offers::list_kept(&state.db, user.partnership.id).await?;
    let year = Some(query.year.clone())
        .filter(|y| !y.is_empty())
        .or_else(|| all.first().map(|o| o.year.clone()))
        .unwrap_or_default();
    let offer = all.iter().find(|o| o.year == year);
    let filter = query.filter()?;
    let found = memberships::page_of_offer(
        &state.db,
        user.partnership.id,
        user.partnership.year_kind,
        offer,
        &filter,
        query.page()?,
    )
    .await?;
    let error = |name: &str| errors.iter().find(|e| e.field == name).map(|e| e.message.clone());
    let level_choice = if form.level.is_empty() { None } else { Some(form.level.as_str()) };
    let paid_choice = if form.paid_by.is_empty() { Some("school") } else { Some(form.paid_by.as_str()) };
    let fields = vec![
        Field {
            name: "school",
            label: "School",
            hint: "Its URN, or part of its name",
            value: form.school.clone(),
            error: error("school").or_else(|| error("urn")),
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
    let any = |label: &str| SelectOption::new("", label, Some(""));
    let chosen = |text: &str| Some(text.to_string());
    let href_query = query.clone();
    let href = move |n: u64| {
        format!(
            "/billing/memberships?year={}&q={}&level={}&paid_by={}&phase={}&page={n}",
            urlencode(&href_query.year),
            urlencode(&href_query.q),
            urlencode(&href_query.level),
            urlencode(&href_query.paid_by),
            urlencode(&href_query.phase)
        )
    };
    let example = MembershipYear::parse(user.partnership.year_kind, &year)
        .map_or(chrono::NaiveDate::MIN, |y| y.first_day());
    let page =
        ListPage {
            chrome: Chrome::for_user(user, "/billing"),
            errors,
            notice,
            matches,
            starts_on: DateInput::new("starts_on", "Member from", example, "").typed(&DateParts::of(
                &form.starts_on_day,
                &form.starts_on_month,
                &form.starts_on_year,
            )),
            year_options: all
                .iter()
                .map(|o| SelectOption::new(o.year.clone(), o.year.clone(), Some(year.as_str())))
                .collect(),
            level_filter: std::iter::once(any("Any level"))
                .chain(offer.into_iter().flat_map(|o| &o.levels).map(|l| {
                    SelectOption::new(l.name.clone(), l.name.clone(), chosen(&query.level).as_deref())
                }))
                .collect(),
            paid_filter: std::iter::once(any("Anyone"))
                .chain([PaidBy::School, PaidBy::Trust, PaidBy::Council].iter().map(|p| {
                    SelectOption::new(p.as_str(), PaidBy::label(*p), chosen(&query.paid_by).as_deref())
                }))
                .collect(),
            phase_filter: std::iter::once(any("Any phase"))
                .chain(
                    BillingPhase::ALL
                        .iter()
                        .map(|p| SelectOption::new(p.label(), p.label(), chosen(&query.phase).as_deref())),
                )
                .collect(),
            year,
            fields,
            total: found.total,
            pagination: Pagination::new("Pages of memberships", found.page, found.pages, href),
            rows: found
                .rows
                .into_iter()
                .map(|l| Row {
                    id: l.row.id,
                    urn: l.row.urn,
                    school: l.row.school,
                    phase: l.phase.label(),
                    level: l.row.level,
                    first_year: l.row.first_year,
                    from: long_date(l.row.starts_on),
                    until: l.row.ends_on.map(long_date).unwrap_or_else(|| "End of year".into()),
                    paid_by: PaidBy::label(l.row.paid_by),
                    fee: match l.fee {
                        Ok(fee) => fee.to_string(),
                        Err(why) => format!("Not priced: {why}"),
                    },
                })
                .collect(),
            filter: query,
        };
    Ok(with_problems(&page.errors, render(&page)?))
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let notice = q.joined.clone().map(|s| format!("{s} was enrolled."));
    list_page(&state, &user, q, &JoinForm::default(), vec![], vec![], notice).await
}

async fn join(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<JoinForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let mut errors = Vec::new();
    let again = ListQuery { year: form.year.clone(), ..Default::default() };
    let typed = if form.urn.trim().is_empty() { form.school.trim() } else { form.urn.trim() };
    let found = crate::services::register::find_school(&state.db, user.partnership.id, typed, 20).await?;
    let urn = match found.as_slice() {
        [] if typed.is_empty() => {
            errors.push(FieldError {
                field: "school".into(),
                message: "Enter a URN, like 100000, or part of the school's name".into(),
            });
            None
        }
        [] => {
            errors.push(FieldError {
                field: "school".into(),
                message: format!("No school in the register has the URN or a name containing \"{typed}\""),
            });
            None
        }
        [(urn, _)] => Some(*urn),
        many => {
            errors.push(FieldError {
                field: "school".into(),
                message: format!("{} schools match \"{typed}\": choose one", many.len()),
            });
            return list_page(&state, &user, again, &form, errors, found, None).await;
        }
    };
    let parts = DateParts::of(&form.starts_on_day, &form.starts_on_month, &form.starts_on_year);
    let starts_on = date_field("starts_on", parts, "Date membership starts", &mut errors);
    let (Some(urn), Some(starts_on), true) = (urn, starts_on, errors.is_empty()) else {
        return list_page(&state, &user, again, &form, errors, vec![], None).await;
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
            let name = found.first().map_or(urn.to_string(), |(_, n)| n.clone());
            Ok(Redirect::to(&format!(
                "/billing/memberships?year={}&joined={}",
                urlencode(&form.year),
                urlencode(&format!("{name} ({urn})"))
            ))
            .into_response())
        }
        Err(e @ ServiceError::Invalid(_)) => {
            let errors = refused_as(e, &[("urn", "school")])?;
            list_page(&state, &user, again, &form, errors, vec![], None).await
        }
        Err(e) => Err(e.into()),
    }
}

impl FieldErrors for ListPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}
