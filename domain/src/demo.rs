//! Demo data for `govskills serve --demo`: a ministry with two departments, the five demo
//! accounts of DESIGN.md section 4, a published DigComp-aligned course with a final test, next to
//! a stand-alone DigComp placement test, and the *AI Certificate for Public Servants* over the
//! course and its final test, and what the demo people have done so far (job roles, assignments,
//! progress, a self-assessment: [`seed_story`]). Loading it twice changes nothing.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    Result,
    accounts::{self, GrantRequest, NewUser},
    auth,
    certificates::{self, AlignmentRef, NewTemplate},
    courses,
    entities::{
        certificate_template, competence, competence_framework, course, lesson::LessonKind,
    },
    org,
    types::{Email, Name, Role},
};

/// The password of every demo account. Published, hence demo data is refused in production.
pub const PASSWORD: &str = "demo-password-2026";

#[derive(Debug)]
pub struct DemoAccount {
    pub email: &'static str,
    pub description: &'static str,
}

#[derive(Debug)]
pub struct Seeded {
    pub accounts: Vec<DemoAccount>,
}

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const CITIZEN_SERVICES: &str = "Department of Citizen Services";
const DATA_AND_AI: &str = "Department of Data and AI";

pub async fn seed(db: &DatabaseConnection) -> Result<Seeded> {
    let txn = crate::db::begin(db).await?;
    let ministry = org::find_or_create_authority(&txn, Name::parse(MINISTRY, "name")?).await?;
    let citizen =
        org::find_or_create_child(&txn, &ministry, Name::parse(CITIZEN_SERVICES, "name")?).await?;
    let data_ai =
        org::find_or_create_child(&txn, &ministry, Name::parse(DATA_AND_AI, "name")?).await?;

    let at_ministry = Some(ministry.id);
    let accounts: [(&str, &str, &str, uuid::Uuid, Vec<GrantRequest>); 5] = [
        (
            "admin@demo.govskills.test",
            "Ada Admin",
            "platform administrator",
            ministry.id,
            vec![GrantRequest {
                role: Role::Admin,
                org_unit_id: None,
            }],
        ),
        (
            "hr@demo.govskills.test",
            "Hanna HR",
            "HR officer for the whole ministry",
            ministry.id,
            vec![GrantRequest {
                role: Role::Hr,
                org_unit_id: at_ministry,
            }],
        ),
        (
            "trainer@demo.govskills.test",
            "Tomas Trainer",
            "trainer for the ministry",
            data_ai.id,
            vec![GrantRequest {
                role: Role::Trainer,
                org_unit_id: at_ministry,
            }],
        ),
        (
            "learner1@demo.govskills.test",
            "Lena Learner",
            "learner, Department of Citizen Services",
            citizen.id,
            vec![],
        ),
        (
            "learner2@demo.govskills.test",
            "Luis Learner",
            "learner, Department of Data and AI",
            data_ai.id,
            vec![],
        ),
    ];
    let mut seeded = Vec::new();
    for (email, name, description, unit, grants) in accounts {
        if accounts::find_by_email(&txn, &Email::parse(email)?)
            .await?
            .is_none()
        {
            accounts::provision(
                &txn,
                NewUser {
                    email: email.to_owned(),
                    display_name: name.to_owned(),
                    password: PASSWORD.to_owned(),
                    org_unit_id: unit,
                },
                &grants,
            )
            .await?;
        }
        seeded.push(DemoAccount { email, description });
    }
    txn.commit().await?;
    Ok(Seeded { accounts: seeded })
}

pub const COURSE_TITLE: &str = "Checking information online";

