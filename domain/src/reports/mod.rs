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
//! Privacy: the minimum group size in force is the authority's own setting
//! ([`crate::privacy::policy`]), else the platform's default; [`Scope::load`] resolves it once
//! and works out which figures may be shown with primary and complementary suppression over the
//! authority's active staff ([`suppression`]): a suppressed sub-unit shows no aggregates, only
//! that it is suppressed, and a report on a unit whose figures could give a suppressed cell away
//! is withheld whole ([`Scope::suppressed`]; the authority's own totals always show). So a small
//! team's results can be read off no report, nor worked out from two. Lists of named people are
//! a read of personal data and are audited; they leave out the members of suppressed
//! sub-units.

pub mod ai_act;
pub mod ai_literacy;
pub mod completion;
pub mod skill_gaps;
pub mod suppression;

use std::{collections::BTreeMap, sync::Arc};

use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement, Value,
    prelude::*,
};
use uuid::Uuid;

use self::suppression::{Cell, Pattern, UnitCounts};
use crate::{
    Error, Result,
    auth::Actor,
    entities::{competence_framework, org_unit},
    org,
    privacy::policy,
    types::Role,
};

/// Length of one path segment: a simple-form UUID and its slash.
pub(crate) const SEGMENT: usize = 33;

/// Which staff a report covers. It is the proof that the actor may read the unit's reports:
/// only [`Scope::load`] builds one (its fields are private), so a caller cannot make one up
/// for a unit it does not cover. It also carries what the minimum group size lets the report
/// show.
#[derive(Clone, Debug)]
pub struct Scope {
    pub(crate) unit: org_unit::Model,
    pub(crate) include_subunits: bool,
    suppression: Suppression,
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

    /// The minimum group size in force for the unit's authority (0: no suppression).
    pub fn min_group_size(&self) -> u32 {
        self.suppression.min_group_size
    }

    /// Whether the whole report is withheld: the unit, or one of its ancestors below the
    /// authority, is a suppressed cell of its parent's breakdown (or, without sub-units, its
    /// own members are one of its own). Reports over fewer people than the staff may withhold
    /// more ([`Scope::pattern_for`]).
    pub fn suppressed(&self) -> bool {
        self.suppression.pattern.report
    }

    /// Checks that a report that names people or is exported whole may be read: a withheld
    /// one is `Conflict` on `orgUnitId`.
    pub fn require_shown(&self) -> Result<()> {
        if self.suppressed() {
            return Err(suppressed_error(self.min_group_size()));
        }
        Ok(())
    }

    /// The direct sub-units whose figures are suppressed (primary or complementary), by the
    /// staff.
    pub(crate) fn suppressed_subunits(&self) -> Vec<String> {
        self.suppression.pattern.subunits.iter().cloned().collect()
    }

    /// The suppression pattern of a report over fewer people than the staff, from that
    /// population per unit of the whole authority (read only when [`Scope::min_group_size`] is
    /// not 0, over [`authority_staff_cte`]): what the staff suppress stays suppressed, and
    /// what the population needs on top of it is added.
    pub(crate) fn pattern_for(&self, population: &UnitCounts) -> Pattern {
        suppression::pattern(
            &self.unit.path,
            self.include_subunits,
            self.min_group_size(),
            &self.suppression.staff,
            Some(population),
        )
    }

    /// Checks that the actor may read reports of the unit (`HR` or `ADMIN` covering it), loads
    /// it, and works out what its reports may show under the minimum group size of its
    /// authority (`platform_min_group_size` where the authority has none of its own).
    pub async fn load(
        db: &impl ConnectionTrait,
        actor: &Actor,
        unit_id: Uuid,
        include_subunits: bool,
        platform_min_group_size: u32,
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
        let suppression =
            Suppression::load(db, &unit, include_subunits, platform_min_group_size).await?;
        Ok(Self {
            unit,
            include_subunits,
            suppression,
            hidden: Vec::new(),
        })
    }

    /// This scope for a list that names people, under the minimum group size: the members of
    /// direct sub-units whose figures are suppressed (`small`, their paths) are left out, or the
    /// list would name the very people the suppression hides, one query away. The staff of the
    /// unit itself and of the sub-units shown stay listed.
    pub(crate) fn naming_people(&self, small: Vec<String>) -> Self {
        Self {
            hidden: small,
            ..self.clone()
        }
    }

