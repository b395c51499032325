//! Percentiles of latency samples.

use std::time::Duration;

/// The `p`-th percentile (0.0 ..= 100.0) of `samples` by the nearest-rank
/// method; `None` for no samples. Sorts `samples`.
pub fn percentile(samples: &mut [Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    Some(samples[rank.clamp(1, samples.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        assert_eq!(
            percentile(&mut samples, 50.0),
            Some(Duration::from_micros(50))
        );
        assert_eq!(
            percentile(&mut samples, 99.0),
            Some(Duration::from_micros(99))
        );
        assert_eq!(
            percentile(&mut samples, 100.0),
            Some(Duration::from_micros(100))
        );
        assert_eq!(percentile(&mut [], 50.0), None);
    }
}
