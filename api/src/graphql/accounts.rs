//! Accounts and sessions: `me`, `login`, `logout`, `logoutEverywhere`, `changePassword`,
//! `createUser`, `setUserRoles`, `updateUser`. (A user's job role is set with `assignJobRole`,
//! in `job_roles.rs`.)

use std::collections::BTreeSet;

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use govskills_domain::{
    accounts, certificates,
    entities::user::{self, UserStatus as DbUserStatus},
    learning, org, people,
    types::Role as DbRole,
};

use super::{
    certificates::Certificate,
    context::{actor, loader, request, services},
    cursor, data_access, id,
    job_roles::JobRole,
    learning::{CompetenceProfile, Enrollment, enrollment_connection},
    list_cost,
    loaders::{GrantLoader, GrantsOf, HeldJobRoleLoader, LoadRequired, OrgUnitLoader},
    missing,
    org_units::OrgUnit,
    page_size, paged_cost, parse_after, parse_id,
};
use crate::{
    cookie,
    error::{ApiError, ApiResult, OptionalExt},
    sign_in::sign_in,
};

/// A role. Every account is a `LEARNER`; the others are granted at an org unit (and so cover
/// its subtree) or platform-wide.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Takes courses and assessments. Held by every account; cannot be granted.
    Learner,
    /// Authors courses, question banks and assessments.
    Trainer,
    /// Assigns training and reads reports for their org units.
    Hr,
    /// Manages accounts, roles, org units and reference data.
    Admin,
}

impl From<DbRole> for Role {
    fn from(role: DbRole) -> Self {
        match role {
            DbRole::Trainer => Self::Trainer,
            DbRole::Hr => Self::Hr,
            DbRole::Admin => Self::Admin,
        }
    }
}

/// Whether an account may sign in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserStatus {
    /// Can sign in.
    Active,
    /// Cannot sign in; every session ended when the account was disabled.
    Disabled,
}

mirror!(UserStatus, DbUserStatus, [Active, Disabled]);

pub struct User(pub user::Model);

/// A person with an account.
#[Object]
impl User {
    /// The account's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Sign-in email, stored in lower case.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// The name shown for the person in the app and in reports (1 to 200 characters).
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// The wallet identifier (a DID) the person linked with `setWalletDid`, which their new
    /// certificates are issued to; null when none is linked.
    async fn wallet_did(&self) -> Option<&str> {
        self.0.wallet_did.as_deref()
    }

    /// The person's preferred language (BCP 47), which their notifications use; null: English.
    async fn locale(&self) -> Option<&str> {
        self.0.locale.as_deref()
    }

