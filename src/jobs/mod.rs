//! Background jobs: one function per job, each taking the time it runs at, so tests fix the
//! day. Each records its progress in the database, never in the memory of one process.

pub mod billing_run;
