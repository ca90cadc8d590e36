//! Static assets, built into the binary so it runs from any directory.

use crate::web::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const ASSETS: [(&str, &str, &[u8]); 5] = [
    ("govuk-frontend.min.css", "text/css", include_bytes!("../../templates/static/govuk-frontend.min.css")),
    (
        "govuk-frontend.min.js",
        "text/javascript",
        include_bytes!("../../templates/static/govuk-frontend.min.js"),
    ),
    ("service.css", "text/css", include_bytes!("../../templates/static/service.css")),
    ("init.js", "text/javascript", include_bytes!("../../templates/static/init.js")),
    ("start.js", "text/javascript", include_bytes!("../../templates/static/start.js")),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/static/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *body)
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
