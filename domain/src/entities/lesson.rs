use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LessonKind {
    /// Markdown text.
    #[sea_orm(string_value = "text")]
    Text,
    #[sea_orm(string_value = "video")]
    Video,
    #[sea_orm(string_value = "link")]
    Link,
    #[sea_orm(string_value = "assessment")]
    Assessment,
}

/// An ordered step of a module.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lessons")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub module_id: Uuid,
    pub course_id: Uuid,
    pub title: String,
    pub kind: LessonKind,
    /// Markdown as the author wrote it (text lessons).
    pub body: Option<String>,
    /// http(s) URL (video and link lessons).
    pub url: Option<String>,
    pub assessment_id: Option<Uuid>,
    pub estimated_minutes: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
