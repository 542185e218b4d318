//! Issue #16, items 1–4 and 7: forward accuracy of the policies' scores, likelihood ratios and
//! KL divergences at near-equal distributions, near-certain actions and far tails. Expected
//! values are 100-digit mpmath evaluations of the exact inputs.
