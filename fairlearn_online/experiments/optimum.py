"""``aglfop-synthetic`` and ``aglfop-adult``: global vs local fairness limits and their PID.

``docs/user_guide/optimum.md`` (Hamman and Dutta, ICLR 2024).

``aglfop-synthetic``
    The canonical partial-information-decomposition examples (copy, XOR, unique, AND) and the
    AGLFOP accuracy surface over (eps_global, eps_local) for three synthetic (Z, S, Y)
    distributions: clients independent of the protected attribute (global and local fairness
    agree), clients that are almost single-group (redundancy: local fairness is free, global
    fairness costs accuracy) and a label that is Z xor S (synergy: global fairness is free,
    local fairness costs accuracy). Tables ``results`` (PIDs), ``surface``, ``pareto``.

``aglfop-adult``
    Adult (train split to fit and to define the distribution, test split to evaluate) split
    among K = 5 clients with a heterogeneity knob ``h``: a person of sex g joins client k with
    probability ``(1 - h) / K + h * [k's dominant sex is g] / #clients dominated by g``
    (``h = 0``: identical splits; ``h -> 1``: single-sex clients; clients 0, 2, 4 are
    female-dominated, 1, 3 male-dominated). Protected attribute: sex. Tables ``surface``
    (AGLFOP 20 x 20 grid of the paper's problem, channel of (Z,S,Y)), ``pareto`` (one-bound
    sweeps, for the paper's problem and for the best post-processing of the global logistic
    model's score ventiles), ``results`` (accuracy, demographic parity and PID of real models'
    test predictions: one logistic model per client, and one global model, with the AGLFOP
    optimum of the test distribution at each model's own disparities, which bounds its
    accuracy), ``limits`` (the
    demographic-parity / equalized-odds limit curves of the global model's score ventiles, its
    prediction and sex, on the test split).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..optimum import (
    aglfop,
    aglfop_frontier,
    conditional_mutual_information,
    disparity_decomposition,
    disparity_decomposition_from_joint,
    fairness_limit_curve,
    mutual_information,
    quantile_cells,
)
from ..optimum._aglfop import _AGLFOPProgram
from ..plotting import spread_label
from ..utils import save_figure
from ._runner import Experiment, register

PID_FIELDS = ("global_disparity", "local_disparity", "unique", "redundant", "synergistic")

#: printed names (matplotlib mathtext) of the two disparities and their bounds
GLOBAL = r"$I(Z;\hat{Y})$"
LOCAL = r"$I(Z;\hat{Y}\mid S)$"
EPS_GLOBAL = r"$\epsilon_{\mathrm{global}}$"
EPS_LOCAL = r"$\epsilon_{\mathrm{local}}$"
#: the PID terms: (column, printed name, colour)
PID_TERMS = (("unique", "unique (Uni)", "C0"), ("redundant", "redundant (Red)", "C1"),
             ("synergistic", "synergistic (Syn)", "C2"))
#: what each Pareto ``kind`` optimizes over
KINDS = {"zsy": "any classifier of (Z, S, Y), the paper's problem",
         "score cells x Z x S": "post-processing of the global model's score ventiles, Z and S"}
HETEROGENEITY_TITLE = "client heterogeneity h\n(0: identical clients,\n1: single-sex clients)"


def _math(text):
    """Plain-text disparity names of the data (``Yhat``, ``I(Z;Yhat|S)``) as mathtext."""
    return (str(text).replace("I(Z;Yhat|S)", LOCAL).replace("I(Z;Yhat)", GLOBAL)
            .replace("Yhat", r"$\hat{Y}$"))


def _pid_stack(ax, x, terms, global_disparity, local_disparity):
    """Stacked PID bars with the two disparities as markers; the y axis holds all of it."""
    bottom = np.zeros(len(x))
    for (field, label, color), values in zip(PID_TERMS, terms):
        ax.bar(x, values, bottom=bottom, color=color, label=label, width=0.6)
        bottom += np.asarray(values, dtype=float)
    ax.scatter(x - 0.15, global_disparity, marker="v", color="k", zorder=3, s=30,
               label=f"{GLOBAL} = Uni + Red")
    ax.scatter(x + 0.15, local_disparity, marker="^", color="r", zorder=3, s=30,
               label=f"{LOCAL} = Uni + Syn")
    top = float(np.nanmax(np.concatenate([bottom, np.asarray(global_disparity, dtype=float),
                                          np.asarray(local_disparity, dtype=float)])))
    ax.set_ylim(0.0, 1.08 * top if top > 0 else 1.0)
    ax.set_ylabel("bits")


# ------------------------------------------------------------------------------------------
# synthetic
# ------------------------------------------------------------------------------------------
def canonical_distributions():
    """The canonical PID examples as ``p[z, yhat, s]`` (binary, uniform inputs)."""
    out = {}
    for name, rule in {
        "copy (Z = Yhat = S)": lambda a, b: (a, a, a),
        "xor (Z = Yhat xor S)": lambda a, b: (a ^ b, a, b),
        "unique (Z = Yhat, S indep.)": lambda a, b: (a, a, b),
        "and (Z = Yhat and S)": lambda a, b: (a & b, a, b),
    }.items():
        p = np.zeros((2, 2, 2))
        for a in (0, 1):
            for b in (0, 1):
                p[rule(a, b)] += 0.25
        out[name] = p
    return out


def synthetic_case(name):
    """``p[z, s, y]`` of the three synthetic cases (binary Z, S, Y; Z uniform)."""
    p = np.zeros((2, 2, 2))
    for z in (0, 1):
        for s in (0, 1):
            if name == "independent":  # S independent of Z, Y depends on Z
                p_s, p_y1 = 0.5, 0.3 + 0.4 * z
            elif name == "single-group":  # S = Z for 95% of people, Y depends on Z
                p_s, p_y1 = (0.95 if s == z else 0.05), 0.3 + 0.4 * z
            elif name == "masked":  # S independent of Z, Y = Z xor S for 90% of people
                p_s, p_y1 = 0.5, (0.9 if z ^ s else 0.1)
            else:
                raise ValueError(f"unknown synthetic case {name!r}")
            p[z, s, 1] = 0.5 * p_s * p_y1
            p[z, s, 0] = 0.5 * p_s * (1 - p_y1)
    return p


SYNTHETIC_CASES = ("independent", "single-group", "masked")


def _synthetic_grid(quick, seeds):
    return [dict(part="canonical")] + [dict(part="surface", case=c) for c in SYNTHETIC_CASES]


def _solver(p_xzsy):
    """``(eps_global, eps_local) -> (accuracy, status)`` over one compiled AGLFOP."""
    program = _AGLFOPProgram(p_xzsy, None)

    def solve(eps_global, eps_local):
        _, status, accuracy, _, _ = program.solve(eps_global, eps_local)
        return accuracy, status

    return solve


def _sweeps(program_solve, grid):
    """One-bound sweeps: (sweep, eps, accuracy) rows for global-only, local-only and both."""
    rows = []
    for sweep in ("global", "local", "both"):
        for eps in grid:
            g = eps if sweep in ("global", "both") else np.inf
            e = eps if sweep in ("local", "both") else np.inf
            acc, status = program_solve(g, e)
            rows.append(dict(sweep=sweep, eps=float(eps), accuracy=acc, status=status))
    return rows


def _run_synthetic(point):
    if point["part"] == "canonical":
        rows = []
        for name, p in canonical_distributions().items():
            d = disparity_decomposition_from_joint(p)
            rows.append(dict(example=name, **{f: getattr(d, f) for f in PID_FIELDS},
                             status=d.status))
        return {"results": rows}
    quick = point.get("quick", False)
    p = synthetic_case(point["case"])
    n = 6 if quick else 15
    # up to the disparity of the label itself, where the constraints stop binding
    top = 1.05 * max(mutual_information(p.sum(axis=1)),
                     conditional_mutual_information(p.transpose(0, 2, 1)))
    grid = np.linspace(0.0, top, n)
    surface = aglfop_frontier(p, grid, grid)
    pareto = _sweeps(_solver(_zsy_cells(p)), np.linspace(0.0, top, 2 * n))
    rows = []
    # PID of the label itself (the unconstrained optimum Yhat = Y) and of optimal channels
    for g, e in [(np.inf, np.inf), (0.0, np.inf), (np.inf, 0.0), (0.05, 0.05)]:
        res = aglfop(p, g, e)
        q_z_yhat_s = res.joint.sum(axis=2).transpose(0, 2, 1)
        d = disparity_decomposition_from_joint(q_z_yhat_s / q_z_yhat_s.sum())
        rows.append(dict(case=point["case"], eps_global=g, eps_local=e, accuracy=res.accuracy,
                         **{f: getattr(d, f) for f in PID_FIELDS}))
    return {"results": rows, "surface": surface.to_dict("records"),
            "pareto": [dict(kind="zsy", **r) for r in pareto]}


def _zsy_cells(p_zsy):
    """``p[x, z, s, y]`` with x = (z, s, y): the paper's channel as a classifier of cells."""
    from ..optimum._aglfop import _input_cells

    return _input_cells(p_zsy, "zsy")[1]


