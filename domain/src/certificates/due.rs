//! When a certificate is due, as a pure function of facts gathered beforehand (see
//! [`super::issue_due`]). Nothing here reads the database, so the rule is tested as a table.
//!
//! A certificate of a template is due to a person when:
//! - the template applies to them: it is for everyone, or for the subtree of a unit their own
//!   unit lies in;
//! - they meet every criterion: each course completed (in that version or a later one), each
//!   assessment passed with at least its minimum percent;
//! - they hold no valid certificate of it (neither revoked nor expired), or the one they hold
//!   predates retraining (below);
//! - and, for a renewal (after expiry or revocation), at least one criterion was met after the
//!   previous certificate ended. Otherwise any later event would silently renew an expired
//!   certificate on old evidence, and a validity period would mean nothing.
//!
//! One exception: a certificate revoked because the key that signed it was compromised
//! ([`RevocationKind::KeyCompromise`]) was not the holder's fault, so it is re-issued on the
//! evidence it was issued for, without fresh evidence ([`Due::Reissue`]). The re-issue keeps the
//! revoked certificate's expiry: a new signature is not a new validity period. Once that expiry
//! has passed, the ordinary renewal rule applies again.
//!
//! Renewal after retraining: when the template is tied to AI systems of the holder's authority
//! (a measure of the system names it) and a change to one of them needed retraining, the
//! evidence of the AI register counts a certificate issued before that change as stale. So a
//! valid certificate does not stop a new one when it was issued before the latest such change
//! of those systems ([`Criteria::retraining_since`]) and the criteria were met at or after the
//! change (the reopened course completed again, say): the new certificate is due as an
//! ordinary renewal ([`Due::Issue`], the next sequence, a full validity period), and the old
//! one stays valid until it expires or is revoked. Without a criterion met since the change,
//! the old certificate stands (`StillValid`). Certificates carry their issue time to the second
//! (the credential's `validFrom`), so "issued before the change" compares with the change's
//! time to the second ([`issued_since`]): a certificate issued in the same second as the change
//! counts as issued after it, which the evidence counts the same way.
//!
//! Recertification: when the template has one ([`Criteria::recertify_days_before`]), its
//! holders are assigned the course again that many days before expiry, and criteria met again
//! from then on (after the certificate's issue) renew a still valid certificate at once, with a
//! full validity period, so that a holder who recertifies in time is never without one.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound as _, Utc};
use uuid::Uuid;

use crate::entities::certificate::RevocationKind;

/// What a person has done that a criterion can name.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// The materialised path of the person's org unit.
    pub holder_path: String,
    /// Courses completed, each with when; an earlier version of a completed course counts as
    /// completed then too.
    pub courses_done: HashMap<Uuid, DateTime<Utc>>,
    /// Passed attempts.
    pub passed: Vec<PassedAttempt>,
}

/// A passed, scored attempt.
#[derive(Clone, Copy, Debug)]
pub struct PassedAttempt {
    pub assessment_id: Uuid,
    pub percent: f64,
    pub submitted_at: DateTime<Utc>,
}

/// A template's criteria and whom it is for.
#[derive(Clone, Debug, Default)]
pub struct Criteria {
    /// The path of the unit whose staff may earn it; `None`: everyone.
    pub unit_path: Option<String>,
    /// Courses to complete.
    pub courses: Vec<Uuid>,
    /// Assessments to pass, each with its minimum percent.
    pub assessments: Vec<(Uuid, f64)>,
    /// The latest change that needed retraining among the AI systems (not retired, of the
    /// holder's authority) the template is tied to; `None` if there was none.
    pub retraining_since: Option<DateTime<Utc>>,
    /// Days before expiry that holders recertify (the template's recertification), if it has
    /// one: criteria met again from then on renew a still valid certificate.
    pub recertify_days_before: Option<i64>,
}

/// Whether a certificate issued at `issued_at` (to the second) counts as issued at or after a
/// change recorded at `since`: compared to the second, so one issued in the same second as the
/// change counts as after it (see the module docs).
pub fn issued_since(issued_at: DateTime<Utc>, since: DateTime<Utc>) -> bool {
    issued_at >= since.trunc_subsecs(0)
}

/// A certificate of the template the person already holds (or held).
#[derive(Clone, Copy, Debug)]
pub struct Held {
    pub sequence: i32,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked, if it was.
    pub revocation_kind: Option<RevocationKind>,
}

