//! The completion report: per course, how the staff of an org unit are getting on with it.
//!
//! Counted over the enrolments of staff in scope that are not withdrawn or cancelled:
//! `enrolled` (all of them), `assigned` (by HR), `completed`, `overdue` (an assignment still
//! open past its due date) and `assigned_completed` (assignments done).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::{Group, Scope, staff_cte, statement};
use crate::Result;

/// One course's figures.
#[derive(Clone, Debug, FromQueryResult, PartialEq, Eq)]
pub struct CourseCompletion {
    pub course_id: Uuid,
    pub title: String,
    pub version: i32,
    pub enrolled: i64,
    pub assigned: i64,
    pub completed: i64,
    pub assigned_completed: i64,
    pub overdue: i64,
}

/// The report over a scope.
#[derive(Clone, Debug)]
pub struct CompletionReport {
    pub scope: Scope,
    /// By course title, then version; suppressed when the scope is withheld.
    pub courses: Group<Vec<CourseCompletion>>,
}

/// Builds the report (one statement, whatever the staff count; none for a withheld scope).
pub async fn report(
    db: &impl ConnectionTrait,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<CompletionReport> {
    if scope.suppressed() {
        return Ok(CompletionReport {
            scope,
            courses: Group::Suppressed,
        });
    }
    let (cte, mut values) = staff_cte(&scope);
    values.push(now.into());
    let sql = format!(
        "{cte} SELECT e.course_id, c.title, c.version, COUNT(*) AS enrolled, \
           SUM(CASE WHEN e.source = 'assigned' THEN 1 ELSE 0 END) AS assigned, \
           SUM(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END) AS completed, \
           SUM(CASE WHEN e.source = 'assigned' AND e.status = 'completed' THEN 1 ELSE 0 END) \
             AS assigned_completed, \
           SUM(CASE WHEN e.source = 'assigned' AND e.status = 'active' \
             AND e.due_at IS NOT NULL AND e.due_at < $3 THEN 1 ELSE 0 END) AS overdue \
         FROM enrollments e \
         JOIN staff s ON s.user_id = e.user_id \
         JOIN courses c ON c.id = e.course_id \
         WHERE e.status IN ('active', 'completed') \
         GROUP BY e.course_id, c.title, c.version \
         ORDER BY c.title, c.version"
    );
    let courses = CourseCompletion::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;
    Ok(CompletionReport {
        scope,
        courses: Group::Shown(courses),
    })
}
