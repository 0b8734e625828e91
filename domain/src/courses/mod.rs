//! Courses: authoring (drafts, versions, modules, lessons, competence targets, co-authors) and
//! the catalogue.
//!
//! Who may do what:
//! - A `TRAINER` (or `ADMIN`) whose grant covers a unit creates courses owned by that unit.
//! - The owner and co-authors edit a course while they hold `TRAINER`; an `ADMIN` covering the
//!   course's unit may act on any of its courses.
//! - A published course is visible to the owning unit's subtree, or to everyone with platform
//!   visibility. Drafts and archived courses are visible to their editors only; to anyone else
//!   they do not exist (the same `NOT_FOUND` as an unknown id).
//! - A published course's structure never changes: changes go into a new draft version, which
//!   replaces the published one (archiving it) when it is published. Learners' progress on the
//!   old version stays attached to it.

mod authoring;
mod catalogue;
mod lifecycle;
mod structure;

pub use authoring::*;
pub use catalogue::*;
pub use lifecycle::*;
pub use structure::*;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::Actor,
    entities::{
        course::{self, CourseStatus, Visibility},
        course_author, org_unit,
    },
    org,
    types::Role,
};

/// A course with what is needed to decide access to it. Only `domain` builds one (its fields
/// are private), so a resolver cannot make up a course, or add itself as a co-author, to pass a
/// check; [`may_edit`] answers for a course already loaded.
#[derive(Clone, Debug)]
pub struct CourseAccess {
    pub(crate) course: course::Model,
    pub(crate) unit: org_unit::Model,
    pub(crate) co_authors: Vec<Uuid>,
}

impl CourseAccess {
    pub fn course(&self) -> &course::Model {
        &self.course
    }

    pub fn into_course(self) -> course::Model {
        self.course
    }

    pub fn unit(&self) -> &org_unit::Model {
        &self.unit
    }

    /// Whether `actor` may edit the course: an owner or co-author who holds `TRAINER`, or an
    /// `ADMIN` covering the course's unit.
    pub fn can_edit(&self, actor: &Actor) -> bool {
        editable_by(actor, &self.course, &self.unit.path, &self.co_authors)
    }

    /// Whether `actor` may see the course at all.
    pub fn can_see(&self, actor: &Actor) -> bool {
        self.can_edit(actor)
            || (self.course.status == CourseStatus::Published
                && match self.course.visibility {
                    Visibility::Platform => true,
                    Visibility::OrgUnit => actor.unit.path.starts_with(&self.unit.path),
                })
    }
}

/// Whether `actor` may edit a course, from the rows that decide it (the course, its unit, its
/// co-authors' ids), for a caller that batch-loaded them (the API's `Course.canEdit`). The rule
/// is [`CourseAccess::can_edit`]'s.
pub fn may_edit(
    actor: &Actor,
    course: &course::Model,
    unit: &org_unit::Model,
    co_authors: &[Uuid],
) -> bool {
    // Rows that do not belong together decide nothing.
    unit.id == course.org_unit_id && editable_by(actor, course, &unit.path, co_authors)
}

/// The editing rule: an owner or co-author who holds `TRAINER`, or an `ADMIN` covering the
/// course's unit (at `unit_path`).
fn editable_by(
    actor: &Actor,
    course: &course::Model,
    unit_path: &str,
    co_authors: &[Uuid],
) -> bool {
    let author = course.owner_id == actor.id() || co_authors.contains(&actor.id());
    (author && actor.holds(Role::Trainer)) || actor.covers(Role::Admin, unit_path)
}

/// Loads a course for `actor`; a course they may not see is `NotFound`, as if it did not exist.
pub async fn load_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    course_id: Uuid,
) -> Result<CourseAccess> {
    let access = load_access(db, course_id).await?;
    if access.can_see(actor) {
        Ok(access)
    } else {
        Err(Error::NotFound("course"))
    }
}

/// Loads a course for editing: `NotFound` if `actor` may not see it, `Forbidden` if they may see
/// but not edit it.
pub async fn load_editable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    course_id: Uuid,
) -> Result<CourseAccess> {
    let access = load_visible(db, actor, course_id).await?;
    if access.can_edit(actor) {
        Ok(access)
    } else {
        Err(Error::forbidden(
            "only the course's owner, its co-authors and administrators of its unit can edit it",
        ))
    }
}

/// Loads a course with what decides access to it, without deciding; callers decide.
pub(crate) async fn load_access(
    db: &impl ConnectionTrait,
    course_id: Uuid,
) -> Result<CourseAccess> {
    let course = course::Entity::find_by_id(course_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("course"))?;
    let unit = org::find(db, course.org_unit_id).await?;
    let co_authors = course_author::Entity::find()
        .filter(course_author::Column::CourseId.eq(course.id))
        .all(db)
        .await?
        .into_iter()
        .map(|author| author.user_id)
        .collect();
    Ok(CourseAccess {
        course,
        unit,
        co_authors,
    })
}
