//! DataLoaders, built per request, so nested lists cost one query per level, not per row.
//!
//! Two shapes recur: rows by their own id (`by_id!`), and the rows that belong to a parent, in
//! order (`children!`, keyed by a newtype over the parent's id).

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use govskills_domain::{
    accounts, competences,
    entities::{
        competence, competence_area, competence_framework, job_role, job_role_requirement,
        org_unit, proficiency_level, role_grant, user_job_role,
    },
    job_roles, org,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::ApiError;

/// Loads rows by id with `$fetch(db, ids)`.
macro_rules! by_id {
    ($(#[$doc:meta])* $loader:ident, $model:ty, $fetch:path) => {
        $(#[$doc])*
        pub struct $loader(pub DatabaseConnection);

        impl Loader<Uuid> for $loader {
            type Value = $model;
            type Error = ApiError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $model>, ApiError> {
                Ok($fetch(&self.0, keys)
                    .await?
                    .into_iter()
                    .map(|row| (row.id, row))
                    .collect())
            }
        }
    };
}

/// Loads the ordered children of parents with `$fetch(db, parent_ids)`, grouped by `$parent`;
/// a parent without children gets an empty list.
macro_rules! children {
    ($(#[$doc:meta])* $loader:ident, $key:ident, $model:ty, $fetch:path, $parent:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        $(#[$doc])*
        pub struct $loader(pub DatabaseConnection);

        impl Loader<$key> for $loader {
            type Value = Vec<$model>;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Vec<$model>>, ApiError> {
                let ids: Vec<Uuid> = keys.iter().map(|key| key.0).collect();
                let mut grouped: HashMap<$key, Vec<$model>> =
                    keys.iter().map(|key| (*key, Vec::new())).collect();
                for row in $fetch(&self.0, &ids).await? {
                    grouped.entry($key(row.$parent)).or_default().push(row);
                }
                Ok(grouped)
            }
        }
    };
}

by_id!(
    /// Org units by id.
    OrgUnitLoader, org_unit::Model, org::find_many
);
by_id!(
    /// Frameworks by id.
    FrameworkLoader, competence_framework::Model, competences::frameworks_by_ids
);
by_id!(
    /// Competence areas by id.
    AreaLoader, competence_area::Model, competences::areas_by_ids
);
by_id!(
    /// Competences by id.
    CompetenceLoader, competence::Model, competences::competences_by_ids
);
by_id!(
    /// Job roles by id.
    JobRoleLoader, job_role::Model, job_roles::job_roles_by_ids
);
children!(
    /// Role grants by user.
    GrantLoader, GrantsOf, role_grant::Model, accounts::grants_of_users, user_id
);
children!(
    /// Proficiency levels by framework.
    LevelLoader, LevelsOf, proficiency_level::Model, competences::levels_of, framework_id
);
children!(
    /// Areas by framework.
    FrameworkAreaLoader, AreasOf, competence_area::Model, competences::areas_of, framework_id
);
children!(
    /// Competences by area.
    AreaCompetenceLoader, CompetencesOf, competence::Model, competences::competences_of, area_id
);
children!(
    /// The job role assignment of each user (a list of at most one).
    UserJobRoleLoader, JobRoleOf, user_job_role::Model, job_roles::job_roles_of_users, user_id
);
children!(
    /// Required levels by job role.
    RequirementLoader, RequirementsOf, job_role_requirement::Model, job_roles::requirements_of,
    job_role_id
);

/// Attaches a fresh set of loaders to one request.
pub fn attach(request: async_graphql::Request, db: &DatabaseConnection) -> async_graphql::Request {
    fn loader<T: Loader<K>, K>(loader: T) -> DataLoader<T>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    {
        DataLoader::new(loader, tokio::spawn)
    }
    request
        .data(loader(OrgUnitLoader(db.clone())))
        .data(loader(GrantLoader(db.clone())))
        .data(loader(FrameworkLoader(db.clone())))
        .data(loader(AreaLoader(db.clone())))
        .data(loader(CompetenceLoader(db.clone())))
        .data(loader(LevelLoader(db.clone())))
        .data(loader(FrameworkAreaLoader(db.clone())))
        .data(loader(AreaCompetenceLoader(db.clone())))
        .data(loader(JobRoleLoader(db.clone())))
        .data(loader(UserJobRoleLoader(db.clone())))
        .data(loader(RequirementLoader(db.clone())))
}
