//! The demo partnership: about 150 schools in two local authorities, made deterministically
//! from code so the service can be tried on a fresh machine.

use super::ServiceError;
use super::import::{ImportOptions, import_schools};
use super::partnerships::{self, NewPartnership, Partnership};
use super::users::{self, NewUser};
use crate::domain::partnership::YearKind;
use crate::domain::role::Role;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::SecretString;

mod catalogue;
mod contracts;
mod memberships;
mod money;
mod register;

pub use money::{load_demo_money, sample_statement};

use memberships::{demo_scenario, load_demo_memberships};
use register::{TRUSTS, demo_register_csv};

pub const DEMO_SLUG: &str = "demo";

/// One demo sign-in, printed on the console when the service starts with demo data.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
    pub note: &'static str,
}

/// The demo users. Their passwords are public: demo data is for trying the service only.
pub const DEMO_LOGINS: [DemoLogin; 6] = [
    DemoLogin {
        role: Role::Admin,
        email: "admin@demo.test",
        password: "demo-admin-2025",
        note: "partnership admin",
    },
    DemoLogin {
        role: Role::Finance,
        email: "finance@demo.test",
        password: "demo-finance-2025",
        note: "finance",
    },
    DemoLogin {
        role: Role::Board,
        email: "board@demo.test",
        password: "demo-board-2025",
        note: "board member",
    },
    DemoLogin {
        role: Role::SchoolBusinessManager,
        email: "sbm@demo.test",
        password: "demo-school-2025",
        note: "business manager of Riverside Park Primary School (URN 990003)",
    },
    DemoLogin {
        role: Role::SchoolBusinessManager,
        email: "trust@demo.test",
        password: "demo-trust-2025",
        note: "finance lead of Northgate Learning Trust (all its schools)",
    },
    DemoLogin {
        role: Role::Commissioner,
        email: "council@demo.test",
        password: "demo-council-2025",
        note: "Riverside council commissioner",
    },
];

/// Loads the demo partnership, its register (two censuses) and one user per role. Does nothing
/// when the demo partnership exists already. Returns the partnership and whether it was created.
pub async fn load_demo<C>(db: &C) -> Result<(Partnership, bool), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if let Some(existing) = partnerships::find_by_slug(db, DEMO_SLUG).await? {
        return Ok((existing, false));
    }
    let txn = super::begin_write(db).await?;
    let partnership = partnerships::create(
        &txn,
        NewPartnership {
            slug: DEMO_SLUG.into(),
            name: "Riverside and Hillbrook Schools Partnership".into(),
            address: "The Learning Centre\n12 Mill Lane\nRiverside\nRV1 2AB".into(),
            vat_number: Some("GB 123 4567 89".into()),
            year_kind: YearKind::Academic,
        },
    )
    .await?;
    for (census, growth) in [("18-01-2024", -3), ("16-01-2025", 0)] {
        let csv = demo_register_csv(census, growth);
        let summary =
            import_schools(&txn, partnership.id, csv.as_bytes(), &ImportOptions::default(), &mut |_, _| {})
                .await?;
        if !summary.committed {
            let reasons: Vec<String> = summary.errors.iter().map(ToString::to_string).collect();
            return Err(ServiceError::Conflict(format!(
                "the demo register did not import: {}",
                reasons.join("; ")
            )));
        }
    }
    partnerships::set_details(
        &txn,
        partnership.id,
        &partnerships::Details {
            name: "Riverside and Hillbrook Schools Partnership Ltd".into(),
            address: partnership.address.clone(),
            vat_number: "GB 123 4567 89".into(),
            company_number: "09876543".into(),
            registered_office: "The Learning Centre\n12 Mill Lane\nRiverside\nRV1 2AB".into(),
            year_kind: YearKind::Academic.as_str().into(),
        },
        None,
    )
    .await?;
    partnerships::set_invoice_settings(
        &txn,
        partnership.id,
        partnerships::InvoiceSettings {
            invoice_prefix: "RH-".into(),
            credit_note_prefix: "RHC-".into(),
            payment_terms_days: 30,
            bank_account_name: Some("Riverside and Hillbrook Schools Partnership Ltd".into()),
            bank_sort_code: Some("20-45-77".into()),
            bank_account_number: Some("43218765".into()),
            remittance_email: Some("finance@riverside-hillbrook.example".into()),
            small_write_off: None,
        },
        None,
    )
    .await?;
    load_demo_memberships(&txn, partnership.id).await?;
    let scenario = serde_json::from_value(demo_scenario())
        .map_err(|e| ServiceError::Conflict(format!("demo scenario: {e}")))?;
    super::funding::save_scenario(&txn, partnership.id, "2026-27 funding options", scenario, None).await?;
    catalogue::load_demo_catalogue(&txn, &partnership, chrono::Utc::now()).await?;
    for login in DEMO_LOGINS {
        let (school_urn, trust_name, la) = match login.email {
            "sbm@demo.test" => (Some(990_003), None, None),
            "trust@demo.test" => (None, Some(TRUSTS[0].to_string()), None),
            "council@demo.test" => (None, None, Some("990".to_string())),
            _ => (None, None, None),
        };
        users::create(
            &txn,
            NewUser {
                partnership_id: partnership.id,
                one_time_password: false,
                email: login.email.into(),
                name: demo_name(login.role, login.email).into(),
                role: login.role,
                password: SecretString::from(login.password),
                school_urn,
                trust_name,
                local_authority_code: la,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok((partnership, true))
}

fn demo_name(role: Role, email: &str) -> &'static str {
    match (role, email) {
        (Role::Admin, _) => "Amira Hassan",
        (Role::Finance, _) => "Femi Adeyemi",
        (Role::Board, _) => "Bernadette Clarke",
        (Role::SchoolBusinessManager, "trust@demo.test") => "Tomasz Nowak",
        (Role::SchoolBusinessManager, _) => "Sandra Patel",
        (Role::Commissioner, _) => "Colin Reid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::billing_phase::BillingPhase;
    use crate::domain::gias::{ParseOptions, parse_file};

    #[test]
    fn the_demo_register_is_deterministic_and_valid() {
        let first = demo_register_csv("16-01-2025", 0);
        assert_eq!(first, demo_register_csv("16-01-2025", 0));
        let parsed = parse_file(first.as_bytes(), &ParseOptions::default());
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.schools.len(), 149);
        let no_pupils = parsed.schools.iter().filter(|s| s.pupils.is_none()).count();
        assert_eq!(no_pupils, 3);
        let phases: std::collections::HashSet<BillingPhase> =
            parsed.schools.iter().map(|s| s.billing_phase).collect();
        for p in [
            BillingPhase::Nursery,
            BillingPhase::Primary,
            BillingPhase::Secondary,
            BillingPhase::AllThrough,
            BillingPhase::Special,
            BillingPhase::AlternativeProvision,
        ] {
            assert!(phases.contains(&p), "{p}");
        }
        assert_eq!(parsed.schools[2].urn.value(), 990_003);
        assert_eq!(parsed.schools[2].name, "Riverside Park Primary School");
        assert!(parsed.schools.iter().any(|s| s.links.iter().any(|l| l.is_successor())));
        assert!(parsed.schools.iter().filter(|s| s.trust_name.is_some()).count() > 30);
    }
}
