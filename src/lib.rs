#![recursion_limit = "512"]
//! Partnership Billing: the register, fees, invoices and funding models of an area-based
//! education partnership.
//!
//! Layers point one way: `domain` (pure) <- `services` (database) <- `web`, `cli`.

pub mod charts;
pub mod cli;
pub mod clock;
pub mod domain;
pub mod funding_report;
pub mod jobs;
pub mod pdf;
pub mod secrets;
pub mod services;
pub mod settings;
pub mod web;
