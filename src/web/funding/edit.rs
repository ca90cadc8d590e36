//! Building and editing a funding-model scenario with forms (finance and admins): its year and
//! schools, the costed offer line by line, up to four options, the council's contribution and
//! today's fees; then duplicating or deleting it. Each part is its own short form, and every
//! change is checked and saved whole.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::FeeRule;
use crate::domain::funding::words::{council_words, covers_words, pricing_words, sign_up_words};
use crate::domain::funding::{
    CostKind, CostLine, Council, FundingOption, Pricing, Scenario, ScenarioCouncil, SchoolsSource, Service,
    SignUp, Tier, Units,
};
use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::services::funding::{self, MAX_OPTIONS, SavedScenario};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, encode_segment};
use crate::web::forms::fee_rule::{
    Cell, FormData, Problems, RuleForm, SignUpForm, amount_text, read_amount, slug,
};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funding/new", get(new_form).post(create))
        .route("/funding/{name}/edit", get(overview))
        .route("/funding/{name}/settings", get(settings_form).post(save_settings))
        .route("/funding/{name}/costs/{line}", get(cost_form).post(save_cost))
        .route("/funding/{name}/costs/{line}/remove", post(remove_cost))
        .route("/funding/{name}/options/{option}", get(option_form).post(save_option))
        .route("/funding/{name}/options/{option}/remove", post(remove_option))
        .route("/funding/{name}/duplicate", get(duplicate_form).post(duplicate))
        .route("/funding/{name}/delete", get(delete_form).post(delete))
}

macro_rules! field_errors {
    ($($page:ty),*) => {
        $(impl FieldErrors for $page {
            fn errors(&self) -> &[FieldError] {
                &self.errors
            }
        })*
    };
}

field_errors!(NewPage, SettingsPage, CostPage, OptionPage, NamePage);

fn edit_url(name: &str) -> String {
    format!("/funding/{}/edit", encode_segment(name))
}

/// The page answer for a form with problems: 422 with the form shown again.
fn with_problems(errors: &[FieldError], page: Response) -> Response {
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (code, page).into_response()
}

/// Checks the role and the CSRF token of a posted form.
fn editor(user: &PageUser, form: &FormData) -> Result<(), PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(form.get("csrf_token"))
}

/// The year a new scenario models by default: the partnership's next membership year.
fn next_year(user: &PageUser, today: chrono::NaiveDate) -> String {
    user.partnership
        .year_kind
        .year_containing(today)
        .and_then(MembershipYear::next)
        .map(MembershipYear::label)
        .unwrap_or_default()
}

fn check_year(user: &PageUser, text: &str, field: &str, problems: &mut Problems) -> Option<String> {
    match MembershipYear::parse(user.partnership.year_kind, text) {
        Some(y) => Some(y.label()),
        None if text.is_empty() => {
            problems.add(field, "Enter the membership year, like 2026-27");
            None
        }
        None => {
            problems.add(field, format!("\"{text}\" is not a membership year like 2026-27"));
            None
        }
    }
}

/// Turns a service's refusal into the form's problems, or passes other errors on.
fn refused(e: ServiceError, field: &str) -> Result<Vec<FieldError>, PageError> {
    match e {
        ServiceError::Invalid(list) => Ok(list
            .into_iter()
            .map(|f| FieldError {
                field: if f.field == "name" { field.to_string() } else { f.field },
                message: f.message,
            })
            .collect()),
        other => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// A new scenario

#[derive(Template)]
#[template(path = "funding/new.html")]
struct NewPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    year: String,
    start: String,
    existing: Vec<String>,
}

async fn new_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let existing = funding::list_scenarios(&state.db, user.partnership.id).await?;
    Ok(render(&NewPage {
        chrome: Chrome::for_user(&user, "/funding"),
        errors: vec![],
        name: String::new(),
        year: next_year(&user, state.clock.today()),
        start: "empty".into(),
        existing: existing.into_iter().map(|s| s.name).collect(),
    })?
    .into_response())
}

