//! Notifications in the app (`myNotifications`, `markNotificationsRead`,
//! `myNotificationPreferences`, `setNotificationPreferences`), the person's language
//! (`setLocale`), and the job queue's dead letters for platform administrators (`deadJobs`,
//! `retryJob`).

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use govskills_domain::{
    accounts,
    entities::{job, notification},
    jobs,
    notifications::{self, Kind},
};
use uuid::Uuid;

use super::{
    accounts::User,
    context::{actor, services},
    cursor, id, page_size, paged_cost, parse_after, parse_id,
};
use crate::error::ApiResult;

/// What a notification is about.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// A course was assigned to you (mandatory training; cannot be switched off).
    Assigned,
    /// An assignment is due within 7 days.
    DueSoon,
    /// An assignment is due within a day.
    DueTomorrow,
    /// An assignment is past its due date (then weekly, for eight weeks; mandatory training,
    /// cannot be switched off).
    Overdue,
    /// You earned a certificate.
    CertificateIssued,
    /// A certificate of yours expires within 60 days (and again within 14).
    CertificateExpiring,
    /// A certificate of yours was revoked.
    CertificateRevoked,
    /// For HR officers who switch it on: once a week, how many staff in their units are overdue
    /// with mandatory training (counts only).
    HrDigest,
}

impl From<Kind> for NotificationKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Assigned => Self::Assigned,
            Kind::DueSoon => Self::DueSoon,
            Kind::DueTomorrow => Self::DueTomorrow,
            Kind::Overdue => Self::Overdue,
            Kind::CertificateIssued => Self::CertificateIssued,
            Kind::CertificateExpiring => Self::CertificateExpiring,
            Kind::CertificateRevoked => Self::CertificateRevoked,
            Kind::HrDigest => Self::HrDigest,
        }
    }
}

impl From<NotificationKind> for Kind {
    fn from(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::Assigned => Self::Assigned,
            NotificationKind::DueSoon => Self::DueSoon,
            NotificationKind::DueTomorrow => Self::DueTomorrow,
            NotificationKind::Overdue => Self::Overdue,
            NotificationKind::CertificateIssued => Self::CertificateIssued,
            NotificationKind::CertificateExpiring => Self::CertificateExpiring,
            NotificationKind::CertificateRevoked => Self::CertificateRevoked,
            NotificationKind::HrDigest => Self::HrDigest,
        }
    }
}

/// A notification, rendered in its reader's language.
pub struct Notification {
    row: notification::Model,
    locale: String,
    public_url: String,
}

/// Something you were told about your training or certificates, in your language.
#[Object]
impl Notification {
    /// The notification's id.
    async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// What it is about.
    async fn kind(&self) -> ApiResult<NotificationKind> {
        Kind::parse(&self.row.kind)
            .map(Into::into)
            .ok_or_else(|| crate::error::ApiError::internal(&anyhow::anyhow!("unknown kind")))
    }

    /// Its title (the email's subject).
    async fn title(&self) -> Option<String> {
        notifications::render_for_app(&self.row, &self.locale, &self.public_url)
            .map(|message| message.subject)
    }

    /// Its text.
    async fn body(&self) -> Option<String> {
        notifications::render_for_app(&self.row, &self.locale, &self.public_url)
            .map(|message| message.text)
    }

    /// Where to go: the course or the certificate's verification page.
    async fn link(&self) -> Option<String> {
        notifications::render_for_app(&self.row, &self.locale, &self.public_url)
            .map(|message| message.link)
    }

    /// Whether it is about mandatory training (such emails cannot be switched off).
    async fn mandatory(&self) -> bool {
        self.row.mandatory
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    /// When you marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.row.read_at
    }

    /// Whether its email was sent: `pending`, `sending`, `sent` or `skipped` (no mail relay, or
    /// switched off).
    async fn email_state(&self) -> &str {
        &self.row.email_state
    }
}

/// Whether you get emails of one kind.
#[derive(SimpleObject)]
pub struct NotificationPreference {
    /// The kind.
    pub kind: NotificationKind,
    /// Whether its emails are sent to you (in the app you always see it).
    pub email: bool,
    /// Whether it is about mandatory training and cannot be switched off.
    pub mandatory: bool,
}

/// Whether to get emails of one kind.
#[derive(InputObject)]
pub struct NotificationPreferenceInput {
    /// The kind.
    pub kind: NotificationKind,
    /// Whether to get its emails; `false` for `ASSIGNED` or `OVERDUE` gives `BAD_USER_INPUT`.
    pub email: bool,
}

/// Which emails a person gets.
#[derive(SimpleObject)]
pub struct NotificationPreferences {
    /// One entry per kind of notification.
    pub kinds: Vec<NotificationPreference>,
}

