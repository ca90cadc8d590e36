//! The import page: upload a GIAS extract (admins only).

use super::spool::{SpoolError, Spooled, spool};
use crate::domain::gias::{ParseOptions, RowError, parse_la_codes};
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::import::{ImportOptions, ImportSummary, import_file};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts};
use crate::web::session::PageUser;
use crate::web::view::FieldErrors;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The largest upload accepted: a whole-England GIAS extract is about 60 MB.
pub const MAX_UPLOAD_BYTES: usize = 200 * 1024 * 1024;
/// The most a text field of the upload form may hold.
const MAX_FIELD_BYTES: usize = 4096;
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
    census_parts: DateParts,
    census: DateInput,
}

impl FieldErrors for ImportPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

fn census_input(parts: &DateParts, today: chrono::NaiveDate) -> DateInput {
    DateInput::new(
        "census_date",
        "Census date for files without one (optional)",
        today,
        "Used for pupil numbers when the file has no CensusDate column; today if left blank",
    )
    .typed(parts)
}

fn page(user: &PageUser) -> ImportPage {
    ImportPage {
        chrome: Chrome::for_user(user, "/import"),
        errors: vec![],
        result: None,
        shown_errors: vec![],
        form_la_codes: String::new(),
        census_parts: DateParts::default(),
        census: census_input(&DateParts::default(), chrono::Utc::now().date_naive()),
    }
}

async fn show(user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ImportSchools)?;
    Ok(render(&page(&user))?.into_response())
}

async fn upload(
    State(state): State<AppState>,
    user: PageUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    user.require(Action::ImportSchools)?;
    let mut csrf = String::new();
    let mut file: Option<Spooled> = None;
    let mut skip_bad_rows = false;
    let mut view = page(&user);
    let broken = |e: String| PageError::BadRequest(format!("The upload could not be read: {e}"));
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(broken(e.to_string())),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            file = Some(spool(field).await.map_err(|e| match e {
                SpoolError::TooLarge => PageError::BadRequest(format!(
                    "The file is larger than {} MB. Choose a GIAS extract of the partnership's area.",
                    MAX_UPLOAD_BYTES / (1024 * 1024)
                )),
                SpoolError::Broken(why) => broken(why),
            })?);
            continue;
        }
        // Every other field is a few characters: read at most a small amount of it.
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| broken(e.to_string()))? {
            if text.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(PageError::BadRequest(format!("The form field \"{name}\" is too long")));
            }
            text.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&text).trim().to_string();
        match name.as_str() {
            "csrf_token" => csrf = text,
            "skip_bad_rows" => skip_bad_rows = text == "true",
            "la_codes" => view.form_la_codes = text,
            "census_date-day" => view.census_parts.day = text,
            "census_date-month" => view.census_parts.month = text,
            "census_date-year" => view.census_parts.year = text,
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let la_codes = parse_la_codes(&view.form_la_codes)
        .map_err(|m| view.errors.push(FieldError { field: "la_codes".into(), message: m }))
        .unwrap_or_default();
    view.census = census_input(&view.census_parts, state.clock.today());
    let census = match view.census_parts.read("Census date") {
        Ok(d) => d,
        Err(m) => {
            view.errors.push(FieldError { field: "census_date".into(), message: m });
            None
        }
    };
    let file = file.filter(|f| f.bytes > 0);
    if file.is_none() {
        view.errors.push(FieldError { field: "file".into(), message: "Select a GIAS CSV file".into() });
    }
    let Some(upload) = file.filter(|_| view.errors.is_empty()) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response());
    };
    let options = ImportOptions {
        parse: ParseOptions {
            default_census_date: Some(census.unwrap_or_else(|| state.clock.today())),
            only_la_codes: la_codes,
        },
        skip_bad_rows,
    };
    let summary = import_file(&state.db, user.partnership.id, upload.file, &options, &mut |_, _| {}).await?;
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
    Ok((status, render(&view)?).into_response())
}
