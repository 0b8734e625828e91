//! HR insight: reports over an org unit's staff, aggregated in SQL.
//!
//! Who may read them: `HR` or `ADMIN` whose grant covers the org unit (a platform `ADMIN`
//! anywhere). Anyone else is refused before anything is read; an unknown unit is `NotFound`.
//!
//! Every report is a handful of statements whatever the number of staff: the database groups
//! and counts, and Rust only folds the (few) aggregate rows into the report's shape. The staff
//! of a report are the active accounts whose unit lies in the scope: the unit itself, or its
//! whole subtree with `include_subunits`. Sub-unit breakdowns group by the direct sub-unit a
//! person's unit lies under, which is a prefix of their unit's materialised path (every path
//! segment is 32 hex digits and a slash).
//!
//! Privacy: with a minimum group size (`min_group_size > 0`), a sub-unit with fewer staff than
//! that shows no aggregates, only that they are suppressed, so a small team's results cannot be
//! read off a report. Lists of named people are a read of personal data and are audited.

pub mod ai_act;
pub mod ai_literacy;
pub mod completion;
pub mod skill_gaps;

use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement, Value,
    prelude::*,
};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::Actor,
    entities::{competence_framework, org_unit},
    org,
    types::Role,
};

/// Length of one path segment: a simple-form UUID and its slash.
pub(crate) const SEGMENT: usize = 33;

/// Which staff a report covers. It is the proof that the actor may read the unit's reports:
/// only [`Scope::load`] builds one (its fields are private), so a caller cannot make one up
/// for a unit it does not cover.
#[derive(Clone, Debug)]
pub struct Scope {
    pub(crate) unit: org_unit::Model,
    pub(crate) include_subunits: bool,
    /// Paths of direct sub-units whose members lists of named people leave out (see
    /// [`Scope::naming_people`]); empty for the figures, which count everyone.
    hidden: Vec<String>,
}

impl Scope {
    pub fn unit(&self) -> &org_unit::Model {
        &self.unit
    }

    pub fn include_subunits(&self) -> bool {
        self.include_subunits
    }

    /// Checks that the actor may read reports of the unit (`HR` or `ADMIN` covering it) and
    /// loads it.
    pub async fn load(
        db: &impl ConnectionTrait,
        actor: &Actor,
        unit_id: Uuid,
        include_subunits: bool,
    ) -> Result<Self> {
        if !actor.holds(Role::Hr) && !actor.holds(Role::Admin) {
            return Err(Error::forbidden("reports need the HR or ADMIN role"));
        }
        let unit = org::find(db, unit_id).await?;
        if !actor.covers(Role::Hr, &unit.path) && !actor.covers(Role::Admin, &unit.path) {
            return Err(Error::forbidden(
                "your HR or ADMIN role does not cover this org unit",
            ));
        }
        Ok(Self {
            unit,
            include_subunits,
            hidden: Vec::new(),
        })
    }

    /// This scope for a list that names people, under the minimum group size: the members of
    /// direct sub-units whose figures are suppressed (`small`, their paths) are left out, or the
    /// list would name the very people the suppression hides, one query away. The staff of the
    /// unit itself and of larger sub-units stay listed.
    pub(crate) fn naming_people(&self, small: Vec<String>) -> Self {
        Self {
            hidden: small,
            ..self.clone()
        }
    }

    /// The bounds of the paths in scope: `[lower, upper)`. Paths hold only `[0-9a-f/]`, so
    /// `path + "0"` is just past the unit itself and `trimmed path + "0"` past its subtree
    /// (see [`org::in_subtree`]).
    fn path_range(&self) -> (String, String) {
        let path = &self.unit.path;
        let upper = if self.include_subunits {
            format!("{}0", path.trim_end_matches('/'))
        } else {
            format!("{path}0")
        };
        (path.clone(), upper)
    }

    /// How many characters of a member's unit path name the direct sub-unit it lies under.
    fn subunit_prefix_len(&self) -> i32 {
        i32::try_from(self.unit.path.len() + SEGMENT).unwrap_or(i32::MAX)
    }

