//! "Did you mean": the one place that picks the closest known name.

/// How similar (normalised Damerau-Levenshtein, 0 to 1) a name must be to be suggested.
pub const THRESHOLD: f64 = 0.6;

/// The closest candidate: an exact match ignoring case first, then the most similar
/// name at or above [`THRESHOLD`]; ties go to the alphabetically first, for stable output.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &'a str)> = None;
    let lower = name.to_lowercase();
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        if candidate.to_lowercase() == lower {
            return Some(candidate);
        }
        let score = strsim::normalized_damerau_levenshtein(name, candidate);
        let better = match best {
            None => true,
            Some((s, c)) => score > s || (score == s && candidate < c),
        };
        if score >= THRESHOLD && better {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// A candidate that is the same name written differently: differing only in case and
/// spacing, or by one edit in a name of eight or more characters, with the same digits.
/// Stricter than [`did_you_mean`]: it is for names that need not exist at all (an optional
/// column), where a merely similar name is most likely another thing (`Waste cost` is not
/// `Water cost`, nor `2014 cost` `2015 cost`).
pub fn same_but_spelt<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let squash = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (wanted, wanted_digits) = (squash(name), digits(name));
    let edits = usize::from(wanted.chars().count() >= 8);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name || digits(candidate) != wanted_digits {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&wanted, &squash(candidate));
        let better = best.is_none_or(|(d, c)| distance < d || (distance == d && candidate < c));
        if distance <= edits && better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The help line for an unknown name.
pub fn help_for<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>, fallback: &str) -> String {
    match did_you_mean(name, candidates) {
        Some(s) => format!("did you mean `{s}`?"),
        None => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["cost_share", "cost_per_fte", "turnover"];
        assert_eq!(did_you_mean("cost_shre", names), Some("cost_share"));
        assert_eq!(did_you_mean("COST_SHARE", names), Some("cost_share"));
        assert_eq!(did_you_mean("headcount", names), None);
        assert_eq!(did_you_mean("x", names), None);
    }

    #[test]
    fn same_but_spelt_allows_case_spacing_and_small_edits_only() {
        let headers = ["Patient Care Funding", "Floor  area", "Turnover", "Water cost"];
        assert_eq!(same_but_spelt("Patient care funding", headers), Some("Patient Care Funding"));
        assert_eq!(same_but_spelt("Floor area", headers), Some("Floor  area"));
        assert_eq!(same_but_spelt("Patient care fundng", headers), Some("Patient Care Funding"));
        assert_eq!(same_but_spelt("Energy cost", headers), None);
        assert_eq!(same_but_spelt("Property cost", headers), None);
        assert_eq!(same_but_spelt("Waste cost", headers), None);
        assert_eq!(same_but_spelt("Site 2 cost", ["Site 1 cost", "Site 2 Cost"]), Some("Site 2 Cost"));
        assert_eq!(same_but_spelt("Site 3 cost", ["Site 1 cost"]), None);
    }
}
