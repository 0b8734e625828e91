//! SeaORM entities: the tables as the database sees them. They never leave the domain's API
//! boundary as GraphQL types; the API maps them into its own types.

pub mod assessment;
pub mod assessment_draw_rule;
pub mod assessment_item;
pub mod attempt;
pub mod attempt_question;
pub mod audit_event;
pub mod certificate;
pub mod certificate_template;
pub mod certificate_template_assessment;
pub mod certificate_template_competence;
pub mod certificate_template_course;
pub mod competence;
pub mod competence_area;
pub mod competence_framework;
pub mod competence_level;
pub mod competence_result;
pub mod course;
pub mod course_author;
pub mod course_competence;
pub mod course_module;
pub mod enrollment;
pub mod issuer_key;
pub mod job_role;
pub mod job_role_requirement;
pub mod lesson;
pub mod lesson_progress;
pub mod org_unit;
pub mod proficiency_level;
pub mod question;
pub mod question_option;
pub mod question_version;
pub mod role_grant;
pub mod user;
pub mod user_job_role;
