//! Writing assessments (a fixed list of questions or random draw rules), and finding and listing
//! the ones an actor may see.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
    sea_query::{Expr, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{AssessmentAccess, MAX_PROMPT_CHARS, can_use_unit, owning_unit, questions_by_ids};
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

/// Creates an assessment owned by a unit the actor trains or administers: either a fixed,
/// ordered list of questions the actor may use, or random draw rules whose pools hold enough
/// questions.
pub async fn create_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAssessment,
) -> Result<AssessmentAccess> {
    let unit = owning_unit(db, actor, input.org_unit_id, "assessments").await?;
    let title = Name::parse(&input.title, "title")?;
    let description = input.description.trim().to_owned();
    if description.chars().count() > MAX_PROMPT_CHARS {
        return Err(Error::invalid(
            "description",
            format!("description must be at most {MAX_PROMPT_CHARS} characters"),
        ));
    }
    check_range("passMarkPercent", input.pass_mark_percent, 0..=100)?;
    check_range(
        "masteryThresholdPercent",
        input.mastery_threshold_percent,
        1..=100,
    )?;
    if let Some(limit) = input.time_limit_seconds {
        check_range("timeLimitSeconds", limit, 1..=MAX_TIME_LIMIT_SECONDS)?;
    }
    if let Some(max) = input.max_attempts {
        check_range("maxAttempts", max, 1..=MAX_ATTEMPTS)?;
    }
    let selection = match (input.question_ids.is_empty(), input.draw.is_empty()) {
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
            if input.question_ids.len() > MAX_QUESTIONS {
                return Err(Error::invalid(
                    "questionIds",
                    format!("an assessment has at most {MAX_QUESTIONS} questions"),
                ));
            }
            let unique: HashSet<&Uuid> = input.question_ids.iter().collect();
            if unique.len() != input.question_ids.len() {
                return Err(Error::invalid("questionIds", "a question is listed twice"));
            }
            let questions = questions_by_ids(db, &input.question_ids).await?;
            let unit_ids: Vec<Uuid> = questions.iter().map(|q| q.org_unit_id).collect();
            let units: HashMap<Uuid, String> = org::find_many(db, &unit_ids)
                .await?
                .into_iter()
                .map(|unit| (unit.id, unit.path))
                .collect();
            for id in &input.question_ids {
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
            for (competence_id, level, count) in &input.draw {
                if !seen.insert((*competence_id, *level)) {
                    return Err(Error::invalid(
                        "draw",
                        "a competence and level is listed twice",
                    ));
                }
                competences::check_levels(db, "draw", &[(*competence_id, *level)]).await?;
                check_range("draw", *count, 1..=MAX_QUESTIONS as i32)?;
                total += *count;
                let available = draw_pool(db, &unit.path, *competence_id, *level)
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

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let assessment = assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title.into_inner()),
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
    }
    .insert(&txn)
    .await?;
    if !input.question_ids.is_empty() {
        assessment_item::Entity::insert_many((1..).zip(&input.question_ids).map(
            |(position, question_id)| assessment_item::ActiveModel {
                assessment_id: Set(assessment.id),
                position: Set(position),
                question_id: Set(*question_id),
            },
        ))
        .exec(&txn)
        .await?;
    }
    if !input.draw.is_empty() {
        assessment_draw_rule::Entity::insert_many((1..).zip(&input.draw).map(
            |(position, (competence_id, level, count))| assessment_draw_rule::ActiveModel {
                assessment_id: Set(assessment.id),
                position: Set(position),
                competence_id: Set(*competence_id),
                level: Set(*level),
                question_count: Set(*count),
            },
        ))
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "assessment.created",
        Target::Assessment(assessment.id),
        json!({ "selection": match selection { Selection::Fixed => "fixed", Selection::Random => "random" } }),
    )
    .await?;
    txn.commit().await?;
    Ok(AssessmentAccess { assessment, unit })
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
/// for trainers also those they may use; newest first.
pub async fn list_assessments(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<AssessmentAccess>> {
    // The units above the actor (and their own), from their materialised path.
    let own_line: Vec<Uuid> = actor
        .org_path
        .split('/')
        .filter_map(|segment| Uuid::parse_str(segment).ok())
        .collect();
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
    let found = assessment::Entity::find()
        .filter(condition)
        .order_by_desc(assessment::Column::Id)
        .all(db)
        .await?;
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
