//! Descriptions of the types async-graphql generates itself (connections, edges, `PageInfo`,
//! `DateTime`), which no doc comment of ours reaches. `schema.graphql` is what client developers
//! read, and the schema test requires a description on every type in it.

use async_graphql::{
    EmptySubscription, SchemaBuilder,
    connection::{Connection, Edge, EmptyFields, PageInfo},
};
use chrono::{DateTime, Utc};

use super::{
    Mutation, Query,
    accounts::User,
    ai_register::AiActGap,
    audit::AuditEvent,
    certificates::Certificate,
    courses::Course,
    learning::Enrollment,
    notifications::Notification,
    reports::{StaffGapEntry, UncertifiedEntry},
    rollouts::RolloutPerson,
};

/// Gives the generated types their descriptions.
pub fn describe_generated_types(
    builder: SchemaBuilder<Query, Mutation, EmptySubscription>,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    builder
        .override_output_type_description::<DateTime<Utc>>(
            "A point in time, as an RFC 3339 string. Returned in UTC, with fractional seconds \
             when there are any (e.g. `2026-12-01T09:30:00.123456+00:00`); accepted with any \
             offset (e.g. `2026-12-01T10:30:00+01:00` or `2026-12-01T09:30:00Z`), and stored in \
             UTC.",
        )
        .override_output_type_description::<PageInfo>(
            "Where a page of a list stands: whether more items follow, and the cursor to pass as \
             `after` to get them. Only forward paging (`first`, `after`) is supported.",
        )
        .override_output_type_description::<Connection<String, Course>>(
            "One page of the course catalogue, in the order the query gives.",
        )
        .override_output_type_description::<Edge<String, Course, EmptyFields>>(
            "A course on a page of the catalogue, with its cursor.",
        )
        .override_output_type_description::<Connection<String, Enrollment>>(
            "One page of enrolments, in the order the field gives.",
        )
        .override_output_type_description::<Edge<String, Enrollment, EmptyFields>>(
            "An enrolment on a page, with its cursor.",
        )
        .override_output_type_description::<Connection<String, StaffGapEntry>>(
            "One page of the staff with a skill gap, largest total gap first.",
        )
        .override_output_type_description::<Edge<String, StaffGapEntry, EmptyFields>>(
            "A staff member with a skill gap, with their cursor.",
        )
        .override_output_type_description::<Connection<String, UncertifiedEntry>>(
            "One page of the people using AI systems without a valid certificate.",
        )
        .override_output_type_description::<Edge<String, UncertifiedEntry, EmptyFields>>(
            "A person using AI systems without a valid certificate, with their cursor.",
        )
        .override_output_type_description::<Connection<String, AiActGap>>(
            "One page of the people with a gap for an AI system, most urgent first.",
        )
        .override_output_type_description::<Edge<String, AiActGap, EmptyFields>>(
            "A person with a gap for an AI system, with their cursor.",
        )
        .override_output_type_description::<Connection<String, RolloutPerson>>(
            "One page of the people not yet ready for a rollout, by name.",
        )
        .override_output_type_description::<Edge<String, RolloutPerson, EmptyFields>>(
            "A person not yet ready for a rollout, with their cursor.",
        )
        .override_output_type_description::<Connection<String, Notification>>(
            "One page of your notifications, newest first.",
        )
        .override_output_type_description::<Edge<String, Notification, EmptyFields>>(
            "A notification on a page, with its cursor.",
        )
        .override_output_type_description::<Connection<String, User>>(
            "One page of the people directory, in name order.",
        )
        .override_output_type_description::<Edge<String, User, EmptyFields>>(
            "A person on a page of the directory, with their cursor.",
        )
        .override_output_type_description::<Connection<String, Certificate>>(
            "One page of the certificates of the people you administer, newest first.",
        )
        .override_output_type_description::<Edge<String, Certificate, EmptyFields>>(
            "A certificate on a page of the administration list, with its cursor.",
        )
        .override_output_type_description::<Connection<String, AuditEvent>>(
            "One page of the audit trail, newest first.",
        )
        .override_output_type_description::<Edge<String, AuditEvent, EmptyFields>>(
            "An audit event on a page of the trail, with its cursor.",
        )
}
