//! Text typed by people: trimmed, bounded in length, and free of control characters.
//!
//! A NUL or other control character in a name or reason is refused with a message, the same on
//! every database (PostgreSQL cannot store NUL in text at all).

/// Names of schools, payers, levels, scenarios, users.
pub const MAX_NAME_CHARS: usize = 200;
/// Reasons and notes (a credit note's reason is printed on it).
pub const MAX_REASON_CHARS: usize = 500;
/// Postal addresses, several lines.
pub const MAX_ADDRESS_CHARS: usize = 1000;
/// Descriptions of what a level includes.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// The first control character in `text` other than tab, carriage return and line feed.
pub fn control_character(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
}

/// Why `text` cannot be kept as typed, if it cannot: a control character, or too long.
pub fn problem(text: &str, max_chars: usize) -> Option<String> {
    if let Some(c) = control_character(text) {
        return Some(format!(
            "contains a control character (U+{:04X}) that cannot be stored; remove it",
            u32::from(c)
        ));
    }
    let length = text.chars().count();
    (length > max_chars).then(|| format!("is {length} characters long; the most is {max_chars}"))
}

/// Trimmed text that must be given: `empty` is the message when it is blank.
pub fn required(text: &str, max_chars: usize, empty: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(empty.to_string());
    }
    match problem(trimmed, max_chars) {
        Some(p) => Err(format!("This {p}")),
        None => Ok(trimmed.to_string()),
    }
}

/// Trimmed text that may be left blank (then `None`).
pub fn optional(text: &str, max_chars: usize) -> Result<Option<String>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match problem(trimmed, max_chars) {
        Some(p) => Err(format!("This {p}")),
        None => Ok(Some(trimmed.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_line_breaks_kept() {
        assert_eq!(control_character("a\u{0}b"), Some('\u{0}'));
        assert_eq!(control_character("line one\r\nline two\tend"), None);
        assert!(required("a\u{0}b", 10, "x").unwrap_err().contains("U+0000"));
        assert_eq!(required("  Ok  ", 10, "x"), Ok("Ok".into()));
        assert_eq!(required("   ", 10, "Say why"), Err("Say why".into()));
        assert_eq!(optional("", 10), Ok(None));
    }

    #[test]
    fn long_text_is_refused_with_its_length() {
        let long = "é".repeat(11);
        assert_eq!(required(&long, 10, "x"), Err("This is 11 characters long; the most is 10".into()));
        assert!(required(&"é".repeat(10), 10, "x").is_ok(), "characters, not bytes");
    }
}
