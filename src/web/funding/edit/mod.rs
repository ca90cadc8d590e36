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
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::funding::{self, MAX_OPTIONS, SavedScenario};
use crate::web::AppState;
use crate::web::error::{PageError, encode_segment};
use crate::web::forms::fee_rule::{Cell, RuleForm};
use crate::web::forms::fields::{FormData, Problems, amount_text, read_amount, slug};
use crate::web::forms::page::{check_year, editor, next_year, refused, with_problems};
use crate::web::forms::sign_up::SignUpForm;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, field_errors, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

mod costs;
mod create;
mod options;
mod overview;
mod paper;

use costs::*;
use create::*;
use options::*;
use overview::*;
use paper::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funding/new", get(new_form).post(create))
        .route("/funding/{name}/edit", get(overview))
        .route("/funding/{name}/settings", get(settings_form).post(save_settings))
        .route("/funding/{name}/costs/{line}", get(cost_form).post(save_cost))
        .route("/funding/{name}/costs/{line}/remove", get(remove_cost_form).post(remove_cost))
        .route("/funding/{name}/options/{option}", get(option_form).post(save_option))
        .route("/funding/{name}/options/{option}/remove", get(remove_option_form).post(remove_option))
        .route("/funding/{name}/duplicate", get(duplicate_form).post(duplicate))
        .route("/funding/{name}/paper", get(paper_form).post(save_paper))
        .route("/funding/{name}/delete", get(delete_form).post(delete))
}

fn edit_url(name: &str) -> String {
    format!("/funding/{}/edit", encode_segment(name))
}

async fn load(state: &AppState, user: &PageUser, name: &str) -> Result<SavedScenario, PageError> {
    Ok(funding::get_scenario(&state.db, user.partnership.id, name).await?)
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

/// The "are you sure?" page before removing a cost line or option: `part` is "costs" or
/// "options", `index` the one asked for, `names` the scenario's names of that part.
async fn confirm_removal(
    state: &AppState,
    user: &PageUser,
    name: &str,
    (part, index, kind): (&str, &str, &str),
    names: fn(&Scenario) -> Vec<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(state, user, name).await?;
    let names = names(&saved.scenario);
    let at = line_index(index, names.len())?.ok_or(PageError::NotFound)?;
    let what = &names[at];
    let page = crate::web::view::ConfirmPage {
        chrome: Chrome::for_user(user, "/funding"),
        heading: format!("Remove the {kind} {what}?"),
        message: format!(
            "It is taken out of the scenario {}, and its figures with it. This cannot be undone.",
            saved.name
        ),
        action: format!("/funding/{}/{part}/{index}/remove", encode_segment(&saved.name)),
        button: format!("Remove {what}"),
        cancel: edit_url(&saved.name),
        hidden: vec![],
    };
    Ok(render(&page)?.into_response())
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
