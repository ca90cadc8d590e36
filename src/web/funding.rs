//! Funding-model pages for the board and finance: saved scenarios compared side by side.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::model;
use crate::domain::role::Action;
use crate::services::funding;
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, SelectOption, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/funding", get(list)).route("/funding/{name}", get(show))
}

#[derive(Template)]
#[template(path = "pages/funding.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<(String, String, String, usize, String)>,
}

async fn list(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let rows = funding::list_scenarios(&state.db, user.partnership.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                urlencode(&s.name),
                s.name,
                s.scenario.year.clone(),
                s.scenario.options.len(),
                s.updated_at.format("%-d %B %Y").to_string(),
            )
        })
        .collect();
    Ok(render(&ListPage { chrome: Chrome::for_user(&user, "/funding"), rows }))
}

struct OptionHead {
    name: String,
}

#[derive(Template)]
#[template(path = "pages/funding_scenario.html")]
struct ScenarioPage {
    chrome: Chrome,
    name: String,
    slug: String,
    year: String,
    schools: usize,
    options: Vec<OptionHead>,
    headline: Vec<(&'static str, Vec<String>)>,
    costs: Vec<(String, String)>,
    option_choices: Vec<SelectOption>,
    phase_choices: Vec<SelectOption>,
    table_caption: String,
    school_rows: Vec<(String, &'static str, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    option: Option<String>,
    phase: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let saved = funding::get_scenario(&state.db, user.partnership.id, &name).await?;
    let mut scenario = saved.scenario;
    scenario.schools.register = Some(user.partnership.slug.clone());
    let schools = funding::schools_from_register(&state.db, &scenario).await?;
    let result = model(&scenario, &schools);
    let cells = |f: &dyn Fn(&crate::domain::funding::OptionResult) -> String| {
        result.options.iter().map(f).collect::<Vec<_>>()
    };
    let headline = vec![
        ("Membership income", cells(&|o| o.income.memberships.to_string())),
        ("Tier income", cells(&|o| o.income.levels.to_string())),
        ("Traded services", cells(&|o| o.income.services.to_string())),
        ("Council", cells(&|o| o.income.council.to_string())),
        ("Total income", cells(&|o| o.income.total.to_string())),
        ("Costs to cover", cells(&|o| o.costs_covered.to_string())),
        ("Surplus (deficit)", cells(&|o| o.surplus.to_string())),
        (
            "Break-even",
            cells(&|o| match o.break_even.as_str() {
                "free" => "Covered at no fee".to_string(),
                "unreachable" => "Cannot break even".to_string(),
                other if other.starts_with("scale ") => format!("Every amount x {}", &other[6..]),
                other => format!("£{other}"),
            }),
        ),
        ("Schools with no pupil number", cells(&|o| o.needs_pupil_number.len().to_string())),
    ];
    let chosen = q
        .option
        .as_deref()
        .and_then(|o| o.parse::<usize>().ok())
        .filter(|i| *i < result.options.len())
        .unwrap_or(0);
    let phase = q.phase.as_deref().and_then(BillingPhase::parse);
    let mut school_rows = Vec::new();
    if let Some(option) = result.options.get(chosen) {
        let mut rows: Vec<_> =
            option.schools.iter().filter(|s| phase.is_none_or(|p| s.billing_phase == p)).collect();
        // Biggest rises first: the schools a board will hear from.
        rows.sort_by(|a, b| b.change.cmp(&a.change).then(a.name.cmp(&b.name)));
        school_rows = rows
            .into_iter()
            .map(|s| {
                (
                    format!("{} ({})", s.name, s.urn),
                    s.billing_phase.label(),
                    s.pupils.map(|p| p.to_string()).unwrap_or_default(),
                    s.charge.map(|c| c.to_string()).unwrap_or_default(),
                    s.baseline.map(|c| c.to_string()).unwrap_or_else(|| "None".into()),
                    s.change.map(|c| c.to_string()).unwrap_or_default(),
                )
            })
            .collect();
    }
    let option_name = result.options.get(chosen).map(|o| o.name.clone()).unwrap_or_default();
    let page = ScenarioPage {
        chrome: Chrome::for_user(&user, "/funding"),
        slug: urlencode(&saved.name),
        name: saved.name,
        year: result.year.clone(),
        schools: result.schools,
        options: result.options.iter().map(|o| OptionHead { name: o.name.clone() }).collect(),
        headline,
        costs: result
            .costs
            .iter()
            .map(|c| {
                (
                    format!(
                        "{} ({})",
                        c.name,
                        if c.kind == crate::domain::funding::CostKind::Core { "core" } else { "additional" }
                    ),
                    c.amount.to_string(),
                )
            })
            .chain(std::iter::once(("Total".to_string(), result.costs_total.to_string())))
            .collect(),
        option_choices: result
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| SelectOption::new(i.to_string(), o.name.clone(), Some(chosen.to_string().as_str())))
            .collect(),
        phase_choices: BillingPhase::ALL
            .iter()
            .map(|p| SelectOption::new(p.label(), p.label(), q.phase.as_deref()))
            .collect(),
        table_caption: format!(
            "What each school would pay under {option_name}, biggest rises first ({} schools)",
            school_rows.len()
        ),
        school_rows,
    };
    Ok(render(&page))
}
