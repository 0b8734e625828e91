//! Erasure and the audit trail: the details of older audit events may name the person erased
//! (their email, display name, SCIM `userName` or `externalId`, wallet DID or sign-in subject,
//! as written by an earlier version, an import or an operator). [`pseudonymise`] rewrites them,
//! inside the erasure's transaction, so that the trail keeps who did what to whom (the ids:
//! `actor_id`, `subject_user_id`, `target_id` and every id inside the details stay) but no
//! longer says who the person was.
//!
//! How: one `SELECT` finds the events whose details, as text (`CAST(details AS TEXT)`: the
//! column is `json` on PostgreSQL and JSON text on SQLite), contain one of the values (`LIKE`,
//! also on `LOWER(..)` so an email or user name in other letter case is found); then each
//! string in those details (keys too) is rewritten in Rust: a value of 4 characters or more
//! wherever it stands as a whole word, case-insensitively (`Jane Doe` in "created Jane Doe",
//! not in "Jane Doerr"); a shorter one only where it is the whole string. Emails become the
//! erased email form, everything else the pseudonym. Each changed event is written back.
//! A whole-table scan, acceptable for something as rare as an erasure.

use sea_orm::{
    ActiveModelTrait as _, Condition, ConnectionTrait, EntityTrait as _, QueryFilter as _, Set,
    sea_query::{Expr, ExprTrait as _, Func, LikeExpr},
};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{Result, entities::audit_event};

/// Values shorter than this (in characters) are replaced only where they are a whole string.
const MIN_WORD_CHARS: usize = 4;

/// A value that named the person, and what replaces it.
#[derive(Clone, Debug)]
pub(super) struct Replacement {
    pub old: String,
    pub new: String,
}

/// The replacements for a person about to be erased: `email` and an email-like `userName`
/// by `erased_email`, the rest by `pseudonym`; empty and duplicate values left out, longest
/// first (so an email is replaced before a name inside it).
pub(super) fn replacements(
    named: impl IntoIterator<Item = (Option<String>, bool)>,
    pseudonym: &str,
    erased_email: &str,
) -> Vec<Replacement> {
    let mut replacements: Vec<Replacement> = Vec::new();
    for (value, is_email) in named {
        let Some(value) = value.map(|value| value.trim().to_owned()) else {
            continue;
        };
        if value.is_empty()
            || replacements
                .iter()
                .any(|known| same_text(&known.old, &value))
        {
            continue;
        }
        let new = if is_email || value.contains('@') {
            erased_email
        } else {
            pseudonym
        };
        replacements.push(Replacement {
            old: value,
            new: new.to_owned(),
        });
    }
    replacements.sort_by_key(|replacement| std::cmp::Reverse(replacement.old.chars().count()));
    replacements
}

