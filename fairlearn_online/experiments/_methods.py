"""The method catalog of the classification experiments: one kebab-case name -> its estimator.

``adult-baselines``, ``adult-frontier`` / ``compas-frontier`` (:mod:`.aranyani`) and
``frontier`` (:mod:`.frontier`) make their estimators here, so a method has one name and one
configuration in every experiment, table and figure (its style is
:func:`fairlearn_online.plotting.method_style` of the same name). To add a method: one
:func:`method` entry below (and a style in :mod:`fairlearn_online.plotting.styles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["FAHT_PROTECTED", "METHODS", "Method", "make_estimator", "method", "requirements"]

#: FAHT's protected group per data set: the one with the lower rate of the favourable outcome
#: (income > 50K on Adult, no recidivism on COMPAS); FAHT's gain uses ``|Disc|``, so with two
#: groups the choice only fixes the sign of the reported discrimination
FAHT_PROTECTED = {"adult": "Female", "compas": "non-White"}


@dataclass(frozen=True)
class Method:
    """One entry of the catalog.

    Parameters
    ----------
    name : str
        kebab-case, as in the results and the plotting styles.
    make : callable
        ``make(fairness_weight, seed, protocol, dataset) -> estimator``.
    fair : bool
        Whether it takes a fairness weight (a point per weight in the sweeps).
    requires : (str, str) or None
        ``(importable module, extra that installs it)`` of an optional dependency.
    """

    name: str
    make: Callable
    fair: bool = False
    requires: tuple | None = None


#: name -> :class:`Method`, in the order of the entries below
METHODS: dict[str, Method] = {}


def method(name, *, fair=False, requires=None):
    """Register ``make(fairness_weight, seed, protocol, dataset)`` under ``name``.

    Parameters
    ----------
    name : str
        kebab-case.
    fair : bool, default=False
    requires : (str, str) or None, default=None

    Returns
    -------
    decorator : callable
        Registers the function and returns it unchanged.
    """
    if name != name.lower() or "_" in name or " " in name:
        raise ValueError(f"method names are kebab-case, got {name!r}")

    def decorator(make):
        if name in METHODS:
            raise ValueError(f"method {name!r} is already in the catalog")
        METHODS[name] = Method(name, make, fair, requires)
        return make

    return decorator


def make_estimator(name, fairness_weight=0.0, seed=0, protocol="shuffled", dataset="adult"):
    """A fresh estimator of the method ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`METHODS`.
    fairness_weight : float, default=0.0
        Ignored by the methods that take none.
    seed : int, default=0
        The estimator's ``random_state`` (for those that draw).
    protocol : {"shuffled", "paper"}, default="shuffled"
        Under ``"paper"`` the forest waits for both groups at every lambda, as the authors'
        loop.
    dataset : {"adult", "compas"}, default="adult"
        Fixes FAHT's protected group.

    Returns
    -------
    estimator : estimator
    """
    entry = METHODS.get(name)
    if entry is None:
        raise ValueError(f"unknown method {name!r}; the catalog has {sorted(METHODS)}")
    return entry.make(fairness_weight, seed, protocol, dataset)


def requirements(names):
    """``{method: (module, extra)}`` of the methods of ``names`` that need an optional extra
    (the ``requires`` of :func:`fairlearn_online.experiments.available_methods`).

    Parameters
    ----------
    names : iterable of str

    Returns
    -------
    requires : dict of str to (str, str)
    """
    return {n: METHODS[n].requires for n in names if METHODS[n].requires is not None}


# ------------------------------------------------------------------------------ the forest
#: the forest's variants: name -> (its parameters, whether it waits for both groups under the
#: paper protocol, as the authors' loop; the others wait only when penalized)
_FOREST_VARIANTS = {
    "aranyani": ({}, True),
    "aranyani-huber": ({"fairness_gradient": "huber"}, True),
    "aranyani-uncapped": ({"fairness_gradient": "uncapped"}, False),
    "aranyani-reservoir": ({"fairness_memory": "reservoir", "reservoir_size": 500}, True),
    "aranyani-output": ({"fairness_target": "output"}, False),
    "aranyani-output-decay": ({"fairness_target": "output", "statistics_decay": 0.999}, False),
}


def _wait(protocol):
    return "always" if protocol == "paper" else "when_penalized"


def _forest_variant(params, waits_in_paper_protocol):
    def make(fairness_weight, seed, protocol, dataset):
        from ..forest import AranyaniClassifier

        wait = {"wait_for_groups": _wait(protocol)} if waits_in_paper_protocol else {}
        return AranyaniClassifier(fairness_weight=fairness_weight, random_state=seed,
                                  **params, **wait)

    return make


for _name, (_params, _waits) in _FOREST_VARIANTS.items():
    method(_name, fair=True)(_forest_variant(_params, _waits))


# ------------------------------------------------------------------------------ other fair
@method("fair-logistic", fair=True)
def _fair_logistic(fairness_weight, seed, protocol, dataset):
    from ..baselines import OnlineFairLogisticClassifier

    return OnlineFairLogisticClassifier(fairness_weight=fairness_weight)


@method("dcov-logistic", fair=True)
def _dcov_logistic(fairness_weight, seed, protocol, dataset):
    from ..dcov import DCovRegularizedClassifier

    return DCovRegularizedClassifier(penalty="dcov", fairness_weight=fairness_weight,
                                     batch_size=32, learning_rate=0.01, random_state=seed)


# ------------------------------------------------------------------------------ plain
@method("majority")
def _majority(fairness_weight, seed, protocol, dataset):
    from ..baselines import MajorityClassClassifier

    return MajorityClassClassifier()


@method("sgd-log-loss")
def _sgd_log_loss(fairness_weight, seed, protocol, dataset):
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", random_state=seed)


@method("faht")
def _faht(fairness_weight, seed, protocol, dataset):
    from ..baselines import FAHTClassifier

    return FAHTClassifier(protected_group=FAHT_PROTECTED[dataset])


@method("faht-info-gain")
def _faht_info_gain(fairness_weight, seed, protocol, dataset):
    from ..baselines import FAHTClassifier

    return FAHTClassifier(split_criterion="info_gain")


@method("hoeffding-tree", requires=("river", "baselines"))
def _hoeffding_tree(fairness_weight, seed, protocol, dataset):
    from ..river import RiverClassifier

    return RiverClassifier("hoeffding_tree")


@method("hoeffding-adaptive-tree", requires=("river", "baselines"))
def _hoeffding_adaptive_tree(fairness_weight, seed, protocol, dataset):
    from ..river import RiverClassifier

    return RiverClassifier("hoeffding_adaptive_tree", model_params={"seed": seed})
