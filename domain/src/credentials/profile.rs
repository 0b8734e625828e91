//! Issuer profiles: how an authority (a top-level unit) appears as the issuer of its
//! certificates. Each authority issues as itself, at its own profile URL
//! (`{public URL}/issuers/{authority id}`, the credentials' `issuer.id`), with its own name,
//! postal address and contact, and the signature algorithm it chose. Everyone may read a
//! profile (it is printed on every credential); the authority's `ADMIN` changes it, audited.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait as _, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel as _,
    Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Algorithm, Issuer};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::{issuer_profile, org_unit},
    org,
    types::Name,
};

/// An authority as the issuer of its certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerProfile {
    pub authority_id: Uuid,
    /// The profile's URL, the credentials' `issuer.id`.
    pub id: String,
    pub name: String,
    /// The postal address on one line, when one is set.
    pub address: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    /// What the authority chose; `None`: the platform's default.
    pub chosen_algorithm: Option<Algorithm>,
    /// What its credentials are signed with: the choice, else the platform's default.
    pub algorithm: Algorithm,
    /// Whether its AI register is public (`/issuers/{id}/ai-register.csv`).
    pub publishes_ai_register: bool,
    /// The authority's language (BCP 47), the default of its staff's notifications.
    pub language: Option<String>,
}

impl IssuerProfile {
    fn new(issuer: &Issuer, unit: &org_unit::Model, row: Option<issuer_profile::Model>) -> Self {
        let row = row.unwrap_or(issuer_profile::Model {
            org_unit_id: unit.id,
            name: None,
            street_address: None,
            postal_code: None,
            locality: None,
            country: None,
            email: None,
            url: None,
            algorithm: None,
            publishes_ai_register: false,
            language: None,
            next_status_index: 0,
            updated_at: unit.created_at,
        });
        let chosen_algorithm = row.algorithm.as_deref().and_then(Algorithm::parse);
        let locality_line = [row.postal_code.as_deref(), row.locality.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let address = [
            row.street_address.clone(),
            Some(locality_line).filter(|line| !line.is_empty()),
            row.country.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        Self {
            authority_id: unit.id,
            id: issuer.profile_url(unit.id),
            name: row.name.unwrap_or_else(|| unit.name.clone()),
            address: (!address.is_empty()).then(|| address.join(", ")),
            street_address: row.street_address,
            postal_code: row.postal_code,
            locality: row.locality,
            country: row.country,
            email: row.email,
            url: row.url,
            algorithm: chosen_algorithm
                .filter(|alg| issuer.key_for(*alg).is_some())
                .unwrap_or_else(|| issuer.default_algorithm()),
            chosen_algorithm,
            publishes_ai_register: row.publishes_ai_register,
            language: row.language,
        }
    }

    /// The Open Badges 3.0 `Profile`: what `issuer` says in a credential and what the profile
    /// URL serves.
    pub fn json(&self) -> Value {
        let mut profile = json!({
            "id": self.id,
            "type": ["Profile"],
            "name": self.name,
        });
        if let Some(url) = &self.url {
            profile["url"] = json!(url);
        }
        if let Some(email) = &self.email {
            profile["email"] = json!(email);
        }
        if self.address.is_some() {
            let mut address = json!({ "type": ["Address"] });
            for (key, value) in [
                ("streetAddress", &self.street_address),
                ("postalCode", &self.postal_code),
                ("addressLocality", &self.locality),
                ("addressCountryCode", &self.country),
            ] {
                if let Some(value) = value {
                    address[key] = json!(value);
                }
            }
            profile["address"] = address;
        }
        profile
    }
}

/// The profile of the authority `authority_id` (a top-level unit; `NotFound` otherwise).
pub async fn profile(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    authority_id: Uuid,
) -> Result<IssuerProfile> {
    let unit = org::find(db, authority_id).await?;
    if unit.parent_id.is_some() {
        return Err(Error::NotFound("issuer"));
    }
    let row = issuer_profile::Entity::find_by_id(unit.id).one(db).await?;
    Ok(IssuerProfile::new(issuer, &unit, row))
}

/// The profile of the authority that `org_unit_id` lies in.
pub async fn profile_of_unit(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    org_unit_id: Uuid,
) -> Result<IssuerProfile> {
    let unit = org::find(db, org_unit_id).await?;
    profile(db, issuer, org::authority_id(&unit.path)?).await
}

/// A change to a profile: every field is replaced (`None` clears an optional one).
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub name: String,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    /// `None`: the platform's default.
    pub algorithm: Option<Algorithm>,
    /// Whether to publish the authority's AI register.
    pub publishes_ai_register: bool,
    /// The authority's language (BCP 47), the default of its staff's notifications.
    pub language: Option<String>,
}

fn optional_text(value: Option<String>, field: &'static str, max: usize) -> Result<Option<String>> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("{field} must be one line of at most {max} characters"),
        ));
    }
    Ok(Some(value))
}

