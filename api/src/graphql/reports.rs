//! HR reports: `skillGapReport`, `aiLiteracyReport`, `completionReport`.
//!
//! Under the minimum group size (the authority's `reportPrivacy`, else the platform's), a
//! suppressed sub-unit says `suppressed: true` and its figures are null; a whole report that
//! is withheld says the same at its top (`suppressed: true`, every figure null, every list of
//! people empty). The same holds for `aiActReport` and `rolloutReadiness`.

use async_graphql::{
    Context, ID, Object, OutputType, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::Utc;
use govskills_domain::reports::Group;
use govskills_domain::reports::{
    PageRequest, Scope,
    ai_literacy::{self, Counts, Status, SubunitCounts, Uncertified},
    completion::{self, CompletionReport as DomainCompletionReport, CourseCompletion},
    skill_gaps::{self, Aggregates, CompetenceGap as DomainCompetenceGap, StaffGap, SubunitGaps},
};

use super::{
    context::{actor, loader, services},
    cursor,
    frameworks::{Competence, CompetenceFramework},
    id, list_cost,
    loaders::{CompetenceLoader, CourseLoader, LoadRequired, OrgUnitLoader},
    org_units::OrgUnit,
    page_size, paged_cost, parse_after, parse_id,
};
use crate::{error::ApiResult, graphql::courses::Course};

pub(crate) fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The skill-gap report of an org unit; its figures are computed when first asked for, once.
pub struct SkillGapReport {
    report: skill_gaps::SkillGapReport,
    aggregates: tokio::sync::OnceCell<Group<Aggregates>>,
}

impl SkillGapReport {
    /// The figures; `None` when the report is withheld.
    async fn aggregates(&self, ctx: &Context<'_>) -> ApiResult<Option<&Aggregates>> {
        Ok(self
            .aggregates
            .get_or_try_init(|| async {
                let db = &services(ctx)?.read_db;
                Ok::<_, crate::error::ApiError>(skill_gaps::aggregates(db, &self.report).await?)
            })
            .await?
            .shown())
    }
}

/// How far the staff of an org unit fall short of the competence levels their job roles
/// require. The current level is the latest verified result, else the latest self-assessment,
/// else 0; the gap is the required level minus the current level, never negative.
#[Object]
impl SkillGapReport {
    /// The org unit reported on.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.report.scope.unit().clone())
    }

    /// Whether the staff of its sub-units are included.
    async fn include_subunits(&self) -> bool {
        self.report.scope.include_subunits()
    }

    /// The framework the report is limited to; null: every framework.
    async fn framework(&self) -> Option<CompetenceFramework> {
        self.report.framework.clone().map(CompetenceFramework)
    }

    /// Whether the whole report is withheld under the minimum group size (the authority's
    /// `reportPrivacy`, else the platform's): the unit, or one of its parents below the
    /// authority, is a suppressed group of its parent's report (too small, or suppressed so that
    /// a smaller one cannot be worked out from the rest), or, with `includeSubunits: false`,
    /// the unit's own staff are. Then every figure is null and `staff` is empty. An
    /// authority's report on its whole subtree is never withheld.
    async fn suppressed(&self) -> bool {
        self.report.scope.suppressed()
    }

    /// Active staff in scope, with or without a job role; null when the report is withheld.
    async fn staff_count(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        Ok(self.aggregates(ctx).await?.map(|a| count(a.staff)))
    }

    /// Per competence that a job role in scope requires, in no particular order; null when
    /// the report is withheld.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn competences(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<CompetenceGap>>> {
        Ok(self
            .aggregates(ctx)
            .await?
            .map(|a| a.competences.iter().cloned().map(CompetenceGap).collect()))
    }

    /// The same per direct sub-unit (each with its whole subtree), by name; empty unless
    /// sub-units are included; null when the report is withheld.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn subunits(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<SubunitSkillGaps>>> {
        Ok(self
            .aggregates(ctx)
            .await?
            .map(|a| a.subunits.iter().cloned().map(SubunitSkillGaps).collect()))
    }

    /// The staff with the largest total gap, largest first, leaving out the members of
    /// suppressed sub-units (and everyone when the report is withheld). Shows names only (no
    /// contact details); every read is recorded in the audit log.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many staff members to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
    ) -> ApiResult<Connection<String, StaffGapEntry>> {
        let db = &services(ctx)?.db;
        let actor = actor(ctx)?;
        ranked_page(first, after, StaffGapEntry, async |page| {
            skill_gaps::largest_gaps(db, actor, &self.report, page).await
        })
        .await
    }
}

