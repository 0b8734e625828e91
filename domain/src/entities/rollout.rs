use sea_orm::entity::prelude::*;

/// A digital service or system going live in an org unit on a date, with the staff it affects
/// and what they need to be able to do by then.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The unit that plans it; its HR and ADMIN manage it.
    pub org_unit_id: Uuid,
    pub name: String,
    pub description: String,
    /// The system or service going live.
    pub service: String,
    /// The AI system from the register, where it is one.
    pub ai_system_id: Option<Uuid>,
    pub go_live_on: Date,
    /// Days before go-live by which training must be done.
    pub lead_time_days: i32,
    /// The percentage of affected staff that should be ready on go-live day.
    pub readiness_target: i32,
    /// Whether completing a rollout course that teaches a required competence counts as meeting
    /// it (else only a verified level does).
    pub ready_by_courses: bool,
    /// An assessment that proves the required levels, if there is one.
    pub assessment_id: Option<Uuid>,
    /// `draft`, `launched`, `live` or `closed`.
    pub status: String,
    pub created_by: Option<Uuid>,
    pub launched_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
