//! The invoice settings page: number prefixes, payment terms, bank details and remittance.

use crate::domain::role::Action;
use crate::services::partnerships::{self, InvoiceSettings};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/billing/settings", get(show).post(save))
}

struct Field {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/invoice_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    chrome_partnership: String,
    errors: Vec<FieldError>,
    notice: Option<String>,
    vat_text: String,
    /// When the bank account's name is not the partnership's.
    name_warning: Option<String>,
    fields: Vec<Field>,
}

#[derive(serde::Deserialize, Default)]
struct SettingsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    invoice_prefix: String,
    #[serde(default)]
    credit_note_prefix: String,
    #[serde(default)]
    payment_terms_days: String,
    #[serde(default)]
    bank_account_name: String,
    #[serde(default)]
    bank_sort_code: String,
    #[serde(default)]
    bank_account_number: String,
    #[serde(default)]
    remittance_email: String,
    #[serde(default)]
    small_write_off: String,
}

fn page(
    user: &PageUser,
    form: &SettingsForm,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let error = |name: &str| errors.iter().find(|e| e.field == name).map(|e| e.message.clone());
    let field = |name, label, hint, value: &str| Field {
        name,
        label,
        hint,
        value: value.to_string(),
        error: error(name),
    };
    let fields = vec![
        field(
            "invoice_prefix",
            "Invoice number prefix",
            "Up to 12 letters, digits, hyphens or slashes, e.g. INV-",
            &form.invoice_prefix,
        ),
        field("credit_note_prefix", "Credit note number prefix", "For example CN-", &form.credit_note_prefix),
        field(
            "payment_terms_days",
            "Payment terms (days)",
            "Days from the date of issue to the due date, 0 to 120",
            &form.payment_terms_days,
        ),
        field("bank_account_name", "Bank account name", "", &form.bank_account_name),
        field("bank_sort_code", "Sort code", "For example 20-45-77", &form.bank_sort_code),
        field("bank_account_number", "Account number", "", &form.bank_account_number),
        field(
            "remittance_email",
            "Remittance email",
            "Where payers send remittance advice",
            &form.remittance_email,
        ),
        field(
            "small_write_off",
            "Largest small remainder to write off (£)",
            "A payer a few pence short can have the rest written off up to this; more is a bad debt. For example 1.00",
            &form.small_write_off,
        ),
    ];
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = SettingsPage {
        chrome: Chrome::for_user(user, "/billing"),
        chrome_partnership: user.partnership.name.clone(),
        vat_text: user.partnership.vat_number.clone().unwrap_or_else(|| "none: invoices carry no VAT".into()),
        name_warning: user
            .partnership
            .bank_account_name
            .as_deref()
            .filter(|account| {
                !crate::domain::partnership::account_name_matches(account, &user.partnership.name)
            })
            .map(|account| {
                format!(
                    "The bank account's name, {account}, is not the partnership's name, {}. Payers' banks check the name before paying (Confirmation of Payee), so payments may be stopped or delayed. Correct the account name, or the partnership's details.",
                    user.partnership.name
                )
            }),
        errors,
        notice,
        fields,
    };
    Ok((code, render(&view)?).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    saved: Option<String>,
}

async fn show(user: PageUser, Query(q): Query<ShowQuery>) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let p = &user.partnership;
    let form = SettingsForm {
        invoice_prefix: p.invoice_prefix.clone(),
        credit_note_prefix: p.credit_note_prefix.clone(),
        payment_terms_days: p.payment_terms_days.to_string(),
        bank_account_name: p.bank_account_name.clone().unwrap_or_default(),
        bank_sort_code: p.bank_sort_code.clone().unwrap_or_default(),
        bank_account_number: p.bank_account_number.clone().unwrap_or_default(),
        remittance_email: p.remittance_email.clone().unwrap_or_default(),
        small_write_off: p.small_write_off.amount().to_string(),
        ..Default::default()
    };
    page(&user, &form, vec![], q.saved.map(|_| "The invoice settings were saved.".to_string()))
}

async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let optional = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let Ok(days) = form.payment_terms_days.trim().parse::<i32>() else {
        let message = format!("\"{}\" is not a whole number of days", form.payment_terms_days.trim());
        return page(&user, &form, vec![FieldError { field: "payment_terms_days".into(), message }], None);
    };
    let small_write_off = match form.small_write_off.trim() {
        "" => None,
        text => match crate::domain::money::Money::parse(text) {
            Ok(m) => Some(m),
            Err(e) => {
                let message = crate::web::forms::page::sentence_case(&e.to_string());
                return page(
                    &user,
                    &form,
                    vec![FieldError { field: "small_write_off".into(), message }],
                    None,
                );
            }
        },
    };
    let settings = InvoiceSettings {
        small_write_off,
        invoice_prefix: form.invoice_prefix.trim().to_string(),
        credit_note_prefix: form.credit_note_prefix.trim().to_string(),
        payment_terms_days: days,
        bank_account_name: optional(&form.bank_account_name),
        bank_sort_code: optional(&form.bank_sort_code),
        bank_account_number: optional(&form.bank_account_number),
        remittance_email: optional(&form.remittance_email),
    };
    match partnerships::set_invoice_settings(&state.db, user.partnership.id, settings, Some(user.user.id))
        .await
    {
        Ok(_) => Ok(Redirect::to("/billing/settings?saved=1").into_response()),
        Err(ServiceError::Invalid(errors)) => page(&user, &form, errors, None),
        Err(e) => Err(e.into()),
    }
}
