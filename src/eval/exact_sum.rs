//! Exact sums of decimals, independent of the order and grouping of their terms.
//!
//! Adding `rust_decimal`s one by one rounds whenever a running sum outgrows 96 bits of
//! mantissa, so the same values added in another order (or first by group, then across
//! groups) can differ in the last digits: two totals of one figure, declared with and
//! without `by`, would disagree. Here mantissas are added per scale in `i128`; when the
//! sum is read, the scales are combined exactly (a whole part and a fraction in units of
//! 10^-28, the finest scale a decimal has) and the result is rounded once, half to even.

use rayon::prelude::*;
use rust_decimal::Decimal;

/// 10^28: the fraction's unit is 10^-28.
const ONE: i128 = 10_000_000_000_000_000_000_000_000_000;
/// Terms a parallel sum adds in one task: enough to outweigh handing the task over.
const CHUNK: usize = 16_384;
/// 2^96: a decimal's mantissa is below this.
const MANTISSA_LIMIT: u128 = 1 << 96;

#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Mantissas added per scale: exactly, as a 96-bit mantissa leaves 31 bits of headroom
    /// (two billion terms).
    by_scale: [i128; 29],
    overflow: bool,
}

impl ExactSum {
    pub fn add(&mut self, d: Decimal) {
        self.add_at(d.scale() as usize, d.mantissa());
    }

    /// Add another sum's terms (as exactly as adding them one by one).
    pub fn merge(&mut self, other: &ExactSum) {
        self.overflow |= other.overflow;
        for (s, m) in other.by_scale.iter().enumerate() {
            self.add_at(s, *m);
        }
    }

    /// The exact sum of `value(i)` for `i` in `0..n` (where it is a number), in chunks
    /// summed in parallel and merged: the same as adding them one by one, whatever the split.
    pub fn par_sum(n: usize, value: impl Fn(usize) -> Option<Decimal> + Sync) -> ExactSum {
        (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut sum = ExactSum::default();
                // Chunks start below n, so neither bound nears overflow.
                let start = chunk.saturating_mul(CHUNK);
                (start..n.min(start.saturating_add(CHUNK))).filter_map(&value).for_each(|d| sum.add(d));
                sum
            })
            .reduce(ExactSum::default, |mut a, b| {
                a.merge(&b);
                a
            })
    }

    fn add_at(&mut self, scale: usize, mantissa: i128) {
        match self.by_scale.get_mut(scale).and_then(|b| b.checked_add(mantissa).map(|x| (b, x))) {
            Some((b, x)) => *b = x,
            None => self.overflow = true,
        }
    }

    /// The sum, rounded (half to even) only where it needs more than 96 bits of mantissa;
    /// `None` if it does not fit a decimal at all.
    pub fn value(&self) -> Option<Decimal> {
        self.value_near().map(|(d, _)| d)
    }

    /// The sum with its rounding (see value::approx): zero unless digits had to be dropped
    /// to fit a decimal, then one unit of the last place kept. Not judged from the digits:
    /// the sum is written at the finest scale that fits, often the 28th place, exactly.
    pub fn value_near(&self) -> Option<crate::value::approx::Near> {
        if self.overflow {
            return None;
        }
        // The exact sum as a whole part and a fraction in units of 10^-28.
        let (mut whole, mut fraction) = (0i128, 0i128);
        // At scale s a mantissa's unit is 10^s and its fraction's is 10^(28 - s).
        for ((m, unit), finer) in self.by_scale.iter().zip(&POW10).zip(POW10.iter().rev()) {
            whole = whole.checked_add(m.checked_div(*unit)?)?;
            // |m % unit| < 10^scale, so the product is below 10^28.
            fraction = fraction.checked_add(m.checked_rem(*unit)?.checked_mul(*finer)?)?;
        }
        whole = whole.checked_add(fraction.checked_div(ONE)?)?;
        fraction = fraction.checked_rem(ONE)?;
        // Both parts with one sign (|fraction| < ONE, so none of these overflows).
        if whole > 0 && fraction < 0 {
            whole = whole.checked_sub(1)?;
            fraction = fraction.checked_add(ONE)?;
        } else if whole < 0 && fraction > 0 {
            whole = whole.checked_add(1)?;
            fraction = fraction.checked_sub(ONE)?;
        }
        let negative = whole < 0 || fraction < 0;
        let (whole, fraction) = (whole.unsigned_abs(), fraction.unsigned_abs());
        // The finest scale whose mantissa fits, after rounding the digits below it.
        // Scale s keeps whole × 10^s and drops the fraction's last 28 - s digits.
        for ((scale, unit), dropped) in POW10.iter().enumerate().rev().zip(&POW10) {
            let dropped = dropped.unsigned_abs();
            let Some(kept) =
                whole.checked_mul(unit.unsigned_abs()).and_then(|w| w.checked_add(fraction.checked_div(dropped)?))
            else {
                continue;
            };
            let rest = fraction.checked_rem(dropped)?;
            let half = dropped / 2;
            let up = dropped > 1 && (rest > half || (rest == half && kept % 2 == 1));
            let Some(mantissa) = (if up { kept.checked_add(1) } else { Some(kept) }) else { continue };
            if mantissa < MANTISSA_LIMIT {
                let signed = i128::try_from(mantissa).ok()?;
                let scale = u32::try_from(scale).ok()?;
                let d = Decimal::try_from_i128_with_scale(if negative { signed.checked_neg()? } else { signed }, scale)
                    .ok()?;
                // An exact sum without the trailing zeros of the 28th place, so that its
                // products need not round (value::approx::mul).
                return Some(if rest == 0 {
                    (d.normalize(), crate::value::Bound::ZERO)
                } else {
                    (d, crate::value::Bound::at_least(10f64.powi(i32::try_from(scale).unwrap_or(28).saturating_neg())))
                });
            }
        }
        None
    }
}

