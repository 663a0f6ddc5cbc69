"""Fair selection from biased rankings: quality with and without group constraints.

Forty items of two groups have latent utilities; voters rank them with Mallows noise around an
order in which the utilities of group 1 are multiplied by a bias factor 0.5. A
MultiwinnerSelector (k-Borda rule, committee of 8) reads the biased rankings as a stream and
selects a committee after 1, 2, 4, ... rankings, once without constraints and once with
proportional group bounds. Their quality is the k-Borda score on unbiased rankings relative to
the best committee (quality_ratio): the constraints correct most of the bias, and the
unconstrained selector stays biased however many rankings it reads.
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairlearn_online.selection import (MultiwinnerSelector, make_biased_rankings,
                                        quality_ratio)
from fairlearn_online.utils import save_figure

M, K, BIAS, N_TRIALS = 40, 8, 0.5, 5
N_GRID = 2 ** np.arange(11)  # 1, 2, 4, ..., 1024 rankings


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    item_groups = np.arange(M) % 2  # group 1 is under-valued by the voters
    rows = []
    for trial in range(N_TRIALS):
        rng = np.random.default_rng(trial)
        utilities = rng.random(M)
        unbiased = make_biased_rankings(500, utilities, item_groups, bias=1.0, random_state=rng)
        best = MultiwinnerSelector(k=K).fit(unbiased).select()  # the unbiased optimum
        biased = make_biased_rankings(N_GRID[-1], utilities, item_groups, bias=BIAS,
                                      random_state=rng)
        for constraints in (None, "proportional"):
            selector = MultiwinnerSelector(k=K, rule="k_borda", constraints=constraints)
            seen = 0
            for n in N_GRID:  # stream the rankings in chunks, select after each
                selector.partial_fit(biased[seen:n], item_groups=item_groups)
                seen = n
                committee = selector.select()
                rows.append(dict(trial=trial, n_rankings=n,
                                 constraints=constraints or "none",
                                 quality=quality_ratio(committee, unbiased, "k_borda"),
                                 n_group1=int(item_groups[committee].sum()),
                                 n_group1_optimum=int(item_groups[best].sum())))
    mean = pd.DataFrame(rows).groupby(["constraints", "n_rankings"]).mean().reset_index()

    fig, (ax_q, ax_n) = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    labels = {"none": "unconstrained", "proportional": "proportional constraints"}
    for key, color in (("none", "tab:red"), ("proportional", "tab:blue")):
        c = mean[mean["constraints"] == key]
        ax_q.plot(c["n_rankings"], c["quality"], "o-", ms=3, color=color, label=labels[key])
        ax_n.plot(c["n_rankings"], c["n_group1"], "o-", ms=3, color=color, label=labels[key])
        print(f"{labels[key]}: quality ratio after {N_GRID[-1]} rankings "
              f"{c['quality'].iloc[-1]:.4f}")
    ax_n.axhline(mean["n_group1_optimum"].iloc[0], color="k", ls="--",
                 label="unbiased optimum (mean)")
    ax_q.set(xscale="log", xlabel="rankings read", ylabel="quality ratio (unbiased k-Borda)",
             title="Quality of the selected committee")
    ax_n.set(xscale="log", xlabel="rankings read", ylabel="items of group 1 selected",
             title=f"Under-valued group in the committee (k={K})", ylim=(0, K))
    ax_q.legend(loc="lower right")
    ax_n.legend(loc="lower right")
    fig.suptitle(f"MultiwinnerSelector on biased rankings (bias {BIAS}, mean of "
                 f"{N_TRIALS} trials)")
    fig.tight_layout()
    return save_figure(fig, out_dir / Path(__file__).stem)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