    /// How many of your notifications are unread: on yourself only (null on anyone else).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        let actor = actor(ctx)?;
        if actor.id() != self.0.id {
            return Ok(None);
        }
        let unread =
            govskills_domain::notifications::unread_count(&services(ctx)?.db, actor.id()).await?;
        Ok(Some(i32::try_from(unread).unwrap_or(i32::MAX)))
    }

    /// Whether the account may sign in.
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }

    /// The org unit the person belongs to.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        // The signed-in person's unit was read with the session (as was anyone's in it).
        if let Some(actor) = &request(ctx)?.actor
            && actor.unit.id == self.0.org_unit_id
        {
            return Ok(OrgUnit(actor.unit.clone()));
        }
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// Every role held anywhere, `LEARNER` included, each once.
    async fn roles(&self, ctx: &Context<'_>) -> ApiResult<Vec<Role>> {
        // One's own are the grants this request was authorised with, read with the session.
        let held: Vec<DbRole> = match &request(ctx)?.actor {
            Some(actor) if actor.id() == self.0.id => {
                actor.grants.iter().map(|grant| grant.role).collect()
            }
            _ => load_grants(ctx, self.0.id)
                .await?
                .iter()
                .map(|grant| grant.role)
                .collect(),
        };
        let roles: BTreeSet<Role> = std::iter::once(Role::Learner)
            .chain(held.into_iter().map(Role::from))
            .collect();
        Ok(roles.into_iter().collect())
    }

    /// The person's job role, whose required levels their skill gaps are measured against; null
    /// when none is assigned.
    async fn job_role(&self, ctx: &Context<'_>) -> ApiResult<Option<JobRole>> {
        Ok(loader::<HeldJobRoleLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .map(JobRole))
    }

    /// The org units from the authority (the top-level unit) down to the person's own unit,
    /// for a breadcrumb.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn org_unit_path(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrgUnit>> {
        let unit = loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await?;
        let ids = org::ids_on_path(&unit.path);
        let mut units = loader::<OrgUnitLoader>(ctx)?.load_many(ids.clone()).await?;
        ids.iter()
            .map(|id| {
                units
                    .remove(id)
                    .map(OrgUnit)
                    .ok_or_else(|| missing("org unit", *id))
            })
            .collect()
    }

    /// The person's active and completed enrolments with their progress, what needs attention
    /// first (overdue, then due soonest, then most recently active). Readable by the person,
    /// and by HR officers and administrators whose grants cover their org unit (each such read
    /// is recorded in the audit trail, once per request); anyone else gets `FORBIDDEN`.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many enrolments to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
    ) -> ApiResult<Connection<String, Enrollment>> {
        let first = page_size(first)?;
        let after = parse_after(after.as_deref())?;
        self.learning_data(ctx, "enrollments").await?;
        let page = learning::page_of(&services(ctx)?.db, self.0.id, after, first).await?;
        enrollment_connection(ctx, after.is_some(), page).await
    }

    /// The person's competence profile: current levels, what their job role requires, and the
    /// gaps. Readable as `enrollments` is. Where the person's authority limits HR and
    /// administrators to completion and pass/fail (`ReportPrivacy.hrPersonView: PASS_FAIL`),
    /// their view of someone else's profile leaves out self-assessments: such a competence shows
    /// no current level and its gap counts from 0 (`CompetenceProfile.resultsView` says which
    /// view you got). The person always sees all of their own.
    async fn competence_profile(&self, ctx: &Context<'_>) -> ApiResult<CompetenceProfile> {
        let access = self.results(ctx, "competenceProfile").await?;
        Ok(CompetenceProfile::new(
            learning::profile_for(&services(ctx)?.db, &access).await?,
            access.view(),
        ))
    }

    /// The person's certificates, newest first. Readable as `enrollments` is.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn certificates(&self, ctx: &Context<'_>) -> ApiResult<Vec<Certificate>> {
        self.learning_data(ctx, "certificates").await?;
        Ok(certificates::held_by(&services(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(Certificate)
            .collect())
    }

    /// The role grants with where each applies.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn grants(&self, ctx: &Context<'_>) -> ApiResult<Vec<RoleGrant>> {
        Ok(load_grants(ctx, self.0.id)
            .await?
            .into_iter()
            .map(|grant| RoleGrant {
                role: grant.role.into(),
                org_unit_id: grant.org_unit_id.map(id),
            })
            .collect())
    }
}

impl User {
    /// Checks that the actor may read this person's learning data, and notes the read for the
    /// audit trail.
    async fn learning_data(&self, ctx: &Context<'_>, field: &'static str) -> ApiResult<()> {
        let unit = loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await?;
        people::require_learning_data_access(actor(ctx)?, self.0.id, &unit.path)?;
        data_access::note(ctx, self.0.id, field)
    }

    /// As [`Self::learning_data`], for a view of the person's results: also what the actor
    /// sees of them (the domain decides, from the person's authority's setting).
    async fn results(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
    ) -> ApiResult<people::LearningDataAccess> {
        let unit = loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await?;
        let access =
            people::learning_data_access(&services(ctx)?.db, actor(ctx)?, self.0.id, &unit.path)
                .await?;
        data_access::note(ctx, self.0.id, field)?;
        Ok(access)
    }
}

async fn load_grants(
    ctx: &Context<'_>,
    user_id: uuid::Uuid,
) -> ApiResult<Vec<govskills_domain::entities::role_grant::Model>> {
    Ok(loader::<GrantLoader>(ctx)?
        .load_one(GrantsOf(user_id))
        .await?
        .unwrap_or_default())
}

/// A role held at an org unit (covering its subtree), or platform-wide when `orgUnitId` is null.
#[derive(SimpleObject)]
pub struct RoleGrant {
    /// The role granted: `TRAINER`, `HR` or `ADMIN` (`LEARNER` is held without a grant).
    pub role: Role,
    /// The org unit where the role applies, together with its whole subtree; null for a
    /// platform-wide grant (only `ADMIN` can be platform-wide).
    pub org_unit_id: Option<ID>,
}

