//! Competence frameworks: `frameworks`, `createFramework`, `archiveCompetence`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use govskills_domain::{
    competences::{self, NewArea, NewCompetence, NewFramework, NewLevel},
    entities::{competence, competence_area, competence_framework},
};

use super::{
    context::{actor, loader, services},
    id, list_cost,
    loaders::{
        AreaCompetenceLoader, AreaLoader, AreasOf, CompetencesOf, FrameworkAreaLoader,
        FrameworkLoader, LevelLoader, LevelsOf, LoadRequired,
    },
    parse_id,
};
use crate::error::ApiResult;

pub struct CompetenceFramework(pub competence_framework::Model);

/// A competence framework such as DigComp 2.2, versioned by code and version.
#[Object]
impl CompetenceFramework {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Short code, e.g. `DIGCOMP`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// e.g. `2.2`.
    async fn version(&self) -> &str {
        &self.0.version
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Levels run from 1 to this number.
    async fn level_count(&self) -> i32 {
        self.0.level_count
    }

    /// The proficiency levels, lowest first.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn levels(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProficiencyLevel>> {
        Ok(loader::<LevelLoader>(ctx)?
            .load_one(LevelsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|level| ProficiencyLevel {
                level: level.level,
                name: level.name,
                band: level.band,
                description: level.description,
            })
            .collect())
    }

    /// The areas, in the framework's order.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn areas(&self, ctx: &Context<'_>) -> ApiResult<Vec<CompetenceArea>> {
        Ok(loader::<FrameworkAreaLoader>(ctx)?
            .load_one(AreasOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(CompetenceArea)
            .collect())
    }
}

/// One proficiency level of a framework.
#[derive(SimpleObject)]
pub struct ProficiencyLevel {
    pub level: i32,
    /// e.g. `Intermediate 3`.
    pub name: String,
    /// The group of levels, e.g. `Intermediate`.
    pub band: String,
    pub description: String,
}

pub struct CompetenceArea(pub competence_area::Model);

/// An area of a framework, e.g. DigComp's `1` *Information and data literacy*.
#[Object]
impl CompetenceArea {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The area's competences in order, archived ones included (see `Competence.archived`).
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn competences(&self, ctx: &Context<'_>) -> ApiResult<Vec<Competence>> {
        Ok(loader::<AreaCompetenceLoader>(ctx)?
            .load_one(CompetencesOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Competence)
            .collect())
    }
}

pub struct Competence(pub competence::Model);

/// A competence, e.g. DigComp's `1.1` *Browsing, searching and filtering data, information and
/// digital content*.
#[Object]
impl Competence {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Archived competences stay for what refers to them; nothing new may.
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    async fn area(&self, ctx: &Context<'_>) -> ApiResult<CompetenceArea> {
        loader::<AreaLoader>(ctx)?
            .load_required(self.0.area_id, "competence area")
            .await
            .map(CompetenceArea)
    }

    async fn framework(&self, ctx: &Context<'_>) -> ApiResult<CompetenceFramework> {
        loader::<FrameworkLoader>(ctx)?
            .load_required(self.0.framework_id, "framework")
            .await
            .map(CompetenceFramework)
    }
}

/// A proficiency level of a new framework.
#[derive(InputObject)]
pub struct ProficiencyLevelInput {
    pub name: String,
    pub band: String,
    #[graphql(default)]
    pub description: String,
}

#[derive(InputObject)]
pub struct CompetenceInput {
    /// Unique within the framework, e.g. `2.3`.
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
}

#[derive(InputObject)]
pub struct CompetenceAreaInput {
    pub code: String,
    pub name: String,
    pub competences: Vec<CompetenceInput>,
}

/// A framework to add, such as an *AI literacy* framework.
#[derive(InputObject)]
pub struct CreateFrameworkInput {
    /// Letters, digits, `.`, `-`, `_`; stored in upper case. With `version`, unique.
    pub code: String,
    pub version: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    /// 1 to 20.
    pub level_count: i32,
    /// Exactly `levelCount` levels, lowest first; leave out for "Level 1" and so on.
    #[graphql(default)]
    pub levels: Vec<ProficiencyLevelInput>,
    pub areas: Vec<CompetenceAreaInput>,
}

#[derive(Default)]
pub struct FrameworkQuery;

#[Object]
impl FrameworkQuery {
    /// Every competence framework with its levels, areas and competences. Reference data,
    /// readable without signing in.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn frameworks(&self, ctx: &Context<'_>) -> ApiResult<Vec<CompetenceFramework>> {
        let frameworks = competences::list_frameworks(&services(ctx)?.db).await?;
        Ok(frameworks.into_iter().map(CompetenceFramework).collect())
    }
}

#[derive(Default)]
pub struct FrameworkMutation;

#[Object]
impl FrameworkMutation {
    /// Adds a competence framework (platform ADMIN).
    async fn create_framework(
        &self,
        ctx: &Context<'_>,
        input: CreateFrameworkInput,
    ) -> ApiResult<CompetenceFramework> {
        let actor = actor(ctx)?;
        let new = NewFramework {
            code: input.code,
            version: input.version,
            name: input.name,
            description: input.description,
            level_count: input.level_count,
            levels: input
                .levels
                .into_iter()
                .map(|level| NewLevel {
                    name: level.name,
                    band: level.band,
                    description: level.description,
                })
                .collect(),
            areas: input
                .areas
                .into_iter()
                .map(|area| NewArea {
                    code: area.code,
                    name: area.name,
                    competences: area
                        .competences
                        .into_iter()
                        .map(|c| NewCompetence {
                            code: c.code,
                            name: c.name,
                            description: c.description,
                        })
                        .collect(),
                })
                .collect(),
        };
        let framework = competences::create_framework(&services(ctx)?.db, actor, new).await?;
        Ok(CompetenceFramework(framework))
    }

    /// Archives a competence (platform ADMIN): it stays for what refers to it; nothing new may.
    async fn archive_competence(
        &self,
        ctx: &Context<'_>,
        competence_id: ID,
    ) -> ApiResult<Competence> {
        let actor = actor(ctx)?;
        let id = parse_id(&competence_id, "competenceId")?;
        let competence = competences::archive_competence(&services(ctx)?.db, actor, id).await?;
        Ok(Competence(competence))
    }
}
