//! Numbers that are not exact: how far a computed number may be from the true value, carried
//! through arithmetic, so that no digit is written that is not certain.
//!
//! Every number read from data or written in a rule is exact, and so are sums, differences
//! and most products of exact numbers. A quotient that does not end (1/3), or a product with
//! more than 28 decimal places, is rounded to fit the 96-bit decimal: from then on the number
//! is *approximate*, and carries a [`Bound`] on its distance from the value exact arithmetic
//! would give. Each operation adds its own rounding to the bounds of its operands as
//! interval arithmetic does (|a|·eb + |b|·ea + ea·eb for a product, and so on), with the
//! bounds themselves computed in floating point rounded upward, so a bound is never too small.
//!
//! An approximate number is written to the decimal places that are certain: the true value
//! lies within one unit of the last digit written (see [`certain_places`]).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// An upper bound on |computed − true|, never negative; stored as `f32` so that a
/// [`Value`](super::Value) stays three words. Infinite when nothing is certain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound(f32);

/// Largest mantissa rust_decimal keeps unrounded when it has to drop digits: a result at
/// least this long, or at the 28th decimal place, may have been rounded.
const FULL_MANTISSA: i128 = 1_000_000_000_000_000_000_000_000_000; // 10^27

impl Bound {
    pub const ZERO: Bound = Bound(0.0);

    /// The bound covering `x` (rounded up to the next `f32`).
    pub fn at_least(x: f64) -> Bound {
        if x.is_nan() {
            return Bound(f32::INFINITY);
        }
        let up = x.max(0.0) * (1.0 + 1e-9);
        #[allow(clippy::cast_possible_truncation, reason = "rounded up just below, so the bound only grows")]
        let narrowed = up as f32;
        Bound(if f64::from(narrowed) < up { narrowed.next_up() } else { narrowed })
    }

    pub fn get(self) -> f64 {
        f64::from(self.0)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0.0
    }

    /// The larger of two bounds: an order statistic or a mean of values, each within its
    /// own bound, is within the largest of them.
    pub fn max(self, other: Bound) -> Bound {
        Bound(self.0.max(other.0))
    }
}

/// |d| as a float, rounded up, for bounds.
pub fn magnitude(d: Decimal) -> f64 {
    d.abs().to_f64().unwrap_or(f64::INFINITY) * (1.0 + 1e-15)
}

/// The rounding the result of a sum or product may carry: zero when it cannot have been
/// rounded, else one unit of its last place. rust_decimal rounds a sum or product only when
/// it outgrows 28 decimal places or a 96-bit mantissa, and what it keeps then is at the
/// 28th place or at least 10^27; anything else is exact. Not for quotients, whose precision
/// varies: see [`div`].
pub fn rounding(result: Decimal) -> f64 {
    if result.scale() < 28 && result.mantissa().abs() < FULL_MANTISSA {
        0.0
    } else {
        10f64.powi((result.scale() as i32).saturating_neg()) * (1.0 + 1e-9)
    }
}

/// A number with its bound (zero for an exact one).
pub type Near = (Decimal, Bound);

/// A sum keeps every decimal place of both operands unless rust_decimal had to drop some
/// (by reducing the scale) to fit: then it is within one unit of its last place.
pub fn add(a: Near, b: Near) -> Option<Near> {
    let r = a.0.checked_add(b.0)?;
    let own = if r.scale() >= a.0.scale().max(b.0.scale()) || r.is_zero() { 0.0 } else { ulp(r) };
    Some((r, Bound::at_least(a.1.get() + b.1.get() + own)))
}

pub fn sub(a: Near, b: Near) -> Option<Near> {
    add(a, (-b.0, b.1))
}

