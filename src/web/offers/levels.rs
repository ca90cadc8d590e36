//! An offer's levels on the pages: add one, change its fee rule (with the form the funding
//! models use), name, what it includes and VAT rate, previewed against today's fees; move it up
//! or down; remove it while nobody holds it.

use super::pages::offer_url;
use super::preview::{PreviewView, preview_view};
use crate::domain::billing::{find_period, periods};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::{Action, SchoolScope};
use crate::domain::vat::VatRate;
use crate::services::offers::{self, Level, NewLevel, Offer};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, encode_segment};
use crate::web::forms::fee_rule::RuleForm;
use crate::web::forms::fields::{FormData, Problems};
use crate::web::forms::page::editor;
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/offers/{year}/add-level", get(add_form).post(add))
        .route("/billing/offers/{year}/levels/{level}", get(edit_form).post(edit))
        .route("/billing/offers/{year}/levels/{level}/move", post(move_level))
        .route("/billing/offers/{year}/levels/{level}/remove", get(remove_form).post(remove))
}

field_errors!(LevelPage, RemovePage);

/// The service's names for a level's fields, and the ids of the form's fields.
const LEVEL_FIELDS: &[(&str, &str)] = &[
    ("level.name", "level-name"),
    ("level.description", "description"),
    ("level.fee_rule", "fee-shape"),
    ("level.vat_rate", "vat_rate"),
];

/// The phases the fee form asks amounts for: those in the register (all of them for an empty
/// register).
pub(crate) async fn register_phases(
    state: &AppState,
    user: &PageUser,
) -> Result<Vec<BillingPhase>, PageError> {
    let counts =
        crate::services::register::count_by_phase(&state.db, user.partnership.id, SchoolScope::All).await?;
    Ok(if counts.is_empty() {
        BillingPhase::ALL.to_vec()
    } else {
        counts.into_iter().map(|(p, _)| p).collect()
    })
}

/// A level's fields: name, what it includes, VAT rate and fee rule.
pub(super) struct LevelFields {
    pub name: String,
    pub description: String,
    pub vat: Vec<SelectOption>,
    pub r: RuleForm,
}

impl LevelFields {
    pub fn new(level: Option<&Level>, phases: &[BillingPhase]) -> LevelFields {
        let vat = level.map_or(VatRate::Standard, |l| l.vat_rate);
        LevelFields {
            name: level.map(|l| l.name.clone()).unwrap_or_default(),
            description: level.map(|l| l.description.clone()).unwrap_or_default(),
            vat: vat_options(vat.as_str()),
            r: RuleForm::new("fee", "Fee for a whole year", level.map(|l| &l.rule), phases),
        }
    }
}

fn vat_options(chosen: &str) -> Vec<SelectOption> {
    VatRate::ALL.iter().map(|r| SelectOption::new(r.as_str(), r.label(), Some(chosen))).collect()
}

/// Takes the values as posted, to show the form again.
pub(super) fn level_fields_posted(level: &mut LevelFields, form: &FormData) {
    level.name = form.get("level-name").to_string();
    level.description = form.get("description").to_string();
    level.vat = vat_options(form.get("vat_rate"));
    level.r.posted(form);
}

/// Reads a posted level; `None` when something is wrong (the problems name the fields).
pub(super) fn read_level(level: &LevelFields, form: &FormData, problems: &mut Problems) -> Option<NewLevel> {
    let name = form.get("level-name");
    if name.is_empty() {
        problems.add("level-name", "Enter a name for the level, like Core");
    }
    let rule = level.r.read(form, problems).flatten()?;
    Some(NewLevel {
        name: name.to_string(),
        description: form.get("description").to_string(),
        fee_rule: serde_json::to_value(&rule).map_err(|e| problems.add("fee-shape", e.to_string())).ok()?,
        vat_rate: form.get("vat_rate").to_string(),
    })
}

#[derive(Template)]
#[template(path = "offers/level.html")]
struct LevelPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year: String,
    offer_url: String,
    action: String,
    adding: bool,
    heading: String,
    billed: Option<String>,
    level: LevelFields,
    preview: Option<PreviewView>,
}

