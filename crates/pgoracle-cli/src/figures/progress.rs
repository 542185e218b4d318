//! A progress bar (indicatif) that appears only when generating the figures takes longer than
//! a couple of seconds, and only on an interactive terminal.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run must last before its progress bar is drawn.
const DELAY: Duration = Duration::from_secs(2);

/// Progress of `pgoracle figures`, counted in units of work (one per figure part).
pub struct Progress {
    bar: ProgressBar,
    /// Units ticked. Kept apart from the bar's position, which finishing sets to the length.
    done: u64,
    start: Instant,
    visible: bool,
    enabled: bool,
}

impl Progress {
    /// Progress that is never drawn (tests, library use).
    pub fn hidden() -> Self {
        Progress {
            bar: ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden()),
            done: 0,
            start: Instant::now(),
            visible: false,
            enabled: false,
        }
    }

    /// Progress drawn on standard error once the run has lasted two seconds; indicatif keeps
    /// it hidden when standard error is not a terminal (CI logs, pipes, tests).
    pub fn delayed() -> Self {
        let progress = Progress {
            enabled: true,
            ..Progress::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template("{msg:24} [{bar:30}] {pos}/{len}") {
            progress.bar.set_style(style);
        }
        progress
    }

    /// Adds `units` to the expected amount of work.
    pub(super) fn expect(&self, units: u64) {
        self.bar.inc_length(units);
    }

    /// Marks one unit of work done, with a short description of what is being computed.
    pub(super) fn tick(&mut self, message: &'static str) {
        if self.enabled && !self.visible && self.start.elapsed() >= DELAY {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.visible = true;
        }
        self.bar.set_message(message);
        self.bar.inc(1);
        self.done += 1;
    }

    /// Units of work ticked and expected so far: (done, expected). A complete run has
    /// done = expected, so a drawn bar ends full.
    pub fn counts(&self) -> (u64, u64) {
        (self.done, self.bar.length().unwrap_or(0))
    }

    /// Removes the bar (if it was drawn).
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A progress whose run started `seconds` ago.
    fn started_ago(progress: Progress, seconds: u64) -> Progress {
        let start = Instant::now()
            .checked_sub(Duration::from_secs(seconds))
            .unwrap_or_else(Instant::now);
        Progress { start, ..progress }
    }

    #[test]
    fn a_delayed_bar_is_drawn_only_after_two_seconds() {
        let mut fresh = Progress::delayed();
        fresh.tick("at once");
        assert!(!fresh.visible, "drawn before the delay");
        let mut late = started_ago(Progress::delayed(), 3);
        late.tick("after three seconds");
        assert!(late.visible, "not drawn after the delay");
        assert_eq!(late.counts(), (1, 0));
        // On an interactive terminal the bar was drawn; clear it.
        late.finish();
    }

    #[test]
    fn a_hidden_bar_is_never_drawn() {
        let mut hidden = started_ago(Progress::hidden(), 3);
        hidden.tick("after three seconds");
        assert!(!hidden.visible);
    }

    #[test]
    fn finish_ends_the_bar() {
        let progress = Progress::hidden();
        progress.expect(2);
        assert!(!progress.bar.is_finished());
        progress.finish();
        assert!(progress.bar.is_finished());
        // Finishing fills the bar but ticks nothing: the count says what was done.
        assert_eq!(progress.counts(), (0, 2));
    }
}
