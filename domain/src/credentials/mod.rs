//! Verifiable credentials: the issuer's keys (RS256 and EdDSA) and their JWKS, each authority's
//! issuer profile, Open Badges 3.0 credentials in VC-JWT form, revocation status lists,
//! verification codes, and offline verification against a JWKS.
//!
//! `badge`, `code` and `keys` are pure; `issuer` keeps the keys in the database, `profile` the
//! authorities' profiles, `status` builds status lists from the certificates. When to issue,
//! and what is stored, is `crate::certificates`' business.

mod badge;
mod code;
mod issuer;
mod keys;
mod profile;
pub mod status;

pub use self::{
    badge::{
        Alignment, Badge, CredentialError, OB_CONTEXT, OB_SCHEMA, Subject, SystemAlignment,
        VC_CONTEXT, VerifiedCredential, credential_of, verify,
    },
    code::VerificationCode,
    issuer::{Issuer, IssuerSource, jwks, jwks_under},
    keys::{
        Algorithm, IssuerKey, Jwks, JwsError, KeyError, kid_thumbprint, stored_jwk, thumbprint,
    },
    profile::{IssuerProfile, ProfileUpdate, profile, profile_of_unit, update_profile},
    status::{StatusEntry, verify_list as verify_status_list},
};
