//! Certificates: templates (`createCertificateTemplate`), the learner's own certificates
//! (`myCertificates`), revocation (`revokeCertificate`, and `revokeCertificatesSignedBy` for a
//! compromised signing key) and public verification (`verifyCertificate`).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use govskills_domain::{
    certificates::{self, AlignmentRef, NewTemplate, Status},
    credentials::VerificationCode,
    entities::{certificate, certificate_ai_system, certificate_template},
};
use uuid::Uuid;

use async_graphql::connection::{Connection, Edge};

use super::{
    accounts::User,
    context::{actor, loader, request, services},
    courses::Course,
    cursor, data_access,
    frameworks::Competence,
    id, list_cost,
    loaders::{
        AiSystemsOfCertificate, CertificateAiSystemLoader, CertificateTemplateLoader,
        CompetenceLoader, CourseLoader, LoadRequired, TemplateAlignmentLoader,
        TemplateAlignmentsOf, TemplateAssessmentLoader, TemplateAssessmentsOf,
        TemplateCourseLoader, TemplateCoursesOf, UserLoader,
    },
    org_units::OrgUnit,
    page_size, paged_cost, parse_after, parse_id,
};
use crate::error::{ApiError, ApiResult};

/// Narrows the certificate list; every field is optional.
#[derive(InputObject, Default)]
pub struct CertificateFilter {
    /// Only certificates issued from this template.
    pub template_id: Option<ID>,
    /// Only this person's certificates.
    pub holder_id: Option<ID>,
    /// Only certificates with this status now: `VALID`, `EXPIRED` or `REVOKED` (`NOT_FOUND`
    /// gives `BAD_USER_INPUT`).
    pub status: Option<CertificateStatus>,
}

/// A certificate's status.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateStatus {
    /// Issued, not revoked, not expired.
    Valid,
    /// Past its expiry date.
    Expired,
    /// Revoked by an administrator.
    Revoked,
    /// No certificate has this code.
    NotFound,
}

mirror!(
    CertificateStatus,
    Status,
    [Valid, Expired, Revoked, NotFound]
);

/// What anyone may learn from a verification code: the status, and for a known code the
/// holder's display name, the certificate, its issuer and dates. Nothing else about the holder.
pub struct CertificateVerification(certificates::Verification);

/// What anyone may learn from a verification code: the status, and for a known code the
/// holder's display name, the certificate, its issuer and dates. Nothing else about the holder.
#[Object]
impl CertificateVerification {
    /// Valid, expired, revoked, or not found (also for anything that is not a code).
    async fn status(&self) -> CertificateStatus {
        self.0.status.into()
    }

    /// The code in its grouped form, as printed.
    async fn code(&self) -> Option<String> {
        self.0.code.as_ref().map(VerificationCode::grouped)
    }

    /// The holder's display name.
    async fn holder_name(&self) -> Option<&str> {
        self.0.holder_name.as_deref()
    }

    /// The certificate's title.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// Who issued it.
    async fn issuer_name(&self) -> Option<&str> {
        self.0.issuer_name.as_deref()
    }

    /// When it was issued.
    async fn issued_at(&self) -> Option<DateTime<Utc>> {
        self.0.issued_at
    }

    /// When it expires (or expired); null if it does not.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// The AI systems it covers, by name, each with its version at issuance (empty when its
    /// template was tied to none, and for an unknown code).
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn ai_systems(&self) -> Vec<AttestedAiSystem> {
        self.0
            .ai_systems
            .iter()
            .cloned()
            .map(AttestedAiSystem)
            .collect()
    }
}

/// An AI system a certificate covers, as public verification shows it: name and version only.
pub struct AttestedAiSystem(certificates::AttestedAiSystem);

/// An AI system a certificate covers, as public verification shows it: name and version only.
#[Object]
impl AttestedAiSystem {
    /// The system's name when the certificate was issued.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The system's version when the certificate was issued.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// An AI system a certificate was earned for: its template is tied to the system in the
/// authority's AI register. Name and version as they were at issuance.
pub struct CertificateAiSystem(certificate_ai_system::Model);

/// An AI system a certificate was earned for: its template is tied to the system in the
/// authority's AI register. Name and version as they were at issuance.
#[Object]
impl CertificateAiSystem {
    /// The system's id in the AI register.
    async fn ai_system_id(&self) -> ID {
        id(self.0.ai_system_id)
    }

