use sea_orm::entity::prelude::*;

/// One measure an AI system requires of one kind of use: a course to complete, a certificate to
/// hold, a minimum level in a competence, or its instructions acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_system_measures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ai_system_id: Uuid,
    /// The kind of use it applies to: `operator`, `oversight` or `affected_staff`.
    pub kind: String,
    /// Exactly one of: a course, a certificate template, a competence with `min_level`, or
    /// `instructions`.
    pub course_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub competence_id: Option<Uuid>,
    pub min_level: Option<i32>,
    pub instructions: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
