"""The paper's configuration of the regret experiments against a transcription of the authors'
loop (krishnacharya/multidecomp, ``bilevel/Anh.py``, ``ORidge.py``, ``Groupwise_seedruns.py``),
written here round by round in plain numpy."""

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import lstsq

from fairlearn_online.datasets import make_groupwise_regression
from fairlearn_online.experiments import regret as exp


def _authors_ridge(X, y, active):
    """``Manual_inv_LinearExpert`` (l2_pen = 1, no clip) on the rows where ``active``:
    predict ``x . theta``, then Sherman-Morrison on ``x x^T`` and ``theta = A^-1 sum y x``."""
    d = X.shape[1]
    inv = np.eye(d)
    b = np.zeros(d)
    theta = np.zeros(d)
    loss = np.zeros(len(y))
    for t in np.flatnonzero(active):
        x = X[t].reshape(-1, 1)
        loss[t] = (float(X[t] @ theta) - y[t]) ** 2
        b += y[t] * X[t]
        inv = inv - (inv @ x @ x.T @ inv) / (1.0 + (x.T @ inv @ x).item())
        theta = inv @ b
    return loss


def _authors_anh(X, y, A):
    """``Adanormal_sleepingexps`` over one ridge per column of ``A``; returns ``loss_ada_t_arr``
    (the expected loss ``p . l`` of every round)."""
    T, N = A.shape
    d = X.shape[1]
    inv = np.repeat(np.eye(d)[None], N, axis=0)
    b = np.zeros((N, d))
    theta = np.zeros((N, d))
    R = np.zeros(N)
    C = np.zeros(N)
    out = np.zeros(T)
    for t in range(T):
        a = A[t]
        if np.all(a == 0):
            p = np.ones(N) / N
        else:
            dr = 3 * (C + 1)
            v = 0.5 * (np.exp(np.clip(R + 1, 0.0, None) ** 2 / dr)
                       - np.exp(np.clip(R - 1, 0.0, None) ** 2 / dr)) * a
            p = a / a.sum() if np.all(v == 0) else v / v.sum()
        loss = np.zeros(N)
        for i in np.flatnonzero(a):
            x = X[t].reshape(-1, 1)
            loss[i] = (float(X[t] @ theta[i]) - y[t]) ** 2
            b[i] += y[t] * X[t]
            inv[i] = inv[i] - (inv[i] @ x @ x.T @ inv[i]) / (1.0 + (x.T @ inv[i] @ x).item())
            theta[i] = inv[i] @ b[i]
        out[t] = p @ loss
        r = (out[t] - loss) * a
        R += r
        C += np.abs(r)
    return out


def _authors_end_regret(X, y, A, loss):
    """``build_regret_curve`` at the last position ``p = T_g - 1``: cumulative loss over all
    ``T_g`` rows minus the unclipped least-squares error on ``X_g[:p]`` (the last row dropped)."""
    out = []
    for g in range(A.shape[1]):
        rows = np.flatnonzero(A[:, g])
        p = len(rows) - 1
        Xg, yg = X[rows][:p], y[rows][:p]
        theta = lstsq(Xg, yg)[0]
        out.append(np.cumsum(loss[rows])[p] - np.sum((Xg @ theta - yg) ** 2))
    return np.array(out)


@pytest.mark.parametrize("combine", ["mean", "permutation"])
def test_paper_configuration_equals_the_authors_loop(combine):
    d = make_groupwise_regression(1500, 6, combine=combine, random_state=21)
    groups = d.groups[["circle", "square", "triangle", "green", "red"]]
    order = exp._order(len(d.target), 473)
    x, y = d.data[order], d.target[order]
    groups = groups.iloc[order].reset_index(drop=True)
    results, _ = exp._run_stream(x, y, groups, "paper")
    results = pd.DataFrame(results).set_index(["method", "group"])

    # the authors' inputs: [x, group indicators], A_t = the groups plus always_on (last)
    X = np.hstack([x, groups.to_numpy(float)])
    A = np.column_stack([groups.to_numpy(float), np.ones(len(y))])
    names = list(groups.columns) + ["always_on"]
    anh = _authors_end_regret(X, y, A, _authors_anh(X, y, A))
    base = _authors_end_regret(X, y, A, _authors_ridge(X, y, np.ones(len(y), bool)))
    for g, name in enumerate(names):
        assert results.loc[("ours_expected", name), "regret_authors"] == pytest.approx(
            anh[g], rel=1e-9, abs=1e-9)
        assert results.loc[("baseline", name), "regret_authors"] == pytest.approx(
            base[g], rel=1e-9, abs=1e-9)


def test_the_authors_comparator_drops_the_last_row():
    d = make_groupwise_regression(800, 4, random_state=21)
    groups = d.groups[["circle", "square", "triangle", "green", "red"]]
    results, _ = exp._run_stream(d.data, d.target, groups, "paper")
    frame = pd.DataFrame(results)
    # fewer rows in the comparator: its error is smaller, the regret larger
    assert (frame["hindsight_loss_authors"] <= frame["hindsight_loss"] + 1e-12).all()
    assert (frame["regret_authors"] >= frame["regret"] - 1e-12).all()
    X = np.hstack([d.data, groups.to_numpy(float)])
    rows = np.flatnonzero(groups["circle"].to_numpy())
    Xg, yg = X[rows], d.target[rows]
    full = np.sum((Xg @ lstsq(Xg, yg)[0] - yg) ** 2)
    head = np.sum((Xg[:-1] @ lstsq(Xg[:-1], yg[:-1])[0] - yg[:-1]) ** 2)
    row = frame[(frame["method"] == "baseline") & (frame["group"] == "circle")].iloc[0]
    assert row["hindsight_loss"] == pytest.approx(full, rel=1e-8)
    assert row["hindsight_loss_authors"] == pytest.approx(head, rel=1e-8)


def test_clip_predictions_off_gives_the_raw_ridge_predictions():
    from fairlearn_online.baselines import GroupIndicatorRidgeRegressor
    from fairlearn_online.regret import GroupwiseRegretRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.clip(0.5 + 0.4 * X[:, 0], 0, 1)
    X[-5:] *= 30                                  # far-out rows: raw predictions leave [0, 1]
    g = rng.choice(["a", "b"], 300)
    for cls in (GroupwiseRegretRegressor, GroupIndicatorRidgeRegressor):
        raw = cls(y_range=(0, 1), clip_predictions=False).partial_fit_predict(
            X, y, sensitive_features=g)
        clipped = cls(y_range=(0, 1)).partial_fit_predict(X, y, sensitive_features=g)
        assert raw.min() < 0 or raw.max() > 1
        assert 0 <= clipped.min() and clipped.max() <= 1
        if cls is GroupIndicatorRidgeRegressor:  # its updates do not depend on the predictions
            np.testing.assert_allclose(np.clip(raw, 0, 1), clipped, atol=1e-12)
        est = cls(clip_predictions=False).fit(X, y, sensitive_features=g)
        assert est.predict(X[-5:], sensitive_features=g[-5:]).max() > 1 or \
            est.predict(X[-5:], sensitive_features=g[-5:]).min() < 0
        with pytest.raises(TypeError, match="clip_predictions"):
            cls(clip_predictions="no").fit(X, y, sensitive_features=g)
