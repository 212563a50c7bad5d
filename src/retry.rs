//! When to try a request again (docs/contract.md §4): network failures, 408, 429 and 5xx are
//! retried with exponential backoff and jitter, honouring `Retry-After`; other answers are final.

/// In-page attempts before a lead waits for the visitor's next page view.
pub const MAX_ATTEMPTS: u32 = 6;
/// A wait longer than this (a long `Retry-After`) is not spent in the page.
pub const MAX_WAIT_MS: u32 = 60_000;
/// The longest wait between two attempts, whatever the base.
const CAP_MS: u32 = 30_000;

#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Verdict {
    Delivered,
    /// The API said no for good: sending it again would get the same answer.
    Refused,
    Retry,
}

/// What an HTTP status means for the request; `0` is a network failure (no answer at all).
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        0 | 408 | 429 | 500..=599 => Verdict::Retry,
        _ => Verdict::Refused,
    }
}

/// The wait before attempt `attempt + 1`, after `attempt` failed: `base` (1 s), 2 s, 4 s …
/// capped at 30 s, each scaled by a random factor in [0.5, 1) so that many browsers do not
/// retry in step.
pub fn delay(attempt: u32, random: f64, base: u32) -> u32 {
    let exp = base.saturating_mul(1 << attempt.saturating_sub(1).min(15));
    let full = exp.min(CAP_MS);
    (full as f64 * (0.5 + random.clamp(0.0, 1.0) / 2.0)) as u32
}

/// What a page does after its `tries`-th attempt failed in a way worth retrying.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Next {
    /// Try again after this many milliseconds.
    Wait(u32),
    /// Leave it to the visitor's next page view, not before `not_before_ms` from now (0: at once).
    Later { not_before_ms: u32 },
}

/// `told` is the API's `Retry-After`, in ms.
pub fn after_failure(tries: u32, told: Option<u32>, random: f64, base: u32) -> Next {
    let wait = told.unwrap_or_else(|| delay(tries, random, base));
    if tries >= MAX_ATTEMPTS || wait > MAX_WAIT_MS {
        Next::Later {
            // A Retry-After still holds the next page back; our own backoff does not.
            not_before_ms: if told.is_some() { wait } else { 0 },
        }
    } else {
        Next::Wait(wait)
    }
}

/// `Retry-After` as delta-seconds, in milliseconds (an HTTP date is read by the caller).
pub fn retry_after_seconds(header: &str) -> Option<u32> {
    let v = header.trim_ascii();
    // Up to 9 digits (text::number reads up to 15).
    let n = crate::text::number(v).filter(|_| v.len() <= 9)?;
    Some((n as u32).saturating_mul(1000))
}

/// A refusal's `error` that says the customer's lead is already recorded ("already has a lead
/// event and cannot be updated to lead"): after a retry, the earlier attempt did arrive.
pub fn already_recorded(error: &str) -> bool {
    crate::text::contains(error, "already") || crate::text::contains(error, "cannot be updated")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_answers_are_retried() {
        for s in [200, 201, 204] {
            assert_eq!(verdict(s), Verdict::Delivered);
        }
        for s in [0, 408, 429, 500, 502, 503, 504] {
            assert_eq!(verdict(s), Verdict::Retry, "{s}");
        }
        for s in [400, 401, 403, 404, 405, 413, 415, 422] {
            assert_eq!(verdict(s), Verdict::Refused, "{s}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        // The first retry comes within 2 s (the bound), never at once.
        let d = |a, r| delay(a, r, 1000);
        assert_eq!(d(1, 0.0), 500);
        assert!(d(1, 0.999) < 1000);
        assert_eq!(d(2, 0.0), 1000);
        assert_eq!(d(3, 0.0), 2000);
        assert_eq!(d(4, 0.0), 4000);
        assert_eq!(d(10, 0.0), 15_000);
        assert!(d(10, 0.999) < 30_000);
        assert_eq!(d(99, 0.0), 15_000, "no overflow");
        // Jitter spreads retries: different random inputs, different waits.
        assert_ne!(d(3, 0.1), d(3, 0.9));
        assert_eq!(delay(1, 0.0, 100), 50, "a test's shorter base");
    }

    #[test]
    fn the_whole_in_page_schedule_fits_in_a_minute() {
        let worst: u32 = (1..MAX_ATTEMPTS).map(|a| delay(a, 0.999, 1000)).sum();
        assert!(worst < 60_000, "{worst}");
    }

    #[test]
    fn after_a_failure_wait_or_leave_it_to_the_next_page() {
        assert_eq!(after_failure(1, None, 0.0, 1000), Next::Wait(500));
        assert_eq!(after_failure(1, Some(3000), 0.0, 1000), Next::Wait(3000));
        assert_eq!(
            after_failure(MAX_ATTEMPTS, None, 0.0, 1000),
            Next::Later { not_before_ms: 0 }
        );
        assert_eq!(
            after_failure(1, Some(120_000), 0.0, 1000),
            Next::Later {
                not_before_ms: 120_000
            }
        );
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(retry_after_seconds("1"), Some(1000));
        assert_eq!(retry_after_seconds(" 120 "), Some(120_000));
        assert_eq!(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_seconds("-1"), None);
        assert_eq!(retry_after_seconds(""), None);
        assert_eq!(retry_after_seconds("99999999999"), None);
    }
}
