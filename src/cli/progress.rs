//! A progress spinner (a bar once the work is counted) on standard error that appears only
//! once work has taken over a second, and only on a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl Progress {
    pub fn new() -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Progress { bar, started: Instant::now(), shown: false }
    }

    /// Say what is being done now; shows the spinner once a second has passed.
    pub fn step(&mut self, message: impl Into<String>) {
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) && std::io::stderr().is_terminal() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(120));
            self.shown = true;
        }
        self.bar.set_message(message.into());
    }

    /// Say how far through `total` items the work is: a bar from then on.
    pub fn count(&mut self, done: usize, total: usize, what: &str) {
        if self.bar.length().is_none() {
            self.bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed}, {eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        self.bar.set_length(u64::try_from(total).unwrap_or(u64::MAX));
        self.bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        self.step(what.to_string());
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A command that stops early (`?`) leaves no spinner behind on the terminal.
impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}
