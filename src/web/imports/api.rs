//! Importing the register through the JSON API.

use crate::domain::gias::{ParseOptions, parse_gias_date, parse_la_codes};
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::import::{ImportOptions, ImportSummary, import_file};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::imports::MAX_UPLOAD_BYTES;
use crate::web::imports::spool::{SpoolError, spool};
use crate::web::session::ApiUser;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new().route("/imports/gias", post(import).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)))
}

#[derive(serde::Deserialize, Default)]
struct ImportQuery {
    skip_bad_rows: Option<bool>,
    census_date: Option<String>,
    la: Option<String>,
}

async fn import(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ImportQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Action::ImportSchools)?;
    let mut errors = Vec::new();
    let census = parse_gias_date(query.census_date.as_deref().unwrap_or(""))
        .map_err(|m| errors.push(FieldError { field: "census_date".into(), message: m }))
        .ok()
        .flatten();
    let la_codes = parse_la_codes(query.la.as_deref().unwrap_or(""))
        .map_err(|m| errors.push(FieldError { field: "la".into(), message: m }))
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let upload = spool(body.into_data_stream()).await.map_err(|e| match e {
        SpoolError::TooLarge => ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the file is larger than {} MB", MAX_UPLOAD_BYTES / (1024 * 1024)),
        ),
        SpoolError::Broken(why) => ApiError::BadRequest(format!("the upload could not be read: {why}")),
    })?;
    if upload.bytes == 0 {
        return Err(ApiError::Invalid(vec![FieldError {
            field: "body".into(),
            message: "send the GIAS CSV file as the request body".into(),
        }]));
    }
    let options = ImportOptions {
        parse: ParseOptions {
            default_census_date: Some(census.unwrap_or_else(|| state.clock.today())),
            only_la_codes: la_codes,
        },
        skip_bad_rows: query.skip_bad_rows.unwrap_or(false),
    };
    let summary: ImportSummary =
        import_file(&state.db, caller.user.partnership_id, upload.file, &options, &mut |_, _| {}).await?;
    if summary.committed {
        return Ok((StatusCode::OK, Json(summary)).into_response());
    }
    let message = format!(
        "{} row(s) have problems, so nothing was imported; correct them or send skip_bad_rows=true",
        summary.rejected
    );
    let body = json!({ "error": { "code": "rows_rejected", "message": message, "rows": summary.errors, "more_rows": summary.errors_not_listed }, "summary": summary });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
}
