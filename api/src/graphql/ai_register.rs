//! The AI register (`aiSystems`, `aiSystem`, `createAiSystem`, `updateAiSystem`,
//! `recordAiSystemChange`, `setAiSystemUse`, `removeAiSystemUse`, `setAiSystemPersonUse`,
//! `setAiSystemMeasures`, `acknowledgeAiSystemInstructions`) and the AI Act report
//! (`aiActReport`).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};
use govskills_domain::{
    ai_register::{
        self, AuthorityRole, ChangeInput, MeasuresInput, RiskClass, Subject, SystemInput,
        SystemStatus, UseKind,
        evidence::{Measure, Status},
    },
    entities::{ai_system, ai_system_change, ai_system_measure, ai_system_use},
    reports::{
        Scope,
        ai_act::{self, Gap, StatusCounts, SubunitFigures, SystemFigures},
    },
};

use super::{
    certificates::CertificateTemplate,
    context::{actor, loader, services},
    courses::Course,
    frameworks::Competence,
    id,
    job_roles::JobRole,
    loaders::{
        CertificateTemplateLoader, CompetenceLoader, CourseLoader, JobRoleLoader, LoadRequired,
        OrgUnitLoader, UserLoader,
    },
    org_units::OrgUnit,
    paged_cost, parse_id,
    reports::{ReportPerson, count, ranked_page},
};
use crate::error::ApiResult;

macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident <=> $domain:ty { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => Self::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => Self::$variant),+ }
            }
        }
    };
}

mirror_enum!(
    /// The risk class of an AI system under the EU AI Act.
    AiRiskClass <=> RiskClass {
        /// A prohibited practice (Art. 5): refused, never registered.
        Prohibited,
        /// High-risk (Art. 6, Annex III): needs its Annex III area, EU database registration
        /// (Art. 49(3)) and competent human oversight (Art. 26(2)).
        HighRisk,
        /// With transparency obligations (Art. 50), such as a chatbot.
        Transparency,
        /// Minimal risk, such as a translation tool.
        Minimal,
    }
);

mirror_enum!(
    /// The authority's role for an AI system under the EU AI Act.
    AiAuthorityRole <=> AuthorityRole {
        /// It uses a system someone else provides.
        Deployer,
        /// It provides (develops) the system.
        Provider,
        /// Both.
        Both,
    }
);

mirror_enum!(
    /// Where an AI system is in its life.
    AiSystemStatus <=> SystemStatus {
        /// Not yet in use.
        Planned,
        /// In use.
        InUse,
        /// No longer used: left out of reports; its instructions are no longer acknowledged.
        Retired,
    }
);

mirror_enum!(
    /// How people deal with an AI system.
    AiSystemUseKind <=> UseKind {
        /// They operate it.
        Operator,
        /// They oversee it (EU AI Act Art. 26(2)); high-risk systems only.
        Oversight,
        /// They are informed users, affected by what it produces.
        AffectedStaff,
    }
);

mirror_enum!(
    /// Where a person stands on the measures one AI system requires of them.
    AiEvidenceStatus <=> Status {
        /// Every measure is met, for the system as it is now.
        Compliant,
        /// A required course is assigned and past its due date.
        Overdue,
        /// A required course is assigned, not yet due.
        Due,
        /// Met only for an earlier version: the system changed and needs retraining.
        Stale,
        /// Something is missing and nothing is under way.
        Missing,
    }
);

/// A person by id, as little as a report row shows.
async fn person(ctx: &Context<'_>, user_id: Option<uuid::Uuid>) -> ApiResult<Option<ReportPerson>> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    Ok(loader::<UserLoader>(ctx)?
        .load_one(user_id)
        .await?
        .map(|user| ReportPerson {
            id: id(user.id),
            display_name: user.display_name,
        }))
}

/// An AI system in an authority's register.
pub struct AiSystem(pub ai_system::Model);

/// An AI system in an authority's register (EU AI Act): what it is for, who provides it, its
/// risk class, registration and version, and who deals with it and must meet which measures.
#[Object]
impl AiSystem {
    /// The system's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the authority uses it for.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// Who provides it.
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    /// Whether the authority deploys it, provides it, or both.
    async fn authority_role(&self) -> ApiResult<AiAuthorityRole> {
        Ok(AuthorityRole::parse(&self.0.authority_role)?.into())
    }