async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let mut problems = Problems::default();
    let name = form.get("name").to_string();
    if name.is_empty() {
        problems.add("name", "Enter a name for the scenario");
    }
    let year = check_year(&user, form.get("year"), "year", &mut problems);
    let start = form.get("start").to_string();
    let mut scenario = Scenario {
        year: year.clone().unwrap_or_default(),
        schools: SchoolsSource { register: Some(user.partnership.slug.clone()), ..Default::default() },
        costs: vec![],
        options: vec![],
        council: None,
        baseline: None,
    };
    if let Some(copy_of) = start.strip_prefix("copy:") {
        match funding::get_scenario(&state.db, user.partnership.id, copy_of).await {
            Ok(original) => {
                scenario = original.scenario;
                scenario.year = year.clone().unwrap_or_default();
            }
            Err(_) => {
                problems.add("start", format!("There is no scenario called \"{copy_of}\" to start from"))
            }
        }
    }
    if problems.0.is_empty() {
        match funding::create_scenario(&state.db, user.partnership.id, &name, scenario, Some(user.user.id))
            .await
        {
            Ok(saved) => return Ok(Redirect::to(&edit_url(&saved.name)).into_response()),
            Err(e) => problems.0 = refused(e, "name")?,
        }
    }
    let existing = funding::list_scenarios(&state.db, user.partnership.id).await?;
    let page = NewPage {
        chrome: Chrome::for_user(&user, "/funding"),
        errors: problems.0,
        name,
        year: form.get("year").to_string(),
        start,
        existing: existing.into_iter().map(|s| s.name).collect(),
    };
    Ok(with_problems(&page.errors, render(&page)?.into_response()))
}

// ---------------------------------------------------------------------------------------------
// The scenario's parts at a glance

struct CostSummary {
    name: String,
    kind: &'static str,
    pricing: String,
    amount: String,
}

struct OptionSummary {
    name: String,
    fee: String,
    sign_up: String,
    covers: String,
    extras: Vec<String>,
}