def _heatmaps(surface, by, title_fmt, out, name):
    keys = list(dict.fromkeys(surface[by]))
    fig, axes = plt.subplots(1, len(keys), figsize=(3.4 * len(keys), 3.2), squeeze=False,
                             constrained_layout=True)
    vmin, vmax = surface["accuracy"].min(), surface["accuracy"].max()
    for ax, key in zip(axes[0], keys):
        sub = surface[surface[by] == key].groupby(["eps_global", "eps_local"])["accuracy"].mean()
        table = sub.unstack("eps_local")
        g, e = table.index.to_numpy(), table.columns.to_numpy()
        im = ax.pcolormesh(e, g, table.to_numpy(), shading="nearest", vmin=vmin, vmax=vmax,
                           cmap="viridis")
        ax.set_title(title_fmt.format(key), fontsize=9)
        ax.set_xlabel(f"{EPS_LOCAL}: bound on {LOCAL} (bits)")
        ax.set_ylabel(f"{EPS_GLOBAL}: bound on {GLOBAL} (bits)")
    fig.colorbar(im, ax=axes[0].tolist(), label="AGLFOP accuracy")
    save_figure(fig, out / name)


def _pareto_plot(pareto, by, out, name, title, legend_title=None):
    keys = list(dict.fromkeys(pareto[by]))
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3), constrained_layout=True)
    labels = {"global": f"only {GLOBAL} " + r"$\leq \epsilon$",
              "local": f"only {LOCAL} " + r"$\leq \epsilon$",
              "both": "both " + r"$\leq \epsilon$"}
    for ax, sweep in zip(axes, ("global", "local", "both")):
        for i, key in enumerate(keys):
            sub = pareto[(pareto[by] == key) & (pareto["sweep"] == sweep)]
            mean = sub.groupby("eps")["accuracy"].mean()
            ax.plot(mean.index, mean.to_numpy(), marker=".", color=f"C{i}", label=f"{key:g}"
                    if isinstance(key, float) else str(key),
                    linestyle=("-", "--", ":", "-.")[i % 4])  # curves may coincide
        ax.set_title(labels[sweep], fontsize=9)
        ax.set_xlabel(r"$\epsilon$ (bits)")
        ax.set_ylabel("optimal accuracy")
        ax.grid(alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", fontsize=8,
               title=legend_title or by, title_fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, out / name)


