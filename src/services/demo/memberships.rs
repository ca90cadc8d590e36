//! The demo's offers, memberships and funding scenario.

use super::*;

/// The demo's membership offers: 2025-26 billed termly with Core / Standard / Enhanced levels,
/// 2026-27 billed annually with Basic / Standard / Advanced.
pub(super) fn demo_offers() -> [serde_json::Value; 2] {
    [
        serde_json::json!({
            "year": "2025-26", "billing_plan": "termly", "trust_discount_percent": "5", "first_year_discount_percent": "25",
            "levels": [
                { "name": "Core", "description": "Termly network meetings, the annual conference, safeguarding and statutory updates, and one adviser visit a year.", "vat_rate": "standard",
                  "fee_rule": { "by_phase": {
                      "Primary": { "per_pupil": "6.50", "lump_sum": "400.00" },
                      "Secondary": { "per_pupil": "4.50", "lump_sum": "1200.00" },
                      "All-through": { "per_pupil": "4.75", "lump_sum": "1200.00" },
                      "Special": { "flat": "1100.00" },
                      "Alternative provision": { "flat": "900.00" },
                      "Nursery": { "flat": "550.00" },
                      "default": { "flat": "750.00" } }, "min": "550.00", "max": "9000.00" } },
                { "name": "Standard", "description": "Everything in Core, plus three adviser days, a peer review every other year and ten CPD places.", "vat_rate": "standard",
                  "fee_rule": { "by_phase": {
                      "Primary": { "per_pupil": "11.00", "lump_sum": "600.00" },
                      "Secondary": { "per_pupil": "8.00", "lump_sum": "1800.00" },
                      "default": { "flat": "1600.00" } }, "max": "13000.00" } },
                { "name": "Enhanced", "description": "Everything in Standard, plus six adviser days, an annual peer review and unlimited CPD places.", "vat_rate": "standard",
                  "fee_rule": { "bands": [ { "up_to": 210, "flat": "3200.00" }, { "up_to": 630, "per_pupil": "12.00" }, { "per_pupil": "9.00" } ], "mode": "graduated", "max": "18000.00" } }
            ]
        }),
        serde_json::json!({
            "year": "2026-27", "billing_plan": "annual", "trust_discount_percent": "5", "first_year_discount_percent": "25",
            "levels": [
                { "name": "Basic", "description": "The core offer: networks, conference, statutory updates.", "vat_rate": "standard",
                  "fee_rule": { "per_pupil": "7.00", "lump_sum": "350.00", "min": "600.00" } },
                { "name": "Standard", "description": "Basic plus adviser days, peer review and CPD places.", "vat_rate": "standard",
                  "fee_rule": { "per_pupil": "12.00", "lump_sum": "500.00", "max": "14000.00" } },
                { "name": "Advanced", "description": "Standard plus intensive support and unlimited CPD.", "vat_rate": "standard",
                  "fee_rule": { "bands": [ { "up_to": 300, "flat": "4500.00" }, { "per_pupil": "13.00" } ], "mode": "volume", "max": "20000.00" } }
            ]
        }),
    ]
}

/// The board's scenario for 2026-27: one partnership fee, a basic fee with a paid tier, or
/// core only, against the costed offer, with the council matching school income.
pub(super) fn demo_scenario() -> serde_json::Value {
    serde_json::json!({
        "year": "2026-27",
        "schools": { "register": DEMO_SLUG },
        "costs": [
            { "name": "Independent chair", "kind": "core", "days": "24", "day_rate": "700.00" },
            { "name": "Coordinator", "kind": "core", "amount": "48000.00" },
            { "name": "Conference and networks", "kind": "core", "amount": "26000.00" },
            { "name": "Peer reviews", "kind": "additional", "per_phase": {
                "Primary": { "units": "40", "unit_cost": "950.00" },
                "Secondary": { "units": "12", "unit_cost": "1600.00" } } },
            { "name": "SLE and LLE days", "kind": "additional", "days": "180", "day_rate": "550.00" }
        ],
        "options": [
            { "name": "Single partnership fee", "membership_fee": { "per_pupil": "6.00", "min": "800.00", "max": "12000.00" },
              "covers": ["core", "additional"] },
            { "name": "Basic plus Advanced tier", "membership_fee": { "by_phase": { "Secondary": { "flat": "2500.00" }, "default": { "flat": "900.00" } } },
              "covers": ["core", "additional"],
              "levels": [ { "name": "Advanced", "fee": { "per_pupil": "4.00", "min": "1000.00" }, "sign_up": { "Secondary": "0.5", "default": "0.3" } } ] },
            { "name": "Core only", "membership_fee": { "per_pupil": "3.00", "min": "500.00" }, "sign_up": "0.9", "covers": ["core"] }
        ],
        "council": { "match": "0.5", "cap": "60000.00" },
        "baseline": { "per_pupil": "6.50", "lump_sum": "400.00", "min": "550.00", "max": "9000.00" }
    })
}