    /// The system's name when the certificate was issued.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The system's version when the certificate was issued (1, and one more per recorded
    /// change).
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A certificate issued to a person, with its verification code and signed credential.
pub struct Certificate(pub certificate::Model);

impl Certificate {
    fn verification_code(&self) -> VerificationCode {
        VerificationCode::from_stored(self.0.code.clone())
    }
}

/// A certificate issued to a person, with its verification code and signed credential.
#[Object]
impl Certificate {
    /// The certificate's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The verification code, grouped as people type it (`XXXX-XXXX-...`).
    async fn code(&self) -> String {
        self.verification_code().grouped()
    }

    /// The name the certificate was issued to, as its signed credential attests it (a later
    /// rename of the account does not change it).
    async fn holder_name(&self) -> &str {
        &self.0.holder_name
    }

    /// The holder's account (you see your own; an administrator those they cover).
    async fn holder(&self, ctx: &Context<'_>) -> ApiResult<User> {
        loader::<UserLoader>(ctx)?
            .load_required(self.0.user_id, "user")
            .await
            .map(User)
    }

    /// The template it was issued from.
    async fn template(&self, ctx: &Context<'_>) -> ApiResult<CertificateTemplate> {
        loader::<CertificateTemplateLoader>(ctx)?
            .load_required(self.0.template_id, "certificate template")
            .await
            .map(CertificateTemplate)
    }

    /// Valid, expired or revoked, now.
    async fn status(&self) -> CertificateStatus {
        Status::of(&self.0, Utc::now()).into()
    }

    /// When it was issued.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    /// When it expires; null if it does not.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// Why it was revoked, if it was.
    async fn revocation_reason(&self) -> Option<&str> {
        self.0.revoked_reason.as_deref()
    }

    /// 1 for the first certificate of its template, one more per renewal.
    async fn sequence(&self) -> i32 {
        self.0.sequence
    }

    /// The AI systems it was earned for, by name, each with its version at issuance: those of
    /// the holder's authority its template was tied to in the AI register (empty when none).
    /// A re-issue after a key compromise covers what the certificate it replaces covered.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn ai_systems(&self, ctx: &Context<'_>) -> ApiResult<Vec<CertificateAiSystem>> {
        Ok(loader::<CertificateAiSystemLoader>(ctx)?
            .load_one(AiSystemsOfCertificate(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(CertificateAiSystem)
            .collect())
    }

    /// The public page that shows its status (what the QR code links to).
    async fn verification_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(services(ctx)?.issuer.verify_url(&self.verification_code()))
    }

    /// Where the signed credential can be downloaded.
    async fn credential_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(services(ctx)?
            .issuer
            .credential_url(&self.verification_code()))
    }

    /// The signed Open Badges 3.0 credential as a VC-JWT (EdDSA; keys at
    /// `/.well-known/jwks.json`).
    async fn credential(&self) -> &str {
        &self.0.credential
    }
}

/// What a certificate attests and how it is earned.
pub struct CertificateTemplate(pub certificate_template::Model);

/// An assessment a template requires, with the minimum percent.
pub struct AssessmentCriterion {
    assessment_id: Uuid,
    min_percent: f64,
}

/// An assessment a template requires, with the minimum percent.
#[Object]
impl AssessmentCriterion {
    /// The assessment's id.
    async fn assessment_id(&self) -> ID {
        id(self.assessment_id)
    }

    /// The least percent of the maximum score that counts (0 to 100); the attempt must also
    /// pass the assessment's own pass mark.
    async fn min_percent(&self) -> f64 {
        self.min_percent
    }
}

/// What a certificate attests and how it is earned.
#[Object]
impl CertificateTemplate {
    /// The template's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Since when it issues nothing more (`archiveCertificateTemplate`); null while it
    /// issues. Certificates issued before stay as they are.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// The certificate's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it attests.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The issuing organisation's name, as credentials show it.
    async fn issuer_name(&self) -> &str {
        &self.0.issuer_name
    }