    /// The condition that an org unit `o` is in scope, with the path range as `$1` and `$2`
    /// ([`units_in_range`] of the scope's hidden sub-units; [`staff_cte`]'s values).
    pub(crate) fn units_condition(&self) -> String {
        units_in_range(&self.hidden)
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

/// The error for a withheld report that cannot show `suppressed` (a CSV export).
pub(crate) fn suppressed_error(min_group_size: u32) -> Error {
    Error::Conflict {
        field: "orgUnitId",
        message: format!(
            "this report is withheld: its figures could single out a group of fewer than \
             {min_group_size} people (the authority's minimum group size); read the report of \
             a larger unit"
        ),
    }
}

/// What the minimum group size lets a report on one unit show.
#[derive(Clone, Debug, Default)]
pub(crate) struct Suppression {
    /// The minimum group size in force (0: nothing is suppressed).
    pub(crate) min_group_size: u32,
    /// Active staff per unit of the whole authority (empty when nothing is suppressed).
    staff: Arc<UnitCounts>,
    /// What the staff suppress.
    pub(crate) pattern: Pattern,
}

impl Suppression {
    /// The authority's minimum group size (else `platform_min_group_size`) and, unless it is
    /// 0, the pattern over its staff: two statements whatever the size of the authority.
    pub(crate) async fn load(
        db: &impl ConnectionTrait,
        unit: &org_unit::Model,
        include_subunits: bool,
        platform_min_group_size: u32,
    ) -> Result<Self> {
        let min_group_size =
            policy::min_group_size(db, &unit.path, platform_min_group_size).await?;
        if min_group_size == 0 {
            return Ok(Self::default());
        }
        let (cte, values) = staff_cte_in(authority_range(&unit.path), &[]);
        let staff = counts_per_unit(
            db,
            format!("{cte} SELECT path, COUNT(*) AS people FROM staff GROUP BY path"),
            values,
        )
        .await?;
        let pattern =
            suppression::pattern(&unit.path, include_subunits, min_group_size, &staff, None);
        Ok(Self {
            min_group_size,
            staff: Arc::new(staff),
            pattern,
        })
    }

    /// The direct sub-units of `unit_path` whose figures a report over fewer people than the
    /// staff suppresses, given that population per cell (`(path, people)`, the unit's own
    /// members under its own path): the staff pattern's cells stay suppressed, and the
    /// population's small cells and their complements are added.
    pub(crate) fn subunits_by(&self, unit_path: &str, population: &[(String, i64)]) -> Vec<String> {
        let cells: BTreeMap<Cell, i64> = population
            .iter()
            .map(|(path, people)| {
                let cell = if path == unit_path {
                    Cell::Own
                } else {
                    Cell::Subunit(path.clone())
                };
                (cell, *people)
            })
            .collect();
        let mut forced: std::collections::BTreeSet<Cell> = self
            .pattern
            .subunits
            .iter()
            .cloned()
            .map(Cell::Subunit)
            .collect();
        if self.pattern.own {
            forced.insert(Cell::Own);
        }
        suppression::suppress(&cells, &forced, self.min_group_size)
            .into_iter()
            .filter_map(|cell| match cell {
                Cell::Subunit(path) => Some(path),
                Cell::Own => None,
            })
            .collect()
    }
}

/// The paths of the authority that `path` lies in: `[lower, upper)`.
fn authority_range(path: &str) -> (String, String) {
    let authority = org::authority_prefix(path);
    (
        authority.to_owned(),
        format!("{}0", authority.trim_end_matches('/')),
    )
}

/// People per unit, from a statement answering `(path, people)`.
pub(crate) async fn counts_per_unit(
    db: &impl ConnectionTrait,
    sql: String,
    values: Vec<Value>,
) -> Result<UnitCounts> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        path: String,
        people: i64,
    }
    Ok(Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.path, row.people))
        .collect())
}

/// A `WITH` clause whose `staff (user_id, org_unit_id, path)` lists the active accounts in
/// scope; its parameters are `$1` and `$2`. The subtrees of hidden sub-units are left out by
/// literal path ranges (so callers' parameter numbers stay fixed); paths hold only
/// `[0-9a-f/]`, and quotes are doubled all the same.
pub(crate) fn staff_cte(scope: &Scope) -> (String, Vec<Value>) {
    staff_cte_in(scope.path_range(), &scope.hidden)
}