/// One page of a ranked list: `fetch` reads one row more than asked for, to learn whether more
/// follow; cursors are positions in the ranking.
pub(crate) async fn ranked_page<T, N: OutputType>(
    first: Option<i32>,
    after: Option<String>,
    wrap: impl Fn(T) -> N,
    fetch: impl AsyncFnOnce(PageRequest) -> govskills_domain::Result<Vec<T>>,
) -> ApiResult<Connection<String, N>> {
    let first = page_size(first)?;
    let offset: Option<u64> = parse_after(after.as_deref())?;
    let start = offset.map_or(0, |offset| offset + 1);
    let mut rows = fetch(PageRequest {
        first: first as u64 + 1,
        offset: start,
    })
    .await?;
    let has_next_page = rows.len() > first;
    rows.truncate(first);
    let mut connection = Connection::new(offset.is_some(), has_next_page);
    connection.edges.extend(
        rows.into_iter()
            .zip(start..)
            .map(|(row, position)| Edge::new(cursor(position), wrap(row))),
    );
    Ok(connection)
}

/// One competence's figures over a group of staff.
pub struct CompetenceGap(DomainCompetenceGap);

/// One competence's figures over a group of staff: how many need it, where they stand, and
/// how far below the required level they are.
#[Object]
impl CompetenceGap {
    /// The competence.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// Staff whose job role requires this competence.
    async fn staff_with_requirement(&self) -> i32 {
        count(self.0.staff_with_requirement)
    }

    /// How many of them are at each current level (level 0: no result), lowest level first;
    /// levels nobody is at are left out.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn level_distribution(&self) -> Vec<LevelCount> {
        self.0
            .levels
            .iter()
            .map(|(&level, &staff)| LevelCount {
                level,
                staff: count(staff),
            })
            .collect()
    }

    /// How many are below their required level.
    async fn below_required(&self) -> i32 {
        count(self.0.below_required)
    }

    /// By how many levels those below fall short, on average; null when nobody is below.
    async fn average_shortfall(&self) -> Option<f64> {
        self.0.average_shortfall()
    }

    /// How many have no verified result (only a self-assessment, or nothing).
    async fn without_verified_result(&self) -> i32 {
        count(self.0.without_verified_result)
    }
}

/// How many staff are at one level.
#[derive(async_graphql::SimpleObject)]
pub struct LevelCount {
    /// The level (0: no result).
    level: i32,
    /// How many staff are at it.
    staff: i32,
}

/// A direct sub-unit's part of a skill-gap report.
pub struct SubunitSkillGaps(SubunitGaps);

/// A direct sub-unit's part of a skill-gap report, over its whole subtree.
#[Object]
impl SubunitSkillGaps {
    /// The sub-unit.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit.clone())
    }

    /// Whether its figures are withheld under the minimum group size (the authority's
    /// `reportPrivacy`, else the platform's): it has fewer staff than that, or is suppressed so
    /// that a smaller group beside it cannot be worked out from the report's totals.
    async fn suppressed(&self) -> bool {
        self.0.competences.shown().is_none()
    }

    /// Active staff in it; null when suppressed.
    async fn staff_count(&self) -> Option<i32> {
        self.0.competences.shown().map(|_| count(self.0.staff))
    }

    /// Per competence, as in the whole report; null when suppressed.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn competences(&self) -> Option<Vec<CompetenceGap>> {
        self.0
            .competences
            .shown()
            .map(|gaps| gaps.iter().cloned().map(CompetenceGap).collect())
    }
}

