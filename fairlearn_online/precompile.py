"""Compile the library's numba kernels ahead of time, into numba's on-disk cache.

A kernel is compiled by numba the first time it runs and cached on disk (see
``docs/user_guide/one_event.md``, "Cold start"); on a fresh install the first ``fit`` of
:class:`~fairlearn_online.AranyaniClassifier` therefore spends several seconds compiling.
:func:`precompile` pays that cost up front, for instance while a container image is built or
before a live stream is opened, so that the first event of a stream is served by cached
kernels. It runs every streaming estimator once, on a small synthetic stream, through each of
its entry points (``fit``, ``partial_fit``, ``partial_fit_predict``, ``predict``,
``predict_proba``, ``learn_one``, ``predict_one``, ``predict_proba_one``), which compiles
exactly the kernel versions that real data will ask for (numba keys a compiled kernel by the
argument types, which do not depend on the data's size or values). The command line does the
same: ``fairlearn-online compile``.
"""

from __future__ import annotations

import importlib
import numbers
import os
import sys
import time
import warnings

__all__ = ["precompile"]


#: class name -> (its subpackage, the parameters of each variant that compiles kernels of its own)
_VARIANTS = {
    "AranyaniClassifier": (".forest", [
        {"fairness_weight": 1.0, "random_state": 0},
        {"fairness_weight": 1.0, "fairness_memory": "reservoir", "random_state": 0},
        {"fairness_weight": 1.0, "fairness_target": "output", "random_state": 0}]),
    "OnlineFairLogisticClassifier": (".baselines", [{"fairness_weight": 1.0}]),
    "FAHTClassifier": (".baselines", [{}]),
    "MajorityClassClassifier": (".baselines", [{}]),
    "GroupwiseRegretRegressor": (".regret", [{}]),
    "GroupIndicatorRidgeRegressor": (".baselines", [{}]),
    "DCovRegularizedClassifier": (".dcov", [{"batch_size": 8, "random_state": 0}]),
    "DCovRegularizedRegressor": (".dcov", [{"batch_size": 8, "random_state": 0}]),
}


def _variant_name(cls_name, params, first):
    """The class name, and for a variant the parameter that makes it one."""
    extra = [f"{k}={v!r}" for k, v in params.items() if k not in first]
    return f"{cls_name} ({', '.join(extra)})" if extra else cls_name


def check_estimators(estimators):
    """``estimators`` of :func:`precompile`, checked without importing any estimator: the list
    of class names (all of them for ``None``)."""
    if estimators is None:
        return list(_VARIANTS)
    if isinstance(estimators, str) or not all(isinstance(e, str) for e in estimators):
        raise TypeError(f"estimators must be a list of class names, got {estimators!r}.")
    unknown = sorted(set(estimators) - set(_VARIANTS))
    if unknown:
        raise ValueError(f"estimators: unknown {unknown}; the streaming estimators are "
                         f"{sorted(_VARIANTS)}.")
    return [name for name in _VARIANTS if name in estimators]


def _stream():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(np.int64)
    groups = np.where(rng.random(40) < 0.5, "a", "b")
    return X, y, groups


def _exercise(estimator, X, y, groups):
    """Every entry point of ``estimator`` once (a kernel compiles on its first call)."""
    from sklearn.base import is_classifier

    classifier = is_classifier(estimator)
    target = y if classifier else y.astype(float)
    first = {"classes": [0, 1]} if classifier else {}
    estimator.fit(X, target, sensitive_features=groups)
    estimator.partial_fit(X[:20], target[:20], sensitive_features=groups[:20])
    estimator.partial_fit_predict(X[20:], target[20:], sensitive_features=groups[20:])
    by_group = {"sensitive_features": groups} if estimator._event_predict_uses_groups else {}
    estimator.predict(X, **by_group)
    if classifier:
        estimator.predict_proba(X, **by_group)
    estimator = estimator.__class__(**estimator.get_params())
    names = [f"x{j}" for j in range(X.shape[1])]
    for i, (row, label, group) in enumerate(zip(X.tolist(), target.tolist(), groups)):
        x = dict(zip(names, row))
        estimator.learn_one(x, label, sensitive_features=group, **(first if i == 0 else {}))
        if hasattr(estimator, "n_features_in_"):  # dCov: its first batch may be buffered
            estimator.predict_one(x, sensitive_features=group)
            if classifier:
                estimator.predict_proba_one(x)