    /// Its risk class.
    async fn risk_class(&self) -> ApiResult<AiRiskClass> {
        Ok(RiskClass::parse(&self.0.risk_class)?.into())
    }

    /// The Annex III area (1 to 8) of a high-risk system; null otherwise.
    async fn annex_iii_area(&self) -> Option<i32> {
        self.0.annex_iii_area
    }

    /// Its registration in the EU database (Art. 49(3)); null when not registered.
    async fn eu_database_id(&self) -> Option<&str> {
        self.0.eu_database_id.as_deref()
    }

    /// Where it is published in a public algorithm register.
    async fn public_register_url(&self) -> Option<&str> {
        self.0.public_register_url.as_deref()
    }

    /// Where its instructions for use are.
    async fn instructions_url(&self) -> Option<&str> {
        self.0.instructions_url.as_deref()
    }

    /// The authority's top-level org unit, whose register it is in.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// The org unit that owns it.
    async fn owner_org_unit(&self, ctx: &Context<'_>) -> ApiResult<Option<OrgUnit>> {
        match self.0.owner_unit_id {
            Some(unit) => Ok(loader::<OrgUnitLoader>(ctx)?
                .load_one(unit)
                .await?
                .map(OrgUnit)),
            None => Ok(None),
        }
    }

    /// The person to contact about it.
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<ReportPerson>> {
        person(ctx, self.0.contact_user_id).await
    }

    /// Planned, in use or retired.
    async fn status(&self) -> ApiResult<AiSystemStatus> {
        Ok(SystemStatus::parse(&self.0.status)?.into())
    }

    /// Its version: 1, and one more per recorded change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the latest change that needs retraining was recorded; evidence older than this is
    /// stale.
    async fn retraining_since(&self) -> Option<DateTime<Utc>> {
        self.0.retraining_since
    }

    /// Whether it is a high-risk system in use without its EU database registration, which a
    /// public authority must have (Art. 49(3)).
    async fn registration_missing(&self) -> bool {
        ai_register::evidence::registration_missing(&self.0)
    }