/// Which periods are already billed to the level's members, and what a change would price.
async fn billed_warning(
    state: &AppState,
    user: &PageUser,
    offer: &Offer,
    level: &Level,
) -> Result<Option<String>, PageError> {
    let billed = offers::billed_periods(&state.db, user.partnership.id, &offer.year, level.id).await?;
    if billed.is_empty() {
        return Ok(None);
    }
    let year = MembershipYear::parse(user.partnership.year_kind, &offer.year).ok_or(PageError::NotFound)?;
    let label =
        |name: &str| find_period(year, offer.billing_plan, name).map_or(name.to_string(), |p| p.label());
    let done: Vec<String> = billed
        .iter()
        .map(|(p, n)| format!("the {} ({n} invoice{})", label(p), if *n == 1 { "" } else { "s" }))
        .collect();
    let later: Vec<String> = periods(year, offer.billing_plan)
        .into_iter()
        .filter(|p| !billed.iter().any(|(b, _)| b == &p.name))
        .map(|p| format!("the {}", p.label()))
        .collect();
    let after = if later.is_empty() {
        "Every period of the year is billed, so a change prices only schools that join from now on; correct an issued invoice with a credit note.".to_string()
    } else {
        format!("A change prices {} and schools that join from now on.", later.join(", "))
    };
    Ok(Some(format!(
        "{} is already billed for {}. Those invoices keep their figures. {after}",
        level.name,
        done.join(", ")
    )))
}

async fn load_offer(state: &AppState, user: &PageUser, year: &str) -> Result<Offer, PageError> {
    offers::find(&state.db, user.partnership.id, year).await?.ok_or(PageError::NotFound)
}

fn find_level<'a>(offer: &'a Offer, name: &str) -> Result<&'a Level, PageError> {
    offer.levels.iter().find(|l| l.name.eq_ignore_ascii_case(name)).ok_or(PageError::NotFound)
}

fn level_url(offer: &Offer, level: &str) -> String {
    format!("{}/levels/{}", offer_url(&offer.year), encode_segment(level))
}

async fn add_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(year): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let offer = load_offer(&state, &user, &year).await?;
    let phases = register_phases(&state, &user).await?;
    let page = LevelPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        offer_url: offer_url(&offer.year),
        action: format!("{}/add-level", offer_url(&offer.year)),
        adding: true,
        heading: format!("Add a level to the {} offer", offer.year),
        billed: None,
        level: LevelFields::new(None, &phases),
        preview: None,
        year: offer.year,
    };
    Ok(render(&page)?.into_response())
}

async fn edit_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((year, name)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let offer = load_offer(&state, &user, &year).await?;
    let level = find_level(&offer, &name)?;
    let phases = register_phases(&state, &user).await?;
    let page = LevelPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        offer_url: offer_url(&offer.year),
        action: level_url(&offer, &level.name),
        adding: false,
        heading: format!("{} in the {} offer", level.name, offer.year),
        billed: billed_warning(&state, &user, &offer, level).await?,
        level: LevelFields::new(Some(level), &phases),
        preview: None,
        year: offer.year.clone(),
    };
    Ok(render(&page)?.into_response())
}

async fn add(
    State(state): State<AppState>,
    user: PageUser,
    Path(year): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let offer = load_offer(&state, &user, &year).await?;
    posted(&state, &user, offer, None, form).await
}

