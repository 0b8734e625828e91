//! A course's roster: who is enrolled and how far each has got.
//!
//! Who sees whom: the course's editors (its owner and co-authors holding `TRAINER`, an `ADMIN`
//! covering its unit) see every enrolment; `HR` and `ADMIN` see the enrolments of the people
//! their grants cover; anyone else who can see the course sees their own enrolment only. A
//! course the actor cannot see is `NotFound`. Listing is the question here, so the roster of
//! someone who covers nobody is simply short.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait as _,
    sea_query::{Expr, ExprTrait as _, LikeExpr},
};
use uuid::Uuid;

use crate::{
    Result,
    auth::Actor,
    courses,
    entities::{
        enrollment::{self, EnrollmentStatus},
        user,
    },
    people::After,
    search,
    types::Role,
};

/// Narrows a roster; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct RosterFilter {
    pub status: Option<EnrollmentStatus>,
    /// Words of the learner's display name or email, ignoring case and accents.
    pub search: Option<String>,
}

/// One page of a roster (each enrolment with its learner) and whether more follow.
#[derive(Debug)]
pub struct RosterPage {
    pub entries: Vec<(enrollment::Model, user::Model)>,
    pub has_next_page: bool,
}

/// One page of the roster of `course_id`, in the learners' name order (then enrolment id),
/// after `after` (a learner's name and an enrolment id).
pub async fn roster(
    db: &impl ConnectionTrait,
    actor: &Actor,
    course_id: Uuid,
    filter: &RosterFilter,
    after: Option<&After>,
    first: u64,
) -> Result<RosterPage> {
    let access = courses::load_visible(db, actor, course_id).await?;
    let mut condition = Condition::all().add(enrollment::Column::CourseId.eq(course_id));
    if !access.can_edit(actor) {
        condition = condition.add(
            Condition::any()
                .add(enrollment::Column::UserId.eq(actor.id()))
                .add(actor.covered_units(Role::Hr))
                .add(actor.covered_units(Role::Admin)),
        );
    }
    if let Some(status) = filter.status {
        condition = condition.add(enrollment::Column::Status.eq(status));
    }
    if let Some(pattern) = filter.search.as_deref().and_then(search::contains_pattern) {
        condition = condition.add(
            Expr::col((user::Entity, user::Column::SearchText))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    if let Some(after) = after {
        condition = condition.add(
            Condition::any()
                .add(user::Column::DisplayName.gt(after.display_name.as_str()))
                .add(
                    Condition::all()
                        .add(user::Column::DisplayName.eq(after.display_name.as_str()))
                        .add(enrollment::Column::Id.gt(after.id)),
                ),
        );
    }
    let rows = enrollment::Entity::find()
        .find_also_related(user::Entity)
        .join(JoinType::InnerJoin, user::Relation::OrgUnit.def())
        .filter(condition)
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(enrollment::Column::Id)
        .limit(first.saturating_add(1))
        .all(db)
        .await?;
    let mut entries: Vec<_> = rows
        .into_iter()
        .filter_map(|(enrollment, user)| user.map(|user| (enrollment, user)))
        .collect();
    let has_next_page = entries.len() as u64 > first;
    entries.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(RosterPage {
        entries,
        has_next_page,
    })
}