/// A role to grant. Leave `orgUnitId` out for a platform-wide grant (platform administrators only).
#[derive(InputObject)]
pub struct RoleGrantInput {
    /// `TRAINER`, `HR` or `ADMIN`; `LEARNER` is held by every account, and granting it gives
    /// `BAD_USER_INPUT`.
    pub role: Role,
    /// The org unit where the role applies, together with its subtree. Leave it out for a
    /// platform-wide grant, which only `ADMIN` can be.
    pub org_unit_id: Option<ID>,
}

/// A new session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`. The same token is also set as an `HttpOnly`
    /// cookie for browsers.
    pub token: String,
    /// The user now signed in.
    pub user: User,
    /// When the session ends at the latest, however active (it ends sooner when idle).
    pub expires_at: DateTime<Utc>,
}

/// A new account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Unique regardless of case.
    pub email: String,
    /// The name shown for the person: 1 to 200 characters after trimming, no control
    /// characters.
    pub display_name: String,
    /// 12 to 128 characters.
    pub password: String,
    /// The org unit the person belongs to; must be inside one you administer.
    pub org_unit_id: ID,
}

/// Changes to an account; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// A new display name: 1 to 200 characters after trimming, no control characters.
    pub display_name: Option<String>,
    /// Move the person to another org unit (you must administer both).
    pub org_unit_id: Option<ID>,
    /// `DISABLED` ends every session of the account at once.
    pub status: Option<UserStatus>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user; null when not signed in.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        Ok(request(ctx)?
            .actor
            .as_ref()
            .map(|actor| User(actor.user.clone())))
    }

    /// The people directory (`HR` and `ADMIN`): the accounts whose org unit your grants cover
    /// (a platform administrator: everyone), in name order. `FORBIDDEN` for anyone else. A
    /// filter naming a unit outside your reach gives an empty page.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn users(
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
        #[graphql(desc = "Narrows the list; leave out for everyone you cover.")] filter: Option<
            UserFilter,
        >,
    ) -> ApiResult<Connection<String, User>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after: Option<people::After> = parse_after(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = people::UserFilter {
            search: filter.search,
            org_unit_id: filter
                .org_unit_id
                .map(|id| parse_id(&id, "orgUnitId"))
                .transpose()?,
            include_subunits: filter.include_subunits,
            job_role_id: filter
                .job_role_id
                .map(|id| parse_id(&id, "jobRoleId"))
                .transpose()?,
            role: filter.role.map(|role| match role {
                Role::Learner => people::RoleFilter::Learner,
                Role::Trainer => people::RoleFilter::Granted(DbRole::Trainer),
                Role::Hr => people::RoleFilter::Granted(DbRole::Hr),
                Role::Admin => people::RoleFilter::Granted(DbRole::Admin),
            }),
            status: filter.status.map(Into::into),
        };
        let page = people::page(
            &services(ctx)?.db,
            actor,
            &filter,
            after.as_ref(),
            u64::try_from(first).unwrap_or(u64::MAX),
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        connection.edges.extend(page.users.into_iter().map(|user| {
            let key = people::After {
                display_name: user.display_name.clone(),
                id: user.id,
            };
            Edge::new(cursor(key), User(user))
        }));
        Ok(connection)
    }

    /// One person of the directory (`HR` and `ADMIN`); null for an unknown id and for anyone
    /// you do not cover alike.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The account's id; an unknown one gives null, a malformed one `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Option<User>> {
        let actor = actor(ctx)?;
        let user_id = parse_id(&id, "id")?;
        Ok(people::find(&services(ctx)?.db, actor, user_id)
            .await
            .optional()?
            .map(User))
    }
}

