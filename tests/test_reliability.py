"""Reliability matrix over every supervised streaming estimator the package exports.

For each estimator: bad input (NaN/inf, wrong lengths, empty and one-row chunks, missing groups,
wrong dtypes) gets a clear error naming the argument or a documented result; a rejected chunk
leaves the fitted state bit-for-bit unchanged; pickling mid-stream and resuming in a fresh process
gives identical predictions; the same random_state and data give identical results for any
chunking; extreme feature scales, constant features and separable data give finite output.
"""

import inspect
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone, is_classifier

import fairlearn_online
from fairlearn_online.baselines import MajorityClassClassifier
from fairlearn_online.utils import NOT_SKLEARN_PREDICTORS


def _supervised_streaming_estimators():
    classes = {MajorityClassClassifier}
    for name in fairlearn_online.__all__:
        obj = getattr(fairlearn_online, name)
        if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                and hasattr(obj, "partial_fit_predict")
                and obj.__name__ not in NOT_SKLEARN_PREDICTORS):
            classes.add(obj)
    return sorted(classes, key=lambda c: c.__name__)


CLASSES = _supervised_streaming_estimators()
IDS = [c.__name__ for c in CLASSES]


def _make(cls):
    est = cls()
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    return est


def _data(est, n=120, seed=0, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    score = X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    y = (score > 0).astype(np.int64) if is_classifier(est) else score
    groups = rng.choice(["female", "male"], size=n)
    return X, y, groups


def _fit_kwargs(est, y):
    return {"classes": np.unique(y)} if is_classifier(est) else {}


def _state(est):
    return {k: pickle.dumps(v) for k, v in vars(est).items()}


def _outputs(est, X, g=None):
    """Probabilities (classifiers) or predictions, passing groups to methods that use them."""
    method = est.predict_proba if is_classifier(est) else est.predict
    if "sensitive_features" in inspect.signature(method).parameters:
        if g is None:
            n = X.shape[0] if hasattr(X, "shape") else len(X)  # sparse X has no len()
            g = np.where(np.arange(n) % 2 == 0, "female", "male")
        return method(X, sensitive_features=g)
    return method(X)


@pytest.fixture(params=CLASSES, ids=IDS)
def fitted(request):
    est = _make(request.param)
    X, y, g = _data(est)
    est.partial_fit(X[:60], y[:60], sensitive_features=g[:60], **_fit_kwargs(est, y))
    return est, X, y, g


def _bad_chunks(est, X, y, g):
    Xn = X[60:70].copy()
    Xn[0, 0] = np.nan
    Xi = X[60:70].copy()
    Xi[1, 1] = np.inf
    yn = y[60:70].astype(float)
    yn[2] = np.nan
    g_none = g[60:70].astype(object)
    g_none[3] = None
    g_inf = np.arange(10, dtype=float)
    g_inf[4] = np.inf
    chunk = dict(X=X[60:70], y=y[60:70], sensitive_features=g[60:70])
    cases = [
        ("NaN in X", {**chunk, "X": Xn}, "X"),
        ("inf in X", {**chunk, "X": Xi}, "X"),
        ("NaN in y", {**chunk, "y": yn}, "y|NaN|nan|label|class"),
        ("missing group", {**chunk, "sensitive_features": g_none}, "sensitive_features"),
        ("infinite group", {**chunk, "sensitive_features": g_inf}, "sensitive_features"),
        ("short y", {**chunk, "y": y[60:65]}, "y|rows|length|samples"),
        ("short sensitive_features", {**chunk, "sensitive_features": g[60:65]},
         "sensitive_features"),
        ("wrong n_features", {**chunk, "X": X[60:70, :3]}, "features"),
        ("3-D X", {**chunk, "X": X[60:70, :, None]}, "dim|2D|2-D"),
        ("non-numeric X", {**chunk, "X": np.full((10, 4), "a", dtype=object)}, "X must be numeric"),
    ]
    if is_classifier(est):
        cases.append(("unseen label", {**chunk, "y": np.full(10, 7)}, "label|class"))
    return cases


def test_rejected_chunks_raise_clearly_and_leave_state_unchanged(fitted):
    est, X, y, g = fitted
    before = _state(est)
    out_before = _outputs(est, X[100:])
    for label, kwargs, match in _bad_chunks(est, X, y, g):
        with pytest.raises((ValueError, TypeError), match=match):
            est.partial_fit(kwargs["X"], kwargs["y"],
                            sensitive_features=kwargs["sensitive_features"])
        assert _state(est) == before, f"state changed after rejected chunk: {label}"
    np.testing.assert_array_equal(_outputs(est, X[100:]), out_before)


def test_empty_and_tiny_chunks(fitted):
    est, X, y, g = fitted
    before = _state(est)
    est.partial_fit(X[:0], y[:0], sensitive_features=g[:0])  # documented no-op once fitted
    assert _state(est) == before
    est.partial_fit(X[60:61], y[60:61], sensitive_features=g[60:61])  # one row
    assert np.all(np.isfinite(_outputs(est, X)))
    fresh = clone(est)
    with pytest.raises(ValueError):
        fresh.fit(X[:0], y[:0], sensitive_features=g[:0])


def test_group_label_forms_and_unseen_groups(fitted):
    est, X, y, g = fitted
    # a group never seen before arrives mid-stream
    new_groups = np.where(np.arange(10) % 2 == 0, "nonbinary", g[60:70])
    est.partial_fit(X[60:70], y[60:70], sensitive_features=new_groups)
    assert np.all(np.isfinite(_outputs(est, X)))
    for sf in (pd.Series(g, dtype="category"), list(g), (g == "male").astype(int),
               pd.DataFrame({"sex": g, "age": np.where(X[:, 2] > 0, "old", "young")})):
        other = clone(est).fit(X, y, sensitive_features=sf)
        assert np.all(np.isfinite(_outputs(other, X, sf)))
    # a single group
    single = clone(est).fit(X, y, sensitive_features=np.full(len(y), "all"))
    assert np.all(np.isfinite(_outputs(single, X)))


@pytest.mark.parametrize("form", ["float32", "fortran", "noncontiguous", "list", "object",
                                  "dataframe", "bool"])
def test_input_containers_and_dtypes(form):
    for cls in CLASSES:
        est = _make(cls)
        X, y, g = _data(est)
        X_ref = X
        if form == "float32":
            Xt = X.astype(np.float32)
            X_ref = Xt.astype(np.float64)
        elif form == "fortran":
            Xt = np.asfortranarray(X)
        elif form == "noncontiguous":
            Xt = np.repeat(X, 2, axis=1)[:, ::2]
        elif form == "list":
            Xt = X.tolist()
        elif form == "object":
            Xt = X.astype(object)
        elif form == "dataframe":
            Xt = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
            X_ref = Xt
        else:
            Xt = X > 0
            X_ref = Xt.astype(np.float64)
        ref = clone(est).fit(X_ref, y, sensitive_features=g)
        other = clone(est).fit(Xt, list(y) if form == "list" else y, sensitive_features=g)
        np.testing.assert_array_equal(_outputs(other, Xt), _outputs(ref, X_ref),
                                      err_msg=cls.__name__)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_same_random_state_and_any_chunking_give_identical_results(cls):
    """Per-sample learners: any chunking equals one chunk. Mini-batch learners (a ``batch_size``
    parameter) cut each chunk into batches, so chunk boundaries on batch boundaries are equal."""
    est = _make(cls)
    X, y, g = _data(est, n=150)
    kwargs = _fit_kwargs(est, y)
    whole = clone(est).partial_fit(X, y, sensitive_features=g, **kwargs)
    again = clone(est).partial_fit(X, y, sensitive_features=g, **kwargs)
    np.testing.assert_array_equal(_outputs(whole, X), _outputs(again, X))
    batch = est.get_params().get("batch_size")
    if batch is None:
        cuts = np.sort(np.random.default_rng(1).choice(np.arange(1, 150), size=12, replace=False))
    else:
        est.set_params(batch_size=10)
        whole = clone(est).partial_fit(X, y, sensitive_features=g, **kwargs)
        cuts = np.array([10, 30, 40, 80, 140])
    chunked = clone(est)
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, 150]):
        chunked.partial_fit(X[start:stop], y[start:stop], sensitive_features=g[start:stop],
                            **kwargs)
        kwargs = {}
    np.testing.assert_array_equal(_outputs(chunked, X), _outputs(whole, X))


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_pickle_mid_stream_resumes_identically_in_a_fresh_process(cls, tmp_path):
    est = _make(cls)
    X, y, g = _data(est, n=200)
    kwargs = _fit_kwargs(est, y)
    est.partial_fit(X[:100], y[:100], sensitive_features=g[:100], **kwargs)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((est, X, y, g)))
    est.partial_fit(X[100:], y[100:], sensitive_features=g[100:])
    expected = _outputs(est, X)
    out = tmp_path / "out.npy"
    script = textwrap.dedent("""
        import inspect, pickle, sys
        import numpy as np
        from sklearn.base import is_classifier
        est, X, y, g = pickle.loads(open(sys.argv[1], "rb").read())
        est.partial_fit(X[100:], y[100:], sensitive_features=g[100:])
        method = est.predict_proba if is_classifier(est) else est.predict
        kwargs = {}
        if "sensitive_features" in inspect.signature(method).parameters:
            kwargs["sensitive_features"] = np.where(np.arange(len(X)) % 2 == 0, "female", "male")
        np.save(sys.argv[2], method(X, **kwargs))
    """)
    subprocess.run([sys.executable, "-c", script, str(path), str(out)], check=True,
                   cwd=tmp_path, env=_same_package_env())
    np.testing.assert_array_equal(np.load(out), expected)
    # no compiled kernel is stored in the pickled state
    assert b"numba" not in pickle.dumps(est)


