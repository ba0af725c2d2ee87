"""Prompt prioritisation: for a chosen pair, which prompt the next vote should use.

A vote tells most when the two completions differ and the prompt is one on which voters
commit to a side; a tie or a both-bad verdict tells little about the order. So among the
prompts both competitors answered, prefer those where the pair's two completions differ most
(a dissimilarity in [0, 1] per prompt, e.g. :func:`ratings.core.textsim.text_dissimilarity`)
and those with the smallest share of ties and both-bad verdicts so far, and keep a share of the
choices at random, so every prompt keeps being sampled and the tie estimates stay honest.
"""

from __future__ import annotations

import numpy as np

from ratings.core.types import FloatArray

#: Share of the prompt choices left uniformly random.
RANDOM_SHARE = 0.2


def prompt_probabilities(
    dissimilarity: FloatArray,
    ties: FloatArray,
    votes: FloatArray,
    *,
    random_share: float = RANDOM_SHARE,
    prior_ties: float = 1.0,
    prior_votes: float = 3.0,
) -> FloatArray:
    """The probability of each candidate prompt for one pair.

    Each prompt scores ``dissimilarity × (1 − tie share)``, the tie share (ties and both-bad
    verdicts over votes on the prompt so far, any pair) smoothed towards
    ``prior_ties / prior_votes``; a share ``1 − random_share`` goes to the best-scoring prompts
    (split evenly among equals) and ``random_share`` is spread over all of them.

    Parameters
    ----------
    dissimilarity : array of float, shape (k,)
        How much the pair's two completions differ on each candidate prompt, in [0, 1].
    ties : array of float, shape (k,)
        Ties and both-bad verdicts recorded on each prompt so far.
    votes : array of float, shape (k,)
        Votes recorded on each prompt so far.
    random_share : float, default 0.2
        Share of the probability spread evenly; 1 gives random prompts.
    prior_ties, prior_votes : float
        The smoothing of the tie share (pseudo-counts).

    Returns
    -------
    array of float, shape (k,)
        Probabilities summing to 1.

    Raises
    ------
    ValueError
        If there are no candidates, the shapes differ or ``random_share`` is outside [0, 1].

    References
    ----------
    Z. Wang and E. P. Simoncelli, "Maximum differentiation (MAD) competition", J. Vision 8
    (2008), doi:10.1167/8.12.8. M. Boubdir et al., "Which prompts make the difference? Data
    prioritization for efficient human LLM evaluation", 2023, arXiv:2310.14424.
    """
    d = np.asarray(dissimilarity, dtype=np.float64)
    if d.size == 0 or np.shape(ties) != d.shape or np.shape(votes) != d.shape:
        raise ValueError("need one dissimilarity, tie count and vote count per candidate prompt")
    if not 0.0 <= random_share <= 1.0:
        raise ValueError("random_share must be in [0, 1]")
    tie_share = (np.asarray(ties, dtype=np.float64) + prior_ties) / (
        np.asarray(votes, dtype=np.float64) + prior_votes
    )
    score = np.clip(d, 0.0, 1.0) * (1.0 - np.clip(tie_share, 0.0, 1.0))
    best = (score >= score.max() - 1e-12).astype(np.float64)
    out: FloatArray = (1.0 - random_share) * best / best.sum() + random_share / d.size
    return out
