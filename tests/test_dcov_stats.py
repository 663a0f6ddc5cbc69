"""Public statistics of fairlearn_online.dcov against the dcor package itself (1e-10 relative)."""

import dcor
import numpy as np
import pandas as pd
import pytest

from fairlearn_online.dcov import (
    concatenated_distance_covariance,
    concatenated_distance_covariance_grad,
    distance_correlation,
    distance_correlation_grad,
    distance_covariance,
    distance_covariance_grad,
    encode_sensitive_features,
    joint_distance_covariance,
    joint_distance_covariance_grad,
)

A = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], float)
B = np.array([[1], [0], [0], [1]], float)


def close(ours, theirs, rtol=1e-10):
    theirs = float(theirs)
    assert abs(ours - theirs) <= rtol * max(abs(theirs), 1e-300), (ours, theirs)


# ------------------------------------------------- check values of docs/user_guide/dcov.md
@pytest.mark.parametrize("x,y,v,u", [(A, A, 52.0, 42.6667), (A, B, 1.0, -2.6667),
                                     (B, B, 0.25, 0.6667)])
def test_design_check_values(x, y, v, u):
    close(distance_covariance(x, y, unbiased=False), v)
    assert round(distance_covariance(x, y), 4) == u
    close(distance_covariance(x, y), dcor.u_distance_covariance_sqr(x, y))
    close(distance_covariance(x, y, unbiased=False), dcor.distance_covariance_sqr(x, y))


def test_design_check_dcor():
    assert abs(distance_correlation(A, B) - 0.5266403) < 1e-7  # the docs page truncates
    close(distance_correlation(A, B), dcor.distance_correlation(A, B))


# ---------------------------------------------------------------- random inputs, every path
def _cases():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    cases = {
        "1d-1d": (x, x ** 2 + rng.normal(size=n)),
        "1d-1d-ties": (np.round(x, 1), np.round(x + rng.normal(size=n), 1)),
        "1d-onehot": (x, np.eye(4)[rng.integers(0, 4, n) * (x > 0)]),
        "1d-multi": (x, np.column_stack([x + rng.normal(size=n), rng.normal(size=n)])),
        "multi-1d": (np.column_stack([x, rng.normal(size=n)]), np.abs(x)),
        "multi-multi": (rng.normal(size=(n, 3)), np.column_stack([x, x ** 2])),
    }
    return cases


@pytest.mark.parametrize("case", list(_cases()))
@pytest.mark.parametrize("unbiased", [True, False])
def test_distance_covariance_equals_dcor(case, unbiased):
    x, y = _cases()[case]
    peer = dcor.u_distance_covariance_sqr if unbiased else dcor.distance_covariance_sqr
    close(distance_covariance(x, y, unbiased=unbiased), peer(x, y, method="naive"))
    if np.ndim(x) == 1:
        value, grad = distance_covariance_grad(x, y, unbiased=unbiased)
        close(value, peer(x, y, method="naive"))
        assert grad.shape == (len(x),)


@pytest.mark.parametrize("case", list(_cases()))
def test_distance_correlation_equals_dcor(case):
    x, y = _cases()[case]
    close(distance_correlation(x, y), dcor.distance_correlation(x, y, method="naive"))
    close(distance_correlation(x, y, unbiased=True),
          dcor.u_distance_correlation_sqr(x, y, method="naive"))


@pytest.mark.parametrize("unbiased", [True, False])
def test_distance_correlation_gradient_by_finite_differences(unbiased):
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    y = np.column_stack([x + rng.normal(size=40), rng.integers(0, 2, 40)])
    value, grad = distance_correlation_grad(x, y, unbiased=unbiased)
    close(value, distance_correlation(x, y, unbiased=unbiased))
    eps = 1e-6
    for k in (0, 13, 39):
        e = np.zeros(40)
        e[k] = eps
        fd = (distance_correlation(x + e, y, unbiased=unbiased)
              - distance_correlation(x - e, y, unbiased=unbiased)) / (2 * eps)
        assert abs(fd - grad[k]) < 1e-6


def test_constant_variable_gives_zero_correlation():
    x = np.arange(10.0)
    assert distance_correlation(x, np.ones(10)) == 0.0
    value, grad = distance_correlation_grad(x, np.ones(10))
    assert value == 0.0 and not grad.any()


# ---------------------------------------------------------------- JdCov
def test_jdcov_two_variables_is_unbiased_dcov():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=60), rng.normal(size=(60, 2))
    y[:, 0] += x
    close(joint_distance_covariance([x, y], c=3.0), dcor.u_distance_covariance_sqr(x, y))


