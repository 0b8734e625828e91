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
    /// The framework's unique id.
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

    /// The framework's full name, e.g.
    /// `DigComp 2.2: The Digital Competence Framework for Citizens`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the framework covers; an empty string when it has no description.
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
    /// The level's number, from 1 (lowest) to the framework's `levelCount`.
    pub level: i32,
    /// e.g. `Intermediate 3`.
    pub name: String,
    /// The group of levels, e.g. `Intermediate`.
    pub band: String,
    /// What a person at this level can do; an empty string when the framework gives none.
    pub description: String,
}

pub struct CompetenceArea(pub competence_area::Model);

/// An area of a framework, e.g. DigComp's `1` *Information and data literacy*.
#[Object]
impl CompetenceArea {
    /// The area's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The area's code, unique within its framework, e.g. `1`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The area's name, e.g. `Information and data literacy`.
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
    /// The competence's unique id; courses, questions and job roles refer to it by this id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The competence's code, unique within its framework, e.g. `1.1`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The competence's name, e.g. `Browsing, searching and filtering data, information and
    /// digital content`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the competence means; an empty string when the framework gives none.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Archived competences stay for what refers to them; nothing new may.
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    /// The area the competence belongs to.
    async fn area(&self, ctx: &Context<'_>) -> ApiResult<CompetenceArea> {
        loader::<AreaLoader>(ctx)?
            .load_required(self.0.area_id, "competence area")
            .await
            .map(CompetenceArea)
    }

    /// The framework the competence belongs to.
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
    /// The level's name, e.g. `Intermediate 3`; surrounding spaces are trimmed.
    pub name: String,
    /// The group the level belongs to, e.g. `Intermediate`; surrounding spaces are trimmed.
    pub band: String,
    /// What a person at this level can do; empty when left out.
    #[graphql(default)]
    pub description: String,
}

/// A competence of a new framework's area.
#[derive(InputObject)]
pub struct CompetenceInput {
    /// Unique within the framework, e.g. `2.3`.
    pub code: String,
    /// 1 to 200 characters after trimming, no control characters.
    pub name: String,
    /// What the competence means; empty when left out.
    #[graphql(default)]
    pub description: String,
}

/// An area of a new framework, with its competences.
#[derive(InputObject)]
pub struct CompetenceAreaInput {
    /// Unique within the framework, e.g. `1`: 1 to 20 letters, digits, `.`, `-` or `_`.
    pub code: String,
    /// 1 to 200 characters after trimming, no control characters.
    pub name: String,
    /// The area's competences in order; at least one.
    pub competences: Vec<CompetenceInput>,
}

/// A framework to add, such as an *AI literacy* framework.
#[derive(InputObject)]
pub struct CreateFrameworkInput {
    /// Letters, digits, `.`, `-`, `_`; stored in upper case. With `version`, unique.
    pub code: String,
    /// The framework's version, e.g. `2.2`: 1 to 20 letters, digits, `.`, `-` or `_`.
    pub version: String,
    /// The framework's full name: 1 to 200 characters after trimming, no control characters.
    pub name: String,
    /// What the framework covers; empty when left out.
    #[graphql(default)]
    pub description: String,
    /// 1 to 20.
    pub level_count: i32,
    /// Exactly `levelCount` levels, lowest first; leave out for "Level 1" and so on.
    #[graphql(default)]
    pub levels: Vec<ProficiencyLevelInput>,
    /// The framework's areas in order; at least one, each with at least one competence.
    /// Invalid or repeated area and competence codes give `BAD_USER_INPUT` (field `areas`).
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
    /// Adds a competence framework (platform ADMIN). A repeat is `CONFLICT` (field `code`):
    /// the code and version exist.
    async fn create_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework with its levels, areas and competences.")]
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
    /// Safe to repeat.
    async fn archive_competence(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the competence to archive; archiving it again changes nothing."
        )]
        competence_id: ID,
    ) -> ApiResult<Competence> {
        let actor = actor(ctx)?;
        let id = parse_id(&competence_id, "competenceId")?;
        let competence = competences::archive_competence(&services(ctx)?.db, actor, id).await?;
        Ok(Competence(competence))
    }
}