/// Memberships for most demo schools: some paid by their trust, some by the council, a few
/// joining mid-year, the mid-year academy conversion, and one trust that requires a PO.
pub(super) async fn load_demo_memberships<C>(db: &C, partnership_id: i64) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use crate::services::memberships::{self, NewMembership};
    use crate::services::offers::{self, NewOffer};
    use chrono::NaiveDate;
    use entity::school;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    for offer in demo_offers() {
        let new: NewOffer =
            serde_json::from_value(offer).map_err(|e| ServiceError::Conflict(format!("demo offer: {e}")))?;
        offers::create(db, partnership_id, YearKind::Academic, &new, None).await?;
    }
    let schools = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(school::Column::Urn)
        .all(db)
        .await?;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    for (i, s) in schools.iter().enumerate() {
        // About one school in eight is not a member.
        if i % 8 == 7 || s.status == "proposed_to_open" {
            continue;
        }
        let academy = s.trust_id.is_some();
        let maintained = crate::domain::school::is_maintained(&s.type_name);
        let paid_by = if academy && i % 5 != 0 {
            "trust"
        } else if maintained && s.local_authority_id == schools[0].local_authority_id && i % 3 != 0 {
            "council"
        } else {
            "school"
        };
        let (levels_now, levels_next) = match i % 6 {
            0 | 3 => ("Standard", "Standard"),
            5 => ("Enhanced", "Advanced"),
            _ => ("Core", "Basic"),
        };
        // A few schools join part-way through 2025-26, with the first-year discount.
        let (starts, first_year) = match i % 23 {
            4 => (day(2026, 1, 1), true),
            9 => (day(2026, 2, 1), true),
            16 => (day(2025, 10, 15), true),
            _ => (day(2025, 9, 1), false),
        };
        let (starts, ends) = match s.urn {
            // The converting school: a member until it closes; its academy from when it opens.
            990_011 => (day(2025, 9, 1), None),
            990_149 => (day(2026, 1, 1), None),
            _ => (starts, None),
        };
        let paid_by = match s.urn {
            990_011 => "council",
            990_149 => "trust",
            // The demo business manager's school pays its own invoices.
            990_003 => "school",
            _ => paid_by,
        };
        memberships::join(
            db,
            partnership_id,
            &NewMembership {
                urn: s.urn,
                year: "2025-26".into(),
                level: levels_now.into(),
                starts_on: starts,
                ends_on: ends,
                paid_by: paid_by.into(),
                first_year,
            },
            None,
        )
        .await?;
        if s.status != "closed" {
            memberships::join(
                db,
                partnership_id,
                &NewMembership {
                    urn: s.urn,
                    year: "2026-27".into(),
                    level: levels_next.into(),
                    starts_on: day(2026, 9, 1),
                    ends_on: None,
                    paid_by: paid_by.into(),
                    first_year: false,
                },
                None,
            )
            .await?;
        }
    }
    // River Valley Academies will not pay without a purchase-order number.
    if let Some(trust) = entity::trust::Entity::find()
        .filter(entity::trust::Column::PartnershipId.eq(partnership_id))
        .filter(entity::trust::Column::Name.eq(TRUSTS[1]))
        .one(db)
        .await?
        && let Some(member) = schools.iter().find(|s| s.trust_id == Some(trust.id))
    {
        let payer =
            crate::services::payers::payer_for(db, partnership_id, member, memberships::PaidBy::Trust)
                .await?;
        crate::services::payers::set_requires_po(db, partnership_id, payer.id, true, None).await?;
    }
    Ok(())
}
