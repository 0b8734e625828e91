//! The people directory: the accounts an `HR` officer or `ADMIN` covers, searchable by name or
//! email (case- and accent-insensitive on both engines, see [`crate::search`]) and filtered by
//! org unit, job role, role and status, in name order.
//!
//! Who sees whom: the people whose org unit one of the actor's `HR` or `ADMIN` grants covers (a
//! platform `ADMIN`: everyone). Anyone else is `Forbidden` before anything is read. Listing is
//! the question here, so a filter naming a unit outside the actor's reach gives an empty page,
//! like a filter that matches nobody, and `find` answers `NotFound` for a person outside it, as
//! for an unknown id.
//!
//! Reading a person's learning data is [`require_learning_data_access`]'s rule;
//! [`learning_data_access`] adds what the reader sees of the person's results (the authority's
//! staff-council setting, `hr_person_view`, for HR and administrators looking at someone else).

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait as _,
    sea_query::{Expr, ExprTrait as _, LikeExpr, Query},
};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::Actor,
    entities::{
        org_unit, role_grant,
        user::{self, UserStatus},
        user_job_role,
    },
    org,
    privacy::policy::HrPersonView,
    search,
    types::Role,
};

/// A role to filter by: every account is a learner; the others are grants held anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleFilter {
    Learner,
    Granted(Role),
}

/// Narrows the directory; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Words of the display name or email, ignoring case and accents.
    pub search: Option<String>,
    pub org_unit_id: Option<Uuid>,
    /// With `org_unit_id`: the unit's whole subtree (default) or its own staff only.
    pub include_subunits: Option<bool>,
    pub job_role_id: Option<Uuid>,
    pub role: Option<RoleFilter>,
    pub status: Option<UserStatus>,
}

/// Where a page starts: after this person in name order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct After {
    pub display_name: String,
    pub id: Uuid,
}

/// One page of the directory and whether more follow.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<user::Model>,
    pub has_next_page: bool,
}

/// The people the actor covers as `HR` or `ADMIN`, as a condition on `org_units`.
fn covered(actor: &Actor) -> Condition {
    Condition::any()
        .add(actor.covered_units(Role::Hr))
        .add(actor.covered_units(Role::Admin))
}

fn require_directory_role(actor: &Actor) -> Result<()> {
    if actor.holds(Role::Hr) || actor.holds(Role::Admin) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "the people directory needs the HR or ADMIN role",
        ))
    }
}

/// One page of the directory, in display-name order (then id), after `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &UserFilter,
    after: Option<&After>,
    first: u64,
) -> Result<UserPage> {
    require_directory_role(actor)?;
    let mut condition = Condition::all().add(covered(actor));
    if let Some(unit_id) = filter.org_unit_id {
        let Some(unit) = org_unit::Entity::find_by_id(unit_id).one(db).await? else {
            return Err(Error::invalid("orgUnitId", "no such org unit"));
        };
        condition = condition.add(if filter.include_subunits.unwrap_or(true) {
            org::in_subtree(&unit.path)
        } else {
            Condition::all().add(user::Column::OrgUnitId.eq(unit.id))
        });
    }
    if let Some(pattern) = filter.search.as_deref().and_then(search::contains_pattern) {
        condition = condition.add(
            Expr::col((user::Entity, user::Column::SearchText))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    if let Some(job_role_id) = filter.job_role_id {
        condition = condition.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(user_job_role::Column::UserId)
                    .from(user_job_role::Entity)
                    .and_where(user_job_role::Column::JobRoleId.eq(job_role_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(RoleFilter::Granted(role)) = filter.role {
        condition = condition.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(role_grant::Column::UserId)
                    .from(role_grant::Entity)
                    .and_where(role_grant::Column::Role.eq(role))
                    .to_owned(),
            ),
        );
    }
    if let Some(status) = filter.status {
        condition = condition.add(user::Column::Status.eq(status));
    }
    if let Some(after) = after {
        condition = condition.add(
            Condition::any()
                .add(user::Column::DisplayName.gt(after.display_name.as_str()))
                .add(
                    Condition::all()
                        .add(user::Column::DisplayName.eq(after.display_name.as_str()))
                        .add(user::Column::Id.gt(after.id)),
                ),
        );
    }
    let mut users = user::Entity::find()
        .join(JoinType::InnerJoin, user::Relation::OrgUnit.def())
        .filter(condition)
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .limit(first.saturating_add(1))
        .all(db)
        .await?;
    let has_next_page = users.len() as u64 > first;
    users.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(UserPage {
        users,
        has_next_page,
    })
}

/// Whether `actor` may read the learning data (enrolments and progress, competence levels and
/// gaps, certificates) of the person `user_id` whose unit is at `unit_path`: their own always;
/// another person's with an `HR` or `ADMIN` grant covering that unit. (A course's editors see
/// its roster: that is [`crate::learning::roster`]'s rule.)
pub fn require_learning_data_access(actor: &Actor, user_id: Uuid, unit_path: &str) -> Result<()> {
    if actor.id() == user_id
        || actor.covers(Role::Hr, unit_path)
        || actor.covers(Role::Admin, unit_path)
    {
        Ok(())
    } else {
        Err(Error::forbidden(
            "a person's learning data is theirs, and their HR officers' and administrators' to \
             read",
        ))
    }
}

/// Proof that an actor may read a person's learning data, with what they see of the person's
/// results. Only [`learning_data_access`] and [`LearningDataAccess::own`] build one (its
/// fields are private), so the readers that take it (`learning::profile_for`) know access was
/// checked and which view applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LearningDataAccess {
    user_id: Uuid,
    view: HrPersonView,
}

impl LearningDataAccess {
    /// The actor's access to their own learning data: everything, always.
    pub fn own(actor: &Actor) -> Self {
        Self {
            user_id: actor.id(),
            view: HrPersonView::Full,
        }
    }

    /// The person whose data may be read.
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    /// What the reader sees of the person's results: [`HrPersonView::Full`] on themselves and
    /// where the person's authority allows it; [`HrPersonView::PassFail`] where its staff-council
    /// setting (`privacy_policies.hr_person_view`) limits HR and administrators to completion
    /// and pass/fail.
    pub fn view(&self) -> HrPersonView {
        self.view
    }
}

/// Checks [`require_learning_data_access`] and decides what the actor sees of the results of
/// the person `user_id` whose unit is at `unit_path`: everything of their own; of another
/// person, what the person's authority's `hr_person_view` setting allows HR and administrators
/// (read only for someone else, so one's own pages cost no statement more).
pub async fn learning_data_access(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_id: Uuid,
    unit_path: &str,
) -> Result<LearningDataAccess> {
    require_learning_data_access(actor, user_id, unit_path)?;
    let view = if actor.id() == user_id {
        HrPersonView::Full
    } else {
        crate::privacy::policy::hr_person_view(db, unit_path).await?
    };
    Ok(LearningDataAccess { user_id, view })
}

/// One person of the directory; `NotFound` for an unknown id and for anyone the actor does not
/// cover alike.
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, user_id: Uuid) -> Result<user::Model> {
    require_directory_role(actor)?;
    user::Entity::find_by_id(user_id)
        .join(JoinType::InnerJoin, user::Relation::OrgUnit.def())
        .filter(covered(actor))
        .one(db)
        .await?
        .ok_or(Error::NotFound("user"))
}
