//! Reports: the funding report of a membership year with budgets, on a page (with a CSV) and in
//! the API. The board, finance and admins read it; finance sets the budgets.

mod api;
mod pages;

use crate::web::AppState;
use axum::Router;
use axum::routing::get;

pub use api::openapi_paths;

/// The JSON API of reports (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

/// The report pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(pages::show))
        .route("/reports/income", get(pages::income))
        .route("/reports/income.csv", get(pages::income_csv))
        .route("/reports/income.xlsx", get(pages::income_xlsx))
        .route("/reports/funding.csv", get(pages::csv))
        .route("/reports/funding.xlsx", get(pages::xlsx))
        .route("/reports/funding.pdf", get(pages::pdf))
        .route("/reports/budgets", get(pages::budgets_form).post(pages::save_budgets))
}