/// A published DigComp-aligned course by the demo trainer for the demo ministry, unless it
/// exists already. Needs [`seed`] first. (Kept apart from [`seed`] so that tests, which start
/// from the demo organisation, start with an empty catalogue.)
pub async fn seed_course(db: &DatabaseConnection) -> Result<String> {
    let exists = course::Entity::find()
        .filter(course::Column::Title.eq(COURSE_TITLE))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(COURSE_TITLE.to_owned());
    }
    let trainer = accounts::find_by_email(db, &Email::parse("trainer@demo.govskills.test")?)
        .await?
        .ok_or(crate::Error::NotFound("demo trainer"))?;
    let trainer = auth::load_actor(db, trainer.id)
        .await?
        .ok_or(crate::Error::NotFound("demo trainer"))?;
    let ministry = org::find_or_create_authority(db, Name::parse(MINISTRY, "name")?)
        .await?
        .id;
    let framework = competence_framework::Entity::find()
        .filter(competence_framework::Column::Code.eq("DIGCOMP"))
        .filter(competence_framework::Column::Version.eq("2.2"))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound("DigComp 2.2"))?
        .id;
    let digcomp = |code: &'static str| async move {
        competence::Entity::find()
            .filter(competence::Column::FrameworkId.eq(framework))
            .filter(competence::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or(crate::Error::NotFound("DigComp competence"))
    };
    let (c11, c12) = (digcomp("1.1").await?, digcomp("1.2").await?);
    let targets = vec![(c11, 3), (c12, 4)];
    let draft = courses::create(
        db,
        &trainer,
        courses::NewCourse {
            title: COURSE_TITLE.to_owned(),
            summary:
                "Find, evaluate and cite information and data for casework (DigComp 1.1, 1.2)."
                    .to_owned(),
            language: "en".to_owned(),
            org_unit_id: ministry,
            visibility: course::Visibility::OrgUnit,
            targets,
        },
    )
    .await?;
    let lessons = [
        (
            "Searching well",
            vec![
                (
                    "Search operators",
                    LessonKind::Text,
                    Some(
                        "Use **quotes** for exact phrases and `site:` to search one source.\n\n- Start broad, then narrow\n- Note where each fact comes from",
                    ),
                    None,
                    10,
                ),
                (
                    "EU open data portal",
                    LessonKind::Link,
                    None,
                    Some("https://data.europa.eu/"),
                    15,
                ),
            ],
        ),
        (
            "Judging sources",
            vec![(
                "Who says so, and why?",
                LessonKind::Text,
                Some(
                    "Check the **author**, the **date** and the **evidence** before you rely on a source.",
                ),
                None,
                15,
            )],
        ),
    ];
    for (module_title, module_lessons) in lessons {
        let module = courses::add_module(db, &trainer, draft.id, module_title).await?;
        for (title, kind, body, url, minutes) in module_lessons {
            courses::add_lesson(
                db,
                &trainer,
                module.id,
                courses::NewLesson {
                    title: title.to_owned(),
                    kind,
                    body: body.map(str::to_owned),
                    url: url.map(str::to_owned),
                    assessment_id: None,
                    estimated_minutes: minutes,
                },
            )
            .await?;
        }
    }
    let final_test = seed_assessments(db, &trainer, ministry, [c11, c12]).await?;
    let module = courses::add_module(db, &trainer, draft.id, "Final test").await?;
    courses::add_lesson(
        db,
        &trainer,
        module.id,
        courses::NewLesson {
            title: FINAL_TEST_TITLE.to_owned(),
            kind: LessonKind::Assessment,
            body: None,
            url: None,
            assessment_id: Some(final_test),
            estimated_minutes: 10,
        },
    )
    .await?;
    courses::publish(db, &trainer, draft.id).await?;
    Ok(COURSE_TITLE.to_owned())
}

pub const PLACEMENT_TEST_TITLE: &str = "DigComp placement test: information and data literacy";
pub const FINAL_TEST_TITLE: &str = "Final test: checking information online";

