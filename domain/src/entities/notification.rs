use sea_orm::entity::prelude::*;

/// Something a person is told, in the app and by email, once per occasion.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// A UUIDv5 of the person and the occasion, so every replica that finds the occasion
    /// computes the same id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `assigned`, `due_soon`, `due_tomorrow`, `overdue`, `certificate_issued`,
    /// `certificate_expiring` or `certificate_revoked`.
    pub kind: String,
    /// What it is about and when, e.g. `overdue:<enrolment>:2`: unique per person.
    pub occasion: String,
    /// The facts the message names (`messages::Params`).
    pub params: Json,
    /// Whether the employer makes it mandatory (it cannot be switched off).
    pub mandatory: bool,
    /// `pending`, `sending`, `sent`, `skipped` (no SMTP, or switched off) or `failed`.
    pub email_state: String,
    /// The Message-ID its email is sent with, recorded before the first attempt.
    pub message_id: Option<String>,
    /// The secret in its email's unsubscribe link (random, hex), which turns off emails of its
    /// kind for its person.
    pub unsubscribe_token: String,
    pub emailed_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
