//! The organisation tree: `orgUnits`, `createOrgUnit`, `updateOrgUnit`, `moveOrgUnit`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use govskills_domain::{entities::org_unit, org};

use super::{
    context::{actor, loader, services},
    id, list_cost,
    loaders::OrgUnitLoader,
    parse_id,
};
use crate::error::ApiResult;

pub struct OrgUnit(pub org_unit::Model);

/// A unit of the organisation tree (ministry, department, unit). Top-level units are separate
/// authorities sharing one deployment.
#[Object]
impl OrgUnit {
    /// The unit's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The unit's name (1 to 200 characters), unique among its siblings regardless of case.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// 0 for an authority (top-level unit), 1 for its direct sub-units, and so on.
    async fn depth(&self) -> i32 {
        self.0.depth
    }

    /// The key the authority's HR system and identity provider know the unit by (SCIM
    /// `department`, an OpenID Connect claim); unique within the authority. Null if none.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    /// The unit above; null for an authority.
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<OrgUnit>> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loader::<OrgUnitLoader>(ctx)?
            .load_one(parent_id)
            .await?
            .map(OrgUnit))
    }
}

/// A new org unit.
#[derive(InputObject)]
pub struct CreateOrgUnitInput {
    /// 1 to 200 characters after trimming, no control characters; a sibling with the same name
    /// (ignoring case) gives `CONFLICT`.
    pub name: String,
    /// The unit to create it under; leave out to create a new authority (platform ADMIN only).
    pub parent_id: Option<ID>,
    /// The key the authority's HR system knows the unit by (1 to 200 characters); another
    /// unit of the same authority with it gives `CONFLICT` (field `externalId`).
    pub external_id: Option<String>,
}

/// Changes to an org unit; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateOrgUnitInput {
    /// The new name (1 to 200 characters); a sibling with the same name (ignoring case) gives
    /// `CONFLICT`.
    pub name: Option<String>,
    /// The new external id (1 to 200 characters), or null to remove it; another unit of the
    /// same authority with it gives `CONFLICT` (field `externalId`).
    pub external_id: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct OrgUnitQuery;

#[Object]
impl OrgUnitQuery {
    /// Every unit of your own authority and of those you hold a role in (all of them for a
    /// platform administrator), parents before their children.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn org_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrgUnit>> {
        let actor = actor(ctx)?;
        let units = org::list_visible(&services(ctx)?.db, actor).await?;
        Ok(units.into_iter().map(OrgUnit).collect())
    }
}

#[derive(Default)]
pub struct OrgUnitMutation;

#[Object]
impl OrgUnitMutation {
    /// Creates an org unit (ADMIN of the parent unit). A repeat is `CONFLICT` (field `name`):
    /// the parent has a unit of that name.
    async fn create_org_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's name and parent.")] input: CreateOrgUnitInput,
    ) -> ApiResult<OrgUnit> {
        let actor = actor(ctx)?;
        let parent_id = input
            .parent_id
            .map(|id| parse_id(&id, "parentId"))
            .transpose()?;
        let unit = org::create(
            &services(ctx)?.db,
            actor,
            &input.name,
            parent_id,
            input.external_id.as_deref(),
        )
        .await?;
        Ok(OrgUnit(unit))
    }

    /// Renames a unit or sets its external id (ADMIN of the unit). Safe to repeat.
    async fn update_org_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the unit to change.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateOrgUnitInput,
    ) -> ApiResult<OrgUnit> {
        let actor = actor(ctx)?;
        let unit_id = parse_id(&id, "id")?;
        let external_id = match &input.external_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(value) => Some(Some(value.as_str())),
        };
        let unit = org::update(
            &services(ctx)?.db,
            actor,
            unit_id,
            input.name.as_deref(),
            external_id,
        )
        .await?;
        Ok(OrgUnit(unit))
    }

    /// Moves a unit and its subtree under another parent (ADMIN of both). Safe to repeat: a
    /// unit under that parent already is returned as it is.
    async fn move_org_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the unit to move; its whole subtree moves with it.")] id: ID,
        #[graphql(
            desc = "The id of the unit to move it under; the unit itself or one of its own \
                    sub-units gives `BAD_USER_INPUT`."
        )]
        new_parent_id: ID,
    ) -> ApiResult<OrgUnit> {
        let actor = actor(ctx)?;
        let unit_id = parse_id(&id, "id")?;
        let new_parent_id = parse_id(&new_parent_id, "newParentId")?;
        let unit = org::move_unit(&services(ctx)?.db, actor, unit_id, new_parent_id).await?;
        Ok(OrgUnit(unit))
    }
}
