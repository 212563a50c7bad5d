//! Identifiers made in the browser: the per-page-load session id.

use alloc::string::String;

/// Appends `n` in base 36 (`0-9a-z`).
pub fn base36(n: u64, out: &mut String) {
    crate::text::push_digits(out, n, 36);
}

/// `s_<time>_<random>`: unique per page load, with the load time readable in it. `random`
/// values are from `Math.random()` (0 ≤ r < 1), which is all a session id needs.
pub fn session_id(now_ms: f64, r1: f64, r2: f64) -> String {
    let mut s = String::from("s_");
    base36(now_ms as u64, &mut s);
    s.push('_');
    // 2 × 40 bits of randomness, well within an f64's 52-bit mantissa.
    base36((r1 * (1u64 << 40) as f64) as u64, &mut s);
    base36((r2 * (1u64 << 40) as f64) as u64, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_digits() {
        let mut s = String::new();
        base36(0, &mut s);
        s.push(' ');
        base36(35, &mut s);
        s.push(' ');
        base36(36 * 36, &mut s);
        s.push(' ');
        base36(u64::MAX, &mut s);
        assert_eq!(s, "0 z 100 3w5e11264sgsf");
    }

    #[test]
    fn session_ids_differ_with_the_random_input() {
        let a = session_id(1_714_000_000_000.0, 0.1, 0.2);
        let b = session_id(1_714_000_000_000.0, 0.1, 0.3);
        assert!(a.starts_with("s_lvefcg74_"), "{a}");
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
    }
}

/// FNV-1a, 64 bits, in base 36: a short, stable fingerprint of `parts` (see `lead::dedupe`).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h = (h ^ 0x1f).wrapping_mul(0x0100_0000_01b3);
        }
        for b in part.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut s = String::new();
    base36(h, &mut s);
    s
}

#[cfg(test)]
mod fingerprint_tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_separate_their_parts() {
        assert_eq!(
            fingerprint(&["42", "user_1"]),
            fingerprint(&["42", "user_1"])
        );
        assert_ne!(
            fingerprint(&["42", "user_1"]),
            fingerprint(&["42", "user_2"])
        );
        assert_ne!(
            fingerprint(&["4", "2user_1"]),
            fingerprint(&["42", "user_1"])
        );
        assert!(!fingerprint(&["42", "user_1"]).contains("user"));
    }
}
