//! Accounting exports and the VAT summary, on a page and in the API (finance and admins).

mod api;
mod pages;

use crate::web::AppState;
use axum::Router;
use axum::routing::get;

pub use api::openapi_paths;

/// The JSON API of exports (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

/// The exports page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/exports", get(pages::show).post(pages::make))
        .route("/exports/{id}/files/{part}", get(pages::download))
        .route("/exports/accounts", axum::routing::post(pages::save_accounts))
}

/// The last whole calendar quarter before `today`: its first and last day.
fn last_quarter(today: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::{Datelike, Months, NaiveDate};
    let this_quarter =
        NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
    let start = this_quarter.checked_sub_months(Months::new(3)).unwrap_or(this_quarter);
    (start, this_quarter.pred_opt().unwrap_or(this_quarter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_whole_quarter() {
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(last_quarter(d(2026, 11, 30)), (d(2026, 7, 1), d(2026, 9, 30)));
        assert_eq!(last_quarter(d(2026, 1, 1)), (d(2025, 10, 1), d(2025, 12, 31)));
    }
}
