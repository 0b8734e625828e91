//! Signing in with an authority's OpenID Connect provider: the providers an administrator
//! configures, what a sign-in form offers for an email (`sign_in_options`), and who a verified
//! sign-in is (`resolve_sign_in`). The protocol itself (discovery, the code flow, ID-token
//! validation) is the API's, with the `openidconnect` crate; the domain decides on claims that
//! are already verified.
//!
//! Rules:
//! - An authority's `ADMIN` (or a platform `ADMIN`) configures providers for that authority, a
//!   top-level org unit. The client secret is sealed with the configured key
//!   ([`SecretSealer`]: XChaCha20-Poly1305 under [`SecretKey`], bound to the provider's id) and
//!   never shown again.
//! - People are linked by (provider, subject), never by email alone. At a first sign-in an
//!   existing account is linked only when the provider verified the email and its domain is
//!   one the provider is authoritative for (and the account belongs to that authority);
//!   otherwise an account is created in the mapped org unit if the provider allows it; else the
//!   sign-in is refused with whom to ask. A disabled account cannot sign in this way either.
//! - An email domain belongs to one provider at most, so `sign_in_options` is decided from the
//!   domain alone and says nothing about whether an account exists.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    DbResultExt as _, Error, Result, accounts,
    audit::{self, Target},
    auth::Actor,
    entities::{
        identity_provider, job_role,
        user::{self, UserStatus},
        user_identity, user_job_role,
    },
    org,
    types::{Email, Name, Role},
};

/// The key client secrets are sealed with: 32 bytes, given base64-encoded in configuration.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// Reads a base64-encoded 32-byte key.
    pub fn parse(encoded: &str) -> std::result::Result<Self, String> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| "the key is not base64".to_owned())?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| format!("the key must be 32 bytes, not {}", bytes.len()))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }
}

const SEALED: &str = "v1:";
const PLAIN: &str = "plain:";

/// How providers' client secrets are kept: sealed with the key (XChaCha20-Poly1305, bound to the
/// provider's id); without a key, as given, which only development allows.
#[derive(Clone, Debug)]
pub struct SecretSealer {
    key: Option<SecretKey>,
    key_required: bool,
}

impl SecretSealer {
    /// `key_required`: refuse to store a secret without a key (production).
    pub fn new(key: Option<SecretKey>, key_required: bool) -> Self {
        Self { key, key_required }
    }

    /// Seals `secret` for the provider `id`.
    fn seal(&self, id: Uuid, secret: &str) -> Result<String> {
        let Some(key) = &self.key else {
            if self.key_required {
                return Err(Error::invalid(
                    "clientSecret",
                    "client secrets are stored encrypted in production: set \
                     GOVSKILLS_SECRET_KEY first",
                ));
            }
            return Ok(format!("{PLAIN}{secret}"));
        };
        let mut nonce = [0_u8; 24];
        getrandom::fill(&mut nonce).map_err(|err| Error::Internal(anyhow::anyhow!("{err}")))?;
        let sealed = key
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal(anyhow::anyhow!("sealing a client secret failed")))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(format!("{SEALED}{}", STANDARD.encode(stored)))
    }

    /// The client secret of `provider`, unsealed.
    pub fn open(&self, provider: &identity_provider::Model) -> Result<String> {
        let stored = &provider.client_secret;
        if let Some(plain) = stored.strip_prefix(PLAIN) {
            return Ok(plain.to_owned());
        }
        let broken = |why: &str| {
            Error::Internal(anyhow::anyhow!(
                "the client secret of identity provider {} cannot be read: {why}",
                provider.id
            ))
        };
        let encoded = stored
            .strip_prefix(SEALED)
            .ok_or_else(|| broken("unknown format"))?;
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| broken("no key is configured (GOVSKILLS_SECRET_KEY)"))?;
        let bytes = STANDARD.decode(encoded).map_err(|_| broken("not base64"))?;
        let (nonce, sealed) = bytes
            .split_at_checked(24)
            .ok_or_else(|| broken("too short"))?;
        let nonce = XNonce::try_from(nonce).map_err(|_| broken("bad nonce"))?;
        let plain = key
            .cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: provider.id.as_bytes(),
                },
            )
            .map_err(|_| broken("wrong key, or altered"))?;
        String::from_utf8(plain).map_err(|_| broken("not UTF-8"))
    }
}

