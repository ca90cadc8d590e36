//! Starting a scenario, and duplicating or deleting one.

use super::*;

field_errors!(NewPage, NamePage);

// ---------------------------------------------------------------------------------------------
// A new scenario

#[derive(Template)]
#[template(path = "funding/new.html")]
pub(super) struct NewPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    year: String,
    start: String,
    existing: Vec<String>,
}

pub(super) async fn new_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
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

pub(super) async fn create(
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
// Duplicate and delete

#[derive(Template)]
#[template(path = "funding/name.html")]
pub(super) struct NamePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    slug: String,
    deleting: bool,
    new_name: String,
}

pub(super) fn name_page(
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

pub(super) async fn duplicate_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let suggestion = format!("Copy of {}", saved.name);
    name_page(&user, &saved.name, false, suggestion, vec![])
}

pub(super) async fn duplicate(
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

pub(super) async fn delete_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    name_page(&user, &saved.name, true, String::new(), vec![])
}

pub(super) async fn delete(
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
