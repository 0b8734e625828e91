//! Accounts and sessions: `me`, `login`, `logout`, `logoutEverywhere`, `changePassword`,
//! `createUser`, `setUserRoles`, `updateUser`. (A user's job role is set with `assignJobRole`,
//! in `job_roles.rs`.)

use std::collections::BTreeSet;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use govskills_domain::{
    accounts,
    entities::user::{self, UserStatus as DbUserStatus},
    types::Role as DbRole,
};

use super::{
    context::{actor, loader, request, services},
    id,
    job_roles::JobRole,
    list_cost,
    loaders::{
        GrantLoader, GrantsOf, JobRoleLoader, JobRoleOf, LoadRequired, OrgUnitLoader,
        UserJobRoleLoader,
    },
    org_units::OrgUnit,
    parse_id,
};
use crate::{
    cookie,
    error::{ApiError, ApiResult},
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

    /// Whether the account may sign in.
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }

    /// The org unit the person belongs to.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// Every role held anywhere, `LEARNER` included, each once.
    async fn roles(&self, ctx: &Context<'_>) -> ApiResult<Vec<Role>> {
        let grants = load_grants(ctx, self.0.id).await?;
        let roles: BTreeSet<Role> = std::iter::once(Role::Learner)
            .chain(grants.iter().map(|grant| grant.role.into()))
            .collect();
        Ok(roles.into_iter().collect())
    }

    /// The person's job role, whose required levels their skill gaps are measured against; null
    /// when none is assigned.
    async fn job_role(&self, ctx: &Context<'_>) -> ApiResult<Option<JobRole>> {
        let held = loader::<UserJobRoleLoader>(ctx)?
            .load_one(JobRoleOf(self.0.id))
            .await?
            .and_then(|held| held.into_iter().next());
        let Some(held) = held else {
            return Ok(None);
        };
        loader::<JobRoleLoader>(ctx)?
            .load_required(held.job_role_id, "job role")
            .await
            .map(|role| Some(JobRole(role)))
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
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in and starts a new session. Throttled per account and per client address; an
    /// unknown email and a wrong password give the same `UNAUTHENTICATED` error.
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

    /// Ends the current session.
    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        actor(ctx)?;
        let services = services(ctx)?;
        if let Some(session) = &request(ctx)?.session {
            services.sessions.end(session).await?;
        }
        ctx.append_http_header("set-cookie", cookie::removal(services.secure_cookies));
        Ok(true)
    }

    /// Ends every session of the signed-in user, on every device.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        services.sessions.end_all(actor.id(), None).await?;
        ctx.append_http_header("set-cookie", cookie::removal(services.secure_cookies));
        Ok(true)
    }

    /// Changes the signed-in user's password and ends their other sessions.
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

    /// Opens an account (ADMIN of the account's org unit).
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
    /// grant the user holds now). Takes effect on the user's next request.
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
    /// destination unit when moving). Disabling ends all its sessions.
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
