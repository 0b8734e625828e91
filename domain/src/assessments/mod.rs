//! Assessments: question banks, assessments, attempts and their scoring.
//!
//! Who may do what:
//! - A `TRAINER` (or `ADMIN`) whose grant covers a unit writes questions and assessments owned
//!   by that unit. The owner (while they hold `TRAINER`) and an `ADMIN` covering the unit edit
//!   them, as with courses.
//! - Question banks are shared along the org tree, the way courses are: a trainer may *use* (see,
//!   put into an assessment) a question or assessment when one of their `TRAINER` grants covers
//!   its unit (a ministry trainer uses a department's bank) or lies inside its unit's subtree (a
//!   department trainer uses the ministry's bank). Anything else does not exist for them
//!   (`NotFound`). A random draw picks from the questions a trainer at the assessment's unit
//!   could use.
//! - A learner takes an assessment on its own when its visibility lets them (the owning unit's
//!   subtree, or the whole platform), or as a lesson of a course they are enrolled in. Attempts
//!   are private: someone else's attempt is `NotFound`, as if it did not exist.
//! - Correct answers and explanations reach a learner only in the result of a submitted
//!   attempt; the attempt itself carries options without their correctness.
//!
//! Questions are versioned: an edit writes a new version, and an attempt records the exact
//! version (and option order) it was given, so editing a question never changes what an attempt
//! showed or how it was scored.
//!
//! Assessments are versioned too: an edit (owner or administrator, as for questions) rewrites
//! the assessment and raises its `version`, and each attempt records, when it starts, the
//! version it was given and the pass mark and mastery threshold it is scored with, beside its
//! questions; so an edit changes only what attempts started after it get. Archiving an
//! assessment stops new attempts; open ones can still be answered and submitted, and results
//! and the certificates they earned stay.
//!
//! An attempt is scored exactly once: the conditional `UPDATE attempts SET submitted_at = ...
//! WHERE submitted_at IS NULL` that opens the scoring transaction lets one request through; a
//! concurrent or repeated submit finds no row to update and returns the stored result. Saving an
//! answer first touches the attempt row the same way, so on PostgreSQL a save and a submit are
//! ordered by the row lock, and on SQLite by the database write lock: an answer is either saved
//! before scoring (and scored) or refused.

mod attempts;
mod authoring;
mod questions;
pub mod scoring;
mod stats;

pub use attempts::*;
pub use authoring::*;
pub use questions::*;
pub use stats::*;

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::{Actor, Scope},
    entities::{assessment, org_unit, question},
    org,
    types::Role,
};

/// Whether `actor` may use what a unit at `path` owns: a `TRAINER` grant covers it or lies
/// inside its subtree, or an `ADMIN` grant covers it.
fn can_use_unit(actor: &Actor, path: &str) -> bool {
    actor.covers(Role::Admin, path)
        || actor.grants.iter().any(|grant| {
            grant.role == Role::Trainer
                && match &grant.scope {
                    Scope::Platform => true,
                    Scope::Unit { path: own, .. } => {
                        path.starts_with(own.as_str()) || own.starts_with(path)
                    }
                }
        })
}

/// Whether `actor` may edit what `owner_id` owns at a unit at `path`: the owner while they hold
/// `TRAINER`, or an `ADMIN` covering the unit.
fn can_edit_owned(actor: &Actor, owner_id: Uuid, path: &str) -> bool {
    (owner_id == actor.id() && actor.holds(Role::Trainer)) || actor.covers(Role::Admin, path)
}

/// A question with what decides access to it. Only `domain` builds one (its fields are
/// private), so holding one means the question was loaded here, as it is.
#[derive(Clone, Debug)]
pub struct QuestionAccess {
    pub(crate) question: question::Model,
    pub(crate) unit: org_unit::Model,
}

impl QuestionAccess {
    pub fn question(&self) -> &question::Model {
        &self.question
    }

    pub fn into_question(self) -> question::Model {
        self.question
    }

    pub fn unit(&self) -> &org_unit::Model {
        &self.unit
    }

    pub fn can_edit(&self, actor: &Actor) -> bool {
        can_edit_owned(actor, self.question.owner_id, &self.unit.path)
    }

    pub fn can_use(&self, actor: &Actor) -> bool {
        self.can_edit(actor) || can_use_unit(actor, &self.unit.path)
    }
}

