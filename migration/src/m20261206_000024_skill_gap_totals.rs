//! Per-person skill-gap totals (issue 21): `skill_gap_totals` holds, per person, org unit and
//! framework, the sum of the person's gaps in the competences their job role requires and in
//! how many of them they are below the level required; both also as they are when only
//! verified results count (the staff council's pass/fail setting). So the skill-gap report's
//! staff page ranks a ministry of 100,000 by adding up about one row per person instead of
//! joining every person with every requirement and current level.
//!
//! The rows are kept exactly as `skill_gap_counts` (migration 000023) is: by triggers on the
//! same tables, with the same row locks on PostgreSQL, each only ever inserting the
//! difference its row makes; the worker folds each key's rows into one. Only active staff
//! count, under the unit they are in. Archived competences are counted here and taken out when
//! reading (archiving is rare, and needs no trigger that way).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m20261206_000023_skill_gap_counts::{
    BACKFILL, create_triggers, drop_triggers, triggers,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PREFIX: &str = "skill_gap_totals";

/// Adds `sign` times the gaps of the rows of `rows` (as described in migration 000023: unit
/// `a`, competence `b`, required level `c`, current level `d`, verified `e`, person `p`) to
/// the totals of each person, unit and framework.
fn add(rows: &str, sign: i32) -> String {
    // With only verified results counting, an unverified current level is none.
    let gap = "CASE WHEN x.c > x.d THEN x.c - x.d ELSE 0 END";
    let below = "CASE WHEN x.c > x.d THEN 1 ELSE 0 END";
    let verified_gap = format!("CASE WHEN x.e THEN {gap} WHEN x.c > 0 THEN x.c ELSE 0 END");
    let verified_below = format!("CASE WHEN x.e THEN {below} WHEN x.c > 0 THEN 1 ELSE 0 END");
    format!(
        "INSERT INTO skill_gap_totals \
           (user_id, org_unit_id, framework_id, total_gap, below, verified_gap, verified_below) \
         SELECT x.p, x.a, k.framework_id, {sign} * SUM({gap}), {sign} * SUM({below}), \
           {sign} * SUM({verified_gap}), {sign} * SUM({verified_below}) \
         FROM ({rows}) AS x JOIN competences k ON k.id = x.b \
         GROUP BY x.p, x.a, k.framework_id"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SkillGapTotals::Table)
                    .col(uuid(SkillGapTotals::UserId))
                    .col(uuid(SkillGapTotals::OrgUnitId))
                    .col(uuid(SkillGapTotals::FrameworkId))
                    // The sum of the person's gaps and in how many competences they fall
                    // short; then the same with only verified results counting.
                    .col(integer(SkillGapTotals::TotalGap))
                    .col(integer(SkillGapTotals::Below))
                    .col(integer(SkillGapTotals::VerifiedGap))
                    .col(integer(SkillGapTotals::VerifiedBelow))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_skill_gap_totals_unit")
                    .table(SkillGapTotals::Table)
                    .col(SkillGapTotals::OrgUnitId)
                    .to_owned(),
            )
            .await?;
        create_triggers(manager, triggers(PREFIX, add)).await?;
        let db = manager.get_connection();
        db.execute_unprepared(&add(BACKFILL, 1)).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ANALYZE skill_gap_totals").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_triggers(manager, triggers(PREFIX, add)).await?;
        manager
            .drop_table(Table::drop().table(SkillGapTotals::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SkillGapTotals {
    Table,
    UserId,
    OrgUnitId,
    FrameworkId,
    TotalGap,
    Below,
    VerifiedGap,
    VerifiedBelow,
}
