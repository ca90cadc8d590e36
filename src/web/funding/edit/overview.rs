//! A scenario's overview and its settings (year, schools, council, today's fees).

use super::*;

field_errors!(SettingsPage);

// ---------------------------------------------------------------------------------------------
// The scenario's parts at a glance

pub(super) struct CostSummary {
    name: String,
    kind: &'static str,
    pricing: String,
    amount: String,
}

pub(super) struct OptionSummary {
    name: String,
    fee: String,
    sign_up: String,
    covers: String,
    extras: Vec<String>,
}

#[derive(Template)]
#[template(path = "funding/edit.html")]
pub(super) struct OverviewPage {
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

pub(super) async fn overview(
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
pub(super) struct SettingsPage {
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

pub(super) async fn settings_page(
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

pub(super) async fn settings_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    settings_page(&state, &user, &saved, None, vec![]).await
}

pub(super) async fn save_settings(
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
