//! The random source of a hunt: one ChaCha8 stream per case, so that case k of seed s is the
//! same whatever ran before it, and numbers drawn towards the edge cases the fuzz targets use.

use arbitrary::{Arbitrary, Unstructured};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use pgoracle_fuzz::Num;
use pgoracle_oracle::number::number;

/// The precision of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `"scalar": "f64"`.
    F64,
    /// `"scalar": "f32"`.
    F32,
}

impl Precision {
    /// The interface's name.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// How large the numbers of one case are (chosen once per case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magnitude {
    /// Multiples of 1/4 and one-digit decimals between 10⁻³ and 10³: exact ties, zero sums.
    Moderate,
    /// One-digit multiples of 10¹⁵⁰ … 10³⁰⁸: squares and sums of squares overflow.
    Huge,
    /// One-digit multiples of 10⁻³²³ … 10⁻¹⁵⁰, subnormals included: squares underflow.
    Tiny,
    /// Half of the numbers from the fuzz targets' generator ([`Num`]: the edge-value table,
    /// any bit pattern, NaN and ±∞ included).
    Edge,
}

/// Draws for one case.
pub struct Draw {
    rng: ChaCha8Rng,
    /// The case's precision.
    pub precision: Precision,
    /// The case's magnitude.
    pub magnitude: Magnitude,
}

impl Draw {
    /// The draws of case `index` of a hunt seeded with `seed`: ChaCha8 seeded with `seed`, on
    /// stream `index`. A quarter of the cases are f32; 60% moderate, 10% huge, 10% tiny, 20% edge.
    pub fn new(seed: u64, index: u64) -> Draw {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let precision = if rng.random_bool(0.25) {
            Precision::F32
        } else {
            Precision::F64
        };
        let magnitude = match rng.random_range(0..10u8) {
            0..=5 => Magnitude::Moderate,
            6 => Magnitude::Huge,
            7 => Magnitude::Tiny,
            _ => Magnitude::Edge,
        };
        Draw {
            rng,
            precision,
            magnitude,
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// An integer in `lo..=hi`.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        self.rng.random_range(lo..=hi)
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    /// A structured value decoded from 64 random bytes as a fuzz target decodes its input
    /// (`Arbitrary`), so the hunt reuses the fuzz harnesses' input types.
    pub fn structured<A: for<'a> Arbitrary<'a>>(&mut self) -> Option<A> {
        let mut bytes = [0u8; 64];
        self.rng.fill_bytes(&mut bytes);
        A::arbitrary(&mut Unstructured::new(&bytes)).ok()
    }

    /// A number of the fuzz targets' generator ([`Num`]).
    pub fn edge(&mut self) -> f64 {
        self.structured::<Num>().map_or(0.0, |n| n.0)
    }

    /// k/4 for k in −16…16, or d·10^e for a digit d and e in −3…3.
    pub fn moderate(&mut self) -> f64 {
        if self.chance(0.5) {
            (self.rng.random_range(-16i32..=16) as f64) / 4.0
        } else {
            let d = self.rng.random_range(-9i32..=9);
            let e = self.rng.random_range(-3i32..=3);
            decimal(d, e)
        }
    }

    /// A number of the case's magnitude (an exact zero one time in ten).
    pub fn number(&mut self) -> f64 {
        if self.chance(0.1) {
            return 0.0;
        }
        match self.magnitude {
            Magnitude::Moderate => self.moderate(),
            Magnitude::Huge => {
                let d = self.nonzero_digit();
                decimal(d, self.rng.random_range(150..=307))
            }
            Magnitude::Tiny => {
                let d = self.nonzero_digit();
                decimal(d, self.rng.random_range(-323..=-150))
            }
            Magnitude::Edge => {
                if self.chance(0.5) {
                    self.edge()
                } else {
                    self.moderate()
                }
            }
        }
    }

    /// A positive parameter (ε, α, l2_max, a standard deviation): moderate, or in edge cases
    /// anything positive the fuzz generator gives (0, tiny, huge and non-finite included, so
    /// that parameter checks are hunted too).
    pub fn positive(&mut self) -> f64 {
        if self.magnitude == Magnitude::Edge && self.chance(0.3) {
            return self.edge().abs();
        }
        let x = self.moderate().abs();
        if x == 0.0 { 0.5 } else { x }
    }

    /// A digit 1…9 with a random sign.
    fn nonzero_digit(&mut self) -> i32 {
        let d = self.rng.random_range(1i32..=9);
        if self.chance(0.5) { -d } else { d }
    }

    /// `x` as a JSON number of the case's precision (rounded to f32 for an f32 case; NaN and
    /// ±∞ as the interface's strings).
    pub fn json(&self, x: f64) -> Value {
        json_number(x, self.precision == Precision::F32)
    }

    /// One of `items`, as JSON.
    pub fn pick_json(&mut self, items: &[f64]) -> Value {
        let x = self.pick(items);
        self.json(x)
    }

    /// A vector of numbers as JSON.
    pub fn json_vec(&self, xs: &[f64]) -> Value {
        Value::Array(xs.iter().map(|x| self.json(*x)).collect())
    }

    /// `n` numbers.
    pub fn numbers(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.number()).collect()
    }
}

/// `x` as a JSON number, rounded to f32 when `single` (NaN and ±∞ as the interface's strings):
/// the shortest decimal that reads back as the same value, in exponent form outside
/// [10⁻⁵, 10¹⁶) so that 10³⁰⁰ is not written with 300 digits.
pub fn json_number(x: f64, single: bool) -> Value {
    // Rounding to the case's precision is the point.
    #[allow(clippy::cast_possible_truncation)]
    let (value, text) = if single {
        let y = x as f32;
        (number(y), format!("{y:e}"))
    } else {
        (number(x), format!("{x:e}"))
    };
    let a = x.abs();
    if x.is_finite() && a != 0.0 && !(1e-5..1e16).contains(&a) {
        serde_json::from_str(&text).unwrap_or(value)
    } else {
        value
    }
}

/// d·10^e, correctly rounded (the decimal's value, not powi's repeated products).
pub fn decimal(d: i32, e: i32) -> f64 {
    format!("{d}e{e}").parse().unwrap_or(0.0)
}
