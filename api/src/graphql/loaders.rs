//! DataLoaders, built per request, so nested lists cost one query per level, not per row.
//!
//! Two shapes recur: rows by their own id (`by_id!`), and the rows that belong to a parent, in
//! order (`children!`, keyed by a newtype over the parent's id).

use std::{collections::HashMap, future::Future, time::Duration};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use govskills_domain::{
    accounts, assessments, certificates, competences, courses,
    entities::{
        assessment_draw_rule, assessment_item, certificate_ai_system, certificate_template,
        certificate_template_assessment, certificate_template_competence,
        certificate_template_course, competence, competence_area, competence_framework, course,
        course_author, course_competence, course_module, job_role, job_role_requirement, lesson,
        lesson_progress, org_unit, proficiency_level, question, question_option, question_version,
        role_grant, rollout, rollout_course, rollout_job_role, rollout_requirement, rollout_unit,
        user,
    },
    job_roles, learning, org, rollouts,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::missing;
use crate::error::{ApiError, ApiResult};

/// Loading a row that another row points at.
pub trait LoadRequired<V> {
    /// Loads the row `id` names. A foreign key points at it, so a missing row is our fault:
    /// logged as the `what` with that id, and `INTERNAL` for the client.
    fn load_required(
        &self,
        id: Uuid,
        what: &'static str,
    ) -> impl Future<Output = ApiResult<V>> + Send;
}

impl<T> LoadRequired<T::Value> for DataLoader<T, HashMapCache>
where
    T: Loader<Uuid, Error = ApiError>,
{
    async fn load_required(&self, id: Uuid, what: &'static str) -> ApiResult<T::Value> {
        self.load_one(id).await?.ok_or_else(|| missing(what, id))
    }
}

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
                let rows = $fetch(&self.0, &ids).await?;
                Ok(grouped(keys.iter().copied(), rows, |row| $key(row.$parent)))
            }
        }
    };
}

/// `rows` grouped by their `parent`, in their order, with an empty group for each of `parents`
/// without any (so that a loader knows those have none).
pub fn grouped<K: std::hash::Hash + Eq, T>(
    parents: impl IntoIterator<Item = K>,
    rows: Vec<T>,
    parent: impl Fn(&T) -> K,
) -> HashMap<K, Vec<T>> {
    let mut groups: HashMap<K, Vec<T>> = parents.into_iter().map(|key| (key, Vec::new())).collect();
    for row in rows {
        groups.entry(parent(&row)).or_default().push(row);
    }
    groups
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
    /// Required levels by job role.
    RequirementLoader, RequirementsOf, job_role_requirement::Model, job_roles::requirements_of,
    job_role_id
);

by_id!(
    /// Users by id (course owners and co-authors).
    UserLoader, user::Model, courses::users_by_ids
);
children!(
    /// Modules by course, in order.
    ModuleLoader, ModulesOf, course_module::Model, courses::modules_of, course_id
);
children!(
    /// Lessons by module, in order (without their Markdown: see `LessonBodyLoader`).
    LessonLoader, LessonsOf, lesson::Model, courses::lessons_of_modules, module_id
);
children!(
    /// Lessons by course (for derived totals).
    CourseLessonLoader, CourseLessonsOf, lesson::Model, courses::lessons_of_courses, course_id
);
children!(
    /// Competence targets by course.
    TargetLoader, TargetsOf, course_competence::Model, courses::targets_of, course_id
);
children!(
    /// Co-authors by course.
    CoAuthorLoader, CoAuthorsOf, course_author::Model, courses::co_authors_of, course_id
);
by_id!(
    /// Courses by id (the course of an enrolment).
    CourseLoader, course::Model, courses::courses_by_ids
);
children!(
    /// Lessons done, by enrolment.
    ProgressLoader, ProgressOf, lesson_progress::Model, learning::progress_of, enrollment_id
);
by_id!(
    /// Questions by id (assessment items, statistics).
    QuestionLoader, question::Model, assessments::questions_by_ids
);
children!(
    /// The current version of each question (a list of one).
    CurrentVersionLoader, CurrentVersionOf, question_version::Model,
    assessments::current_versions, question_id
);
children!(
    /// Options by question version, in order.
    OptionLoader, OptionsOf, question_option::Model, assessments::options_of_versions,
    question_version_id
);
children!(
    /// The questions of fixed assessments, in order.
    ItemLoader, ItemsOf, assessment_item::Model, assessments::items_of, assessment_id
);
children!(
    /// The draw rules of random assessments, in order.
    DrawRuleLoader, DrawRulesOf, assessment_draw_rule::Model, assessments::draw_rules_of,
    assessment_id
);

by_id!(
    /// Certificate templates by id.
    CertificateTemplateLoader, certificate_template::Model, certificates::templates_by_ids
);
children!(
    /// Course criteria by certificate template.
    TemplateCourseLoader, TemplateCoursesOf, certificate_template_course::Model,
    certificates::course_criteria_of, template_id
);
children!(
    /// Assessment criteria by certificate template.
    TemplateAssessmentLoader, TemplateAssessmentsOf, certificate_template_assessment::Model,
    certificates::assessment_criteria_of, template_id
);
children!(
    /// Competence alignments by certificate template, in order.
    TemplateAlignmentLoader, TemplateAlignmentsOf, certificate_template_competence::Model,
    certificates::alignments_of_templates, template_id
);
children!(
    /// The AI systems each certificate covers, as recorded at issuance, by name.
    CertificateAiSystemLoader, AiSystemsOfCertificate, certificate_ai_system::Model,
    certificates::ai_systems_of_certificates, certificate_id
);

