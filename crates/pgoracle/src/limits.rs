//! Size and iteration limits: requests beyond them are `InvalidParameter` instead of a
//! computation that exhausts memory or does not end in practice (docs/edge-cases.md).

use crate::error::{PgError, Result};

/// Largest n for which pgoracle forms the explicit n × n Fisher matrix (n² = 2²⁶ entries,
/// 512 MiB in f64). Beyond it only the matrix-free conjugate gradient solver applies.
pub const MAX_EXPLICIT_PARAMS: usize = 8192;

/// Upper bound on the clamped update's `k_max` and the conjugate gradient's `max_iters`.
pub const MAX_ITERATIONS: usize = 1_000_000;

/// `InvalidParameter` (naming `scores`) unless an explicit n × n Fisher matrix for `n`
/// parameters is within [`MAX_EXPLICIT_PARAMS`].
///
/// # Errors
/// `InvalidParameter` for n > [`MAX_EXPLICIT_PARAMS`].
pub fn check_explicit_size(n: usize) -> Result<()> {
    if n > MAX_EXPLICIT_PARAMS {
        return Err(PgError::invalid(
            "scores",
            format!(
                "{n} parameters: the explicit Fisher matrix is limited to n ≤ {MAX_EXPLICIT_PARAMS} \
                 (use the conjugate_gradient solver, which never forms it)"
            ),
        ));
    }
    Ok(())
}