/// Which emails to get, per kind named (kinds left out stay as they are).
#[derive(InputObject)]
pub struct NotificationPreferencesInput {
    /// The kinds to set.
    pub kinds: Vec<NotificationPreferenceInput>,
}

fn preferences(list: Vec<(Kind, bool)>) -> NotificationPreferences {
    NotificationPreferences {
        kinds: list
            .into_iter()
            .map(|(kind, email)| NotificationPreference {
                kind: kind.into(),
                email,
                mandatory: kind.mandatory(),
            })
            .collect(),
    }
}

/// A job of the background queue.
pub struct Job(job::Model);

/// A unit of background work (sending an email, say) that failed too often and waits for an
/// operator.
#[Object]
impl Job {
    /// The job's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// What it does, e.g. `send_email`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// `queued`, `running`, `done` or `dead`.
    async fn state(&self) -> &str {
        &self.0.state
    }

    /// How often it was tried.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The error of its last attempt.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When it may run (next).
    async fn run_at(&self) -> DateTime<Utc> {
        self.0.run_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your notifications, newest first.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn my_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many to return: 20 when left out, at most 100; a negative or larger \
                    number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
        #[graphql(desc = "Only unread ones (default: all).")] unread_only: Option<bool>,
    ) -> ApiResult<Connection<String, Notification>> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        let first = page_size(first)?;
        let after: Option<Uuid> = parse_after(after.as_deref())?;
        let (rows, more) = notifications::list(
            &services.db,
            actor,
            after,
            u64::try_from(first).unwrap_or(u64::MAX),
            unread_only.unwrap_or(false),
        )
        .await?;
        let locale = notifications::locale_for(&services.db, &actor.user).await?;
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(rows.into_iter().map(|row| {
            Edge::new(
                cursor(row.id),
                Notification {
                    row,
                    locale: locale.clone(),
                    public_url: services.issuer.base_url().to_owned(),
                },
            )
        }));
        Ok(connection)
    }

    /// Which emails you get, per kind.
    async fn my_notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<NotificationPreferences> {
        let actor = actor(ctx)?;
        Ok(preferences(
            notifications::preferences(&services(ctx)?.db, actor.id()).await?,
        ))
    }

    /// Background jobs that failed too often, newest first (platform ADMIN).
    async fn dead_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many: 20 when left out, at most 100.")] first: Option<i32>,
    ) -> ApiResult<Vec<Job>> {
        let first = page_size(first)?;
        Ok(jobs::dead(
            &services(ctx)?.db,
            actor(ctx)?,
            u64::try_from(first).unwrap_or(u64::MAX),
        )
        .await?
        .into_iter()
        .map(Job)
        .collect())
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks your notifications read: those `ids` names, or all. An id that is not one of
    /// yours gives `NOT_FOUND`, as an unknown one does, and then nothing changes. Returns how
    /// many were unread. Safe to repeat.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notifications; leave out (or null) for all of yours.")] ids: Option<
            Vec<ID>,
        >,
    ) -> ApiResult<i32> {
        let ids = ids
            .map(|ids| {
                ids.iter()
                    .map(|id| parse_id(id, "ids"))
                    .collect::<ApiResult<Vec<_>>>()
            })
            .transpose()?;
        let marked =
            notifications::mark_read(&services(ctx)?.db, actor(ctx)?, ids, Utc::now()).await?;
        Ok(i32::try_from(marked).unwrap_or(i32::MAX))
    }

    /// Sets which emails you get, per kind named (others stay as they are). Emails about
    /// mandatory training (`ASSIGNED`, `OVERDUE`) cannot be switched off. Safe to repeat.
    async fn set_notification_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kinds to set.")] input: NotificationPreferencesInput,
    ) -> ApiResult<NotificationPreferences> {
        let choices: Vec<(Kind, bool)> = input
            .kinds
            .iter()
            .map(|p| (p.kind.into(), p.email))
            .collect();
        Ok(preferences(
            notifications::set_preferences(&services(ctx)?.db, actor(ctx)?, &choices).await?,
        ))
    }

    /// Sets your preferred language (a BCP 47 tag such as `de` or `fr-BE`), which your
    /// notifications and emails use (English where there is no translation); null for the
    /// default. Safe to repeat.
    async fn set_locale(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language tag, or null.")] locale: Option<String>,
    ) -> ApiResult<User> {
        Ok(User(
            accounts::set_locale(&services(ctx)?.db, actor(ctx)?, locale.as_deref()).await?,
        ))
    }

    /// Queues a dead background job again with fresh attempts (platform ADMIN); audited. A
    /// repeat is `CONFLICT`: the job is no longer dead.
    async fn retry_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's id.")] id: ID,
    ) -> ApiResult<Job> {
        let job_id = parse_id(&id, "id")?;
        Ok(Job(jobs::retry(
            &services(ctx)?.db,
            actor(ctx)?,
            job_id,
            Utc::now(),
        )
        .await?))
    }
}