    /// Its change log, newest first.
    async fn changes(&self, ctx: &Context<'_>) -> ApiResult<Vec<AiSystemChange>> {
        Ok(ai_register::changes(&services(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(AiSystemChange)
            .collect())
    }

    /// Who deals with it: job roles and named people, each with how.
    async fn uses(&self, ctx: &Context<'_>) -> ApiResult<Vec<AiSystemUse>> {
        Ok(ai_register::uses(&services(ctx)?.db, &[self.0.id])
            .await?
            .into_iter()
            .map(AiSystemUse)
            .collect())
    }

    /// What each kind of use requires.
    async fn measures(&self, ctx: &Context<'_>) -> ApiResult<Vec<AiSystemMeasure>> {
        Ok(ai_register::measures(&services(ctx)?.db, &[self.0.id])
            .await?
            .into_iter()
            .map(AiSystemMeasure)
            .collect())
    }

    /// When its current version was last updated in the register.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One entry of a system's change log.
pub struct AiSystemChange(ai_system_change::Model);

/// A material change to an AI system.
#[Object]
impl AiSystemChange {
    /// The version the change made.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// What changed.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// Whether the people dealing with the system had to be trained again.
    async fn requires_retraining(&self) -> bool {
        self.0.requires_retraining
    }

    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Who deals with a system, and how.
pub struct AiSystemUse(ai_system_use::Model);

/// A job role whose holders, or a named person who, deal with an AI system.
#[Object]
impl AiSystemUse {
    /// How.
    async fn kind(&self) -> ApiResult<AiSystemUseKind> {
        Ok(UseKind::parse(&self.0.kind)?.into())
    }

    /// The job role, when its holders are linked.
    async fn job_role(&self, ctx: &Context<'_>) -> ApiResult<Option<JobRole>> {
        match self.0.job_role_id {
            Some(role) => Ok(loader::<JobRoleLoader>(ctx)?
                .load_one(role)
                .await?
                .map(JobRole)),
            None => Ok(None),
        }
    }

    /// The person, when one is linked by name.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<ReportPerson>> {
        person(ctx, self.0.user_id).await
    }
}

/// One measure a kind of use requires.
pub struct AiSystemMeasure(ai_system_measure::Model);

/// A measure a kind of use of an AI system requires: exactly one of a course to complete, a
/// certificate to hold, a minimum competence level, or the instructions acknowledged.
#[Object]
impl AiSystemMeasure {
    /// The kind of use it applies to.
    async fn kind(&self) -> ApiResult<AiSystemUseKind> {
        Ok(UseKind::parse(&self.0.kind)?.into())
    }

    /// A course to complete.
    async fn course(&self, ctx: &Context<'_>) -> ApiResult<Option<Course>> {
        match self.0.course_id {
            Some(course) => Ok(loader::<CourseLoader>(ctx)?
                .load_one(course)
                .await?
                .map(Course)),
            None => Ok(None),
        }
    }

    /// A certificate to hold.
    async fn certificate_template(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<CertificateTemplate>> {
        match self.0.template_id {
            Some(template) => Ok(loader::<CertificateTemplateLoader>(ctx)?
                .load_one(template)
                .await?
                .map(CertificateTemplate)),
            None => Ok(None),
        }
    }

    /// A competence to reach `minLevel` in (verified; a self-assessment does not count).
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Option<Competence>> {
        match self.0.competence_id {
            Some(competence) => Ok(loader::<CompetenceLoader>(ctx)?
                .load_one(competence)
                .await?
                .map(Competence)),
            None => Ok(None),
        }
    }

    /// The level `competence` must reach.
    async fn min_level(&self) -> Option<i32> {
        self.0.min_level
    }

    /// Whether this measure is acknowledging the instructions for use in the current version.
    async fn instructions(&self) -> bool {
        self.0.instructions
    }
}

/// A new AI system for an authority's register.
#[derive(InputObject)]
pub struct CreateAiSystemInput {
    /// The authority's top-level org unit, whose register it goes into.
    pub org_unit_id: ID,
    /// What its entry says.
    #[graphql(flatten)]
    pub entry: UpdateAiSystemInput,
}

/// An AI system's whole register entry (an update replaces all of it).
#[derive(InputObject)]
pub struct UpdateAiSystemInput {
    /// Its name (1 to 200 characters).
    pub name: String,
    /// What the authority uses it for (at most 2,000 characters).
    pub purpose: String,
    /// Who provides it (1 to 200 characters).
    pub provider: String,
    /// Whether the authority deploys it, provides it, or both.
    pub authority_role: AiAuthorityRole,
    /// Its risk class; `PROHIBITED` is refused, and a system with oversight uses stays
    /// `HIGH_RISK` until they are removed.
    pub risk_class: AiRiskClass,
    /// The Annex III area (1 to 8); required for `HIGH_RISK`, refused otherwise.
    pub annex_iii_area: Option<i32>,
    /// Its registration in the EU database (Art. 49(3)).
    pub eu_database_id: Option<String>,
    /// Where it is published in a public algorithm register (https).
    pub public_register_url: Option<String>,
    /// Where its instructions for use are (https).
    pub instructions_url: Option<String>,
    /// The org unit in the authority that owns it.
    pub owner_org_unit_id: Option<ID>,
    /// The person in the authority to contact about it.
    pub contact_user_id: Option<ID>,
    /// Planned, in use or retired.
    pub status: AiSystemStatus,
}

impl UpdateAiSystemInput {
    fn into_domain(self) -> ApiResult<SystemInput> {
        Ok(SystemInput {
            name: self.name,
            purpose: self.purpose,
            provider: self.provider,
            authority_role: self.authority_role.into(),
            risk_class: self.risk_class.into(),
            annex_iii_area: self.annex_iii_area,
            eu_database_id: self.eu_database_id,
            public_register_url: self.public_register_url,
            instructions_url: self.instructions_url,
            owner_unit_id: self
                .owner_org_unit_id
                .map(|id| parse_id(&id, "ownerOrgUnitId"))
                .transpose()?,
            contact_user_id: self
                .contact_user_id
                .map(|id| parse_id(&id, "contactUserId"))
                .transpose()?,
            status: self.status.into(),
        })
    }
}

/// A material change to an AI system.
#[derive(InputObject)]
pub struct AiSystemChangeInput {
    /// What changed (at most 2,000 characters).
    pub summary: String,
    /// Whether the people dealing with it must be trained again: earlier evidence turns stale
    /// and its required courses are assigned again.
    pub requires_retraining: bool,
    /// Days until the renewed assignments are due (1 to 365; 30 when left out).
    pub due_in_days: Option<i32>,
}

/// A competence and the level it must reach.
#[derive(InputObject)]
pub struct AiCompetenceMeasureInput {
    /// The competence (of any framework, such as DigComp or an AI-literacy framework).
    pub competence_id: ID,
    /// The verified level it must reach (1 to 8).
    pub min_level: i32,
}

/// What one kind of use of an AI system requires, replaced as a whole.
#[derive(InputObject)]
pub struct AiSystemMeasuresInput {
    /// The kind of use.
    pub kind: AiSystemUseKind,
    /// Courses to complete (published, open to the authority's staff).
    #[graphql(default)]
    pub course_ids: Vec<ID>,
    /// Certificates to hold (templates for the authority's staff).
    #[graphql(default)]
    pub certificate_template_ids: Vec<ID>,
    /// Competence levels to reach.
    #[graphql(default)]
    pub competences: Vec<AiCompetenceMeasureInput>,
    /// Whether the instructions for use must be acknowledged in the current version.
    #[graphql(default)]
    pub instructions: bool,
}

#[derive(Default)]
pub struct AiRegisterQuery;

#[Object]
impl AiRegisterQuery {
    /// The AI register of the authority an org unit belongs to, by name (anyone in that
    /// authority; other authorities' registers are `NOT_FOUND`).
    async fn ai_systems(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An org unit of the authority; its top-level unit's register is listed.")]
        org_unit_id: ID,
    ) -> ApiResult<Vec<AiSystem>> {
        let unit = parse_id(&org_unit_id, "orgUnitId")?;
        Ok(ai_register::systems(&services(ctx)?.db, actor(ctx)?, unit)
            .await?
            .into_iter()
            .map(AiSystem)
            .collect())
    }

    /// One AI system of your authority's register; `NOT_FOUND` for another authority's.
    async fn ai_system(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] id: ID,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&id, "id")?;
        Ok(AiSystem(
            ai_register::find_visible(&services(ctx)?.db, actor(ctx)?, system_id).await?,
        ))
    }

    /// The AI Act report of an org unit's whole subtree (HR or ADMIN covering the unit): per
    /// system, the staff by status, oversight and registration; per sub-unit, under the
    /// minimum group size (the authority's `reportPrivacy`, else the platform's); and the people
    /// with gaps (an audited read).
    async fn ai_act_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The org unit whose whole subtree is reported on; one your HR or ADMIN role \
                    does not cover gives `FORBIDDEN`."
        )]
        org_unit_id: ID,
    ) -> ApiResult<AiActReport> {
        let actor = actor(ctx)?;
        let unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let services = services(ctx)?;
        let scope = Scope::load(
            &services.db,
            actor,
            unit_id,
            true,
            services.report_min_group_size,
        )
        .await?;
        Ok(AiActReport(
            ai_act::report(&services.db, scope, Utc::now()).await?,
        ))
    }
}