#[derive(Template)]
#[template(path = "funding/edit.html")]
struct OverviewPage {
    chrome: Chrome,
    name: String,
    slug: String,
    settings: Vec<(&'static str, String)>,
    costs: Vec<CostSummary>,
    costs_total: String,
    options: Vec<OptionSummary>,
    can_add_option: bool,
    max_options: usize,
}

async fn load(state: &AppState, user: &PageUser, name: &str) -> Result<SavedScenario, PageError> {
    Ok(funding::get_scenario(&state.db, user.partnership.id, name).await?)
}

async fn overview(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let s = &saved.scenario;
    let phases =
        if s.schools.phases.is_empty() { "All phases".to_string() } else { s.schools.phases.join(", ") };
    let settings = vec![
        ("Membership year", s.year.clone()),
        ("Schools", format!("{}'s register: {phases}", user.partnership.name)),
        ("Council contribution", council_words(s.council.as_ref())),
        ("What schools pay today", s.baseline.as_ref().map_or("Not given".into(), FeeRule::describe)),
    ];
    let costs = s
        .costs
        .iter()
        .map(|c| CostSummary {
            name: c.name.clone(),
            kind: if c.kind == CostKind::Core { "Core" } else { "Additional" },
            pricing: pricing_words(c),
            amount: crate::domain::funding::to_money(c.amount()).to_string(),
        })
        .collect();
    let options = s
        .options
        .iter()
        .map(|o| OptionSummary {
            name: o.name.clone(),
            fee: o.membership_fee.describe(),
            sign_up: sign_up_words(&o.sign_up),
            covers: covers_words(&o.covers),
            extras: o
                .levels
                .iter()
                .map(|t| {
                    format!(
                        "Tier \"{}\": {}, taken by {}",
                        t.name,
                        t.fee.describe(),
                        sign_up_words(&t.sign_up)
                    )
                })
                .chain(o.services.iter().map(|sv| {
                    format!(
                        "Service \"{}\": {} expected",
                        sv.name,
                        crate::domain::funding::to_money(sv.income())
                    )
                }))
                .collect(),
        })
        .collect();
    let page = OverviewPage {
        chrome: Chrome::for_user(&user, "/funding"),
        slug: encode_segment(&saved.name),
        name: saved.name.clone(),
        settings,
        costs,
        costs_total: crate::domain::funding::to_money(s.costs.iter().map(CostLine::amount).sum()).to_string(),
        can_add_option: s.options.len() < MAX_OPTIONS,
        options,
        max_options: MAX_OPTIONS,
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// Year, schools, council and today's fees

#[derive(Template)]
#[template(path = "funding/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    slug: String,
    year: String,
    phases: Vec<(String, String, bool)>,
    council: String,
    fixed: String,
    ratio: String,
    cap: String,
    schedule: String,
    first_year: String,
    r: RuleForm,
}

async fn settings_page(
    state: &AppState,
    user: &PageUser,
    saved: &SavedScenario,
    posted: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let s = &saved.scenario;
    let register = funding::register_phases(&state.db, user.partnership.id).await?;
    let r = RuleForm::new("baseline", "What schools pay today", s.baseline.as_ref(), &register)
        .optional("For winners and losers: each school's charge is compared with this.");
    let mut page = SettingsPage {
        chrome: Chrome::for_user(user, "/funding"),
        errors,
        name: saved.name.clone(),
        slug: encode_segment(&saved.name),
        year: s.year.clone(),
        phases: register
            .iter()
            .map(|p| {
                let on = s.schools.phases.iter().any(|q| BillingPhase::parse(q) == Some(*p));
                (slug(p.label()), p.label().to_string(), on)
            })
            .collect(),
        council: "none".into(),
        fixed: String::new(),
        ratio: String::new(),
        cap: String::new(),
        schedule: String::new(),
        first_year: String::new(),
        r,
    };
    if let Some(c) = &s.council {
        page.first_year = c.first_year.clone().unwrap_or_default();
        match &c.council {
            Council::Fixed { fixed } => (page.council, page.fixed) = ("fixed".into(), amount_text(*fixed)),
            Council::Match { ratio, cap } => {
                page.council = "match".into();
                page.ratio = ratio.normalize().to_string();
                page.cap = cap.map(amount_text).unwrap_or_default();
            }
            Council::Schedule { schedule } => {
                page.council = "schedule".into();
                page.schedule = schedule.iter().map(|v| amount_text(*v)).collect::<Vec<_>>().join("\n");
            }
        }
    }
    if let Some(form) = posted {
        page.year = form.get("year").to_string();
        for (id, _, on) in &mut page.phases {
            *on = form.has("phases", id);
        }
        page.council = form.get("council").to_string();
        page.fixed = form.get("council-fixed").to_string();
        page.ratio = form.get("council-ratio").to_string();
        page.cap = form.get("council-cap").to_string();
        page.schedule = form.get("council-schedule").to_string();
        page.first_year = form.get("council-first-year").to_string();
        page.r.posted(form);
    }
    Ok(with_problems(&page.errors, render(&page)?.into_response()))
}

async fn settings_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    settings_page(&state, &user, &saved, None, vec![]).await
}

async fn save_settings(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let saved = load(&state, &user, &name).await?;
    let register = funding::register_phases(&state.db, user.partnership.id).await?;
    let mut problems = Problems::default();
    let year = check_year(&user, form.get("year"), "year", &mut problems);
    let phases: Vec<String> = register
        .iter()
        .filter(|p| form.has("phases", &slug(p.label())))
        .map(|p| p.label().to_string())
        .collect();
    let council = match form.get("council") {
        "fixed" => problems
            .amount(&form, "council-fixed", "the council's fixed amount")
            .map(|fixed| Some(Council::Fixed { fixed })),
        "match" => {
            let ratio = problems.number(&form, "council-ratio", "how much the council puts in for each £1");
            let cap = problems.optional_amount(&form, "council-cap", "the council's cap");
            ratio.zip(cap).map(|(ratio, cap)| Some(Council::Match { ratio, cap }))
        }
        "schedule" => {
            let text = form.get("council-schedule");
            let mut schedule = Vec::new();
            // One amount a line: a comma is a thousands separator (300,000.00), never a divider.
            for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
                match read_amount(line, "an amount") {
                    Ok(Some(v)) => schedule.push(v),
                    _ => problems.add(
                        "council-schedule",
                        format!(
                            "Year {} of the schedule, \"{line}\", is not an amount like 300000.00",
                            i + 1
                        ),
                    ),
                }
            }
            if schedule.is_empty() && text.is_empty() {
                problems.add("council-schedule", "Enter the council's amount for each year, one a line");
            }
            Some(Some(Council::Schedule { schedule }))
        }
        _ => Some(None),
    };
    let first_year = match form.get("council-first-year") {
        "" => None,
        text => check_year(&user, text, "council-first-year", &mut problems),
    };
    let r = RuleForm::new("baseline", "What schools pay today", saved.scenario.baseline.as_ref(), &register)
        .optional("");
    let baseline = r.read(&form, &mut problems);
    if !problems.0.is_empty() {
        return settings_page(&state, &user, &saved, Some(&form), problems.0).await;
    }
    let mut scenario = saved.scenario.clone();
    scenario.year = year.unwrap_or_default();
    scenario.schools.phases = phases;
    scenario.council = council.flatten().map(|council| ScenarioCouncil { council, first_year });
    scenario.baseline = baseline.flatten();
    store(&state, &user, &saved, scenario).await
}