/// Rewrites the details of every audit event that names one of `replacements`' values;
/// returns how many events changed. Call it inside the erasure's transaction.
pub(super) async fn pseudonymise(
    txn: &impl ConnectionTrait,
    replacements: &[Replacement],
) -> Result<u64> {
    if replacements.is_empty() {
        return Ok(0);
    }
    let text = || Expr::cust("CAST(\"details\" AS TEXT)");
    let mut named = Condition::any();
    for replacement in replacements {
        let encoded = json_text(&replacement.old);
        named = named
            .add(text().like(LikeExpr::new(contains(&encoded)).escape('\\')))
            .add(
                Expr::expr(Func::lower(text()))
                    .like(LikeExpr::new(contains(&encoded.to_ascii_lowercase())).escape('\\')),
            );
    }
    let events = audit_event::Entity::find().filter(named).all(txn).await?;
    let mut changed = 0;
    for event in events {
        let mut details = event.details.clone();
        if rewrite(&mut details, replacements) {
            audit_event::ActiveModel {
                id: sea_orm::Unchanged(event.id),
                details: Set(details),
                ..Default::default()
            }
            .update(txn)
            .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// The JSON text of a string, without its quotes: how it appears inside stored details.
fn json_text(value: &str) -> String {
    let quoted = Value::String(value.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// `%text%` with `\`, `%` and `_` escaped (escape character `\`).
fn contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Rewrites every string (and object key) of `value`; whether anything changed.
fn rewrite(value: &mut Value, replacements: &[Replacement]) -> bool {
    match value {
        Value::String(text) => match replace_text(text, replacements) {
            Some(new) => {
                *text = new;
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| rewrite(item, replacements) | changed),
        Value::Object(map) => {
            let mut changed = false;
            let entries = std::mem::take(map);
            let mut rewritten = Map::with_capacity(entries.len());
            for (key, mut item) in entries {
                changed |= rewrite(&mut item, replacements);
                let key = match replace_text(&key, replacements) {
                    Some(new) => {
                        changed = true;
                        new
                    }
                    None => key,
                };
                rewritten.insert(key, item);
            }
            *map = rewritten;
            changed
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// `text` with every replacement applied, if any applied.
fn replace_text(text: &str, replacements: &[Replacement]) -> Option<String> {
    let mut current: Option<String> = None;
    for replacement in replacements {
        let now = current.as_deref().unwrap_or(text);
        let next = if replacement.old.chars().count() >= MIN_WORD_CHARS {
            replace_words(now, &replacement.old, &replacement.new)
        } else if same_text(now.trim(), &replacement.old) {
            Some(replacement.new.clone())
        } else {
            None
        };
        if next.is_some() {
            current = next;
        }
    }
    current
}

/// Equal, ignoring letter case.
fn same_text(a: &str, b: &str) -> bool {
    a.chars().count() == b.chars().count() && a.chars().zip(b.chars()).all(|(a, b)| same_char(a, b))
}

fn same_char(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// `text` with each occurrence of `needle` that stands as a whole word (no letter or digit
/// right before or after it), ignoring letter case, replaced by `with`; `None` if there is none.
fn replace_words(text: &str, needle: &str, with: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let wanted: Vec<char> = needle.chars().collect();
    if wanted.is_empty() || wanted.len() > chars.len() {
        return None;
    }
    let byte_at = |index: usize| chars.get(index).map_or(text.len(), |(at, _)| *at);
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied, mut found) = (0, 0, false);
    while i + wanted.len() <= chars.len() {
        let end = i + wanted.len();
        let matches = wanted
            .iter()
            .enumerate()
            .all(|(k, c)| same_char(chars[i + k].1, *c));
        let starts_word = i == 0 || !chars[i - 1].1.is_alphanumeric();
        let ends_word = end == chars.len() || !chars[end].1.is_alphanumeric();
        if matches && starts_word && ends_word {
            out.push_str(&text[copied..byte_at(i)]);
            out.push_str(with);
            copied = byte_at(end);
            i = end;
            found = true;
        } else {
            i += 1;
        }
    }
    if !found {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The erased email form of an account.
pub(super) fn erased_email(user_id: Uuid) -> String {
    format!("erased-{}@erased.invalid", user_id.simple())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn jane() -> Vec<Replacement> {
        replacements(
            [
                (Some("Jane Doe".to_owned()), false),
                (Some("jane.doe@example.org".to_owned()), true),
                (Some("JDoe@Example.org".to_owned()), false),
                (Some("E-42".to_owned()), false),
                (Some("JD".to_owned()), false),
                (None, false),
                (Some("jane doe".to_owned()), false),
            ],
            "Erased person 1a2b3c4d",
            "erased-x@erased.invalid",
        )
    }

    #[test]
    fn names_emails_and_ids_of_the_person_are_replaced_and_nothing_else() {
        let mut details = json!({
            "email": "Jane.Doe@example.org",
            "displayName": "Jane Doe",
            "userName": "jdoe@example.org",
            "externalId": "E-42",
            "initials": "JD",
            "note": "created Jane Doe <jane.doe@example.org> for Jane Doerr",
            "userId": "0190a1b2-0000-7000-8000-000000000001",
            "other": ["JDX", "E-420", "Mary"],
            "jane.doe@example.org": 1,
            "score": 7,
        });
        assert!(rewrite(&mut details, &jane()));
        assert_eq!(
            details,
            json!({
                "email": "erased-x@erased.invalid",
                "displayName": "Erased person 1a2b3c4d",
                "userName": "erased-x@erased.invalid",
                "externalId": "Erased person 1a2b3c4d",
                "initials": "Erased person 1a2b3c4d",
                "note": "created Erased person 1a2b3c4d <erased-x@erased.invalid> for Jane Doerr",
                "userId": "0190a1b2-0000-7000-8000-000000000001",
                "other": ["JDX", "E-420", "Mary"],
                "erased-x@erased.invalid": 1,
                "score": 7,
            })
        );
        let mut unrelated = json!({ "name": "Mary Major", "n": 3 });
        assert!(!rewrite(&mut unrelated, &jane()));
    }

    #[test]
    fn like_patterns_escape_wildcards_and_json_escapes() {
        assert_eq!(contains("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
        assert_eq!(json_text("O\"Brien \\ x"), "O\\\"Brien \\\\ x");
        assert_eq!(json_text("Élodie"), "Élodie");
    }
}
