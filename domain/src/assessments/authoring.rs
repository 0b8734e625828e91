//! Writing assessments (a fixed list of questions or random draw rules), editing them (a new
//! version) and archiving them, and finding and listing the ones an actor may see.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveEnum as _, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    AssessmentAccess, MAX_PROMPT_CHARS, can_use_unit, load_assessment, load_editable, owning_unit,
    questions_by_ids,
};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    competences,
    entities::{
        assessment::{self, AssessmentVisibility, Selection},
        assessment_draw_rule, assessment_item, org_unit, question,
    },
    org,
    types::Name,
};

/// Most questions of an assessment (fixed list, or drawn in total).
pub const MAX_QUESTIONS: usize = 200;
/// Longest time limit: a day, in seconds.
pub const MAX_TIME_LIMIT_SECONDS: i32 = 86_400;
/// Most attempts an assessment may allow.
pub const MAX_ATTEMPTS: i32 = 100;
/// Mastery threshold when none is given, in percent.
pub const DEFAULT_MASTERY_THRESHOLD: i32 = 70;

batch!(
    /// The questions of fixed assessments, in order.
    items_of, assessment_item, AssessmentId, Position
);
batch!(
    /// The draw rules of random assessments, in order.
    draw_rules_of, assessment_draw_rule, AssessmentId, Position
);
batch!(
    /// Assessments by id.
    assessments_by_ids, assessment, Id
);

/// A new assessment.
#[derive(Debug)]
pub struct NewAssessment {
    pub title: String,
    pub description: String,
    pub org_unit_id: Uuid,
    pub visibility: AssessmentVisibility,
    pub pass_mark_percent: i32,
    pub mastery_threshold_percent: i32,
    pub time_limit_seconds: Option<i32>,
    pub max_attempts: Option<i32>,
    /// A fixed list of questions, in order (or empty for a random draw).
    pub question_ids: Vec<Uuid>,
    /// Random draw rules: competence, level, how many questions (or empty for a fixed list).
    pub draw: Vec<(Uuid, i32, i32)>,
}

/// Whether a question at `question_path` is in the pool of an assessment at `assessment_path`:
/// what a trainer at the assessment's unit could use (its unit, the units above, the units
/// below).
fn in_pool(assessment_path: &str, question_path: &str) -> bool {
    assessment_path.starts_with(question_path) || question_path.starts_with(assessment_path)
}

/// The questions a random draw of `competence_id` at `level` picks from, for an assessment of
/// the unit at `unit_path`.
pub(crate) async fn draw_pool(
    db: &impl ConnectionTrait,
    unit_path: &str,
    competence_id: Uuid,
    level: i32,
) -> Result<Vec<question::Model>> {
    let candidates = question::Entity::find()
        .filter(question::Column::CompetenceId.eq(competence_id))
        .filter(question::Column::Level.eq(level))
        .filter(
            question::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(org::in_subtree(org::authority_prefix(unit_path)))
                    .to_owned(),
            ),
        )
        .order_by_asc(question::Column::Id)
        .all(db)
        .await?;
    let unit_ids: Vec<Uuid> = candidates.iter().map(|q| q.org_unit_id).collect();
    let units: HashMap<Uuid, String> = org::find_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit.path))
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|q| {
            units
                .get(&q.org_unit_id)
                .is_some_and(|path| in_pool(unit_path, path))
        })
        .collect())
}

fn check_range(
    field: &'static str,
    value: i32,
    range: std::ops::RangeInclusive<i32>,
) -> Result<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{field} must be {} to {}", range.start(), range.end()),
        ))
    }
}

fn parse_title(raw: &str) -> Result<String> {
    Ok(Name::parse(raw, "title")?.into_inner())
}

fn parse_description(raw: &str) -> Result<String> {
    let description = raw.trim().to_owned();
    if description.chars().count() > MAX_PROMPT_CHARS {
        return Err(Error::invalid(
            "description",
            format!("description must be at most {MAX_PROMPT_CHARS} characters"),
        ));
    }
    Ok(description)
}

fn check_pass_mark(percent: i32) -> Result<()> {
    check_range("passMarkPercent", percent, 0..=100)
}

fn check_mastery_threshold(percent: i32) -> Result<()> {
    check_range("masteryThresholdPercent", percent, 1..=100)
}

fn check_time_limit(seconds: Option<i32>) -> Result<()> {
    seconds.map_or(Ok(()), |seconds| {
        check_range("timeLimitSeconds", seconds, 1..=MAX_TIME_LIMIT_SECONDS)
    })
}

fn check_max_attempts(max: Option<i32>) -> Result<()> {
    max.map_or(Ok(()), |max| {
        check_range("maxAttempts", max, 1..=MAX_ATTEMPTS)
    })
}