/// Saves the changed scenario and goes back to its overview; a refusal shows the form again.
async fn store(
    state: &AppState,
    user: &PageUser,
    saved: &SavedScenario,
    scenario: Scenario,
) -> Result<Response, PageError> {
    funding::save_scenario(&state.db, user.partnership.id, &saved.name, scenario, Some(user.user.id)).await?;
    Ok(Redirect::to(&edit_url(&saved.name)).into_response())
}

// ---------------------------------------------------------------------------------------------
// A cost line

#[derive(Template)]
#[template(path = "funding/cost.html")]
struct CostPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    slug: String,
    action: String,
    adding: bool,
    line_name: String,
    kind: String,
    pricing: String,
    amount: String,
    days: String,
    day_rate: String,
    units: String,
    unit_cost: String,
    per_phase: Vec<(Cell, Cell)>,
}

/// Which line a path names: an index, or "new" for a new line.
fn line_index(text: &str, count: usize) -> Result<Option<usize>, PageError> {
    if text == "new" {
        return Ok(None);
    }
    match text.parse::<usize>() {
        Ok(i) if i < count => Ok(Some(i)),
        _ => Err(PageError::NotFound),
    }
}

async fn cost_page(
    state: &AppState,
    user: &PageUser,
    saved: &SavedScenario,
    index: Option<usize>,
    posted: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let register = funding::register_phases(&state.db, user.partnership.id).await?;
    let line = index.and_then(|i| saved.scenario.costs.get(i));
    let units_cell = |p: &BillingPhase, units: &str, cost: &str| {
        (
            Cell {
                id: format!("units-{}", slug(p.label())),
                label: format!("{} units", p.label()),
                value: units.into(),
            },
            Cell {
                id: format!("unit-cost-{}", slug(p.label())),
                label: format!("{} unit cost", p.label()),
                value: cost.into(),
            },
        )
    };
    let mut page = CostPage {
        chrome: Chrome::for_user(user, "/funding"),
        errors,
        name: saved.name.clone(),
        slug: encode_segment(&saved.name),
        action: index.map_or("new".into(), |i| i.to_string()),
        adding: index.is_none(),
        line_name: line.map(|l| l.name.clone()).unwrap_or_default(),
        kind: line.map_or("core", |l| if l.kind == CostKind::Core { "core" } else { "additional" }).into(),
        pricing: "amount".into(),
        amount: String::new(),
        days: String::new(),
        day_rate: String::new(),
        units: String::new(),
        unit_cost: String::new(),
        per_phase: register.iter().map(|p| units_cell(p, "", "")).collect(),
    };
    match line.map(|l| &l.pricing) {
        Some(Pricing::Amount { amount }) => page.amount = amount_text(*amount),
        Some(Pricing::Days { days, day_rate }) => {
            page.pricing = "days".into();
            (page.days, page.day_rate) = (days.normalize().to_string(), amount_text(*day_rate));
        }
        Some(Pricing::Units(u)) => {
            page.pricing = "units".into();
            (page.units, page.unit_cost) = (u.units.normalize().to_string(), amount_text(u.unit_cost));
        }
        Some(Pricing::PerPhase { per_phase }) => {
            page.pricing = "per_phase".into();
            page.per_phase = register
                .iter()
                .map(|p| {
                    let u =
                        per_phase.iter().find(|(k, _)| BillingPhase::parse(k) == Some(*p)).map(|(_, u)| u);
                    units_cell(
                        p,
                        &u.map(|u| u.units.normalize().to_string()).unwrap_or_default(),
                        &u.map(|u| amount_text(u.unit_cost)).unwrap_or_default(),
                    )
                })
                .collect();
        }
        None => {}
    }
    if let Some(form) = posted {
        page.line_name = form.get("line-name").to_string();
        page.kind = form.get("kind").to_string();
        page.pricing = form.get("pricing").to_string();
        page.amount = form.get("amount").to_string();
        page.days = form.get("days").to_string();
        page.day_rate = form.get("day-rate").to_string();
        page.units = form.get("units").to_string();
        page.unit_cost = form.get("unit-cost").to_string();
        for (u, c) in &mut page.per_phase {
            u.value = form.get(&u.id).to_string();
            c.value = form.get(&c.id).to_string();
        }
    }
    Ok(with_problems(&page.errors, render(&page)?.into_response()))
}

