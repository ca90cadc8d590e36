//! What the board paper says beside the figures: its purpose, the decision sought and finance's
//! recommendation, and whether it is final (a draft until finance says so).

use super::*;
use crate::services::funding::PaperText;

field_errors!(PaperPage);

#[derive(Template)]
#[template(path = "funding/paper.html")]
pub(super) struct PaperPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    name: String,
    slug: String,
    paper: PaperText,
    is_final: bool,
}

pub(super) async fn paper_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let saved = load(&state, &user, &name).await?;
    let page = PaperPage {
        chrome: Chrome::for_user(&user, "/funding"),
        errors: vec![],
        slug: encode_segment(&saved.name),
        is_final: saved.paper.final_on.is_some(),
        name: saved.name,
        paper: saved.paper,
    };
    Ok(render(&page)?.into_response())
}

pub(super) async fn save_paper(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let saved = load(&state, &user, &name).await?;
    let text = PaperText {
        purpose: form.get("purpose").to_string(),
        decision: form.get("decision").to_string(),
        recommendation: form.get("recommendation").to_string(),
        final_on: None,
    };
    let is_final = form.has("final", "yes");
    match funding::set_paper(
        &state.db,
        user.partnership.id,
        &saved.name,
        &text,
        is_final,
        state.clock.today(),
        Some(user.user.id),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/funding/{}", encode_segment(&saved.name))).into_response()),
        Err(e) => {
            let page = PaperPage {
                chrome: Chrome::for_user(&user, "/funding"),
                errors: crate::web::forms::page::refused_as(e, &[])?,
                slug: encode_segment(&saved.name),
                name: saved.name,
                paper: text,
                is_final,
            };
            Ok(with_problems(&page.errors, render(&page)?))
        }
    }
}