/// Checks how an assessment of the unit at `unit_path` chooses its questions, and says which
/// way that is: either a fixed list of questions the actor may use (`question_ids`, in order,
/// each once), or random draw rules (`draw`) whose pools hold enough questions; exactly one of
/// the two is non-empty.
async fn check_selection(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit_path: &str,
    question_ids: &[Uuid],
    draw: &[(Uuid, i32, i32)],
) -> Result<Selection> {
    let selection = match (question_ids.is_empty(), draw.is_empty()) {
        (false, true) => Selection::Fixed,
        (true, false) => Selection::Random,
        (true, true) => {
            return Err(Error::invalid(
                "questionIds",
                "give either questionIds (a fixed list) or draw (a random draw)",
            ));
        }
        (false, false) => {
            return Err(Error::invalid(
                "draw",
                "give either questionIds (a fixed list) or draw (a random draw), not both",
            ));
        }
    };
    match selection {
        Selection::Fixed => {
            if question_ids.len() > MAX_QUESTIONS {
                return Err(Error::invalid(
                    "questionIds",
                    format!("an assessment has at most {MAX_QUESTIONS} questions"),
                ));
            }
            let unique: HashSet<&Uuid> = question_ids.iter().collect();
            if unique.len() != question_ids.len() {
                return Err(Error::invalid("questionIds", "a question is listed twice"));
            }
            let questions = questions_by_ids(db, question_ids).await?;
            let unit_ids: Vec<Uuid> = questions.iter().map(|q| q.org_unit_id).collect();
            let units: HashMap<Uuid, String> = org::find_many(db, &unit_ids)
                .await?
                .into_iter()
                .map(|unit| (unit.id, unit.path))
                .collect();
            for id in question_ids {
                let usable = questions.iter().find(|q| q.id == *id).is_some_and(|q| {
                    units.get(&q.org_unit_id).is_some_and(|path| {
                        super::can_edit_owned(actor, q.owner_id, path) || can_use_unit(actor, path)
                    })
                });
                if !usable {
                    return Err(Error::invalid(
                        "questionIds",
                        format!("question {id} does not exist"),
                    ));
                }
            }
        }
        Selection::Random => {
            let mut seen = HashSet::new();
            let mut total = 0;
            for (competence_id, level, count) in draw {
                if !seen.insert((*competence_id, *level)) {
                    return Err(Error::invalid(
                        "draw",
                        "a competence and level is listed twice",
                    ));
                }
                competences::check_levels(db, "draw", &[(*competence_id, *level)]).await?;
                check_range("draw", *count, 1..=MAX_QUESTIONS as i32)?;
                total += *count;
                let available = draw_pool(db, unit_path, *competence_id, *level)
                    .await?
                    .len();
                if available < *count as usize {
                    return Err(Error::invalid(
                        "draw",
                        format!(
                            "only {available} questions of competence {competence_id} at level \
                             {level} are available to draw {count} from"
                        ),
                    ));
                }
            }
            if total > MAX_QUESTIONS as i32 {
                return Err(Error::invalid(
                    "draw",
                    format!("an assessment has at most {MAX_QUESTIONS} questions"),
                ));
            }
        }
    }
    Ok(selection)
}

/// Writes an assessment's fixed items or draw rules (checked by [`check_selection`]).
async fn write_selection(
    db: &impl ConnectionTrait,
    assessment_id: Uuid,
    question_ids: &[Uuid],
    draw: &[(Uuid, i32, i32)],
) -> Result<()> {
    if !question_ids.is_empty() {
        assessment_item::Entity::insert_many((1..).zip(question_ids).map(
            |(position, question_id)| assessment_item::ActiveModel {
                assessment_id: Set(assessment_id),
                position: Set(position),
                question_id: Set(*question_id),
            },
        ))
        .exec(db)
        .await?;
    }
    if !draw.is_empty() {
        assessment_draw_rule::Entity::insert_many((1..).zip(draw).map(
            |(position, (competence_id, level, count))| assessment_draw_rule::ActiveModel {
                assessment_id: Set(assessment_id),
                position: Set(position),
                competence_id: Set(*competence_id),
                level: Set(*level),
                question_count: Set(*count),
            },
        ))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Creates an assessment owned by a unit the actor trains or administers: either a fixed,
/// ordered list of questions the actor may use, or random draw rules whose pools hold enough
/// questions. It starts at version 1.
pub async fn create_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAssessment,
) -> Result<AssessmentAccess> {
    let unit = owning_unit(db, actor, input.org_unit_id, "assessments").await?;
    let title = parse_title(&input.title)?;
    let description = parse_description(&input.description)?;
    check_pass_mark(input.pass_mark_percent)?;
    check_mastery_threshold(input.mastery_threshold_percent)?;
    check_time_limit(input.time_limit_seconds)?;
    check_max_attempts(input.max_attempts)?;
    let selection =
        check_selection(db, actor, &unit.path, &input.question_ids, &input.draw).await?;

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let assessment = assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title),
        description: Set(description),
        owner_id: Set(actor.id()),
        org_unit_id: Set(unit.id),
        visibility: Set(input.visibility),
        selection: Set(selection),
        pass_mark_percent: Set(input.pass_mark_percent),
        mastery_threshold_percent: Set(input.mastery_threshold_percent),
        time_limit_seconds: Set(input.time_limit_seconds),
        max_attempts: Set(input.max_attempts),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        archived_at: Set(None),
    }
    .insert(&txn)
    .await?;
    write_selection(&txn, assessment.id, &input.question_ids, &input.draw).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "assessment.created",
        Target::Assessment(assessment.id),
        json!({ "selection": selection.to_value() }),
    )
    .await?;
    txn.commit().await?;
    Ok(AssessmentAccess { assessment, unit })
}

