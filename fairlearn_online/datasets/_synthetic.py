"""Synthetic data generators."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_groupwise_regression"]

SHAPES = ("circle", "square", "triangle")
COLOURS = ("red", "green")


def make_groupwise_regression(n_samples=100_000, n_features=20, *, combine="mean",
                              shape_probs=(0.5, 0.3, 0.2), colour_probs=(0.6, 0.4),
                              noise=0.05, random_state=None):
    """Synthetic stream with overlapping groups (DESIGN.md section 2).

    Every sample has a shape group (circle, square, triangle) and a colour group (red, green).
    Each of the five groups owns a weight vector; a sample's label combines the linear
    predictions of its shape group and of its colour group, adds Gaussian noise, and all labels
    are min-max scaled to [0, 1].

    Parameters
    ----------
    n_samples : int, default=100_000
    n_features : int, default=20
        ``x ~ U[0, 1]^n_features``.
    combine : {"mean", "min", "max", "permutation"}, default="mean"
        How the two group predictions combine. ``"permutation"``: the colour group's weight
        vector acts on a fixed random permutation of the features, combined by the mean.
    shape_probs, colour_probs : sequence of float
        Group probabilities (each sums to 1).
    noise : float, default=0.05
        Standard deviation of the Gaussian label noise (before scaling).
    random_state : int, RandomState or None

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (n_samples, n_features), ``target`` (n_samples,) in [0, 1],
        ``sensitive_features`` (DataFrame with ``shape`` and ``colour``), ``groups`` (boolean
        membership DataFrame, one column per group), ``coef`` (dict group -> weight vector).

    Examples
    --------
    >>> from fairlearn_online.datasets import make_groupwise_regression
    >>> d = make_groupwise_regression(1000, random_state=0)
    >>> d.data.shape, float(d.target.min()), float(d.target.max())
    ((1000, 20), 0.0, 1.0)
    """
    if combine not in ("mean", "min", "max", "permutation"):
        raise ValueError(f"combine must be 'mean', 'min', 'max' or 'permutation', got {combine!r}.")
    if int(n_samples) < 2 or int(n_features) < 1:
        raise ValueError("n_samples must be >= 2 and n_features >= 1.")
    for name, probs, k in (("shape_probs", shape_probs, 3), ("colour_probs", colour_probs, 2)):
        p = np.asarray(probs, dtype=float)
        if p.shape != (k,) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise ValueError(f"{name} must be {k} non-negative numbers summing to 1.")
    rng = check_random_state(random_state)
    X = rng.uniform(0.0, 1.0, size=(n_samples, n_features))
    shape = rng.choice(3, size=n_samples, p=shape_probs)
    colour = rng.choice(2, size=n_samples, p=colour_probs)
    coef = {g: rng.normal(0.0, 1.0, size=n_features) for g in SHAPES + COLOURS}
    shape_w = np.stack([coef[g] for g in SHAPES])
    colour_w = np.stack([coef[g] for g in COLOURS])
    pred_shape = np.einsum("ij,ij->i", X, shape_w[shape])
    X_colour = X[:, rng.permutation(n_features)] if combine == "permutation" else X
    pred_colour = np.einsum("ij,ij->i", X_colour, colour_w[colour])
    if combine in ("mean", "permutation"):
        y = 0.5 * (pred_shape + pred_colour)
    elif combine == "min":
        y = np.minimum(pred_shape, pred_colour)
    else:
        y = np.maximum(pred_shape, pred_colour)
    y = y + rng.normal(0.0, noise, size=n_samples)
    y = (y - y.min()) / (y.max() - y.min())
    sensitive = pd.DataFrame({"shape": np.asarray(SHAPES, dtype=object)[shape],
                              "colour": np.asarray(COLOURS, dtype=object)[colour]})
    groups = pd.DataFrame({g: sensitive["shape"].eq(g).to_numpy() for g in SHAPES}
                          | {g: sensitive["colour"].eq(g).to_numpy() for g in COLOURS})
    return Bunch(data=X, target=y, sensitive_features=sensitive, groups=groups, coef=coef)
