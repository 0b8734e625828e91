//! Job roles: `jobRoles`, `createJobRole`, `updateJobRole`, `assignJobRole`.

use async_graphql::{Context, ID, InputObject, Object};
use govskills_domain::{
    entities::{job_role, job_role_requirement},
    job_roles::{self, JobRoleUpdate, NewJobRole, Requirement},
};

use super::{
    accounts::User,
    context::{actor, loader, services},
    frameworks::Competence,
    id, list_cost,
    loaders::{CompetenceLoader, LoadRequired, OrgUnitLoader, RequirementLoader, RequirementsOf},
    org_units::OrgUnit,
    parse_id,
};
use crate::error::ApiResult;

pub struct JobRole(pub job_role::Model);

/// A job such as "Caseworker" or "Data steward": the competence levels it requires, and whether
/// staff in it use AI systems. People's skill gaps are measured against their job role.
// A job role as the API shows it. (The doc comment on the `#[Object]` impl is what clients read:
// async-graphql takes an object's description from there, not from the struct.)
#[Object]
impl JobRole {
    /// The job role's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// e.g. `Caseworker`; unique (whatever its case) among the job roles of one org unit.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the job involves; may be empty.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Whether staff in this job use AI systems, so that EU AI Act Art. 4 requires them to have
    /// an adequate level of AI literacy.
    async fn uses_ai_systems(&self) -> bool {
        self.0.uses_ai_systems
    }

    /// The org unit whose staff (in its whole subtree) the job role is for; null for a
    /// platform-wide job role, which applies to staff of every authority.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<Option<OrgUnit>> {
        let Some(unit_id) = self.0.org_unit_id else {
            return Ok(None);
        };
        loader::<OrgUnitLoader>(ctx)?
            .load_required(unit_id, "org unit")
            .await
            .map(|unit| Some(OrgUnit(unit)))
    }

    /// The competence levels the job requires, in each framework's competence order.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn requirements(&self, ctx: &Context<'_>) -> ApiResult<Vec<RequiredLevel>> {
        Ok(loader::<RequirementLoader>(ctx)?
            .load_one(RequirementsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(RequiredLevel)
            .collect())
    }
}

pub struct RequiredLevel(pub job_role_requirement::Model);

/// The level of one competence that a job role requires.
// A required level as the API shows it.
#[Object]
impl RequiredLevel {
    /// The competence required.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The proficiency level required, within the competence's framework's range (1 to
    /// `levelCount`).
    async fn level(&self) -> i32 {
        self.0.level
    }
}

/// A required level of one competence.
#[derive(InputObject)]
pub struct RequiredLevelInput {
    /// A current (not archived) competence of any framework.
    pub competence_id: ID,
    /// 1 to the framework's `levelCount` (DigComp 2.2: 1 to 8).
    pub level: i32,
}

/// A new job role.
#[derive(InputObject)]
pub struct CreateJobRoleInput {
    /// 1 to 200 characters; unique (whatever its case) among the job roles of the org unit.
    pub name: String,
    /// What the job involves; at most 2000 characters.
    #[graphql(default)]
    pub description: String,
    /// Whether staff in this job use AI systems (EU AI Act Art. 4).
    pub uses_ai_systems: bool,
    /// The org unit whose subtree the job role is for; you must administer it. Leave out for a
    /// platform-wide job role (platform ADMIN only).
    pub org_unit_id: Option<ID>,
    /// The competence levels the job requires: each competence at most once, at most 200.
    pub requirements: Vec<RequiredLevelInput>,
}

/// Changes to a job role; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateJobRoleInput {
    /// 1 to 200 characters; unique (whatever its case) among the job roles of the org unit.
    pub name: Option<String>,
    /// At most 2000 characters.
    pub description: Option<String>,
    /// Whether staff in this job use AI systems (EU AI Act Art. 4).
    pub uses_ai_systems: Option<bool>,
    /// Replaces every required level when given (an empty list removes them all).
    pub requirements: Option<Vec<RequiredLevelInput>>,
}

fn requirements(input: Vec<RequiredLevelInput>) -> ApiResult<Vec<Requirement>> {
    input
        .into_iter()
        .map(|required| {
            Ok(Requirement {
                competence_id: parse_id(&required.competence_id, "requirements")?,
                level: required.level,
            })
        })
        .collect()
}

#[derive(Default)]
pub struct JobRoleQuery;

#[Object]
impl JobRoleQuery {
    /// The job roles of your own authority and of those you hold a role in, and the
    /// platform-wide ones (every job role for a platform administrator), by name.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn job_roles(&self, ctx: &Context<'_>) -> ApiResult<Vec<JobRole>> {
        let actor = actor(ctx)?;
        let roles = job_roles::list_visible(&services(ctx)?.db, actor).await?;
        Ok(roles.into_iter().map(JobRole).collect())
    }
}

#[derive(Default)]
pub struct JobRoleMutation;

#[Object]
impl JobRoleMutation {
    /// Creates a job role with its required levels (ADMIN of its org unit; platform ADMIN for a
    /// platform-wide one). A repeat is `CONFLICT` (field `name`): the unit has a job role of
    /// that name.
    async fn create_job_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job role with its required levels.")] input: CreateJobRoleInput,
    ) -> ApiResult<JobRole> {
        let actor = actor(ctx)?;
        let new = NewJobRole {
            org_unit_id: input
                .org_unit_id
                .map(|id| parse_id(&id, "orgUnitId"))
                .transpose()?,
            requirements: requirements(input.requirements)?,
            name: input.name,
            description: input.description,
            uses_ai_systems: input.uses_ai_systems,
        };
        let role = job_roles::create(&services(ctx)?.db, actor, new).await?;
        Ok(JobRole(role))
    }

    /// Changes a job role; given requirements replace the current ones (ADMIN of the job role's
    /// org unit; platform ADMIN for a platform-wide one). Safe to repeat.
    async fn update_job_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the job role to change.")] id: ID,
        #[graphql(desc = "The changes; fields left out stay as they are.")]
        input: UpdateJobRoleInput,
    ) -> ApiResult<JobRole> {
        let actor = actor(ctx)?;
        let id = parse_id(&id, "id")?;
        let update = JobRoleUpdate {
            requirements: input.requirements.map(requirements).transpose()?,
            name: input.name,
            description: input.description,
            uses_ai_systems: input.uses_ai_systems,
        };
        let role = job_roles::update(&services(ctx)?.db, actor, id, update).await?;
        Ok(JobRole(role))
    }

    /// Sets a person's job role, or clears it when `jobRoleId` is null (ADMIN of the person's org
    /// unit). The job role must apply to them: platform-wide, or for a unit whose subtree holds
    /// their org unit. Safe to repeat.
    async fn assign_job_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the person whose job role is set.")] user_id: ID,
        #[graphql(desc = "The id of the job role to give them; null clears their job role.")]
        job_role_id: Option<ID>,
    ) -> ApiResult<User> {
        let actor = actor(ctx)?;
        let user_id = parse_id(&user_id, "userId")?;
        let job_role_id = job_role_id
            .map(|id| parse_id(&id, "jobRoleId"))
            .transpose()?;
        let user = job_roles::assign(&services(ctx)?.db, actor, user_id, job_role_id).await?;
        Ok(User(user))
    }
}