/// The demo question bank (DigComp 1.1 and 1.2, levels 1 to 3), a stand-alone placement test
/// drawing one question per competence and level, and the demo course's final test (all six
/// questions, 60 % to pass, 20 minutes, three attempts). Returns the final test's id.
async fn seed_assessments(
    db: &DatabaseConnection,
    trainer: &auth::Actor,
    ministry: uuid::Uuid,
    [c11, c12]: [uuid::Uuid; 2],
) -> Result<uuid::Uuid> {
    use crate::{
        assessments::{self, NewAssessment, QuestionInput},
        entities::{assessment::AssessmentVisibility, question_version::QuestionKind},
    };
    type Bank<'a> = [(
        uuid::Uuid,
        i32,
        QuestionKind,
        &'a str,
        &'a [(&'a str, bool)],
        Option<bool>,
        &'a str,
    ); 6];
    let bank: Bank = [
        (
            c11,
            1,
            QuestionKind::SingleChoice,
            "Which search finds pages with the exact phrase *data protection officer*?",
            &[
                ("\"data protection officer\"", true),
                ("data protection officer", false),
                ("data OR protection OR officer", false),
            ],
            None,
            "Quotes ask for the exact phrase; without them any page with the three words matches.",
        ),
        (
            c11,
            2,
            QuestionKind::TrueFalse,
            "`site:europa.eu` limits the results to pages on europa.eu and its subdomains.",
            &[],
            Some(true),
            "The `site:` operator restricts a search to one domain.",
        ),
        (
            c11,
            3,
            QuestionKind::MultipleChoice,
            "Which of these narrow a search to **recent official** sources?",
            &[
                ("`site:` with the agency's domain", true),
                ("The search engine's date filter", true),
                ("Adding synonyms with OR", false),
            ],
            None,
            "OR widens a search; the domain and date filters narrow it.",
        ),
        (
            c12,
            1,
            QuestionKind::TrueFalse,
            "A professional-looking website is proof that its information is reliable.",
            &[],
            Some(false),
            "Design says nothing about accuracy: check the author, the date and the evidence.",
        ),
        (
            c12,
            2,
            QuestionKind::SingleChoice,
            "Before you quote a statistic in a report, what do you check first?",
            &[
                ("Who published it, and from which data", true),
                ("How often it was shared", false),
                ("Whether it supports your view", false),
            ],
            None,
            "The source and its data decide whether a figure can be relied on.",
        ),
        (
            c12,
            3,
            QuestionKind::MultipleChoice,
            "Which are signs that a news item may be misleading?",
            &[
                ("No author and no date", true),
                ("A headline the text does not support", true),
                ("It links to the original study", false),
            ],
            None,
            "Missing provenance and headlines that overstate the text are warning signs; a link to the source is a good sign.",
        ),
    ];
    let mut ids = Vec::with_capacity(bank.len());
    for (competence_id, level, kind, prompt, options, true_false_answer, explanation) in bank {
        let question = assessments::create_question(
            db,
            trainer,
            ministry,
            QuestionInput {
                competence_id,
                level,
                kind,
                prompt: prompt.to_owned(),
                options: options
                    .iter()
                    .map(|(text, correct)| ((*text).to_owned(), *correct))
                    .collect(),
                true_false_answer,
                explanation: Some(explanation.to_owned()),
                points: 1,
            },
        )
        .await?;
        ids.push(question.question.id);
    }
    assessments::create_assessment(
        db,
        trainer,
        NewAssessment {
            title: PLACEMENT_TEST_TITLE.to_owned(),
            description: "Find your level in DigComp 1.1 and 1.2: one question per level."
                .to_owned(),
            org_unit_id: ministry,
            visibility: AssessmentVisibility::OrgUnit,
            pass_mark_percent: 50,
            mastery_threshold_percent: assessments::DEFAULT_MASTERY_THRESHOLD,
            time_limit_seconds: None,
            max_attempts: None,
            question_ids: Vec::new(),
            draw: [c11, c12]
                .into_iter()
                .flat_map(|competence| (1..=3).map(move |level| (competence, level, 1)))
                .collect(),
        },
    )
    .await?;
    let final_test = assessments::create_assessment(
        db,
        trainer,
        NewAssessment {
            title: FINAL_TEST_TITLE.to_owned(),
            description: "Pass with 60 % to complete the course.".to_owned(),
            org_unit_id: ministry,
            visibility: AssessmentVisibility::LessonsOnly,
            pass_mark_percent: 60,
            mastery_threshold_percent: assessments::DEFAULT_MASTERY_THRESHOLD,
            time_limit_seconds: Some(20 * 60),
            max_attempts: Some(3),
            question_ids: ids,
            draw: Vec::new(),
        },
    )
    .await?;
    Ok(final_test.assessment.id)
}

pub const CERTIFICATE_TITLE: &str = "AI Certificate for Public Servants";