/// The org unit a listed person works in.
async fn org_unit(ctx: &Context<'_>, id: uuid::Uuid) -> ApiResult<OrgUnit> {
    loader::<OrgUnitLoader>(ctx)?
        .load_required(id, "org unit")
        .await
        .map(OrgUnit)
}

/// A person named in a report row or a course roster: enough to act on the row (open
/// `user(id)`, assign them a course with `assignCourse(userIds: [id])`), and nothing more.
#[derive(SimpleObject)]
pub struct ReportPerson {
    /// Their account's id.
    pub id: ID,
    /// Their display name.
    pub display_name: String,
}

/// A person with a gap.
pub struct StaffGapEntry(StaffGap);

/// A person whose current levels fall short of what their job requires.
#[Object]
impl StaffGapEntry {
    /// The person, to go from the row to `assignCourse`.
    async fn user(&self) -> ReportPerson {
        ReportPerson {
            id: id(self.0.user_id),
            display_name: self.0.display_name.clone(),
        }
    }

    /// Their display name (nothing else about them is shown).
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// The org unit they work in.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        org_unit(ctx, self.0.org_unit_id).await
    }

    /// The sum of their gaps.
    async fn total_gap(&self) -> i32 {
        count(self.0.total_gap)
    }

    /// In how many competences they are below the required level.
    async fn competences_below(&self) -> i32 {
        count(self.0.competences_below)
    }
}

/// The completion report of an org unit.
pub struct CompletionReport(DomainCompletionReport);

/// How the staff of an org unit are getting on with their courses: enrolments that are not
/// withdrawn or cancelled, per course.
#[Object]
impl CompletionReport {
    /// The org unit reported on.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.scope.unit().clone())
    }

    /// Whether the staff of its sub-units are included.
    async fn include_subunits(&self) -> bool {
        self.0.scope.include_subunits()
    }

    /// Whether the whole report is withheld under the minimum group size, as for
    /// `skillGapReport`: then `courses` is null.
    async fn suppressed(&self) -> bool {
        self.0.courses.is_suppressed()
    }

    /// Per course (each version separately), by title; null when the report is withheld.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn courses(&self) -> Option<Vec<CourseCompletionRow>> {
        self.0
            .courses
            .shown()
            .map(|courses| courses.iter().cloned().map(CourseCompletionRow).collect())
    }
}

/// One course's figures in a completion report.
pub struct CourseCompletionRow(CourseCompletion);

/// One course's figures in a completion report.
#[Object]
impl CourseCompletionRow {
    /// The course (this version).
    async fn course(&self, ctx: &Context<'_>) -> ApiResult<Course> {
        loader::<CourseLoader>(ctx)?
            .load_required(self.0.course_id, "course")
            .await
            .map(Course)
    }

    /// Staff taking it, by choice or assignment.
    async fn enrolled(&self) -> i32 {
        count(self.0.enrolled)
    }

    /// Of those, assigned by HR.
    async fn assigned(&self) -> i32 {
        count(self.0.assigned)
    }

    /// Of those enrolled, who completed it.
    async fn completed(&self) -> i32 {
        count(self.0.completed)
    }

    /// Of the assignments, how many are completed.
    async fn assigned_completed(&self) -> i32 {
        count(self.0.assigned_completed)
    }

    /// Assignments still open past their due date.
    async fn overdue(&self) -> i32 {
        count(self.0.overdue)
    }
}

/// The AI-literacy report of an org unit.
pub struct AiLiteracyReport(ai_literacy::AiLiteracyReport);

