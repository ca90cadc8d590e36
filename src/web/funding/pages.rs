//! Funding-model pages for the board and finance: saved scenarios compared side by side.

use crate::charts;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::{CostKind, ModelResult, OptionResult, SchoolCharge, model};
use crate::domain::money::Money;
use crate::domain::role::{Action, allows};
use crate::services::funding;
use crate::services::funding::SavedScenario;
use crate::web::AppState;
use crate::web::error::{PageError, encode_segment, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, SelectOption, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;

pub fn router() -> Router<AppState> {
    Router::new().route("/funding", get(list)).route("/funding/{name}", get(show))
}

#[derive(Template)]
#[template(path = "funding/list.html")]
struct ListPage {
    chrome: Chrome,
    can_edit: bool,
    notice: Option<String>,
    rows: Vec<(String, String, String, usize, String)>,
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    deleted: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let rows = funding::list_scenarios(&state.db, user.partnership.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                encode_segment(&s.name),
                s.name,
                s.scenario.year.clone(),
                s.scenario.options.len(),
                s.updated_at.format("%-d %B %Y").to_string(),
            )
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::for_user(&user, "/funding"),
        can_edit: allows(user.user.role, Action::ManageBilling),
        notice: q.deleted.map(|_| "The scenario was deleted.".to_string()),
        rows,
    })?
    .into_response())
}

/// Runs a saved scenario over the partnership's register as it is now.
pub(super) async fn compare(
    state: &AppState,
    user: &PageUser,
    name: &str,
) -> Result<(SavedScenario, ModelResult), PageError> {
    user.require(Action::ViewTotals)?;
    let saved = funding::get_scenario(&state.db, user.partnership.id, name).await?;
    let mut scenario = saved.scenario.clone();
    scenario.schools.register = Some(user.partnership.slug.clone());
    let schools = funding::schools_from_register(&state.db, &scenario).await?;
    let result = model(&scenario, &schools);
    Ok((saved, result))
}

/// Which schools the per-school table shows, and in what order (the page, CSV and XLSX share it).
#[derive(serde::Deserialize, Default, Clone)]
pub struct TableQuery {
    pub option: Option<String>,
    pub phase: Option<String>,
    /// "rises", "falls", "same" or all.
    pub change: Option<String>,
    /// school, phase, pupils, charge, per_pupil, today or change (the default).
    pub sort: Option<String>,
    /// asc or desc (the default).
    pub dir: Option<String>,
}

const SORTS: [(&str, &str); 7] = [
    ("school", "School"),
    ("phase", "Phase"),
    ("pupils", "Pupils"),
    ("charge", "Charge"),
    ("per_pupil", "Per pupil"),
    ("today", "Today"),
    ("change", "Change"),
];

impl TableQuery {
    /// The option asked for (the first when none is): an option that is not there is "not
    /// found", never quietly another one.
    pub(super) fn option_index(&self, result: &ModelResult) -> Result<usize, PageError> {
        match self.option.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            None => Ok(0),
            Some(o) => {
                o.parse::<usize>().ok().filter(|i| *i < result.options.len()).ok_or(PageError::NotFound)
            }
        }
    }

    fn sort_key(&self) -> &str {
        self.sort.as_deref().filter(|s| SORTS.iter().any(|(k, _)| k == s)).unwrap_or("change")
    }

    fn ascending(&self) -> bool {
        self.dir.as_deref() == Some("asc")
    }

    /// The schools of one option, filtered and sorted as asked. Ties go by name.
    pub fn rows<'a>(&self, option: &'a OptionResult) -> Vec<&'a SchoolCharge> {
        let phase = self.phase.as_deref().and_then(BillingPhase::parse);
        let wanted = |s: &SchoolCharge| match (self.change.as_deref(), s.change) {
            (Some("rises"), Some(c)) => c.amount() > Decimal::ZERO,
            (Some("falls"), Some(c)) => c.amount() < Decimal::ZERO,
            (Some("same"), Some(c)) => c.amount().is_zero(),
            (Some("rises" | "falls" | "same"), None) => false,
            _ => true,
        };
        let mut rows: Vec<_> = option
            .schools
            .iter()
            .filter(|s| phase.is_none_or(|p| s.billing_phase == p))
            .filter(|s| wanted(s))
            .collect();
        let key = self.sort_key();
        let money = |m: Option<Money>| m.map(Money::amount);
        rows.sort_by(|a, b| {
            let order = match key {
                "school" => a.name.cmp(&b.name),
                "phase" => a.billing_phase.label().cmp(b.billing_phase.label()),
                "pupils" => a.pupils.cmp(&b.pupils),
                "charge" => money(a.charge).cmp(&money(b.charge)),
                "per_pupil" => money(a.charge_per_pupil).cmp(&money(b.charge_per_pupil)),
                "today" => money(a.baseline).cmp(&money(b.baseline)),
                _ => money(a.change).cmp(&money(b.change)),
            };
            let order = if self.ascending() { order } else { order.reverse() };
            order.then_with(|| a.name.cmp(&b.name))
        });
        rows
    }

    /// This page's address with the query, the sort changed if given.
    fn link(&self, slug: &str, sort: Option<(&str, &str)>) -> String {
        format!("/funding/{slug}?{}", self.query(sort))
    }

    /// The query string, the sort changed if given.
    fn query(&self, sort: Option<(&str, &str)>) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: Option<&str>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        };
        push("option", self.option.as_deref());
        push("phase", self.phase.as_deref());
        push("change", self.change.as_deref());
        let (s, d) = sort.unwrap_or((self.sort_key(), if self.ascending() { "asc" } else { "desc" }));
        push("sort", Some(s));
        push("dir", Some(d));
        parts.join("&")
    }
}

