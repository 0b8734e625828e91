//! Revocation anyone can check: W3C Bitstring Status List v1.0.
//!
//! Each authority publishes signed status lists at `{issuer profile}/status/{list}`; every
//! credential it issues carries a `credentialStatus` entry naming one list and one position in
//! it. The bit at that position is 1 when the certificate is revoked. A list has 131,072
//! positions (16 KB before compression, the specification's minimum for herd privacy); an
//! authority's n-th certificate takes list `n / 131072` and, inside it, position
//! `(n * 0x9e37) mod 131072`: an odd multiplier modulo a power of two is a bijection, so no two
//! certificates share a position and neighbouring positions do not tell the order of issuance.
//!
//! The list is built from the database when asked (`certificates.revoked_at`), so it changes the
//! moment a certificate is revoked or its holder erased; its `validFrom` is the last change, so
//! the same state always gives the same signed list, and HTTP caches can validate by ETag.

use std::io::Write as _;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, SecondsFormat, TimeZone as _, Utc};
use flate2::{Compression, read::GzDecoder, write::GzEncoder};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait as _, OnConflict},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    CredentialError, Issuer, IssuerProfile, VC_CONTEXT,
    keys::{self, Jwks},
};
use crate::{
    Error, Result,
    entities::{certificate, issuer_profile},
};

/// Positions in one status list.
pub const LIST_SIZE: u32 = 131_072;
const SCATTER: u64 = 0x9e37;

/// A certificate's entry in its authority's status lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    pub list: i32,
    pub index: i32,
}

impl StatusEntry {
    /// The entry of an authority's `n`-th certificate (counting from 0).
    pub fn nth(n: u64) -> Self {
        let size = u64::from(LIST_SIZE);
        Self {
            list: i32::try_from(n / size).unwrap_or(i32::MAX),
            // Below LIST_SIZE, so it fits.
            index: i32::try_from((n % size) * SCATTER % size).unwrap_or(0),
        }
    }