/// The *AI Certificate for Public Servants*, created by the demo administrator for everyone,
/// earned by completing the demo course and passing its final test with 60 %, unless it exists
/// already. Needs [`seed_course`] first.
pub async fn seed_certificate(db: &DatabaseConnection) -> Result<String> {
    let exists = certificate_template::Entity::find()
        .filter(certificate_template::Column::Title.eq(CERTIFICATE_TITLE))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(CERTIFICATE_TITLE.to_owned());
    }
    let admin = accounts::find_by_email(db, &Email::parse("admin@demo.govskills.test")?)
        .await?
        .ok_or(crate::Error::NotFound("demo administrator"))?;
    let admin = auth::load_actor(db, admin.id)
        .await?
        .ok_or(crate::Error::NotFound("demo administrator"))?;
    let course = course::Entity::find()
        .filter(course::Column::Title.eq(COURSE_TITLE))
        .filter(course::Column::Status.eq(course::CourseStatus::Published))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound("demo course"))?;
    let final_test = crate::entities::assessment::Entity::find()
        .filter(crate::entities::assessment::Column::Title.eq(FINAL_TEST_TITLE))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound("demo final test"))?;
    let digcomp = |code: &str| AlignmentRef {
        framework_code: "DIGCOMP".to_owned(),
        framework_version: Some("2.2".to_owned()),
        competence_code: code.to_owned(),
    };
    certificates::create_template(
        db,
        &admin,
        NewTemplate {
            title: CERTIFICATE_TITLE.to_owned(),
            description: "Finds, evaluates and handles information and AI-generated content \
                responsibly at work: the AI literacy that EU AI Act Art. 4 asks of staff who use \
                AI systems."
                .to_owned(),
            issuer_name: MINISTRY.to_owned(),
            validity_months: Some(24),
            attests_ai_literacy: true,
            org_unit_id: None,
            course_ids: vec![course.id],
            assessments: vec![(final_test.id, 60.0)],
            alignments: vec![digcomp("1.1"), digcomp("1.2")],
        },
    )
    .await?;
    Ok(CERTIFICATE_TITLE.to_owned())
}

/// A demo job role: name, whether its staff use AI systems, and the DigComp levels it requires
/// (competence code, level).
type DemoJobRole = (&'static str, bool, &'static [(&'static str, i32)]);

/// The demo's job roles.
const JOB_ROLES: [DemoJobRole; 2] = [
    (
        "Caseworker (demo)",
        false,
        &[("1.1", 3), ("1.2", 4), ("2.1", 3), ("4.2", 4)],
    ),
    (
        "Data analyst (demo)",
        true,
        &[("1.1", 4), ("1.2", 5), ("1.3", 5), ("5.2", 4)],
    ),
];

/// What the demo learners have done, so every account shows something on the first day: both
/// learners hold a job role with required DigComp levels (learner2's uses AI systems); learner1
/// is assigned the demo course, due in 30 days, with its first lesson done; learner2 is assigned
/// it too, overdue by a week, and has rated themselves. Each step goes through the same services
/// a client's request does, as the demo administrator, HR officer or learner, and is skipped
/// when it was done before, so loading the demo again changes nothing. Needs [`seed_course`].
pub async fn seed_story(
    db: &DatabaseConnection,
    issuer: &crate::credentials::Issuer,
) -> Result<()> {
    use chrono::{Duration, Utc};

    use crate::{
        entities::{competence_result, enrollment, job_role, lesson},
        job_roles, learning,
    };

    let actor = |email: &'static str| async move {
        let user = accounts::find_by_email(db, &Email::parse(email)?)
            .await?
            .ok_or(crate::Error::NotFound("demo account"))?;
        auth::load_actor(db, user.id)
            .await?
            .ok_or(crate::Error::NotFound("demo account"))
    };
    let admin = actor("admin@demo.govskills.test").await?;
    let hr = actor("hr@demo.govskills.test").await?;
    let ministry = org::find_or_create_authority(db, Name::parse(MINISTRY, "name")?).await?;
    let framework = crate::competences::default_framework(db)
        .await?
        .ok_or(crate::Error::NotFound("DigComp 2.2"))?;
    let competence_id = |code: &'static str| {
        let framework = framework.id;
        async move {
            competence::Entity::find()
                .filter(competence::Column::FrameworkId.eq(framework))
                .filter(competence::Column::Code.eq(code))
                .one(db)
                .await?
                .map(|c| c.id)
                .ok_or(crate::Error::NotFound("DigComp competence"))
        }
    };

    let mut roles = Vec::new();
    for (name, uses_ai_systems, levels) in JOB_ROLES {
        let existing = job_role::Entity::find()
            .filter(job_role::Column::Name.eq(name))
            .one(db)
            .await?;
        let role = match existing {
            Some(role) => role,
            None => {
                let mut requirements = Vec::new();
                for (code, level) in levels {
                    requirements.push(job_roles::Requirement {
                        competence_id: competence_id(code).await?,
                        level: *level,
                    });
                }
                job_roles::create(
                    db,
                    &admin,
                    job_roles::NewJobRole {
                        name: name.to_owned(),
                        description: String::new(),
                        uses_ai_systems,
                        org_unit_id: Some(ministry.id),
                        requirements,
                    },
                )
                .await?
            }
        };
        roles.push(role);
    }

    let course = course::Entity::find()
        .filter(course::Column::Title.eq(COURSE_TITLE))
        .filter(course::Column::Status.eq(course::CourseStatus::Published))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound("demo course"))?;
    let now = Utc::now();
    let learners = [
        ("learner1@demo.govskills.test", now + Duration::days(30)),
        ("learner2@demo.govskills.test", now - Duration::days(7)),
    ];
    for ((email, due_at), role) in learners.into_iter().zip(&roles) {
        let learner = actor(email).await?;
        if job_roles::held_by(db, &[learner.id()]).await?.is_empty() {
            job_roles::assign(db, &admin, learner.id(), Some(role.id)).await?;
        }
        let enrolled = enrollment::Entity::find()
            .filter(enrollment::Column::UserId.eq(learner.id()))
            .filter(enrollment::Column::CourseId.eq(course.id))
            .one(db)
            .await?
            .is_some();
        if !enrolled {
            learning::assign(db, &hr, course.id, vec![learner.id()], Some(due_at)).await?;
        }
    }

    // learner1 has made a start: the first lesson of the course.
    let learner1 = actor("learner1@demo.govskills.test").await?;
    let first_lesson = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course.id))
        .filter(lesson::Column::Kind.eq(LessonKind::Text))
        .order_by_asc(lesson::Column::Id)
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound("demo lesson"))?;
    learning::complete_lesson(db, issuer, &learner1, first_lesson.id).await?;

    // learner2 has rated themselves, once.
    let learner2 = actor("learner2@demo.govskills.test").await?;
    let rated = competence_result::Entity::find()
        .filter(competence_result::Column::UserId.eq(learner2.id()))
        .one(db)
        .await?
        .is_some();
    if !rated {
        learning::submit_self_assessment(
            db,
            &learner2,
            vec![
                (competence_id("1.1").await?, 3),
                (competence_id("1.2").await?, 3),
                (competence_id("1.3").await?, 2),
            ],
        )
        .await?;
    }
    seed_ai_register(db, &admin, &ministry, &roles, course.id).await?;
    seed_rollout(db, issuer, &hr, &ministry, course.id).await
}

