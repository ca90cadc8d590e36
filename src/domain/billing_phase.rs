//! The billing phase: the one grouping of schools that fees, reports and funding models use.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How the partnership groups a school for charging, derived from its GIAS type and phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BillingPhase {
    Nursery,
    Primary,
    Secondary,
    #[serde(rename = "All-through")]
    AllThrough,
    Special,
    #[serde(rename = "Alternative provision")]
    AlternativeProvision,
    #[serde(rename = "Post-16")]
    Post16,
    Other,
}

impl BillingPhase {
    pub const ALL: [BillingPhase; 8] = [
        BillingPhase::Nursery,
        BillingPhase::Primary,
        BillingPhase::Secondary,
        BillingPhase::AllThrough,
        BillingPhase::Special,
        BillingPhase::AlternativeProvision,
        BillingPhase::Post16,
        BillingPhase::Other,
    ];

    /// The label shown on pages and used in the API and in fee rules.
    pub fn label(self) -> &'static str {
        match self {
            BillingPhase::Nursery => "Nursery",
            BillingPhase::Primary => "Primary",
            BillingPhase::Secondary => "Secondary",
            BillingPhase::AllThrough => "All-through",
            BillingPhase::Special => "Special",
            BillingPhase::AlternativeProvision => "Alternative provision",
            BillingPhase::Post16 => "Post-16",
            BillingPhase::Other => "Other",
        }
    }

    /// Reads a label written by [`BillingPhase::label`] (case-insensitive).
    pub fn parse(label: &str) -> Option<BillingPhase> {
        let wanted = label.trim();
        BillingPhase::ALL.into_iter().find(|p| p.label().eq_ignore_ascii_case(wanted))
    }
}

super::unknown_name::from_str_by_parse!(BillingPhase, "billing phase");

impl fmt::Display for BillingPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// GIAS establishment types that are special schools.
const SPECIAL_TYPES: [&str; 6] = [
    "community special school",
    "foundation special school",
    "non-maintained special school",
    "academy special converter",
    "academy special sponsor led",
    "free schools special",
];

/// GIAS establishment types that are alternative provision.
const ALTERNATIVE_PROVISION_TYPES: [&str; 4] = [
    "pupil referral unit",
    "academy alternative provision converter",
    "academy alternative provision sponsor led",
    "free schools alternative provision",
];

/// GIAS establishment types that only teach 16-19 year olds.
const POST_16_TYPES: [&str; 3] =
    ["academy 16-19 converter", "academy 16-19 sponsor led", "free schools 16 to 19"];

/// Derives the billing phase from a school's GIAS type and GIAS phase (the mapping in the README).
///
/// The type decides first (special, alternative provision, 16-19); otherwise the phase does.
pub fn billing_phase_of(type_of_establishment: &str, phase_of_education: &str) -> BillingPhase {
    let kind = type_of_establishment.trim().to_ascii_lowercase();
    if SPECIAL_TYPES.contains(&kind.as_str()) {
        return BillingPhase::Special;
    }
    if ALTERNATIVE_PROVISION_TYPES.contains(&kind.as_str()) {
        return BillingPhase::AlternativeProvision;
    }
    if POST_16_TYPES.contains(&kind.as_str()) {
        return BillingPhase::Post16;
    }
    match phase_of_education.trim().to_ascii_lowercase().as_str() {
        "nursery" => BillingPhase::Nursery,
        "primary" | "middle deemed primary" => BillingPhase::Primary,
        "secondary" | "middle deemed secondary" => BillingPhase::Secondary,
        "all-through" => BillingPhase::AllThrough,
        "16 plus" => BillingPhase::Post16,
        _ => BillingPhase::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_types_are_special_whatever_the_phase() {
        for t in [
            "Community special school",
            "Foundation special school",
            "Non-maintained special school",
            "Academy special converter",
            "Academy special sponsor led",
            "Free schools special",
        ] {
            assert_eq!(billing_phase_of(t, "Not applicable"), BillingPhase::Special, "{t}");
            assert_eq!(billing_phase_of(t, "Secondary"), BillingPhase::Special, "{t}");
        }
    }

    #[test]
    fn alternative_provision_types() {
        for t in [
            "Pupil referral unit",
            "Academy alternative provision converter",
            "Academy alternative provision sponsor led",
            "Free schools alternative provision",
        ] {
            assert_eq!(billing_phase_of(t, "Not applicable"), BillingPhase::AlternativeProvision, "{t}");
        }
    }

    #[test]
    fn post_16_by_type_or_phase() {
        assert_eq!(billing_phase_of("Academy 16-19 converter", "16 plus"), BillingPhase::Post16);
        assert_eq!(billing_phase_of("Free schools 16 to 19", "16 plus"), BillingPhase::Post16);
        assert_eq!(billing_phase_of("Further education", "16 plus"), BillingPhase::Post16);
    }

    #[test]
    fn mainstream_types_follow_the_phase() {
        let cases = [
            ("Local authority nursery school", "Nursery", BillingPhase::Nursery),
            ("Community school", "Primary", BillingPhase::Primary),
            ("Voluntary aided school", "Middle deemed primary", BillingPhase::Primary),
            ("Academy converter", "Secondary", BillingPhase::Secondary),
            ("Foundation school", "Middle deemed secondary", BillingPhase::Secondary),
            ("Free schools", "All-through", BillingPhase::AllThrough),
            ("Academy sponsor led", "Not applicable", BillingPhase::Other),
            ("Community school", "", BillingPhase::Other),
        ];
        for (t, p, want) in cases {
            assert_eq!(billing_phase_of(t, p), want, "{t} / {p}");
        }
    }

    #[test]
    fn matching_ignores_case_and_spaces() {
        assert_eq!(billing_phase_of(" PUPIL REFERRAL UNIT ", ""), BillingPhase::AlternativeProvision);
        assert_eq!(billing_phase_of("Community school", " primary "), BillingPhase::Primary);
    }

    #[test]
    fn labels_round_trip() {
        for p in BillingPhase::ALL {
            assert_eq!(BillingPhase::parse(p.label()), Some(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.label()));
        }
        assert_eq!(BillingPhase::parse("secondary"), Some(BillingPhase::Secondary));
        assert_eq!(BillingPhase::parse("Middle"), None);
    }
}