#[derive(Default)]
pub struct AiRegisterMutation;

#[Object]
impl AiRegisterMutation {
    /// Registers an AI system (ADMIN of the authority); audited. Not safe to repeat: each call
    /// registers another system.
    async fn create_ai_system(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's entry.")] input: CreateAiSystemInput,
    ) -> ApiResult<AiSystem> {
        let org_unit_id = parse_id(&input.org_unit_id, "orgUnitId")?;
        let system = input.entry.into_domain()?;
        Ok(AiSystem(
            ai_register::create_system(&services(ctx)?.db, actor(ctx)?, org_unit_id, system)
                .await?,
        ))
    }

    /// Replaces a system's entry (ADMIN of its authority); audited. Safe to repeat.
    async fn update_ai_system(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] id: ID,
        #[graphql(desc = "The whole entry.")] input: UpdateAiSystemInput,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&id, "id")?;
        let system = input.into_domain()?;
        Ok(AiSystem(
            ai_register::update_system(&services(ctx)?.db, actor(ctx)?, system_id, system).await?,
        ))
    }

    /// Records a material change (ADMIN of its authority): the version goes up; with
    /// `requiresRetraining`, earlier evidence turns stale and the required courses are assigned
    /// again to everyone who deals with it. Audited. Not safe to repeat: each call is a change.
    async fn record_ai_system_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
        #[graphql(desc = "The change.")] input: AiSystemChangeInput,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        let change = ChangeInput {
            summary: input.summary,
            requires_retraining: input.requires_retraining,
            due_in_days: input.due_in_days.map(i64::from),
        };
        Ok(AiSystem(
            ai_register::record_change(
                &services(ctx)?.db,
                actor(ctx)?,
                system_id,
                change,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Links a job role's holders to a system as operators, oversight (high-risk only) or
    /// affected staff (ADMIN of its authority), replacing how they were linked; its required
    /// courses are assigned to them. Audited; safe to repeat.
    async fn set_ai_system_use(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
        #[graphql(desc = "The job role, of the authority or platform-wide.")] job_role_id: ID,
        #[graphql(desc = "How its holders deal with the system.")] kind: AiSystemUseKind,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        let role = parse_id(&job_role_id, "jobRoleId")?;
        Ok(AiSystem(
            ai_register::set_use(
                &services(ctx)?.db,
                actor(ctx)?,
                system_id,
                Subject::JobRole(role),
                Some(kind.into()),
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Unlinks a job role from a system (ADMIN of its authority); audited; safe to repeat.
    async fn remove_ai_system_use(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
        #[graphql(desc = "The job role.")] job_role_id: ID,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        let role = parse_id(&job_role_id, "jobRoleId")?;
        Ok(AiSystem(
            ai_register::set_use(
                &services(ctx)?.db,
                actor(ctx)?,
                system_id,
                Subject::JobRole(role),
                None,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Links one named person to a system (such as an oversight person), or unlinks them with
    /// null (ADMIN of its authority). A named link wins over their job role's. Audited; safe
    /// to repeat.
    async fn set_ai_system_person_use(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
        #[graphql(desc = "The person, in the authority.")] user_id: ID,
        #[graphql(desc = "How they deal with the system; null unlinks them.")] kind: Option<
            AiSystemUseKind,
        >,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        let person = parse_id(&user_id, "userId")?;
        Ok(AiSystem(
            ai_register::set_use(
                &services(ctx)?.db,
                actor(ctx)?,
                system_id,
                Subject::Person(person),
                kind.map(Into::into),
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Replaces what one kind of use of a system requires (ADMIN of its authority); newly
    /// required courses are assigned. Audited; safe to repeat.
    async fn set_ai_system_measures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
        #[graphql(desc = "The measures of one kind of use.")] input: AiSystemMeasuresInput,
    ) -> ApiResult<AiSystem> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        let measures = MeasuresInput {
            course_ids: input
                .course_ids
                .iter()
                .map(|id| parse_id(id, "courseIds"))
                .collect::<ApiResult<_>>()?,
            template_ids: input
                .certificate_template_ids
                .iter()
                .map(|id| parse_id(id, "certificateTemplateIds"))
                .collect::<ApiResult<_>>()?,
            competences: input
                .competences
                .iter()
                .map(|c| Ok((parse_id(&c.competence_id, "competences")?, c.min_level)))
                .collect::<ApiResult<_>>()?,
            instructions: input.instructions,
        };
        Ok(AiSystem(
            ai_register::set_measures(
                &services(ctx)?.db,
                actor(ctx)?,
                system_id,
                input.kind.into(),
                measures,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Records that you read and acknowledge a system's instructions for use, in its current
    /// version (anyone in its authority; refused for a retired system with `CONFLICT`).
    /// Audited; safe to repeat.
    async fn acknowledge_ai_system_instructions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
    ) -> ApiResult<bool> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        ai_register::acknowledge_instructions(
            &services(ctx)?.db,
            actor(ctx)?,
            system_id,
            Utc::now(),
        )
        .await?;
        Ok(true)
    }
}

/// The AI Act report of an org unit.
pub struct AiActReport(ai_act::AiActReport);

/// Which AI systems the authority deploys, who in an org unit's subtree deals with each, which
/// measures they have met, and where the gaps are (EU AI Act Art. 4, 26(2), 49(3)).
#[Object]
impl AiActReport {
    /// The org unit reported on.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.scope.unit().clone())
    }

    /// When the report was made: statuses are as of then.
    async fn generated_at(&self) -> DateTime<Utc> {
        self.0.now
    }

    /// Whether the whole report is withheld under the minimum group size, as for
    /// `skillGapReport`, the groups being the staff who deal with AI systems as well as all
    /// staff: then `totals`, `systems` and `subunits` are null, and `gaps` and `oversight`
    /// empty.
    async fn suppressed(&self) -> bool {
        self.0.figures.is_suppressed()
    }

    /// The people dealing with any system, each once, under their most urgent status; null
    /// when the report is withheld.
    async fn totals(&self) -> Option<AiActCounts> {
        self.0.figures.shown().map(|f| AiActCounts(f.counts))
    }

    /// Per system of the register that is not retired, by name; null when the report is
    /// withheld.
    async fn systems(&self) -> Option<Vec<AiActSystem>> {
        self.0
            .figures
            .shown()
            .map(|f| f.systems.iter().cloned().map(AiActSystem).collect())
    }

    /// The same as `totals` per direct sub-unit, by name; null when the report is withheld.
    async fn subunits(&self) -> Option<Vec<AiActSubunit>> {
        self.0
            .figures
            .shown()
            .map(|f| f.subunits.iter().cloned().map(AiActSubunit).collect())
    }

    /// The people with a gap, one row per person and system: overdue first, then missing,
    /// stale and due; by name; leaving out the members of suppressed sub-units (everyone when
    /// the report is withheld). Every read is recorded in the audit log.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn gaps(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many rows to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
    ) -> ApiResult<Connection<String, AiActGap>> {
        let db = &services(ctx)?.db;
        let actor = actor(ctx)?;
        ranked_page(first, after, AiActGap, async |page| {
            ai_act::gaps(db, actor, &self.0, page).await
        })
        .await
    }

    /// The oversight persons of one system and whether each meets every measure (Art. 26(2)),
    /// leaving out the members of suppressed sub-units (everyone when the report is withheld).
    /// An audited read.
    async fn oversight(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system's id.")] ai_system_id: ID,
    ) -> ApiResult<Vec<AiActGap>> {
        let system_id = parse_id(&ai_system_id, "aiSystemId")?;
        Ok(
            ai_act::oversight(&services(ctx)?.db, actor(ctx)?, &self.0, system_id)
                .await?
                .into_iter()
                .map(AiActGap)
                .collect(),
        )
    }
}

/// How many people (or, per system, person-system pairs) are at each status.
pub struct AiActCounts(StatusCounts);

/// How many people are at each status.
#[Object]
impl AiActCounts {
    /// Everyone counted.
    async fn people(&self) -> i32 {
        count(self.0.total())
    }

    /// Meeting every measure.
    async fn compliant(&self) -> i32 {
        count(self.0.compliant)
    }

    /// With a required course past due.
    async fn overdue(&self) -> i32 {
        count(self.0.overdue)
    }

    /// With a required course assigned, not yet due.
    async fn due(&self) -> i32 {
        count(self.0.due)
    }

    /// Met only for an earlier version of the system.
    async fn stale(&self) -> i32 {
        count(self.0.stale)
    }

    /// Missing something, with nothing under way.
    async fn missing(&self) -> i32 {
        count(self.0.missing)
    }
}

/// One system's part of an AI Act report.
pub struct AiActSystem(SystemFigures);

/// One AI system in an AI Act report.
#[Object]
impl AiActSystem {
    /// The system.
    async fn system(&self) -> AiSystem {
        AiSystem(self.0.system.clone())
    }

    /// The people in scope who deal with it, by status.
    async fn counts(&self) -> AiActCounts {
        AiActCounts(self.0.counts)
    }

    /// How many oversight persons it has in scope (Art. 26(2)).
    async fn oversight_persons(&self) -> i32 {
        count(self.0.oversight)
    }

    /// How many of them meet every measure.
    async fn oversight_competent(&self) -> i32 {
        count(self.0.oversight_competent)
    }

    /// Whether it is high-risk, in use and without its EU database registration.
    async fn registration_missing(&self) -> bool {
        self.0.registration_missing
    }

    /// How many must acknowledge its instructions for use.
    async fn instructions_required(&self) -> i32 {
        count(self.0.instructions_required)
    }

    /// How many of them did, for the current version.
    async fn instructions_acknowledged(&self) -> i32 {
        count(self.0.instructions_acknowledged)
    }
}

/// A direct sub-unit's part of an AI Act report.
pub struct AiActSubunit(SubunitFigures);

/// A direct sub-unit's part of an AI Act report, over its whole subtree.
#[Object]
impl AiActSubunit {
    /// The sub-unit.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit.clone())
    }

    /// Whether its counts are withheld under the minimum group size (the authority's
    /// `reportPrivacy`, else the platform's): it has fewer staff, or fewer staff dealing with
    /// AI systems, than that, or is suppressed so that such a group beside it cannot be worked
    /// out from the totals.
    async fn suppressed(&self) -> bool {
        self.0.counts.shown().is_none()
    }

    /// The counts; null when suppressed.
    async fn counts(&self) -> Option<AiActCounts> {
        self.0.counts.shown().copied().map(AiActCounts)
    }
}

/// A measure not met, as a report row shows it.
#[derive(SimpleObject)]
pub struct AiOpenMeasure {
    /// `COURSE`, `CERTIFICATE`, `COMPETENCE` or `INSTRUCTIONS`.
    pub measure: String,
    /// The course, certificate template or competence it names; null for instructions.
    pub target_id: Option<ID>,
    /// The level a competence must reach.
    pub min_level: Option<i32>,
    /// Where the person stands on it.
    pub status: AiEvidenceStatus,
}

/// One person and one system in an AI Act report.
pub struct AiActGap(Gap);

/// A person who deals with an AI system and where they stand on its measures.
#[Object]
impl AiActGap {
    /// The person, to go from the row to `assignCourse`.
    async fn user(&self) -> ReportPerson {
        ReportPerson {
            id: id(self.0.user_id),
            display_name: self.0.display_name.clone(),
        }
    }

    /// The org unit they work in.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// The system's id.
    async fn ai_system_id(&self) -> ID {
        id(self.0.ai_system_id)
    }

    /// The system's name.
    async fn ai_system_name(&self) -> &str {
        &self.0.ai_system_name
    }

    /// How they deal with it.
    async fn kind(&self) -> AiSystemUseKind {
        self.0.kind.into()
    }

    /// Where they stand.
    async fn status(&self) -> AiEvidenceStatus {
        self.0.status.into()
    }

    /// The measures they have not met.
    async fn open_measures(&self) -> Vec<AiOpenMeasure> {
        self.0
            .open
            .iter()
            .map(|(measure, status)| {
                let (kind, target, level) = match measure {
                    Measure::Course(course) => ("COURSE", Some(id(*course)), None),
                    Measure::Certificate(template) => ("CERTIFICATE", Some(id(*template)), None),
                    Measure::Competence {
                        competence_id,
                        min_level,
                    } => ("COMPETENCE", Some(id(*competence_id)), Some(*min_level)),
                    Measure::Instructions => ("INSTRUCTIONS", None, None),
                };
                AiOpenMeasure {
                    measure: kind.to_owned(),
                    target_id: target,
                    min_level: level,
                    status: (*status).into(),
                }
            })
            .collect()
    }

    /// When their earliest open assignment for it is due.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
}
