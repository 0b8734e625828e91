//! Recommendations: courses that close the learner's biggest gaps first.

use sea_orm::{ColumnTrait, ConnectionTrait, sea_query::Query};
use uuid::Uuid;

use super::ProfileEntry;
use crate::{
    Result,
    auth::Actor,
    courses,
    entities::{
        course,
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
    let targets = courses::takeable_targeting(db, actor, &gap_ids, completed).await?;
    // The biggest gap each course closes, and the sum of the gaps it closes.
    let mut scores: std::collections::HashMap<Uuid, (i32, i32)> = Default::default();
    let mut candidates: Vec<course::Model> = Vec::new();
    for (target, course) in targets {
        let Some(entry) = gaps
            .iter()
            .find(|e| e.competence.id == target.competence_id)
        else {
            continue;
        };
        if target.target_level > entry.current_level() {
            let score = scores.entry(target.course_id).or_insert_with(|| {
                candidates.push(course);
                (0, 0)
            });
            score.0 = score.0.max(entry.gap());
            score.1 += entry.gap();
        }
    }
    candidates.sort_by_key(|course| {
        let (biggest, total) = scores.get(&course.id).copied().unwrap_or_default();
        (
            std::cmp::Reverse(biggest),
            std::cmp::Reverse(total),
            std::cmp::Reverse(course.id),
        )
    });
    candidates.truncate(first);
    Ok(candidates)
}
