//! Recommendations: courses that close the learner's biggest gaps first.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query};
use uuid::Uuid;

use super::ProfileEntry;
use crate::{
    Result,
    auth::Actor,
    courses,
    entities::{
        course, course_competence,
        enrollment::{self, EnrollmentStatus},
    },
};

/// Published courses the actor may take that close their biggest gaps first (a target above
/// the current level on a competence with a gap), skipping courses they completed; `profile`
/// is the actor's own ([`super::profile`]).
pub async fn recommendations(
    db: &impl ConnectionTrait,
    actor: &Actor,
    profile: &[ProfileEntry],
    first: usize,
) -> Result<Vec<course::Model>> {
    let gaps: Vec<&ProfileEntry> = profile.iter().filter(|e| e.gap() > 0).collect();
    if gaps.is_empty() || first == 0 {
        return Ok(Vec::new());
    }
    let gap_ids: Vec<Uuid> = gaps.iter().map(|e| e.competence.id).collect();
    // The courses' targets on those competences, leaving out courses the actor completed.
    let completed = Query::select()
        .column(enrollment::Column::CourseId)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::UserId.eq(actor.id()))
        .and_where(enrollment::Column::Status.eq(EnrollmentStatus::Completed))
        .to_owned();
    let targets = course_competence::Entity::find()
        .filter(course_competence::Column::CompetenceId.is_in(gap_ids))
        .filter(course_competence::Column::CourseId.not_in_subquery(completed))
        .all(db)
        .await?;
    // The biggest gap each course closes, and the sum of the gaps it closes.
    let mut scores: std::collections::HashMap<Uuid, (i32, i32)> = Default::default();
    for target in &targets {
        let Some(entry) = gaps
            .iter()
            .find(|e| e.competence.id == target.competence_id)
        else {
            continue;
        };
        if target.target_level > entry.current_level() {
            let score = scores.entry(target.course_id).or_default();
            score.0 = score.0.max(entry.gap());
            score.1 += entry.gap();
        }
    }
    let candidates: Vec<Uuid> = scores.keys().copied().collect();
    let mut courses = courses::takeable_among(db, actor, &candidates).await?;
    courses.sort_by_key(|course| {
        let (biggest, total) = scores.get(&course.id).copied().unwrap_or_default();
        (
            std::cmp::Reverse(biggest),
            std::cmp::Reverse(total),
            std::cmp::Reverse(course.id),
        )
    });
    courses.truncate(first);
    Ok(courses)
}
