//! Learning: enrolments, lesson progress and completion, the learner's own list, and a course's
//! roster (`roster`).
//!
//! Who may do what:
//! - Every signed-in user may enrol in a published course they can see (`courses::load_visible`)
//!   and works through their own enrolments. Enrolments are private: someone else's enrolment
//!   is `NotFound`, as if it did not exist.
//! - A learner withdraws from a course they chose; an assignment is HR's to cancel.
//! - `HR` assigns a published course to users inside the subtrees their grants cover, and
//!   cancels assignments of users they cover. One user outside refuses the whole call.
//!
//! What a learner achieves counts through one path, `achievements::record_achievement`, called
//! inside the transaction of the event: a lesson done (`complete_lesson`) and an attempt scored
//! (`assessments`) both go through it. It records the results an attempt demonstrated, marks
//! lessons done (an assessment lesson is done by passing its assessment, in the learner's
//! active enrolment of each course that uses it), completes an enrolment when every lesson of
//! its course is done, and then, if a course was completed or an assessment passed, asks for
//! certificate issuance once.

mod achievements;
pub(crate) mod assignments;
mod enrolments;
mod profile;
mod recommendations;
mod roster;

pub(crate) use achievements::{Achievement, record_achievement};
pub use assignments::*;
pub use enrolments::*;
pub use profile::*;
pub use recommendations::*;
pub use roster::*;
