//! Traded services in the JSON API: the catalogue with its price lists, and the price a school
//! pays for a service on a date, with why. (The pages, orders, bookings, entitlements used and
//! provider payables are issue 12's later parts.)

mod api;

pub use api::{openapi_paths, router as api};
