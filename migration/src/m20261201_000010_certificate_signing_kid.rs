//! Which key signed each certificate, and why a revoked one was revoked.
//!
//! `certificates.signing_kid` is the key id (`kid`) in the JWS header of the stored credential,
//! written at issuance from the key that signs it. It exists so that an operator can find every
//! certificate a compromised key signed with one indexed `SELECT .. WHERE signing_kid = ..`,
//! instead of decoding every credential ever issued while the service is answering requests.
//! Existing rows are filled here from the header of their credential, which is what the
//! signature was made with; a row whose credential cannot be read that way (none are expected:
//! every credential this service stored is a compact JWS it signed) keeps the empty default
//! and is found by no key id.
//!
//! `certificates.revocation_kind` says why a revoked certificate was revoked: `withdrawn` (an
//! administrator took it back: a renewal needs fresh evidence) or `key_compromise` (the key that
//! signed it was compromised: not the holder's fault, so it is re-issued without fresh
//! evidence). Existing revoked rows were all withdrawn by an administrator; others stay NULL.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm_migration::{prelude::*, schema::*};
use serde_json::Value;
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // NOT NULL with a default, which SQLite can add to a table with rows; the backfill
        // below replaces the default in every readable row, and issuance always sets the kid.
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(string_len(Certificates::SigningKid, 64).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(string_len_null(Certificates::RevocationKind, 16))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let rows = db
            .query_all(
                Query::select()
                    .columns([Certificates::Id, Certificates::Credential])
                    .from(Certificates::Table),
            )
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let credential: String = row.try_get("", "credential")?;
            let Some(kid) = header_kid(&credential) else {
                continue;
            };
            db.execute(
                Query::update()
                    .table(Certificates::Table)
                    .value(Certificates::SigningKid, kid)
                    .and_where(Expr::col(Certificates::Id).eq(id)),
            )
            .await?;
        }
        db.execute(
            Query::update()
                .table(Certificates::Table)
                .value(Certificates::RevocationKind, "withdrawn")
                .and_where(Expr::col(Certificates::RevokedAt).is_not_null()),
        )
        .await?;
        // Created after the backfill, so the index is built once rather than updated per row.
        manager
            .create_index(
                Index::create()
                    .name("ix_certificates_signing_kid")
                    .table(Certificates::Table)
                    .col(Certificates::SigningKid)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_certificates_signing_kid")
                    .table(Certificates::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Certificates::RevocationKind, Certificates::SigningKid] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Certificates::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The `kid` of a compact JWS's protected header, read without verifying the signature (the
/// token is one this service signed and stored).
fn header_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header["kid"]
        .as_str()
        .filter(|kid| !kid.is_empty())
        .map(str::to_owned)
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Credential,
    RevokedAt,
    SigningKid,
    RevocationKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &Value) -> String {
        format!(
            "{}.e30.sig",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).expect("json"))
        )
    }

    #[test]
    fn the_kid_is_read_from_the_protected_header() {
        let signed = token(&serde_json::json!({ "alg": "EdDSA", "kid": "abc", "typ": "vc+jwt" }));
        assert_eq!(header_kid(&signed).as_deref(), Some("abc"));
        assert_eq!(
            header_kid(&token(&serde_json::json!({ "alg": "EdDSA" }))),
            None
        );
        assert_eq!(header_kid(&token(&serde_json::json!({ "kid": "" }))), None);
        assert_eq!(header_kid("not a token"), None);
        assert_eq!(header_kid(""), None);
    }

    #[tokio::test]
    async fn existing_certificates_get_the_kid_of_their_credential_and_revoked_ones_a_kind() {
        use crate::{
            Migrator, MigratorTrait as _,
            test_support::{fresh_database, holder_and_template},
        };

        let db = fresh_database().await;
        Migrator::up(&db, Some(9)).await.expect("migrated to 9");
        let now = chrono::Utc::now();
        let (user, template) = holder_and_template(&db, "Lena").await;
        // A valid certificate, a revoked one, and one whose credential cannot be read.
        let (valid, revoked, unreadable) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let signed =
            token(&serde_json::json!({ "alg": "EdDSA", "kid": "old-key", "typ": "vc+jwt" }));
        for (id, sequence, credential, revoked_at) in [
            (valid, 1, signed.clone(), None),
            (revoked, 2, signed, Some(now)),
            (unreadable, 3, "garbled".to_owned(), None),
        ] {
            let insert = Query::insert()
                .into_table(Alias::new("certificates"))
                .columns(
                    [
                        "id",
                        "template_id",
                        "user_id",
                        "holder_name",
                        "sequence",
                        "code",
                        "issued_at",
                        "revoked_at",
                        "credential",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    id.into(),
                    template.into(),
                    user.into(),
                    "Lena".into(),
                    sequence.into(),
                    format!("CODE{sequence}").into(),
                    now.into(),
                    revoked_at.into(),
                    credential.into(),
                ])
                .to_owned();
            db.execute(&insert).await.expect("a certificate");
        }

        Migrator::up(&db, None).await.expect("migrated");

        for (id, kid, kind) in [
            (valid, "old-key", None),
            (revoked, "old-key", Some("withdrawn")),
            (unreadable, "", None),
        ] {
            let row = db
                .query_one(
                    Query::select()
                        .columns([Certificates::SigningKid, Certificates::RevocationKind])
                        .from(Certificates::Table)
                        .and_where(Expr::col(Certificates::Id).eq(id)),
                )
                .await
                .expect("read")
                .expect("the row");
            let stored: String = row.try_get("", "signing_kid").expect("a kid");
            let stored_kind: Option<String> = row.try_get("", "revocation_kind").expect("a kind");
            assert_eq!(stored, kid);
            assert_eq!(stored_kind.as_deref(), kind);
        }
    }
}
