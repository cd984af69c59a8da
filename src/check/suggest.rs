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
}
