//! Reading a posted form: fields, checkboxes, amounts, counts and percentages, with each
//! problem named against its field.

use crate::services::FieldError;
use rust_decimal::Decimal;

/// A posted form, field by field (repeated names are kept, for checkboxes).
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The trimmed value of a field, or "" when it was not sent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    /// The parts of the GOV.UK date input `name` (fields `{name}-day`, `-month`, `-year`).
    pub fn date(&self, name: &str) -> crate::web::forms::date::DateParts {
        crate::web::forms::date::DateParts::of(
            self.get(&format!("{name}-day")),
            self.get(&format!("{name}-month")),
            self.get(&format!("{name}-year")),
        )
    }

    /// Whether a checkbox or radio with this value was sent.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }
}

/// Collects the problems of one form, each against the id of its field.
#[derive(Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_string(), message: message.into() });
    }

    /// An amount of money, like 1500.00, £1,500 or 1,500.50; `None` (and a problem) when the
    /// field is blank or not an amount.
    pub fn amount(&mut self, form: &FormData, field: &str, what: &str) -> Option<Decimal> {
        let text = form.get(field);
        if text.is_empty() {
            self.add(field, format!("Enter {what}"));
            return None;
        }
        self.optional_amount(form, field, what).flatten()
    }

    /// An amount that may be left blank: `Some(None)` when blank, `None` when wrong.
    pub fn optional_amount(&mut self, form: &FormData, field: &str, what: &str) -> Option<Option<Decimal>> {
        read_amount(form.get(field), what).map_err(|message| self.add(field, message)).ok()
    }

    /// A number that is not negative (days, units, a ratio); blank gives `None` with a problem.
    pub fn number(&mut self, form: &FormData, field: &str, what: &str) -> Option<Decimal> {
        let text = form.get(field);
        match text.replace(',', "").parse::<Decimal>() {
            _ if text.is_empty() => {
                self.add(field, format!("Enter {what}"));
                None
            }
            Ok(v) if !v.is_sign_negative() || v.is_zero() => Some(v),
            _ => {
                self.add(
                    field,
                    format!(
                        "{} must be a number that is 0 or more (you wrote \"{text}\")",
                        capitalised(what)
                    ),
                );
                None
            }
        }
    }

    /// A percentage from 0 to 100 as a share (85 gives 0.85); `Some(None)` when blank.
    pub fn percent(&mut self, form: &FormData, field: &str, what: &str) -> Option<Option<Decimal>> {
        let text = form.get(field).trim_end_matches('%').trim();
        if text.is_empty() {
            return Some(None);
        }
        match text.parse::<Decimal>() {
            Ok(v) if v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED => {
                Some(Some((v / Decimal::ONE_HUNDRED).normalize()))
            }
            _ => {
                self.add(
                    field,
                    format!(
                        "{} must be a percentage from 0 to 100 (you wrote \"{text}\")",
                        capitalised(what)
                    ),
                );
                None
            }
        }
    }
}

/// Reads an amount of money typed by a person (1500.00, £1,500 or 1,500.50): `Ok(None)` when
/// blank; otherwise the amount, or the message to show against the field.
pub fn read_amount(text: &str, what: &str) -> Result<Option<Decimal>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let cleaned: String = text.trim_start_matches('£').chars().filter(|c| *c != ',').collect();
    match cleaned.parse::<Decimal>() {
        Ok(v) if v.is_sign_negative() && !v.is_zero() => {
            Err(format!("{} cannot be negative", capitalised(what)))
        }
        Ok(v) if v.scale() > 2 => {
            Err(format!("{} must be in pounds and pence, like 1500.00", capitalised(what)))
        }
        Ok(v) => Ok(Some(v)),
        Err(_) => {
            Err(format!("{} must be an amount, like 1500.00 (you wrote \"{text}\")", capitalised(what)))
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Shows an amount for editing: 1500.00.
pub fn amount_text(value: Decimal) -> String {
    format!("{:.2}", value)
}

/// A field id safe in HTML and URLs: "All-through" gives "all-through".
pub fn slug(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}
