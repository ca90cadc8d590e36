//! What API handlers share: reading a JSON body, path ids, and field errors.

use crate::services::FieldError;
use crate::web::error::ApiError;
use serde_json::error::Category;

pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

/// Reads a JSON body. Text that is not JSON is a 400; JSON that does not fit (a missing field, a
/// wrong type, a fee rule whose floor is above its cap) is a 422 naming the field by its path,
/// e.g. `options[0].membership_fee`.
pub fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| {
        let message = e.to_string();
        ApiError::BadRequest(format!("the body is not JSON: {message}"))
    })?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        let message = inner.to_string();
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m).to_string();
        match inner.classify() {
            Category::Data => {
                let path = e.path().to_string();
                let field = if path == "." { "body".to_string() } else { path };
                invalid(&field, message)
            }
            _ => ApiError::BadRequest(format!("the body is not JSON: {message}")),
        }
    })?;
    deserializer.end().map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    Ok(value)
}

pub fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| invalid("id", format!("\"{text}\" is not an id")))
}

/// A date sent as text ("2026-10-01"), or the field's problem.
pub fn date(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(field, "give a date like 2026-10-01"))
}

/// A page number from a query (blank: the first page); anything else but 1 to 1,000,000 is an
/// error naming the field.
pub fn page_number(text: &str) -> Result<u64, ApiError> {
    crate::web::view::page_number(text).map_err(|m| invalid("page", m))
}

/// An amount of money sent as text ("120.00"), or the field's problem.
pub fn money(field: &str, text: &str) -> Result<crate::domain::money::Money, ApiError> {
    crate::domain::money::Money::parse(text).map_err(|e| invalid(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        options: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        fee: crate::domain::fees::FeeRule,
    }

    #[test]
    fn bodies_that_do_not_fit_name_the_field() {
        let e = body::<Outer>(br#"{"options": [{"fee": {"flat": "5.00", "min": "9.00", "max": "1.00"}}]}"#)
            .unwrap_err();
        match e {
            ApiError::Invalid(fields) => {
                assert_eq!(fields[0].field, "options[0].fee");
                assert!(
                    fields[0].message.contains("the floor 9.00 is above the cap 1.00"),
                    "{}",
                    fields[0].message
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(body::<Outer>(b"[1,2"), Err(ApiError::BadRequest(_))));
        assert!(matches!(body::<Outer>(br#"{"options": []} trailing"#), Err(ApiError::BadRequest(_))));
        match body::<Outer>(br#"{}"#) {
            Err(ApiError::Invalid(fields)) => assert_eq!(fields[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }
}
