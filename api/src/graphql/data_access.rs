//! Reads of other people's learning data, recorded once per request.
//!
//! A resolver that hands out someone's enrolments, competence levels or certificates calls
//! [`note`]; when the request has run, [`PersonalDataReads::flush`] writes one audit event per
//! person read (not one per field or per row), all in one statement. If that write fails the
//! answer is withheld: nobody reads what the audit trail does not show.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex, PoisonError},
};

use async_graphql::Context;
use govskills_domain::audit;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::context::actor;
use crate::error::{ApiError, ApiResult};

/// What one request read of other people's learning data.
#[derive(Default)]
pub struct PersonalDataReads(Mutex<Reads>);

#[derive(Default)]
struct Reads {
    people: BTreeSet<Uuid>,
    fields: BTreeSet<&'static str>,
}

impl PersonalDataReads {
    /// Whether the request has read anybody's learning data so far.
    pub fn is_empty(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .people
            .is_empty()
    }

    /// Writes the events of this request's reads, if there were any, as done by `actor`.
    pub async fn flush(
        &self,
        db: &DatabaseConnection,
        actor: Uuid,
        operation: Option<&str>,
    ) -> govskills_domain::Result<()> {
        let reads = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        let people: Vec<Uuid> = reads.people.into_iter().collect();
        let fields: Vec<&str> = reads.fields.into_iter().collect();
        audit::record_reads(db, actor, &people, &fields, operation).await
    }
}

/// Notes that this request hands out `field` of `person`'s learning data (nothing is noted for
/// one's own).
pub fn note(ctx: &Context<'_>, person: Uuid, field: &'static str) -> ApiResult<()> {
    if actor(ctx)?.id() == person {
        return Ok(());
    }
    let reads = ctx
        .data::<Arc<PersonalDataReads>>()
        .map_err(|err| ApiError::internal(&anyhow::anyhow!("read log missing: {}", err.message)))?;
    let mut reads = reads.0.lock().unwrap_or_else(PoisonError::into_inner);
    reads.people.insert(person);
    reads.fields.insert(field);
    Ok(())
}
