//! Card and Direct Debit payments through a payment provider (Stripe), as rules: which keys a
//! partnership may enter, the states a payment asked of the provider goes through, and which
//! event may move it on when events arrive late, twice or out of order.

use super::ledger::PaymentMethod;
use super::money::Money;
use serde::Serialize;

/// The longest key or secret accepted (Stripe's are about 110 characters).
pub const MAX_KEY_CHARS: usize = 255;

/// Whether a Stripe secret key is a live one, or why it is not a secret key at all.
pub fn check_secret_key(text: &str) -> Result<bool, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("enter the secret key from the Stripe dashboard (it starts sk_live_ or sk_test_)".into());
    }
    check_characters(text)?;
    if text.starts_with("pk_") {
        return Err(
            "this is a publishable key (pk_); enter the secret key, which starts sk_live_ or sk_test_".into(),
        );
    }
    for (prefix, live) in [("sk_live_", true), ("rk_live_", true), ("sk_test_", false), ("rk_test_", false)] {
        if text.len() > prefix.len() && text.starts_with(prefix) {
            return Ok(live);
        }
    }
    Err("a Stripe secret key starts sk_live_ or sk_test_ (or rk_ for a restricted key)".into())
}

/// Checks a webhook signing secret (`whsec_...`).
pub fn check_webhook_secret(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("enter the webhook signing secret from the Stripe dashboard (it starts whsec_)".into());
    }
    check_characters(text)?;
    if text.len() <= "whsec_".len() || !text.starts_with("whsec_") {
        return Err("a webhook signing secret starts whsec_".into());
    }
    Ok(())
}

fn check_characters(text: &str) -> Result<(), String> {
    if text.chars().count() > MAX_KEY_CHARS {
        return Err(format!("this is longer than any Stripe key ({MAX_KEY_CHARS} characters at most)"));
    }
    if !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("a Stripe key has only letters, digits and underscores".into());
    }
    Ok(())
}

/// How a payment was asked of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Paid by card through a Checkout page.
    Card,
    /// Collected by Bacs Direct Debit under a mandate.
    DirectDebit,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Card => "card",
            ProviderKind::DirectDebit => "direct_debit",
        }
    }

    pub fn parse(text: &str) -> Option<ProviderKind> {
        [ProviderKind::Card, ProviderKind::DirectDebit].into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Card => "Card",
            ProviderKind::DirectDebit => "Direct Debit",
        }
    }

    /// As it reads inside a sentence ("by card", "by Direct Debit").
    pub fn in_words(self) -> &'static str {
        match self {
            ProviderKind::Card => "card",
            ProviderKind::DirectDebit => "Direct Debit",
        }
    }

    /// The ledger's method for money paid (or refunded) this way.
    pub fn method(self) -> PaymentMethod {
        match self {
            ProviderKind::Card => PaymentMethod::Card,
            ProviderKind::DirectDebit => PaymentMethod::DirectDebit,
        }
    }
}

/// Where a payment asked of the provider stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderState {
    /// A payment page was opened; nothing paid yet.
    Started,
    /// Paid but not yet cleared (a Direct Debit takes about three working days).
    Processing,
    /// The money arrived: a payment is in the ledger.
    Succeeded,
    /// The payment failed (declined card, Direct Debit returned).
    Failed,
    /// The payment page expired or was abandoned.
    Cancelled,
}

impl ProviderState {
    pub const ALL: [ProviderState; 5] = [
        ProviderState::Started,
        ProviderState::Processing,
        ProviderState::Succeeded,
        ProviderState::Failed,
        ProviderState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderState::Started => "started",
            ProviderState::Processing => "processing",
            ProviderState::Succeeded => "succeeded",
            ProviderState::Failed => "failed",
            ProviderState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<ProviderState> {
        ProviderState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderState::Started => "Payment page opened",
            ProviderState::Processing => "Payment pending",
            ProviderState::Succeeded => "Paid",
            ProviderState::Failed => "Payment failed",
            ProviderState::Cancelled => "Not completed",
        }
    }

    /// How far on the state is: a later event never moves a payment back to an earlier rank.
    fn rank(self) -> u8 {
        match self {
            ProviderState::Started => 0,
            ProviderState::Processing | ProviderState::Failed | ProviderState::Cancelled => 1,
            ProviderState::Succeeded => 2,
        }
    }
}