async fn edit(
    State(state): State<AppState>,
    user: PageUser,
    Path((year, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let offer = load_offer(&state, &user, &year).await?;
    let level = find_level(&offer, &name)?.name.clone();
    posted(&state, &user, offer, Some(level), form).await
}

/// A posted level form: previewed, or saved (added or changed); shown again with its problems.
async fn posted(
    state: &AppState,
    user: &PageUser,
    offer: Offer,
    editing: Option<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let phases = register_phases(state, user).await?;
    let existing = editing.as_deref().and_then(|n| offer.levels.iter().find(|l| l.name == n));
    let mut level = LevelFields::new(existing, &phases);
    let mut problems = Problems::default();
    let read = read_level(&level, &form, &mut problems);
    let mut preview = None;
    if let (Some(new), true) = (&read, problems.0.is_empty()) {
        if form.get("action") == "preview" {
            let rule = crate::domain::fees::FeeRule::from_json(&new.fee_rule.to_string())
                .map_err(|e| PageError::BadRequest(e.to_string()))?;
            let on = MembershipYear::parse(user.partnership.year_kind, &offer.year)
                .ok_or(PageError::NotFound)?
                .first_day();
            let name = editing.as_deref().unwrap_or(&new.name);
            let compared =
                offers::compare_rule(&state.db, user.partnership.id, &offer, name, &rule, on).await?;
            preview = Some(preview_view(compared));
        } else {
            let saved = match &editing {
                Some(name) => {
                    offers::update_level(
                        &state.db,
                        user.partnership.id,
                        &offer.year,
                        name,
                        new,
                        Some(user.user.id),
                    )
                    .await
                }
                None => {
                    offers::add_level(&state.db, user.partnership.id, &offer.year, new, Some(user.user.id))
                        .await
                }
            };
            match saved {
                Ok(l) => {
                    let to =
                        format!("{}?saved={}", offer_url(&offer.year), crate::web::error::urlencode(&l.name));
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(e @ ServiceError::Invalid(_)) => problems.0 = refused_as(e, LEVEL_FIELDS)?,
                Err(e) => return Err(e.into()),
            }
        }
    }
    level_fields_posted(&mut level, &form);
    let billed = match existing {
        Some(l) => billed_warning(state, user, &offer, l).await?,
        None => None,
    };
    let page = LevelPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors: problems.0,
        offer_url: offer_url(&offer.year),
        action: match &editing {
            Some(name) => level_url(&offer, name),
            None => format!("{}/add-level", offer_url(&offer.year)),
        },
        adding: editing.is_none(),
        heading: match &editing {
            Some(name) => format!("{name} in the {} offer", offer.year),
            None => format!("Add a level to the {} offer", offer.year),
        },
        billed,
        level,
        preview,
        year: offer.year.clone(),
    };
    Ok(with_problems(&page.errors, render(&page)?))
}

async fn move_level(
    State(state): State<AppState>,
    user: PageUser,
    Path((year, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let offer = load_offer(&state, &user, &year).await?;
    let level = find_level(&offer, &name)?;
    let up = match form.get("direction") {
        "up" => true,
        "down" => false,
        other => return Err(PageError::BadRequest(format!("\"{other}\" is not up or down"))),
    };
    offers::move_level(&state.db, user.partnership.id, &offer.year, &level.name, up, Some(user.user.id))
        .await?;
    Ok(Redirect::to(&format!("{}#levels", offer_url(&offer.year))).into_response())
}

#[derive(Template)]
#[template(path = "offers/remove.html")]
struct RemovePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year: String,
    name: String,
    url: String,
    offer_url: String,
    members: u64,
}

async fn remove_page(
    state: &AppState,
    user: &PageUser,
    offer: &Offer,
    level: &Level,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let page = RemovePage {
        chrome: Chrome::for_user(user, "/billing"),
        year: offer.year.clone(),
        name: level.name.clone(),
        url: level_url(offer, &level.name),
        offer_url: offer_url(&offer.year),
        members: offers::members_of_level(&state.db, level.id).await?,
        errors,
    };
    Ok(with_problems(&page.errors, render(&page)?))
}

async fn remove_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((year, name)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let offer = load_offer(&state, &user, &year).await?;
    let level = find_level(&offer, &name)?;
    remove_page(&state, &user, &offer, level, vec![]).await
}

async fn remove(
    State(state): State<AppState>,
    user: PageUser,
    Path((year, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let offer = load_offer(&state, &user, &year).await?;
    let level = find_level(&offer, &name)?;
    match offers::remove_level(&state.db, user.partnership.id, &offer.year, &level.name, Some(user.user.id))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}?removed={}",
            offer_url(&offer.year),
            crate::web::error::urlencode(&level.name)
        ))
        .into_response()),
        Err(e @ ServiceError::Invalid(_)) => {
            let errors = refused_as(e, &[("level", "confirm")])?;
            remove_page(&state, &user, &offer, level, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