/// What configures a provider.
#[derive(Clone, Debug)]
pub struct ProviderInput {
    pub name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Extra scopes beside `openid` (which is always asked for).
    pub scopes: Vec<String>,
    pub email_domains: Vec<String>,
    pub create_accounts: bool,
    pub org_unit_claim: Option<String>,
    pub job_role_claim: Option<String>,
    pub password_sign_in: bool,
}

/// Changes to a provider; `None` leaves a field as it is (a claim: `Some(None)` clears it).
#[derive(Clone, Debug, Default)]
pub struct ProviderUpdate {
    pub name: Option<String>,
    pub issuer_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub email_domains: Option<Vec<String>>,
    pub create_accounts: Option<bool>,
    pub org_unit_claim: Option<Option<String>>,
    pub job_role_claim: Option<Option<String>>,
    pub password_sign_in: Option<bool>,
}

/// Where a provider may live: `https://`, or `http://` on a loopback address (a provider on
/// the same machine, in development and tests).
fn parse_issuer(raw: &str) -> Result<String> {
    let invalid = || {
        Error::invalid(
            "issuerUrl",
            "issuerUrl must be an https:// URL (http:// only on a loopback address), without \
             query or fragment",
        )
    };
    let url = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty()
    {
        return Err(invalid());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn parse_text(raw: &str, field: &'static str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("{field} must be 1 to {max} characters, without control characters"),
        ));
    }
    Ok(text.to_owned())
}

fn parse_scopes(scopes: &[String]) -> Result<String> {
    let mut all = vec!["openid".to_owned()];
    for scope in scopes {
        let scope = scope.trim();
        if scope.is_empty()
            || scope.len() > 100
            || !scope
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        {
            return Err(Error::invalid(
                "scopes",
                "a scope is 1 to 100 visible ASCII characters, without quotes or backslashes",
            ));
        }
        if !all.iter().any(|known| known == scope) {
            all.push(scope.to_owned());
        }
    }
    Ok(all.join(" "))
}

fn parse_domains(domains: &[String]) -> Result<Vec<String>> {
    let mut parsed = Vec::new();
    for domain in domains {
        let domain = domain.trim().trim_start_matches('@').to_lowercase();
        let valid = domain.contains('.')
            && domain.len() <= 253
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(Error::invalid(
                "emailDomains",
                format!("{domain:?} is not a domain name such as stadt.example"),
            ));
        }
        if !parsed.contains(&domain) {
            parsed.push(domain);
        }
    }
    Ok(parsed)
}

fn parse_claim(raw: Option<&str>, field: &'static str) -> Result<Option<String>> {
    raw.map(|claim| {
        let claim = claim.trim();
        if claim.is_empty()
            || claim.len() > 100
            || !claim
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-:.".contains(c))
        {
            Err(Error::invalid(
                field,
                format!("{field} is a claim name: 1 to 100 letters, digits, '_', '-', ':' or '.'"),
            ))
        } else {
            Ok(claim.to_owned())
        }
    })
    .transpose()
}

fn domains_of(provider: &identity_provider::Model) -> Vec<String> {
    serde_json::from_value(provider.email_domains.clone()).unwrap_or_default()
}

/// Refuses a domain another provider is authoritative for already.
async fn ensure_domains_free(
    db: &impl ConnectionTrait,
    domains: &[String],
    except: Option<Uuid>,
) -> Result<()> {
    for other in identity_provider::Entity::find().all(db).await? {
        if Some(other.id) == except {
            continue;
        }
        if let Some(taken) = domains_of(&other).into_iter().find(|d| domains.contains(d)) {
            return Err(Error::Conflict {
                field: "emailDomains",
                message: format!("{taken} already signs in through another identity provider"),
            });
        }
    }
    Ok(())
}