    /// Months a certificate stays valid; null: it does not expire.
    async fn validity_months(&self) -> Option<i32> {
        self.0.validity_months
    }

    /// Whether it attests AI literacy (EU AI Act Art. 4), for the AI-literacy report.
    async fn attests_ai_literacy(&self) -> bool {
        self.0.attests_ai_literacy
    }

    /// Whose staff can earn it (that unit's subtree); null: everyone.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<Option<OrgUnit>> {
        let Some(unit_id) = self.0.org_unit_id else {
            return Ok(None);
        };
        Ok(loader::<super::loaders::OrgUnitLoader>(ctx)?
            .load_one(unit_id)
            .await?
            .map(OrgUnit))
    }

    /// Courses to complete (that version or a later one).
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn courses(&self, ctx: &Context<'_>) -> ApiResult<Vec<Course>> {
        let criteria = loader::<TemplateCourseLoader>(ctx)?
            .load_one(TemplateCoursesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let courses = loader::<CourseLoader>(ctx)?
            .load_many(criteria.iter().map(|c| c.course_id))
            .await?;
        Ok(criteria
            .iter()
            .filter_map(|c| courses.get(&c.course_id).cloned().map(Course))
            .collect())
    }

    /// Assessments to pass, each with a minimum percent.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn assessments(&self, ctx: &Context<'_>) -> ApiResult<Vec<AssessmentCriterion>> {
        Ok(loader::<TemplateAssessmentLoader>(ctx)?
            .load_one(TemplateAssessmentsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|c| AssessmentCriterion {
                assessment_id: c.assessment_id,
                min_percent: c.min_percent,
            })
            .collect())
    }

    /// The competences it aligns to, in the order given.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn alignments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Competence>> {
        let rows = loader::<TemplateAlignmentLoader>(ctx)?
            .load_one(TemplateAlignmentsOf(self.0.id))
            .await?
            .unwrap_or_default();
        let competences = loader::<CompetenceLoader>(ctx)?
            .load_many(rows.iter().map(|r| r.competence_id))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| competences.get(&r.competence_id).cloned().map(Competence))
            .collect())
    }
}

/// An assessment to pass, with the least percent that counts.
#[derive(InputObject)]
pub struct AssessmentCriterionInput {
    /// The assessment to pass; each assessment may be named once per template.
    pub assessment_id: ID,
    /// 0 to 100.
    pub min_percent: f64,
}

/// A competence to align to, by code: e.g. framework `DIGCOMP`, competence `4.2`.
#[derive(InputObject)]
pub struct CertificateAlignmentInput {
    /// The framework's code, e.g. `DIGCOMP`; an unknown one gives `BAD_USER_INPUT`.
    pub framework_code: String,
    /// Needed only when the framework has several versions.
    pub framework_version: Option<String>,
    /// The competence's code within the framework, e.g. `4.2`; an unknown one gives
    /// `BAD_USER_INPUT`.
    pub competence_code: String,
}

/// A new certificate template. Every criterion is required: all courses completed and all
/// assessments passed with at least their minimum percent.
#[derive(InputObject)]
pub struct CreateCertificateTemplateInput {
    /// The certificate's title: 1 to 200 characters after trimming, no control characters.
    pub title: String,
    /// What the certificate attests.
    pub description: String,
    /// The issuing organisation's name, as credentials show it.
    pub issuer_name: String,
    /// 1 to 120 months; leave out for certificates that do not expire.
    pub validity_months: Option<i32>,
    /// Whether the certificate attests AI literacy (EU AI Act Art. 4), so that the AI-literacy
    /// report counts its holders as certified; false when left out.
    #[graphql(default)]
    pub attests_ai_literacy: bool,
    /// Whose staff can earn it (a unit you administer); leave out for everyone (platform
    /// administrators only).
    pub org_unit_id: Option<ID>,
    /// Courses that must all be completed; courses you cannot see give `BAD_USER_INPUT`. This
    /// and `assessments` may not both be empty.
    #[graphql(default)]
    pub course_ids: Vec<ID>,
    /// Assessments that must all be passed with at least their minimum percent.
    #[graphql(default)]
    pub assessments: Vec<AssessmentCriterionInput>,
    /// The competences the certificate attests, as its credentials state them; none when left
    /// out.
    #[graphql(default)]
    pub alignments: Vec<CertificateAlignmentInput>,
}