/// Where the staff of an org unit (its whole subtree) whose job role uses AI systems stand on AI
/// literacy (EU AI Act Art. 4). Each person counts once, under the first status that applies:
/// certified (a valid certificate that attests AI literacy), overdue, assigned, missing.
#[Object]
impl AiLiteracyReport {
    /// The org unit reported on.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.scope.unit().clone())
    }

    /// Whether the whole report is withheld under the minimum group size, as for
    /// `skillGapReport`, the groups being the staff who use AI systems as well as all staff:
    /// then `totals` and `subunits` are null and `uncertified` is empty.
    async fn suppressed(&self) -> bool {
        self.0.figures.is_suppressed()
    }

    /// The counts over the whole subtree; null when the report is withheld.
    async fn totals(&self) -> Option<AiLiteracyCounts> {
        self.0.figures.shown().map(|f| AiLiteracyCounts(f.counts))
    }

    /// The same per direct sub-unit, by name; null when the report is withheld.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn subunits(&self) -> Option<Vec<SubunitAiLiteracy>> {
        self.0
            .figures
            .shown()
            .map(|f| f.subunits.iter().cloned().map(SubunitAiLiteracy).collect())
    }

    /// The people using AI systems without a valid certificate: overdue first, then those with
    /// nothing under way, then those assigned; by name; leaving out the members of suppressed
    /// sub-units (everyone when the report is withheld). Every read is recorded in the audit
    /// log.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn uncertified(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many people to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
    ) -> ApiResult<Connection<String, UncertifiedEntry>> {
        let db = &services(ctx)?.db;
        let actor = actor(ctx)?;
        ranked_page(first, after, UncertifiedEntry, async |page| {
            ai_literacy::uncertified(db, actor, &self.0, page).await
        })
        .await
    }
}

/// How many staff using AI systems are at each status.
pub struct AiLiteracyCounts(Counts);

/// How many staff using AI systems are at each status.
#[Object]
impl AiLiteracyCounts {
    /// Staff whose job role uses AI systems.
    async fn staff_using_ai_systems(&self) -> i32 {
        count(self.0.total())
    }

    /// Of those, holding a valid (neither expired nor revoked) AI-literacy certificate.
    async fn certified(&self) -> i32 {
        count(self.0.certified)
    }

    /// Without one, but assigned a course towards it that is not yet due.
    async fn assigned(&self) -> i32 {
        count(self.0.assigned)
    }

    /// Without one, and their assignment is past its due date.
    async fn overdue(&self) -> i32 {
        count(self.0.overdue)
    }

    /// Without one and with nothing under way.
    async fn missing(&self) -> i32 {
        count(self.0.missing)
    }

    /// Certified, as a percentage of those using AI systems (100 when nobody does).
    async fn certified_percent(&self) -> f64 {
        let total = self.0.total();
        if total == 0 {
            100.0
        } else {
            self.0.certified as f64 * 100.0 / total as f64
        }
    }
}

/// A direct sub-unit's part of an AI-literacy report.
pub struct SubunitAiLiteracy(SubunitCounts);

/// A direct sub-unit's part of an AI-literacy report, over its whole subtree.
#[Object]
impl SubunitAiLiteracy {
    /// The sub-unit.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit.clone())
    }

    /// Whether its counts are withheld under the minimum group size (the authority's
    /// `reportPrivacy`, else the platform's): it has fewer staff, or fewer staff using AI
    /// systems, than that, or is suppressed so that such a group beside it cannot be worked out
    /// from the totals.
    async fn suppressed(&self) -> bool {
        self.0.counts.shown().is_none()
    }

    /// The counts; null when suppressed.
    async fn counts(&self) -> Option<AiLiteracyCounts> {
        self.0.counts.shown().copied().map(AiLiteracyCounts)
    }
}

/// Where a person using AI systems stands.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AiLiteracyStatus {
    /// Holds a valid certificate that attests AI literacy.
    Certified,
    /// Assigned a course towards one, past its due date.
    Overdue,
    /// Assigned a course towards one, not yet due.
    Assigned,
    /// Nothing under way.
    Missing,
}

impl From<Status> for AiLiteracyStatus {
    fn from(value: Status) -> Self {
        match value {
            Status::Certified => Self::Certified,
            Status::Overdue => Self::Overdue,
            Status::Assigned => Self::Assigned,
            Status::Missing => Self::Missing,
        }
    }
}

/// A person using AI systems without a valid certificate.
pub struct UncertifiedEntry(Uncertified);

