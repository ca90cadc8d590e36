//! Mail as rules: which billing addresses a payer may have, what a message is about, the states
//! an outgoing message goes through, and how long to wait before trying a failed one again.

use chrono::Duration;

/// The most billing addresses one payer may have.
pub const MAX_ADDRESSES: usize = 5;
/// The longest address accepted (RFC 5321's limit on a path).
pub const MAX_ADDRESS_CHARS: usize = 254;

/// Reads a payer's billing addresses as typed: separated by commas, semicolons, spaces or new
/// lines; lower-cased; duplicates dropped. Empty text is no address at all. Every address that is
/// not one is named in the error.
pub fn parse_addresses(text: &str) -> Result<Vec<String>, String> {
    let mut found: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for part in text.split([',', ';', ' ', '\n', '\r', '\t']).map(str::trim).filter(|p| !p.is_empty()) {
        let address = part.to_lowercase();
        if is_address(&address) {
            if !found.contains(&address) {
                found.push(address);
            }
        } else {
            bad.push(format!("\"{part}\""));
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "enter email addresses like finance@school.example, separated by commas ({} {})",
            bad.join(", "),
            if bad.len() == 1 { "is not an email address" } else { "are not email addresses" }
        ));
    }
    if found.len() > MAX_ADDRESSES {
        return Err(format!("enter at most {MAX_ADDRESSES} addresses (you entered {})", found.len()));
    }
    Ok(found)
}

/// The addresses as stored: separated by ", ".
pub fn join_addresses(addresses: &[String]) -> String {
    addresses.join(", ")
}

/// One address: something before and after a single @, a dot in the domain, no spaces or angle
/// brackets, at most [`MAX_ADDRESS_CHARS`].
fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && text.chars().count() <= MAX_ADDRESS_CHARS
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '(' | ')'))
}

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Invoice,
    CreditNote,
    Statement,
    Receipt,
    Reminder,
    DirectDebitNotice,
    /// An invitation to renew (or join) for next year.
    Renewal,
    /// A reminder to answer the renewal invitation.
    RenewalReminder,
}

impl MessageKind {
    pub const ALL: [MessageKind; 8] = [
        MessageKind::Invoice,
        MessageKind::CreditNote,
        MessageKind::Statement,
        MessageKind::Receipt,
        MessageKind::Reminder,
        MessageKind::DirectDebitNotice,
        MessageKind::Renewal,
        MessageKind::RenewalReminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Invoice => "invoice",
            MessageKind::CreditNote => "credit_note",
            MessageKind::Statement => "statement",
            MessageKind::Receipt => "receipt",
            MessageKind::Reminder => "reminder",
            MessageKind::DirectDebitNotice => "direct_debit_notice",
            MessageKind::Renewal => "renewal",
            MessageKind::RenewalReminder => "renewal_reminder",
        }
    }

    pub fn parse(text: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageKind::Invoice => "Invoice",
            MessageKind::CreditNote => "Credit note",
            MessageKind::Statement => "Statement of account",
            MessageKind::Receipt => "Payment receipt",
            MessageKind::Reminder => "Reminder",
            MessageKind::DirectDebitNotice => "Direct Debit notice",
            MessageKind::Renewal => "Renewal invitation",
            MessageKind::RenewalReminder => "Renewal reminder",
        }
    }
}

/// Where an outgoing message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Waiting for the mail job (first try, or another after a failure).
    Queued,
    /// Handed to the mail server by a job that has not yet said how it went.
    Sending,
    Sent,
    /// Every try failed; finance can send it again.
    Failed,
    /// The payer has no billing email address.
    NoAddress,
    /// The job stopped while sending, so the message may or may not have gone: never sent
    /// again by itself, so nobody gets it twice; finance checks and sends it again if needed.
    Unsure,
}

impl MessageState {
    pub const ALL: [MessageState; 6] = [
        MessageState::Queued,
        MessageState::Sending,
        MessageState::Sent,
        MessageState::Failed,
        MessageState::NoAddress,
        MessageState::Unsure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sending => "sending",
            MessageState::Sent => "sent",
            MessageState::Failed => "failed",
            MessageState::NoAddress => "no_address",
            MessageState::Unsure => "unsure",
        }
    }

    pub fn parse(text: &str) -> Option<MessageState> {
        MessageState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageState::Queued => "Queued",
            MessageState::Sending => "Sending",
            MessageState::Sent => "Sent",
            MessageState::Failed => "Failed",
            MessageState::NoAddress => "Not sent: no billing email",
            MessageState::Unsure => "May not have been sent",
        }
    }

    /// Whether finance may send the message again.
    pub fn may_send_again(self) -> bool {
        matches!(self, MessageState::Failed | MessageState::NoAddress | MessageState::Unsure)
    }
}

/// How many times a message is tried before it is shown as failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// How long to wait after the `attempts`-th failed try (1 for the first) before the next, or
/// none when that was the last: 1 minute, 5 minutes, 30 minutes, 2 hours.
pub fn retry_after(attempts: i32) -> Option<Duration> {
    match attempts {
        ..=0 => Some(Duration::zero()),
        1 => Some(Duration::minutes(1)),
        2 => Some(Duration::minutes(5)),
        3 => Some(Duration::minutes(30)),
        4 => Some(Duration::hours(2)),
        _ => None,
    }
}

/// How long a message may stay "sending" before the job that took it is taken to have stopped.
pub fn sending_gives_up_after() -> Duration {
    Duration::minutes(15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_lowered_and_deduplicated() {
        assert_eq!(
            parse_addresses(" Finance@School.example; office@school.example\nfinance@school.example ")
                .unwrap(),
            vec!["finance@school.example".to_string(), "office@school.example".to_string()]
        );
        assert_eq!(parse_addresses("  ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn every_bad_address_is_named() {
        let e = parse_addresses("ok@school.example, nobody, a@b, <x@y.z>").unwrap_err();
        assert!(e.contains("(\"nobody\", \"a@b\", \"<x@y.z>\" are not email addresses)"), "{e}");
        assert_eq!(parse_addresses("a1@school.example,").map(|v| v.len()), Ok(1));
        let six: Vec<String> = (1..=6).map(|i| format!("p{i}@school.example")).collect();
        assert!(parse_addresses(&six.join(",")).unwrap_err().contains("at most 5"));
        let long = format!("{}@school.example", "a".repeat(250));
        assert!(parse_addresses(&long).is_err());
    }

    #[test]
    fn retries_back_off_then_stop() {
        let waits: Vec<_> = (1..=6).map(retry_after).collect();
        assert_eq!(waits[0], Some(Duration::minutes(1)));
        assert!(waits.windows(2).take(3).all(|w| w[0] < w[1]));
        assert_eq!(waits[4], None);
        assert_eq!(retry_after(MAX_ATTEMPTS), None);
        assert!(retry_after(MAX_ATTEMPTS - 1).is_some());
    }

    #[test]
    fn names_read_back() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(k));
        }
        for s in MessageState::ALL {
            assert_eq!(MessageState::parse(s.as_str()), Some(s));
        }
        assert_eq!(MessageState::parse("Sent"), None);
    }
}
