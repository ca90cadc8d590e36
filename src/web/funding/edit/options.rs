//! The funding options, one at a time: pricing, tiers, services and sign-up.

use super::*;

field_errors!(OptionPage);

// ---------------------------------------------------------------------------------------------
// An option

pub(super) struct TierForm {
    index: usize,
    name_id: String,
    name: String,
    r: RuleForm,
    su: SignUpForm,
}

pub(super) struct ServiceForm {
    index: usize,
    name_id: String,
    name: String,
    rows: Vec<(Cell, Cell)>,
}

#[derive(Template)]
#[template(path = "funding/option.html")]
pub(super) struct OptionPage {
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
pub(super) const MAX_TIERS: usize = 3;

pub(super) const MAX_SERVICES: usize = 4;

pub(super) fn option_view(
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

pub(super) fn option_posted(mut page: OptionPage, form: &FormData) -> OptionPage {
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

pub(super) async fn option_form(
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

pub(super) fn read_option(
    page: &OptionPage,
    form: &FormData,
    problems: &mut Problems,
) -> Option<FundingOption> {
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

pub(super) async fn save_option(
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

pub(super) async fn remove_option_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, option)): Path<(String, String)>,
) -> Result<Response, PageError> {
    confirm_removal(&state, &user, &name, ("options", &option, "option"), |s| {
        s.options.iter().map(|o| o.name.clone()).collect()
    })
    .await
}

pub(super) async fn remove_option(
    State(state): State<AppState>,
    user: PageUser,
    Path((name, option)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    remove(&state, &user, &name, &option, FormData(pairs), |s| &mut s.options).await
}
