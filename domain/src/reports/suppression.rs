//! Which report figures may be shown: the statistical offices' primary and complementary cell
//! suppression, over an authority's org-unit tree.
//!
//! A unit X's figures split into *cells*: one per direct sub-unit (the people of its whole
//! subtree) and one for X's own direct members. With a minimum group size `m > 0`:
//!
//! - **Primary suppression**: a non-empty cell with fewer than `m` people.
//! - **Complementary suppression**: if exactly one non-empty cell of X is suppressed, X's total
//!   minus the cells shown would give it away, so the next smallest non-empty cell is
//!   suppressed too: a sub-unit if one is left (their members are then left out of the lists
//!   that name people, so the protection holds), by size, ties by path; the unit's own members
//!   only when no sub-unit is.
//! - Empty cells are never a protection (everyone knows they hold nothing) and never need one.
//!
//! A report on a unit U below the authority whose figures could give such a cell away is itself
//! suppressed ([`Pattern::report`]): when U, or any ancestor of U below the authority, is
//! suppressed among its parent's cells; and a report on U's own members only (without
//! sub-units) also when U's own cell is suppressed. The authority's totals are always shown.
//!
//! The people are the authority's active staff ([`pattern`] with `population: None`). Reports
//! over fewer people (those using AI systems, those a rollout affects) also suppress by that
//! population: each row is suppressed first by staff, then by the population with the staff
//! pattern's cells kept suppressed, so a cell hidden either way stays hidden, and complements
//! are added where the population needs one.
//!
//! Everything here is pure; [`super::Scope::load`] reads the counts (one statement).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::SEGMENT;

/// People per org unit (its own direct members, not its subtree), keyed by the unit's path;
/// units without any may be left out.
pub type UnitCounts = HashMap<String, i64>;

/// One cell of a unit's breakdown.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    /// A direct sub-unit, by path, with its whole subtree.
    Subunit(String),
    /// The unit's own direct members.
    Own,
}

/// The cells of one unit's breakdown that are suppressed, given how many people each holds
/// (cells left out hold none) and the cells already suppressed for another reason (`forced`,
/// returned as they are). `min_group_size` 0 suppresses nothing of its own.
pub fn suppress(
    cells: &BTreeMap<Cell, i64>,
    forced: &BTreeSet<Cell>,
    min_group_size: u32,
) -> BTreeSet<Cell> {
    let min = i64::from(min_group_size);
    let mut suppressed = forced.clone();
    suppressed.extend(
        cells
            .iter()
            .filter(|(_, people)| **people > 0 && **people < min)
            .map(|(cell, _)| cell.clone()),
    );
    let protected = cells
        .iter()
        .filter(|(cell, people)| **people > 0 && suppressed.contains(*cell))
        .count();
    if protected == 1 {
        // Sub-units first (`Cell::Own` sorts last), then the smallest, then by path.
        let complement = cells
            .iter()
            .filter(|(cell, people)| **people > 0 && !suppressed.contains(*cell))
            .min_by(|(a, a_people), (b, b_people)| {
                (matches!(a, Cell::Own), **a_people, *a).cmp(&(
                    matches!(b, Cell::Own),
                    **b_people,
                    *b,
                ))
            })
            .map(|(cell, _)| cell.clone());
        suppressed.extend(complement);
    }
    suppressed
}

/// The cells of the unit at `path`, from the people per unit.
pub fn cells(counts: &UnitCounts, path: &str) -> BTreeMap<Cell, i64> {
    let mut cells = BTreeMap::new();
    for (unit, people) in counts {
        if unit == path {
            *cells.entry(Cell::Own).or_default() += people;
        } else if unit.starts_with(path) && unit.len() >= path.len() + SEGMENT {
            let subunit = unit[..path.len() + SEGMENT].to_owned();
            *cells.entry(Cell::Subunit(subunit)).or_default() += people;
        }
    }
    cells
}

/// What may be shown of a report on one unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pattern {
    /// The whole report is withheld.
    pub report: bool,
    /// The unit's own members are a suppressed cell of its breakdown.
    pub own: bool,
    /// The direct sub-units (paths) whose figures are withheld.
    pub subunits: BTreeSet<String>,
}

