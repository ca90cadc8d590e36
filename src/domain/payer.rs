//! Who pays: for a membership, the school, its trust or its council; each payer has a kind.

use serde::{Deserialize, Serialize};

/// Who pays for a school's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidBy {
    /// The school itself.
    School,
    /// The school's multi-academy trust: one invoice per trust with a line per school.
    Trust,
    /// The council, for a maintained school, from delegated money.
    Council,
}

impl PaidBy {
    pub const ALL: [PaidBy; 3] = [PaidBy::School, PaidBy::Trust, PaidBy::Council];

    pub fn as_str(self) -> &'static str {
        match self {
            PaidBy::School => "school",
            PaidBy::Trust => "trust",
            PaidBy::Council => "council",
        }
    }

    pub fn parse(text: &str) -> Option<PaidBy> {
        PaidBy::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }

    /// How a page names who pays.
    pub fn label(self) -> &'static str {
        match self {
            PaidBy::School => "The school",
            PaidBy::Trust => "Its trust",
            PaidBy::Council => "The council",
        }
    }

    /// The kind of payer that pays when a membership is paid this way.
    pub fn payer_kind(self) -> PayerKind {
        match self {
            PaidBy::School => PayerKind::School,
            PaidBy::Trust => PayerKind::Trust,
            PaidBy::Council => PayerKind::Council,
        }
    }
}

super::unknown_name::from_str_by_parse!(PaidBy, "payer of a membership");

/// What kind of body a payer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayerKind {
    School,
    Trust,
    Council,
    /// Another body that pays under a contract: a health body, a charity, a grant-maker.
    Organisation,
}

impl PayerKind {
    pub const ALL: [PayerKind; 4] =
        [PayerKind::School, PayerKind::Trust, PayerKind::Council, PayerKind::Organisation];

    pub fn as_str(self) -> &'static str {
        match self {
            PayerKind::School => "school",
            PayerKind::Trust => "trust",
            PayerKind::Council => "council",
            PayerKind::Organisation => "organisation",
        }
    }

    pub fn parse(text: &str) -> Option<PayerKind> {
        PayerKind::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            PayerKind::School => "School",
            PayerKind::Trust => "Trust",
            PayerKind::Council => "Council",
            PayerKind::Organisation => "Other organisation",
        }
    }
}

super::unknown_name::from_str_by_parse!(PayerKind, "payer kind");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_ones_are_refused() {
        for p in PaidBy::ALL {
            assert_eq!(p.as_str().parse::<PaidBy>(), Ok(p));
            assert_eq!(p.payer_kind().as_str(), p.as_str());
        }
        for k in PayerKind::ALL {
            assert_eq!(k.as_str().parse::<PayerKind>(), Ok(k));
        }
        let e = "parent".parse::<PaidBy>().unwrap_err();
        assert_eq!(e.to_string(), "\"parent\" is not a known payer of a membership");
    }
}
