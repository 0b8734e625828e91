//! Verification codes: what a person types (or a QR code carries) to check a certificate.

use std::{fmt, sync::LazyLock};

use data_encoding::{Encoding, Specification};

use crate::{Error, Result};

/// Crockford's base32: digits and capital letters without I, L, O and U, so a code read aloud or
/// typed from paper survives case, and the usual mix-ups (O for 0, I or L for 1), and dashes or
/// spaces between groups.
static CROCKFORD: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    spec.translate.from.push_str("abcdefghjkmnpqrstvwxyzOoIiLl");
    spec.translate.to.push_str("ABCDEFGHJKMNPQRSTVWXYZ001111");
    spec.ignore.push_str("- ");
    spec.encoding()
        .expect("Crockford's base32 is a valid data-encoding specification")
});

/// A certificate's verification code: 120 random bits as 24 Crockford base32 characters,
/// shown in six groups of four (`7K2M-Q9XD-...`). Unguessable (far beyond the 100 bits asked
/// for), and short enough to type.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

impl VerificationCode {
    /// Random bytes in a code.
    const BYTES: usize = 15;
    /// Characters in a code, without separators.
    pub const CHARS: usize = 24;
    const GROUP: usize = 4;

    /// A fresh code from the operating system's random generator.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; Self::BYTES];
        getrandom::fill(&mut bytes).map_err(|err| {
            Error::Internal(anyhow::anyhow!("the OS random generator failed: {err}"))
        })?;
        Ok(Self(CROCKFORD.encode(&bytes)))
    }

    /// Reads a code as a person may type it: any case, with or without dashes and spaces, O for
    /// 0 and I or L for 1. Anything else is not a code (`None`), which callers answer exactly as
    /// they answer an unknown code.
    pub fn parse(raw: &str) -> Option<Self> {
        // A bound before decoding: nobody types a code this long.
        if raw.len() > 64 {
            return None;
        }
        let bytes = CROCKFORD.decode(raw.trim().as_bytes()).ok()?;
        (bytes.len() == Self::BYTES).then(|| Self(CROCKFORD.encode(&bytes)))
    }

    /// The canonical form, as stored: 24 capital letters and digits, no separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a code read back from the database (already canonical).
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// The grouped form people see and type: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(Self::CHARS + Self::CHARS / Self::GROUP);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % Self::GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationCode({})", self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_24_symbols_in_six_groups_and_differ() {
        let a = VerificationCode::generate().expect("random");
        let b = VerificationCode::generate().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), VerificationCode::CHARS);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        let grouped = a.grouped();
        assert_eq!(grouped.len(), 29);
        assert_eq!(grouped.split('-').count(), 6);
        // 24 symbols of 5 bits each: at least 100 bits.
        const { assert!(VerificationCode::CHARS * 5 >= 100) };
    }

    #[test]
    fn parsing_forgives_case_separators_and_look_alikes() {
        let code = VerificationCode::generate().expect("random");
        let grouped = code.grouped();
        for typed in [
            grouped.clone(),
            grouped.to_lowercase(),
            code.as_str().to_owned(),
            grouped.replace('-', " "),
            format!("  {grouped}  "),
        ] {
            assert_eq!(
                VerificationCode::parse(&typed),
                Some(code.clone()),
                "{typed:?}"
            );
        }
        let known = VerificationCode::parse("0000-1111-0000-1111-0000-1111").expect("valid");
        assert_eq!(
            VerificationCode::parse("oOoO-iIlL-0000-1111-0000-1111"),
            Some(known)
        );
    }

    #[test]
    fn anything_else_is_not_a_code() {
        let code = VerificationCode::generate().expect("random").grouped();
        for raw in [
            String::new(),
            code[..code.len() - 1].to_owned(),
            format!("{code}0"),
            code.replacen(|c: char| c.is_ascii_alphanumeric(), "U", 1),
            code.replacen(|c: char| c.is_ascii_alphanumeric(), "!", 1),
            "0".repeat(100),
        ] {
            assert_eq!(VerificationCode::parse(&raw), None, "{raw:?}");
        }
    }
}