async fn cost_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, line)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let index = line_index(&line, saved.scenario.costs.len())?;
    cost_page(&state, &user, &saved, index, None, vec![]).await
}

fn read_cost(form: &FormData, register: &[BillingPhase], problems: &mut Problems) -> Option<CostLine> {
    let name = form.get("line-name").to_string();
    if name.is_empty() {
        problems.add("line-name", "Enter what the cost is for");
    }
    let kind = match form.get("kind") {
        "core" => Some(CostKind::Core),
        "additional" => Some(CostKind::Additional),
        _ => {
            problems.add("kind", "Choose whether the cost is core or additional");
            None
        }
    };
    let pricing = match form.get("pricing") {
        "amount" => problems.amount(form, "amount", "the amount").map(|amount| Pricing::Amount { amount }),
        "days" => {
            let days = problems.number(form, "days", "the number of days");
            let day_rate = problems.amount(form, "day-rate", "the day rate");
            days.zip(day_rate).map(|(days, day_rate)| Pricing::Days { days, day_rate })
        }
        "units" => {
            let units = problems.number(form, "units", "the number of units");
            let unit_cost = problems.amount(form, "unit-cost", "the unit cost");
            units.zip(unit_cost).map(|(units, unit_cost)| Pricing::Units(Units { units, unit_cost }))
        }
        "per_phase" => {
            let mut per_phase = BTreeMap::new();
            for p in register {
                let (u_id, c_id) =
                    (format!("units-{}", slug(p.label())), format!("unit-cost-{}", slug(p.label())));
                if form.get(&u_id).is_empty() && form.get(&c_id).is_empty() {
                    continue;
                }
                let units = problems.number(form, &u_id, &format!("the number of {} units", p.label()));
                let cost = problems.amount(form, &c_id, &format!("the {} unit cost", p.label()));
                if let (Some(units), Some(unit_cost)) = (units, cost) {
                    per_phase.insert(p.label().to_string(), Units { units, unit_cost });
                }
            }
            if per_phase.is_empty() {
                let first =
                    register.first().map_or("pricing".to_string(), |p| format!("units-{}", slug(p.label())));
                problems.add(&first, "Enter units and a unit cost for at least one phase");
            }
            Some(Pricing::PerPhase { per_phase })
        }
        _ => {
            problems.add("pricing", "Choose how the cost is worked out");
            None
        }
    };
    (problems.0.is_empty()).then_some(())?;
    Some(CostLine { name, kind: kind?, pricing: pricing? })
}

