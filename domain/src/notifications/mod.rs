//! Notifications: what a person is told about their training and certificates, in the app and
//! by email.
//!
//! A periodic [`scan`], safe to run in every replica at once, finds what is due at a given time
//! (an assignment, a due date in 7 days or tomorrow, an overdue assignment, weekly for eight
//! weeks, a certificate issued, expiring in 60 and in 14 days, revoked) and records one
//! notification per person and occasion: the notification's id is derived from both, and a
//! unique index on them makes a second replica's insert a no-op. Each new notification queues
//! one `send_email` job (its `unique_key` names the notification, so it is queued once too).
//!
//! Sending ([`prepare_email`], then [`mark_emailed`]) records the Message-ID before the first
//! attempt, so a retry after an SMTP failure sends the same message again rather than a new one,
//! and a sent notification is never sent again. A person may switch off emails of a kind
//! ([`set_preferences`]) except those about mandatory training, which say so.

pub mod messages;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, sea_query::OnConflict,
};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

pub use self::messages::{Kind, Message, Params};
use crate::{
    Error, Result,
    auth::Actor,
    entities::{notification, notification_preference, user},
    jobs::{self, NewJob},
};

/// The job that emails a notification.
pub const SEND_EMAIL: &str = "send_email";

/// How many notifications one statement writes at most.
const BATCH: usize = 500;

/// Weeks after its due date that an overdue assignment is reminded of, once a week.
const OVERDUE_WEEKS: i64 = 8;

/// Whether (and how) a notification's email went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailState {
    Pending,
    /// Its Message-ID is recorded and sending has begun (a retry sends the same message).
    Sending,
    Sent,
    /// Not sent: no SMTP relay is configured, or the person switched the kind off.
    Skipped,
}

impl EmailState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Skipped => "skipped",
        }
    }
}

/// The id of the notification of `user_id` about `occasion`: the same in every replica.
pub fn notification_id(user_id: Uuid, occasion: &str) -> Uuid {
    let mut hash = Sha256::new();
    hash.update(user_id.as_bytes());
    hash.update(occasion.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::Internal(anyhow::anyhow!("random token: {err}")))?;
    Ok(data_encoding::HEXLOWER.encode(&bytes))
}

/// One occasion found by a scan.
struct Found {
    user_id: Uuid,
    kind: Kind,
    occasion: String,
    params: Params,
}

/// An assigned, open enrolment with its course.
#[derive(Debug, FromQueryResult)]
struct OpenAssignment {
    id: Uuid,
    user_id: Uuid,
    course_id: Uuid,
    title: String,
    due_at: Option<DateTime<Utc>>,
}

/// A certificate with its template's title.
#[derive(Debug, FromQueryResult)]
struct HeldCertificate {
    id: Uuid,
    user_id: Uuid,
    title: String,
    code: String,
    issued_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_reason: Option<String>,
}

fn date_key(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "none".to_owned(), |at| at.format("%Y-%m-%d").to_string())
}

/// Whole days from `now` until `then`, rounded up.
fn days_until(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    let seconds = (then - now).num_seconds();
    (seconds + 86_399).div_euclid(86_400)
}

