"""Validation of rankings, the input of every selection rule and of the selector."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._kernels import first_invalid_row

__all__ = ["check_rankings"]


def check_rankings(rankings, *, name="rankings", allow_empty=False):
    """Validate an (n, m) array of rankings: integer dtype, every row a permutation of 0..m-1."""
    if sp.issparse(rankings):
        raise TypeError(f"{name}: sparse input is not supported; pass a dense (n, m) integer "
                        "array of rankings.")
    if hasattr(rankings, "to_numpy"):
        rankings = rankings.to_numpy()
    try:
        arr = np.asarray(rankings)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rankings, n_items); got shape {arr.shape}.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no items: 0 feature(s) (shape={arr.shape}) while a minimum "
                         "of 1 is required.")
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (0 rankings).")
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} must hold integer item indices.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity; it must hold integer item indices.")
    if arr.dtype.kind == "O":
        raise TypeError(f"{name} must be an integer array; got dtype object (ragged rows or "
                        "non-numeric entries?).")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array of item indices; got dtype {arr.dtype}.")
    if arr.dtype.kind == "u" or arr.dtype.itemsize < 4:
        arr = arr.astype(np.int64)
    arr = np.ascontiguousarray(arr)
    row, code = first_invalid_row(arr)
    if row >= 0:
        what = "has a value outside 0..m-1" if code == 1 else "repeats an item"
        raise ValueError(f"{name} row {row} is not a permutation of 0..{arr.shape[1] - 1}: it "
                         f"{what} ({arr[row, :10].tolist()}{' ...' if arr.shape[1] > 10 else ''}).")
    return arr