def precompile(estimators=None, *, progress=None, n_jobs=None):
    """Compile (or load from numba's cache) the kernels of the streaming estimators.

    Parameters
    ----------
    estimators : list of str or None, default=None
        Class names of the estimators whose kernels to compile (each with all its variants,
        e.g. every ``fairness_memory`` of ``AranyaniClassifier``); ``None``: all of them.

    progress : bool or None, default=None
        Print one line per estimator on stderr (its name and the seconds it took). ``None``:
        only on a terminal.

    n_jobs : int or None, default=None
        Processes compiling at once, one estimator class each (numba compiles in one thread,
        so each process uses one core); ``None``: 1 (in this process), ``-1``: every CPU.
        Every process writes to the same cache.

    Returns
    -------
    seconds : dict
        Estimator (and variant) name -> seconds spent on it: the compilation on a cold cache,
        loading from the cache on a warm one (in the order of ``estimators``).

    Notes
    -----
    The kernels go where :mod:`numba` caches this library's kernels in every process
    (``NUMBA_CACHE_DIR`` when set, else beside the package, else a user cache directory:
    ``docs/user_guide/one_event.md``). A cache is valid for the machine's CPU and for the
    installed version of the library and of numba; compiling on another machine, or after an
    upgrade, compiles again on first use.

    Examples
    --------
    >>> from fairlearn_online.precompile import precompile
    >>> seconds = precompile(["AranyaniClassifier"], progress=False)  # doctest: +SKIP
    >>> list(seconds)  # doctest: +SKIP
    ['AranyaniClassifier', "AranyaniClassifier (fairness_memory='reservoir')",
     "AranyaniClassifier (fairness_target='output')"]
    """
    names = check_estimators(estimators)
    jobs = check_n_jobs(n_jobs)
    if progress is None:
        progress = sys.stderr.isatty()
    def report(name, took):
        if progress:
            print(f"fairlearn_online: {name}: {took:.1f} s", file=sys.stderr)

    by_class = {}
    if jobs == 1 or len(names) == 1:
        for cls_name in names:  # a line as each variant finishes
            by_class[cls_name] = _compile_estimator(cls_name, report=report)[1]
    else:
        from joblib import Parallel, delayed

        # one task per class (its variants share kernels), handed in order to whichever worker
        # is free; its lines come as each class finishes
        for cls_name, timings in Parallel(
                n_jobs=min(jobs, len(names)), return_as="generator_unordered")(
                delayed(_compile_estimator)(cls_name, in_worker=True) for cls_name in names):
            by_class[cls_name] = timings
            for name, took in timings.items():
                report(name, took)
    return {name: took for cls_name in names for name, took in by_class[cls_name].items()}


def check_n_jobs(n_jobs, name="n_jobs"):
    """The number of processes of :func:`precompile` for ``n_jobs`` (scikit-learn's
    convention: ``None`` is 1, ``-1`` every CPU); ``name`` is the argument's in an error."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"{name} must be an int or None, got {n_jobs!r}.")
    n_jobs = int(n_jobs)
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError(f"{name} must be a positive int or -1 (every CPU), got {n_jobs}.")
    return n_jobs


def _compile_estimator(cls_name, in_worker=False, report=None):
    """Every variant of ``cls_name`` once (:func:`_exercise`), each then passed to
    ``report(name, seconds)``; returns ``(cls_name, {variant name: seconds})``."""
    if in_worker:
        from ._core.jit import silence_notice

        silence_notice()
    module, variants = _VARIANTS[cls_name]
    cls = getattr(importlib.import_module(module, __package__), cls_name)
    X, y, groups = _stream()
    seconds = {}
    for params in variants:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dCov's small-batch and FAHT's warnings
            _exercise(cls(**params), X, y, groups)
        name = _variant_name(cls_name, params, variants[0])
        seconds[name] = time.perf_counter() - start
        if report is not None:
            report(name, seconds[name])
    return cls_name, seconds
