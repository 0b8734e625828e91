//! Verifiable credentials: the issuer's Ed25519 keys and their JWKS, Open Badges 3.0 credentials
//! in VC-JWT form, verification codes, and offline verification against a JWKS.
//!
//! `badge`, `code` and `jws` are pure; `issuer` keeps the keys in the database. When to issue,
//! and what is stored, is `crate::certificates`' business.

mod badge;
mod code;
mod issuer;
mod jws;

pub use self::{
    badge::{
        Alignment, Badge, CredentialError, OB_CONTEXT, VC_CONTEXT, VerifiedCredential,
        credential_of, verify,
    },
    code::VerificationCode,
    issuer::{Issuer, IssuerSource, jwks},
    jws::{IssuerKey, Jwk, Jwks, JwsError, KeyError, thumbprint},
};
