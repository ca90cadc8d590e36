//! The import page: upload a GIAS extract (admins only).

use crate::domain::gias::{ParseOptions, RowError, parse_gias_date, parse_la_codes};
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::import::{ImportOptions, ImportSummary, import_schools};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The largest upload accepted: a whole-England GIAS extract is about 60 MB.
pub const MAX_UPLOAD_BYTES: usize = 200 * 1024 * 1024;
/// Row problems listed on the page; the count says how many more there are.
const SHOWN_ERRORS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/import", get(show).post(upload)).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

#[derive(Template)]
#[template(path = "imports/import.html")]
struct ImportPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    result: Option<ImportSummary>,
    shown_errors: Vec<RowError>,
    form_la_codes: String,
    form_census_date: String,
}

fn page(user: &PageUser) -> ImportPage {
    ImportPage {
        chrome: Chrome::for_user(user, "/import"),
        errors: vec![],
        result: None,
        shown_errors: vec![],
        form_la_codes: String::new(),
        form_census_date: String::new(),
    }
}

async fn show(user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ImportSchools)?;
    Ok(render(&page(&user)))
}

async fn upload(
    State(state): State<AppState>,
    user: PageUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    user.require(Action::ImportSchools)?;
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    let mut skip_bad_rows = false;
    let mut view = page(&user);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(PageError::BadRequest(format!("The upload could not be read: {e}")));
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| PageError::BadRequest(format!("The upload could not be read: {e}")))?;
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "csrf_token" => csrf = text(),
            "file" => file = Some(bytes.to_vec()),
            "skip_bad_rows" => skip_bad_rows = text() == "true",
            "la_codes" => view.form_la_codes = text(),
            "census_date" => view.form_census_date = text(),
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let la_codes = parse_la_codes(&view.form_la_codes)
        .map_err(|m| view.errors.push(FieldError { field: "la_codes".into(), message: m }))
        .unwrap_or_default();
    let census = match parse_gias_date(&view.form_census_date) {
        Ok(d) => d,
        Err(m) => {
            view.errors.push(FieldError { field: "census_date".into(), message: m });
            None
        }
    };
    let file = file.filter(|f| !f.is_empty());
    if file.is_none() {
        view.errors.push(FieldError { field: "file".into(), message: "Select a GIAS CSV file".into() });
    }
    let Some(bytes) = file.filter(|_| view.errors.is_empty()) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response());
    };
    let options = ImportOptions {
        parse: ParseOptions {
            default_census_date: Some(census.unwrap_or_else(|| chrono::Utc::now().date_naive())),
            only_la_codes: la_codes,
        },
        skip_bad_rows,
    };
    let summary = import_schools(&state.db, user.partnership.id, &bytes, &options, &mut |_, _| {}).await?;
    tracing::info!(
        user_id = user.user.id,
        created = summary.created,
        updated = summary.updated,
        rejected = summary.rejected,
        committed = summary.committed,
        "GIAS import from the upload page"
    );
    let status = if summary.committed { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    view.shown_errors = summary.errors.iter().take(SHOWN_ERRORS).cloned().collect();
    view.result = Some(summary);
    Ok((status, render(&view)).into_response())
}