impl Held {
    /// When it stopped counting, if it has: revoked, else expired.
    fn ended(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.revoked_at
            .or(self.expires_at.filter(|expires_at| *expires_at <= now))
    }

    /// Whether it was revoked through no fault of the holder and would still be valid at `now`
    /// had it not been: then it is re-issued without fresh evidence.
    fn reissuable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_some()
            && self.revocation_kind == Some(RevocationKind::KeyCompromise)
            && self.expires_at.is_none_or(|expires_at| expires_at > now)
    }

    /// Whether it is in its recertification window (the template's days before its expiry)
    /// and the criteria were met again within it: then it is renewed though still valid.
    fn recertified(&self, criteria: &Criteria, met_at: DateTime<Utc>) -> bool {
        match (criteria.recertify_days_before, self.expires_at) {
            (Some(days), Some(expires_at)) => {
                met_at >= expires_at - chrono::Duration::days(days) && met_at > self.issued_at
            }
            _ => false,
        }
    }

    /// Whether it was issued before the latest change that needed retraining, while the
    /// criteria were met again at or after that change: then it is renewed though still valid.
    fn retrained_since(&self, criteria: &Criteria, met_at: DateTime<Utc>) -> bool {
        criteria
            .retraining_since
            .is_some_and(|since| !issued_since(self.issued_at, since) && met_at >= since)
    }
}

/// The rule's answer for one template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Issue the certificate with this sequence number (1 for the first, one more per renewal).
    Issue { sequence: i32 },
    /// Re-issue a certificate revoked through no fault of the holder (its key was compromised)
    /// with this sequence number, expiring when the revoked one would have.
    Reissue {
        sequence: i32,
        expires_at: Option<DateTime<Utc>>,
    },
    /// The template is for another unit's staff.
    NotForHolder,
    /// A criterion is not met (or the template names none).
    NotMet,
    /// The person holds a valid certificate of it (issued after any change that needed
    /// retraining, or with no criterion met since).
    StillValid,
    /// The previous certificate ended, and no criterion was met since.
    NoFreshEvidence,
}

/// Decides whether a certificate of a template with `criteria` is due to a person with
/// `evidence`, who holds the certificates `held` of it, at `now` (see the module docs).
pub fn due(criteria: &Criteria, evidence: &Evidence, held: &[Held], now: DateTime<Utc>) -> Due {
    if let Some(unit_path) = &criteria.unit_path
        && !evidence.holder_path.starts_with(unit_path.as_str())
    {
        return Due::NotForHolder;
    }
    let Some(met_at) = met_at(criteria, evidence) else {
        return Due::NotMet;
    };
    let Some(previous) = held.iter().max_by_key(|held| held.sequence) else {
        return Due::Issue { sequence: 1 };
    };
    match previous.ended(now) {
        // Retraining after a change to a system the template is tied to, done since: a renewal
        // with a full validity period; the valid certificate stays as it is.
        None if previous.retrained_since(criteria, met_at) => Due::Issue {
            sequence: previous.sequence + 1,
        },
        // Recertification: the course taken again in the weeks before expiry earns the next
        // certificate at once, so the holder is never without one.
        None if previous.recertified(criteria, met_at) => Due::Issue {
            sequence: previous.sequence + 1,
        },
        None => Due::StillValid,
        // Fresh evidence earns a full validity period, whatever ended the previous one.
        Some(ended) if met_at > ended => Due::Issue {
            sequence: previous.sequence + 1,
        },
        Some(_) if previous.reissuable(now) => Due::Reissue {
            sequence: previous.sequence + 1,
            expires_at: previous.expires_at,
        },
        Some(_) => Due::NoFreshEvidence,
    }
}

