//! Recommendations: courses that close the learner's biggest gaps first.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{ProfileEntry, profile};
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
/// the current level on a competence with a gap), skipping courses they completed.
pub async fn recommendations(
    db: &impl ConnectionTrait,
    actor: &Actor,
    first: usize,
) -> Result<Vec<course::Model>> {
    let entries = profile(db, actor.id()).await?;
    let gaps: Vec<&ProfileEntry> = entries.iter().filter(|e| e.gap() > 0).collect();
    if gaps.is_empty() || first == 0 {
        return Ok(Vec::new());
    }
    let gap_ids: Vec<Uuid> = gaps.iter().map(|e| e.competence.id).collect();
    let targets = course_competence::Entity::find()
        .filter(course_competence::Column::CompetenceId.is_in(gap_ids))
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
    let completed: Vec<Uuid> = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(actor.id()))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Completed))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.course_id)
        .collect();
    let candidates: Vec<Uuid> = scores
        .keys()
        .copied()
        .filter(|id| !completed.contains(id))
        .collect();
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
