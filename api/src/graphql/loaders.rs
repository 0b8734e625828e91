//! DataLoaders, built per request, so nested lists cost one query per level, not per row.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use govskills_domain::{accounts, entities::org_unit, entities::role_grant, org};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::ApiError;

/// Org units by id.
pub struct OrgUnitLoader(pub DatabaseConnection);

impl Loader<Uuid> for OrgUnitLoader {
    type Value = org_unit::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(org::find_many(&self.0, keys)
            .await?
            .into_iter()
            .map(|unit| (unit.id, unit))
            .collect())
    }
}

/// Key for the role grants of one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantsOf(pub Uuid);

/// Role grants by user.
pub struct GrantLoader(pub DatabaseConnection);

impl Loader<GrantsOf> for GrantLoader {
    type Value = Vec<role_grant::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[GrantsOf]) -> Result<HashMap<GrantsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|key| key.0).collect();
        let mut by_user = accounts::grants_of(&self.0, &ids).await?;
        // Users without grants get an empty list rather than "missing".
        Ok(ids
            .into_iter()
            .map(|id| (GrantsOf(id), by_user.remove(&id).unwrap_or_default()))
            .collect())
    }
}
