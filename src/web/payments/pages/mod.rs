//! Payment pages: the payments list, recording a payment, one payment (allocate, undo, refund,
//! reverse), a payer's account (statement), aged debt and writing off what an invoice owes.

mod account;
mod aged;
mod list;
mod payment;
mod record;
mod settlement;
mod write_off;

use super::PER_PAGE;
use crate::domain::ledger::{AgeBand, PaymentMethod, PaymentSource, WriteOffKind};
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::services::ledger::{self, Allocate, NewPayment, NewRefund, NewWriteOff, PaymentFilter};
use crate::services::{FieldError, invoices};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{
    Chrome, FieldErrors, Pagination, SelectOption, field_errors, long_date, page_param, render,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payments", get(list::list))
        .route("/payments/new", get(record::new_form).post(record::record))
        .route("/payments/{id}", get(payment::show))
        .route("/payments/{id}/allocate", post(payment::allocate))
        .route("/payments/{id}/reverse", post(payment::reverse))
        .route("/payments/{id}/refund", post(payment::refund))
        .route("/allocations/{id}/undo", post(payment::undo))
        .route("/payers/{id}/account", get(account::account))
        .route("/payers/{id}/statement.pdf", get(account::statement_pdf))
        .route("/aged-debt", get(aged::aged))
        .route("/settlements/new", get(settlement::settlement_form).post(settlement::settle))
        .route("/invoices/{id}/write-off", get(write_off::write_off_form).post(write_off::write_off))
}

pub(super) use crate::web::view::page_id as parse_id;

pub(super) fn form_of(pairs: Vec<(String, String)>) -> FormData {
    FormData(pairs)
}

pub(super) fn amount_field(
    form: &FormData,
    field: &str,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Money> {
    let text = form.get(field);
    if text.is_empty() {
        errors.push(FieldError { field: field.into(), message: format!("Enter {what}") });
        return None;
    }
    match Money::parse(text) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(FieldError {
                field: field.into(),
                message: crate::web::forms::page::sentence_case(&e.to_string()),
            });
            None
        }
    }
}