def _pid_bars(frame, label_col, out, name, title, xlabel=None, rotation=20):
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(frame) + 2), 3.8), constrained_layout=True)
    x = np.arange(len(frame))
    _pid_stack(ax, x, [frame[f] for f, _, _ in PID_TERMS], frame["global_disparity"],
               frame["local_disparity"])
    ax.set_xticks(x, [_math(v) for v in frame[label_col]], rotation=rotation,
                  ha="right" if rotation else "center", fontsize=8)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", fontsize=8, frameon=False)
    save_figure(fig, out / name)


def _report_synthetic(tables, out, quick):
    res = tables["results"]
    canon = res[res["part"] == "canonical"].reset_index(drop=True)
    _pid_bars(canon, "example", out, "canonical_pid", "PID of the canonical examples")
    _heatmaps(tables["surface"], "case", "{}", out, "surfaces")
    _pareto_plot(tables["pareto"], "case", out, "pareto",
                 f"AGLFOP accuracy under one bound ({KINDS['zsy']})",
                 legend_title="distribution of (Z, S, Y)")
    opt = res[res["part"] == "surface"].copy()
    opt["label"] = opt.apply(lambda r: f"{r['case']}\n({r['eps_global']:g}, "
                                       f"{r['eps_local']:g})", axis=1)
    _pid_bars(opt.reset_index(drop=True), "label", out, "optimum_pid",
              "PID of the AGLFOP-optimal predictions",
              xlabel=f"distribution of (Z, S, Y) and bounds ({EPS_GLOBAL}, {EPS_LOCAL}) in bits",
              rotation=0)