/// A product is exact when it keeps the places of both factors (trailing zeros dropped
/// first, so that `0.2000…0 × 2000.00` need not round).
pub fn mul(a: Near, b: Near) -> Option<Near> {
    let (x, y) =
        if a.0.scale().saturating_add(b.0.scale()) > 28 { (a.0.normalize(), b.0.normalize()) } else { (a.0, b.0) };
    let r = x.checked_mul(y)?;
    // A zero factor gives zero exactly (rust_decimal writes it at scale 0).
    let exact = r.scale() == x.scale().saturating_add(y.scale()) || x.is_zero() || y.is_zero();
    let own = if exact { 0.0 } else { ulp(r) };
    let (ea, eb) = (a.1.get(), b.1.get());
    let spread = if ea == 0.0 && eb == 0.0 { 0.0 } else { magnitude(a.0) * eb + magnitude(b.0) * ea + ea * eb };
    Some((r, Bound::at_least(spread + own)))
}

/// `a / b` for `b` not zero. When the divisor's own bound reaches zero the quotient could be
/// anything: its bound is infinite.
pub fn div(a: Near, b: Near) -> Option<Near> {
    let q = a.0.checked_div(b.0)?;
    let own = if quotient_is_exact(q, a.0, b.0) { 0.0 } else { ulp(q) };
    let (ea, eb) = (a.1.get(), b.1.get());
    let spread = if ea == 0.0 && eb == 0.0 {
        0.0
    } else {
        let room = magnitude(b.0) * (1.0 - 1e-15) - eb;
        if room <= 0.0 {
            f64::INFINITY
        } else {
            (ea + magnitude(q) * eb) / room
        }
    };
    Some((q, Bound::at_least(spread + own)))
}

/// Whether `q`, rust_decimal's `a / b`, is the exact quotient: `q × b` computed without
/// rounding (its scale is the sum of theirs) gives back `a`. When the product itself had
/// to be rounded nothing is known, and the quotient counts as rounded.
pub fn quotient_is_exact(q: Decimal, a: Decimal, b: Decimal) -> bool {
    // Zero over anything is zero (rust_decimal writes that product at scale 0).
    let whole_scale = q.scale().saturating_add(b.scale());
    a.is_zero() || (whole_scale <= 28 && q.checked_mul(b).is_some_and(|p| p.scale() == whole_scale && p == a))
}

/// One unit of the last place of a rounded quotient, a bound on its rounding.
fn ulp(q: Decimal) -> f64 {
    10f64.powi((q.scale() as i32).saturating_neg()) * (1.0 + 1e-9)
}

/// `value` rounded to `places` with `strategy`. Rounding an approximate number makes it
/// exact when both ends of its interval round the same way; otherwise the result is within
/// the gap between the two roundings.
pub fn round(value: Near, places: u32, strategy: rust_decimal::RoundingStrategy) -> Near {
    let r = value.0.round_dp_with_strategy(places, strategy);
    if value.1.is_zero() {
        return (r, Bound::ZERO);
    }
    let spread = Decimal::from_f64_retain(value.1.get())
        .map(|e| e.round_dp_with_strategy(28, rust_decimal::RoundingStrategy::AwayFromZero));
    let ends = spread.and_then(|e| Some((value.0.checked_sub(e)?, value.0.checked_add(e)?)));
    match ends {
        Some((lo, hi)) => {
            let (lo, hi) = (lo.round_dp_with_strategy(places, strategy), hi.round_dp_with_strategy(places, strategy));
            if lo == hi {
                (r, Bound::ZERO)
            } else {
                (r, Bound::at_least(magnitude(hi.checked_sub(lo).unwrap_or(Decimal::MAX))))
            }
        }
        None => (r, Bound(f32::INFINITY)),
    }
}

/// The decimal places of `value` that are certain under `bound`: `p` such that, written
/// rounded to `p` places, the true value lies within one unit of the last place
/// (|true − written| ≤ bound + ½·10⁻ᵖ ≤ 10⁻ᵖ). `None` when not even the units are
/// certain to within a unit of the largest place the value has, i.e. nothing can be written.
pub fn certain_places(bound: Bound) -> Option<u32> {
    let e = bound.get();
    if e == 0.0 {
        return Some(28);
    }
    if !e.is_finite() {
        return None;
    }
    // p = floor(-log10(2e)), clamped to what a decimal holds; a negative p (the bound is
    // tens or more) still lets whole tens be written, but figures here are never written
    // that way: report it as no certain decimal places and let the caller round to units
    // only when the units are certain.
    let p = (-(2.0 * e).log10()).floor();
    if p < 0.0 {
        None
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "p is in 0..=28 here")]
        Some(p.min(28.0) as u32)
    }
}

