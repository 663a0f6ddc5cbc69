"""Synthetic data generators."""

from __future__ import annotations

import numbers
import random

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_groupwise_regression"]

SHAPES = ("circle", "square", "triangle")
COLOURS = ("red", "green")
# order of the groups in the reference generator of the paper (weights, noise, permutation)
_PAPER_ORDER = ("circle", "square", "triangle", "green", "red")


def make_groupwise_regression(n_samples=100_000, n_features=20, *, combine="mean",
                              shape_probs=(0.5, 0.3, 0.2), colour_probs=(0.4, 0.6),
                              noise=0.16, weight_range=(0.0, 1.0), random_state=21):
    """Synthetic stream with overlapping groups of the groupwise-regret paper.

    See ``docs/user_guide/regret.md`` ("Algorithm", "Synthetic data").

    The setup of Acharya et al., "Oracle Efficient Algorithms for Groupwise Regret" (ICLR 2024),
    section 5: every sample has a shape group (circle, square, triangle) and a colour group
    (red, green); ``x ~ U[0, 1]^n_features``. Each of the five groups ``g`` owns a weight vector
    ``w_g ~ U[weight_range]^n_features`` and a label ``y_g = w_g . x + N(0, noise^2)`` (independent
    noise per group). A sample's label combines the labels of its two groups (``combine``), and
    the labels are min-max scaled to [0, 1].

    With an integer ``random_state`` the random draws are made in the order of the paper's
    generator (numpy for features, weights, noise and permutation; Python's ``random`` for the
    group draws), so ``random_state=21`` (the paper's seed) gives the paper's group sizes
    (circle 49,857, square 30,044, triangle 20,099, green 59,985, red 40,015 for 100,000 rows).

    Parameters
    ----------
    n_samples : int, default=100_000
    n_features : int, default=20
    combine : {"mean", "min", "max", "permutation"}, default="mean"
        How the two group labels combine: their mean, min or max; ``"permutation"``: the label of
        the sample's group that comes first in a fixed random order of the five groups (the
        paper's "dominance permutation").
    shape_probs : sequence of 3 floats, default=(0.5, 0.3, 0.2)
        Probabilities of circle, square, triangle.
    colour_probs : sequence of 2 floats, default=(0.4, 0.6)
        Probabilities of red, green (the paper: green 0.6, red 0.4).
    noise : float, default=0.16
        Standard deviation of each group's Gaussian label noise (before scaling), the paper's value.
    weight_range : (float, float), default=(0.0, 1.0)
        Bounds of the uniform distribution of the weights.
    random_state : int, RandomState or None, default=21

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (n_samples, n_features), ``target`` (n_samples,) in [0, 1],
        ``sensitive_features`` (DataFrame with ``shape`` and ``colour``), ``groups`` (boolean
        membership DataFrame with columns circle, square, triangle, red, green), ``coef``
        (dict group -> weight vector), ``group_targets`` (DataFrame of every group's own label
        ``y_g`` before combination and scaling), ``permutation`` (group order used by
        ``"permutation"``).

    Examples
    --------
    >>> from fairlearn_online.datasets import make_groupwise_regression
    >>> d = make_groupwise_regression(1000, random_state=0)
    >>> d.data.shape, float(d.target.min()), float(d.target.max())
    ((1000, 20), 0.0, 1.0)
    >>> d.groups.sum().to_dict()
    {'circle': 508, 'square': 302, 'triangle': 190, 'red': 403, 'green': 597}
    """
    if combine not in ("mean", "min", "max", "permutation"):
        raise ValueError(f"combine must be 'mean', 'min', 'max' or 'permutation', got {combine!r}.")
    if int(n_samples) < 2 or int(n_features) < 1:
        raise ValueError("n_samples must be >= 2 and n_features >= 1.")
    for name, probs, k in (("shape_probs", shape_probs, 3), ("colour_probs", colour_probs, 2)):
        p = np.asarray(probs, dtype=float)
        if p.shape != (k,) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise ValueError(f"{name} must be {k} non-negative numbers summing to 1.")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    w_lo, w_hi = (float(v) for v in weight_range)
    if not (np.isfinite(w_lo) and np.isfinite(w_hi) and w_lo <= w_hi):
        raise ValueError(
            f"weight_range must be (low, high) with low <= high, got {weight_range!r}.")
    n_samples, n_features = int(n_samples), int(n_features)
    rng = check_random_state(random_state)
    if isinstance(random_state, numbers.Integral):
        py_seed = int(random_state)
    else:
        py_seed = int(rng.randint(2**31 - 1))
    py_rng = random.Random(py_seed)

    X = rng.uniform(0.0, 1.0, size=(n_samples, n_features))
    shape = np.asarray(py_rng.choices(range(3), weights=list(shape_probs), k=n_samples))
    # colours drawn in the paper's order (green, red)
    green_red = np.asarray(py_rng.choices(range(2), weights=[colour_probs[1], colour_probs[0]],
                                          k=n_samples))
    colour = np.where(green_red == 0, COLOURS.index("green"), COLOURS.index("red"))
    W = rng.uniform(w_lo, w_hi, size=(n_features, len(_PAPER_ORDER)))
    Y = X @ W + rng.normal(scale=noise, size=(n_samples, len(_PAPER_ORDER)))
    perm = rng.permutation(len(_PAPER_ORDER))

    shape_col = shape                                   # columns 0..2 of _PAPER_ORDER
    colour_col = 3 + green_red                          # 3 = green, 4 = red
    rows = np.arange(n_samples)
    y_shape, y_colour = Y[rows, shape_col], Y[rows, colour_col]
    if combine == "mean":
        y = 0.5 * (y_shape + y_colour)
    elif combine == "min":
        y = np.minimum(y_shape, y_colour)
    elif combine == "max":
        y = np.maximum(y_shape, y_colour)
    else:
        rank = np.empty(len(_PAPER_ORDER), dtype=int)
        rank[perm] = np.arange(len(_PAPER_ORDER))        # position of each group in the order
        y = np.where(rank[shape_col] < rank[colour_col], y_shape, y_colour)
    span = y.max() - y.min()
    y = (y - y.min()) / (span if span > 0 else 1.0)

    sensitive = pd.DataFrame({"shape": np.asarray(SHAPES, dtype=object)[shape],
                              "colour": np.asarray(COLOURS, dtype=object)[colour]})
    groups = pd.DataFrame({g: sensitive["shape"].eq(g).to_numpy() for g in SHAPES}
                          | {g: sensitive["colour"].eq(g).to_numpy() for g in COLOURS})
    coef = {g: W[:, j].copy() for j, g in enumerate(_PAPER_ORDER)}
    group_targets = pd.DataFrame(Y, columns=list(_PAPER_ORDER))
    return Bunch(data=X, target=y, sensitive_features=sensitive, groups=groups, coef=coef,
                 group_targets=group_targets,
                 permutation=[_PAPER_ORDER[j] for j in perm])