register(Experiment(
    name="aglfop-synthetic",
    description="AGLFOP trade-off surfaces and the PID of disparity on canonical examples",
    grid=lambda quick, seeds: [dict(p, quick=quick) for p in _synthetic_grid(quick, seeds)],
    run_point=_run_synthetic, report=_report_synthetic, default_seeds=1, quick_seeds=1))


# ------------------------------------------------------------------------------------------
# Adult
# ------------------------------------------------------------------------------------------
N_CLIENTS = 5
N_BINS = 20
HETEROGENEITY = (0.0, 0.25, 0.5, 0.75, 0.95)


def assign_clients(female, h, n_clients=N_CLIENTS, rng=None):
    """Client of each person: ``P(k | sex) = (1-h)/K + h [dom(k) = sex] / #dom(sex)``.

    Clients with an even index are female-dominated, odd ones male-dominated.
    """
    if not 0.0 <= h <= 1.0:
        raise ValueError(f"h must be in [0, 1], got {h}.")
    rng = np.random.default_rng(rng)
    dominant_female = np.arange(n_clients) % 2 == 0
    probs = {}
    for is_female in (True, False):
        dom = dominant_female == is_female
        probs[is_female] = (1 - h) / n_clients + h * dom / dom.sum()
    clients = np.empty(len(female), dtype=np.int64)
    for is_female in (True, False):
        idx = np.flatnonzero(female == is_female)
        clients[idx] = rng.choice(n_clients, size=len(idx), p=probs[is_female])
    return clients


def _adult_arrays():
    from ..datasets import encode_features, load_adult

    train, test = load_adult("train"), load_adult("test")
    X = encode_features(pd.concat([train.data, test.data], ignore_index=True))
    n = len(train.target)
    female = np.concatenate([train.data["sex"].to_numpy() == "Female",
                             test.data["sex"].to_numpy() == "Female"])
    y = np.concatenate([train.target.to_numpy(), test.target.to_numpy()])
    return X[:n], y[:n], female[:n], X[n:], y[n:], female[n:]


