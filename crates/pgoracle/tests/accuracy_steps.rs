//! Issue #16, items 5, 6 and 9: steps, sums and solves without intermediate overflow,
//! underflow or cancellation. Expected values are 100-digit mpmath evaluations of the exact
//! inputs.