/// 10^0 to 10^28.
const POW10: [i128; 29] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
    10_000_000_000_000_000_000,
    100_000_000_000_000_000_000,
    1_000_000_000_000_000_000_000,
    10_000_000_000_000_000_000_000,
    100_000_000_000_000_000_000_000,
    1_000_000_000_000_000_000_000_000,
    10_000_000_000_000_000_000_000_000,
    100_000_000_000_000_000_000_000_000,
    1_000_000_000_000_000_000_000_000_000,
    ONE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn sum(values: &[Decimal]) -> Option<Decimal> {
        let mut s = ExactSum::default();
        values.iter().for_each(|v| s.add(*v));
        s.value()
    }

    #[test]
    fn order_and_grouping_do_not_change_the_sum() {
        // 28-digit values whose running sums outgrow 96 bits.
        let values: Vec<Decimal> = (1..200)
            .map(|i| d("568618.09293610331263774390817") * Decimal::from(i) / d("7.3"))
            .chain([d("0.1"), d("-3.25"), d("1e-28"), d("79228162514264337593543950")])
            .collect();
        let forward = sum(&values).unwrap();
        let backward: Vec<Decimal> = values.iter().rev().copied().collect();
        assert_eq!(sum(&backward), Some(forward));
        let (mut odd, mut even) = (ExactSum::default(), ExactSum::default());
        for (i, v) in values.iter().enumerate() {
            if i % 2 == 0 {
                even.add(*v)
            } else {
                odd.add(*v)
            }
        }
        odd.merge(&even);
        assert_eq!(odd.value(), Some(forward));
    }

    #[test]
    fn small_sums_are_exact() {
        assert_eq!(sum(&[d("0.1"), d("0.2"), d("-0.3"), d("12.345")]), Some(d("12.345")));
        assert_eq!(sum(&[d("-1.75"), d("0.5")]), Some(d("-1.25")));
        assert_eq!(sum(&[d("2"), d("-0.0000000000000000000000000001")]), Some(d("1.9999999999999999999999999999")));
        assert_eq!(sum(&[]), Some(Decimal::ZERO));
    }

    #[test]
    fn rounding_is_once_and_half_to_even() {
        // Two thirds at 28 places plus 1e-28 (a 29-place literal rounds to that), and 19:
        // the exact sum 19.6666666666666666666666666667 has 30 digits, one too many, so it is
        // rounded once, at 27 places.
        let third = d("0.3333333333333333333333333333");
        let terms = [third, third, d("0.00000000000000000000000000005"), d("19")];
        assert_eq!(sum(&terms[..3]).map(|v| v.to_string()), Some("0.6666666666666666666666666667".into()));
        assert_eq!(sum(&terms), Some(d("19.666666666666666666666666667")));
        // A dropped digit of exactly one half goes to the even neighbour.
        let halfway = [d("1.0000000000000000000000000005"), d("10")];
        assert_eq!(sum(&halfway), Some(d("11.000000000000000000000000000")));
        let above = [d("1.0000000000000000000000000015"), d("10")];
        assert_eq!(sum(&above), Some(d("11.000000000000000000000000002")));
        let negative = [d("-1.0000000000000000000000000015"), d("-10")];
        assert_eq!(sum(&negative), Some(d("-11.000000000000000000000000002")));
    }

    #[test]
    fn too_large_for_a_decimal_is_none() {
        assert_eq!(sum(&[Decimal::MAX, Decimal::MAX]), None);
        assert_eq!(sum(&[Decimal::MAX, Decimal::MAX, Decimal::MIN, Decimal::MIN, Decimal::ONE]), Some(Decimal::ONE));
    }
}
