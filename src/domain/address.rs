//! Postal addresses as documents print them.

/// An address as lines: the addressee, then each part that is not blank (a part may hold
/// several lines), with stray spaces and repeated lines removed.
pub fn postal_address<'a>(addressee: &str, parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut lines: Vec<String> = vec![addressee.trim().to_string()];
    for line in parts.into_iter().flatten().flat_map(str::lines) {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if !line.is_empty() && !lines.iter().any(|l| l.eq_ignore_ascii_case(&line)) {
            lines.push(line);
        }
    }
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

/// GIAS's address columns (street, locality, address 3, town, county) as one part a line.
pub fn from_gias_parts(parts: &[&str]) -> Option<String> {
    let lines: Vec<&str> = parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_order_without_blanks_or_repeats() {
        let address =
            postal_address("Yewtree Primary School", [Some("Yew Lane\n\nRiverside"), None, Some("RV1  2AB")]);
        assert_eq!(address, "Yewtree Primary School\nYew Lane\nRiverside\nRV1 2AB");
        assert_eq!(
            postal_address("A Trust", [Some("a trust"), Some("Finance team")]),
            "A Trust\nFinance team"
        );
    }

    #[test]
    fn gias_parts_one_a_line() {
        assert_eq!(from_gias_parts(&["1 Road", "", " Town ", "County"]), Some("1 Road\nTown\nCounty".into()));
        assert_eq!(from_gias_parts(&["", " "]), None);
    }
}
