//! Conventions: the explicit settings under which the chapter's algorithms compute what a real
//! library computes (`shared/spec/profiles.md`, interface version 2; `docs/profiles.md` cites
//! each peer's source line).
//!
//! A convention is one setting of the core's algorithms, never a copy of an algorithm: the
//! same natural gradient, trust region, clamped surrogate and gradient scaling serve every
//! profile, and a [`Profile`] is a named preset of [`Conventions`]. The book's settings
//! ([`Conventions::book`]) are the version-1 behaviour.

use std::fmt;

/// A named preset of conventions (`"profile"` of a version-2 case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The book's conventions (version 1, the default).
    Book,
    /// stable-baselines3 and sb3-contrib 2.x (verified against 2.9.2 with torch 2.15).
    Sb3,
    /// torch.nn.utils and torch.distributions 2.x (verified against 2.15).
    Torch,
}

impl Profile {
    /// Every profile, in the order of the spec's table.
    pub const ALL: [Profile; 3] = [Profile::Book, Profile::Sb3, Profile::Torch];

    /// The interface name (`"book"`, `"sb3"`, `"torch"`).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Book => "book",
            Profile::Sb3 => "sb3",
            Profile::Torch => "torch",
        }
    }

    /// The profile of an interface name.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The conventions this profile presets. For `sb3`, [`Conventions::normalize_advantage`]
    /// is TRPO's (`sample_std`); PPO's operations use `sample_std_if_several`
    /// ([`Conventions::for_ppo`]).
    pub fn conventions(self) -> Conventions {
        match self {
            Profile::Book => Conventions::book(),
            Profile::Sb3 => Conventions {
                fisher: FisherKind::KlHessian,
                damping: 0.1,
                step_scale: StepScale::UDotAu,
                linesearch_kl: LinesearchKl::NewOld,
                acceptance: Acceptance::Strict,
                advantages: Advantages::Supplied,
                normalize_advantage: NormalizeAdvantage::SampleStd,
                averaging: Averaging::PerSample,
                clip_boundary_gradient: ClipBoundaryGradient::Torch,
                ..Conventions::book()
            },
            Profile::Torch => Conventions {
                norm: Norm::Naive,
                clip_norm_epsilon: 1e-6,
                nonfinite: Nonfinite::Propagate,
                probabilities: Probabilities::NormalizeAndClamp,
                kl_form: KlForm::VarianceRatio,
                ..Conventions::book()
            },
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Declares a convention's value enum with its interface names.
macro_rules! convention_values {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The interface name of this value.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value of an interface name.
            pub fn from_name(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

convention_values!(
    /// `fisher`: which matrix the natural gradient solves with.
    FisherKind {
        /// Mean over trajectories of ∇log p(τ)∇log p(τ)ᵀ (Eq. 12.10).
        Empirical = "empirical",
        /// The Hessian at θ′ = θ of the mean over samples of D_KL(π_θ′(·∣s) ‖ π_θ(·∣s)): the mean
        /// of the policy's Fisher information at each sample's state (sb3-contrib's
        /// `hessian_vector_product`).
        KlHessian = "kl_hessian",
    }
);

convention_values!(
    /// `cg_stop`: when conjugate gradients stop.
    CgStop {
        /// ‖r‖ ≤ tol·‖g‖ (version 1).
        Relative = "relative",
        /// ‖r‖² < tol; the start is returned when it already holds (sb3-contrib's
        /// `conjugate_gradient_solver`).
        AbsoluteSquared = "absolute_squared",
    }
);

convention_values!(
    /// `step_scale`: the trust region's step length β along the solved direction u.
    StepScale {
        /// β = √(2ε/gᵀu) (Eq. 12.13).
        GDotU = "g_dot_u",
        /// β = √(2δ/uᵀ(F + λI)u) (sb3-contrib's `line_search_max_step_size`).
        UDotAu = "u_dot_au",
    }
);

convention_values!(
    /// `linesearch_kl`: the divergence the line search bounds.
    LinesearchKl {
        /// D_KL(π_θ ‖ π_θ′) summed per trajectory, mean over trajectories (Eq. 12.19).
        OldNew = "old_new",
        /// Mean over samples of D_KL(π_θ′(·∣s) ‖ π_θ(·∣s)) (sb3-contrib).
        NewOld = "new_old",
    }
);

convention_values!(
    /// `acceptance`: the line search's test.
    Acceptance {
        /// g ≤ ε and f′ > f (Algorithm 12.5).
        Book = "book",
        /// KL < δ and f′ > f (sb3-contrib).
        Strict = "strict",
    }
);

convention_values!(
    /// `advantages`: where the advantage estimates come from.
    Advantages {
        /// Rewards-to-go from `trajectories` and γ (the book's code).
        RewardToGo = "reward_to_go",
        /// Given per sample (`samples[].advantage`), as the peers' rollout buffers hold them.
        Supplied = "supplied",
    }
);

convention_values!(
    /// `normalize_advantage`: whether the advantages are standardised before use.
    NormalizeAdvantage {
        /// As given.
        None = "none",
        /// (A − mean)/(std + 10⁻⁸), std with n − 1 (sb3-contrib TRPO).
        SampleStd = "sample_std",
        /// As `sample_std` only when there is more than one sample (SB3 PPO).
        SampleStdIfSeveral = "sample_std_if_several",
    }
);

convention_values!(
    /// `averaging`: how per-sample terms are averaged.
    Averaging {
        /// Mean over trajectories of each trajectory's mean (the book's algorithms).
        PerTrajectory = "per_trajectory",
        /// Flat mean over samples (the peers' minibatch mean).
        PerSample = "per_sample",
    }
);

convention_values!(
    /// `norm`: how ‖g‖ is computed.
    Norm {
        /// Scaled: never overflows when the norm is representable.
        Scaled = "scaled",
        /// √Σg², may overflow (torch's `vector_norm`).
        Naive = "naive",
    }
);

convention_values!(
    /// `nonfinite`: what a NaN or ∞ input or intermediate does.
    Nonfinite {
        /// A typed error (version 1).
        Error = "error",
        /// Propagated as the peer does, written as version 1's strings.
        Propagate = "propagate",
    }
);

convention_values!(
    /// `probabilities`: how a categorical distribution's probabilities are taken.
    Probabilities {
        /// As given (must be a probability vector).
        AsGiven = "as_given",
        /// Divided by their sum, and clamped to [ε, 1 − ε] inside the logarithms (torch's
        /// `Categorical(probs=…)`, ε the scalar's machine epsilon).
        NormalizeAndClamp = "normalize_and_clamp",
    }
);

convention_values!(
    /// `clip_boundary_gradient`: the gradient of the clamped objective at a clip bound.
    ClipBoundaryGradient {
        /// Algorithm 12.6's strict tests.
        Book = "book",
        /// As torch's autograd: `clamp` passes gradient 0 at a bound, `min` splits a tie ½/½.
        Torch = "torch",
    }
);

convention_values!(
    /// `kl_form`: how the KL divergence of two normals is evaluated (added by pgoracle, not in
    /// the spec's first table; `docs/profiles.md`).
    KlForm {
        /// The forward-accurate closed form (version 1): never overflows when the KL is finite.
        Stable = "stable",
        /// ½(r + t − 1 − ln r), r = (σ_p/σ_q)², t = ((μ_p − μ_q)/σ_q)², as torch's
        /// `_kl_normal_normal`: r underflows to 0 (KL = ∞) or overflows.
        VarianceRatio = "variance_ratio",
    }
);

/// Every convention of one evaluation. The solver (`solver`, `cg_start`, `cg_stop`) is the
/// operation's input, as in version 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conventions {
    /// `fisher`.
    pub fisher: FisherKind,
    /// `damping`: λ ≥ 0 added in every Fisher product, (F + λI)v.
    pub damping: f64,
    /// `step_scale`.
    pub step_scale: StepScale,
    /// `linesearch_kl`.
    pub linesearch_kl: LinesearchKl,
    /// `acceptance`.
    pub acceptance: Acceptance,
    /// `advantages`.
    pub advantages: Advantages,
    /// `normalize_advantage`.
    pub normalize_advantage: NormalizeAdvantage,
    /// `averaging`.
    pub averaging: Averaging,
    /// `norm`.
    pub norm: Norm,
    /// `clip_norm_epsilon`: ≥ 0, added to ‖g‖ before dividing.
    pub clip_norm_epsilon: f64,
    /// `nonfinite`.
    pub nonfinite: Nonfinite,
    /// `probabilities`.
    pub probabilities: Probabilities,
    /// `clip_boundary_gradient`.
    pub clip_boundary_gradient: ClipBoundaryGradient,
    /// `kl_form`.
    pub kl_form: KlForm,
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions::book()
    }
}

impl Conventions {
    /// The book's conventions: version 1.
    pub const fn book() -> Self {
        Conventions {
            fisher: FisherKind::Empirical,
            damping: 0.0,
            step_scale: StepScale::GDotU,
            linesearch_kl: LinesearchKl::OldNew,
            acceptance: Acceptance::Book,
            advantages: Advantages::RewardToGo,
            normalize_advantage: NormalizeAdvantage::None,
            averaging: Averaging::PerTrajectory,
            norm: Norm::Scaled,
            clip_norm_epsilon: 0.0,
            nonfinite: Nonfinite::Error,
            probabilities: Probabilities::AsGiven,
            clip_boundary_gradient: ClipBoundaryGradient::Book,
            kl_form: KlForm::Stable,
        }
    }

    /// The conventions of a PPO operation under `profile`: SB3's PPO normalises only batches of
    /// more than one sample (`ppo.py`), where its TRPO normalises always.
    pub fn for_ppo(profile: Profile) -> Self {
        let mut c = profile.conventions();
        if c.normalize_advantage == NormalizeAdvantage::SampleStd {
            c.normalize_advantage = NormalizeAdvantage::SampleStdIfSeveral;
        }
        c
    }
}

convention_values!(
    /// A place where, on one input, a peer's computation departs from the mathematics (the
    /// `departures` output of a peer profile). Under the book's conventions none occurs.
    Departure {
        /// Σg² overflowed (or underflowed to 0 with g ≠ 0) in the naive norm: the reported norm
        /// is ∞ (or 0), and `clip_grad_norm_` scales the gradient by 0 (or leaves it).
        NormOverflow = "norm_overflow",
        /// ‖g‖ + ε replaced ‖g‖ in the clip coefficient, so a gradient longer than the bound is
        /// scaled to slightly less than it.
        NormEpsilon = "norm_epsilon",
        /// A NaN or ∞ was propagated into the output instead of being reported as an error.
        NonfinitePropagated = "nonfinite_propagated",
        /// The probabilities did not sum to 1 and were divided by their sum.
        ProbabilitiesNormalized = "probabilities_normalized",
        /// A probability outside [ε, 1 − ε] was clamped inside a logarithm.
        ProbabilitiesClamped = "probabilities_clamped",
        /// (σ_p/σ_q)² underflowed to 0 or overflowed in torch's Normal KL.
        VarianceRatioRange = "variance_ratio_range",
        /// w landed exactly on a clip bound, where torch's autograd gives half (a `min` tie) or
        /// none (`clamp`) of the gradient the book's strict tests give.
        ClipBoundaryTie = "clip_boundary_tie",
    }
);
