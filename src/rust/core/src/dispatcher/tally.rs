//! Totals of the results a controller has taken, for its `summary()`:
//! counted as rows leave the dispatcher, so reading them costs nothing per
//! task.

/// Counts by status, tasks with warnings, and seconds of evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub success: u64,
    pub error: u64,
    pub crash: u64,
    pub cancel: u64,
    pub warning: u64,
    pub seconds: f64,
}

impl Tally {
    /// Counts one row with this status, warnings and seconds.
    pub fn add(&mut self, status: &str, warned: bool, seconds: Option<f64>) {
        match status {
            "success" => self.success += 1,
            "crash" => self.crash += 1,
            "cancel" => self.cancel += 1,
            _ => self.error += 1,
        }
        self.warning += warned as u64;
        if let Some(seconds) = seconds.filter(|s| !s.is_nan()) {
            self.seconds += seconds;
        }
    }

    /// Adds another tally's counts to these.
    pub fn absorb(&mut self, other: &Tally) {
        self.success += other.success;
        self.error += other.error;
        self.crash += other.crash;
        self.cancel += other.cancel;
        self.warning += other.warning;
        self.seconds += other.seconds;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_add_up() {
        let mut tally = super::Tally::default();
        tally.add("success", true, Some(0.5));
        tally.add("error", false, None);
        tally.add("crash", false, Some(f64::NAN));
        tally.add("other", false, Some(1.0));
        assert_eq!(
            (tally.success, tally.error, tally.crash, tally.warning),
            (1, 2, 1, 1)
        );
        assert_eq!(tally.seconds, 1.5);
    }
}
