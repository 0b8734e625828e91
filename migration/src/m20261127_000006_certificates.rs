//! Certificates: the issuer's signing keys, certificate templates (criteria and competence
//! alignments), and issued certificates with their signed credentials.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IssuerKeys::Table)
                    // RFC 7638 thumbprint of the public key (43 characters of base64url).
                    .col(string_len(IssuerKeys::Kid, 64).primary_key())
                    // The Ed25519 public key, base64url (the JWK's `x`).
                    .col(string_len(IssuerKeys::PublicKey, 64))
                    // PKCS#8 PEM, only for keys generated in development; a configured
                    // production key is never stored.
                    .col(text_null(IssuerKeys::PrivateKey))
                    .col(timestamp_with_time_zone(IssuerKeys::CreatedAt))
                    // No longer signs; still published so old credentials verify.
                    .col(timestamp_with_time_zone_null(IssuerKeys::RetiredAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificateTemplates::Table)
                    .col(pk_uuid(CertificateTemplates::Id))
                    .col(string_len(CertificateTemplates::Title, 200))
                    .col(text(CertificateTemplates::Description))
                    .col(string_len(CertificateTemplates::IssuerName, 200))
                    .col(integer_null(CertificateTemplates::ValidityMonths))
                    .col(boolean(CertificateTemplates::AttestsAiLiteracy))
                    // Whose staff can earn it (that unit's subtree); NULL: everyone.
                    .col(uuid_null(CertificateTemplates::OrgUnitId))
                    .col(uuid_null(CertificateTemplates::CreatedBy))
                    .col(timestamp_with_time_zone(CertificateTemplates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_templates_org_unit")
                            .from(CertificateTemplates::Table, CertificateTemplates::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_templates_created_by")
                            .from(CertificateTemplates::Table, CertificateTemplates::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificateTemplateCourses::Table)
                    .col(uuid(CertificateTemplateCourses::TemplateId))
                    .col(uuid(CertificateTemplateCourses::CourseId))
                    .primary_key(
                        Index::create()
                            .col(CertificateTemplateCourses::TemplateId)
                            .col(CertificateTemplateCourses::CourseId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_template_courses_template")
                            .from(
                                CertificateTemplateCourses::Table,
                                CertificateTemplateCourses::TemplateId,
                            )
                            .to(CertificateTemplates::Table, CertificateTemplates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_template_courses_course")
                            .from(
                                CertificateTemplateCourses::Table,
                                CertificateTemplateCourses::CourseId,
                            )
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificate_template_courses_course")
                    .table(CertificateTemplateCourses::Table)
                    .col(CertificateTemplateCourses::CourseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificateTemplateAssessments::Table)
                    .col(uuid(CertificateTemplateAssessments::TemplateId))
                    .col(uuid(CertificateTemplateAssessments::AssessmentId))
                    // 0..=100, compared with attempts.percent.
                    .col(double(CertificateTemplateAssessments::MinPercent))
                    .primary_key(
                        Index::create()
                            .col(CertificateTemplateAssessments::TemplateId)
                            .col(CertificateTemplateAssessments::AssessmentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_template_assessments_template")
                            .from(
                                CertificateTemplateAssessments::Table,
                                CertificateTemplateAssessments::TemplateId,
                            )
                            .to(CertificateTemplates::Table, CertificateTemplates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_template_assessments_assessment")
                            .from(
                                CertificateTemplateAssessments::Table,
                                CertificateTemplateAssessments::AssessmentId,
                            )
                            .to(Assessments::Table, Assessments::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificate_template_assessments_assessment")
                    .table(CertificateTemplateAssessments::Table)
                    .col(CertificateTemplateAssessments::AssessmentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificateTemplateCompetences::Table)
                    .col(uuid(CertificateTemplateCompetences::TemplateId))
                    .col(uuid(CertificateTemplateCompetences::CompetenceId))
                    .col(integer(CertificateTemplateCompetences::Position))
                    .primary_key(
                        Index::create()
                            .col(CertificateTemplateCompetences::TemplateId)
                            .col(CertificateTemplateCompetences::CompetenceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_template_competences_template")
                            .from(
                                CertificateTemplateCompetences::Table,
                                CertificateTemplateCompetences::TemplateId,
                            )
                            .to(CertificateTemplates::Table, CertificateTemplates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_template_competences_competence")
                            .from(
                                CertificateTemplateCompetences::Table,
                                CertificateTemplateCompetences::CompetenceId,
                            )
                            .to(Competences::Table, Competences::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    // UUIDv7.
                    .col(pk_uuid(Certificates::Id))
                    .col(uuid(Certificates::TemplateId))
                    .col(uuid(Certificates::UserId))
                    // 1 for the first certificate of a template and person, then one more per
                    // renewal; unique with both, so two concurrent issuances cannot both insert.
                    .col(integer(Certificates::Sequence))
                    // The verification code, canonical (24 Crockford base32 characters).
                    .col(string_len(Certificates::Code, 32))
                    .col(timestamp_with_time_zone(Certificates::IssuedAt))
                    .col(timestamp_with_time_zone_null(Certificates::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                    .col(text_null(Certificates::RevokedReason))
                    .col(uuid_null(Certificates::RevokedBy))
                    // The signed credential (VC-JWT) as issued.
                    .col(text(Certificates::Credential))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificates_template")
                            .from(Certificates::Table, Certificates::TemplateId)
                            .to(CertificateTemplates::Table, CertificateTemplates::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificates_user")
                            .from(Certificates::Table, Certificates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificates_revoked_by")
                            .from(Certificates::Table, Certificates::RevokedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_certificates_code")
                    .table(Certificates::Table)
                    .col(Certificates::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_certificates_template_user_sequence")
                    .table(Certificates::Table)
                    .col(Certificates::TemplateId)
                    .col(Certificates::UserId)
                    .col(Certificates::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificates_user")
                    .table(Certificates::Table)
                    .col(Certificates::UserId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Certificates::Table.into_iden(),
            CertificateTemplateCompetences::Table.into_iden(),
            CertificateTemplateAssessments::Table.into_iden(),
            CertificateTemplateCourses::Table.into_iden(),
            CertificateTemplates::Table.into_iden(),
            IssuerKeys::Table.into_iden(),
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
enum Courses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Competences {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum IssuerKeys {
    Table,
    Kid,
    PublicKey,
    PrivateKey,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum CertificateTemplates {
    Table,
    Id,
    Title,
    Description,
    IssuerName,
    ValidityMonths,
    AttestsAiLiteracy,
    OrgUnitId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CertificateTemplateCourses {
    Table,
    TemplateId,
    CourseId,
}

#[derive(DeriveIden)]
enum CertificateTemplateAssessments {
    Table,
    TemplateId,
    AssessmentId,
    MinPercent,
}

#[derive(DeriveIden)]
enum CertificateTemplateCompetences {
    Table,
    TemplateId,
    CompetenceId,
    Position,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    TemplateId,
    UserId,
    Sequence,
    Code,
    IssuedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
    RevokedBy,
    Credential,
}
