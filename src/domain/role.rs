//! Who may do what: roles, the schools a user sees, and the actions each role may take.

use serde::{Deserialize, Serialize};

/// A user's role within one partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the partnership's set-up: users, the register, imports.
    Admin,
    /// Sets fees, bills, records payments, reports.
    Finance,
    /// Reads reports and funding models; changes nothing.
    Board,
    /// A school business manager: one school, or every school of one trust.
    SchoolBusinessManager,
    /// A council contact who sees their council's invoices.
    Commissioner,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Admin, Role::Finance, Role::Board, Role::SchoolBusinessManager, Role::Commissioner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Board => "board",
            Role::SchoolBusinessManager => "school_business_manager",
            Role::Commissioner => "commissioner",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        let wanted = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match wanted.as_str() {
            "sbm" => Some(Role::SchoolBusinessManager),
            _ => Role::ALL.into_iter().find(|r| r.as_str() == wanted),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Partnership admin",
            Role::Finance => "Finance",
            Role::Board => "Board member",
            Role::SchoolBusinessManager => "School business manager",
            Role::Commissioner => "Council commissioner",
        }
    }
}

super::unknown_name::from_str_by_parse!(Role, "role");

/// Something a user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the register of schools (within the user's school scope).
    ViewSchools,
    /// Record a pupil number by hand.
    EditPupilNumbers,
    /// Import a GIAS file.
    ImportSchools,
    /// Create users and API tokens for others.
    ManageUsers,
    /// Set fees, enrol schools, run billing, credit invoices, record PO numbers.
    ManageBilling,
    /// Read every invoice of the partnership and the audit log.
    ViewAllInvoices,
    /// Read the invoices addressed to the user's own school, trust or council.
    ViewOwnInvoices,
    /// Read billing totals (the board's view).
    ViewTotals,
    /// Enter or remove the partnership's payment provider keys.
    ManagePaymentKeys,
    /// Order traded services and book places (finance for any school; a business manager for
    /// their own schools).
    OrderServices,
    /// Read contracts and grants (every one; a commissioner, their council's).
    ViewContracts,
    /// Answer a renewal round (finance for any school; a business manager for their own).
    AnswerRenewal,
}

/// Whether `role` may take `action` at all; which schools it reaches is [`SchoolScope`]'s job.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        ViewSchools => matches!(role, Admin | Finance | Board | SchoolBusinessManager),
        EditPupilNumbers => matches!(role, Admin | Finance),
        ImportSchools | ManageUsers => matches!(role, Admin),
        ManageBilling | ViewAllInvoices => matches!(role, Admin | Finance),
        ViewOwnInvoices => matches!(role, SchoolBusinessManager | Commissioner),
        ViewTotals => matches!(role, Admin | Finance | Board),
        ManagePaymentKeys => matches!(role, Admin),
        OrderServices => matches!(role, Admin | Finance | SchoolBusinessManager),
        ViewContracts => matches!(role, Admin | Finance | Board | Commissioner),
        AnswerRenewal => matches!(role, Admin | Finance | SchoolBusinessManager),
    }
}

/// Which of the partnership's schools a user can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchoolScope {
    /// Every school of the partnership.
    All,
    /// One school, by its record id.
    School(i64),
    /// Every school of one trust, by the trust's record id.
    Trust(i64),
    /// No school at all.
    Nothing,
}

impl SchoolScope {
    /// Whether a school (its id and its trust's id) is within this scope.
    pub fn includes(self, school_id: i64, trust_id: Option<i64>) -> bool {
        match self {
            SchoolScope::All => true,
            SchoolScope::School(id) => id == school_id,
            SchoolScope::Trust(id) => trust_id == Some(id),
            SchoolScope::Nothing => false,
        }
    }
}

/// The school scope that follows from a role and the school or trust a user is tied to.
pub fn school_scope(role: Role, school_id: Option<i64>, trust_id: Option<i64>) -> SchoolScope {
    match role {
        Role::Admin | Role::Finance | Role::Board => SchoolScope::All,
        Role::SchoolBusinessManager => match (school_id, trust_id) {
            (Some(id), _) => SchoolScope::School(id),
            (None, Some(id)) => SchoolScope::Trust(id),
            (None, None) => SchoolScope::Nothing,
        },
        Role::Commissioner => SchoolScope::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("School business manager"), Some(Role::SchoolBusinessManager));
        assert_eq!(Role::parse("sbm"), Some(Role::SchoolBusinessManager));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_admins_import_and_manage_users() {
        for r in Role::ALL {
            assert_eq!(allows(r, Action::ImportSchools), r == Role::Admin);
            assert_eq!(allows(r, Action::ManageUsers), r == Role::Admin);
        }
    }

    #[test]
    fn billing_is_for_finance_and_admins() {
        for r in Role::ALL {
            assert_eq!(allows(r, Action::ManageBilling), matches!(r, Role::Admin | Role::Finance));
            assert_eq!(
                allows(r, Action::ViewOwnInvoices),
                matches!(r, Role::SchoolBusinessManager | Role::Commissioner)
            );
        }
        assert!(allows(Role::Board, Action::ViewTotals) && !allows(Role::Board, Action::ViewAllInvoices));
    }

    #[test]
    fn board_reads_but_does_not_edit() {
        assert!(allows(Role::Board, Action::ViewSchools));
        assert!(!allows(Role::Board, Action::EditPupilNumbers));
        assert!(!allows(Role::Commissioner, Action::ViewSchools));
    }

    #[test]
    fn business_managers_see_their_school_or_trust() {
        let one = school_scope(Role::SchoolBusinessManager, Some(7), None);
        assert!(one.includes(7, None));
        assert!(!one.includes(8, Some(3)));
        let trust = school_scope(Role::SchoolBusinessManager, None, Some(3));
        assert!(trust.includes(8, Some(3)));
        assert!(!trust.includes(9, None));
        assert_eq!(school_scope(Role::SchoolBusinessManager, None, None), SchoolScope::Nothing);
        assert_eq!(school_scope(Role::Finance, Some(7), None), SchoolScope::All);
        assert!(!school_scope(Role::Commissioner, None, None).includes(1, None));
    }
}
