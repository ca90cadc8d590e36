//! Stored school rows read strictly: a phase or status that does not read is an error naming it.

use super::super::{ServiceError, read_stored};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::school::SchoolStatus;
use entity::school;

pub fn billing_phase_of(m: &school::Model) -> Result<BillingPhase, ServiceError> {
    read_stored("schools", "billing_phase", &m.billing_phase)
}

pub fn status_of(m: &school::Model) -> Result<SchoolStatus, ServiceError> {
    read_stored("schools", "status", &m.status)
}
