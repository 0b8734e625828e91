//! The time background work goes by: the system clock, moved by an offset that development and
//! tests can set (`GOVSKILLS_CLOCK_OFFSET_DAYS`, refused in production), so that a week of
//! reminders can be seen without waiting a week.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The system clock plus an offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// The system clock moved by `offset`.
    pub fn with_offset(offset: Duration) -> Self {
        Self {
            offset_secs: AtomicI64::new(offset.num_seconds()),
        }
    }

    /// Now, as background work sees it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}
