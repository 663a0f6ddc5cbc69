"""Partial information decomposition of disparity (docs/user_guide/optimum.md, BROJA definition).

For a protected attribute Z, a prediction Yhat and a second variable S (client, site...):

* global disparity ``I(Z;Yhat)``, local disparity ``I(Z;Yhat|S)``;
* ``Uni(Z:Yhat\\S) = min_{Q in Delta_P} I_Q(Z;Yhat|S)`` with ``Delta_P`` the joint distributions of
  (Z, Yhat, S) with the same (Z,Yhat) and (Z,S) marginals as P (Bertschinger, Rauh, Olbrich, Jost
  and Ay, 2014: "BROJA"; Hamman and Dutta, ICLR 2024, Definition 2 / eq. (2));
* ``Red = I(Z;Yhat) - Uni`` and ``Syn = I(Z;Yhat|S) - Uni``.

The minimization is a convex program: with (Z,S) fixed, ``Q(z|s) = P(z|s)`` and

    I_Q(Z;Yhat|S) = sum_{z,yhat,s} q(z,yhat,s) log[ q(z,yhat,s) / (P(z|s) q(yhat,s)) ],

a sum of relative entropies ``rel_entr(q, P(z|s) q(yhat,s))`` of affine functions of ``q``.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from ._info import (check_joint, conditional_mutual_information, empirical_joint,
                    encode_labels, mutual_information, sample_count, solve)

__all__ = ["DisparityDecomposition", "disparity_decomposition",
           "disparity_decomposition_from_joint"]

#: Slack allowed when clipping the solver's unique information into [0, min(I_g, I_l)].
_CLIP_TOL = 1e-6


@dataclass(frozen=True)
class DisparityDecomposition:
    """Global and local disparity of a prediction and their partial information decomposition.

    All values are in bits and satisfy ``global_disparity = unique + redundant`` and
    ``local_disparity = unique + synergistic``.

    Parameters
    ----------
    global_disparity : float
        ``I(Z;Yhat)``: dependence of the prediction on the protected attribute over all data.
    local_disparity : float
        ``I(Z;Yhat|S) = sum_s P(s) I(Z;Yhat|S=s)``: average dependence inside each value of S.
    unique : float
        ``Uni(Z:Yhat\\S)``: disparity that is both global and local.
    redundant : float
        ``Red(Z:Yhat,S)``: global disparity explained by S (it vanishes once S is known).
    synergistic : float
        ``Syn(Z:Yhat,S)``: local disparity masked globally (only visible together with S).
    status : str
        Solver status of the BROJA program (``"optimal"``, ``"optimal_inaccurate"``) or
        ``"trivial"`` when no program was needed (a disparity is 0 or Q is unique).
    """

    global_disparity: float
    local_disparity: float
    unique: float
    redundant: float
    synergistic: float
    status: str = "optimal"

    def to_dict(self) -> dict:
        """The fields as a plain dict (for DataFrame rows)."""
        return asdict(self)


def _broja_unique(p, solver=None):
    """``min_{Q in Delta_P} I_Q(Z;Yhat|S)`` in bits for ``p[z, yhat, s]`` (positive marginals).

    Returns ``(value, status)``.
    """
    import cvxpy as cp

    p_zy = p.sum(axis=2)
    p_zs = p.sum(axis=1)
    p_s = p_zs.sum(axis=0)
    nz, ny, ns = p.shape
    # Q(z,yhat,s) can be positive only where both fixed marginals are positive.
    support = (p_zy[:, :, None] > 0) & (p_zs[:, None, :] > 0)
    cells = np.argwhere(support)  # rows (z, yhat, s)
    m = len(cells)
    z_idx, y_idx, s_idx = cells.T

    # Marginal constraints as sparse-ish incidence matrices (small alphabets: dense is fine).
    zy_keys = z_idx * ny + y_idx
    zs_keys = z_idx * ns + s_idx
    zy_rows = np.unique(zy_keys)
    zs_rows = np.unique(zs_keys)
    A_zy = (zy_keys[None, :] == zy_rows[:, None]).astype(float)
    A_zs = (zs_keys[None, :] == zs_rows[:, None]).astype(float)
    b_zy = p_zy.ravel()[zy_rows]
    b_zs = p_zs.ravel()[zs_rows]
    # q(yhat, s) of each cell's (yhat, s), scaled by P(z|s): the reference measure of rel_entr.
    ys_keys = y_idx * ns + s_idx
    same_ys = (ys_keys[:, None] == ys_keys[None, :]).astype(float)
    p_z_given_s = p_zs[z_idx, s_idx] / p_s[s_idx]
    D = p_z_given_s[:, None] * same_ys

    q = cp.Variable(m, nonneg=True)
    objective = cp.Minimize(cp.sum(cp.rel_entr(q, D @ q)))
    problem = cp.Problem(objective, [A_zy @ q == b_zy, A_zs @ q == b_zs])
    status = solve(problem, solver, what="BROJA unique-information program")
    qv = np.clip(np.asarray(q.value, dtype=float), 0.0, None)
    Q = np.zeros_like(p)
    Q[z_idx, y_idx, s_idx] = qv
    Q /= Q.sum()
    return conditional_mutual_information(Q), status


def disparity_decomposition_from_joint(p_z_yhat_s, *, solver=None):
    """Partial information decomposition of disparity from a joint distribution.

    Parameters
    ----------
    p_z_yhat_s : array-like of shape (n_z, n_yhat, n_s)
        Joint probabilities ``P(Z=z, Yhat=yhat, S=s)``: finite, non-negative, summing to 1.
        Zero cells and whole zero slices are allowed.
    solver : str, optional
        cvxpy solver for the BROJA program; default Clarabel with SCS as fallback.

    Returns
    -------
    DisparityDecomposition

    Raises
    ------
    ValueError
        If the array is not 3-D, has NaN/inf or negative entries, or does not sum to 1.
    RuntimeError
        If the conic solver fails.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import disparity_decomposition_from_joint
    >>> p = np.zeros((2, 2, 2))
    >>> for yhat in (0, 1):
    ...     for s in (0, 1):
    ...         p[yhat ^ s, yhat, s] = 0.25      # Z = Yhat xor S: masked (synergistic) disparity
    >>> d = disparity_decomposition_from_joint(p)
    >>> round(d.global_disparity, 6), round(d.local_disparity, 6), round(d.synergistic, 6)
    (0.0, 1.0, 1.0)
    """
    p = check_joint(p_z_yhat_s, name="p_z_yhat_s", ndim=3)
    # drop values of each variable that never occur: they carry no information
    keep = [p.sum(axis=tuple(j for j in range(3) if j != i)) > 0 for i in range(3)]
    p = p[np.ix_(*keep)]
    i_global = mutual_information(p.sum(axis=2))
    i_local = conditional_mutual_information(p)
    ceiling = min(i_global, i_local)
    if ceiling <= 1e-12 or min(p.shape) == 1:
        uni, status = (0.0 if ceiling <= 1e-12 else ceiling), "trivial"
    else:
        uni, status = _broja_unique(p, solver)
        if uni < -_CLIP_TOL or uni > ceiling + _CLIP_TOL:
            warnings.warn(
                f"The BROJA solver returned Uni = {uni:.3g} bits outside [0, {ceiling:.3g}]; "
                "it was clipped (status " + status + ").", RuntimeWarning, stacklevel=2)
        uni = float(np.clip(uni, 0.0, ceiling))
    return DisparityDecomposition(
        global_disparity=i_global, local_disparity=i_local, unique=uni,
        redundant=max(i_global - uni, 0.0), synergistic=max(i_local - uni, 0.0), status=status)


def disparity_decomposition(z, yhat, s, *, sample_weight=None, solver=None):
    """Global and local disparity of predictions and their partial information decomposition.

    Decomposes the global disparity ``I(Z;Yhat)`` and the local disparity ``I(Z;Yhat|S)`` (in
    bits) into unique, redundant and synergistic parts (BROJA; ``docs/user_guide/optimum.md``):
    ``I(Z;Yhat) = Uni + Red`` and ``I(Z;Yhat|S) = Uni + Syn``.

    Parameters
    ----------
    z : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Protected attribute (any hashable labels; several columns = intersectional groups).
    yhat : array-like of shape (n_samples,)
        Predictions (any hashable labels).
    s : array-like of shape (n_samples,) or (n_samples, k)
        Second variable: client, site, or any other discrete variable.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights of the empirical distribution.
    solver : str, optional
        cvxpy solver; default Clarabel with SCS as fallback.

    Returns
    -------
    DisparityDecomposition
        A variable with a single value gives all-zero disparities.

    Raises
    ------
    ValueError
        On empty input, mismatched lengths or missing labels.

    See Also
    --------
    disparity_decomposition_from_joint : the same from a joint distribution.

    Examples
    --------
    >>> from fairlearn_online.optimum import disparity_decomposition
    >>> z    = [0, 0, 1, 1, 0, 0, 1, 1]
    >>> s    = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> yhat = [0, 0, 1, 1, 1, 1, 0, 0]   # fair overall, unfair inside each client
    >>> d = disparity_decomposition(z, yhat, s)
    >>> round(d.global_disparity, 6), round(d.local_disparity, 6), round(d.synergistic, 6)
    (0.0, 1.0, 1.0)
    """
    n = sample_count(z, name="z", empty_message="z, yhat and s must not be empty.")
    codes, shapes = [], []
    for values, name in ((z, "z"), (yhat, "yhat"), (s, "s")):
        c, labels = encode_labels(values, n, name=name)
        codes.append(c)
        shapes.append(len(labels))
    p = empirical_joint(*codes, shape=tuple(shapes), sample_weight=sample_weight)
    return disparity_decomposition_from_joint(p, solver=solver)
