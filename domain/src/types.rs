//! Parsed inputs: each newtype can only hold a valid value (parse, don't validate).

use std::fmt;

use sea_orm::entity::prelude::*;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::{Error, Result};

/// A role that is granted at an org unit or platform-wide. Every account is also a learner,
/// which is not a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "TRAINER")]
    Trainer,
    #[sea_orm(string_value = "HR")]
    Hr,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// An email address, trimmed and lower-cased so that uniqueness ignores case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self> {
        let normalised = Self::normalise(raw);
        if normalised.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "email",
                format!("email must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        email_address::EmailAddress::parse_with_options(&normalised, options).map_err(|_| {
            Error::invalid(
                "email",
                "email must be a single address such as name@agency.example",
            )
        })?;
        Ok(Self(normalised))
    }

    /// The form an address is compared in (trimmed, lower case), without checking that it is
    /// one: the sign-in throttle counts attempts per account even for input that could never
    /// parse, and must count `Anna@x.example` and `anna@x.example` as the same account.
    pub fn normalise(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: 12 to 128 characters, no composition rules, never truncated.
/// Its `Debug` output hides the value.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: String, field: &'static str) -> Result<Self> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(Error::invalid(
                field,
                format!(
                    "password must be {} to {} characters long (it has {chars})",
                    Self::MIN_CHARS,
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(raw))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A short human-readable name (a person's display name, an org unit's name, a title): trimmed,
/// 1 to 200 characters, no control characters and no invisible format characters.
///
/// Format characters (Unicode category Cf: bidirectional overrides and isolates such as U+202E,
/// zero-width spaces and joiners, the byte-order mark) are refused because names are shown to
/// other people, on the public verify page among others, where a right-to-left override can make
/// a name or title read as something it is not. Refusing them at input keeps every place that
/// shows a name safe without each having to isolate it. The cost: a name that needs a zero-width
/// (non-)joiner to be spelt exactly (in Persian or some Indic scripts) must be entered without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str, field: &'static str) -> Result<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid(field, format!("{field} must not be empty")));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(Error::invalid(
                field,
                format!("{field} must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Error::invalid(
                field,
                format!("{field} must not contain control characters"),
            ));
        }
        if let Some(c) = trimmed
            .chars()
            .find(|c| c.general_category() == GeneralCategory::Format)
        {
            return Err(Error::invalid(
                field,
                format!(
                    "{field} must not contain invisible formatting characters (it has U+{:04X})",
                    u32::from(c)
                ),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_to_lower_case() {
        let email = Email::parse("  Anna.Berg@Agency.Example ").expect("valid email");
        assert_eq!(email.as_str(), "anna.berg@agency.example");
        assert_eq!(
            Email::normalise("  Anna.Berg@Agency.Example "),
            email.as_str()
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "anna",
            "anna@",
            "@agency.example",
            "Anna <anna@agency.example>",
            "anna@localhost",
            "a b@agency.example",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        assert!(Password::parse("ä".repeat(12), "password").is_ok());
        assert!(Password::parse("a".repeat(11), "password").is_err());
        assert!(Password::parse("a".repeat(128), "password").is_ok());
        assert!(Password::parse("a".repeat(129), "password").is_err());
    }

    #[test]
    fn password_debug_hides_the_value() {
        let password = Password::parse("correct horse battery".into(), "password").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  Anna  ", "displayName")
                .expect("valid")
                .into_inner(),
            "Anna"
        );
        assert!(Name::parse("   ", "displayName").is_err());
        assert!(Name::parse("a\u{7}b", "displayName").is_err());
        assert!(Name::parse(&"x".repeat(201), "displayName").is_err());
    }

    #[test]
    fn names_refuse_invisible_format_characters_and_keep_accents() {
        for spoof in [
            "Anna \u{202E}gre\u{202C}B",
            "Anna\u{2066}Berg\u{2069}",
            "An\u{200B}na",
            "\u{FEFF}Anna",
            "Anna\u{00AD}Berg",
        ] {
            let err = Name::parse(spoof, "displayName").expect_err(spoof);
            assert!(err.to_string().contains("invisible"), "{err}");
        }
        for fine in [
            "Ana Đorđević",
            "Ζωή Παπαδοπούλου",
            "Über KI",
            "Ørsted-Jensen",
        ] {
            assert_eq!(Name::parse(fine, "title").expect(fine).into_inner(), fine);
        }
    }
}