def _same_package_env(**extra):
    """Environment of a child process that imports the copy of the package this process uses
    (an installed wheel or the source tree), whatever its working directory."""
    env = dict(os.environ, **extra)
    package_parent = os.path.dirname(os.path.dirname(fairlearn_online.__file__))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    return env


def _assert_cold_and_cached_bits_equal(names, workdir):
    import cache_bits  # tests/cache_bits.py

    mismatches = cache_bits.compare(list(names), workdir)
    assert not mismatches, "\n".join(f"{name}: {'; '.join(problems)}"
                                      for name, problems in mismatches.items())


def test_kernels_compiled_now_and_loaded_from_numba_cache_give_identical_bits(tmp_path):
    """A kernel compiled in this process and the same kernel loaded from numba's on-disk cache
    must compute the same bits, so that a run resumed in a fresh process (cache warm or cold)
    equals the uninterrupted one. The two do not run the same machine code: a process that
    compiles a kernel calls the separately compiled steps (``no_cpython_wrapper`` functions
    loaded first into the JIT), a process that loads it runs the copies of the steps linked
    and optimized into the kernel's own cached object. A fastmath flag whose effect depends on
    that context (FMA contraction, "contract") gave different bits in nearly every forest
    variant. Every estimator's defaults and each kernel variant once (tests/cache_bits.py's
    FAST_SUBSET); the whole grid is the slow test below."""
    import cache_bits

    assert set(cache_bits.FAST_SUBSET) <= set(cache_bits.configurations())
    _assert_cold_and_cached_bits_equal(cache_bits.FAST_SUBSET, tmp_path)


