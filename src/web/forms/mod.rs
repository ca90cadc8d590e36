//! Form pieces shared by several pages.

pub mod fee_rule;
