//! Phase timings for profiling: printed only when `ASSAY_TIMINGS` is set.

/// Phase timings on standard error when `ASSAY_TIMINGS` is set: a profiling aid for the
/// benchmarks, silent otherwise.
pub struct Timer {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl Timer {
    pub fn start() -> Timer {
        Timer { on: std::env::var_os("ASSAY_TIMINGS").is_some(), last: std::cell::Cell::new(std::time::Instant::now()) }
    }

    pub fn lap(&self, what: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!("timing: {what}: {:.3} s", (now - self.last.get()).as_secs_f64());
            self.last.set(now);
        }
    }
}
