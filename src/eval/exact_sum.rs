//! Exact sums of decimals, independent of the order and grouping of their terms.
//!
//! Adding `rust_decimal`s one by one rounds whenever a running sum outgrows 96 bits of
//! mantissa, so the same values added in another order (or first by group, then across
//! groups) can differ in the last digits: two totals of one figure, declared with and
//! without `by`, would disagree. Here mantissas are added per scale in `i128` (exactly:
//! a 96-bit mantissa leaves 31 bits of headroom, two billion terms), and the sum is
//! rounded once, when it is read.

use rust_decimal::Decimal;

/// `rust_decimal`'s largest scale.
const SCALES: usize = 29;

#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    by_scale: [i128; SCALES],
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

    fn add_at(&mut self, scale: usize, mantissa: i128) {
        match self.by_scale.get_mut(scale).and_then(|b| b.checked_add(mantissa).map(|x| (b, x))) {
            Some((b, x)) => *b = x,
            None => self.overflow = true,
        }
    }

    /// The sum, rounded to a decimal (half to even) only where it needs more than 96 bits;
    /// `None` if it does not fit a decimal at all.
    pub fn value(&self) -> Option<Decimal> {
        if self.overflow {
            return None;
        }
        // Scales from the finest: each partial sum is exact until the coarser ones join it.
        let mut total = Decimal::ZERO;
        for (s, m) in self.by_scale.iter().enumerate().rev() {
            if *m != 0 {
                total = total.checked_add(to_decimal(*m, u32::try_from(s).ok()?)?)?;
            }
        }
        Some(total)
    }
}

/// `mantissa × 10^-scale` as a decimal, dropping digits (half to even) until it fits.
fn to_decimal(mut mantissa: i128, mut scale: u32) -> Option<Decimal> {
    const LIMIT: u128 = 1 << 96;
    while mantissa.unsigned_abs() >= LIMIT {
        scale = scale.checked_sub(1)?;
        let (q, r) = (mantissa / 10, mantissa % 10);
        let away = r.abs() > 5 || (r.abs() == 5 && q % 2 != 0);
        mantissa = if away { q + r.signum() } else { q };
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn order_and_grouping_do_not_change_the_sum() {
        // 28-digit values whose running sums outgrow 96 bits.
        let values: Vec<Decimal> = (1..200)
            .map(|i| d("568618.09293610331263774390817") * Decimal::from(i) / d("7.3"))
            .chain([d("0.1"), d("-3.25"), d("1e-28"), d("79228162514264337593543950")])
            .collect();
        let mut forward = ExactSum::default();
        values.iter().for_each(|v| forward.add(*v));
        let mut backward = ExactSum::default();
        values.iter().rev().for_each(|v| backward.add(*v));
        let (mut odd, mut even) = (ExactSum::default(), ExactSum::default());
        for (i, v) in values.iter().enumerate() {
            if i % 2 == 0 {
                even.add(*v)
            } else {
                odd.add(*v)
            }
        }
        odd.merge(&even);
        let sum = forward.value().unwrap();
        assert_eq!(backward.value(), Some(sum));
        assert_eq!(odd.value(), Some(sum));
    }

    #[test]
    fn small_sums_are_exact_and_rounding_is_half_to_even() {
        let mut s = ExactSum::default();
        [d("0.1"), d("0.2"), d("-0.3"), d("12.345")].iter().for_each(|v| s.add(*v));
        assert_eq!(s.value(), Some(d("12.345")));
        // Just over 96 bits at scale 1 needs one digit dropped: a final 5 rounds to even.
        let even = (1i128 << 96) - 2;
        let rounded = Decimal::try_from_i128_with_scale(even, 0).ok();
        assert!(rounded.is_some());
        assert_eq!(to_decimal(even * 10 + 5, 1), rounded);
        assert_eq!(to_decimal((even - 1) * 10 + 5, 1), rounded);
        assert_eq!(to_decimal(-(even * 10 + 5), 1), rounded.map(|r| -r));
        assert_eq!(to_decimal(even * 10 + 6, 1), Decimal::try_from_i128_with_scale(even + 1, 0).ok());
        assert_eq!(to_decimal(i128::MAX, 0), None);
    }

    #[test]
    fn too_large_for_a_decimal_is_none() {
        let mut s = ExactSum::default();
        s.add(Decimal::MAX);
        s.add(Decimal::MAX);
        assert_eq!(s.value(), None);
    }
}