    /// The `credentialStatus` member of a credential whose issuer's profile is `profile_url`.
    pub fn json(self, profile_url: &str) -> Value {
        let list = list_url(profile_url, self.list);
        json!({
            "id": format!("{list}#{}", self.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": self.index.to_string(),
            "statusListCredential": list,
        })
    }
}

/// Where list `list` of the issuer with profile `profile_url` is published.
pub fn list_url(profile_url: &str, list: i32) -> String {
    format!("{profile_url}/status/{list}")
}

/// Takes the next status entry of `authority_id`, inside the issuing transaction: one
/// `INSERT .. ON CONFLICT DO UPDATE .. RETURNING` on the authority's profile row, which also
/// serialises concurrent issuers of one authority, so no entry is handed out twice.
pub async fn allocate(txn: &impl ConnectionTrait, authority_id: Uuid) -> Result<StatusEntry> {
    let row = issuer_profile::Entity::insert(issuer_profile::ActiveModel {
        org_unit_id: Set(authority_id),
        name: Set(None),
        street_address: Set(None),
        postal_code: Set(None),
        locality: Set(None),
        country: Set(None),
        email: Set(None),
        url: Set(None),
        algorithm: Set(None),
        publishes_ai_register: Set(false),
        language: Set(None),
        next_status_index: Set(1),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(issuer_profile::Column::OrgUnitId)
            .value(
                issuer_profile::Column::NextStatusIndex,
                Expr::col((
                    issuer_profile::Entity,
                    issuer_profile::Column::NextStatusIndex,
                ))
                .add(1),
            )
            .to_owned(),
    )
    .exec_with_returning(txn)
    .await?;
    let taken = u64::try_from(row.next_status_index - 1)
        .map_err(|_| Error::Internal(anyhow::anyhow!("status list counter below zero")))?;
    Ok(StatusEntry::nth(taken))
}

/// The revoked positions of one list and when it last changed (`None`: nothing revoked).
pub async fn revoked(
    db: &impl ConnectionTrait,
    authority_id: Uuid,
    list: i32,
) -> Result<(Vec<i32>, Option<DateTime<Utc>>)> {
    let rows: Vec<(Option<i32>, Option<DateTime<Utc>>)> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::StatusIndex)
        .column(certificate::Column::RevokedAt)
        .filter(certificate::Column::IssuerUnitId.eq(authority_id))
        .filter(certificate::Column::StatusList.eq(list))
        .filter(certificate::Column::RevokedAt.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let changed = rows.iter().filter_map(|(_, at)| *at).max();
    Ok((rows.into_iter().filter_map(|(i, _)| i).collect(), changed))
}

/// The GZIP-compressed bitstring with the bits at `positions` set (position 0 is the first
/// byte's most significant bit), multibase base64url (`u` prefix), as `encodedList` wants.
pub fn encode_list(positions: &[i32]) -> String {
    let mut bits = vec![0u8; (LIST_SIZE / 8) as usize];
    for &position in positions {
        if let Ok(position) = usize::try_from(position)
            && position < bits.len() * 8
        {
            bits[position / 8] |= 0x80 >> (position % 8);
        }
    }
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gzip.write_all(&bits);
    let compressed = gzip.finish().unwrap_or_default();
    format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Whether the bit at `position` is set in an `encodedList`; `None` if it does not decode.
pub fn bit_is_set(encoded: &str, position: u32) -> Option<bool> {
    use std::io::Read as _;
    let compressed = URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u')?).ok()?;
    let mut bits = Vec::new();
    // A list is 16 KB; refuse to inflate anything much larger.
    GzDecoder::new(compressed.as_slice())
        .take(16 * 1024 * 1024)
        .read_to_end(&mut bits)
        .ok()?;
    let byte = bits.get(usize::try_from(position / 8).ok()?)?;
    Some(byte & (0x80 >> (position % 8)) != 0)
}

/// The signed `BitstringStatusListCredential` (VC-JWT) of list `list` of `profile`'s authority,
/// and its JSON.
pub async fn list_credential(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    profile: &IssuerProfile,
    list: i32,
) -> Result<(String, Value)> {
    let (positions, changed) = revoked(db, profile.authority_id, list).await?;
    let valid_from =
        changed.unwrap_or_else(|| Utc.timestamp_opt(0, 0).single().unwrap_or_default());
    let url = list_url(&profile.id, list);
    let credential = json!({
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": profile.id,
        "validFrom": valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(&positions),
        },
    });
    let mut claims = credential.clone();
    claims["iss"] = json!(profile.id);
    claims["jti"] = json!(url);
    claims["sub"] = json!(format!("{url}#list"));
    claims["nbf"] = json!(valid_from.timestamp());
    claims["iat"] = json!(valid_from.timestamp());
    let key = issuer
        .key_for(profile.algorithm)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no {} key", profile.algorithm)))?;
    let token = key.sign(
        "vc+jwt",
        &issuer.key_url(profile.authority_id, key.kid()),
        &claims,
    );
    Ok((token, credential))
}

/// Checks a status list credential (a VC-JWT) fetched for a credential whose issuer is
/// `issuer_id`: signed by a key of `jwks`, a revocation `BitstringStatusListCredential` of that
/// issuer, in force at `now`. Returns its `encodedList`.
pub fn verify_list(
    token: &str,
    jwks: &Jwks,
    issuer_id: &Value,
    now: DateTime<Utc>,
) -> std::result::Result<String, CredentialError> {
    let claims = keys::verify(token, jwks)?.claims;
    let is_list = claims["type"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| t == "BitstringStatusListCredential"));
    if !is_list {
        return Err(CredentialError::NotACredential(
            "it is not a BitstringStatusListCredential",
        ));
    }
    let issuer = claims["issuer"].get("id").unwrap_or(&claims["issuer"]);
    if issuer != issuer_id || claims.get("iss") != Some(issuer_id) {
        return Err(CredentialError::NotACredential(
            "the status list was not issued by the credential's issuer",
        ));
    }
    if let Some(until) = claims["exp"].as_i64()
        && now.timestamp() >= until
    {
        return Err(CredentialError::NotACredential(
            "the status list has expired",
        ));
    }
    let subject = &claims["credentialSubject"];
    if subject["statusPurpose"] != "revocation" {
        return Err(CredentialError::NotACredential(
            "the status list is not for revocation",
        ));
    }
    subject["encodedList"]
        .as_str()
        .map(str::to_owned)
        .ok_or(CredentialError::NotACredential(
            "the status list has no encodedList",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_never_collide_and_fill_one_list_before_the_next() {
        let mut seen = vec![false; LIST_SIZE as usize];
        for n in 0..u64::from(LIST_SIZE) {
            let entry = StatusEntry::nth(n);
            assert_eq!(entry.list, 0);
            let index = usize::try_from(entry.index).expect("non-negative");
            assert!(!seen[index], "position {index} handed out twice");
            seen[index] = true;
        }
        assert_eq!(StatusEntry::nth(u64::from(LIST_SIZE)).list, 1);
        assert_ne!(StatusEntry::nth(1).index, 1, "positions are scattered");
    }

    #[test]
    fn set_bits_read_back_and_others_stay_clear() {
        let encoded = encode_list(&[0, 7, 8, 131_071]);
        assert!(encoded.starts_with('u'));
        for (position, set) in [(0, true), (1, false), (7, true), (8, true), (9, false)] {
            assert_eq!(bit_is_set(&encoded, position), Some(set), "{position}");
        }
        assert_eq!(bit_is_set(&encoded, 131_071), Some(true));
        assert_eq!(bit_is_set(&encoded, 131_072), None);
        assert_eq!(bit_is_set("not multibase", 0), None);
    }
}
