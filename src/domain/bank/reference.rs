//! Reading what payers write in a Bacs reference: at most 18 characters, upper case, anything
//! but letters, digits, space and `- . & /` turned into spaces; and finding invoice numbers in
//! it however they are written ("RH000123", "INV RH-123", "rh 123"), never 1 inside 10.

/// A reference as Bacs carries it.
pub fn bacs_normalise(text: &str) -> String {
    let upper: String = text
        .chars()
        .map(|c| {
            let c = c.to_ascii_uppercase();
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '&' | '/') { c } else { ' ' }
        })
        .collect();
    upper.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Only the letters and digits, upper case (for comparing names).
pub fn squeeze(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// How sure a number found in a reference is to be an invoice number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Digits alone, at least four of them or zero-padded ("000123").
    Bare,
    /// After the partnership's prefix, or after INV / INVOICE / NO.
    Prefixed,
}

/// The invoice sequence numbers written in `text`, each once, with how surely: every maximal
/// run of digits (so 1 is never found inside 10), prefixed by the invoice prefix's letters (the
/// partnership's, e.g. "RH" of "RH-") or INV, with or without dashes, dots, slashes or spaces.
pub fn invoice_numbers(text: &str, prefix: &str) -> Vec<(u64, Strength)> {
    let letters = squeeze(prefix);
    let upper = text.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut found: Vec<(u64, Strength)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &upper[start..i];
        // A digit run glued to letters after it ("123ABC") is not an invoice number.
        if i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            continue;
        }
        let before = upper[..start].trim_end_matches([' ', '-', '.', '/', '#', ':']);
        let word: String = before
            .chars()
            .rev()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let prefixed = (!letters.is_empty() && word.ends_with(&letters))
            || ["INV", "INVOICE", "NO", "REF"].contains(&word.as_str());
        // Letters glued before the digits that are not the prefix make it some other code.
        let glued = start > 0 && bytes[start - 1].is_ascii_alphabetic();
        if glued && !prefixed {
            continue;
        }
        let Ok(n) = digits.parse::<u64>() else { continue };
        if n == 0 || digits.len() > 9 {
            continue;
        }
        let strength = if prefixed {
            Strength::Prefixed
        } else if digits.len() >= 4 || digits.starts_with('0') {
            Strength::Bare
        } else {
            continue;
        };
        match found.iter_mut().find(|(m, _)| *m == n) {
            Some(existing) => existing.1 = existing.1.max(strength),
            None => found.push((n, strength)),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_as_bacs_carries_them() {
        assert_eq!(bacs_normalise("inv: rh-000123 (thanks!)"), "INV RH-000123 THANKS");
        assert_eq!(bacs_normalise("A&B  /  C.D"), "A&B / C.D");
    }

    #[test]
    fn invoice_numbers_however_written() {
        let p = |t: &str| invoice_numbers(t, "RH-").into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(p("RH000123"), vec![123]);
        assert_eq!(p("INV RH-123"), vec![123]);
        assert_eq!(p("rh 123"), vec![123]);
        assert_eq!(p("RH-000123 RH-000124"), vec![123, 124]);
        assert_eq!(p("RH.000010"), vec![10]);
        assert_eq!(p("INV 10"), vec![10], "never 1 inside 10");
        assert_eq!(p("SCHOOL 12"), Vec::<u64>::new(), "two bare digits are not an invoice number");
        assert_eq!(p("000042 ACORN"), vec![42]);
        assert_eq!(p("NORTHGATE LEARNIN"), Vec::<u64>::new());
        assert_eq!(p("AB123"), Vec::<u64>::new(), "someone else's code");
        let strengths = invoice_numbers("RH000123 4567", "RH-");
        assert_eq!(strengths, vec![(123, Strength::Prefixed), (4567, Strength::Bare)]);
    }
}
