//! Form pieces shared by several pages: reading posted fields, a fee rule, a sign-up share.

pub mod date;
pub mod fee_rule;
pub mod fields;
pub mod page;
pub mod sign_up;
pub mod upload;