/// Finds what is due at `now` and records it: new notifications and their email jobs, each
/// once however many replicas scan at the same time. Returns how many notifications were new.
/// A fixed number of statements per batch of occasions.
pub async fn scan(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let backend = db.get_database_backend();
    let mut found: Vec<Found> = Vec::new();

    // Assignments: open ones due ahead (or without a due date, made in the last week), and those
    // overdue for at most eight weeks.
    let assignments = OpenAssignment::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT e.id, e.user_id, e.course_id, c.title, e.due_at \
         FROM enrollments e \
         JOIN courses c ON c.id = e.course_id \
         JOIN users u ON u.id = e.user_id \
         WHERE e.status = 'active' AND e.source = 'assigned' AND u.status = 'active' \
           AND (e.due_at >= $1 OR (e.due_at IS NULL AND e.created_at >= $2))",
        [
            (now - Duration::weeks(OVERDUE_WEEKS)).into(),
            (now - Duration::days(7)).into(),
        ],
    ))
    .all(db)
    .await?;
    for a in assignments {
        let params = Params {
            course_id: Some(a.course_id),
            course_title: Some(a.title.clone()),
            due_at: a.due_at,
            ..Params::default()
        };
        let due = date_key(a.due_at);
        let upcoming = a.due_at.is_none_or(|due_at| due_at > now);
        // Without a due date, only assignments of the last week come this far (the query).
        if upcoming {
            found.push(Found {
                user_id: a.user_id,
                kind: Kind::Assigned,
                occasion: format!("assigned:{}:{due}", a.id),
                params: params.clone(),
            });
        }
        let Some(due_at) = a.due_at else { continue };
        if due_at > now && due_at <= now + Duration::days(1) {
            found.push(Found {
                user_id: a.user_id,
                kind: Kind::DueTomorrow,
                occasion: format!("due_tomorrow:{}:{due}", a.id),
                params,
            });
        } else if due_at > now + Duration::days(1) && due_at <= now + Duration::days(7) {
            found.push(Found {
                user_id: a.user_id,
                kind: Kind::DueSoon,
                occasion: format!("due_soon:{}:{due}", a.id),
                params: Params {
                    days: Some(days_until(now, due_at)),
                    ..params
                },
            });
        } else if due_at <= now {
            let weeks = (now - due_at).num_days() / 7;
            found.push(Found {
                user_id: a.user_id,
                kind: Kind::Overdue,
                occasion: format!("overdue:{}:{due}:{weeks}", a.id),
                params,
            });
        }
    }

    // Certificates issued or revoked in the last week, or expiring within 60 days.
    let certificates = HeldCertificate::find_by_statement(Statement::from_sql_and_values(
        backend,
        "SELECT c.id, c.user_id, t.title, c.code, c.issued_at, c.expires_at, c.revoked_at, \
           c.revoked_reason \
         FROM certificates c \
         JOIN certificate_templates t ON t.id = c.template_id \
         JOIN users u ON u.id = c.user_id \
         WHERE u.status = 'active' AND (c.issued_at >= $1 OR c.revoked_at >= $1 \
           OR (c.revoked_at IS NULL AND c.expires_at > $2 AND c.expires_at <= $3))",
        [
            (now - Duration::days(7)).into(),
            now.into(),
            (now + Duration::days(60)).into(),
        ],
    ))
    .all(db)
    .await?;
    for c in certificates {
        let params = Params {
            certificate_title: Some(c.title.clone()),
            // As the verification page prints it (grouped).
            code: Some(
                crate::credentials::VerificationCode::parse(&c.code)
                    .map_or_else(|| c.code.clone(), |code| code.grouped()),
            ),
            expires_at: c.expires_at,
            reason: c.revoked_reason.clone(),
            ..Params::default()
        };
        if let Some(revoked_at) = c.revoked_at {
            if revoked_at >= now - Duration::days(7) && revoked_at <= now {
                found.push(Found {
                    user_id: c.user_id,
                    kind: Kind::CertificateRevoked,
                    occasion: format!("certificate_revoked:{}", c.id),
                    params,
                });
            }
            continue;
        }
        if c.issued_at >= now - Duration::days(7) && c.issued_at <= now {
            found.push(Found {
                user_id: c.user_id,
                kind: Kind::CertificateIssued,
                occasion: format!("certificate_issued:{}", c.id),
                params: params.clone(),
            });
        }
        if let Some(expires_at) = c.expires_at
            && expires_at > now
            && expires_at <= now + Duration::days(60)
        {
            let days = days_until(now, expires_at);
            let bucket = if days <= 14 { 14 } else { 60 };
            found.push(Found {
                user_id: c.user_id,
                kind: Kind::CertificateExpiring,
                occasion: format!("certificate_expiring:{}:{bucket}", c.id),
                params: Params {
                    days: Some(days),
                    ..params
                },
            });
        }
    }
    found.extend(hr_digests(db, now).await?);
    record(db, found, now).await
}

