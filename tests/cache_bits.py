"""Freshly compiled numba kernels vs the same kernels loaded from numba's cache, bit for bit.

A run resumed in a fresh process must equal the uninterrupted run, whether that process compiles
the kernels or loads them from the cache. For every configuration of a grid over each
numba-backed estimator and function of the package, this script runs a fixed small stream in a
child process with an empty ``NUMBA_CACHE_DIR`` (every kernel compiled now; the child writes the
cache), then the same configurations in a second child that finds that cache warm, and compares
every output (``predict_proba`` / ``predict``, learned coefficients, statistics) bit for bit::

    python tests/cache_bits.py                  # every configuration, one pair of processes
    python tests/cache_bits.py --only forest    # configurations whose name contains "forest"
    python tests/cache_bits.py --isolate        # one pair of processes (and cache) per config
    python tests/cache_bits.py --list           # the configuration names

Why the two can differ: a process that compiles a kernel compiles each step it calls (the
``no_cpython_wrapper`` functions) as a library of its own, loaded into the JIT first, and the
kernel's calls go to those (the kernel's own linked copies of the steps are weak duplicates the
JIT linker drops); a process that loads the kernel from the cache loads only the kernel's object
file and runs the copies of the steps optimized inside it. The same source is thus compiled in
two contexts, and a fastmath flag whose effect depends on the context (FMA contraction,
``"contract"``) gives different bits.

It prints each configuration that differs (with the number of differing values and the largest
difference) and exits with status 1 if any does. ``tests/test_reliability.py`` runs a subset of
the grid (and the whole grid under ``-m slow``) through :func:`compare`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------- the grid of configurations
def _forest_configs():
    out = {}
    for grad, (target, memory), lam, wait, decay, n_classes, (d, n_groups) in itertools.product(
            ("sign_outside_band", "huber", "uncapped"),
            (("nodes", "aggregate"), ("nodes", "reservoir"), ("output", "aggregate")),
            (0.0, 0.5), ("when_penalized", "always", "never"), (1.0, 0.95), (2, 3),
            ((4, 2), (14, 3))):
        if target == "output" and n_classes != 2:
            continue  # the output target needs binary labels
        if memory == "reservoir" and decay != 1.0:
            continue  # the decay applies to the aggregate statistics only
        name = (f"forest-{grad}-{target}-{memory}-lam{lam:g}-wait_{wait}-decay{decay:g}"
                f"-C{n_classes}-d{d}G{n_groups}")
        out[name] = ("forest", dict(fairness_gradient=grad, fairness_target=target,
                                    fairness_memory=memory, fairness_weight=lam,
                                    wait_for_groups=wait, statistics_decay=decay,
                                    reservoir_size=20, random_state=0,
                                    _data=dict(d=d, n_groups=n_groups)), n_classes)
    return out


#: forest sizes beyond the defaults: (n_trees, depth, n_features, n_classes, n_groups, n_samples)
_FOREST_SHAPES = ((1, 1, 1, 2, 2, 60), (2, 3, 7, 5, 3, 300), (5, 5, 30, 2, 4, 200),
                  (3, 6, 14, 3, 2, 150), (4, 2, 3, 10, 3, 400))


def _forest_shape_configs():
    out = {}
    for (T, depth, d, C, G, n), grad, (target, memory), lam in itertools.product(
            _FOREST_SHAPES, ("sign_outside_band", "huber", "uncapped"),
            (("nodes", "aggregate"), ("nodes", "reservoir"), ("output", "aggregate")),
            (0.0, 0.5)):
        if target == "output" and C != 2:
            continue
        name = f"forest_shape-T{T}D{depth}d{d}C{C}G{G}n{n}-{grad}-{target}-{memory}-lam{lam:g}"
        out[name] = ("forest", dict(n_trees=T, depth=depth, fairness_gradient=grad,
                                    fairness_target=target, fairness_memory=memory,
                                    fairness_weight=lam, reservoir_size=100, random_state=1,
                                    _data=dict(d=d, n_groups=G, n=n)), C)
    return out


def _other_configs():
    out = {}
    for grad, lam, decay in itertools.product(("sign_outside_band", "huber", "uncapped"),
                                              (0.0, 0.5), (1.0, 0.95)):
        out[f"logistic-{grad}-lam{lam:g}-decay{decay:g}"] = (
            "logistic", dict(fairness_gradient=grad, fairness_weight=lam,
                             statistics_decay=decay), 2)
    for crit in ("fair_info_gain", "info_gain"):
        out[f"faht-{crit}"] = ("faht", dict(split_criterion=crit, grace_period=40), 2)
    for grouping, always_on, intercept in itertools.product(("pairs", "intersections", "both"),
                                                            (True, False), (True, False)):
        out[f"regret-{grouping}-alwayson{int(always_on)}-intercept{int(intercept)}"] = (
            "regret", dict(grouping=grouping, include_always_on=always_on,
                           fit_intercept=intercept), None)
    for grouping, intercept in itertools.product(("pairs", "intersections", "both"),
                                                 (True, False)):
        out[f"ridge-{grouping}-intercept{int(intercept)}"] = (
            "ridge", dict(grouping=grouping, fit_intercept=intercept), None)
    out["groupwise_regret"] = ("groupwise_regret", {}, None)
    for penalty, act, solver, hidden in itertools.product(("dcov", "jdcov", "ccdcov"),
                                                          ("tanh", "relu"), ("adam", "sgd"),
                                                          ((), (5,))):
        if not hidden and act == "relu":
            continue  # no hidden layer: the activation is unused
        h = "x".join(map(str, hidden)) or "linear"
        params = dict(penalty=penalty, activation=act, solver=solver,
                      hidden_layer_sizes=hidden, batch_size=32, random_state=0)
        out[f"dcov_clf-{penalty}-{act}-{solver}-{h}"] = ("dcov_clf", params, 2)
        for family in ("gaussian", "poisson"):
            out[f"dcov_reg-{penalty}-{act}-{solver}-{h}-{family}"] = (
                "dcov_reg", dict(params, family=family), None)
    out["dcov-statistics"] = ("dcov_stats", {}, None)
    for rule, solver, constrained in itertools.product(
            ("k_borda", "sntv", "bloc", "harmonic", "chamberlin_courant"),
            ("brute_force", "greedy", "exact"), (False, True)):
        out[f"selection-{rule}-{solver}-constrained{int(constrained)}"] = (
            "selection", dict(rule=rule, solver=solver, constrained=constrained), None)
    for noise in ("mallows", "gaussian"):
        out[f"rankings-{noise}"] = ("rankings", dict(noise=noise), None)
    out["adam_step_numba"] = ("adam", {}, None)
    return out


def configurations():
    """``{name: (kind, params, n_classes)}`` of every configuration of the grid."""
    return {**_forest_configs(), **_forest_shape_configs(), **_other_configs()}


#: ``tests/test_reliability.py``'s fast subset: every estimator's defaults, each forest kernel
#: (nodes / reservoir / output learning, predict) with each fairness-gradient shape, lambda 0 (the
#: fused Adam step) and > 0, two, three and ten classes, and every other kernel at least once
FAST_SUBSET = (
    "forest-sign_outside_band-nodes-aggregate-lam0-wait_when_penalized-decay1-C2-d4G2",
    "forest-sign_outside_band-nodes-aggregate-lam0.5-wait_when_penalized-decay1-C2-d4G2",
    "forest-huber-nodes-aggregate-lam0.5-wait_always-decay0.95-C3-d4G2",
    "forest-uncapped-nodes-aggregate-lam0.5-wait_never-decay1-C2-d4G2",
    "forest-huber-nodes-reservoir-lam0-wait_always-decay1-C2-d4G2",
    "forest-sign_outside_band-nodes-reservoir-lam0.5-wait_when_penalized-decay1-C3-d4G2",
    "forest-uncapped-nodes-reservoir-lam0.5-wait_never-decay1-C2-d4G2",
    "forest-huber-nodes-reservoir-lam0.5-wait_when_penalized-decay1-C2-d4G2",
    "forest-sign_outside_band-output-aggregate-lam0-wait_never-decay1-C2-d4G2",
    "forest-huber-output-aggregate-lam0.5-wait_when_penalized-decay0.95-C2-d4G2",
    "forest-uncapped-output-aggregate-lam0.5-wait_always-decay1-C2-d4G2",
    "forest_shape-T4D2d3C10G3n400-huber-nodes-reservoir-lam0.5",
    "forest_shape-T5D5d30C2G4n200-uncapped-output-aggregate-lam0.5",
    "logistic-huber-lam0-decay1",
    "logistic-huber-lam0.5-decay1",
    "logistic-sign_outside_band-lam0-decay0.95",
    "logistic-uncapped-lam0.5-decay0.95",
    "faht-fair_info_gain",
    "faht-info_gain",
    "regret-both-alwayson1-intercept1",
    "ridge-both-intercept0",
    "groupwise_regret",
    "dcov_clf-ccdcov-tanh-adam-linear",
    "dcov_clf-ccdcov-tanh-adam-5",
    "dcov_reg-jdcov-relu-sgd-5-poisson",
    "dcov_reg-dcov-tanh-adam-linear-gaussian",
    "dcov-statistics",
    "selection-chamberlin_courant-greedy-constrained1",
    "selection-k_borda-exact-constrained0",
    "rankings-mallows",
    "adam_step_numba",
)


# ---------------------------------------------------------------- running one configuration
def _stream(n=160, d=4, seed=0, n_classes=2, n_groups=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    score = X[:, 0] - 0.5 * X[:, -1] + 0.3 * rng.normal(size=n)
    if n_classes is None:
        y = score
    elif n_classes == 2:
        y = (score > 0).astype(np.int64)
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    sex = rng.choice(["female", "male", "other", "unknown"][:n_groups], size=n)
    race = rng.choice(["a", "b", "c"], size=n)
    return X, y, sex, race


def _arrays_of(est):
    """The learned numeric arrays of ``est`` (private ones and lists of arrays included)."""
    out = {}
    for key, value in sorted(vars(est).items()):
        if not key.endswith("_"):
            continue
        if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
            out[key] = value
        elif (isinstance(value, list) and value
              and all(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in value)):
            out[key] = np.concatenate([v.ravel() for v in value])
    return out


def _run_streaming(est, n_classes, *, two_attributes=False, counts=False, d=4, n_groups=2,
                   n=160):
    import pandas as pd

    X, y, sex, race = _stream(n=n, n_classes=n_classes, d=d, n_groups=n_groups)
    if counts:
        y = np.floor(np.exp(0.5 * y))
    sf = pd.DataFrame({"sex": sex, "race": race}) if two_attributes else sex
    kwargs = {"classes": np.unique(y)} if n_classes is not None else {}
    half = len(X) // 2
    est.partial_fit(X[:half], y[:half], sensitive_features=sf[:half], **kwargs)
    est.partial_fit(X[half:], y[half:], sensitive_features=sf[half:])
    out = _arrays_of(est)
    if n_classes is not None:
        out["predict_proba"] = est.predict_proba(X)
    else:
        import inspect

        pk = {}
        if "sensitive_features" in inspect.signature(est.predict).parameters:
            pk["sensitive_features"] = sf
        out["predict"] = est.predict(X, **pk)
    return out


def run_one(kind, params, n_classes):
    """``{label: ndarray}`` of everything a configuration computes."""
    import fairlearn_online as fo

    params = dict(params)
    data = params.pop("_data", {})
    if kind == "forest":
        return _run_streaming(fo.AranyaniClassifier(**params), n_classes, **data)
    if kind == "logistic":
        return _run_streaming(fo.OnlineFairLogisticClassifier(**params), n_classes)
    if kind == "faht":
        X, y, sex, _ = _stream(n=400)
        est = fo.FAHTClassifier(**params, protected_group="female")
        est.partial_fit(X, y, sensitive_features=sex, classes=[0, 1])
        return {"predict_proba": est.predict_proba(X), **_arrays_of(est)}
    if kind == "regret":
        return _run_streaming(fo.GroupwiseRegretRegressor(**params), None, two_attributes=True)
    if kind == "ridge":
        return _run_streaming(fo.GroupIndicatorRidgeRegressor(**params), None,
                              two_attributes=True)
    if kind == "groupwise_regret":
        import pandas as pd

        X, y, sex, race = _stream(n_classes=None)
        pred = np.tanh(X[:, 0])
        sf = pd.DataFrame({"sex": sex, "race": race})
        curves = fo.groupwise_regret(y, pred, X, sensitive_features=sf)
        return {str(k): v.to_numpy() for k, v in curves.select_dtypes("number").items()}
    if kind in ("dcov_clf", "dcov_reg"):
        cls = fo.DCovRegularizedClassifier if kind == "dcov_clf" else fo.DCovRegularizedRegressor
        return _run_streaming(cls(**params), n_classes, two_attributes=True,
                              counts=params.get("family") == "poisson")
    if kind == "dcov_stats":
        return _dcov_statistics()
    if kind == "selection":
        return _selection(**params)
    if kind == "rankings":
        U = np.linspace(1.0, 0.1, 10)
        G = np.arange(10) % 2
        noise = params["noise"]
        R = fo.make_biased_rankings(60, U, G, bias=0.5, noise=noise, random_state=3)
        return {"rankings": R}
    if kind == "adam":
        from fairlearn_online._core.optim import adam_step_numba

        rng = np.random.default_rng(0)
        p, m, v = rng.normal(size=37), np.zeros(37), np.zeros(37)
        for t in range(1, 30):
            g = rng.normal(size=37)
            adam_step_numba(p, g, m, v, 1e-2, 0.9, 0.999, 1e-7, 1 - 0.9 ** t, 1 - 0.999 ** t,
                            t % 2 == 0)
        return {"p": p, "m": m, "v": v}
    raise ValueError(kind)


def _dcov_statistics():
    import pandas as pd

    from fairlearn_online import dcov

    rng = np.random.default_rng(1)
    out = {}
    for n in (7, 40, 300):  # small and large n may take different kernels
        x = rng.normal(size=n)
        y = rng.normal(size=n) + 0.3 * x
        y2 = rng.normal(size=(n, 2))
        sf = pd.DataFrame({"a": rng.choice(["p", "q"], n), "b": rng.choice(["u", "v", "w"], n)})
        for unbiased in (True, False):
            out[f"dcov{n}{unbiased}"] = np.float64(dcov.distance_covariance(x, y,
                                                                            unbiased=unbiased))
            out[f"dcov2d{n}{unbiased}"] = np.float64(dcov.distance_covariance(x, y2,
                                                                              unbiased=unbiased))
            out[f"dcovg{n}{unbiased}"] = np.asarray(
                dcov.distance_covariance_grad(x, y, unbiased=unbiased), dtype=object)
            out[f"dcor{n}{unbiased}"] = np.float64(dcov.distance_correlation(x, y,
                                                                             unbiased=unbiased))
            out[f"ccd{n}{unbiased}"] = np.float64(
                dcov.concatenated_distance_covariance(x, sf, unbiased=unbiased))
            out[f"ccdg{n}{unbiased}"] = np.asarray(
                dcov.concatenated_distance_covariance_grad(x, sf, unbiased=unbiased),
                dtype=object)
        out[f"jd{n}"] = np.float64(dcov.joint_distance_covariance([x, y, y2]))
        out[f"jdg{n}"] = np.asarray(dcov.joint_distance_covariance_grad([x, y, y2]),
                                    dtype=object)
        out[f"js{n}"] = np.float64(dcov.js_calibration(1 / (1 + np.exp(-x)), sf))
        out[f"ur{n}"] = np.float64(dcov.unfairness_ratio(1 / (1 + np.exp(-x)), sf))
    return out


def _selection(rule, solver, constrained):
    import fairlearn_online as fo

    rng = np.random.default_rng(5)
    m, k = 10, 4
    R = np.argsort(rng.random((40, m)), axis=1)
    groups = np.arange(m) % 3
    constraints = {g: (1, k) for g in range(3)} if constrained else None
    sel = fo.MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver=solver)
    committee, info = sel.fit(R, item_groups=groups).select(return_info=True)
    return {"committee": np.asarray(committee), "value": np.float64(info["value"]),
            "score": np.float64(sel.score(committee))}


def _digest(value):
    """Bytes that identify ``value`` exactly (floats by their bits)."""
    arr = np.asarray(value)
    if arr.dtype == object:
        return b"|".join(_digest(v) for v in arr.ravel())
    return str(arr.dtype).encode() + str(arr.shape).encode() + np.ascontiguousarray(arr).tobytes()


def _worker(names, out_path):
    configs = configurations()
    results = {}
    for name in names:
        kind, params, n_classes = configs[name]
        try:
            results[name] = {k: pickle.dumps(np.asarray(v)) for k, v in
                             run_one(kind, params, n_classes).items()}
        except Exception as exc:  # recorded, so that one broken configuration is reported
            results[name] = {"__error__": pickle.dumps(f"{type(exc).__name__}: {exc}")}
    Path(out_path).write_bytes(pickle.dumps(results))


# ---------------------------------------------------------------- the comparison
def _child(names, out_path, cache_dir):
    import importlib.util

    # the child imports the copy of the package this process finds (installed or source tree)
    package_parent = Path(importlib.util.find_spec("fairlearn_online").origin).parent.parent
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_parent),
                                                      env.get("PYTHONPATH")]))
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(out_path),
                    *names], check=True, env=env, cwd=str(cache_dir.parent))
    return pickle.loads(Path(out_path).read_bytes())


def _describe(a, b):
    a, b = pickle.loads(a), pickle.loads(b)
    if a.dtype == object or b.dtype == object:
        return "object arrays differ"
    if a.shape != b.shape:
        return f"shapes {a.shape} vs {b.shape}"
    fa, fb = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    diff = ~((fa == fb) | (np.isnan(fa) & np.isnan(fb)))
    return f"{int(diff.sum())} of {fa.size} values differ, max |diff| {np.max(np.abs(fa - fb)):.3g}"


def compare(names, workdir):
    """Run ``names`` cold (empty cache) then warm (that cache) in child processes under
    ``workdir``; ``{name: [difference, ...]}`` of the configurations whose outputs differ."""
    workdir = Path(workdir)
    cache = workdir / "numba-cache"
    cache.mkdir(parents=True, exist_ok=True)
    cold = _child(names, workdir / "cold.pkl", cache)
    if not any(cache.rglob("*.nbc")):
        raise RuntimeError("the cold run wrote no numba cache")
    warm = _child(names, workdir / "warm.pkl", cache)
    mismatches = {}
    for name in names:
        a, b = cold[name], warm[name]
        problems = []
        if "__error__" in a or "__error__" in b:
            problems.append("error: " + pickle.loads(a.get("__error__", b.get("__error__"))))
        else:
            for key in sorted(set(a) | set(b)):
                if key not in a or key not in b:
                    problems.append(f"{key}: only in one run")
                elif _digest(pickle.loads(a[key])) != _digest(pickle.loads(b[key])):
                    problems.append(f"{key}: {_describe(a[key], b[key])}")
        if problems:
            mismatches[name] = problems
    return mismatches


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", metavar=("OUT", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", default=[],
                        help="keep configurations whose name contains this (repeatable)")
    parser.add_argument("--fast", action="store_true", help="the fast subset of the tests only")
    parser.add_argument("--isolate", action="store_true",
                        help="one pair of processes with its own cache per configuration")
    parser.add_argument("--list", action="store_true", help="print the configuration names")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[1:], args.worker[0])
        return 0
    names = list(FAST_SUBSET) if args.fast else list(configurations())
    if args.only:
        names = [n for n in names if any(s in n for s in args.only)]
    if args.list:
        print("\n".join(names))
        return 0
    groups = [[n] for n in names] if args.isolate else [names]
    mismatches = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, group in enumerate(groups):
            mismatches.update(compare(group, Path(tmp) / str(i)))
    for name, problems in mismatches.items():
        print(f"DIFFERS {name}: " + "; ".join(problems))
    errors = sum(any(p.startswith("error") for p in v) for v in mismatches.values())
    print(f"{len(mismatches)} of {len(names)} configurations differ between freshly compiled "
          f"and cached kernels ({errors} of them errors)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