/// The name of the demo rollout.
pub const ROLLOUT_NAME: &str = "E-permit service go-live (demo)";

/// The demo ministry's rollout of a new e-permit service in the Department of Citizen
/// Services, going live in six weeks with two weeks' lead time, launched a week ago: of its
/// staff, two already had verified levels (ready), Lena and Petra have started the course, two
/// colleagues have not; the week's daily history rises from none ready. Skipped when it exists.
async fn seed_rollout(
    db: &DatabaseConnection,
    issuer: &crate::credentials::Issuer,
    hr: &auth::Actor,
    ministry: &crate::entities::org_unit::Model,
    course_id: uuid::Uuid,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use sea_orm::{ActiveModelTrait, Set, TransactionTrait};

    use crate::{
        entities::{competence_result::ResultSource, lesson, rollout, rollout_snapshot},
        learning, rollouts,
    };

    if rollout::Entity::find()
        .filter(rollout::Column::Name.eq(ROLLOUT_NAME))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let citizen =
        org::find_or_create_child(db, ministry, Name::parse(CITIZEN_SERVICES, "name")?).await?;
    let framework = crate::competences::default_framework(db)
        .await?
        .ok_or(crate::Error::NotFound("DigComp 2.2"))?
        .id;
    let digcomp = |code: &'static str| async move {
        competence::Entity::find()
            .filter(competence::Column::FrameworkId.eq(framework))
            .filter(competence::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or(crate::Error::NotFound("DigComp competence"))
    };
    let (c11, c12) = (digcomp("1.1").await?, digcomp("1.2").await?);
    let now = Utc::now();
    // Colleagues of Lena's at the permit desks: the first two already verified at the levels
    // needed (rated by HR), the third started the course.
    let staff = [
        ("carla@demo.govskills.test", "Carla Caseworker", true),
        ("omar@demo.govskills.test", "Omar Officer", true),
        ("petra@demo.govskills.test", "Petra Permits", false),
        ("sven@demo.govskills.test", "Sven Service", false),
        ("ines@demo.govskills.test", "Ines Intake", false),
    ];
    let mut petra = None;
    for (email, name, verified) in staff {
        let user = match accounts::find_by_email(db, &Email::parse(email)?).await? {
            Some(user) => user,
            None => {
                accounts::provision(
                    db,
                    NewUser {
                        email: email.to_owned(),
                        display_name: name.to_owned(),
                        password: PASSWORD.to_owned(),
                        org_unit_id: citizen.id,
                    },
                    &[],
                )
                .await?
            }
        };
        if verified {
            let txn = db.begin().await?;
            learning::record_results(
                &txn,
                user.id,
                &[(c11, 3), (c12, 3)],
                ResultSource::Manual,
                None,
                now,
            )
            .await?;
            txn.commit().await?;
        }
        if email.starts_with("petra") {
            petra = Some(user.id);
        }
    }

    // Passing the placement test verifies the levels the rollout needs.
    let placement = crate::entities::assessment::Entity::find()
        .filter(crate::entities::assessment::Column::Title.eq(PLACEMENT_TEST_TITLE))
        .one(db)
        .await?
        .map(|a| a.id);
    let rollout = rollouts::create(
        db,
        hr,
        rollouts::RolloutInput {
            org_unit_id: citizen.id,
            name: ROLLOUT_NAME.to_owned(),
            description: "Permit applications move from paper and e-mail to the new e-permit \
                          service. Staff at the permit desks must find and judge information \
                          online and in the new case files."
                .to_owned(),
            service: "e-permit service".to_owned(),
            ai_system_id: None,
            go_live_on: (now + Duration::days(42)).date_naive(),
            lead_time_days: 14,
            readiness_target: 80,
            ready_by_courses: false,
            units: vec![rollouts::UnitInput {
                org_unit_id: citizen.id,
                include_subunits: true,
            }],
            job_role_ids: Vec::new(),
            requirements: vec![(c11, 3), (c12, 3)],
            course_ids: vec![course_id],
            assessment_id: placement,
        },
        now,
    )
    .await?;
    rollouts::launch(db, hr, rollout.id, now).await?;

    // Petra has started the course the launch assigned her.
    if let Some(petra) = petra {
        let petra = auth::load_actor(db, petra)
            .await?
            .ok_or(crate::Error::NotFound("demo account"))?;
        let first_lesson = lesson::Entity::find()
            .filter(lesson::Column::CourseId.eq(course_id))
            .filter(lesson::Column::Kind.eq(LessonKind::Text))
            .order_by_asc(lesson::Column::Id)
            .one(db)
            .await?
            .ok_or(crate::Error::NotFound("demo lesson"))?;
        learning::complete_lesson(db, issuer, &petra, first_lesson.id).await?;
    }

    // A week of history, as if launched a week ago: from none ready to today's two.
    rollout::ActiveModel {
        id: Set(rollout.id),
        launched_at: Set(Some(now - Duration::days(7))),
        ..Default::default()
    }
    .update(db)
    .await?;
    for (days_ago, ready) in [(7, 0), (6, 0), (5, 1), (4, 1), (3, 1), (2, 2), (1, 2)] {
        rollout_snapshot::Entity::insert(rollout_snapshot::ActiveModel {
            rollout_id: Set(rollout.id),
            day: Set((now - Duration::days(days_ago)).date_naive()),
            affected: Set(6),
            ready: Set(ready),
            taken_at: Set(now - Duration::days(days_ago)),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The demo ministry's AI register: a high-risk benefit-fraud risk scoring system (Annex III
/// area 5) that the data analysts operate, the caseworkers are affected by and Luis oversees by
/// name; a citizen-questions chatbot (transparency obligations) the caseworkers operate; and a
/// translation tool (minimal risk). Lena acknowledged the chatbot's instructions, and then the
/// chatbot changed in a way that needs retraining, so her evidence is stale. Skipped when the
/// ministry has a register already.
async fn seed_ai_register(
    db: &DatabaseConnection,
    admin: &auth::Actor,
    ministry: &crate::entities::org_unit::Model,
    roles: &[crate::entities::job_role::Model],
    course_id: uuid::Uuid,
) -> Result<()> {
    use chrono::Utc;

    use crate::ai_register::{
        self, AuthorityRole, ChangeInput, MeasuresInput, RiskClass, Subject, SystemInput,
        SystemStatus, UseKind,
    };

    if !ai_register::public_register(db, ministry.id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let [caseworker, analyst] = roles else {
        return Err(crate::Error::NotFound("demo job roles"));
    };
    let template = certificate_template::Entity::find()
        .filter(certificate_template::Column::Title.eq(CERTIFICATE_TITLE))
        .one(db)
        .await?;
    let system = |name: &str, purpose: &str, provider: &str, risk, area| SystemInput {
        name: name.to_owned(),
        purpose: purpose.to_owned(),
        provider: provider.to_owned(),
        authority_role: AuthorityRole::Deployer,
        risk_class: risk,
        annex_iii_area: area,
        eu_database_id: None,
        public_register_url: None,
        instructions_url: Some(format!(
            "https://intranet.ministry.example/ai/{}",
            name.to_lowercase().replace([' ', '(', ')'], "-")
        )),
        owner_unit_id: None,
        contact_user_id: Some(admin.id()),
        status: SystemStatus::InUse,
    };
    let now = Utc::now();
    let scoring = ai_register::create_system(
        db,
        admin,
        ministry.id,
        system(
            "Benefit-fraud risk scoring (demo)",
            "Ranks benefit claims by the risk of fraud so that caseworkers check the riskiest first; it decides nothing by itself.",
            "Fraud Analytics Vendor (demo)",
            RiskClass::HighRisk,
            Some(5),
        ),
    )
    .await?;
    let chatbot = ai_register::create_system(
        db,
        admin,
        ministry.id,
        system(
            "Citizen questions chatbot (demo)",
            "Answers citizens' questions about services on the ministry's website and hands over to a caseworker.",
            "Chat Platform Provider (demo)",
            RiskClass::Transparency,
            None,
        ),
    )
    .await?;
    ai_register::create_system(
        db,
        admin,
        ministry.id,
        system(
            "Translation tool (demo)",
            "Drafts translations of letters and web pages, which staff review before use.",
            "Machine Translation Service (demo)",
            RiskClass::Minimal,
            None,
        ),
    )
    .await?;

    let instructions = MeasuresInput {
        instructions: true,
        ..MeasuresInput::default()
    };
    ai_register::set_measures(
        db,
        admin,
        scoring.id,
        UseKind::Operator,
        MeasuresInput {
            course_ids: vec![course_id],
            instructions: true,
            ..MeasuresInput::default()
        },
        now,
    )
    .await?;
    ai_register::set_measures(
        db,
        admin,
        scoring.id,
        UseKind::Oversight,
        MeasuresInput {
            template_ids: template.map(|t| t.id).into_iter().collect(),
            instructions: true,
            ..MeasuresInput::default()
        },
        now,
    )
    .await?;
    for (system, kind) in [
        (scoring.id, UseKind::AffectedStaff),
        (chatbot.id, UseKind::Operator),
    ] {
        ai_register::set_measures(db, admin, system, kind, instructions.clone(), now).await?;
    }
    for (system, role, kind) in [
        (scoring.id, analyst.id, UseKind::Operator),
        (scoring.id, caseworker.id, UseKind::AffectedStaff),
        (chatbot.id, caseworker.id, UseKind::Operator),
    ] {
        ai_register::set_use(db, admin, system, Subject::JobRole(role), Some(kind), now).await?;
    }
    let luis = accounts::find_by_email(db, &Email::parse("learner2@demo.govskills.test")?)
        .await?
        .ok_or(crate::Error::NotFound("demo account"))?;
    ai_register::set_use(
        db,
        admin,
        scoring.id,
        Subject::Person(luis.id),
        Some(UseKind::Oversight),
        now,
    )
    .await?;

    // Lena read the chatbot's instructions; then the chatbot changed.
    let lena = accounts::find_by_email(db, &Email::parse("learner1@demo.govskills.test")?)
        .await?
        .ok_or(crate::Error::NotFound("demo account"))?;
    let lena = auth::load_actor(db, lena.id)
        .await?
        .ok_or(crate::Error::NotFound("demo account"))?;
    ai_register::acknowledge_instructions(db, &lena, chatbot.id, now).await?;
    ai_register::record_change(
        db,
        admin,
        chatbot.id,
        ChangeInput {
            summary: "Moved to a new language model that also answers in plain language; staff must re-read when to hand over to a caseworker.".to_owned(),
            requires_retraining: true,
            due_in_days: Some(14),
        },
        now + chrono::Duration::seconds(1),
    )
    .await?;
    Ok(())
}
