//! How long a failed job waits before its next try.

pub const DEFAULT_BASE_SECONDS: u32 = 10;
/// The longest wait between two tries, whatever the backoff or a `Retry-After` asks.
pub const MAX_DELAY_SECONDS: u32 = 900;

/// Exponential backoff from the number of attempts so far: base, 2 x base, 4 x base ... at most
/// 15 minutes (10 s, 20 s, 40 s ... with the default base).
pub fn retry_delay_seconds(attempts: i64, base_seconds: u32) -> u32 {
    let exp = attempts.clamp(0, 7) as u32;
    base_seconds.saturating_mul(1 << exp).min(MAX_DELAY_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay_seconds(0, 10), 10);
        assert_eq!(retry_delay_seconds(1, 10), 20);
        assert_eq!(retry_delay_seconds(5, 10), 320);
        assert_eq!(retry_delay_seconds(30, 10), 900);
        assert_eq!(retry_delay_seconds(-3, 10), 10);
        assert_eq!(retry_delay_seconds(4, 0), 0);
    }
}