/// Changes to an assessment; `None` leaves a part as it is. `time_limit_seconds: Some(None)`
/// removes the time limit, `max_attempts: Some(None)` the limit on attempts. Giving
/// `question_ids` or `draw` (or both) replaces how questions are chosen, checked as for a new
/// assessment: the one left out counts as empty, and exactly one may be non-empty.
#[derive(Debug, Default)]
pub struct AssessmentUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub pass_mark_percent: Option<i32>,
    pub mastery_threshold_percent: Option<i32>,
    pub time_limit_seconds: Option<Option<i32>>,
    pub max_attempts: Option<Option<i32>>,
    pub question_ids: Option<Vec<Uuid>>,
    pub draw: Option<Vec<(Uuid, i32, i32)>>,
}

/// A `Conflict` on the assessment's `id`: its state does not allow the change.
fn conflict(message: &str) -> Error {
    Error::Conflict {
        field: "id",
        message: message.to_owned(),
    }
}

/// Edits an assessment (its owner while a trainer, or an administrator of its unit): the new
/// values are checked as [`create_assessment`] checks them, then written with `version` one
/// higher, in one transaction with the `assessment.updated` audit event. Attempts started
/// earlier keep what they were given: their questions, and the version, pass mark and mastery
/// threshold recorded on them when they started. An update that gives nothing changes nothing
/// (no new version, no event). An archived assessment does not change (`Conflict`).
pub async fn update_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    assessment_id: Uuid,
    update: AssessmentUpdate,
) -> Result<AssessmentAccess> {
    use assessment::Column as C;

    let access = load_editable(db, actor, assessment_id).await?;
    if access.assessment.archived_at.is_some() {
        return Err(conflict("an archived assessment does not change"));
    }
    let mut write = assessment::Entity::update_many();
    let mut changed = Vec::new();
    if let Some(title) = &update.title {
        write = write.col_expr(C::Title, Expr::value(parse_title(title)?));
        changed.push("title");
    }
    if let Some(description) = &update.description {
        write = write.col_expr(C::Description, Expr::value(parse_description(description)?));
        changed.push("description");
    }
    if let Some(percent) = update.pass_mark_percent {
        check_pass_mark(percent)?;
        write = write.col_expr(C::PassMarkPercent, Expr::value(percent));
        changed.push("passMarkPercent");
    }
    if let Some(percent) = update.mastery_threshold_percent {
        check_mastery_threshold(percent)?;
        write = write.col_expr(C::MasteryThresholdPercent, Expr::value(percent));
        changed.push("masteryThresholdPercent");
    }
    if let Some(seconds) = update.time_limit_seconds {
        check_time_limit(seconds)?;
        write = write.col_expr(C::TimeLimitSeconds, Expr::value(seconds));
        changed.push("timeLimitSeconds");
    }
    if let Some(max) = update.max_attempts {
        check_max_attempts(max)?;
        write = write.col_expr(C::MaxAttempts, Expr::value(max));
        changed.push("maxAttempts");
    }
    let selection = if update.question_ids.is_some() || update.draw.is_some() {
        let question_ids = update.question_ids.unwrap_or_default();
        let draw = update.draw.unwrap_or_default();
        let selection = check_selection(db, actor, &access.unit.path, &question_ids, &draw).await?;
        write = write.col_expr(C::Selection, Expr::value(selection.to_value()));
        changed.push(match selection {
            Selection::Fixed => "questionIds",
            Selection::Random => "draw",
        });
        Some((question_ids, draw))
    } else {
        None
    };
    if changed.is_empty() {
        return Ok(access);
    }

    let version = access.assessment.version + 1;
    let txn = crate::db::begin(db).await?;
    // The row first, and only as it was checked: not archived, and at the version read above
    // (a concurrent edit or archive makes this one a `Conflict` instead of undoing it). Its
    // row lock orders the edit against attempts being started, which read the row `FOR SHARE`
    // (on SQLite, `BEGIN IMMEDIATE` has already ordered the writers).
    let written = write
        .col_expr(C::Version, Expr::value(version))
        .col_expr(C::UpdatedAt, Expr::value(Utc::now()))
        .filter(C::Id.eq(assessment_id))
        .filter(C::Version.eq(access.assessment.version))
        .filter(C::ArchivedAt.is_null())
        .exec(&txn)
        .await?;
    if written.rows_affected == 0 {
        drop(txn);
        return Err(conflict(
            "the assessment was changed or archived meanwhile; reload it and try again",
        ));
    }
    if let Some((question_ids, draw)) = &selection {
        assessment_item::Entity::delete_many()
            .filter(assessment_item::Column::AssessmentId.eq(assessment_id))
            .exec(&txn)
            .await?;
        assessment_draw_rule::Entity::delete_many()
            .filter(assessment_draw_rule::Column::AssessmentId.eq(assessment_id))
            .exec(&txn)
            .await?;
        write_selection(&txn, assessment_id, question_ids, draw).await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "assessment.updated",
        Target::Assessment(assessment_id),
        json!({ "version": version, "changed": changed }),
    )
    .await?;
    let access = load_assessment(&txn, assessment_id).await?;
    txn.commit().await?;
    Ok(access)
}