def test_jdcov_three_variables_expansion_uses_pairwise_dcor():
    """JdCov = c sum_{i<j} dCov2_U(X_i, X_j) + third-order term; with c large the pairs dominate."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=50)
    s1 = (x + rng.normal(size=50) > 0).astype(float)
    s2 = rng.normal(size=50)
    pairs = sum(dcor.u_distance_covariance_sqr(p, q) for p, q in [(x, s1), (x, s2), (s1, s2)])
    c1, c2 = 10.0, 20.0
    # the third-order term does not depend on c: the difference isolates the pairs
    diff = joint_distance_covariance([x, s1, s2], c=c2) - joint_distance_covariance([x, s1, s2], c=c1)
    close(diff, (c2 - c1) * pairs, rtol=1e-9)


def test_jdcov_grad_value_and_errors():
    rng = np.random.default_rng(4)
    x = rng.normal(size=20)
    z = rng.normal(size=20)
    value, grad = joint_distance_covariance_grad([x, x > 0, z])
    close(value, joint_distance_covariance([x, x > 0, z]))
    assert grad.shape == (20,)
    with pytest.raises(ValueError, match="at least 2 variables"):
        joint_distance_covariance([x])
    with pytest.raises(TypeError, match="list of arrays"):
        joint_distance_covariance(np.ones((10, 2)))
    with pytest.raises(ValueError, match="1-D for the gradient"):
        joint_distance_covariance_grad([np.ones((20, 2)), x])
    with pytest.raises(ValueError, match="c must be"):
        joint_distance_covariance([x, x], c=-1)


# ---------------------------------------------------------------- CCdCov
def _compas_like(n, seed):
    rng = np.random.default_rng(seed)
    race = rng.choice(["African-American", "Caucasian", "Hispanic", "Other", "Asian"], n,
                      p=[.45, .35, .1, .08, .02])
    sex = rng.choice(["Male", "Female"], n, p=[.8, .2])
    age = rng.integers(18, 70, n)
    yhat = 1 / (1 + np.exp(-(0.5 * (race == "African-American") - 0.03 * (age - 35)
                             + rng.normal(size=n))))
    return yhat, pd.DataFrame({"race": race, "sex": sex, "age": age})


def _encoded(sf):
    return np.hstack([b["values"] for b in encode_sensitive_features(sf)])


@pytest.mark.parametrize("columns", [["race"], ["sex"], ["race", "sex"], ["race", "sex", "age"],
                                     ["age"]])
@pytest.mark.parametrize("unbiased", [True, False])
def test_ccdcov_equals_dcor_on_the_encoding(columns, unbiased):
    yhat, sf = _compas_like(300, 0)
    sf = sf[columns]
    Y = _encoded(sf)
    peer = dcor.u_distance_covariance_sqr if unbiased else dcor.distance_covariance_sqr
    value, grad = concatenated_distance_covariance_grad(yhat, sf, unbiased=unbiased)
    close(value, peer(yhat, Y, method="naive"))
    close(concatenated_distance_covariance(yhat, sf, unbiased=unbiased), float(value))
    _, ref_grad = distance_covariance_grad(yhat, Y, unbiased=unbiased)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-14)


def test_encoding_rules():
    sf = pd.DataFrame({
        "race": ["a", "b", "c", "a", "b"],          # string, 3 values: one-hot
        "sex": ["F", "M", "M", "F", "M"],           # string, 2 values: binary 0/1
        "flag": [True, False, True, True, False],   # bool: binary
        "age": [20, 30, 40, 50, 60],                # integer > 2 values: standardized
        "cat": pd.Categorical([1, 2, 3, 1, 2]),     # category dtype: one-hot
        "const": ["x"] * 5,                          # constant: nothing
    })
    blocks = {b["name"]: b for b in encode_sensitive_features(sf)}
    assert [blocks[c]["kind"] for c in sf.columns] == [
        "categorical", "binary", "binary", "numeric", "categorical", "constant"]
    np.testing.assert_allclose(blocks["age"]["values"].ravel(),
                               (sf.age - sf.age.mean()) / sf.age.std(ddof=0))
    assert blocks["race"]["values"].sum(1).tolist() == [1.0] * 5
    assert blocks["const"]["values"].shape == (5, 0)
    # object array as produced by base.check_sensitive_features: numbers stay numeric
    obj = np.array([["a", 20], ["b", 31], ["c", 45], ["a", 50]], dtype=object)
    kinds = [b["kind"] for b in encode_sensitive_features(obj)]
    assert kinds == ["categorical", "numeric"]


def test_ccdcov_independent_of_constant_attribute():
    yhat, sf = _compas_like(100, 1)
    value = concatenated_distance_covariance(yhat, sf[["race"]])
    sf2 = sf[["race"]].assign(c="same")
    close(concatenated_distance_covariance(yhat, sf2), value)


# ---------------------------------------------------------------- bad input
def test_bad_inputs():
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="at least 4 samples"):
        distance_covariance(x[:3], x[:3])
    assert distance_covariance(x[:3], x[:3], unbiased=False) > 0
    with pytest.raises(ValueError, match="NaN or infinity"):
        distance_covariance(np.r_[x[:-1], np.nan], x)
    with pytest.raises(ValueError, match="samples but y has"):
        distance_covariance(x, x[:5])
    with pytest.raises(TypeError, match="numeric"):
        distance_covariance(np.array(list("abcdefghij")), x)
    with pytest.raises(ValueError, match="1-D for the gradient"):
        distance_covariance_grad(np.ones((10, 2)), x)
    with pytest.raises(ValueError, match="missing"):
        concatenated_distance_covariance(x, ["a"] * 9 + [None])
    with pytest.raises(ValueError, match="rows but yhat"):
        concatenated_distance_covariance(x, ["a", "b"] * 4)
    with pytest.raises(ValueError, match="infinity"):
        concatenated_distance_covariance(x, np.r_[np.arange(9.0), np.inf])
    with pytest.raises(ValueError, match="yhat contains NaN"):
        concatenated_distance_covariance(np.r_[x[:-1], np.nan], ["a", "b"] * 5)
