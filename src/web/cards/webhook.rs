//! `POST /stripe/webhook/{slug}`: Stripe's events for one partnership. No session and no CSRF
//! token: the signature over the raw body, with that partnership's signing secret, is the check.

use crate::services::stripe::{EventOutcome, WebhookRefusal, take_event};
use crate::web::AppState;
use crate::web::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

pub(super) async fn receive(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let now = state.clock.now();
    let outcome =
        take_event(&state.db, &state.settings.payments, &slug, &body, signature, now, state.clock.today())
            .await;
    match outcome {
        Ok(outcome) => {
            let said = match outcome {
                EventOutcome::Taken(words) => words,
                EventOutcome::Duplicate => "Already taken: nothing changed".into(),
                EventOutcome::OtherPartnership => "For another partnership: nothing changed".into(),
            };
            Json(serde_json::json!({ "received": true, "outcome": said })).into_response()
        }
        Err(WebhookRefusal::Service(e)) => ApiError::from(e).into_response(),
        Err(refusal) => {
            let (status, code) = match &refusal {
                WebhookRefusal::UnknownPartnership(_) => (StatusCode::NOT_FOUND, "not_found"),
                WebhookRefusal::NotYet(_) => (StatusCode::CONFLICT, "conflict"),
                _ => (StatusCode::BAD_REQUEST, "bad_request"),
            };
            tracing::info!(slug, status = status.as_u16(), reason = %refusal, "a Stripe event was refused");
            ApiError::Status(status, code, refusal.to_string()).into_response()
        }
    }
}