/// Configures a provider for an authority.
pub async fn create_provider(
    db: &DatabaseConnection,
    actor: &Actor,
    sealer: &SecretSealer,
    org_unit_id: Uuid,
    input: ProviderInput,
) -> Result<identity_provider::Model> {
    let authority =
        org::administered_authority(db, actor, org_unit_id, "an identity provider").await?;
    let name = Name::parse(&input.name, "name")?.into_inner();
    let issuer_url = parse_issuer(&input.issuer_url)?;
    let client_id = parse_text(&input.client_id, "clientId", 500)?;
    let secret = parse_text(&input.client_secret, "clientSecret", 2000)?;
    let scopes = parse_scopes(&input.scopes)?;
    let domains = parse_domains(&input.email_domains)?;
    let org_unit_claim = parse_claim(input.org_unit_claim.as_deref(), "orgUnitClaim")?;
    let job_role_claim = parse_claim(input.job_role_claim.as_deref(), "jobRoleClaim")?;
    let id = Uuid::now_v7();
    let client_secret = sealer.seal(id, &secret)?;
    let txn = crate::db::begin(db).await?;
    ensure_domains_free(&txn, &domains, None).await?;
    let now = Utc::now();
    let provider = identity_provider::ActiveModel {
        id: Set(id),
        org_unit_id: Set(authority.id),
        name: Set(name),
        issuer_url: Set(issuer_url),
        client_id: Set(client_id),
        client_secret: Set(client_secret),
        scopes: Set(scopes),
        email_domains: Set(json!(domains)),
        create_accounts: Set(input.create_accounts),
        org_unit_claim: Set(org_unit_claim),
        job_role_claim: Set(job_role_claim),
        password_sign_in: Set(input.password_sign_in),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .on_unique_violation(
        "name",
        "the authority has an identity provider of this name already",
    )?;
    audit::record(
        &txn,
        Some(actor.id()),
        "identity_provider.created",
        Target::OrgUnit(authority.id),
        json!({ "providerId": id, "issuerUrl": provider.issuer_url, "emailDomains": domains }),
    )
    .await?;
    txn.commit().await?;
    Ok(provider)
}

/// Changes a provider of an authority the actor administers.
pub async fn update_provider(
    db: &DatabaseConnection,
    actor: &Actor,
    sealer: &SecretSealer,
    id: Uuid,
    update: ProviderUpdate,
) -> Result<identity_provider::Model> {
    actor.require_role(Role::Admin)?;
    let provider = identity_provider::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("identity provider"))?;
    let authority = org::find(db, provider.org_unit_id).await?;
    if !actor.covers(Role::Admin, &authority.path) {
        return Err(Error::NotFound("identity provider"));
    }
    let mut changed = identity_provider::ActiveModel {
        id: Set(id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let mut fields = Vec::new();
    if let Some(name) = update.name {
        changed.name = Set(Name::parse(&name, "name")?.into_inner());
        fields.push("name");
    }
    if let Some(issuer) = update.issuer_url {
        changed.issuer_url = Set(parse_issuer(&issuer)?);
        fields.push("issuerUrl");
    }
    if let Some(client_id) = update.client_id {
        changed.client_id = Set(parse_text(&client_id, "clientId", 500)?);
        fields.push("clientId");
    }
    if let Some(secret) = update.client_secret {
        let secret = parse_text(&secret, "clientSecret", 2000)?;
        changed.client_secret = Set(sealer.seal(id, &secret)?);
        fields.push("clientSecret");
    }
    if let Some(scopes) = update.scopes {
        changed.scopes = Set(parse_scopes(&scopes)?);
        fields.push("scopes");
    }
    let domains = update
        .email_domains
        .map(|domains| parse_domains(&domains))
        .transpose()?;
    if let Some(domains) = &domains {
        changed.email_domains = Set(json!(domains));
        fields.push("emailDomains");
    }
    if let Some(create) = update.create_accounts {
        changed.create_accounts = Set(create);
        fields.push("createAccounts");
    }
    if let Some(claim) = update.org_unit_claim {
        changed.org_unit_claim = Set(parse_claim(claim.as_deref(), "orgUnitClaim")?);
        fields.push("orgUnitClaim");
    }
    if let Some(claim) = update.job_role_claim {
        changed.job_role_claim = Set(parse_claim(claim.as_deref(), "jobRoleClaim")?);
        fields.push("jobRoleClaim");
    }
    if let Some(allowed) = update.password_sign_in {
        changed.password_sign_in = Set(allowed);
        fields.push("passwordSignIn");
    }
    let txn = crate::db::begin(db).await?;
    if let Some(domains) = &domains {
        ensure_domains_free(&txn, domains, Some(id)).await?;
    }
    let updated = changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "identity_provider.updated",
        Target::OrgUnit(authority.id),
        json!({ "providerId": id, "changed": fields }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The providers of the authorities the actor administers (a platform `ADMIN`: all), by name.
pub async fn providers(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<identity_provider::Model>> {
    actor.require_role(Role::Admin)?;
    let all = identity_provider::Entity::find()
        .order_by_asc(identity_provider::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = all.iter().map(|p| p.org_unit_id).collect();
    let units = org::find_many(db, &ids).await?;
    Ok(all
        .into_iter()
        .filter(|provider| {
            units
                .iter()
                .find(|unit| unit.id == provider.org_unit_id)
                .is_some_and(|unit| actor.covers(Role::Admin, &unit.path))
        })
        .collect())
}

/// A provider by id, for the sign-in routes.
pub async fn find_provider(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<identity_provider::Model> {
    identity_provider::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("identity provider"))
}

/// The provider `user_id` last signed in through, if any.
pub async fn last_used_provider(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<identity_provider::Model>> {
    let Some(identity) = user_identity::Entity::find()
        .filter(user_identity::Column::UserId.eq(user_id))
        .order_by_desc(user_identity::Column::LastSignInAt)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(identity_provider::Entity::find_by_id(identity.provider_id)
        .one(db)
        .await?)
}

/// What a sign-in form offers for an email.
#[derive(Debug)]
pub struct SignInOptions {
    pub password_allowed: bool,
    pub providers: Vec<identity_provider::Model>,
}

/// Decided from the email's domain alone: the provider authoritative for it, and whether that
/// provider's authority still allows passwords. Nothing here depends on whether an account
/// exists.
pub async fn sign_in_options(db: &impl ConnectionTrait, email: &str) -> Result<SignInOptions> {
    let domain = email
        .trim()
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_lowercase())
        .unwrap_or_default();
    let providers: Vec<_> = identity_provider::Entity::find()
        .order_by_asc(identity_provider::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|provider| domains_of(provider).contains(&domain))
        .collect();
    Ok(SignInOptions {
        password_allowed: providers.iter().all(|provider| provider.password_sign_in),
        providers,
    })
}

/// Whether `user` may still sign in with a password: not when a provider of their authority
/// turned password sign-in off.
pub async fn password_allowed(db: &impl ConnectionTrait, user: &user::Model) -> Result<bool> {
    let unit = org::find(db, user.org_unit_id).await?;
    let authority_ids = org::ids_on_path(&unit.path);
    let Some(authority) = authority_ids.first() else {
        return Ok(true);
    };
    let refusing = identity_provider::Entity::find()
        .filter(identity_provider::Column::OrgUnitId.eq(*authority))
        .filter(identity_provider::Column::PasswordSignIn.eq(false))
        .one(db)
        .await?;
    Ok(refusing.is_none())
}

/// What a verified ID token (and the user info) says about the person.
#[derive(Clone, Debug, Default)]
pub struct SignInClaims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// The value of the provider's org-unit claim, if it has one.
    pub org_unit: Option<String>,
    /// The value of the provider's job-role claim, if it has one.
    pub job_role: Option<String>,
}

/// The account a verified sign-in through `provider` belongs to (linking or creating it at the
/// first sign-in, see the module's rules), or why there is none.
pub async fn resolve_sign_in(
    db: &DatabaseConnection,
    provider: &identity_provider::Model,
    claims: &SignInClaims,
) -> Result<user::Model> {
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let linked = user_identity::Entity::find()
        .filter(user_identity::Column::ProviderId.eq(provider.id))
        .filter(user_identity::Column::Subject.eq(claims.subject.as_str()))
        .one(&txn)
        .await?;
    let user = if let Some(linked) = linked {
        let user = user::Entity::find_by_id(linked.user_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("user"))?;
        user_identity::ActiveModel {
            id: Set(linked.id),
            last_sign_in_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        user
    } else {
        let user = first_sign_in(&txn, provider, claims).await?;
        user_identity::ActiveModel {
            id: Set(Uuid::now_v7()),
            provider_id: Set(provider.id),
            subject: Set(claims.subject.clone()),
            user_id: Set(user.id),
            created_at: Set(now),
            last_sign_in_at: Set(now),
        }
        .insert(&txn)
        .await?;
        user
    };
    if user.status != UserStatus::Active {
        return Err(Error::forbidden(
            "your GovSkills account is disabled; ask your authority's GovSkills administrator",
        ));
    }
    txn.commit().await?;
    Ok(user)
}

const ASK_ADMIN: &str = "no GovSkills account belongs to this sign-in; ask your authority's \
                         GovSkills administrator to open one for you";

/// Links or creates the account of someone signing in through `provider` for the first time.
async fn first_sign_in(
    txn: &impl ConnectionTrait,
    provider: &identity_provider::Model,
    claims: &SignInClaims,
) -> Result<user::Model> {
    let authority = org::find(txn, provider.org_unit_id).await?;
    let email = claims
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .ok()
        .flatten();
    let authoritative = email.as_ref().is_some_and(|email| {
        claims.email_verified
            && email
                .as_str()
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domains_of(provider).iter().any(|d| d == domain))
    });
    let existing = match &email {
        Some(email) => accounts::find_by_email(txn, email).await?,
        None => None,
    };
    if let Some(existing) = existing {
        let unit = org::find(txn, existing.org_unit_id).await?;
        if authoritative && unit.path.starts_with(&authority.path) {
            audit::record(
                txn,
                None,
                "user.identity_linked",
                Target::User(existing.id),
                json!({ "providerId": provider.id, "subject": claims.subject }),
            )
            .await?;
            return Ok(existing);
        }
        return Err(Error::forbidden(ASK_ADMIN));
    }
    let Some(email) = email.filter(|_| provider.create_accounts && claims.email_verified) else {
        return Err(Error::forbidden(ASK_ADMIN));
    };
    let unit = match &claims.org_unit {
        Some(external_id) => org::find_by_external_id(txn, &authority.path, external_id)
            .await?
            .unwrap_or(authority),
        None => authority,
    };
    let display_name = claims
        .name
        .as_deref()
        .and_then(|name| Name::parse(name, "name").ok())
        .map_or_else(|| Name::parse(email.as_str(), "name"), Ok)?;
    let user = accounts::insert_user(txn, email, display_name, String::new(), unit.id).await?;
    let job_role = match &claims.job_role {
        Some(name) => job_role_named(txn, name, &unit.path).await?,
        None => None,
    };
    if let Some(job_role) = &job_role {
        user_job_role::ActiveModel {
            user_id: Set(user.id),
            job_role_id: Set(job_role.id),
            assigned_at: Set(Utc::now()),
            assigned_by: Set(None),
        }
        .insert(txn)
        .await?;
        // Dealing with the AI systems the job role is linked to: their required courses.
        crate::ai_register::on_job_role_assigned(txn, None, user.id, job_role.id, Utc::now())
            .await?;
        crate::rollouts::on_staff_changed(txn, None, user.id, Utc::now()).await?;
    }
    audit::record(
        txn,
        None,
        "user.created_at_sign_in",
        Target::User(user.id),
        json!({ "providerId": provider.id, "subject": claims.subject, "orgUnitId": unit.id,
            "jobRoleId": job_role.map(|role| role.id) }),
    )
    .await?;
    Ok(user)
}

/// The job role called `name` that applies to staff of the unit at `unit_path` (platform-wide,
/// or held at that unit or one above it); the nearest one if several do.
async fn job_role_named(
    db: &impl ConnectionTrait,
    name: &str,
    unit_path: &str,
) -> Result<Option<job_role::Model>> {
    let named = job_role::Entity::find()
        .filter(job_role::Column::Name.eq(name.trim()))
        .all(db)
        .await?;
    let unit_ids: Vec<Uuid> = named.iter().filter_map(|role| role.org_unit_id).collect();
    let units = org::find_many(db, &unit_ids).await?;
    let depth_of = |role: &job_role::Model| match role.org_unit_id {
        None => Some(0),
        Some(id) => units
            .iter()
            .find(|unit| unit.id == id && unit_path.starts_with(&unit.path))
            .map(|unit| unit.path.len()),
    };
    Ok(named
        .into_iter()
        .filter_map(|role| depth_of(&role).map(|depth| (depth, role)))
        .max_by_key(|(depth, _)| *depth)
        .map(|(_, role)| role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: Uuid, client_secret: String) -> identity_provider::Model {
        let now = Utc::now();
        identity_provider::Model {
            id,
            org_unit_id: Uuid::now_v7(),
            name: "Provider".into(),
            issuer_url: "https://login.example".into(),
            client_id: "client".into(),
            client_secret,
            scopes: "openid".into(),
            email_domains: json!([]),
            create_accounts: false,
            org_unit_claim: None,
            job_role_claim: None,
            password_sign_in: true,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_provider() {
        let key = SecretKey::parse(&STANDARD.encode([7_u8; 32])).expect("a key");
        let other = SecretKey::parse(&STANDARD.encode([8_u8; 32])).expect("a key");
        let id = Uuid::now_v7();
        let sealer = |key: Option<&SecretKey>| SecretSealer::new(key.cloned(), false);
        let sealed = sealer(Some(&key)).seal(id, "s3cret").expect("sealed");
        assert!(!sealed.contains("s3cret"));
        assert_eq!(
            sealer(Some(&key))
                .open(&provider(id, sealed.clone()))
                .expect("opened"),
            "s3cret"
        );
        assert!(
            sealer(Some(&other))
                .open(&provider(id, sealed.clone()))
                .is_err()
        );
        assert!(sealer(None).open(&provider(id, sealed.clone())).is_err());
        // Copied onto another provider's row, it does not open.
        assert!(
            sealer(Some(&key))
                .open(&provider(Uuid::now_v7(), sealed))
                .is_err()
        );
        // Without a key (development) the secret is kept as given...
        let plain = sealer(None).seal(id, "s3cret").expect("kept");
        assert_eq!(
            sealer(None).open(&provider(id, plain)).expect("read"),
            "s3cret"
        );
        // ...which production refuses.
        assert!(SecretSealer::new(None, true).seal(id, "s3cret").is_err());
    }

    #[test]
    fn keys_and_issuers_are_checked() {
        assert!(SecretKey::parse("not base64!").is_err());
        assert!(SecretKey::parse(&STANDARD.encode([1_u8; 16])).is_err());
        assert_eq!(
            parse_issuer("https://login.example/tenant/")
                .ok()
                .as_deref(),
            Some("https://login.example/tenant")
        );
        assert!(parse_issuer("http://127.0.0.1:4000").is_ok());
        for bad in [
            "http://login.example",
            "ftp://x.example",
            "https://x.example/?a=1",
            "x",
        ] {
            assert!(parse_issuer(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_scopes(&["email".into(), "openid".into()])
                .ok()
                .as_deref(),
            Some("openid email")
        );
    }
}
