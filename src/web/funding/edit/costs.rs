//! The costed offer, one line at a time.

use super::*;

field_errors!(CostPage);

// ---------------------------------------------------------------------------------------------
// A cost line

#[derive(Template)]
#[template(path = "funding/cost.html")]
pub(super) struct CostPage {
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
pub(super) fn line_index(text: &str, count: usize) -> Result<Option<usize>, PageError> {
    if text == "new" {
        return Ok(None);
    }
    match text.parse::<usize>() {
        Ok(i) if i < count => Ok(Some(i)),
        _ => Err(PageError::NotFound),
    }
}

pub(super) async fn cost_page(
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

pub(super) async fn cost_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, line)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let index = line_index(&line, saved.scenario.costs.len())?;
    cost_page(&state, &user, &saved, index, None, vec![]).await
}

pub(super) fn read_cost(
    form: &FormData,
    register: &[BillingPhase],
    problems: &mut Problems,
) -> Option<CostLine> {
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

pub(super) async fn save_cost(
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

pub(super) async fn remove_cost_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, line)): Path<(String, String)>,
) -> Result<Response, PageError> {
    confirm_removal(&state, &user, &name, ("costs", &line, "cost line"), |s| {
        s.costs.iter().map(|c| c.name.clone()).collect()
    })
    .await
}

pub(super) async fn remove_cost(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, line)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    remove(&state, &user, &name, &line, FormData(pairs), |s| &mut s.costs).await
}
