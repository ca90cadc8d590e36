//! The pure core: no database, no HTTP, no clock. Dates come in as arguments.

pub mod billing_phase;
pub mod gias;
pub mod money;
pub mod partnership;
pub mod pupils;
pub mod role;
pub mod school;