struct OptionHead {
    name: String,
}

struct SortHeader {
    label: &'static str,
    href: String,
    /// ascending, descending or none (aria-sort).
    aria: &'static str,
    numeric: bool,
}

struct SchoolRow {
    school: String,
    phase: &'static str,
    pupils: String,
    charge: String,
    per_pupil: String,
    today: String,
    change: String,
}

#[derive(Template)]
#[template(path = "funding/scenario.html")]
struct ScenarioPage {
    chrome: Chrome,
    can_edit: bool,
    name: String,
    slug: String,
    year: String,
    schools: usize,
    options: Vec<OptionHead>,
    headline: Vec<(&'static str, Vec<String>)>,
    costs: Vec<(String, String)>,
    chart_income: String,
    chart_phases: String,
    chart_sign_up: String,
    phase_stats: Vec<Vec<String>>,
    sensitivity: Vec<(String, Vec<String>)>,
    option_name: String,
    option_choices: Vec<SelectOption>,
    phase_choices: Vec<SelectOption>,
    change_choices: Vec<SelectOption>,
    winners: String,
    headers: Vec<SortHeader>,
    table_caption: String,
    school_rows: Vec<SchoolRow>,
    missing: Vec<String>,
    export_query: String,
}

/// The options side by side: each measure, then each option's figure.
pub fn headline(result: &ModelResult) -> Vec<(&'static str, Vec<String>)> {
    let cells = |f: &dyn Fn(&OptionResult) -> String| result.options.iter().map(f).collect::<Vec<_>>();
    vec![
        ("Membership income", cells(&|o| o.income.memberships.to_string())),
        ("Tier income", cells(&|o| o.income.levels.to_string())),
        ("Traded services", cells(&|o| o.income.services.to_string())),
        ("Council", cells(&|o| o.income.council.to_string())),
        ("Total income", cells(&|o| o.income.total.to_string())),
        ("Costs to cover", cells(&|o| o.costs_covered.to_string())),
        ("Surplus (deficit)", cells(&|o| o.surplus.to_string())),
        ("Break-even fee", cells(&|o| o.break_even_words.clone())),
        ("Schools with no pupil number", cells(&|o| o.needs_pupil_number.len().to_string())),
    ]
}

/// How many schools pay more, less and the same as today under an option.
pub(crate) fn winners_and_losers(option: &OptionResult) -> String {
    let changes: Vec<Decimal> = option.schools.iter().filter_map(|s| s.change.map(Money::amount)).collect();
    if changes.is_empty() {
        return "The scenario gives no fee for today, so there is nothing to compare with.".into();
    }
    let more = changes.iter().filter(|c| **c > Decimal::ZERO).count();
    let less = changes.iter().filter(|c| **c < Decimal::ZERO).count();
    format!(
        "Under {}, {more} schools would pay more than today, {less} less and {} the same.",
        option.name,
        changes.len() - more - less
    )
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    let (saved, result) = compare(&state, &user, &name).await?;
    let slug = encode_segment(&saved.name);
    let chosen = q.option_index(&result)?;
    let option = result.options.get(chosen);
    let school_rows: Vec<SchoolRow> = option
        .map(|o| q.rows(o))
        .unwrap_or_default()
        .into_iter()
        .map(|s| SchoolRow {
            school: format!("{} ({})", s.name, s.urn),
            phase: s.billing_phase.label(),
            pupils: s.pupils.map(|p| p.to_string()).unwrap_or_default(),
            charge: s.charge.map(|c| c.to_string()).unwrap_or_default(),
            per_pupil: s.charge_per_pupil.map(|c| c.to_string()).unwrap_or_default(),
            today: s.baseline.map(|c| c.to_string()).unwrap_or_else(|| "None".into()),
            change: s.change.map(|c| c.to_string()).unwrap_or_default(),
        })
        .collect();
    let option_name = option.map(|o| o.name.clone()).unwrap_or_default();
    let headers = SORTS
        .iter()
        .map(|(key, label)| {
            let current = q.sort_key() == *key;
            let next = if current && !q.ascending() {
                "asc"
            } else if current {
                "desc"
            } else if *key == "school" || *key == "phase" {
                "asc"
            } else {
                "desc"
            };
            SortHeader {
                label,
                href: q.link(&slug, Some((key, next))),
                aria: match (current, q.ascending()) {
                    (false, _) => "none",
                    (true, true) => "ascending",
                    (true, false) => "descending",
                },
                numeric: !matches!(*key, "school" | "phase"),
            }
        })
        .collect();
    let export_query = q.query(None);
    let page = ScenarioPage {
        chrome: Chrome::for_user(&user, "/funding"),
        can_edit: allows(user.user.role, Action::ManageBilling),
        slug: slug.clone(),
        name: saved.name,
        year: result.year.clone(),
        schools: result.schools,
        options: result.options.iter().map(|o| OptionHead { name: o.name.clone() }).collect(),
        headline: headline(&result),
        costs: result
            .costs
            .iter()
            .map(|c| {
                let kind = if c.kind == CostKind::Core { "core" } else { "additional" };
                (format!("{} ({kind})", c.name), c.amount.to_string())
            })
            .chain(std::iter::once(("Total".to_string(), result.costs_total.to_string())))
            .collect(),
        chart_income: charts::svg(
            "Chart: each option's income by stream against the costs it must cover",
            |root| {
                let _ = charts::income_against_cost(root, &result);
            },
        ),
        chart_phases: option
            .map(|o| {
                charts::svg(&format!("Chart: what {} charges schools in each phase", o.name), |root| {
                    let _ = charts::charges_by_phase(root, o);
                })
            })
            .unwrap_or_default(),
        chart_sign_up: charts::svg(
            "Chart: each option's surplus as the share of schools joining rises",
            |root| {
                let _ = charts::surplus_against_sign_up(root, &result);
            },
        ),
        phase_stats: option
            .map(|o| {
                o.by_phase
                    .iter()
                    .map(|p| {
                        vec![
                            p.phase.label().to_string(),
                            p.schools.to_string(),
                            p.pupils.to_string(),
                            p.total.to_string(),
                            p.min.to_string(),
                            p.median.to_string(),
                            p.max.to_string(),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default(),
        sensitivity: (0..=20)
            .step_by(2)
            .map(|i| {
                (
                    format!("{}%", i * 5),
                    result.options.iter().map(|o| o.sensitivity[i].1.to_string()).collect(),
                )
            })
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
        change_choices: [
            ("", "All schools"),
            ("rises", "Paying more"),
            ("falls", "Paying less"),
            ("same", "Paying the same"),
        ]
        .iter()
        .map(|(v, l)| SelectOption::new(*v, *l, Some(q.change.as_deref().unwrap_or(""))))
        .collect(),
        winners: option.map(winners_and_losers).unwrap_or_default(),
        headers,
        table_caption: format!(
            "What each school would pay under {option_name} ({} schools)",
            school_rows.len()
        ),
        school_rows,
        missing: option
            .map(|o| o.needs_pupil_number.iter().map(|s| format!("{} ({})", s.name, s.urn)).collect())
            .unwrap_or_default(),
        export_query,
        option_name,
    };
    Ok(render(&page)?.into_response())
}
