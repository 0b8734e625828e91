//! Scoring, as pure functions: one question, a whole attempt, and the competence levels an
//! attempt demonstrates. Nothing here reads the database, so the rules are tested as tables.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

/// Whether a set of chosen options answers a question correctly: exactly the correct options,
/// no more and no fewer. This holds for every kind: a single-choice or true/false question has
/// one correct option, a multiple-choice question is all or nothing. An unanswered question
/// (nothing chosen) is wrong.
pub fn is_correct(chosen: &[Uuid], correct: &[Uuid]) -> bool {
    let chosen: BTreeSet<&Uuid> = chosen.iter().collect();
    let correct: BTreeSet<&Uuid> = correct.iter().collect();
    !chosen.is_empty() && chosen == correct
}

/// `score` of `max` as a percentage (0 to 100); 0 for a maximum of 0.
pub fn percent(score: i32, max: i32) -> f64 {
    if max <= 0 {
        0.0
    } else {
        f64::from(score) * 100.0 / f64::from(max)
    }
}

/// Whether `score` of `max` reaches `threshold_percent`, compared exactly (in integers, so 7 of
/// 10 reaches 70 % and no rounding decides a pass).
pub fn reaches(score: i32, max: i32, threshold_percent: i32) -> bool {
    i64::from(score) * 100 >= i64::from(threshold_percent) * i64::from(max)
}

/// One scored question of an attempt, as the level rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoredItem {
    pub competence_id: Uuid,
    pub level: i32,
    pub awarded: i32,
    pub points: i32,
}

/// The level an attempt demonstrates in one competence; `level` 0 means none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemonstratedLevel {
    pub competence_id: Uuid,
    pub level: i32,
}

