//! Where `classify`'s time goes, shown with `ASSAY_TIMINGS=1`: the stages of a record
//! (split, convert, match, sum) timed on one record in [`SAMPLE`] and scaled up, and the
//! reading and merging of chunks timed whole, so the next bottleneck is visible without a
//! profiler.

use std::time::{Duration, Instant};

/// One record in this many is timed: timing each would cost as much as the cheaper stages.
pub const SAMPLE: u64 = 64;

/// Time spent per stage. The record stages are summed over the threads (CPU time) and
/// cover only the sampled records.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Records timed.
    pub sampled: u64,
    pub split: Duration,
    /// Exclusions, the key and period, numbers read.
    pub convert: Duration,
    /// The table rows the inputs match.
    pub matching: Duration,
    /// Adding the record to its entity's sums.
    pub sum: Duration,
    /// Reading chunks from the file (beside the classifying of the chunks before).
    pub read: Duration,
    /// Merging each chunk's sums into the run's.
    pub merge: Duration,
}

impl Phases {
    pub fn add(&mut self, other: &Phases) {
        self.sampled = self.sampled.saturating_add(other.sampled);
        for (a, b) in [
            (&mut self.split, other.split),
            (&mut self.convert, other.convert),
            (&mut self.matching, other.matching),
            (&mut self.sum, other.sum),
            (&mut self.read, other.read),
            (&mut self.merge, other.merge),
        ] {
            *a = a.saturating_add(b);
        }
    }

    /// The lines `ASSAY_TIMINGS` prints for a run over `records` records.
    pub fn report(&self, records: u64) -> Vec<String> {
        let scale = records as f64 / (self.sampled.max(1) as f64);
        let stage = |d: Duration| format!("{:.3} s", d.as_secs_f64() * scale);
        vec![
            format!("timing: read: {:.3} s (while earlier chunks are classified)", self.read.as_secs_f64()),
            format!(
                "timing: split {}, convert {}, match {}, sum {} (CPU over all threads, from 1 record in {SAMPLE})",
                stage(self.split),
                stage(self.convert),
                stage(self.matching),
                stage(self.sum)
            ),
            format!("timing: merge: {:.3} s", self.merge.as_secs_f64()),
        ]
    }
}

/// A stopwatch over one record's stages, running only for sampled records.
pub struct Clock {
    on: bool,
    last: Instant,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock { on: false, last: Instant::now() }
    }
}

impl Clock {
    /// Start timing a record, if it is sampled.
    pub fn start(&mut self, sampled: bool) {
        self.on = sampled;
        if sampled {
            self.last = Instant::now();
        }
    }

    pub fn on(&self) -> bool {
        self.on
    }

    /// Add the time since the last lap to `stage`.
    pub fn lap(&mut self, stage: &mut Duration) {
        if self.on {
            let now = Instant::now();
            *stage = stage.saturating_add(now.saturating_duration_since(self.last));
            self.last = now;
        }
    }
}
