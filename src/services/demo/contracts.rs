//! The demo's contracts: Riverside's three-year commission paid quarterly in advance,
//! Hillbrook's central schools money falling to nothing over four years, Riverside matching half
//! of what its schools subscribe up to a cap, a health commission paid on milestones, and a
//! Strategic School Improvement Fund grant in two receipts (the first received). Each
//! instalment due by `today` is invoiced on its date, as the contract invoicing job would have.

use super::super::ServiceError;
use super::super::contracts::{self, Counterparty, NewContract, NewDeliverable, ScheduleInput};
use super::super::ledger::{self, Actor, Allocate, NewPayment};
use super::super::partnerships::Partnership;
use crate::domain::contracts::{Frequency, Stream, Timing, declining};
use crate::domain::ledger::{PaymentMethod, PaymentSource};
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{contract_instalment, local_authority};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn pounds(p: i64) -> Money {
    Money::from_pence(p * 100)
}

fn contract(
    counterparty: Counterparty,
    stream: Stream,
    title: &str,
    start: NaiveDate,
    end: NaiveDate,
    schedule: ScheduleInput,
) -> NewContract {
    NewContract {
        counterparty,
        counterparty_vat_number: None,
        stream,
        title: title.into(),
        reference: None,
        start,
        end,
        break_dates: Vec::new(),
        extension_until: None,
        vat_rate: None,
        schedule,
        deliverables: Vec::new(),
    }
}

pub async fn load_demo_contracts<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    // As saved, with the invoice settings the demo gave it.
    let partnership = &super::super::partnerships::get(db, partnership.id).await?;
    let council = |code: &'static str| async move {
        local_authority::Entity::find()
            .filter(local_authority::Column::PartnershipId.eq(partnership.id))
            .filter(local_authority::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|la| la.id)
            .ok_or_else(|| ServiceError::NotFound(format!("demo council {code}")))
    };
    let (riverside, hillbrook) = (council("990").await?, council("991").await?);
    let mut commission = contract(
        Counterparty::Council(riverside),
        Stream::LaCommission,
        "School improvement service",
        day(2025, 4, 1),
        day(2028, 3, 31),
        ScheduleInput::Fixed {
            yearly: vec![pounds(600_000); 3],
            frequency: Frequency::Quarterly,
            timing: Timing::InAdvance,
        },
    );
    commission.reference = Some("RBC-SI-2025-014".into());
    commission.break_dates = vec![day(2027, 3, 31)];
    commission.extension_until = Some(day(2029, 3, 31));
    commission.deliverables = vec![
        NewDeliverable {
            title: "Annual report on schools causing concern".into(),
            due_on: day(2026, 7, 31),
            amount: None,
        },
        NewDeliverable {
            title: "Annual report on schools causing concern".into(),
            due_on: day(2027, 7, 31),
            amount: None,
        },
    ];
    let mut central = contract(
        Counterparty::Council(hillbrook),
        Stream::LaCommission,
        "Central schools services: school improvement",
        day(2025, 9, 1),
        day(2030, 8, 31),
        ScheduleInput::Fixed {
            yearly: declining(pounds(300_000), Money::ZERO, 5),
            frequency: Frequency::Annually,
            timing: Timing::InAdvance,
        },
    );
    central.reference = Some("HBC-CSSB-2025".into());
    let matched = contract(
        Counterparty::Council(riverside),
        Stream::LaCommission,
        "Matched funding for school subscriptions",
        day(2025, 9, 1),
        day(2026, 8, 31),
        ScheduleInput::Matched {
            year: "2025-26".into(),
            ratio: rust_decimal::Decimal::new(5, 1),
            cap: Some(pounds(40_000)),
            invoice_on: day(2026, 8, 31),
        },
    );
    let mut health = contract(
        Counterparty::Organisation {
            name: "North Riverside Integrated Care Board".into(),
            address: "Riverside House\n1 Health Way\nRiverside\nRV2 9HB".into(),
        },
        Stream::OtherCommission,
        "Mental health in schools pilot",
        day(2025, 11, 1),
        day(2026, 10, 31),
        ScheduleInput::Milestones,
    );
    health.deliverables = vec![
        NewDeliverable {
            title: "Baseline survey report".into(),
            due_on: day(2026, 1, 31),
            amount: Some(pounds(15_000)),
        },
        NewDeliverable {
            title: "Training delivered to 20 schools".into(),
            due_on: day(2026, 6, 30),
            amount: Some(pounds(25_000)),
        },
        NewDeliverable {
            title: "Evaluation report".into(),
            due_on: day(2026, 10, 31),
            amount: Some(pounds(10_000)),
        },
    ];
    let grant = contract(
        Counterparty::Organisation {
            name: "Department for Education".into(),
            address: "Sanctuary Buildings\nGreat Smith Street\nLondon\nSW1P 3BT".into(),
        },
        Stream::Grant,
        "Strategic School Improvement Fund: maths mastery",
        day(2025, 9, 1),
        day(2027, 8, 31),
        ScheduleInput::NamedDates(vec![
            (day(2025, 10, 15), pounds(250_000)),
            (day(2026, 10, 15), pounds(250_000)),
        ]),
    );
    let mut made = Vec::new();
    for c in [commission, central, matched, health, grant] {
        made.push(contracts::create(db, partnership, c, None, now).await?);
    }
    // Invoice each instalment on its own date, in order, as the job would have.
    let mut dates: Vec<NaiveDate> = contract_instalment::Entity::find()
        .filter(contract_instalment::Column::PartnershipId.eq(partnership.id))
        .filter(contract_instalment::Column::DueOn.lte(today))
        .order_by_asc(contract_instalment::Column::DueOn)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|i| i.due_on)
        .collect();
    dates.dedup();
    for on in dates {
        contracts::raise_due(db, partnership, on, now).await?;
    }
    // The health body's baseline survey was signed off; the first grant receipt came in.
    let health = &made[3];
    if today >= day(2026, 2, 10) {
        contracts::complete_deliverable(
            db,
            partnership,
            health.id,
            health.deliverables[0].id,
            "Survey of 42 schools reported to the ICB's mental health lead",
            Actor { user_id: None, today: day(2026, 2, 10), now },
        )
        .await?;
    }
    let grant = contracts::get(db, partnership.id, made[4].id, &contracts::ContractScope::All).await?;
    if let Some(first) = grant.instalments.first().and_then(|i| i.invoice_id)
        && today >= day(2025, 11, 3)
    {
        let payment = NewPayment {
            payer_id: grant.payer_id,
            received_on: day(2025, 11, 3),
            amount: pounds(250_000),
            method: PaymentMethod::BacsCredit,
            reference: "DFE SSIF MATHS TRANCHE 1".into(),
            source: PaymentSource::Typed,
            source_ref: None,
        };
        ledger::record(
            db,
            partnership,
            &payment,
            &Allocate::Chosen(vec![(first, pounds(250_000))]),
            Actor { user_id: None, today, now },
        )
        .await?;
    }
    Ok(())
}