/// The weekly digest of each HR officer who switched it on: how many active staff in the units
/// their HR grants cover are overdue with an assignment, when any are (counts only; the
/// completion report names them). One occasion per person and ISO week.
async fn hr_digests(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<Found>> {
    use chrono::Datelike as _;

    use crate::{
        entities::{enrollment, org_unit, role_grant},
        types::Role,
    };

    let subscribed: Vec<Uuid> = notification_preference::Entity::find()
        .filter(notification_preference::Column::Kind.eq(Kind::HrDigest.as_str()))
        .filter(notification_preference::Column::Email.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    if subscribed.is_empty() {
        return Ok(Vec::new());
    }
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.is_in(subscribed.iter().copied()))
        .filter(role_grant::Column::Role.eq(Role::Hr))
        .all(db)
        .await?;
    let units = crate::org::find_many(
        db,
        &grants
            .iter()
            .filter_map(|g| g.org_unit_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let week = now.iso_week();
    let mut found = Vec::new();
    for person in subscribed {
        let mut covered = Condition::any();
        let mut any = false;
        for grant in grants.iter().filter(|g| g.user_id == person) {
            any = true;
            match grant.org_unit_id {
                None => covered = covered.add(Condition::all()),
                Some(unit_id) => {
                    if let Some(unit) = units.iter().find(|u| u.id == unit_id) {
                        covered = covered.add(crate::org::in_subtree(&unit.path));
                    }
                }
            }
        }
        if !any {
            continue;
        }
        let overdue = enrollment::Entity::find()
            .filter(enrollment::Column::Status.eq(enrollment::EnrollmentStatus::Active))
            .filter(enrollment::Column::Source.eq(enrollment::EnrollmentSource::Assigned))
            .filter(enrollment::Column::DueAt.lt(now))
            .filter(
                enrollment::Column::UserId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(user::Column::Id)
                        .from(user::Entity)
                        .cond_where(
                            Condition::all()
                                .add(user::Column::Status.eq(user::UserStatus::Active))
                                .add(
                                    user::Column::OrgUnitId.in_subquery(
                                        sea_orm::sea_query::Query::select()
                                            .column(org_unit::Column::Id)
                                            .from(org_unit::Entity)
                                            .cond_where(covered)
                                            .to_owned(),
                                    ),
                                ),
                        )
                        .to_owned(),
                ),
            )
            .select_only()
            .column(enrollment::Column::UserId)
            .distinct()
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .len();
        if overdue > 0 {
            found.push(Found {
                user_id: person,
                kind: Kind::HrDigest,
                occasion: format!("hr_digest:{}-W{:02}", week.year(), week.week()),
                params: Params {
                    people: Some(i64::try_from(overdue).unwrap_or(i64::MAX)),
                    ..Params::default()
                },
            });
        }
    }
    Ok(found)
}

/// Records found occasions that are new, and queues their emails.
async fn record(db: &impl ConnectionTrait, found: Vec<Found>, now: DateTime<Utc>) -> Result<u64> {
    let mut new = 0;
    for chunk in found.chunks(BATCH) {
        let ids: Vec<Uuid> = chunk
            .iter()
            .map(|f| notification_id(f.user_id, &f.occasion))
            .collect();
        // Skip what is there already, so most scans write nothing.
        let known: std::collections::HashSet<Uuid> = notification::Entity::find()
            .select_only()
            .column(notification::Column::Id)
            .filter(notification::Column::Id.is_in(ids.iter().copied()))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut rows = Vec::new();
        let mut emails = Vec::new();
        for (f, id) in chunk.iter().zip(&ids) {
            if known.contains(id) {
                continue;
            }
            rows.push(notification::ActiveModel {
                id: Set(*id),
                user_id: Set(f.user_id),
                kind: Set(f.kind.as_str().to_owned()),
                occasion: Set(f.occasion.clone()),
                params: Set(
                    serde_json::to_value(&f.params).map_err(|err| Error::Internal(err.into()))?
                ),
                mandatory: Set(f.kind.mandatory()),
                email_state: Set(EmailState::Pending.as_str().to_owned()),
                message_id: Set(None),
                unsubscribe_token: Set(random_token()?),
                emailed_at: Set(None),
                read_at: Set(None),
                created_at: Set(now),
            });
            emails.push(NewJob {
                kind: SEND_EMAIL,
                payload: json!({ "notificationId": id }),
                unique_key: Some(format!("email:{id}")),
                run_at: now,
            });
        }
        if rows.is_empty() {
            continue;
        }
        // Another replica may insert the same ids meanwhile: the primary key (and the unique
        // index on person and occasion) decide, and the email jobs' unique keys do the same.
        new += notification::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(notification::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        jobs::enqueue(db, emails, now).await?;
    }
    Ok(new)
}

/// One page of the actor's notifications, newest first, after the one `after` names; with
/// whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after: Option<Uuid>,
    first: u64,
    unread_only: bool,
) -> Result<(Vec<notification::Model>, bool)> {
    let mut condition = Condition::all().add(notification::Column::UserId.eq(actor.id()));
    if unread_only {
        condition = condition.add(notification::Column::ReadAt.is_null());
    }
    if let Some(after) = after {
        let Some(cursor) = notification::Entity::find_by_id(after)
            .filter(notification::Column::UserId.eq(actor.id()))
            .one(db)
            .await?
        else {
            return Err(Error::invalid(
                "after",
                "after is not a cursor from this list",
            ));
        };
        condition = condition.add(
            Condition::any()
                .add(notification::Column::CreatedAt.lt(cursor.created_at))
                .add(
                    Condition::all()
                        .add(notification::Column::CreatedAt.eq(cursor.created_at))
                        .add(notification::Column::Id.lt(cursor.id)),
                ),
        );
    }
    let mut rows = notification::Entity::find()
        .filter(condition)
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(first.saturating_add(1))
        .all(db)
        .await?;
    let more = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// How many of a person's notifications are unread.
pub async fn unread_count(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks the actor's notifications read: those `ids` name, or all of them. An id that is not
/// one of theirs is `NotFound`, as an unknown one is, and then nothing changes. Returns how
/// many were unread.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: Option<Vec<Uuid>>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Some(now).into())
        .filter(notification::Column::UserId.eq(actor.id()))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        let own = notification::Entity::find()
            .filter(notification::Column::UserId.eq(actor.id()))
            .filter(notification::Column::Id.is_in(ids.iter().copied()))
            .count(db)
            .await?;
        if own != ids.len() as u64 {
            return Err(Error::NotFound("notification"));
        }
        update = update.filter(notification::Column::Id.is_in(ids));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Whether `user_id` gets emails of each kind: `true` unless switched off (mandatory kinds
/// always).
pub async fn preferences(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<(Kind, bool)>> {
    let rows = notification_preference::Entity::find()
        .filter(notification_preference::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    Ok(Kind::ALL
        .iter()
        .map(|kind| {
            let email = kind.mandatory()
                || rows
                    .iter()
                    .find(|row| row.kind == kind.as_str())
                    .map_or(kind.email_by_default(), |row| row.email);
            (*kind, email)
        })
        .collect())
}

/// Sets whether the actor gets emails of each kind named. Mandatory kinds cannot be switched
/// off (`Invalid`, nothing changes).
pub async fn set_preferences(
    db: &impl ConnectionTrait,
    actor: &Actor,
    choices: &[(Kind, bool)],
) -> Result<Vec<(Kind, bool)>> {
    for (kind, email) in choices {
        if kind.mandatory() && !email {
            return Err(Error::invalid(
                "kinds",
                format!(
                    "emails of kind {} are about mandatory training and cannot be switched off",
                    kind.as_str()
                ),
            ));
        }
    }
    for (kind, email) in choices {
        set_preference(db, actor.id(), *kind, *email).await?;
    }
    preferences(db, actor.id()).await
}

async fn set_preference(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    kind: Kind,
    email: bool,
) -> Result<()> {
    notification_preference::Entity::insert(notification_preference::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.as_str().to_owned()),
        email: Set(email),
    })
    .on_conflict(
        OnConflict::columns([
            notification_preference::Column::UserId,
            notification_preference::Column::Kind,
        ])
        .update_column(notification_preference::Column::Email)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Turns off emails of the kind of the notification whose email carried `token` (the one-click
/// unsubscribe link). Returns the kind; `NotFound` for an unknown token; `Invalid` for a
/// mandatory kind.
pub async fn unsubscribe(db: &impl ConnectionTrait, token: &str) -> Result<Kind> {
    let found = notification::Entity::find()
        .filter(notification::Column::UnsubscribeToken.eq(token))
        .one(db)
        .await?
        .ok_or(Error::NotFound("unsubscribe link"))?;
    let kind = Kind::parse(&found.kind)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown kind {}", found.kind)))?;
    if kind.mandatory() {
        return Err(Error::invalid(
            "token",
            "these emails are about mandatory training and cannot be switched off",
        ));
    }
    set_preference(db, found.user_id, kind, false).await?;
    Ok(kind)
}

/// An email ready to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub notification_id: Uuid,
    pub to: String,
    pub display_name: String,
    pub message_id: String,
    pub message: Message,
    /// The one-click unsubscribe URL, for kinds that can be switched off.
    pub unsubscribe_url: Option<String>,
}

/// The message ids of GovSkills' emails: `<{notification id}@{domain}>`.
pub fn message_id(notification_id: Uuid, domain: &str) -> String {
    format!("<{notification_id}@{domain}>")
}

/// Prepares the email of a notification: `None` when there is nothing to send (sent already,
/// switched off, the person gone or disabled; then it is marked skipped). Otherwise its
/// Message-ID is recorded (once: a retry reuses it) and the message rendered in the person's
/// language.
pub async fn prepare_email(
    db: &impl ConnectionTrait,
    notification_id: Uuid,
    public_url: &str,
    mail_domain: &str,
) -> Result<Option<Outgoing>> {
    let Some(found) = notification::Entity::find_by_id(notification_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.email_state == EmailState::Sent.as_str()
        || found.email_state == EmailState::Skipped.as_str()
    {
        return Ok(None);
    }
    let kind = Kind::parse(&found.kind)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown kind {}", found.kind)))?;
    let person = user::Entity::find_by_id(found.user_id).one(db).await?;
    let wanted = match &person {
        Some(person) if person.status == user::UserStatus::Active => preferences(db, person.id)
            .await?
            .iter()
            .any(|(k, email)| *k == kind && *email),
        _ => false,
    };
    let Some(person) = person.filter(|_| wanted) else {
        mark(db, found.id, EmailState::Skipped, None).await?;
        return Ok(None);
    };
    let id = found
        .message_id
        .clone()
        .unwrap_or_else(|| message_id(found.id, mail_domain));
    if found.message_id.is_none() {
        notification::Entity::update_many()
            .col_expr(notification::Column::MessageId, Some(id.clone()).into())
            .col_expr(
                notification::Column::EmailState,
                EmailState::Sending.as_str().into(),
            )
            .filter(notification::Column::Id.eq(found.id))
            .exec(db)
            .await?;
    }
    let params: Params = serde_json::from_value(found.params.clone()).unwrap_or_default();
    let unsubscribe_url = (!kind.mandatory()).then(|| {
        format!(
            "{public_url}/notifications/unsubscribe/{}",
            found.unsubscribe_token
        )
    });
    let locale = locale_for(db, &person).await?;
    let message = messages::render(
        kind,
        &params,
        &locale,
        public_url,
        unsubscribe_url.as_deref().unwrap_or(""),
    );
    Ok(Some(Outgoing {
        notification_id: found.id,
        to: person.email,
        display_name: person.display_name,
        message_id: id,
        message,
        unsubscribe_url,
    }))
}

async fn mark(
    db: &impl ConnectionTrait,
    id: Uuid,
    state: EmailState,
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    notification::Entity::update_many()
        .col_expr(notification::Column::EmailState, state.as_str().into())
        .col_expr(notification::Column::EmailedAt, at.into())
        .filter(notification::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that a notification's email was handed to the relay.
pub async fn mark_emailed(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    mark(db, id, EmailState::Sent, Some(now)).await
}

/// Marks a notification's email skipped: there is no SMTP relay to send it with.
pub async fn skip_email(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    mark(db, id, EmailState::Skipped, None).await
}

/// The language a person's notifications are in: their own (`setLocale`), else their
/// authority's (its issuer profile's `language`), else English.
pub async fn locale_for(db: &impl ConnectionTrait, person: &user::Model) -> Result<String> {
    if let Some(locale) = &person.locale {
        return Ok(locale.clone());
    }
    let unit = crate::org::find(db, person.org_unit_id).await?;
    let authority = crate::org::authority_id(&unit.path)?;
    Ok(
        crate::entities::issuer_profile::Entity::find_by_id(authority)
            .one(db)
            .await?
            .and_then(|profile| profile.language)
            .unwrap_or_else(|| "en".to_owned()),
    )
}

/// Renders a notification for the app, in `locale`.
pub fn render_for_app(
    row: &notification::Model,
    locale: &str,
    public_url: &str,
) -> Option<Message> {
    let kind = Kind::parse(&row.kind)?;
    let params: Params = serde_json::from_value(row.params.clone()).unwrap_or_default();
    Some(messages::render(kind, &params, locale, public_url, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_id_is_the_same_for_the_same_person_and_occasion_only() {
        let person = Uuid::new_v4();
        let id = notification_id(person, "assigned:x:2027-01-01");
        assert_eq!(id, notification_id(person, "assigned:x:2027-01-01"));
        assert_ne!(id, notification_id(person, "assigned:x:2027-01-02"));
        assert_ne!(id, notification_id(Uuid::new_v4(), "assigned:x:2027-01-01"));
    }

    #[test]
    fn days_until_rounds_up() {
        let now = Utc::now();
        assert_eq!(days_until(now, now + Duration::hours(1)), 1);
        assert_eq!(days_until(now, now + Duration::days(7)), 7);
        assert_eq!(
            days_until(now, now + Duration::days(6) + Duration::hours(1)),
            7
        );
    }
}
