//! The one error for a stored or typed name that is not one of an enum's values.

/// `value` is not one of the names of `what` (a VAT rate, an invoice status...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a known {what}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

/// Implements `FromStr` for an enum through its `parse(&str) -> Option<Self>`.
macro_rules! from_str_by_parse {
    ($type:ty, $what:expr) => {
        impl std::str::FromStr for $type {
            type Err = $crate::domain::unknown_name::UnknownName;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$type>::parse(text).ok_or_else(|| $crate::domain::unknown_name::UnknownName {
                    what: $what,
                    value: text.to_string(),
                })
            }
        }
    };
}
pub(crate) use from_str_by_parse;