def adult_p_zsy(h, seed, n_clients=N_CLIENTS):
    """``p[z, s, y]`` of Adult's train split for heterogeneity ``h`` (z: 0 male, 1 female)."""
    from ..optimum._info import empirical_joint

    _, y, female, _, _, _ = _adult_arrays()
    s = assign_clients(female, h, n_clients, rng=seed)
    return empirical_joint(female.astype(np.int64), s, y, shape=(2, n_clients, 2))


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _model_row(name, yhat, y, z, s):
    from ..metrics import demographic_parity_difference

    d = disparity_decomposition(z, yhat, s)
    local_dp = sum(np.mean(s == k) * demographic_parity_difference(
        y[s == k], yhat[s == k], sensitive_features=z[s == k])
        for k in np.unique(s) if len(np.unique(z[s == k])) > 1)
    return dict(model=name, accuracy=float(np.mean(yhat == y)),
                dp_global=float(demographic_parity_difference(y, yhat, sensitive_features=z)),
                dp_local_mean=float(local_dp), **{f: getattr(d, f) for f in PID_FIELDS},
                status=d.status)


def _run_adult(point):
    h, seed, quick = point["h"], point["seed"], point.get("quick", False)
    from ..optimum._info import empirical_joint

    Xtr, ytr, ftr, Xte, yte, fte = _adult_arrays()
    rng = np.random.default_rng(seed)
    s_tr = assign_clients(ftr, h, N_CLIENTS, rng=rng)
    s_te = assign_clients(fte, h, N_CLIENTS, rng=rng)
    z_tr, z_te = ftr.astype(np.int64), fte.astype(np.int64)

    p = empirical_joint(z_tr, s_tr, ytr, shape=(2, N_CLIENTS, 2))
    n = 8 if quick else 20
    grid = np.linspace(0.0, 0.04, n)
    surface = aglfop_frontier(p, grid, grid)

    # real models: one global logistic model, and one logistic model per client
    glob = _logistic().fit(Xtr, ytr)
    yhat_global = glob.predict(Xte)
    yhat_local = np.empty_like(yte)
    for k in range(N_CLIENTS):
        m_tr, m_te = s_tr == k, s_te == k
        if m_te.any():
            yhat_local[m_te] = _logistic().fit(Xtr[m_tr], ytr[m_tr]).predict(Xte[m_te])
    results = [_model_row("global logistic", yhat_global, yte, z_te, s_te),
               _model_row("local logistic (per client)", yhat_local, yte, z_te, s_te)]
    # the label itself: the disparity any perfect classifier would carry
    results.append(_model_row("perfect (Yhat = Y)", yte, yte, z_te, s_te))
    # every model's (Z,S,Y,Yhat) is feasible for the AGLFOP of the test distribution at its own
    # disparities, so its accuracy is at most that optimum (the paper's claim, on real models)
    test_bound = _solver(_zsy_cells(empirical_joint(z_te, s_te, yte, shape=(2, N_CLIENTS, 2))))
    for row in results:
        row["aglfop_bound"] = test_bound(row["global_disparity"] + 1e-9,
                                         row["local_disparity"] + 1e-9)[0]

    # Pareto sweeps: the paper's problem, and post-processing of the global model's scores
    sweep_grid = np.linspace(0.0, 0.04, 6 if quick else 17)
    # cells = (score ventile, the model's own prediction, Z, S): the model is one of the
    # classifiers of these cells, so its accuracy is under the limits computed from them
    cells_tr = np.column_stack([quantile_cells(glob.decision_function(Xtr), N_BINS),
                                glob.predict(Xtr), z_tr, s_tr])
    from ..optimum._info import encode_labels

    codes, labels = encode_labels(cells_tr, name="cells")
    p_cells = empirical_joint(codes, z_tr, s_tr, ytr, shape=(len(labels), 2, N_CLIENTS, 2))
    pareto = [dict(kind="zsy", **r) for r in _sweeps(_solver(_zsy_cells(p)), sweep_grid)]
    pareto += [dict(kind="score cells x Z x S", **r)
               for r in _sweeps(_solver(p_cells), sweep_grid)]
    out = {"results": results, "surface": surface.to_dict("records"), "pareto": pareto}

    if h == HETEROGENEITY[0]:  # the global model does not depend on the clients
        cells_te = np.column_stack([quantile_cells(glob.decision_function(Xte), N_BINS),
                                    yhat_global, z_te])
        limits = []
        for constraint in ("demographic_parity", "equalized_odds"):
            curve = fairness_limit_curve(cells_te, z_te, yte, constraint=constraint,
                                         eps_grid=np.linspace(0, 0.2, 6 if quick else 21))
            limits += curve.to_dict("records")
        out["limits"] = limits
    return out