async fn save_cost(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, line)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let saved = load(&state, &user, &name).await?;
    let index = line_index(&line, saved.scenario.costs.len())?;
    let register = funding::register_phases(&state.db, user.partnership.id).await?;
    let mut problems = Problems::default();
    let Some(cost) = read_cost(&form, &register, &mut problems) else {
        return cost_page(&state, &user, &saved, index, Some(&form), problems.0).await;
    };
    let mut scenario = saved.scenario.clone();
    match index {
        Some(i) => scenario.costs[i] = cost,
        None => scenario.costs.push(cost),
    }
    store(&state, &user, &saved, scenario).await
}

async fn remove_cost(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, line)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    remove(&state, &user, &name, &line, FormData(pairs), |s| &mut s.costs).await
}

/// Removes one cost line or option (named by its index) and saves the scenario.
async fn remove<T>(
    state: &AppState,
    user: &PageUser,
    name: &str,
    index: &str,
    form: FormData,
    list: fn(&mut Scenario) -> &mut Vec<T>,
) -> Result<Response, PageError> {
    editor(user, &form)?;
    let saved = load(state, user, name).await?;
    let mut scenario = saved.scenario.clone();
    let items = list(&mut scenario);
    let index = line_index(index, items.len())?.ok_or(PageError::NotFound)?;
    items.remove(index);
    store(state, user, &saved, scenario).await
}

// ---------------------------------------------------------------------------------------------
// An option

struct TierForm {
    index: usize,
    name_id: String,
    name: String,
    r: RuleForm,
    su: SignUpForm,
}

struct ServiceForm {
    index: usize,
    name_id: String,
    name: String,
    rows: Vec<(Cell, Cell)>,
}

#[derive(Template)]
#[template(path = "funding/option.html")]
struct OptionPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    slug: String,
    action: String,
    adding: bool,
    option_name: String,
    core: bool,
    additional: bool,
    r: RuleForm,
    su: SignUpForm,
    tiers: Vec<TierForm>,
    services: Vec<ServiceForm>,
}

/// Tier and service slots: those the option has, and one more to add (up to these limits).
const MAX_TIERS: usize = 3;
const MAX_SERVICES: usize = 4;