/// When the last criterion was met, if every one is (and there is one at all).
fn met_at(criteria: &Criteria, evidence: &Evidence) -> Option<DateTime<Utc>> {
    let courses = criteria
        .courses
        .iter()
        .map(|course_id| evidence.courses_done.get(course_id).copied());
    let assessments = criteria
        .assessments
        .iter()
        .map(|(assessment_id, min_percent)| {
            evidence
                .passed
                .iter()
                .filter(|a| a.assessment_id == *assessment_id && a.percent >= *min_percent)
                .map(|a| a.submitted_at)
                .max()
        });
    courses
        .chain(assessments)
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .max()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone as _};

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Day `n` of a fixed calendar, so every case reads as a timeline.
    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .expect("a valid date")
            + Duration::days(n)
    }

    const COURSE_A: u128 = 1;
    const COURSE_B: u128 = 2;
    const TEST: u128 = 10;
    const NOW: i64 = 100;

    struct Case {
        name: &'static str,
        criteria: Criteria,
        /// Courses done: (course, day).
        courses_done: &'static [(u128, i64)],
        /// Passed attempts: (assessment, percent, day).
        passed: &'static [(u128, f64, i64)],
        /// Held certificates: (sequence, issued on day, expires on day, revoked on day).
        held: &'static [(i32, i64, Option<i64>, Option<i64>)],
        /// The sequences of the held certificates revoked because their key was compromised
        /// (any other revoked one was withdrawn by an administrator).
        compromised: &'static [i32],
        expected: Due,
    }

    fn courses(ids: &[u128]) -> Criteria {
        Criteria {
            courses: ids.iter().copied().map(id).collect(),
            ..Criteria::default()
        }
    }

    fn assessment(min_percent: f64) -> Criteria {
        Criteria {
            assessments: vec![(id(TEST), min_percent)],
            ..Criteria::default()
        }
    }

    /// `courses(ids)` for a template tied to systems last changed with retraining on `day`.
    fn retrained(ids: &[u128], on: i64) -> Criteria {
        Criteria {
            retraining_since: Some(day(on)),
            ..courses(ids)
        }
    }

    fn recertifying(ids: &[u128], days_before: i64) -> Criteria {
        Criteria {
            recertify_days_before: Some(days_before),
            ..courses(ids)
        }
    }

    #[test]
    fn the_issuance_rule_holds_for_every_case_in_the_table() {
        let cases = [
            Case {
                name: "first issuance: the only course completed",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 90)],
                passed: &[],
                held: &[],
                compromised: &[],
                expected: Due::Issue { sequence: 1 },
            },
            Case {
                name: "criteria half met: one of two courses completed",
                criteria: courses(&[COURSE_A, COURSE_B]),
                courses_done: &[(COURSE_A, 90)],
                passed: &[],
                held: &[],
                compromised: &[],
                expected: Due::NotMet,
            },
            Case {
                name: "criteria fully met: both courses completed",
                criteria: courses(&[COURSE_A, COURSE_B]),
                courses_done: &[(COURSE_A, 90), (COURSE_B, 95)],
                passed: &[],
                held: &[],
                compromised: &[],
                expected: Due::Issue { sequence: 1 },
            },
            Case {
                name: "a course and an assessment: the assessment not passed",
                criteria: Criteria {
                    courses: vec![id(COURSE_A)],
                    assessments: vec![(id(TEST), 70.0)],
                    ..Criteria::default()
                },
                courses_done: &[(COURSE_A, 90)],
                passed: &[],
                held: &[],
                compromised: &[],
                expected: Due::NotMet,
            },
            Case {
                name: "only an assessment criterion, passed above the minimum",
                criteria: assessment(80.0),
                courses_done: &[],
                passed: &[(TEST, 90.0, 90)],
                held: &[],
                compromised: &[],
                expected: Due::Issue { sequence: 1 },
            },
            Case {
                name: "minimum percent not reached (passed, but below the template's minimum)",
                criteria: assessment(80.0),
                courses_done: &[],
                passed: &[(TEST, 79.9, 90)],
                held: &[],
                compromised: &[],
                expected: Due::NotMet,
            },
            Case {
                name: "minimum percent reached exactly",
                criteria: assessment(80.0),
                courses_done: &[],
                passed: &[(TEST, 80.0, 90)],
                held: &[],
                compromised: &[],
                expected: Due::Issue { sequence: 1 },
            },
            Case {
                name: "another assessment passed does not count",
                criteria: assessment(0.0),
                courses_done: &[],
                passed: &[(TEST + 1, 100.0, 90)],
                held: &[],
                compromised: &[],
                expected: Due::NotMet,
            },
            Case {
                name: "a template with no criteria is never due",
                criteria: Criteria::default(),
                courses_done: &[(COURSE_A, 90)],
                passed: &[(TEST, 100.0, 90)],
                held: &[],
                compromised: &[],
                expected: Due::NotMet,
            },
            Case {
                name: "a valid certificate is held: nothing more",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 99)],
                passed: &[],
                held: &[(1, 0, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "a certificate without expiry stays valid",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 99)],
                passed: &[],
                held: &[(1, 0, None, None)],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "renewal after expiry: a criterion met after it expired",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 0, Some(90), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "no renewal after expiry on evidence from before it ended",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 50)],
                passed: &[],
                held: &[(1, 0, Some(90), None)],
                compromised: &[],
                expected: Due::NoFreshEvidence,
            },
            Case {
                name: "no renewal on evidence from the very moment it ended",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 90)],
                passed: &[],
                held: &[(1, 0, Some(90), None)],
                compromised: &[],
                expected: Due::NoFreshEvidence,
            },
            Case {
                name: "renewal after revocation: a criterion met after the revocation",
                criteria: assessment(70.0),
                courses_done: &[],
                passed: &[(TEST, 75.0, 60), (TEST, 85.0, 95)],
                held: &[(1, 0, None, Some(90))],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "no renewal after revocation on evidence from before it",
                criteria: assessment(70.0),
                courses_done: &[],
                passed: &[(TEST, 85.0, 60)],
                held: &[(1, 0, None, Some(90))],
                compromised: &[],
                expected: Due::NoFreshEvidence,
            },
            Case {
                name: "a revoked certificate ended when revoked, though its expiry is later",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 0, Some(NOW + 300), Some(90))],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "one fresh criterion of two is enough for a renewal",
                criteria: courses(&[COURSE_A, COURSE_B]),
                courses_done: &[(COURSE_A, 10), (COURSE_B, 95)],
                passed: &[],
                held: &[(1, 0, Some(90), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "the latest certificate decides, and the sequence follows it",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(2, 45, Some(90), None), (1, 0, Some(40), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 3 },
            },
            Case {
                name: "a template of the holder's own unit applies",
                criteria: Criteria {
                    unit_path: Some("/root/ministry/".into()),
                    ..courses(&[COURSE_A])
                },
                courses_done: &[(COURSE_A, 90)],
                passed: &[],
                held: &[],
                compromised: &[],
                expected: Due::Issue { sequence: 1 },
            },
            Case {
                name: "a template of another unit does not",
                criteria: Criteria {
                    unit_path: Some("/root/other/".into()),
                    ..courses(&[COURSE_A])
                },
                courses_done: &[(COURSE_A, 90)],
                passed: &[],
                held: &[],
                compromised: &[],
                expected: Due::NotForHolder,
            },
            Case {
                name: "a key compromise is not the holder's fault: re-issued without fresh evidence, same expiry",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 50)],
                passed: &[],
                held: &[(1, 0, Some(NOW + 300), Some(NOW))],
                compromised: &[1],
                expected: Due::Reissue {
                    sequence: 2,
                    expires_at: Some(day(NOW + 300)),
                },
            },
            Case {
                name: "a certificate without expiry is re-issued without expiry after a key compromise",
                criteria: assessment(70.0),
                courses_done: &[],
                passed: &[(TEST, 85.0, 60)],
                held: &[(1, 0, None, Some(90))],
                compromised: &[1],
                expected: Due::Reissue {
                    sequence: 2,
                    expires_at: None,
                },
            },
            Case {
                name: "no re-issue after a key compromise once the revoked certificate would have expired",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 50)],
                passed: &[],
                held: &[(1, 0, Some(95), Some(90))],
                compromised: &[1],
                expected: Due::NoFreshEvidence,
            },
            Case {
                name: "fresh evidence after a key compromise earns a full renewal",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 0, Some(NOW + 300), Some(90))],
                compromised: &[1],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "criteria that no longer hold are not re-issued after a key compromise",
                criteria: courses(&[COURSE_A, COURSE_B]),
                courses_done: &[(COURSE_A, 50)],
                passed: &[],
                held: &[(1, 0, None, Some(90))],
                compromised: &[1],
                expected: Due::NotMet,
            },
            Case {
                name: "a re-issued certificate that is valid is held: nothing more",
                criteria: courses(&[COURSE_A]),
                courses_done: &[(COURSE_A, 50)],
                passed: &[],
                held: &[(1, 0, None, Some(90)), (2, 90, None, None)],
                compromised: &[1],
                expected: Due::StillValid,
            },
            Case {
                name: "retraining after the certificate, completed again since: renewed while still valid",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 50, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "retraining after a certificate without expiry, completed again since: renewed",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 50, None, None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "retraining after the certificate, nothing met since: it stands",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 45)],
                passed: &[],
                held: &[(1, 50, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "criteria met at the very moment of the change count as met since",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 80)],
                passed: &[],
                held: &[(1, 50, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "one criterion of two met since the change is enough",
                criteria: retrained(&[COURSE_A, COURSE_B], 80),
                courses_done: &[(COURSE_A, 40), (COURSE_B, 95)],
                passed: &[],
                held: &[(1, 50, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "criteria no longer met after the change: nothing",
                criteria: retrained(&[COURSE_A, COURSE_B], 80),
                courses_done: &[(COURSE_B, 95)],
                passed: &[],
                held: &[(1, 50, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::NotMet,
            },
            Case {
                name: "a certificate issued after the change is not renewed again",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 95, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "the renewal after retraining is held: nothing more",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[
                    (1, 50, Some(NOW + 300), None),
                    (2, 95, Some(NOW + 400), None),
                ],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "a renewal after retraining follows the latest certificate's sequence",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(2, 45, Some(NOW + 300), None), (1, 0, Some(40), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 3 },
            },
            Case {
                name: "after retraining, an expired certificate renews by the ordinary rule",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 70)],
                passed: &[],
                held: &[(1, 10, Some(60), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "after retraining, a revoked certificate still needs evidence after the revocation",
                criteria: retrained(&[COURSE_A], 80),
                courses_done: &[(COURSE_A, 85)],
                passed: &[],
                held: &[(1, 10, None, Some(90))],
                compromised: &[],
                expected: Due::NoFreshEvidence,
            },
            Case {
                name: "a retraining that predates the certificate changes nothing",
                criteria: retrained(&[COURSE_A], 40),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 50, Some(NOW + 300), None)],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "recertification: the course taken again in the window before expiry renews",
                criteria: recertifying(&[COURSE_A], 30),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 10, Some(NOW + 20), None)],
                compromised: &[],
                expected: Due::Issue { sequence: 2 },
            },
            Case {
                name: "recertification: before the window, a completion renews nothing",
                criteria: recertifying(&[COURSE_A], 30),
                courses_done: &[(COURSE_A, 60)],
                passed: &[],
                held: &[(1, 10, Some(NOW + 40), None)],
                compromised: &[],
                expected: Due::StillValid,
            },
            Case {
                name: "recertification: the completion the certificate was issued for is no renewal",
                criteria: recertifying(&[COURSE_A], 30),
                courses_done: &[(COURSE_A, 95)],
                passed: &[],
                held: &[(1, 95, Some(NOW + 20), None)],
                compromised: &[],
                expected: Due::StillValid,
            },
        ];
        for case in cases {
            let evidence = Evidence {
                holder_path: "/root/ministry/department/".into(),
                courses_done: case
                    .courses_done
                    .iter()
                    .map(|&(course, on)| (id(course), day(on)))
                    .collect(),
                passed: case
                    .passed
                    .iter()
                    .map(|&(assessment, percent, on)| PassedAttempt {
                        assessment_id: id(assessment),
                        percent,
                        submitted_at: day(on),
                    })
                    .collect(),
            };
            let held: Vec<Held> = case
                .held
                .iter()
                .map(|&(sequence, issued, expires, revoked)| Held {
                    sequence,
                    issued_at: day(issued),
                    expires_at: expires.map(day),
                    revoked_at: revoked.map(day),
                    revocation_kind: revoked.map(|_| {
                        if case.compromised.contains(&sequence) {
                            RevocationKind::KeyCompromise
                        } else {
                            RevocationKind::Withdrawn
                        }
                    }),
                })
                .collect();
            assert_eq!(
                due(&case.criteria, &evidence, &held, day(NOW)),
                case.expected,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn a_certificate_issued_in_the_same_second_as_the_change_counts_as_issued_after_it() {
        let second = day(80);
        let change = second + Duration::milliseconds(500);
        assert!(issued_since(second, change));
        assert!(issued_since(second + Duration::seconds(1), change));
        assert!(!issued_since(second - Duration::seconds(1), change));
        let held = [Held {
            sequence: 1,
            issued_at: second,
            expires_at: None,
            revoked_at: None,
            revocation_kind: None,
        }];
        let evidence = Evidence {
            holder_path: "/root/".into(),
            courses_done: [(id(COURSE_A), change + Duration::milliseconds(200))]
                .into_iter()
                .collect(),
            passed: Vec::new(),
        };
        let criteria = Criteria {
            retraining_since: Some(change),
            ..courses(&[COURSE_A])
        };
        assert_eq!(due(&criteria, &evidence, &held, day(NOW)), Due::StillValid);
    }
}