/// The suppression pattern of a report on the unit at `path` (with its sub-units or without),
/// from the active staff per unit of its whole authority and, for a report over fewer people,
/// that population per unit of the authority.
pub fn pattern(
    path: &str,
    include_subunits: bool,
    min_group_size: u32,
    staff: &UnitCounts,
    population: Option<&UnitCounts>,
) -> Pattern {
    if min_group_size == 0 {
        return Pattern::default();
    }
    let row = |unit: &str| {
        let by_staff = suppress(&cells(staff, unit), &BTreeSet::new(), min_group_size);
        match population {
            Some(population) => suppress(&cells(population, unit), &by_staff, min_group_size),
            None => by_staff,
        }
    };
    // The ancestors below the authority, each among its parent's cells: "/a/" is the authority,
    // "/a/b/" the first unit below it.
    let authority_len = 1 + SEGMENT;
    let mut report = (authority_len + SEGMENT..=path.len())
        .step_by(SEGMENT)
        .any(|end| {
            let (parent, unit) = (&path[..end - SEGMENT], &path[..end]);
            row(parent).contains(&Cell::Subunit(unit.to_owned()))
        });
    let own_row = row(path);
    let own = own_row.contains(&Cell::Own);
    if own && !include_subunits {
        report = true;
    }
    Pattern {
        report,
        own,
        subunits: own_row
            .into_iter()
            .filter_map(|cell| match cell {
                Cell::Subunit(path) => Some(path),
                Cell::Own => None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path of simple-form UUIDs, one per name ("a" → 32 a's).
    fn path(names: &[&str]) -> String {
        let mut path = "/".to_owned();
        for name in names {
            path.push_str(&name.repeat(32));
            path.push('/');
        }
        path
    }

    /// A row's cells: a sub-unit's name (or `None`: the unit's own members) and its people.
    type Row<'a> = &'a [(Option<&'a str>, i64)];

    fn row(cells: Row<'_>) -> BTreeMap<Cell, i64> {
        cells
            .iter()
            .map(|(unit, people)| {
                let cell = match unit {
                    Some(unit) => Cell::Subunit((*unit).to_owned()),
                    None => Cell::Own,
                };
                (cell, *people)
            })
            .collect()
    }

    fn names(cells: &BTreeSet<Cell>) -> Vec<String> {
        cells
            .iter()
            .map(|cell| match cell {
                Cell::Subunit(unit) => unit.clone(),
                Cell::Own => "own".to_owned(),
            })
            .collect()
    }

    #[test]
    fn one_cell_per_row_is_never_left_alone() {
        let none = BTreeSet::new();
        let cases: &[(&str, Row<'_>, u32, &[&str])] = &[
            ("off", &[(Some("a"), 1), (Some("b"), 30)], 0, &[]),
            (
                "nothing small",
                &[(Some("a"), 5), (Some("b"), 30), (None, 7)],
                5,
                &[],
            ),
            (
                "the next smallest sub-unit complements",
                &[(Some("a"), 4), (Some("b"), 30), (Some("c"), 31)],
                5,
                &["a", "b"],
            ),
            (
                "ties by path",
                &[(Some("c"), 30), (Some("a"), 4), (Some("b"), 30)],
                5,
                &["a", "b"],
            ),
            (
                "sub-units before the unit's own members, however few",
                &[(Some("a"), 4), (Some("b"), 30), (None, 6)],
                5,
                &["a", "b"],
            ),
            (
                "own members complement when no sub-unit is left",
                &[(Some("a"), 4), (None, 6)],
                5,
                &["a", "own"],
            ),
            (
                "a small own cell is complemented by a sub-unit",
                &[(Some("a"), 30), (Some("b"), 40), (None, 1)],
                5,
                &["a", "own"],
            ),
            (
                "two small cells protect each other",
                &[(Some("a"), 4), (Some("b"), 3), (Some("c"), 30)],
                5,
                &["a", "b"],
            ),
            (
                "empty cells neither need nor give protection",
                &[(Some("a"), 4), (Some("b"), 0), (Some("c"), 30), (None, 0)],
                5,
                &["a", "c"],
            ),
            (
                "a lone small cell has nothing to hide behind",
                &[(Some("a"), 4)],
                5,
                &["a"],
            ),
            ("nobody at all", &[(Some("a"), 0), (None, 0)], 5, &[]),
        ];
        for (name, cells, min, expected) in cases {
            let suppressed = suppress(&row(cells), &none, *min);
            assert_eq!(names(&suppressed), *expected, "{name}");
        }
    }

    #[test]
    fn cells_suppressed_for_another_reason_stay_and_count_as_protection() {
        let cells = row(&[(Some("a"), 2), (Some("b"), 20), (Some("c"), 25), (None, 0)]);
        // "a" is small by this population; "b" was suppressed by staff already: no complement.
        let forced = BTreeSet::from([Cell::Subunit("b".to_owned())]);
        assert_eq!(names(&suppress(&cells, &forced, 5)), ["a", "b"]);
        // Forced but empty here: no protection, so "b" (then the smallest) joins.
        let cells = row(&[
            (Some("a"), 2),
            (Some("b"), 20),
            (Some("c"), 25),
            (Some("d"), 0),
        ]);
        let forced = BTreeSet::from([Cell::Subunit("d".to_owned())]);
        assert_eq!(names(&suppress(&cells, &forced, 5)), ["a", "b", "d"]);
    }

    #[test]
    fn cells_add_up_the_subtrees_of_the_direct_sub_units() {
        let counts = UnitCounts::from([
            (path(&["r"]), 1),
            (path(&["r", "a"]), 2),
            (path(&["r", "a", "x"]), 3),
            (path(&["r", "b"]), 4),
            (path(&["q"]), 100),
        ]);
        assert_eq!(
            cells(&counts, &path(&["r"])),
            BTreeMap::from([
                (Cell::Subunit(path(&["r", "a"])), 5),
                (Cell::Subunit(path(&["r", "b"])), 4),
                (Cell::Own, 1),
            ])
        );
        assert_eq!(
            cells(&counts, &path(&["r", "a"])),
            BTreeMap::from([(Cell::Subunit(path(&["r", "a", "x"])), 3), (Cell::Own, 2)])
        );
    }

    /// ```text
    /// r (authority, nobody of its own)
    /// └── p (nobody of its own)
    ///     ├── s: 4, with s1: 2 below it (s's own: 2)
    ///     ├── t: 30
    ///     └── u: 31
    /// v: 40 beside p
    /// ```
    fn tree() -> UnitCounts {
        UnitCounts::from([
            (path(&["r", "p", "s"]), 2),
            (path(&["r", "p", "s", "1"]), 2),
            (path(&["r", "p", "t"]), 30),
            (path(&["r", "p", "u"]), 31),
            (path(&["r", "v"]), 40),
        ])
    }

    #[test]
    fn a_report_is_withheld_when_its_unit_or_an_ancestor_is_suppressed() {
        let staff = tree();
        let at = |names: &[&str], subunits: bool| pattern(&path(names), subunits, 5, &staff, None);

        // The authority and p show; in p, s (4) and the next smallest, t, are suppressed.
        let p = at(&["r", "p"], true);
        assert!(!p.report);
        assert_eq!(
            p.subunits,
            BTreeSet::from([path(&["r", "p", "s"]), path(&["r", "p", "t"])])
        );
        assert!(!at(&["r"], true).report);
        // Asking for s, t, or anything below s directly shows nothing.
        assert!(at(&["r", "p", "s"], true).report);
        assert!(at(&["r", "p", "t"], true).report);
        assert!(at(&["r", "p", "t"], false).report);
        assert!(at(&["r", "p", "s", "1"], true).report);
        // u is shown, with or without sub-units (its own cell is everyone).
        assert!(!at(&["r", "p", "u"], true).report);
        assert!(!at(&["r", "p", "u"], false).report);
        // p's own members (nobody) are not suppressed: empty.
        assert!(!at(&["r", "p"], false).report);
        // Nothing at all is suppressed without a minimum.
        assert_eq!(
            pattern(&path(&["r", "p", "s"]), true, 0, &staff, None),
            Pattern::default()
        );
    }

    #[test]
    fn a_suppressed_own_cell_withholds_the_report_on_the_units_own_members() {
        let mut staff = tree();
        staff.insert(path(&["r"]), 1);
        // The authority's one own member is suppressed, and so is its smallest sub-unit, v
        // (40, against p's 65).
        let authority = pattern(&path(&["r"]), true, 5, &staff, None);
        assert!(!authority.report, "the authority's totals always show");
        assert!(authority.own);
        assert_eq!(authority.subunits, BTreeSet::from([path(&["r", "v"])]));
        assert!(pattern(&path(&["r"]), false, 5, &staff, None).report);
        assert!(pattern(&path(&["r", "v"]), true, 5, &staff, None).report);
    }

    #[test]
    fn a_smaller_population_suppresses_on_top_of_the_staff() {
        let staff = tree();
        // Of p's sub-units only u has people using AI systems, 2: below 5. s and t, suppressed
        // by staff, are empty here and protect nothing, and no other cell is left: u is
        // suppressed alone. (p's total gives it away, but p, with 2, is suppressed among the
        // authority's cells, so p's report is withheld.)
        let mut population = UnitCounts::from([(path(&["r", "p", "u"]), 2)]);
        let p = pattern(&path(&["r", "p"]), true, 5, &staff, Some(&population));
        assert!(p.report);
        assert_eq!(
            p.subunits,
            BTreeSet::from([
                path(&["r", "p", "s"]),
                path(&["r", "p", "t"]),
                path(&["r", "p", "u"]),
            ])
        );
        // In the authority's row, p (2 people) is the one small cell and v (20) complements it.
        population.insert(path(&["r", "v"]), 20);
        let authority = pattern(&path(&["r"]), true, 5, &staff, Some(&population));
        assert_eq!(
            authority.subunits,
            BTreeSet::from([path(&["r", "p"]), path(&["r", "v"])])
        );
        // So v's report, which the staff alone would show, is withheld for this population.
        assert!(!pattern(&path(&["r", "v"]), true, 5, &staff, None).report);
        assert!(pattern(&path(&["r", "v"]), true, 5, &staff, Some(&population)).report);
    }
}
