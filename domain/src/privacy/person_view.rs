//! What HR and administrators see of people's results in the person-level rows of reports,
//! under the authority's staff-council setting (`privacy_policies.hr_person_view`, read with
//! [`super::policy::hr_person_view`]).
//!
//! A person's own views decide it with [`crate::people::learning_data_access`]; the audit
//! trail with `audit::WITHHELD_UNDER_PASS_FAIL`. Reports name many people of one authority
//! (a report's scope never crosses authorities), so their view is the scope's.

use sea_orm::ConnectionTrait;

use super::policy::{self, HrPersonView};
use crate::{
    Result,
    reports::{Scope, skill_gaps::StaffCompetenceGap},
};

/// What the reader of a report over `scope` sees of each person's results.
pub async fn of_report(db: &impl ConnectionTrait, scope: &Scope) -> Result<HrPersonView> {
    policy::hr_person_view(db, &scope.unit().path).await
}

/// A person's standing in one required competence, as a report row may show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GapCells {
    /// The current level; `None`: not shown (only a self-assessment, under `PassFail`).
    pub current_level: Option<i32>,
    pub gap: i32,
}

/// The current level and gap of a skill-gap export row under `view`: as computed under
/// [`HrPersonView::Full`]; under [`HrPersonView::PassFail`] a level that is not verified (a
/// self-assessment, or none) is not shown, and the gap counts from 0, so that the row says
/// nothing of a self-assessment.
pub fn skill_gap_cells(view: HrPersonView, row: &StaffCompetenceGap) -> GapCells {
    match view {
        HrPersonView::PassFail if !row.verified => GapCells {
            current_level: None,
            gap: row.required.max(0),
        },
        _ => GapCells {
            current_level: Some(row.current_level),
            gap: row.gap,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(current_level: i32, verified: bool) -> StaffCompetenceGap {
        StaffCompetenceGap {
            display_name: "Anna".into(),
            org_unit_name: "Alpha".into(),
            competence_code: "1.1".into(),
            competence_name: "Browsing".into(),
            required: 4,
            current_level,
            verified,
            gap: (4 - current_level).max(0),
        }
    }

    #[test]
    fn pass_fail_shows_verified_levels_and_hides_self_assessments() {
        use HrPersonView::{Full, PassFail};
        let cases = [
            (Full, row(3, false), Some(3), 1),
            (Full, row(2, true), Some(2), 2),
            (PassFail, row(3, false), None, 4),
            (PassFail, row(0, false), None, 4),
            (PassFail, row(2, true), Some(2), 2),
            (PassFail, row(5, true), Some(5), 0),
        ];
        for (view, row, current_level, gap) in cases {
            assert_eq!(
                skill_gap_cells(view, &row),
                GapCells { current_level, gap },
                "{view:?} {row:?}"
            );
        }
    }
}