/// [`staff_cte`] over the scope's whole authority, nobody left out: for the population per
/// unit that [`Scope::pattern_for`] needs.
pub(crate) fn authority_staff_cte(scope: &Scope) -> (String, Vec<Value>) {
    staff_cte_in(authority_range(&scope.unit.path), &[])
}

/// The condition that an org unit `o` lies in the path range `[$1, $2)` and not under one of
/// `hidden` (written as literals, so callers' parameter numbers stay fixed).
pub(crate) fn units_in_range(hidden: &[String]) -> String {
    let mut condition = String::from("o.path >= $1 AND o.path < $2");
    for path in hidden {
        let path = path.replace('\'', "''");
        condition.push_str(&format!(
            " AND NOT (o.path >= '{path}' AND o.path < '{}0')",
            path.trim_end_matches('/')
        ));
    }
    condition
}

fn staff_cte_in((lower, upper): (String, String), hidden: &[String]) -> (String, Vec<Value>) {
    let units = units_in_range(hidden);
    (
        format!(
            "WITH staff AS ( \
               SELECT u.id AS user_id, u.org_unit_id AS org_unit_id, o.path AS path \
               FROM users u JOIN org_units o ON o.id = u.org_unit_id \
               WHERE u.status = 'active' AND {units} \
             )"
        ),
        vec![lower.into(), upper.into()],
    )
}

/// A report's statement. On PostgreSQL the values are written into the SQL (as literals,
/// escaped by sea-query), so that every run is planned for its scope: a prepared statement
/// run a sixth time gets PostgreSQL's generic plan, which cannot see how much of the
/// organisation a path range covers and, at 100,000 staff, took 2.4 times as long (nested
/// loops over every person). Turning generic plans off for the whole pool instead cost the
/// catalogue a fifth of its throughput (see docs/PERFORMANCE.md).
pub(crate) fn statement(db: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> Statement {
    match db.get_database_backend() {
        DbBackend::Postgres => Statement::from_string(
            DbBackend::Postgres,
            sea_orm::sea_query::inject_parameters(
                &sql,
                &values,
                &sea_orm::sea_query::PostgresQueryBuilder,
            ),
        ),
        backend => Statement::from_sql_and_values(backend, sql, values),
    }
}

/// Headcount per direct sub-unit (keyed by the sub-unit's path) and in the unit itself (keyed
/// by its own path).
async fn headcounts(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<(String, i64)>> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        unit_path: String,
        staff: i64,
    }
    // Counted per unit first: at a ministry's size that is a third of the work of counting
    // each person's unit path.
    let (lower, upper) = scope.path_range();
    let units = scope.units_condition();
    let values: Vec<Value> = vec![
        lower.into(),
        upper.into(),
        scope.subunit_prefix_len().into(),
    ];
    let sql = format!(
        "SELECT substr(o.path, 1, $3) AS unit_path, CAST(SUM(u.staff) AS BIGINT) AS staff \
         FROM ( \
           SELECT org_unit_id, COUNT(*) AS staff FROM users \
           WHERE status = 'active' AND org_unit_id IN ( \
             SELECT o.id FROM org_units o WHERE {units}) \
           GROUP BY org_unit_id \
         ) u JOIN org_units o ON o.id = u.org_unit_id GROUP BY 1"
    );
    let rows = Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.unit_path, row.staff))
        .collect())
}

/// Figures, unless the group they are about is too small to show (a sub-unit's, or a whole
/// report's).
#[derive(Clone, Debug)]
pub enum Group<T> {
    Shown(T),
    /// Suppressed under the minimum group size: nothing is shown.
    Suppressed,
}

impl<T> Group<T> {
    pub(crate) fn new(suppressed: bool, figures: impl FnOnce() -> T) -> Self {
        if suppressed {
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

    pub fn is_suppressed(&self) -> bool {
        matches!(self, Self::Suppressed)
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

impl PageRequest {
    /// The values a ranked list's statement takes, in this order: `first` (its `LIMIT`),
    /// `offset` (its `OFFSET`) and the position of the page's last row, from which the lists
    /// cut off who needs a name.
    pub(crate) fn values(self) -> [Value; 3] {
        let number = |n: u64| Value::from(i64::try_from(n).unwrap_or(i64::MAX));
        [
            number(self.first),
            number(self.offset),
            number(self.offset.saturating_add(self.first).saturating_sub(1)),
        ]
    }
}
