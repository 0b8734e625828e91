use sea_orm::entity::prelude::*;

/// A unit of background work on the durable queue.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What to do, e.g. `send_email`.
    pub kind: String,
    pub payload: Json,
    /// Enqueueing work with a key that is there already does nothing.
    pub unique_key: Option<String>,
    /// `queued`, `running`, `done` or `dead`.
    pub state: String,
    /// Not before then.
    pub run_at: DateTimeUtc,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    /// The worker running it, and since when.
    pub locked_by: Option<String>,
    pub locked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