/// A person whose job uses AI systems and who holds no valid AI-literacy certificate.
#[Object]
impl UncertifiedEntry {
    /// The person, to go from the row to `assignCourse`.
    async fn user(&self) -> ReportPerson {
        ReportPerson {
            id: id(self.0.user_id),
            display_name: self.0.display_name.clone(),
        }
    }

    /// Their display name (nothing else about them is shown).
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// The org unit they work in.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        org_unit(ctx, self.0.org_unit_id).await
    }

    /// The name of their job role.
    async fn job_role(&self) -> &str {
        &self.0.job_role
    }

    /// Overdue, missing or assigned.
    async fn status(&self) -> AiLiteracyStatus {
        self.0.status.into()
    }

    /// When their earliest open assignment towards a certificate is due, if they have one.
    async fn due_at(&self) -> Option<chrono::DateTime<Utc>> {
        self.0.due_at
    }
}

#[derive(Default)]
pub struct ReportQuery;

/// HR reports.
#[Object]
impl ReportQuery {
    /// Skill gaps of an org unit's staff against their job roles' required levels (HR or ADMIN
    /// covering the unit). `includeSubunits` (default, and when null: true) adds the staff of
    /// the whole subtree; `frameworkId` limits it to one framework.
    async fn skill_gap_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the org unit reported on; one your HR or ADMIN role does not \
                    cover gives `FORBIDDEN`."
        )]
        org_unit_id: ID,
        #[graphql(
            default_with = "Some(true)",
            desc = "Whether to include the staff of the unit's whole subtree (true when left \
                    out or null) or only the unit's own staff (false)."
        )]
        include_subunits: Option<bool>,
        #[graphql(desc = "Only this framework's competences; leave out for every framework.")]
        framework_id: Option<ID>,
    ) -> ApiResult<SkillGapReport> {
        let actor = actor(ctx)?;
        let unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let framework_id = framework_id
            .map(|id| parse_id(&id, "frameworkId"))
            .transpose()?;
        let services = services(ctx)?;
        let scope = Scope::load(
            &services.read_db,
            actor,
            unit_id,
            include_subunits.unwrap_or(true),
            services.report_min_group_size,
        )
        .await?;
        Ok(SkillGapReport {
            report: skill_gaps::SkillGapReport::new(&services.read_db, scope, framework_id).await?,
            aggregates: tokio::sync::OnceCell::new(),
        })
    }

    /// AI literacy (EU AI Act Art. 4) of the staff of an org unit's subtree whose job role uses
    /// AI systems (HR or ADMIN covering the unit).
    async fn ai_literacy_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the org unit whose whole subtree is reported on; one your HR or \
                    ADMIN role does not cover gives `FORBIDDEN`."
        )]
        org_unit_id: ID,
    ) -> ApiResult<AiLiteracyReport> {
        let actor = actor(ctx)?;
        let unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let services = services(ctx)?;
        let scope = Scope::load(
            &services.read_db,
            actor,
            unit_id,
            true,
            services.report_min_group_size,
        )
        .await?;
        let report = ai_literacy::report(&services.read_db, scope, Utc::now()).await?;
        Ok(AiLiteracyReport(report))
    }

    /// Course completion of an org unit's staff (HR or ADMIN covering the unit).
    async fn completion_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the org unit reported on; one your HR or ADMIN role does not \
                    cover gives `FORBIDDEN`."
        )]
        org_unit_id: ID,
        #[graphql(
            default_with = "Some(true)",
            desc = "Whether to include the staff of the unit's whole subtree (true when left \
                    out or null) or only the unit's own staff (false)."
        )]
        include_subunits: Option<bool>,
    ) -> ApiResult<CompletionReport> {
        let actor = actor(ctx)?;
        let unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let services = services(ctx)?;
        let scope = Scope::load(
            &services.read_db,
            actor,
            unit_id,
            include_subunits.unwrap_or(true),
            services.report_min_group_size,
        )
        .await?;
        Ok(CompletionReport(
            completion::report(&services.read_db, scope, Utc::now()).await?,
        ))
    }
}
