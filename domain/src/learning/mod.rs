//! Learning: enrolments, lesson progress and completion, and the learner's own list.
//!
//! Who may do what:
//! - Every signed-in user may enrol in a published course they can see (`courses::load_visible`)
//!   and works through their own enrolments. Enrolments are private: someone else's enrolment
//!   is `NotFound`, as if it did not exist.
//! - A learner withdraws from a course they chose; an assignment is HR's to cancel.
//! - `HR` assigns a published course to users inside the subtrees their grants cover, and
//!   cancels assignments of users they cover. One user outside refuses the whole call.
//!
//! A course completes when every lesson is done ([`mark_lesson_done`], the one place that
//! records a lesson and completes the enrolment). Assessment lessons are done by passing their
//! assessment: scoring a passed attempt marks the lesson done in the learner's active enrolment
//! of each course that uses the assessment (see `assessments`).

mod assignments;
mod enrolments;
mod profile;
mod recommendations;

pub use assignments::*;
pub use enrolments::*;
pub use profile::*;
pub use recommendations::*;
