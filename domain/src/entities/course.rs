use sea_orm::entity::prelude::*;

/// Where a course is in its life: drafts are edited, published ones taken, archived ones kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CourseStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "archived")]
    Archived,
}

/// Who may find and take a published course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Visibility {
    /// Staff of the owning unit's subtree.
    #[sea_orm(string_value = "org_unit")]
    OrgUnit,
    /// Everyone on the platform: the shared catalogue across authorities.
    #[sea_orm(string_value = "platform")]
    Platform,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    /// UUIDv7, so ids sort by creation time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    /// Title and summary folded for search (`search::fold`); written with them.
    pub search_text: String,
    /// BCP 47 language tag.
    pub language: String,
    pub status: CourseStatus,
    pub visibility: Visibility,
    pub owner_id: Uuid,
    pub org_unit_id: Uuid,
    pub version: i32,
    pub previous_version_id: Option<Uuid>,
    pub published_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
