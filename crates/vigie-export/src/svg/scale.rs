//! The value axis: "nice" gridlines (steps of 1, 2, 2.5 or 5 × 10^k, 4 to 6 of them for any
//! maximum above a handful) and their labels in French number format.

use vigie_domain::stats::group_thousands;

/// Steps tried, times a power of ten.
const MANTISSAS: [f64; 4] = [1.0, 2.0, 2.5, 5.0];
/// At most this many intervals between gridlines (six gridlines with zero).
const MAX_INTERVALS: u32 = 5;

/// Gridlines at `0, step, 2 × step, …, intervals × step`; the top one is the axis' end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    pub step: f64,
    pub intervals: u32,
}

impl Scale {
    /// The smallest nice step that covers `max` in at most five intervals. A count
    /// (`integer`) never gets a fractional step. A maximum of zero (or not a number) draws
    /// an axis from 0 to 1: the top is never zero, nothing divides by it.
    pub fn nice(max: f64, integer: bool) -> Self {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            1.0
        };
        #[allow(clippy::cast_possible_truncation)] // a float's decimal exponent fits an i32
        let first = max.log10().floor() as i32 - 1;
        for exponent in first..=first + 2 {
            for mantissa in MANTISSAS {
                let step = mantissa * 10f64.powi(exponent);
                if integer && (step < 1.0 || step.fract() != 0.0) {
                    continue;
                }
                let intervals = (max / step - 1e-9).ceil().max(1.0);
                if intervals <= f64::from(MAX_INTERVALS) {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 1 to 5
                    let intervals = intervals as u32;
                    return Self { step, intervals };
                }
            }
        }
        // Not reached: at 10^(first + 2) the step exceeds `max`, one interval.
        Self {
            step: 10f64.powi(first + 3),
            intervals: 1,
        }
    }

    /// The axis' end (never zero).
    pub fn top(&self) -> f64 {
        self.step * f64::from(self.intervals)
    }

    /// The gridline values, from zero.
    pub fn ticks(&self) -> Vec<f64> {
        (0..=self.intervals)
            .map(|i| self.step * f64::from(i))
            .collect()
    }
}

/// A gridline value, French style: `12 500` (narrow no-break space), `2,5`, `0,25`.
pub(crate) fn french_number(v: f64) -> String {
    let cents = (v.abs() * 100.0).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // non-negative, rounded
    let cents = cents as u64;
    let mut out = if v < 0.0 && cents > 0 {
        "−".to_owned()
    } else {
        String::new()
    };
    out.push_str(&group_thousands(cents / 100));
    let fraction = cents % 100;
    if fraction != 0 {
        out.push(',');
        if fraction.is_multiple_of(10) {
            out.push_str(&(fraction / 10).to_string());
        } else {
            out.push_str(&format!("{fraction:02}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(max: f64, integer: bool) -> Vec<String> {
        Scale::nice(max, integer)
            .ticks()
            .into_iter()
            .map(french_number)
            .collect()
    }

    #[test]
    fn nice_steps_for_a_few_maxima() {
        assert_eq!(ticks(7.0, true), ["0", "2", "4", "6", "8"]);
        assert_eq!(
            ticks(1234.0, true),
            ["0", "250", "500", "750", "1\u{202f}000", "1\u{202f}250"]
        );
        assert_eq!(ticks(100.0, false), ["0", "20", "40", "60", "80", "100"]);
        assert_eq!(ticks(11.0, true), ["0", "5", "10", "15"]);
        assert_eq!(ticks(11.0, false), ["0", "2,5", "5", "7,5", "10", "12,5"]);
        assert_eq!(ticks(0.9, false), ["0", "0,2", "0,4", "0,6", "0,8", "1"]);
        assert_eq!(ticks(1.1, false), ["0", "0,25", "0,5", "0,75", "1", "1,25"]);
        assert_eq!(
            ticks(48_000.0, true),
            [
                "0",
                "10\u{202f}000",
                "20\u{202f}000",
                "30\u{202f}000",
                "40\u{202f}000",
                "50\u{202f}000"
            ]
        );
    }

    #[test]
    fn four_to_six_gridlines_above_a_handful() {
        for max in (5..5000).map(f64::from) {
            for integer in [true, false] {
                let scale = Scale::nice(max, integer);
                let n = scale.ticks().len();
                assert!((4..=6).contains(&n), "{max} {integer}: {n}");
                assert!(
                    scale.top() >= max && scale.top() < max * 2.0,
                    "{max}: {scale:?}"
                );
            }
        }
    }

    #[test]
    fn a_zero_maximum_never_divides_by_zero() {
        for max in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let scale = Scale::nice(max, true);
            assert!(scale.top() > 0.0);
            assert_eq!(ticks(max, true), ["0", "1"]);
        }
        assert!(Scale::nice(0.0, false).top() > 0.0);
        assert_eq!(ticks(2.0, true), ["0", "1", "2"]);
    }

    #[test]
    fn french_numbers() {
        assert_eq!(french_number(0.0), "0");
        assert_eq!(french_number(1_234_567.0), "1\u{202f}234\u{202f}567");
        assert_eq!(french_number(7.5), "7,5");
        assert_eq!(french_number(0.05), "0,05");
    }
}