children!(
    /// Affected units by rollout.
    RolloutUnitLoader, RolloutUnitsOf, rollout_unit::Model, rollouts::units_of, rollout_id
);
children!(
    /// Affected job roles by rollout.
    RolloutJobRoleLoader, RolloutJobRolesOf, rollout_job_role::Model, rollouts::job_roles_of,
    rollout_id
);
children!(
    /// Required levels by rollout.
    RolloutRequirementLoader, RolloutRequirementsOf, rollout_requirement::Model,
    rollouts::requirements_of, rollout_id
);
children!(
    /// Courses by rollout, in order.
    RolloutCourseLoader, RolloutCoursesOf, rollout_course::Model, rollouts::courses_of,
    rollout_id
);

/// Loads values by a key with `$fetch(db, keys)`, which gives `(key, value)` pairs; a key
/// without a pair has no value.
macro_rules! pairs {
    ($(#[$doc:meta])* $loader:ident, $value:ty, $fetch:path) => {
        $(#[$doc])*
        pub struct $loader(pub DatabaseConnection);

        impl Loader<Uuid> for $loader {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $value>, ApiError> {
                Ok($fetch(&self.0, keys).await?.into_iter().collect())
            }
        }
    };
}

pairs!(
    /// A text lesson's Markdown, by the lesson's id: lists of lessons are read without it.
    LessonBodyLoader, String, courses::lesson_bodies
);
pairs!(
    /// The rollout that assigned an enrolment, by the enrolment's id.
    EnrollmentRolloutLoader, rollout::Model, rollouts::for_enrollments
);
pairs!(
    /// The job role a person holds, by the person's id (none without one).
    HeldJobRoleLoader, job_role::Model, job_roles::held_by
);
pairs!(
    /// Lessons done and in all, by enrolment.
    LessonCountLoader, learning::LessonCounts, learning::lesson_counts
);

/// The signed-in person's own competence profile, read at most once per request
/// (`context::own_profile`): the dashboard asks for `myCompetenceProfile` and
/// `myRecommendations` together, and both start from it.
#[derive(Default)]
pub struct OwnProfile(pub tokio::sync::OnceCell<Vec<learning::ProfileEntry>>);

/// Attaches a fresh set of loaders (and an empty [`OwnProfile`]) to one request. Each caches
/// what it loaded for the rest of the request, so a row that two fields need (a course's unit
/// for `orgUnit` and for `canEdit`) is read once.
///
/// `window` is how long a loader collects keys before it queries; see
/// `Config::dataloader_window_ms`.
pub fn attach(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    window: Duration,
) -> async_graphql::Request {
    fn loader<T: Loader<K>, K>(loader: T, window: Duration) -> DataLoader<T, HashMapCache>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    {
        DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(window)
    }
    let db = || db.clone();
    request
        .data(OwnProfile::default())
        .data(loader(OrgUnitLoader(db()), window))
        .data(loader(GrantLoader(db()), window))
        .data(loader(FrameworkLoader(db()), window))
        .data(loader(AreaLoader(db()), window))
        .data(loader(CompetenceLoader(db()), window))
        .data(loader(LevelLoader(db()), window))
        .data(loader(FrameworkAreaLoader(db()), window))
        .data(loader(AreaCompetenceLoader(db()), window))
        .data(loader(JobRoleLoader(db()), window))
        .data(loader(HeldJobRoleLoader(db()), window))
        .data(loader(RequirementLoader(db()), window))
        .data(loader(UserLoader(db()), window))
        .data(loader(ModuleLoader(db()), window))
        .data(loader(LessonLoader(db()), window))
        .data(loader(LessonBodyLoader(db()), window))
        .data(loader(CourseLessonLoader(db()), window))
        .data(loader(TargetLoader(db()), window))
        .data(loader(CoAuthorLoader(db()), window))
        .data(loader(CourseLoader(db()), window))
        .data(loader(ProgressLoader(db()), window))
        .data(loader(LessonCountLoader(db()), window))
        .data(loader(QuestionLoader(db()), window))
        .data(loader(CurrentVersionLoader(db()), window))
        .data(loader(OptionLoader(db()), window))
        .data(loader(ItemLoader(db()), window))
        .data(loader(DrawRuleLoader(db()), window))
        .data(loader(CertificateTemplateLoader(db()), window))
        .data(loader(TemplateCourseLoader(db()), window))
        .data(loader(TemplateAssessmentLoader(db()), window))
        .data(loader(TemplateAlignmentLoader(db()), window))
        .data(loader(CertificateAiSystemLoader(db()), window))
        .data(loader(RolloutUnitLoader(db()), window))
        .data(loader(RolloutJobRoleLoader(db()), window))
        .data(loader(RolloutRequirementLoader(db()), window))
        .data(loader(RolloutCourseLoader(db()), window))
        .data(loader(EnrollmentRolloutLoader(db()), window))
}
