//! Complex numbers for frequency responses (`H(e^(i w))` of filters and their products).

/// A complex number, for frequency responses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// The multiplicative identity, 1 + 0i.
    pub const ONE: Complex = Complex { re: 1.0, im: 0.0 };

    /// `re + i im`.
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// `e^(i phase)`, phase in radians.
    pub fn from_phase(phase_rad: f64) -> Self {
        Self::new(phase_rad.cos(), phase_rad.sin())
    }

    /// Squared magnitude (a power gain when `self` is an amplitude response).
    pub fn norm_sqr(self) -> f64 {
        self.re * self.re + self.im * self.im
    }

    /// Magnitude (a linear amplitude gain when `self` is a response).
    pub fn abs(self) -> f64 {
        self.norm_sqr().sqrt()
    }

    /// Phase in radians, in (-pi, pi].
    pub fn arg(self) -> f64 {
        self.im.atan2(self.re)
    }

    /// Magnitude in dB (`20 log10 |z|`; `-inf` for 0).
    pub fn db(self) -> f64 {
        10.0 * self.norm_sqr().log10()
    }
}

impl std::ops::Mul for Complex {
    type Output = Complex;
    fn mul(self, rhs: Complex) -> Complex {
        Complex::new(
            self.re * rhs.re - self.im * rhs.im,
            self.re * rhs.im + self.im * rhs.re,
        )
    }
}

impl std::ops::Div for Complex {
    type Output = Complex;
    fn div(self, rhs: Complex) -> Complex {
        let d = rhs.norm_sqr();
        Complex::new(
            (self.re * rhs.re + self.im * rhs.im) / d,
            (self.im * rhs.re - self.re * rhs.im) / d,
        )
    }
}

impl std::ops::Add for Complex {
    type Output = Complex;
    fn add(self, rhs: Complex) -> Complex {
        Complex::new(self.re + rhs.re, self.im + rhs.im)
    }
}