def _adult_grid(quick, seeds):
    hs = (0.0, 0.95) if quick else HETEROGENEITY
    return [dict(h=h, seed=seed, quick=quick) for h in hs for seed in range(seeds)]


def _report_adult(tables, out, quick):
    surface = tables["surface"]
    _heatmaps(surface, "h", "client heterogeneity h = {}", out, "surfaces")
    pareto = tables["pareto"]
    for kind, name in (("zsy", "pareto"), ("score cells x Z x S", "pareto_postprocessing")):
        _pareto_plot(pareto[pareto["kind"] == kind], "h", out, name,
                     f"Adult, {N_CLIENTS} clients: optimal accuracy of {KINDS[kind]}",
                     legend_title=HETEROGENEITY_TITLE)
    res = tables["results"]
    summary = res.groupby(["h", "model"])[
        ["accuracy", "aglfop_bound", "dp_global", "dp_local_mean", *PID_FIELDS]
    ].agg(["mean", "std"])
    summary.columns = [f"{a}_{b}" for a, b in summary.columns]
    summary = summary.reset_index()
    summary.to_csv(out / "summary.csv", index=False)
    models = [m for m in dict.fromkeys(res["model"]) if not m.startswith("perfect")]
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models) + 1.5, 3.4), sharey=True,
                             constrained_layout=True)
    for ax, model in zip(np.atleast_1d(axes), models):
        sub = summary[summary["model"] == model]
        x = np.arange(len(sub))
        _pid_stack(ax, x, [sub[f"{f}_mean"] for f, _, _ in PID_TERMS],
                   sub["global_disparity_mean"], sub["local_disparity_mean"])
        ax.set_xticks(x, [f"h={v:g}" for v in sub["h"]])
        ax.set_xlabel("client heterogeneity h")
        ax.set_title(model, fontsize=10)
    handles, names = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", fontsize=8, frameon=False)
    n_seeds = int(res["seed"].nunique()) if "seed" in res else 1
    fig.suptitle("PID of the disparity of logistic models' test predictions "
                 f"({spread_label(n_seeds, 'client split', 'mean')})", fontsize=10)
    save_figure(fig, out / "models_pid")
    if "limits" in tables:
        lim = tables["limits"]
        fig, ax = plt.subplots(figsize=(5, 3.6), constrained_layout=True)
        for i, (constraint, sub) in enumerate(lim.groupby("constraint")):
            mean = sub.groupby("eps")[["accuracy", "disparity"]].mean()
            ax.plot(mean["disparity"], mean["accuracy"], "--", color=f"C{i}",
                    label=f"limit under {constraint.replace('_', ' ')}")
        glob = res[res["model"] == "global logistic"]
        ax.scatter(glob["dp_global"], glob["accuracy"], color="k", marker="o", s=15,
                   label="global logistic (DP)")
        ax.set_xlabel("fairness difference (DP or EO)")
        ax.set_ylabel("accuracy (test)")
        ax.set_title("Best post-processing of the global model's score ventiles and sex",
                     fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        save_figure(fig, out / "limits")


register(Experiment(
    name="aglfop-adult",
    description="AGLFOP surfaces and PID of logistic models on Adult split among 5 clients",
    grid=_adult_grid, run_point=_run_adult, report=_report_adult, default_seeds=3,
    quick_seeds=1))