/// The competence levels an attempt demonstrates.
///
/// **The rule.** For each competence with questions in the attempt, the demonstrated level is
/// the highest level `L` *among the levels the attempt contained for that competence* such that
/// the person scored at least `mastery_threshold_percent` of the points of that competence's
/// questions at every contained level up to and including `L`. Levels the attempt did not
/// contain neither help nor hurt (an attempt with questions at levels 2 and 4 can demonstrate
/// 4 without any level-3 question), but a failed lower level stops the climb: failing level 2
/// and mastering level 4 demonstrates nothing (0). Points, not question counts, are compared, so
/// a heavier question weighs more. The result lists every competence of the attempt, ordered by
/// competence id, with 0 where no level is demonstrated.
pub fn demonstrated_levels(
    items: &[ScoredItem],
    mastery_threshold_percent: i32,
) -> Vec<DemonstratedLevel> {
    // competence -> level -> (awarded, points), levels ascending.
    let mut totals: BTreeMap<Uuid, BTreeMap<i32, (i32, i32)>> = BTreeMap::new();
    for item in items {
        let entry = totals
            .entry(item.competence_id)
            .or_default()
            .entry(item.level)
            .or_default();
        entry.0 += item.awarded;
        entry.1 += item.points;
    }
    totals
        .into_iter()
        .map(|(competence_id, levels)| {
            let level = levels
                .into_iter()
                .take_while(|(_, (awarded, points))| {
                    reaches(*awarded, *points, mastery_threshold_percent)
                })
                .last()
                .map_or(0, |(level, _)| level);
            DemonstratedLevel {
                competence_id,
                level,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// (competence, level, awarded, points)
    fn items(rows: &[(u128, i32, i32, i32)]) -> Vec<ScoredItem> {
        rows.iter()
            .map(|&(competence, level, awarded, points)| ScoredItem {
                competence_id: c(competence),
                level,
                awarded,
                points,
            })
            .collect()
    }

    #[test]
    fn the_level_rule_holds_for_every_case_in_the_table() {
        // (case, threshold, items, expected levels by competence)
        #[expect(clippy::type_complexity, reason = "a table of cases reads best inline")]
        let cases: &[(&str, i32, &[(u128, i32, i32, i32)], &[(u128, i32)])] = &[
            (
                "nothing answered right",
                70,
                &[(1, 1, 0, 1), (1, 2, 0, 1)],
                &[(1, 0)],
            ),
            (
                "all levels mastered",
                70,
                &[(1, 1, 1, 1), (1, 2, 1, 1), (1, 3, 1, 1)],
                &[(1, 3)],
            ),
            (
                "stops at the first failed level",
                70,
                &[(1, 1, 1, 1), (1, 2, 0, 1), (1, 3, 1, 1)],
                &[(1, 1)],
            ),
            (
                "a failed lowest level demonstrates nothing",
                70,
                &[(1, 2, 0, 1), (1, 4, 1, 1)],
                &[(1, 0)],
            ),
            (
                "levels not contained are skipped",
                70,
                &[(1, 2, 1, 1), (1, 4, 1, 1)],
                &[(1, 4)],
            ),
            (
                "exactly the threshold is enough",
                70,
                &[(1, 1, 7, 10)],
                &[(1, 1)],
            ),
            (
                "just below the threshold is not",
                70,
                &[(1, 1, 69, 100)],
                &[(1, 0)],
            ),
            (
                "several questions of a level are summed",
                70,
                &[
                    (1, 1, 1, 1),
                    (1, 1, 1, 1),
                    (1, 1, 0, 1),
                    (1, 2, 1, 1),
                    (1, 2, 0, 1),
                ],
                &[(1, 0)],
            ),
            (
                "two of three passes a 60 % threshold, one of two does not",
                60,
                &[
                    (1, 1, 1, 1),
                    (1, 1, 1, 1),
                    (1, 1, 0, 1),
                    (1, 2, 1, 1),
                    (1, 2, 0, 1),
                ],
                &[(1, 1)],
            ),
            (
                "heavier questions weigh more",
                70,
                &[(1, 3, 3, 3), (1, 3, 0, 1)],
                &[(1, 3)],
            ),
            (
                "competences are independent",
                70,
                &[(1, 1, 1, 1), (1, 2, 1, 1), (2, 1, 0, 1), (2, 2, 1, 1)],
                &[(1, 2), (2, 0)],
            ),
            (
                "a threshold of 100 needs everything",
                100,
                &[(1, 1, 2, 2), (1, 2, 1, 2)],
                &[(1, 1)],
            ),
            (
                "order of items does not matter",
                70,
                &[(1, 3, 1, 1), (1, 1, 1, 1), (1, 2, 1, 1)],
                &[(1, 3)],
            ),
            ("no items, no competences", 70, &[], &[]),
        ];
        for (case, threshold, rows, expected) in cases {
            let got = demonstrated_levels(&items(rows), *threshold);
            let want: Vec<DemonstratedLevel> = expected
                .iter()
                .map(|&(competence, level)| DemonstratedLevel {
                    competence_id: c(competence),
                    level,
                })
                .collect();
            assert_eq!(got, want, "case: {case}");
        }
    }

    #[test]
    fn an_answer_is_correct_only_when_it_is_exactly_the_correct_set() {
        let (a, b, x) = (c(1), c(2), c(3));
        assert!(is_correct(&[a], &[a]));
        assert!(is_correct(&[b, a], &[a, b]));
        assert!(!is_correct(&[a], &[a, b]));
        assert!(!is_correct(&[a, b, x], &[a, b]));
        assert!(!is_correct(&[x], &[a]));
        assert!(!is_correct(&[], &[a]));
    }

    #[test]
    fn pass_marks_compare_exactly() {
        assert!(reaches(7, 10, 70));
        assert!(!reaches(2, 3, 67));
        assert!(reaches(2, 3, 66));
        assert!(reaches(0, 0, 70));
        assert!((percent(1, 3) - 33.333).abs() < 0.001);
        assert!(percent(0, 0).abs() < f64::EPSILON);
    }
}
