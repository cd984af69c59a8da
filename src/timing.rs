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
            eprintln!(
                "timing: {what}: {:.3} s{}",
                now.saturating_duration_since(self.last.get()).as_secs_f64(),
                memory()
            );
            self.last.set(now);
        }
    }
}

/// Resident and peak resident memory, where the system says (Linux): in the benchmarks
/// touching fresh memory costs as much as computing, so each phase shows what it holds.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return String::new() };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!(" (resident {} MB, peak {} MB)", rss / 1024, peak / 1024),
        _ => String::new(),
    }
}