/// Narrows the people directory; every field is optional.
#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Text to find in the display name or email, ignoring case and accents.
    pub search: Option<String>,
    /// Only people of this org unit (and, unless `includeSubunits` is false, its sub-units).
    pub org_unit_id: Option<ID>,
    /// With `orgUnitId`: the unit's whole subtree (true when left out) or its own staff only.
    pub include_subunits: Option<bool>,
    /// Only people holding this job role.
    pub job_role_id: Option<ID>,
    /// Only people holding this role anywhere (`LEARNER`: everyone).
    pub role: Option<Role>,
    /// Only active or only disabled accounts.
    pub status: Option<UserStatus>,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in and starts a new session. Throttled per account and per client address; an
    /// unknown email and a wrong password give the same `UNAUTHENTICATED` error. Each call starts
    /// a session of its own: repeating one whose answer was lost leaves the first session unused
    /// until it expires.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's sign-in email; case and surrounding spaces are ignored.")]
        email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> ApiResult<AuthPayload> {
        let signed_in = sign_in(services(ctx)?, request(ctx)?.client_ip, &email, &password).await?;
        ctx.append_http_header("set-cookie", signed_in.set_cookie);
        Ok(AuthPayload {
            token: signed_in.token.expose().to_owned(),
            user: User(signed_in.user),
            expires_at: signed_in.expires_at,
        })
    }

    /// Ends the current session. Repeating it with the same token is `UNAUTHENTICATED`: the
    /// session has ended.
    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        actor(ctx)?;
        let services = services(ctx)?;
        if let Some(session) = &request(ctx)?.session {
            services.sessions.end(session).await?;
        }
        ctx.append_http_header("set-cookie", cookie::removal(services.secure_cookies));
        Ok(true)
    }

    /// Ends every session of the signed-in user, on every device. Repeating it with the same
    /// token is `UNAUTHENTICATED`: that session has ended too.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        services.sessions.end_all(actor.id(), None).await?;
        ctx.append_http_header("set-cookie", cookie::removal(services.secure_cookies));
        Ok(true)
    }

    /// Changes the signed-in user's password and ends their other sessions. A repeat is
    /// `BAD_USER_INPUT` (field `currentPassword`): the password has changed already.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The signed-in user's current password; a wrong one gives `BAD_USER_INPUT` \
                    (field `currentPassword`)."
        )]
        current_password: String,
        #[graphql(desc = "The new password: 12 to 128 characters, with no composition rules.")]
        new_password: String,
    ) -> ApiResult<bool> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        accounts::change_password(&services.db, actor, &current_password, new_password).await?;
        services
            .sessions
            .end_all(actor.id(), request(ctx)?.session.as_ref())
            .await?;
        Ok(true)
    }

    /// Opens an account (ADMIN of the account's org unit). A repeat is `CONFLICT` (field
    /// `email`): the account exists.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account.")] input: CreateUserInput,
    ) -> ApiResult<User> {
        let actor = actor(ctx)?;
        let new_user = accounts::NewUser {
            org_unit_id: parse_id(&input.org_unit_id, "orgUnitId")?,
            email: input.email,
            display_name: input.display_name,
            password: input.password,
        };
        let user = accounts::create_user(&services(ctx)?.db, actor, new_user).await?;
        Ok(User(user))
    }

    /// Replaces a user's role grants (ADMIN covering the user, every unit granted at, and every
    /// grant the user holds now). Takes effect on the user's next request. Safe to repeat.
    async fn set_user_roles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the user whose grants are replaced.")] user_id: ID,
        #[graphql(
            desc = "The complete new set of grants (at most 50; duplicates count once). An empty \
                    list removes every grant."
        )]
        grants: Vec<RoleGrantInput>,
    ) -> ApiResult<User> {
        let actor = actor(ctx)?;
        let user_id = parse_id(&user_id, "userId")?;
        let grants = grants
            .into_iter()
            .map(|grant| {
                let role = match grant.role {
                    Role::Learner => {
                        return Err(ApiError::bad_input(
                            "grants",
                            "LEARNER is held by every account and cannot be granted",
                        ));
                    }
                    Role::Trainer => DbRole::Trainer,
                    Role::Hr => DbRole::Hr,
                    Role::Admin => DbRole::Admin,
                };
                let org_unit_id = grant
                    .org_unit_id
                    .map(|id| parse_id(&id, "grants"))
                    .transpose()?;
                Ok(accounts::GrantRequest { role, org_unit_id })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let user = accounts::set_roles(&services(ctx)?.db, actor, user_id, grants).await?;
        Ok(User(user))
    }

    /// Renames, moves, disables or re-enables an account (ADMIN covering it, and the
    /// destination unit when moving). Disabling ends all its sessions. Safe to repeat.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the user to change.")] user_id: ID,
        #[graphql(desc = "The changes; fields left out stay as they are.")] input: UpdateUserInput,
    ) -> ApiResult<User> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        let update = accounts::UserUpdate {
            display_name: input.display_name,
            org_unit_id: input
                .org_unit_id
                .map(|id| parse_id(&id, "orgUnitId"))
                .transpose()?,
            status: input.status.map(Into::into),
        };
        let user_id = parse_id(&user_id, "userId")?;
        let updated = accounts::update_user(&services.db, actor, user_id, update).await?;
        if updated.end_sessions {
            services.sessions.end_all(updated.user.id, None).await?;
        }
        Ok(User(updated.user))
    }
}