    /// The direct sub-units, by name (empty without `include_subunits`).
    pub(crate) async fn subunits(&self, db: &impl ConnectionTrait) -> Result<Vec<org_unit::Model>> {
        if !self.include_subunits {
            return Ok(Vec::new());
        }
        Ok(org_unit::Entity::find()
            .filter(org_unit::Column::ParentId.eq(self.unit.id))
            .all(db)
            .await
            .map(|mut units| {
                units.sort_by(|a, b| a.name.cmp(&b.name));
                units
            })?)
    }
}

/// A `WITH` clause whose `staff (user_id, org_unit_id, path)` lists the active accounts in
/// scope; its parameters are `$1` and `$2`. The subtrees of hidden sub-units are left out by
/// literal path ranges (so callers' parameter numbers stay fixed); paths hold only
/// `[0-9a-f/]`, and quotes are doubled all the same.
pub(crate) fn staff_cte(scope: &Scope) -> (String, Vec<Value>) {
    let (lower, upper) = scope.path_range();
    let hidden: String = scope
        .hidden
        .iter()
        .map(|path| {
            let path = path.replace('\'', "''");
            format!(
                " AND NOT (o.path >= '{path}' AND o.path < '{}0')",
                path.trim_end_matches('/')
            )
        })
        .collect();
    (
        format!(
            "WITH staff AS ( \
               SELECT u.id AS user_id, u.org_unit_id AS org_unit_id, o.path AS path \
               FROM users u JOIN org_units o ON o.id = u.org_unit_id \
               WHERE u.status = 'active' AND o.path >= $1 AND o.path < $2{hidden} \
             )"
        ),
        vec![lower.into(), upper.into()],
    )
}

/// The direct sub-units with fewer staff than `min_group_size` (0: none), by path: those whose
/// figures [`Group`] suppresses in the skill-gap and completion reports.
async fn small_subunits(
    db: &impl ConnectionTrait,
    scope: &Scope,
    min_group_size: u32,
) -> Result<Vec<String>> {
    if min_group_size == 0 || !scope.include_subunits {
        return Ok(Vec::new());
    }
    Ok(headcounts(db, scope)
        .await?
        .into_iter()
        .filter(|(path, staff)| *path != scope.unit.path && *staff < i64::from(min_group_size))
        .map(|(path, _)| path)
        .collect())
}

pub(crate) fn statement(db: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> Statement {
    let backend: DbBackend = db.get_database_backend();
    Statement::from_sql_and_values(backend, sql, values)
}

/// Headcount per direct sub-unit (keyed by the sub-unit's path) and in the unit itself (keyed
/// by its own path).
async fn headcounts(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<(String, i64)>> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        unit_path: String,
        staff: i64,
    }
    let (cte, mut values) = staff_cte(scope);
    values.push(scope.subunit_prefix_len().into());
    let sql = format!(
        "{cte} SELECT substr(path, 1, $3) AS unit_path, COUNT(*) AS staff FROM staff GROUP BY 1"
    );
    let rows = Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.unit_path, row.staff))
        .collect())
}

/// A sub-unit's figures, unless its group is too small to show.
#[derive(Clone, Debug)]
pub enum Group<T> {
    Shown(T),
    /// Fewer staff than the minimum group size: nothing is shown.
    Suppressed,
}

impl<T> Group<T> {
    pub(crate) fn new(staff: i64, min_group_size: u32, figures: impl FnOnce() -> T) -> Self {
        if min_group_size > 0 && staff < i64::from(min_group_size) {
            Self::Suppressed
        } else {
            Self::Shown(figures())
        }
    }

    pub fn shown(&self) -> Option<&T> {
        match self {
            Self::Shown(figures) => Some(figures),
            Self::Suppressed => None,
        }
    }
}

/// A framework the report is limited to, checked to exist.
async fn find_framework(
    db: &impl ConnectionTrait,
    framework_id: Option<Uuid>,
) -> Result<Option<competence_framework::Model>> {
    match framework_id {
        None => Ok(None),
        Some(id) => competence_framework::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Some)
            .ok_or(Error::NotFound("framework")),
    }
}

/// A page request over a ranked list: how many, after which position.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub offset: u64,
}
