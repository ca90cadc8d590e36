//! What the register knows about a school, in valid form.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A DfE unique reference number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Urn(i32);

impl Urn {
    /// Reads a URN: a positive whole number of at most seven digits.
    pub fn parse(text: &str) -> Result<Urn, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("URN is blank".into());
        }
        if !trimmed.chars().all(|c| c.is_ascii_digit()) || trimmed.len() > 7 {
            return Err(format!("\"{trimmed}\" is not a URN (up to 7 digits)"));
        }
        let value: i32 = trimmed.parse().map_err(|_| format!("\"{trimmed}\" is not a URN"))?;
        if value == 0 {
            return Err("URN 0 is not a URN".into());
        }
        Ok(Urn(value))
    }

    pub fn from_stored(value: i32) -> Urn {
        Urn(value)
    }

    pub fn value(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether a school is open, as GIAS says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchoolStatus {
    Open,
    Closed,
    ProposedToClose,
    ProposedToOpen,
}

impl SchoolStatus {
    pub const ALL: [SchoolStatus; 4] = [
        SchoolStatus::Open,
        SchoolStatus::ProposedToClose,
        SchoolStatus::ProposedToOpen,
        SchoolStatus::Closed,
    ];

    /// Reads GIAS's `EstablishmentStatus (name)` wording.
    pub fn from_gias(text: &str) -> Option<SchoolStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "open" => Some(SchoolStatus::Open),
            "closed" => Some(SchoolStatus::Closed),
            "open, but proposed to close" => Some(SchoolStatus::ProposedToClose),
            "proposed to open" => Some(SchoolStatus::ProposedToOpen),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SchoolStatus::Open => "open",
            SchoolStatus::Closed => "closed",
            SchoolStatus::ProposedToClose => "proposed_to_close",
            SchoolStatus::ProposedToOpen => "proposed_to_open",
        }
    }

    pub fn parse(text: &str) -> Option<SchoolStatus> {
        SchoolStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            SchoolStatus::Open => "Open",
            SchoolStatus::Closed => "Closed",
            SchoolStatus::ProposedToClose => "Open, proposed to close",
            SchoolStatus::ProposedToOpen => "Proposed to open",
        }
    }
}

super::unknown_name::from_str_by_parse!(SchoolStatus, "school status");

/// GIAS types of school the local authority maintains (so the council may pay for them).
const MAINTAINED_TYPES: [&str; 8] = [
    "community school",
    "voluntary aided school",
    "voluntary controlled school",
    "foundation school",
    "community special school",
    "foundation special school",
    "local authority nursery school",
    "pupil referral unit",
];

/// Whether a school of this GIAS type is maintained by its council.
pub fn is_maintained(type_of_establishment: &str) -> bool {
    MAINTAINED_TYPES.contains(&type_of_establishment.trim().to_ascii_lowercase().as_str())
}

/// A link GIAS records between two establishments, e.g. an academy conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolLink {
    pub urn: Urn,
    /// GIAS's wording: "Successor", "Predecessor", "Successor - amalgamated"...
    pub kind: String,
}

impl SchoolLink {
    pub fn is_successor(&self) -> bool {
        self.kind.to_ascii_lowercase().starts_with("successor")
    }

    pub fn is_predecessor(&self) -> bool {
        self.kind.to_ascii_lowercase().starts_with("predecessor")
    }
}

/// Reads GIAS's `Linked establishments` cell: "148213 Successor", several joined by commas, or
/// "Does not have links".
pub fn parse_links(text: &str) -> Result<Vec<SchoolLink>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("does not have links") {
        return Ok(Vec::new());
    }
    trimmed
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (urn, kind) = part.split_once(' ').unwrap_or((part, ""));
            let urn = Urn::parse(urn).map_err(|e| format!("link \"{part}\": {e}"))?;
            let kind = kind.trim();
            if kind.is_empty() {
                return Err(format!("link \"{part}\" does not say what kind of link it is"));
            }
            Ok(SchoolLink { urn, kind: kind.to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns() {
        assert_eq!(Urn::parse(" 148213 ").unwrap().value(), 148213);
        assert!(Urn::parse("").is_err());
        assert!(Urn::parse("0").is_err());
        assert!(Urn::parse("12a").is_err());
        assert!(Urn::parse("-5").is_err());
        assert!(Urn::parse("12345678").is_err());
    }

    #[test]
    fn statuses_in_gias_wording() {
        assert_eq!(SchoolStatus::from_gias("Open"), Some(SchoolStatus::Open));
        assert_eq!(SchoolStatus::from_gias("Closed"), Some(SchoolStatus::Closed));
        assert_eq!(
            SchoolStatus::from_gias("Open, but proposed to close"),
            Some(SchoolStatus::ProposedToClose)
        );
        assert_eq!(SchoolStatus::from_gias("Proposed to open"), Some(SchoolStatus::ProposedToOpen));
        assert_eq!(SchoolStatus::from_gias("Shut"), None);
        for s in SchoolStatus::ALL {
            assert_eq!(SchoolStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn maintained_types() {
        assert!(is_maintained("Community school"));
        assert!(is_maintained("Foundation special school"));
        assert!(!is_maintained("Academy converter"));
        assert!(!is_maintained("Non-maintained special school"));
        assert!(!is_maintained("Free schools"));
    }

    #[test]
    fn links() {
        assert_eq!(parse_links("Does not have links").unwrap(), vec![]);
        assert_eq!(parse_links("").unwrap(), vec![]);
        let one = parse_links("148213 Successor").unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].urn.value(), 148213);
        assert!(one[0].is_successor());
        let two = parse_links("100001 Predecessor, 100002 Successor - amalgamated").unwrap();
        assert_eq!(two.len(), 2);
        assert!(two[0].is_predecessor());
        assert_eq!(two[1].kind, "Successor - amalgamated");
        assert!(parse_links("abc Successor").is_err());
        assert!(parse_links("148213").is_err());
    }
}