/// Replaces the profile of the authority `authority_id` (its `ADMIN`, or a platform one);
/// audited. The algorithm must be one the platform holds a key for.
pub async fn update_profile(
    db: &DatabaseConnection,
    actor: &Actor,
    issuer: &Issuer,
    authority_id: Uuid,
    update: ProfileUpdate,
) -> Result<IssuerProfile> {
    let unit = org::administered_authority(db, actor, authority_id, "an issuer profile").await?;
    let name = Name::parse(&update.name, "name")?.into_inner();
    let street_address = optional_text(update.street_address, "streetAddress", 200)?;
    let postal_code = optional_text(update.postal_code, "postalCode", 20)?;
    let locality = optional_text(update.locality, "locality", 100)?;
    let country = optional_text(update.country, "country", 2)?
        .map(|code| code.to_ascii_uppercase())
        .map(|code| {
            if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(code)
            } else {
                Err(Error::invalid(
                    "country",
                    "country must be a two-letter ISO 3166-1 code, such as DE",
                ))
            }
        })
        .transpose()?;
    let email = optional_text(update.email, "email", 320)?
        .map(|email| {
            email
                .parse::<email_address::EmailAddress>()
                .map(|parsed| parsed.as_str().to_owned())
                .map_err(|_| Error::invalid("email", "email is not an email address"))
        })
        .transpose()?;
    let url = optional_text(update.url, "url", 500)?
        .map(|raw| match url::Url::parse(&raw) {
            Ok(parsed) if parsed.scheme() == "https" && parsed.host().is_some() => {
                Ok(parsed.to_string())
            }
            _ => Err(Error::invalid(
                "url",
                "url must be an https:// address, such as https://ministry.example",
            )),
        })
        .transpose()?;
    if let Some(algorithm) = update.algorithm
        && issuer.key_for(algorithm).is_none()
    {
        return Err(Error::invalid(
            "algorithm",
            format!(
                "the platform has no {algorithm} signing key; its operator must configure one first"
            ),
        ));
    }
    let language = update
        .language
        .as_deref()
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(|tag| crate::accounts::parse_locale(tag, "language"))
        .transpose()?;
    let txn = crate::db::begin(db).await?;
    let before = issuer_profile::Entity::find_by_id(unit.id)
        .one(&txn)
        .await?;
    let model = issuer_profile::Model {
        org_unit_id: unit.id,
        name: Some(name),
        street_address,
        postal_code,
        locality,
        country,
        email,
        url,
        algorithm: update.algorithm.map(|alg| alg.as_str().to_owned()),
        publishes_ai_register: update.publishes_ai_register,
        language,
        next_status_index: before.as_ref().map_or(0, |row| row.next_status_index),
        updated_at: Utc::now(),
    };
    let saved = if before.is_some() {
        let mut active = model.into_active_model().reset_all();
        active.next_status_index = sea_orm::ActiveValue::NotSet;
        active.update(&txn).await?
    } else {
        issuer_profile::ActiveModel {
            next_status_index: Set(0),
            ..model.into_active_model()
        }
        .insert(&txn)
        .await?
    };
    let profile = IssuerProfile::new(issuer, &unit, Some(saved));
    audit::record(
        &txn,
        Some(actor.id()),
        "issuer_profile.updated",
        Target::OrgUnit(unit.id),
        json!({
            "name": profile.name,
            "address": profile.address,
            "email": profile.email,
            "url": profile.url,
            "algorithm": profile.chosen_algorithm.map(Algorithm::as_str),
            "publishesAiRegister": profile.publishes_ai_register,
            "language": profile.language,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(profile)
}
