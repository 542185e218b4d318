//! Discounted return and reward-to-go (Algorithms 12.3–12.6; footnote 7 of Section 12.4).

use pgoracle::{Step, discounted_return, reward_to_go, rewards_to_go};

fn tau(rewards: &[f64]) -> Vec<Step<f64, f64, f64>> {
    rewards
        .iter()
        .map(|&r| Step { s: 0.0, a: 0.0, r })
        .collect()
}

#[test]
fn discounted_return_by_hand() {
    // 1 + 2·0.5 + 3·0.25 = 2.75
    assert_eq!(discounted_return(&tau(&[1.0, 2.0, 3.0]), 0.5), 2.75);
    assert_eq!(discounted_return(&tau(&[1.0, 2.0, 3.0]), 1.0), 6.0);
    // γ = 0: only the first reward (0⁰ = 1).
    assert_eq!(discounted_return(&tau(&[1.0, 2.0, 3.0]), 0.0), 1.0);
}

#[test]
fn reward_to_go_is_discounted_from_the_first_step() {
    // The book's code: R(τ, j) = Σ_{k≥j} r_k γ^(k−1). For r = [1, 2, 3], γ = 0.5:
    // R(τ, 2) = 2·0.5 + 3·0.25 = 1.75. Footnote 7's printed exponent ℓ − k would give
    // 2 + 3·0.5 = 3.5 (docs/errata.md).
    let t = tau(&[1.0, 2.0, 3.0]);
    assert_eq!(reward_to_go(&t, 1, 0.5), 2.75);
    assert_eq!(reward_to_go(&t, 2, 0.5), 1.75);
    assert_eq!(reward_to_go(&t, 3, 0.5), 0.75);
    assert_eq!(reward_to_go(&t, 4, 0.5), 0.0);
    assert_eq!(rewards_to_go(&t, 0.5), vec![2.75, 1.75, 0.75]);
}