/// Archives an assessment (whoever may edit it): it takes no new attempts and leaves the
/// default list. Open attempts can still be answered and submitted, and what attempts earned
/// (results, lessons done, certificates) stays. Written with its `assessment.archived` audit
/// event in one transaction. Archiving an archived assessment changes nothing and records
/// nothing: it returns the assessment as it is.
pub async fn archive_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    let access = load_editable(db, actor, assessment_id).await?;
    if access.assessment.archived_at.is_some() {
        return Ok(access);
    }
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let written = assessment::Entity::update_many()
        .col_expr(assessment::Column::ArchivedAt, Expr::value(now))
        .col_expr(assessment::Column::UpdatedAt, Expr::value(now))
        .filter(assessment::Column::Id.eq(assessment_id))
        .filter(assessment::Column::ArchivedAt.is_null())
        .exec(&txn)
        .await?;
    if written.rows_affected == 0 {
        // Archived meanwhile: the same answer as archiving it again.
        drop(txn);
        return load_assessment(db, assessment_id).await;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "assessment.archived",
        Target::Assessment(assessment_id),
        json!({ "version": access.assessment.version }),
    )
    .await?;
    let access = load_assessment(&txn, assessment_id).await?;
    txn.commit().await?;
    Ok(access)
}

/// An assessment the actor may see: as a trainer who may use it, as a learner it is open to,
/// or through a course they are enrolled in. Anything else is `NotFound`.
pub async fn find_assessment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    super::attempts::load_takeable_or_usable(db, actor, assessment_id).await
}

/// The assessments the actor may take on their own (open to their unit or the platform), and
/// for trainers also those they may use; newest first. Archived ones only with
/// `include_archived`.
pub async fn list_assessments(
    db: &impl ConnectionTrait,
    actor: &Actor,
    include_archived: bool,
) -> Result<Vec<AssessmentAccess>> {
    // The units above the actor (and their own), from their materialised path.
    let own_line = org::ids_on_path(&actor.unit.path);
    let mut condition = Condition::any()
        .add(assessment::Column::Visibility.eq(AssessmentVisibility::Platform))
        .add(
            Condition::all()
                .add(assessment::Column::Visibility.eq(AssessmentVisibility::OrgUnit))
                .add(assessment::Column::OrgUnitId.is_in(own_line)),
        );
    let trainer =
        actor.holds(crate::types::Role::Trainer) || actor.holds(crate::types::Role::Admin);
    if trainer {
        let mut in_authorities = Condition::any();
        match actor.authority_prefixes() {
            None => in_authorities = in_authorities.add(Expr::value(true)),
            Some(prefixes) => {
                for prefix in prefixes {
                    in_authorities = in_authorities.add(org::in_subtree(&prefix));
                }
            }
        }
        condition = condition.add(
            assessment::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(in_authorities)
                    .to_owned(),
            ),
        );
    }
    let mut query = assessment::Entity::find().filter(condition);
    if !include_archived {
        query = query.filter(assessment::Column::ArchivedAt.is_null());
    }
    let found = query.order_by_desc(assessment::Column::Id).all(db).await?;
    let unit_ids: Vec<Uuid> = found.iter().map(|a| a.org_unit_id).collect();
    let units: HashMap<Uuid, org_unit::Model> = org::find_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|assessment| {
            let unit = units.get(&assessment.org_unit_id)?.clone();
            let access = AssessmentAccess { assessment, unit };
            (access.open_to(actor) || access.can_use(actor)).then_some(access)
        })
        .collect())
}