/// Whether an event saying `next` (sent at `next_at`, seconds) moves a payment that is `current`
/// (set by an event sent at `current_at`). Success is final; among pending, failed and
/// cancelled the later event wins (a failed Direct Debit retried can be pending again); a
/// late "pending" never undoes a success or a newer failure.
pub fn moves(current: ProviderState, current_at: i64, next: ProviderState, next_at: i64) -> bool {
    if current == ProviderState::Succeeded || next == current {
        return false;
    }
    match next.rank().cmp(&current.rank()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => next_at >= current_at,
        std::cmp::Ordering::Less => false,
    }
}

/// What a refund the provider reports adds: the provider gives the total refunded so far, so
/// an event seen late or twice adds nothing new.
pub fn refund_to_record(total_refunded: Money, recorded: Money) -> Money {
    if total_refunded > recorded { total_refunded - recorded } else { Money::ZERO }
}

/// The invoice ids a payment's metadata names (`12,15,19`), or why they do not read.
pub fn parse_invoice_ids(text: &str) -> Result<Vec<i64>, String> {
    let mut ids = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = part
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| format!("\"{part}\" is not an invoice id"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err("no invoice is named".into());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderState::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_checked_before_they_are_stored() {
        assert_eq!(check_secret_key(" sk_test_51Habc "), Ok(false));
        assert_eq!(check_secret_key("sk_live_51Habc"), Ok(true));
        assert_eq!(check_secret_key("rk_live_51Habc"), Ok(true));
        assert!(check_secret_key("pk_test_51Habc").unwrap_err().contains("publishable"));
        assert!(check_secret_key("").is_err());
        assert!(check_secret_key("sk_test_").is_err());
        assert!(check_secret_key("sk_test_abc def").unwrap_err().contains("letters"));
        assert!(check_secret_key(&format!("sk_test_{}", "a".repeat(300))).is_err());
        assert!(check_webhook_secret("whsec_abc").is_ok());
        assert!(check_webhook_secret("sk_test_abc").is_err());
        assert!(check_webhook_secret("whsec_").is_err());
    }

    #[test]
    fn success_is_final_and_late_events_do_not_undo_newer_ones() {
        assert!(moves(Started, 10, Processing, 11));
        assert!(moves(Processing, 11, Succeeded, 5), "success wins even if sent earlier");
        assert!(!moves(Succeeded, 11, Processing, 12));
        assert!(!moves(Succeeded, 11, Failed, 12));
        assert!(moves(Processing, 11, Failed, 12));
        assert!(!moves(Failed, 12, Processing, 11), "a late pending does not undo a newer failure");
        assert!(moves(Failed, 12, Processing, 13), "a retried collection is pending again");
        assert!(!moves(Processing, 12, Started, 13));
        assert!(!moves(Failed, 12, Failed, 13));
    }

    #[test]
    fn refunds_add_only_what_is_new() {
        let p = Money::from_pence;
        assert_eq!(refund_to_record(p(500), p(0)), p(500));
        assert_eq!(refund_to_record(p(800), p(500)), p(300));
        assert_eq!(refund_to_record(p(500), p(500)), Money::ZERO);
        assert_eq!(
            refund_to_record(p(400), p(500)),
            Money::ZERO,
            "a late event with a smaller total adds nothing"
        );
    }

    #[test]
    fn invoice_ids_read_strictly() {
        assert_eq!(parse_invoice_ids("12, 15,12,19"), Ok(vec![12, 15, 19]));
        assert!(parse_invoice_ids("").is_err());
        assert!(parse_invoice_ids("12,x").unwrap_err().contains("\"x\""));
        assert!(parse_invoice_ids("-3").is_err());
    }

    proptest! {
        /// Whatever order a payment's events arrive in, once any says it succeeded it stays
        /// succeeded, and the state reached is one of the events' states.
        #[test]
        fn any_order_ends_succeeded_if_any_event_succeeded(events in proptest::collection::vec((0usize..5, 0i64..100), 1..12)) {
            let mut state = Started;
            let mut at = i64::MIN;
            for (s, t) in &events {
                let next = ProviderState::ALL[*s];
                if moves(state, at, next, *t) {
                    state = next;
                    at = *t;
                }
            }
            let any_success = events.iter().any(|(s, _)| ProviderState::ALL[*s] == Succeeded);
            prop_assert_eq!(state == Succeeded, any_success);
        }
    }
}
