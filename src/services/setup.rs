//! How far a new partnership has got in setting itself up: each step of the first-run
//! checklist, answered by a small query.

use super::ServiceError;
use super::partnerships::Partnership;
use crate::domain::partnership::MembershipYear;
use chrono::NaiveDate;
use entity::{membership, offer, school, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// Which steps of setting up are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub details: bool,
    pub invoice_settings: bool,
    pub register: bool,
    pub offer: bool,
    pub enrolled: bool,
    pub pupils: bool,
    pub users: bool,
}

impl Progress {
    pub fn all_done(&self) -> bool {
        self.details
            && self.invoice_settings
            && self.register
            && self.offer
            && self.enrolled
            && self.pupils
            && self.users
    }
}

/// The partnership's progress on `today`; `needs_pupils` is how many open schools lack a pupil
/// number (the home page counts it anyway).
pub async fn progress(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    today: NaiveDate,
    needs_pupils: u64,
) -> Result<Progress, ServiceError> {
    let pid = partnership.id;
    let schools = school::Entity::find().filter(school::Column::PartnershipId.eq(pid)).count(db).await?;
    let this_year = partnership.year_kind.year_containing(today);
    let years: Vec<String> = [this_year, this_year.and_then(MembershipYear::next)]
        .into_iter()
        .flatten()
        .map(|y| y.label())
        .collect();
    let offers = offer::Entity::find()
        .filter(offer::Column::PartnershipId.eq(pid))
        .filter(offer::Column::Year.is_in(years))
        .count(db)
        .await?;
    let members =
        membership::Entity::find().filter(membership::Column::PartnershipId.eq(pid)).count(db).await?;
    let users = user::Entity::find().filter(user::Column::PartnershipId.eq(pid)).count(db).await?;
    Ok(Progress {
        details: !partnership.address.trim().is_empty(),
        invoice_settings: partnership.bank_account_name.is_some()
            && partnership.bank_sort_code.is_some()
            && partnership.bank_account_number.is_some(),
        register: schools > 0,
        offer: offers > 0,
        enrolled: members > 0,
        pupils: schools > 0 && needs_pupils == 0,
        users: users > 1,
    })
}
