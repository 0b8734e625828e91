//! Assessments: versioned questions with their options, assessments (a fixed list of questions or
//! a random draw per competence and level), attempts with the exact question versions and option
//! order each attempt was given, and the answers saved into them. Competence results learn which
//! attempt verified them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};

        // A question's stable identity; what it says lives in its versions.
        manager
            .create_table(
                Table::create()
                    .table(Questions::Table)
                    // UUIDv7.
                    .col(pk_uuid(Questions::Id))
                    .col(uuid(Questions::OwnerId))
                    .col(uuid(Questions::OrgUnitId))
                    // The current version's competence and level, for drawing questions.
                    .col(uuid(Questions::CompetenceId))
                    .col(integer(Questions::Level))
                    .col(integer(Questions::CurrentVersion))
                    .col(timestamp_with_time_zone(Questions::CreatedAt))
                    .col(timestamp_with_time_zone(Questions::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_questions_owner",
                        (Questions::Table, Questions::OwnerId),
                        (Users::Table, Users::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_questions_org_unit",
                        (Questions::Table, Questions::OrgUnitId),
                        (OrgUnits::Table, OrgUnits::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_questions_competence",
                        (Questions::Table, Questions::CompetenceId),
                        (Competences::Table, Competences::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_questions_org_unit",
            Questions::Table,
            vec![Questions::OrgUnitId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_questions_competence_level",
            Questions::Table,
            vec![
                Questions::CompetenceId.into_iden(),
                Questions::Level.into_iden(),
            ],
            false,
        )
        .await?;

        // Every version a question had; attempts point at the exact version they were given.
        manager
            .create_table(
                Table::create()
                    .table(QuestionVersions::Table)
                    .col(pk_uuid(QuestionVersions::Id))
                    .col(uuid(QuestionVersions::QuestionId))
                    .col(integer(QuestionVersions::Version))
                    .col(uuid(QuestionVersions::CompetenceId))
                    .col(integer(QuestionVersions::Level))
                    // single_choice | multiple_choice | true_false
                    .col(string_len(QuestionVersions::Kind, 16))
                    // Markdown as written; sanitised when rendered.
                    .col(text(QuestionVersions::Prompt))
                    .col(text_null(QuestionVersions::Explanation))
                    .col(integer(QuestionVersions::Points))
                    .col(uuid(QuestionVersions::CreatedBy))
                    .col(timestamp_with_time_zone(QuestionVersions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_question_versions_question",
                        (QuestionVersions::Table, QuestionVersions::QuestionId),
                        (Questions::Table, Questions::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_question_versions_competence",
                        (QuestionVersions::Table, QuestionVersions::CompetenceId),
                        (Competences::Table, Competences::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_question_versions_created_by",
                        (QuestionVersions::Table, QuestionVersions::CreatedBy),
                        (Users::Table, Users::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_question_versions_question_version",
            QuestionVersions::Table,
            vec![
                QuestionVersions::QuestionId.into_iden(),
                QuestionVersions::Version.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuestionOptions::Table)
                    .col(pk_uuid(QuestionOptions::Id))
                    .col(uuid(QuestionOptions::QuestionVersionId))
                    .col(integer(QuestionOptions::Position))
                    .col(text(QuestionOptions::Text))
                    .col(boolean(QuestionOptions::IsCorrect))
                    .foreign_key(&mut fk(
                        "fk_question_options_version",
                        (QuestionOptions::Table, QuestionOptions::QuestionVersionId),
                        (QuestionVersions::Table, QuestionVersions::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_question_options_version",
            QuestionOptions::Table,
            vec![
                QuestionOptions::QuestionVersionId.into_iden(),
                QuestionOptions::Position.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Assessments::Table)
                    // UUIDv7.
                    .col(pk_uuid(Assessments::Id))
                    .col(string_len(Assessments::Title, 200))
                    .col(text(Assessments::Description))
                    .col(uuid(Assessments::OwnerId))
                    .col(uuid(Assessments::OrgUnitId))
                    // org_unit | platform | lessons_only
                    .col(string_len(Assessments::Visibility, 16))
                    // fixed | random
                    .col(string_len(Assessments::Selection, 16))
                    .col(integer(Assessments::PassMarkPercent))
                    .col(integer(Assessments::MasteryThresholdPercent))
                    .col(integer_null(Assessments::TimeLimitSeconds))
                    .col(integer_null(Assessments::MaxAttempts))
                    .col(timestamp_with_time_zone(Assessments::CreatedAt))
                    .col(timestamp_with_time_zone(Assessments::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_assessments_owner",
                        (Assessments::Table, Assessments::OwnerId),
                        (Users::Table, Users::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_assessments_org_unit",
                        (Assessments::Table, Assessments::OrgUnitId),
                        (OrgUnits::Table, OrgUnits::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_assessments_org_unit",
            Assessments::Table,
            vec![Assessments::OrgUnitId.into_iden()],
            false,
        )
        .await?;

        // A fixed assessment's questions, in order.
        manager
            .create_table(
                Table::create()
                    .table(AssessmentItems::Table)
                    .col(uuid(AssessmentItems::AssessmentId))
                    .col(integer(AssessmentItems::Position))
                    .col(uuid(AssessmentItems::QuestionId))
                    .primary_key(
                        Index::create()
                            .col(AssessmentItems::AssessmentId)
                            .col(AssessmentItems::Position),
                    )
                    .foreign_key(&mut fk(
                        "fk_assessment_items_assessment",
                        (AssessmentItems::Table, AssessmentItems::AssessmentId),
                        (Assessments::Table, Assessments::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_assessment_items_question",
                        (AssessmentItems::Table, AssessmentItems::QuestionId),
                        (Questions::Table, Questions::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_assessment_items_assessment_question",
            AssessmentItems::Table,
            vec![
                AssessmentItems::AssessmentId.into_iden(),
                AssessmentItems::QuestionId.into_iden(),
            ],
            true,
        )
        .await?;

        // A random assessment's rules: draw `question_count` questions of a competence and level.
        manager
            .create_table(
                Table::create()
                    .table(AssessmentDrawRules::Table)
                    .col(uuid(AssessmentDrawRules::AssessmentId))
                    .col(integer(AssessmentDrawRules::Position))
                    .col(uuid(AssessmentDrawRules::CompetenceId))
                    .col(integer(AssessmentDrawRules::Level))
                    .col(integer(AssessmentDrawRules::QuestionCount))
                    .primary_key(
                        Index::create()
                            .col(AssessmentDrawRules::AssessmentId)
                            .col(AssessmentDrawRules::Position),
                    )
                    .foreign_key(&mut fk(
                        "fk_assessment_draw_rules_assessment",
                        (
                            AssessmentDrawRules::Table,
                            AssessmentDrawRules::AssessmentId,
                        ),
                        (Assessments::Table, Assessments::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_assessment_draw_rules_competence",
                        (
                            AssessmentDrawRules::Table,
                            AssessmentDrawRules::CompetenceId,
                        ),
                        (Competences::Table, Competences::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_assessment_draw_rules_competence_level",
            AssessmentDrawRules::Table,
            vec![
                AssessmentDrawRules::AssessmentId.into_iden(),
                AssessmentDrawRules::CompetenceId.into_iden(),
                AssessmentDrawRules::Level.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attempts::Table)
                    // UUIDv7.
                    .col(pk_uuid(Attempts::Id))
                    .col(uuid(Attempts::AssessmentId))
                    .col(uuid(Attempts::UserId))
                    // 1, 2, ... per user and assessment; unique, so two concurrent starts
                    // cannot both open an attempt.
                    .col(integer(Attempts::AttemptNumber))
                    .col(timestamp_with_time_zone(Attempts::StartedAt))
                    .col(timestamp_with_time_zone_null(Attempts::DeadlineAt))
                    // Set once, by the one conditional UPDATE that scores the attempt.
                    .col(timestamp_with_time_zone_null(Attempts::SubmittedAt))
                    // learner | deadline: who closed it.
                    .col(string_len_null(Attempts::ClosedBy, 16))
                    .col(integer_null(Attempts::Score))
                    .col(integer_null(Attempts::MaxScore))
                    // 0..=100
                    .col(double_null(Attempts::Percent))
                    .col(boolean_null(Attempts::Passed))
                    // Touched by every saved answer: the row lock that orders saves and submits.
                    .col(timestamp_with_time_zone(Attempts::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_attempts_assessment",
                        (Attempts::Table, Attempts::AssessmentId),
                        (Assessments::Table, Assessments::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_attempts_user",
                        (Attempts::Table, Attempts::UserId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_attempts_assessment_user_number",
            Attempts::Table,
            vec![
                Attempts::AssessmentId.into_iden(),
                Attempts::UserId.into_iden(),
                Attempts::AttemptNumber.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "ix_attempts_user",
            Attempts::Table,
            vec![Attempts::UserId.into_iden()],
            false,
        )
        .await?;

        // The questions an attempt was given: exact version, order, option order, the answer
        // saved, and after scoring the points awarded.
        manager
            .create_table(
                Table::create()
                    .table(AttemptQuestions::Table)
                    .col(uuid(AttemptQuestions::AttemptId))
                    .col(uuid(AttemptQuestions::QuestionId))
                    .col(integer(AttemptQuestions::Position))
                    .col(uuid(AttemptQuestions::QuestionVersionId))
                    // JSON array of option ids in the order this attempt shows them.
                    .col(text(AttemptQuestions::OptionOrder))
                    // JSON array of the chosen option ids; NULL until answered.
                    .col(text_null(AttemptQuestions::Answer))
                    .col(timestamp_with_time_zone_null(AttemptQuestions::AnsweredAt))
                    .col(integer_null(AttemptQuestions::AwardedPoints))
                    .col(boolean_null(AttemptQuestions::Correct))
                    .primary_key(
                        Index::create()
                            .col(AttemptQuestions::AttemptId)
                            .col(AttemptQuestions::QuestionId),
                    )
                    .foreign_key(&mut fk(
                        "fk_attempt_questions_attempt",
                        (AttemptQuestions::Table, AttemptQuestions::AttemptId),
                        (Attempts::Table, Attempts::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_attempt_questions_question",
                        (AttemptQuestions::Table, AttemptQuestions::QuestionId),
                        (Questions::Table, Questions::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_attempt_questions_version",
                        (AttemptQuestions::Table, AttemptQuestions::QuestionVersionId),
                        (QuestionVersions::Table, QuestionVersions::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_attempt_questions_question",
            AttemptQuestions::Table,
            vec![AttemptQuestions::QuestionId.into_iden()],
            false,
        )
        .await?;

        // Which attempt verified a result; unique per competence, so a score is written once.
        manager
            .alter_table(
                Table::alter()
                    .table(CompetenceResults::Table)
                    .add_column(uuid_null(CompetenceResults::AttemptId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_competence_results_attempt_competence",
            CompetenceResults::Table,
            vec![
                CompetenceResults::AttemptId.into_iden(),
                CompetenceResults::CompetenceId.into_iden(),
            ],
            true,
        )
        .await?;
        // Finding the lessons an assessment is used in.
        index(
            manager,
            "ix_lessons_assessment",
            Lessons::Table,
            vec![Lessons::AssessmentId.into_iden()],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_lessons_assessment")
                    .table(Lessons::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_competence_results_attempt_competence")
                    .table(CompetenceResults::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CompetenceResults::Table)
                    .drop_column(CompetenceResults::AttemptId)
                    .to_owned(),
            )
            .await?;
        for table in [
            AttemptQuestions::Table.into_iden(),
            Attempts::Table.into_iden(),
            AssessmentDrawRules::Table.into_iden(),
            AssessmentItems::Table.into_iden(),
            Assessments::Table.into_iden(),
            QuestionOptions::Table.into_iden(),
            QuestionVersions::Table.into_iden(),
            Questions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Competences {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    AssessmentId,
}

#[derive(DeriveIden)]
enum CompetenceResults {
    Table,
    CompetenceId,
    AttemptId,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    OwnerId,
    OrgUnitId,
    CompetenceId,
    Level,
    CurrentVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuestionVersions {
    Table,
    Id,
    QuestionId,
    Version,
    CompetenceId,
    Level,
    Kind,
    Prompt,
    Explanation,
    Points,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum QuestionOptions {
    Table,
    Id,
    QuestionVersionId,
    Position,
    Text,
    IsCorrect,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Id,
    Title,
    Description,
    OwnerId,
    OrgUnitId,
    Visibility,
    Selection,
    PassMarkPercent,
    MasteryThresholdPercent,
    TimeLimitSeconds,
    MaxAttempts,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AssessmentItems {
    Table,
    AssessmentId,
    Position,
    QuestionId,
}

#[derive(DeriveIden)]
enum AssessmentDrawRules {
    Table,
    AssessmentId,
    Position,
    CompetenceId,
    Level,
    QuestionCount,
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    Id,
    AssessmentId,
    UserId,
    AttemptNumber,
    StartedAt,
    DeadlineAt,
    SubmittedAt,
    ClosedBy,
    Score,
    MaxScore,
    Percent,
    Passed,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AttemptQuestions {
    Table,
    AttemptId,
    QuestionId,
    Position,
    QuestionVersionId,
    OptionOrder,
    Answer,
    AnsweredAt,
    AwardedPoints,
    Correct,
}
