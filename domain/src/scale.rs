//! A generator of a realistic organisation at scale, for measuring reports and journeys:
//! `govskills seed-scale --staff N`.
//!
//! It writes, in batches, a new authority with a tree of directorates, departments and units of
//! about [`STAFF_PER_UNIT`] staff each; job roles with DigComp requirements (some using AI
//! systems); staff holding them; competence results (verified and self-assessed); published
//! courses with assignments (some completed, some overdue); an AI-literacy certificate template
//! over one of them with signed certificates for about half the staff using AI systems (some
//! expired, some revoked), each covering the generated risk-scoring system the template is tied
//! to; a launched rollout over the whole authority; and an HR officer for the whole authority. The same `seed` gives the same organisation. It bypasses the services' checks
//! (it is the operator's tool, like `accounts::provision`) and audits nothing, but writes only
//! rows the services could have written.

use chrono::{Duration, Utc};
use rand::{RngExt as _, SeedableRng as _, rngs::StdRng};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::{
    Error, Result, certificates,
    credentials::{self, Algorithm, Issuer, SystemAlignment, status},
    entities::{
        ai_instruction_acknowledgement, ai_system, ai_system_measure, ai_system_use, certificate,
        certificate_ai_system, certificate_template, certificate_template_course, competence,
        competence_framework,
        competence_result::{self, ResultSource},
        course::{self, CourseStatus, Visibility},
        enrollment::{self, EnrollmentSource, EnrollmentStatus},
        job_role, job_role_requirement, org_unit, role_grant,
        user::{self, UserStatus},
        user_job_role,
    },
    learning, org, password,
    types::{Name, Password, Role},
};

/// Staff per lowest-level unit.
pub const STAFF_PER_UNIT: u32 = 100;
/// Rows per `INSERT` (well under PostgreSQL's 65,535 parameters for the widest table).
const BATCH: usize = 1_000;
/// The password of every generated account.
pub const PASSWORD: &str = "scale-password-2026";

/// What was generated.
#[derive(Debug)]
pub struct Generated {
    pub authority: org_unit::Model,
    pub units: usize,
    pub staff: u32,
    pub results: usize,
    pub enrollments: usize,
    pub certificates: usize,
    /// Signs in with [`PASSWORD`]; HR for the whole authority.
    pub hr_email: String,
}

