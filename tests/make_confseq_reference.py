"""Write ``tests/data/confseq_normal_mixture.json``: boundaries of the ``confseq`` package
(Howard et al.'s reference implementation) that ``tests/test_intervals.py`` compares with the
library's normal-mixture boundary.

``confseq`` ships only as a C++ source distribution (Boost headers needed, and a pybind11
newer than its pinned one on Python 3.11), so it is not a dependency; the file was made with

    apt-get install libboost-dev
    pip install "pybind11>=2.11" setuptools wheel cmake scikit-build
    pip install --no-build-isolation confseq==<version below>
    python tests/make_confseq_reference.py
"""

import json
import math
from importlib.metadata import version
from pathlib import Path

import numpy as np
from confseq.boundaries import normal_mixture_bound


def main():
    intrinsic_time = (np.array([1, 3, 10, 30, 100, 1e3, 1e4, 1e5, 1e6, 1e7]) / 4).tolist()
    cases = []
    for v_opt in (25.0, 250.0, 2500.0, 25000.0):
        for alpha in (0.01, 0.05, 0.1, 0.2):
            bound = np.asarray(normal_mixture_bound(np.array(intrinsic_time), alpha, v_opt,
                                                    alpha, False), dtype=float)
            # confseq's mixture parameter for (v_opt, alpha), recovered from its formula
            rho = v_opt / (2 * math.log(1 / alpha) + math.log(1 + 2 * math.log(1 / alpha)))
            cases.append({"v_opt": v_opt, "alpha": alpha, "rho": rho, "bound": bound.tolist()})
    out = {"confseq_version": version("confseq"), "intrinsic_time": intrinsic_time,
           "cases": cases}
    path = Path(__file__).with_name("data") / "confseq_normal_mixture.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
