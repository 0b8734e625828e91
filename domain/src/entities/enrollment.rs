use sea_orm::entity::prelude::*;

/// How a learner came to take a course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EnrollmentSource {
    /// The learner chose it.
    #[sea_orm(string_value = "self_enrolled")]
    SelfEnrolled,
    /// HR assigned it: mandatory training.
    #[sea_orm(string_value = "assigned")]
    Assigned,
}

/// Where an enrolment is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EnrollmentStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "completed")]
    Completed,
    /// The learner left a course they chose.
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
    /// HR took back an assignment.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// A learner taking a course (at most one per learner and course).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollments")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: Uuid,
    pub source: EnrollmentSource,
    pub assigned_by: Option<Uuid>,
    pub due_at: Option<DateTimeUtc>,
    pub status: EnrollmentStatus,
    pub completed_at: Option<DateTimeUtc>,
    pub last_activity_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