/// Changes to what a certificate template says; every field is optional.
#[derive(InputObject)]
pub struct UpdateCertificateTemplateInput {
    /// A new title: 1 to 200 characters after trimming, no control or invisible characters.
    pub title: Option<String>,
    /// A new description of what the certificate attests (up to 5,000 characters).
    pub description: Option<String>,
    /// A new issuer name, as credentials issued from now on show it.
    pub issuer_name: Option<String>,
    /// 1 to 120 months for certificates issued from now on; null for no expiry; left out: as
    /// it is.
    pub validity_months: MaybeUndefined<i32>,
}

/// What revoking the certificates of a compromised signing key did.
pub struct KeyRevocation(certificates::KeyRevocation);

/// What revoking the certificates of a compromised signing key did.
#[Object]
impl KeyRevocation {
    /// The compromised key's id, as given.
    async fn kid(&self) -> &str {
        &self.0.kid
    }

    /// The id of the key that now signs in the compromised key's place (the current key of
    /// the same algorithm); null when the platform no longer signs with that algorithm. The
    /// re-issued certificates are signed with each authority's chosen algorithm.
    async fn current_kid(&self) -> Option<&str> {
        self.0.current_kid.as_deref()
    }

    /// How many certificates were revoked: those the key signed that were still valid (expired
    /// and already revoked ones are left as they were).
    async fn revoked(&self) -> u64 {
        self.0.revoked
    }

    /// How many certificates were issued in their place under the current key, to holders who
    /// still meet the criteria; they keep the expiry of the certificate they replace.
    async fn reissued(&self) -> u64 {
        self.0.reissued
    }
}

#[derive(Default)]
pub struct CertificateQuery;

#[Object]
impl CertificateQuery {
    /// The certificate templates you administer and those for everyone, newest first
    /// (`ADMIN`; `FORBIDDEN` for anyone else).
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn certificate_templates(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<CertificateTemplate>> {
        Ok(certificates::templates(&services(ctx)?.db, actor(ctx)?)
            .await?
            .into_iter()
            .map(CertificateTemplate)
            .collect())
    }

    /// Your certificates, newest first.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn my_certificates(&self, ctx: &Context<'_>) -> ApiResult<Vec<Certificate>> {
        let actor = actor(ctx)?;
        Ok(certificates::held_by(&services(ctx)?.db, actor.id())
            .await?
            .into_iter()
            .map(Certificate)
            .collect())
    }

    /// The certificates of the people you administer (`ADMIN`; a platform administrator:
    /// everyone's), newest first, so one can be found and revoked without asking its holder.
    /// `FORBIDDEN` for anyone else. A filter naming a person or template outside your units
    /// gives an empty page, like one that matches nothing. Each holder listed (but yourself)
    /// finds the read in their `myDataAccessLog`, once per request.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn certificates(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many certificates to return: 20 when left out, at most 100; a negative \
                    or larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
        #[graphql(desc = "Narrows the list; leave out for every certificate you may see.")]
        filter: Option<CertificateFilter>,
    ) -> ApiResult<Connection<String, Certificate>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after = parse_after(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let status = match filter.status {
            Some(CertificateStatus::NotFound) => {
                return Err(ApiError::bad_input(
                    "status",
                    "status is VALID, EXPIRED or REVOKED",
                ));
            }
            other => other.map(Status::from),
        };
        let filter = certificates::CertificateFilter {
            template_id: filter
                .template_id
                .map(|id| parse_id(&id, "templateId"))
                .transpose()?,
            holder_id: filter
                .holder_id
                .map(|id| parse_id(&id, "holderId"))
                .transpose()?,
            status,
        };
        let page = certificates::list(
            &services(ctx)?.db,
            actor,
            &filter,
            after,
            u64::try_from(first).unwrap_or(u64::MAX),
            Utc::now(),
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        for certificate in page.certificates {
            data_access::note(ctx, certificate.user_id, "certificates")?;
            connection
                .edges
                .push(Edge::new(cursor(certificate.id), Certificate(certificate)));
        }
        Ok(connection)
    }

    /// Checks a verification code (public; no sign-in needed). Tolerant of case, spaces and
    /// dashes; anything that is not a known code is `NOT_FOUND`. Rate limited per client
    /// address (`RATE_LIMITED`).
    async fn verify_certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The verification code printed on the certificate.")] code: String,
    ) -> ApiResult<CertificateVerification> {
        let services = services(ctx)?;
        services
            .verify_throttle
            .check(request(ctx)?.client_ip)
            .await?;
        let issuer = services.issuer.get(&services.db).await?;
        Ok(CertificateVerification(
            certificates::verify(&services.db, issuer, &code).await?,
        ))
    }
}