/// `value` rounded to its certain places (see [`certain_places`]), or `None` when not even
/// its units are certain.
pub fn certain(value: Decimal, bound: Bound) -> Option<Decimal> {
    certain_places(bound).map(|p| value.round_dp(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn exact(s: &str) -> Near {
        (d(s), Bound::ZERO)
    }

    #[test]
    fn exact_arithmetic_stays_exact() {
        assert!(div(exact("0.00"), exact("498987.46")).unwrap().1.is_zero());
        assert!(mul(exact("0"), exact("123.45")).unwrap().1.is_zero());
        // An exact sum at the 28th place times money need not round.
        let mean = (d("0.2000000000000000000000000000"), Bound::ZERO);
        assert!(mul(mean, exact("2000.00")).unwrap().1.is_zero());
        assert!(add(exact("0.1"), exact("0.2")).unwrap().1.is_zero());
        assert!(mul(exact("1234.5678"), exact("0.25")).unwrap().1.is_zero());
        assert!(div(exact("1"), exact("4")).unwrap().1.is_zero());
        assert!(div(exact("14764396.46892"), exact("2")).unwrap().1.is_zero());
    }

    #[test]
    fn a_quotient_that_does_not_end_is_approximate_and_its_products_too() {
        let third = div(exact("1"), exact("3")).unwrap();
        assert!(!third.1.is_zero());
        assert_eq!(certain_places(third.1), Some(27));
        let back = mul(third, exact("3")).unwrap();
        // 0.9999999999999999999999999999, within 3e-28 of 1: certain to 27 places, and
        // written that way it is 1.
        assert_eq!(certain(back.0, back.1).map(|c| c.normalize()), Some(Decimal::ONE));
    }

    /// The case: a 28-digit quotient multiplied back up left noise in the last
    /// digits; written to its certain places, the figure is the true one.
    #[test]
    fn noise_from_a_quotient_is_not_written() {
        let cost = exact("14764396.46892");
        let turnover = exact("123456789.01");
        let share = div(cost, turnover).unwrap();
        let back = mul(share, turnover).unwrap();
        assert_ne!(back.0, cost.0, "the raw product carries noise");
        assert_eq!(certain(back.0, back.1).map(|c| c.normalize()), Some(cost.0));
    }

    #[test]
    fn the_true_value_is_always_within_the_bound() {
        // Exact rational check on small cases: (a/b)*c vs a*c/b, (a/b - c/d) etc.
        let cases = [("1", "3", "7"), ("22", "7", "1000003"), ("2", "3", "0.000001"), ("987654321", "13", "17")];
        for (a, b, c) in cases {
            let q = div(exact(a), exact(b)).unwrap();
            let p = mul(q, exact(c)).unwrap();
            let truth = d(a).checked_mul(d(c)).unwrap().checked_div(d(b)).unwrap();
            let gap = (p.0 - truth).abs().to_f64().unwrap();
            assert!(gap <= p.1.get() + 1e-27, "{a}/{b}*{c}: gap {gap} bound {}", p.1.get());
        }
    }

    #[test]
    fn rounding_an_approximate_number_is_exact_when_both_ends_agree() {
        let third = div(exact("1"), exact("3")).unwrap();
        let away = rust_decimal::RoundingStrategy::MidpointAwayFromZero;
        assert_eq!(round(third, 2, away), (d("0.33"), Bound::ZERO));
        // 0.125 give or take 1e-10 straddles the midpoint: not certain.
        let mid = (d("0.125"), Bound::at_least(1e-10));
        let r = round(mid, 2, away);
        assert_eq!(r.0, d("0.13"));
        assert!(r.1.get() >= 0.01);
    }

    #[test]
    fn a_divisor_within_its_bound_of_zero_leaves_nothing_certain() {
        let tiny = (d("0.0000000000000000000000000001"), Bound::at_least(1e-27));
        let q = div(exact("1"), tiny).unwrap();
        assert_eq!(certain_places(q.1), None);
    }
}
