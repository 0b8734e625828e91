//! Text search that gives the same answer on SQLite and PostgreSQL.
//!
//! SQLite's `lower()` and `LIKE` fold ASCII letters only, PostgreSQL's fold by the database's
//! locale, and neither ignores accents. So searchable text is folded here, in Rust, once when it
//! is written (into a `search_text` column) and once for the search term, and the database only
//! compares folded text with `LIKE`: "über künstliche", "UBER KUNSTLICHE" and "Über Künstliche"
//! find the same course on both engines.

use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

/// Folds text for comparison: compatibility decomposition (NFKD), combining marks (accents)
/// removed, lower case, and the few letters that do not decompose mapped to their base letter
/// (German ß, Croatian đ, Polish ł, Danish ø, æ and œ, Greek final sigma, dotless i).
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'ß' => folded.push_str("ss"),
                'æ' => folded.push_str("ae"),
                'œ' => folded.push_str("oe"),
                'đ' => folded.push('d'),
                'ł' => folded.push('l'),
                'ø' => folded.push('o'),
                'ς' => folded.push('σ'),
                'ı' => folded.push('i'),
                other => folded.push(other),
            }
        }
    }
    folded
}

/// What a search compares for a row: its searchable texts, joined by a line break and folded.
pub fn searchable(parts: &[&str]) -> String {
    fold(&parts.join("\n"))
}

/// A `LIKE` pattern that finds `term` anywhere in folded text, or `None` for a blank term.
pub fn contains_pattern(term: &str) -> Option<String> {
    let term = fold(term.trim());
    (!term.is_empty()).then(|| format!("%{}%", like_escaped(&term)))
}

/// Escapes `%`, `_` and `\` with `\` for a `LIKE` pattern (used with `ESCAPE '\'`).
pub fn like_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents_in_european_scripts() {
        for (a, b) in [
            ("Über Künstliche Intelligenz", "uber kunstliche intelligenz"),
            ("ÄRGER", "ärger"),
            ("Straße", "STRASSE"),
            ("Éducation numérique", "EDUCATION NUMERIQUE"),
            ("Đorđević Čakavski Žrnovo", "dordevic cakavski zrnovo"),
            ("ΤΕΧΝΗΤΗ ΝΟΗΜΟΣΥΝΗ", "τεχνητή νοημοσύνη"),
            ("Οδυσσέας", "ΟΔΥΣΣΕΑΣ"),
            ("Œuvre", "oeuvre"),
        ] {
            assert_eq!(fold(a), fold(b), "{a} ~ {b}");
        }
        assert_ne!(fold("Anna"), fold("Hanna"));
    }

    #[test]
    fn patterns_escape_like_wildcards() {
        assert_eq!(contains_pattern("  "), None);
        assert_eq!(contains_pattern("Über").as_deref(), Some("%uber%"));
        assert_eq!(
            contains_pattern("100%_a\\b").as_deref(),
            Some("%100\\%\\_a\\\\b%")
        );
    }
}