#[derive(Default)]
pub struct CertificateMutation;

#[Object]
impl CertificateMutation {
    /// Changes what a template says, for certificates issued from now on (`ADMIN` covering its
    /// unit; a template for everyone: platform administrators). Criteria do not change: archive
    /// the template and create another. `CONFLICT` for an archived template. Audited. Safe to
    /// repeat.
    async fn update_certificate_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template's id; one you cannot see gives `NOT_FOUND`.")] id: ID,
        #[graphql(desc = "What to change; fields left out stay as they are.")]
        input: UpdateCertificateTemplateInput,
    ) -> ApiResult<CertificateTemplate> {
        let template_id = parse_id(&id, "id")?;
        let validity_months = match input.validity_months {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(months) => Some(Some(months)),
        };
        Ok(CertificateTemplate(
            certificates::update_template(
                &services(ctx)?.db,
                actor(ctx)?,
                template_id,
                certificates::TemplateUpdate {
                    title: input.title,
                    description: input.description,
                    issuer_name: input.issuer_name,
                    validity_months,
                },
            )
            .await?,
        ))
    }

    /// Archives a template (`ADMIN` covering its unit; a template for everyone: platform
    /// administrators): it issues nothing more, and the certificates it issued stay valid until
    /// they expire or are revoked. Safe to repeat. Audited.
    async fn archive_certificate_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template's id; one you cannot see gives `NOT_FOUND`.")] id: ID,
    ) -> ApiResult<CertificateTemplate> {
        let template_id = parse_id(&id, "id")?;
        Ok(CertificateTemplate(
            certificates::archive_template(&services(ctx)?.db, actor(ctx)?, template_id).await?,
        ))
    }

    /// Sets how a template's holders recertify (`ADMIN` administering it): `daysBefore` days
    /// before a certificate expires, its holder is assigned `courseId` again (a completed
    /// enrolment is reopened), due on the expiry date, once per certificate; completing it
    /// within that window earns the next certificate at once. Both null turns it off. The
    /// template needs a validity period; `daysBefore` is 1 to 365 and within it. Audited. Safe to
    /// repeat.
    async fn set_certificate_recertification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template's id; one you cannot see gives `NOT_FOUND`.")]
        template_id: ID,
        #[graphql(
            desc = "Days before expiry that recertification starts; null with `courseId` \
                          null turns it off."
        )]
        days_before: Option<i32>,
        #[graphql(desc = "The published course to take again.")] course_id: Option<ID>,
    ) -> ApiResult<Option<CertificateRecertification>> {
        let template_id = parse_id(&template_id, "templateId")?;
        let plan = match (days_before, course_id) {
            (None, None) => None,
            (Some(days), Some(course)) => Some((days, parse_id(&course, "courseId")?)),
            (None, Some(_)) => {
                return Err(ApiError::bad_input(
                    "daysBefore",
                    "give daysBefore with courseId (or neither, to turn recertification off)",
                ));
            }
            (Some(_), None) => {
                return Err(ApiError::bad_input(
                    "courseId",
                    "give courseId with daysBefore (or neither, to turn recertification off)",
                ));
            }
        };
        Ok(
            certificates::set_recertification(&services(ctx)?.db, actor(ctx)?, template_id, plan)
                .await?
                .map(CertificateRecertification),
        )
    }

    /// Creates a certificate template (`ADMIN`). Certificates are then issued automatically to
    /// everyone who meets its criteria. Not safe to repeat: a second call makes a second
    /// template, which issues certificates of its own.
    async fn create_certificate_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template with its criteria.")] input: CreateCertificateTemplateInput,
    ) -> ApiResult<CertificateTemplate> {
        let actor = actor(ctx)?;
        let org_unit_id = input
            .org_unit_id
            .as_ref()
            .map(|id| parse_id(id, "orgUnitId"))
            .transpose()?;
        let course_ids = input
            .course_ids
            .iter()
            .map(|id| parse_id(id, "courseIds"))
            .collect::<ApiResult<Vec<_>>>()?;
        let assessments = input
            .assessments
            .iter()
            .map(|a| Ok((parse_id(&a.assessment_id, "assessments")?, a.min_percent)))
            .collect::<ApiResult<Vec<_>>>()?;
        let template = certificates::create_template(
            &services(ctx)?.db,
            actor,
            NewTemplate {
                title: input.title,
                description: input.description,
                issuer_name: input.issuer_name,
                validity_months: input.validity_months,
                attests_ai_literacy: input.attests_ai_literacy,
                org_unit_id,
                course_ids,
                assessments,
                alignments: input
                    .alignments
                    .into_iter()
                    .map(|a| AlignmentRef {
                        framework_code: a.framework_code,
                        framework_version: a.framework_version,
                        competence_code: a.competence_code,
                    })
                    .collect(),
            },
        )
        .await?;
        Ok(CertificateTemplate(template))
    }

    /// Revokes a certificate (`ADMIN` covering the holder's unit), with a reason. Both
    /// verification paths show it as revoked at once. A repeat is `CONFLICT` (field
    /// `certificateId`): the certificate is revoked already.
    async fn revoke_certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the certificate to revoke.")] certificate_id: ID,
        #[graphql(
            desc = "Why it is revoked, for the record: 1 to 1000 characters after trimming."
        )]
        reason: String,
    ) -> ApiResult<Certificate> {
        let actor = actor(ctx)?;
        let certificate_id = parse_id(&certificate_id, "certificateId")?;
        Ok(Certificate(
            certificates::revoke(&services(ctx)?.db, actor, certificate_id, &reason).await?,
        ))
    }

    /// Revokes every still-valid certificate whose credential was signed with a compromised
    /// issuer key, and re-issues under the current key each one whose holder still meets its
    /// criteria (no fresh evidence needed: a compromised key is not the holder's fault).
    /// Platform `ADMIN` only (`FORBIDDEN` for anyone else). Rotate the key first: the current
    /// signing key is refused (`CONFLICT` on `kid`). All or nothing; audited. Safe to repeat: it
    /// finds only what is still valid.
    async fn revoke_certificates_signed_by(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The compromised key's id (`kid`), as `/.well-known/jwks.json` and the credentials' JWS headers name it; a key the issuer never had is `NOT_FOUND`."
        )]
        kid: String,
        #[graphql(
            desc = "Why, for the record and as each certificate's revocation reason: 1 to 1000 characters after trimming."
        )]
        reason: String,
    ) -> ApiResult<KeyRevocation> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        Ok(KeyRevocation(
            certificates::revoke_signed_by(
                &services.db,
                certificates::KeyRevoker::Admin(actor),
                &kid,
                &reason,
                &services.issuer,
            )
            .await?,
        ))
    }
}

/// How a template's holders recertify.
pub struct CertificateRecertification(
    pub govskills_domain::entities::certificate_recertification::Model,
);

/// How a template's holders recertify: the course they are assigned again, and when.
#[Object]
impl CertificateRecertification {
    /// Days before a certificate expires that its holder is assigned the course.
    async fn days_before(&self) -> i32 {
        self.0.days_before
    }

    /// The course to take again.
    async fn course(&self, ctx: &Context<'_>) -> ApiResult<Course> {
        loader::<CourseLoader>(ctx)?
            .load_required(self.0.course_id, "course")
            .await
            .map(Course)
    }
}
