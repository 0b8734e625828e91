use sea_orm::entity::prelude::*;

/// Recertification of a template: its holders are assigned `course_id` again `days_before` days
/// before their certificate expires, due on the expiry date, once per certificate.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_recertifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub template_id: Uuid,
    pub days_before: i32,
    pub course_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