/// A generated job role: name, whether it uses AI systems, required DigComp levels by code.
type JobRoleSpec = (&'static str, bool, &'static [(&'static str, i32)]);

/// The job roles of the generated organisation.
const JOB_ROLES: &[JobRoleSpec] = &[
    (
        "Caseworker",
        false,
        &[("1.1", 3), ("2.1", 3), ("2.2", 3), ("4.2", 2)],
    ),
    (
        "Policy officer",
        false,
        &[("1.1", 5), ("1.2", 4), ("2.4", 4), ("3.1", 3)],
    ),
    (
        "Data steward",
        true,
        &[("1.2", 5), ("1.3", 6), ("4.2", 5), ("5.3", 4)],
    ),
    (
        "IT specialist",
        true,
        &[("3.4", 5), ("4.1", 6), ("5.1", 5), ("5.2", 5)],
    ),
    (
        "Communications officer",
        true,
        &[("2.2", 4), ("2.3", 4), ("3.1", 5), ("3.2", 3)],
    ),
    (
        "Team lead",
        false,
        &[("2.4", 4), ("2.5", 3), ("4.3", 3), ("5.4", 3)],
    ),
    (
        "Procurement officer",
        false,
        &[("1.3", 3), ("2.1", 3), ("4.2", 4)],
    ),
    (
        "Front-office clerk",
        false,
        &[("2.1", 2), ("2.3", 2), ("4.2", 2)],
    ),
];

/// Generates an organisation of `staff` people under a new authority named `name`.
pub async fn generate(
    db: &DatabaseConnection,
    issuer: &Issuer,
    name: &str,
    staff: u32,
    seed: u64,
) -> Result<Generated> {
    if staff == 0 {
        return Err(Error::invalid("staff", "staff must be at least 1"));
    }
    let name = Name::parse(name, "name")?;
    let taken = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.is_null())
        .filter(org_unit::Column::Name.eq(name.clone().into_inner()))
        .one(db)
        .await?;
    if let Some(taken) = taken {
        return Err(Error::Conflict {
            field: "name",
            message: format!("an authority named \"{}\" exists already", taken.name),
        });
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let hash = password::hash(Password::parse(PASSWORD.to_owned(), "password")?).await?;
    let txn = crate::db::begin(db).await?;

    // The tree: 10 directorates x 10 departments, the units spread over the departments.
    let authority = org::insert(&txn, None, name).await?;
    let leaves = staff.div_ceil(STAFF_PER_UNIT) as usize;
    let mut departments = Vec::new();
    for d in 0..leaves.min(10) {
        let directorate = org::insert(
            &txn,
            Some(&authority),
            Name::parse(&format!("Directorate {}", d + 1), "name")?,
        )
        .await?;
        for p in 0..10 {
            if d + 10 * p < leaves {
                departments.push(
                    org::insert(
                        &txn,
                        Some(&directorate),
                        Name::parse(&format!("Department {}.{}", d + 1, p + 1), "name")?,
                    )
                    .await?,
                );
            }
        }
    }
    let mut units = Vec::with_capacity(leaves);
    for leaf in 0..leaves {
        let department = &departments[leaf % departments.len()];
        units.push(
            org::insert(
                &txn,
                Some(department),
                Name::parse(&format!("Unit {}", leaf + 1), "name")?,
            )
            .await?,
        );
    }

    // Job roles over DigComp.
    let digcomp = competence_framework::Entity::find()
        .filter(competence_framework::Column::Code.eq("DIGCOMP"))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("DigComp framework"))?;
    let competences = competence::Entity::find()
        .filter(competence::Column::FrameworkId.eq(digcomp.id))
        .all(&txn)
        .await?;
    let competence_id = |code: &str| {
        competences
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.id)
            .ok_or(Error::NotFound("DigComp competence"))
    };
    let mut roles = Vec::new();
    for (role_name, uses_ai, requirements) in JOB_ROLES {
        let role_id = Uuid::new_v4();
        job_role::Entity::insert(job_role::ActiveModel {
            id: Set(role_id),
            org_unit_id: Set(Some(authority.id)),
            name: Set((*role_name).to_owned()),
            description: Set(String::new()),
            uses_ai_systems: Set(*uses_ai),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        let mut required = Vec::new();
        for (code, level) in *requirements {
            let id = competence_id(code)?;
            required.push((id, *level));
            job_role_requirement::Entity::insert(job_role_requirement::ActiveModel {
                job_role_id: Set(role_id),
                competence_id: Set(id),
                level: Set(*level),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        roles.push((role_id, *uses_ai, required));
    }

    // The HR officer (who owns the courses), the courses, then the staff, batch by batch.
    let hr_id = Uuid::new_v4();
    let slug = authority.id.simple().to_string();
    let hr_email = format!("hr-{}@scale.govskills.test", &slug[..8]);
    user::Entity::insert(user::ActiveModel {
        id: Set(hr_id),
        email: Set(hr_email.clone()),
        display_name: Set("Scale HR officer".to_owned()),
        search_text: Set(crate::accounts::search_text("Scale HR officer", &hr_email)),
        password_hash: Set(hash.clone()),
        org_unit_id: Set(authority.id),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let mut users = Vec::with_capacity(BATCH);
    // Courses to assign.
    let mut courses = Vec::new();
    for title in [
        "Digital basics",
        "Data protection in practice",
        "AI for public servants",
    ] {
        let id = Uuid::now_v7();
        course::Entity::insert(course::ActiveModel {
            id: Set(id),
            title: Set(title.to_owned()),
            summary: Set(String::new()),
            search_text: Set(crate::search::searchable(&[title, ""])),
            language: Set("en".to_owned()),
            status: Set(CourseStatus::Published),
            visibility: Set(Visibility::OrgUnit),
            owner_id: Set(hr_id),
            org_unit_id: Set(authority.id),
            version: Set(1),
            previous_version_id: Set(None),
            published_at: Set(Some(now)),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        courses.push(id);
    }

    let ai_course = courses[2];
    let template = certificate_template::Model {
        id: Uuid::new_v4(),
        title: "AI Certificate for Public Servants".to_owned(),
        description: "AI literacy for staff who use AI systems (EU AI Act Art. 4).".to_owned(),
        issuer_name: authority.name.clone(),
        validity_months: Some(24),
        attests_ai_literacy: true,
        org_unit_id: Some(authority.id),
        created_by: Some(hr_id),
        created_at: now,
        archived_at: None,
    };
    certificate_template::Entity::insert(certificate_template::ActiveModel::from(template.clone()))
        .exec_without_returning(&txn)
        .await?;
    certificate_template_course::Entity::insert(certificate_template_course::ActiveModel {
        template_id: Set(template.id),
        course_id: Set(ai_course),
    })
    .exec_without_returning(&txn)
    .await?;
    let criteria = certificates::criteria_narrative(&txn, template.id).await?;
    let mut profile = credentials::profile(&txn, issuer, authority.id).await?;
    // Tens of thousands of credentials: signed with EdDSA where the platform has a key for it,
    // which is a hundred times faster to sign than RSA and reads the same for a report.
    if issuer.key_for(Algorithm::EdDsa).is_some() {
        profile.algorithm = Algorithm::EdDsa;
    }
    let role_kinds: Vec<(Uuid, bool)> = roles.iter().map(|(id, ai, _)| (*id, *ai)).collect();
    let scoring =
        register_ai_systems(&txn, &authority, &role_kinds, ai_course, template.id, now).await?;
    // The template is tied to the risk scoring (an operator measure names it): its
    // certificates cover that system, as issuance would record it.
    let covered = ai_system::Entity::find_by_id(scoring)
        .one(&txn)
        .await?
        .map(|system| SystemAlignment {
            id: system.id,
            name: system.name,
            version: system.version,
            purpose: system.purpose,
            public_register_url: system.public_register_url,
        })
        .into_iter()
        .collect::<Vec<_>>();
    let mut covered_rows = Vec::new();
    let mut acknowledgements = Vec::new();
    let mut certificates = Vec::new();
    let mut certificate_count = 0;
    let mut holders = Vec::new();
    let mut results = Vec::new();
    let mut enrollments = Vec::new();
    let (mut result_count, mut enrollment_count) = (0, 0);
    for i in 0..staff {
        let id = Uuid::new_v4();
        let unit = &units[(i / STAFF_PER_UNIT) as usize];
        let email = format!("staff{i}-{}@scale.govskills.test", &slug[..8]);
        let display_name = format!("Staff member {i}");
        let person = user::Model {
            id,
            search_text: crate::accounts::search_text(&display_name, &email),
            email,
            display_name,
            password_hash: hash.clone(),
            org_unit_id: unit.id,
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
            external_id: None,
            user_name: None,
            deprovisioned_at: None,
            wallet_did: None,
            locale: None,
            erased_at: None,
            disabled_at: None,
        };
        let mut ai_staff = false;
        // Nine in ten hold a job role.
        if rng.random_bool(0.9) {
            let (role_id, uses_ai, required) = &roles[rng.random_range(0..roles.len())];
            ai_staff = *uses_ai;
            holders.push(user_job_role::ActiveModel {
                user_id: Set(id),
                job_role_id: Set(*role_id),
                assigned_at: Set(now),
                assigned_by: Set(Some(hr_id)),
            });
            for (competence_id, _) in required {
                // Six in ten have a result, mostly verified; some also rated themselves.
                if rng.random_bool(0.6) {
                    let source = if rng.random_bool(0.7) {
                        ResultSource::Assessment
                    } else {
                        ResultSource::SelfAssessed
                    };
                    results.push(result(
                        id,
                        *competence_id,
                        rng.random_range(1..=8),
                        source,
                        now,
                    ));
                    if rng.random_bool(0.2) {
                        results.push(result(
                            id,
                            *competence_id,
                            rng.random_range(1..=8),
                            ResultSource::SelfAssessed,
                            now + Duration::seconds(1),
                        ));
                    }
                }
            }
        }
        // Of those using AI systems: about half certified (issued up to 30 months ago, so some
        // expired; a few revoked), of the rest half assigned the AI course.
        // Half of those operating the risk scoring read its instructions.
        if ai_staff && rng.random_bool(0.5) {
            acknowledgements.push(ai_instruction_acknowledgement::ActiveModel {
                ai_system_id: Set(scoring),
                user_id: Set(id),
                version: Set(1),
                acknowledged_at: Set(now),
            });
        }
        if ai_staff && rng.random_bool(0.5) {
            let issued_at = now - Duration::days(rng.random_range(0..900));
            let mut certificate = certificates::sign(
                certificates::Signer {
                    issuer,
                    profile: &profile,
                },
                &person,
                &template,
                criteria.clone(),
                Vec::new(),
                covered.clone(),
                1,
                Some(status::allocate(&txn, authority.id).await?),
                issued_at,
            )?;
            if rng.random_bool(0.05) {
                certificate.revoked_at = Some(issued_at + Duration::days(1));
                certificate.revoked_reason = Some("generated".to_owned());
                certificate.revoked_by = Some(hr_id);
                certificate.revocation_kind = Some(certificate::RevocationKind::Withdrawn);
            }
            covered_rows.extend(certificates::covered_rows(&certificate, &covered));
            certificates.push(certificate::ActiveModel::from(certificate));
        } else if ai_staff && rng.random_bool(0.5) {
            enrollments.push(assignment(id, ai_course, hr_id, &mut rng, now));
        }
        // Half are assigned another course: a third of those completed it, some are overdue.
        if rng.random_bool(0.5) {
            enrollments.push(assignment(
                id,
                courses[rng.random_range(0..2)],
                hr_id,
                &mut rng,
                now,
            ));
        }
        users.push(user::ActiveModel::from(person));
        if users.len() >= BATCH || i + 1 == staff {
            user::Entity::insert_many(std::mem::take(&mut users))
                .exec_without_returning(&txn)
                .await?;
            if !holders.is_empty() {
                user_job_role::Entity::insert_many(std::mem::take(&mut holders))
                    .exec_without_returning(&txn)
                    .await?;
            }
            for chunk in std::mem::take(&mut results).chunks(BATCH) {
                result_count += chunk.len();
                competence_result::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            if !certificates.is_empty() {
                certificate_count += certificates.len();
                certificate::Entity::insert_many(std::mem::take(&mut certificates))
                    .exec_without_returning(&txn)
                    .await?;
                if !covered_rows.is_empty() {
                    certificate_ai_system::Entity::insert_many(std::mem::take(&mut covered_rows))
                        .exec_without_returning(&txn)
                        .await?;
                }
            }
            if !enrollments.is_empty() {
                enrollment_count += enrollments.len();
                enrollment::Entity::insert_many(std::mem::take(&mut enrollments))
                    .exec_without_returning(&txn)
                    .await?;
            }
            if !acknowledgements.is_empty() {
                ai_instruction_acknowledgement::Entity::insert_many(std::mem::take(
                    &mut acknowledgements,
                ))
                .exec_without_returning(&txn)
                .await?;
            }
        }
    }
    learning::derive_missing_levels(&txn).await?;
    add_rollout(
        &txn,
        &authority,
        courses[0],
        [(competence_id("1.1")?, 3), (competence_id("2.1")?, 3)],
        now,
    )
    .await?;
    role_grant::Entity::insert(role_grant::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(hr_id),
        role: Set(Role::Hr),
        org_unit_id: Set(Some(authority.id)),
        granted_by: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    // The triggers wrote the skill-gap counters as one row per change; a worker would fold
    // them later, the report is measured on folded ones.
    crate::reports::skill_gaps::fold_counts(db).await?;
    // Fresh statistics, so the planner does not take the new tables for empty ones until
    // autovacuum gets to them (it chose nested loops over 300,000 rows without them).
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(Generated {
        authority,
        units: leaves,
        staff,
        results: result_count,
        enrollments: enrollment_count,
        certificates: certificate_count,
        hr_email,
    })
}

/// A launched rollout of a new case-management system over the whole authority, going live in
/// six weeks, requiring two DigComp levels that `course_id` teaches: what `rolloutReadiness`
/// is measured on at scale.
async fn add_rollout(
    txn: &impl ConnectionTrait,
    authority: &org_unit::Model,
    course_id: Uuid,
    requirements: [(Uuid, i32); 2],
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    use crate::entities::{
        course_competence, rollout, rollout_course, rollout_requirement, rollout_unit,
    };
    let id = Uuid::now_v7();
    rollout::Entity::insert(rollout::ActiveModel {
        id: Set(id),
        org_unit_id: Set(authority.id),
        name: Set("Case-management system go-live".to_owned()),
        description: Set(String::new()),
        service: Set("case-management system".to_owned()),
        ai_system_id: Set(None),
        go_live_on: Set((now + Duration::days(42)).date_naive()),
        lead_time_days: Set(14),
        readiness_target: Set(80),
        ready_by_courses: Set(false),
        assessment_id: Set(None),
        status: Set("launched".to_owned()),
        created_by: Set(None),
        launched_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    rollout_unit::Entity::insert(rollout_unit::ActiveModel {
        rollout_id: Set(id),
        org_unit_id: Set(authority.id),
        include_subunits: Set(true),
    })
    .exec_without_returning(txn)
    .await?;
    rollout_course::Entity::insert(rollout_course::ActiveModel {
        rollout_id: Set(id),
        course_id: Set(course_id),
        position: Set(0),
    })
    .exec_without_returning(txn)
    .await?;
    for (competence_id, level) in requirements {
        rollout_requirement::Entity::insert(rollout_requirement::ActiveModel {
            rollout_id: Set(id),
            competence_id: Set(competence_id),
            level: Set(level),
        })
        .exec_without_returning(txn)
        .await?;
        course_competence::Entity::insert(course_competence::ActiveModel {
            course_id: Set(course_id),
            competence_id: Set(competence_id),
            target_level: Set(level),
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// The authority's AI register: a high-risk risk scoring system that the job roles using AI
/// operate (the AI course, the AI certificate and its instructions required) and a chatbot
/// whose instructions the first job role's holders, as affected staff, must acknowledge.
/// Returns the risk scoring system's id.
async fn register_ai_systems(
    txn: &impl ConnectionTrait,
    authority: &org_unit::Model,
    roles: &[(Uuid, bool)],
    ai_course: Uuid,
    template_id: Uuid,
    now: chrono::DateTime<Utc>,
) -> Result<Uuid> {
    let (scoring_id, chatbot_id) = (Uuid::now_v7(), Uuid::now_v7());
    let system = |id: Uuid, name: &str, risk: &str, area: Option<i32>| ai_system::ActiveModel {
        id: Set(id),
        org_unit_id: Set(authority.id),
        name: Set(name.to_owned()),
        purpose: Set("Generated for measuring reports.".to_owned()),
        provider: Set("Generated provider".to_owned()),
        authority_role: Set("deployer".to_owned()),
        risk_class: Set(risk.to_owned()),
        annex_iii_area: Set(area),
        eu_database_id: Set(None),
        public_register_url: Set(None),
        instructions_url: Set(None),
        owner_unit_id: Set(None),
        contact_user_id: Set(None),
        status: Set("in_use".to_owned()),
        version: Set(1),
        retraining_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    ai_system::Entity::insert_many([
        system(scoring_id, "Risk scoring (generated)", "high_risk", Some(5)),
        system(chatbot_id, "Chatbot (generated)", "transparency", None),
    ])
    .exec_without_returning(txn)
    .await?;
    let measure = |system: Uuid, kind: &str| ai_system_measure::ActiveModel {
        id: Set(Uuid::now_v7()),
        ai_system_id: Set(system),
        kind: Set(kind.to_owned()),
        course_id: Set(None),
        template_id: Set(None),
        competence_id: Set(None),
        min_level: Set(None),
        instructions: Set(false),
    };
    ai_system_measure::Entity::insert_many([
        ai_system_measure::ActiveModel {
            course_id: Set(Some(ai_course)),
            ..measure(scoring_id, "operator")
        },
        ai_system_measure::ActiveModel {
            template_id: Set(Some(template_id)),
            ..measure(scoring_id, "operator")
        },
        ai_system_measure::ActiveModel {
            instructions: Set(true),
            ..measure(scoring_id, "operator")
        },
        ai_system_measure::ActiveModel {
            instructions: Set(true),
            ..measure(chatbot_id, "affected_staff")
        },
    ])
    .exec_without_returning(txn)
    .await?;
    let uses = roles
        .iter()
        .filter(|(_, uses_ai)| *uses_ai)
        .map(|(role, _)| (scoring_id, *role, "operator"))
        .chain(
            roles
                .first()
                .map(|(role, _)| (chatbot_id, *role, "affected_staff")),
        )
        .map(|(system, role, kind)| ai_system_use::ActiveModel {
            id: Set(Uuid::now_v7()),
            ai_system_id: Set(system),
            job_role_id: Set(Some(role)),
            user_id: Set(None),
            kind: Set(kind.to_owned()),
            created_at: Set(now),
        });
    ai_system_use::Entity::insert_many(uses)
        .exec_without_returning(txn)
        .await?;
    Ok(scoring_id)
}

/// An assignment by HR, due between a month ago and two months ahead; a third completed.
fn assignment(
    user_id: Uuid,
    course_id: Uuid,
    hr_id: Uuid,
    rng: &mut StdRng,
    now: chrono::DateTime<Utc>,
) -> enrollment::ActiveModel {
    let completed = rng.random_bool(0.33);
    enrollment::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        course_id: Set(course_id),
        source: Set(EnrollmentSource::Assigned),
        assigned_by: Set(Some(hr_id)),
        due_at: Set(Some(now + Duration::days(rng.random_range(-30..=60)))),
        status: Set(if completed {
            EnrollmentStatus::Completed
        } else {
            EnrollmentStatus::Active
        }),
        completed_at: Set(completed.then_some(now)),
        last_activity_at: Set(now),
        created_at: Set(now),
    }
}

fn result(
    user_id: Uuid,
    competence_id: Uuid,
    level: i32,
    source: ResultSource,
    at: chrono::DateTime<Utc>,
) -> competence_result::ActiveModel {
    competence_result::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        competence_id: Set(competence_id),
        level: Set(level),
        source: Set(source),
        attempt_id: Set(None),
        created_at: Set(at),
    }
}
