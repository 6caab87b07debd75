//! Durations from the numbers of seconds that callers pass, and deadlines
//! from them, that never panic. `Duration::from_secs_f64` panics on a
//! negative, non-finite or huge number and `Instant + Duration` panics past
//! the end of the clock, and both numbers come from R users (`seconds_idle
//! = 1e300`), so every conversion of seconds and every deadline of a wait
//! goes through here.

use std::time::{Duration, Instant};

/// The longest duration: 100 years, forever in practice, and short enough
/// that `Instant::now()` plus it fits every platform's clock.
pub const LONGEST: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `seconds` as a duration: NaN and anything not above zero give zero,
/// anything at or beyond [`LONGEST`] (infinity included) gives
/// [`LONGEST`].
pub fn from_seconds(seconds: f64) -> Duration {
    if seconds.is_nan() || seconds <= 0.0 {
        return Duration::ZERO;
    }
    if seconds >= LONGEST.as_secs_f64() {
        return LONGEST;
    }
    Duration::try_from_secs_f64(seconds).unwrap_or(LONGEST)
}

/// `seconds` as a limit: `None` (no limit) for NaN, a negative number or
/// infinity, as R's `NA`, `-1` and `Inf` mean; otherwise
/// [`from_seconds`].
pub fn limit(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds >= 0.0).then(|| from_seconds(seconds))
}

/// `from + wait`, or the latest instant short of it that the clock can
/// hold (at most [`LONGEST`] after `from`).
pub fn deadline(from: Instant, wait: Duration) -> Instant {
    let mut wait = wait.min(LONGEST);
    loop {
        if let Some(at) = from.checked_add(wait) {
            return at;
        }
        wait /= 2;
    }
}

/// [`deadline`] from now.
pub fn deadline_in(wait: Duration) -> Instant {
    deadline(Instant::now(), wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_seconds_never_panic() {
        assert_eq!(from_seconds(f64::NAN), Duration::ZERO);
        assert_eq!(from_seconds(-1.0), Duration::ZERO);
        assert_eq!(from_seconds(f64::NEG_INFINITY), Duration::ZERO);
        assert_eq!(from_seconds(0.0), Duration::ZERO);
        assert_eq!(from_seconds(1.5), Duration::from_millis(1500));
        assert_eq!(from_seconds(1e300), LONGEST);
        assert_eq!(from_seconds(f64::INFINITY), LONGEST);
        assert_eq!(from_seconds(f64::MAX), LONGEST);
        assert_eq!(from_seconds(2147483648.0), Duration::from_secs(2147483648));
        assert_eq!(from_seconds(f64::MIN_POSITIVE), Duration::ZERO);
    }

    #[test]
    fn limits_read_na_negative_and_infinity_as_none() {
        assert_eq!(limit(f64::NAN), None);
        assert_eq!(limit(-1.0), None);
        assert_eq!(limit(f64::INFINITY), None);
        assert_eq!(limit(0.0), Some(Duration::ZERO));
        assert_eq!(limit(1e300), Some(LONGEST));
    }

    #[test]
    fn deadlines_saturate_instead_of_overflowing() {
        let now = Instant::now();
        assert_eq!(
            deadline(now, Duration::from_secs(2)),
            now + Duration::from_secs(2)
        );
        assert!(deadline(now, Duration::MAX) > now);
        assert!(deadline(now, Duration::MAX) <= now + LONGEST);
        assert!(deadline_in(from_seconds(1e300)) > now);
    }
}
