//! The holder's name on each certificate, as the credential attests it.
//!
//! A certificate says who it was issued to, and a later rename of the account must not change
//! that: the verification paths show this column, never the account's current display name.
//!
//! Existing rows are filled from the name inside each stored credential (the VC-JWT's
//! `vc.credentialSubject.identifier` of `identityType` "name"), which is what the signed
//! credential says. Only a row whose credential cannot be read that way (none are expected:
//! every credential this service stored has that shape) falls back to the holder's current
//! display name, the best there is.

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
        // below replaces the default in every row, and issuance always sets the name.
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(string_len(Certificates::HolderName, 200).default(""))
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
            let Some(name) = attested_name(&credential) else {
                continue;
            };
            db.execute(
                Query::update()
                    .table(Certificates::Table)
                    .value(Certificates::HolderName, name)
                    .and_where(Expr::col(Certificates::Id).eq(id)),
            )
            .await?;
        }
        // The fallback, for any credential that did not say a name.
        db.execute(
            Query::update()
                .table(Certificates::Table)
                .value(
                    Certificates::HolderName,
                    SimpleExpr::SubQuery(
                        None,
                        Box::new(
                            Query::select()
                                .column(Users::DisplayName)
                                .from(Users::Table)
                                .and_where(
                                    Expr::col((Users::Table, Users::Id))
                                        .equals((Certificates::Table, Certificates::UserId)),
                                )
                                .to_owned()
                                .into_sub_query_statement(),
                        ),
                    ),
                )
                .and_where(Expr::col(Certificates::HolderName).eq("")),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .drop_column(Certificates::HolderName)
                    .to_owned(),
            )
            .await
    }
}

/// The holder's name a VC-JWT attests, read without verifying the signature (the token is one
/// this service signed and stored): the `identityHash` of the subject's identifier whose
/// `identityType` is "name" (the name is stored unhashed).
fn attested_name(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims["vc"]["credentialSubject"]["identifier"]
        .as_array()?
        .iter()
        .find(|identifier| identifier["identityType"] == "name")?["identityHash"]
        .as_str()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    UserId,
    Credential,
    HolderName,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DisplayName,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attested_name_is_read_from_the_credential() {
        let claims = serde_json::json!({
            "vc": { "credentialSubject": { "identifier": [
                { "type": "IdentityObject", "identityType": "name", "hashed": false, "identityHash": "Lena Learner" }
            ] } }
        });
        let token = format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"))
        );
        assert_eq!(attested_name(&token).as_deref(), Some("Lena Learner"));
        assert_eq!(attested_name("not a token"), None);
        assert_eq!(attested_name("a.e30.c"), None);
    }

    /// A credential whose subject is named `name`, as the service signs them (the signature
    /// is not read).
    fn token(name: &str) -> String {
        let claims = serde_json::json!({ "vc": { "credentialSubject": { "identifier": [
            { "type": "IdentityObject", "identityType": "name", "hashed": false, "identityHash": name }
        ] } } });
        format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"))
        )
    }

    #[tokio::test]
    async fn existing_certificates_get_the_name_their_credential_attests() {
        use crate::{
            Migrator, MigratorTrait as _,
            test_support::{fresh_database, holder_and_template},
        };

        let db = fresh_database().await;
        Migrator::up(&db, Some(7)).await.expect("migrated to 7");
        let now = chrono::Utc::now();
        let (user, template) = holder_and_template(&db, "Lena Renamed").await;
        // One certificate whose credential names the holder, one whose credential does not.
        let (named, unreadable) = (Uuid::now_v7(), Uuid::now_v7());
        for (id, sequence, credential) in [
            (named, 1, token("Lena Learner")),
            (unreadable, 2, "garbled".to_owned()),
        ] {
            let insert = Query::insert()
                .into_table(Alias::new("certificates"))
                .columns(
                    [
                        "id",
                        "template_id",
                        "user_id",
                        "sequence",
                        "code",
                        "issued_at",
                        "credential",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    id.into(),
                    template.into(),
                    user.into(),
                    sequence.into(),
                    format!("CODE{sequence}").into(),
                    now.into(),
                    credential.into(),
                ])
                .to_owned();
            db.execute(&insert).await.expect("a certificate");
        }

        Migrator::up(&db, None).await.expect("migrated");

        for (id, expected) in [(named, "Lena Learner"), (unreadable, "Lena Renamed")] {
            let row = db
                .query_one(
                    Query::select()
                        .column(Certificates::HolderName)
                        .from(Certificates::Table)
                        .and_where(Expr::col(Certificates::Id).eq(id)),
                )
                .await
                .expect("read")
                .expect("the row");
            let name: String = row.try_get("", "holder_name").expect("a name");
            assert_eq!(name, expected);
        }
    }
}