/// An assessment with what decides access to it. Only `domain` builds one (its fields are
/// private), so a resolver cannot make up an assessment, or change its owner or unit, to pass a
/// check.
#[derive(Clone, Debug)]
pub struct AssessmentAccess {
    pub(crate) assessment: assessment::Model,
    pub(crate) unit: org_unit::Model,
}

impl AssessmentAccess {
    pub fn assessment(&self) -> &assessment::Model {
        &self.assessment
    }

    pub fn unit(&self) -> &org_unit::Model {
        &self.unit
    }

    /// The owner (holding `TRAINER`) or an `ADMIN` covering its unit.
    pub fn can_edit(&self, actor: &Actor) -> bool {
        can_edit_owned(actor, self.assessment.owner_id, &self.unit.path)
    }

    /// Trainers who may put it into a course (its statistics are for its editors and the
    /// authors of courses using it: [`stats`]).
    pub fn can_use(&self, actor: &Actor) -> bool {
        self.can_edit(actor) || can_use_unit(actor, &self.unit.path)
    }

    /// Whether `actor` may take it on its own (not through a course).
    pub fn open_to(&self, actor: &Actor) -> bool {
        use assessment::AssessmentVisibility as V;
        match self.assessment.visibility {
            V::Platform => true,
            V::OrgUnit => actor.unit.path.starts_with(&self.unit.path),
            V::LessonsOnly => false,
        }
    }
}

/// Decides whether `actor` may see the answer key of an assessment (already loaded and visible
/// to them): its questions with their correct options and explanations. Trainers who may use
/// it may; anyone else, a learner taking it above all, is `Forbidden`.
pub fn require_answer_key(actor: &Actor, access: &AssessmentAccess) -> Result<()> {
    if access.can_use(actor) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "only trainers who may use this assessment see its questions",
        ))
    }
}

/// Loads an assessment with its unit, without deciding access; callers decide.
pub(crate) async fn load_assessment(
    db: &impl ConnectionTrait,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    let assessment = assessment::Entity::find_by_id(assessment_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("assessment"))?;
    let unit = org::find(db, assessment.org_unit_id).await?;
    Ok(AssessmentAccess { assessment, unit })
}

/// Loads an assessment `actor` may use as a trainer (into a course lesson, for statistics); one
/// they may not use is `NotFound`.
pub async fn load_usable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    let access = load_assessment(db, assessment_id).await?;
    if access.can_use(actor) {
        Ok(access)
    } else {
        Err(Error::NotFound("assessment"))
    }
}

/// Loads an assessment `actor` may edit. Someone holding neither `TRAINER` nor `ADMIN` is
/// `Forbidden` before anything is read; an assessment they may not use is `NotFound`, as if it
/// did not exist; one they use but do not own or administer is `Forbidden`.
pub(crate) async fn load_editable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    if !actor.holds(Role::Trainer) && !actor.holds(Role::Admin) {
        return Err(Error::forbidden("this needs the TRAINER role"));
    }
    let access = load_usable(db, actor, assessment_id).await?;
    if !access.can_edit(actor) {
        return Err(Error::forbidden(
            "only the assessment's owner and administrators of its unit can change it",
        ));
    }
    Ok(access)
}

/// Loads a question with its unit, without deciding access.
pub(crate) async fn load_question(
    db: &impl ConnectionTrait,
    question_id: Uuid,
) -> Result<QuestionAccess> {
    let question = question::Entity::find_by_id(question_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("question"))?;
    let unit = org::find(db, question.org_unit_id).await?;
    Ok(QuestionAccess { question, unit })
}

/// The unit a new question or assessment belongs to: one the actor trains or administers.
async fn owning_unit(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
    what: &str,
) -> Result<org_unit::Model> {
    if !actor.holds(Role::Trainer) && !actor.holds(Role::Admin) {
        return Err(Error::forbidden("this needs the TRAINER role"));
    }
    let unit = org::find(db, org_unit_id).await?;
    if !actor.covers(Role::Trainer, &unit.path) && !actor.covers(Role::Admin, &unit.path) {
        return Err(Error::forbidden(format!(
            "you can create {what} only for org units you train or administer"
        )));
    }
    Ok(unit)
}