fn option_view(
    user: &PageUser,
    saved: &SavedScenario,
    index: Option<usize>,
    register: &[BillingPhase],
    errors: Vec<FieldError>,
) -> OptionPage {
    let option = index.and_then(|i| saved.scenario.options.get(i));
    let tiers = option.map_or(&[][..], |o| &o.levels[..]);
    let services = option.map_or(&[][..], |o| &o.services[..]);
    let slots = |have: usize, max: usize| (have + 1).min(max).max(have);
    OptionPage {
        chrome: Chrome::for_user(user, "/funding"),
        errors,
        name: saved.name.clone(),
        slug: encode_segment(&saved.name),
        action: index.map_or("new".into(), |i| i.to_string()),
        adding: index.is_none(),
        option_name: option.map(|o| o.name.clone()).unwrap_or_default(),
        core: option.is_none_or(|o| o.covers.contains(&CostKind::Core)),
        additional: option.is_some_and(|o| o.covers.contains(&CostKind::Additional)),
        r: RuleForm::new("fee", "Membership fee", option.map(|o| &o.membership_fee), register),
        su: SignUpForm::new(
            "signup",
            "Share of schools expected to join",
            option.map_or(&SignUp::default(), |o| &o.sign_up),
            register,
        ),
        tiers: (0..slots(tiers.len(), MAX_TIERS))
            .map(|i| {
                let tier = tiers.get(i);
                TierForm {
                    index: i + 1,
                    name_id: format!("tier{i}-name"),
                    name: tier.map(|t| t.name.clone()).unwrap_or_default(),
                    r: RuleForm::new(
                        &format!("tier{i}"),
                        &format!("Tier {} fee", i + 1),
                        tier.map(|t| &t.fee),
                        register,
                    ),
                    su: SignUpForm::new(
                        &format!("tier{i}-signup"),
                        &format!("Share of schools expected to take tier {}", i + 1),
                        tier.map_or(&SignUp::default(), |t| &t.sign_up),
                        register,
                    ),
                }
            })
            .collect(),
        services: (0..slots(services.len(), MAX_SERVICES))
            .map(|i| {
                let service = services.get(i);
                ServiceForm {
                    index: i + 1,
                    name_id: format!("service{i}-name"),
                    name: service.map(|s| s.name.clone()).unwrap_or_default(),
                    rows: register
                        .iter()
                        .map(|p| {
                            let find = |m: &BTreeMap<String, Decimal>| {
                                m.iter().find(|(k, _)| BillingPhase::parse(k) == Some(*p)).map(|(_, v)| *v)
                            };
                            (
                                Cell {
                                    id: format!("service{i}-price-{}", slug(p.label())),
                                    label: format!("{} price", p.label()),
                                    value: service
                                        .and_then(|s| find(&s.price))
                                        .map(amount_text)
                                        .unwrap_or_default(),
                                },
                                Cell {
                                    id: format!("service{i}-units-{}", slug(p.label())),
                                    label: format!("{} units sold", p.label()),
                                    value: service
                                        .and_then(|s| find(&s.units))
                                        .map(|v| v.normalize().to_string())
                                        .unwrap_or_default(),
                                },
                            )
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

fn option_posted(mut page: OptionPage, form: &FormData) -> OptionPage {
    page.option_name = form.get("option-name").to_string();
    page.core = form.has("covers", "core");
    page.additional = form.has("covers", "additional");
    page.r.posted(form);
    page.su.posted(form);
    for t in &mut page.tiers {
        t.name = form.get(&t.name_id).to_string();
        t.r.posted(form);
        t.su.posted(form);
    }
    for s in &mut page.services {
        s.name = form.get(&s.name_id).to_string();
        for (price, units) in &mut s.rows {
            price.value = form.get(&price.id).to_string();
            units.value = form.get(&units.id).to_string();
        }
    }
    page
}

async fn option_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, option)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let index = line_index(&option, saved.scenario.options.len())?;
    if index.is_none() && saved.scenario.options.len() >= MAX_OPTIONS {
        return Ok(Redirect::to(&edit_url(&saved.name)).into_response());
    }
    let register = funding::register_phases(&state.db, user.partnership.id).await?;
    Ok(render(&option_view(&user, &saved, index, &register, vec![]))?.into_response())
}

fn read_option(page: &OptionPage, form: &FormData, problems: &mut Problems) -> Option<FundingOption> {
    let name = form.get("option-name").to_string();
    if name.is_empty() {
        problems.add("option-name", "Enter a name for the option");
    }
    let covers: Vec<CostKind> = [("core", CostKind::Core), ("additional", CostKind::Additional)]
        .into_iter()
        .filter(|(v, _)| form.has("covers", v))
        .map(|(_, k)| k)
        .collect();
    if covers.is_empty() {
        problems.add("covers", "Choose which costs the option's income must cover");
    }
    let fee = page.r.read(form, problems).flatten();
    let sign_up = page.su.read(form, problems);
    let mut levels = Vec::new();
    for t in &page.tiers {
        let tier_name = form.get(&t.name_id);
        if tier_name.is_empty() {
            continue;
        }
        if let (Some(Some(fee)), Some(sign_up)) = (t.r.read(form, problems), t.su.read(form, problems)) {
            levels.push(Tier { name: tier_name.to_string(), fee, sign_up });
        }
    }
    let mut services = Vec::new();
    for s in &page.services {
        let service_name = form.get(&s.name_id);
        if service_name.is_empty() {
            continue;
        }
        let mut price = BTreeMap::new();
        let mut units = BTreeMap::new();
        for (p, u) in &s.rows {
            let phase = p.label.trim_end_matches(" price").to_string();
            if let Some(Some(v)) = problems.optional_amount(form, &p.id, &p.label.to_lowercase()) {
                price.insert(phase.clone(), v);
            }
            if !form.get(&u.id).is_empty()
                && let Some(v) = problems.number(form, &u.id, &u.label.to_lowercase())
            {
                units.insert(phase, v);
            }
        }
        if units.keys().any(|k| !price.contains_key(k)) {
            problems
                .add(&s.rows[0].0.id, format!("Give a price for every phase that buys \"{service_name}\""));
        }
        services.push(Service { name: service_name.to_string(), price, units });
    }
    (problems.0.is_empty()).then_some(())?;
    Some(FundingOption { name, membership_fee: fee?, sign_up: sign_up?, covers, levels, services })
}

async fn save_option(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, option)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let saved = load(&state, &user, &name).await?;
    let index = line_index(&option, saved.scenario.options.len())?;
    let register = funding::register_phases(&state.db, user.partnership.id).await?;
    let page = option_view(&user, &saved, index, &register, vec![]);
    let mut problems = Problems::default();
    if index.is_none() && saved.scenario.options.len() >= MAX_OPTIONS {
        problems
            .add("option-name", format!("A scenario compares up to {MAX_OPTIONS} options: remove one first"));
    }
    let read = read_option(&page, &form, &mut problems);
    let taken = saved
        .scenario
        .options
        .iter()
        .enumerate()
        .any(|(i, o)| Some(i) != index && o.name == form.get("option-name"));
    if taken {
        problems
            .add("option-name", format!("There is already an option called \"{}\"", form.get("option-name")));
    }
    match read {
        Some(option) if problems.0.is_empty() => {
            let mut scenario = saved.scenario.clone();
            match index {
                Some(i) => scenario.options[i] = option,
                None => scenario.options.push(option),
            }
            store(&state, &user, &saved, scenario).await
        }
        _ => {
            let mut page = option_posted(page, &form);
            page.errors = problems.0;
            Ok(with_problems(&page.errors, render(&page)?.into_response()))
        }
    }
}

async fn remove_option(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, option)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    remove(&state, &user, &name, &option, FormData(pairs), |s| &mut s.options).await
}

// ---------------------------------------------------------------------------------------------
// Duplicate and delete

#[derive(Template)]
#[template(path = "funding/name.html")]
struct NamePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    slug: String,
    deleting: bool,
    new_name: String,
}

fn name_page(
    user: &PageUser,
    name: &str,
    deleting: bool,
    new_name: String,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let page = NamePage {
        chrome: Chrome::for_user(user, "/funding"),
        errors,
        name: name.to_string(),
        slug: encode_segment(name),
        deleting,
        new_name,
    };
    Ok(with_problems(&page.errors, render(&page)?.into_response()))
}

async fn duplicate_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let suggestion = format!("Copy of {}", saved.name);
    name_page(&user, &saved.name, false, suggestion, vec![])
}

async fn duplicate(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let saved = load(&state, &user, &name).await?;
    let new_name = form.get("new-name").to_string();
    if new_name.is_empty() {
        let errors =
            vec![FieldError { field: "new-name".into(), message: "Enter a name for the copy".into() }];
        return name_page(&user, &saved.name, false, new_name, errors);
    }
    match funding::duplicate_scenario(
        &state.db,
        user.partnership.id,
        &saved.name,
        &new_name,
        Some(user.user.id),
    )
    .await
    {
        Ok(copy) => Ok(Redirect::to(&edit_url(&copy.name)).into_response()),
        Err(e) => name_page(&user, &saved.name, false, new_name, refused(e, "new-name")?),
    }
}

async fn delete_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    name_page(&user, &saved.name, true, String::new(), vec![])
}

async fn delete(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let saved = load(&state, &user, &name).await?;
    funding::delete_scenario(&state.db, user.partnership.id, &saved.name).await?;
    Ok(Redirect::to("/funding?deleted=1").into_response())
}
