//! Stored invoice rows read into domain types; a value that does not read is an error naming it.

use super::super::{ServiceError, read_stored};
use crate::domain::invoice::{InvoiceStatus, Line, LineSource, RateTotal};
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use entity::{credit_note_rate, invoice, invoice_line};
use rust_decimal::Decimal;

pub fn status(m: &invoice::Model) -> Result<InvoiceStatus, ServiceError> {
    read_stored("invoices", "status", &m.status)
}

pub fn vat_rate(table: &'static str, value: &str) -> Result<VatRate, ServiceError> {
    read_stored(table, "vat_rate", value)
}

impl TryFrom<&invoice_line::Model> for Line {
    type Error = ServiceError;

    fn try_from(m: &invoice_line::Model) -> Result<Line, ServiceError> {
        Ok(Line {
            description: m.description.clone(),
            quantity: read_stored::<Decimal>("invoice_lines", "quantity", &m.quantity)?,
            unit_price: Money::from_pence(m.unit_price_pence),
            net: Money::from_pence(m.net_pence),
            vat_rate: vat_rate("invoice_lines", &m.vat_rate)?,
            source: LineSource::Other { reference: format!("{}:{}", m.source_kind, m.source_id) },
        })
    }
}

impl TryFrom<&credit_note_rate::Model> for RateTotal {
    type Error = ServiceError;

    fn try_from(m: &credit_note_rate::Model) -> Result<RateTotal, ServiceError> {
        Ok(RateTotal {
            rate: vat_rate("credit_note_rates", &m.vat_rate)?,
            net: Money::from_pence(m.net_pence),
            vat: Money::from_pence(m.vat_pence),
        })
    }
}