@pytest.mark.slow
def test_every_kernel_variant_gives_identical_bits_compiled_now_and_cached(tmp_path):
    """The whole grid of tests/cache_bits.py: every fairness_gradient x fairness_target x
    fairness_memory x fairness_weight (0 and > 0) x wait_for_groups x statistics_decay of the
    forest on two data shapes and five forest sizes, and the main options of every other
    numba-backed estimator and function."""
    import cache_bits

    _assert_cold_and_cached_bits_equal(cache_bits.configurations(), tmp_path)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@pytest.mark.parametrize("case", ["tiny_scale", "huge_scale", "constant", "separable"])
def test_numerical_robustness(cls, case):
    est = _make(cls)
    X, y, g = _data(est, n=200)
    if case == "tiny_scale":
        X = X * 1e-8
    elif case == "huge_scale":
        X = X * 1e8
    elif case == "constant":
        X[:, 1] = 3.0
        X[:, 2] = 0.0
    else:
        X[:, 0] = np.where(y > np.median(y), 5.0, -5.0)
    est.fit(X, y, sensitive_features=g)
    assert np.all(np.isfinite(_outputs(est, X)))
    for value in vars(est).values():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.all(np.isfinite(value))


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_sparse_X_gives_the_dense_results(cls):
    """OneHotEncoder's default output (scipy sparse) is accepted and densified chunk by chunk."""
    import scipy.sparse as sp

    est = _make(cls)
    X, y, g = _data(est)
    X[X < 0] = 0.0  # some structural zeros
    kwargs = _fit_kwargs(est, y)
    dense = clone(est).partial_fit(X, y, sensitive_features=g, **kwargs)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        sparse = clone(est).partial_fit(fmt(X), y, sensitive_features=g, **kwargs)
        np.testing.assert_array_equal(_outputs(sparse, fmt(X)), _outputs(dense, X))
