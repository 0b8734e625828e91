use sea_orm::entity::prelude::*;

/// An authority's data-protection settings: retention periods, its reports' minimum group size
/// and how much of a person's results HR sees. A missing row means the defaults
/// ([`crate::privacy::policy`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privacy_policies")]
pub struct Model {
    /// The authority (a top-level unit).
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_unit_id: Uuid,
    /// Answers of an attempt are deleted this many months after it was scored.
    pub attempt_answers_months: i32,
    /// Self-assessed competence results are deleted this many months after they were given.
    pub self_assessments_months: i32,
    /// Audit events are deleted this many months after they happened.
    pub audit_events_months: i32,
    /// A disabled account is erased this many months after it was disabled.
    pub disabled_accounts_months: i32,
    /// Notifications are deleted this many months after they were made.
    pub notifications_months: i32,
    /// The reports' minimum group size; NULL: the platform's default.
    pub min_group_size: Option<i32>,
    /// Why the minimum group size is below 3 (required then, recorded).
    pub min_group_size_reason: Option<String>,
    /// `full` or `pass_fail`: what HR sees of a person's results.
    pub hr_person_view: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
