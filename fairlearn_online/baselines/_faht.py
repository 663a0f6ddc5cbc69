"""FAHTClassifier: the fairness-aware Hoeffding tree, a baseline of the forest's experiments.

Paper: W. Zhang and E. Ntoutsi, "FAHT: An Adaptive Fairness-aware Decision Tree Classifier",
IJCAI 2019. The kernels are in :mod:`._faht_kernels`; see ``docs/user_guide/forest.md``.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._core.deprecation import keyword_only_init
from .._core.docstrings import fill_doc
from .._core.groups import GROUPS_ATTRIBUTE_DOC, grow_rows
from .._core.validation import (NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE_INT,
                                UNIT_INTERVAL_OPEN_RIGHT, Interval, InvalidParameterError, Real,
                                StrOptions)
from ..base import StreamingClassifierMixin, _as_python_scalar, check_chunk_X, check_fitted
from . import _faht_kernels as K
from ._logistic import _ChunkValidation

__all__ = ["FAHTClassifier"]

SPLIT_CRITERIA = ("fair_info_gain", "info_gain")


def _as_label(value):
    """A group label as the group encoder stores it (tuples element-wise)."""
    if isinstance(value, tuple):
        return tuple(_as_label(v) for v in value)
    return _as_python_scalar(value, "protected_group")


@fill_doc(groups_attribute=GROUPS_ATTRIBUTE_DOC)
class FAHTClassifier(_ChunkValidation, StreamingClassifierMixin, ClassifierMixin, BaseEstimator):
    """Fairness-aware Hoeffding tree (FAHT; Zhang & Ntoutsi, IJCAI 2019).

    A Hoeffding tree (VFDT) grown one sample at a time whose split merit is the *fair
    information gain* (paper, Eqs. 1, 4, 5)

    * ``Disc(D) = P(+ | non-protected, D) - P(+ | protected, D)`` on the class labels of D,
      ``+`` being ``classes_[1]``;
    * ``FG(D, A) = |Disc(D)| - sum_v |D_v| / |D| |Disc(D_v)|``, the drop of discrimination when
      D is split on A (positive: the split makes the partition fairer);
    * ``FIG(D, A) = IG(D, A) * FG(D, A)`` if ``FG != 0``, else ``IG(D, A)``.

    A split that gains information but raises discrimination has a negative merit and loses to
    not splitting (merit 0). A child set that holds none of a group's members gives that group
    the positive rate ``0 / 0 := 0`` (none of them is served by it), so splitting off one group,
    e.g. on the protected attribute or a perfect proxy of it, counts as discriminating; counting
    such a child as perfectly fair (``Disc = 0``) makes FAHT prefer exactly those splits (on
    Adult it then splits first on ``relationship = Husband`` and its predictions are *less*
    fair than a plain Hoeffding tree's). A node holding one group only has ``FG = 0``, so
    ``FIG = IG`` there.

    Every ``grace_period`` samples reaching a leaf, the best and second-best features (each at
    its best of ``n_split_points`` thresholds, with the class and group counts on each side
    estimated from Gaussian summaries, as river's ``GaussianSplitter``) are compared with the
    Hoeffding bound ``eps = sqrt(R^2 ln(1/delta) / (2 n))``, ``R = 1`` (the range of IG for two
    classes, which also bounds ``|FIG|``): the leaf splits if the best merit is positive and
    leads the runner-up (or 0) by more than ``eps``, or if ``eps < tau`` (paper, Algorithm 1).
    FIG values are IG scaled by ``|FG| < 1``, so FAHT splits later than a plain Hoeffding tree,
    mostly through the tie rule (``eps < tau`` once a leaf holds ``ln(1/delta) / (2 tau^2)``
    samples, 3,224 with the defaults): a split that is informative but leaves the discrimination
    unchanged (``FG`` near 0, e.g. when the groups are independent of the labels) has a merit
    near 0, and only ``FG = 0`` exactly restores ``IG``. Leaves predict their majority class.

    With ``split_criterion="info_gain"`` (or a single group) the merit is IG and the tree grows
    as river's ``HoeffdingTreeClassifier(leaf_prediction="mc")`` on the same rows (tested),
    except in two corner cases: river compares the best merit with the runner-up's even when
    that is negative (its null split has merit ``-inf``; here, as in VFDT and MOA, the null split
    has merit 0, which FIG needs since a discriminating split has a negative merit), and it stops
    a leaf whose majority class exceeds 99% of its weight. A runner-up's IG is negative only when
    a leaf's inherited (estimated) class weights disagree with what its observers saw since.

    Parameters
    ----------
    grace_period : int, default=200
        Weight a leaf gathers between two split attempts (river's and MOA's default).
    delta : float in (0, 1), default=1e-7
        One minus the confidence of the Hoeffding bound.
    tau : float >= 0, default=0.05
        Tie threshold: split on the best feature once ``eps < tau``.
    n_split_points : int, default=10
        Candidate thresholds per feature, equally spaced strictly between the smallest and
        largest value the leaf has seen.
    max_depth : int or None, default=None
        Leaves at this depth (the root has depth 0) no longer split; ``None``: unlimited.
    min_branch_fraction : float in [0, 1), default=0.01
        A split is valid only if both branches hold more than this fraction of the weight
        (river's and MOA's default).
    split_criterion : {"fair_info_gain", "info_gain"}, default="fair_info_gain"
        FAHT's FIG, or the plain information gain (a Hoeffding tree; groups are then unused).
    protected_group : hashable or None, default=None
        Label of the protected group (a tuple for several ``sensitive_features`` columns); all
        other groups are pooled as the non-protected group. ``None``: every group counts on
        its own and ``|Disc|`` is the largest gap between two groups' positive rates, which for
        two groups is the paper's ``|Disc|`` whichever is protected.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    n_nodes_ : int
        Nodes of the tree (``n_nodes_ // 2 + 1`` leaves).
    node_feature_, node_threshold_, node_children_, node_depth_ : ndarray
        The tree: split feature (``-1`` at a leaf), threshold (``x <= threshold`` goes left),
        children and depth of each node; rows from ``n_nodes_`` on are free slots.
    class_counts_ : ndarray of shape (n_slots, 2)
        Class weights seen at each leaf.
    fair_counts_ : ndarray of shape (n_slots, 2, n_fair_groups)
        Class-by-fairness-group weights seen at each leaf.
    fair_group_of_group_ : ndarray of shape (n_groups,)
        Fairness group of each group code (0 protected, 1 the others, with ``protected_group``;
        else the code itself).
    %(groups_attribute)s
    group_encoder_ : GroupEncoder
        The encoder of the groups to their codes.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.baselines import FAHTClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(5000, 3))
    >>> sex = np.where(rng.random(5000) < 0.5, "female", "male")
    >>> y = (X[:, 0] > 0.2).astype(int)
    >>> clf = FAHTClassifier(protected_group="female").fit(X, y, sensitive_features=sex)
    >>> int(clf.node_feature_[0])  # the root splits on the informative feature
    0
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    @keyword_only_init
    def __init__(self, *, grace_period=200, delta=1e-7, tau=0.05, n_split_points=10,
                 max_depth=None, min_branch_fraction=0.01, split_criterion="fair_info_gain",
                 protected_group=None):
        self.grace_period = grace_period
        self.delta = delta
        self.tau = tau
        self.n_split_points = n_split_points
        self.max_depth = max_depth
        self.min_branch_fraction = min_branch_fraction
        self.split_criterion = split_criterion
        self.protected_group = protected_group

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    _parameter_constraints = {
        "grace_period": [POSITIVE_INT],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "tau": [NON_NEGATIVE],
        "n_split_points": [POSITIVE_INT],
        "max_depth": [None, NON_NEGATIVE_INT],
        "min_branch_fraction": [UNIT_INTERVAL_OPEN_RIGHT],
        "split_criterion": [StrOptions(set(SPLIT_CRITERIA))],
        "protected_group": [None, Hashable],  # a group label
    }

    def _check_param_rules(self):
        try:
            hash(self.protected_group)
        except TypeError as exc:  # a tuple holding a list, say
            raise InvalidParameterError(f"protected_group must be a hashable group label or None, "
                                        f"got {self.protected_group!r}.") from exc
        if self.protected_group is not None:
            _as_label(self.protected_group)  # NaN/inf labels raise here

    def _check_n_classes(self, classes):
        if len(classes) != 2:
            raise ValueError(f"Only binary classification is supported by FAHTClassifier (Disc "
                             f"needs a positive class); got {len(classes)} classes "
                             f"{classes.tolist()}.")

    @property
    def _fair(self):
        return self.split_criterion == "fair_info_gain"

    def _on_reset(self, n_features, classes):
        slots = 16
        groups = 2 if self.protected_group is not None else 1
        self.n_nodes_ = 1
        self.node_feature_ = np.full(slots, -1, dtype=np.int64)
        self.node_threshold_ = np.zeros(slots)
        self.node_children_ = np.full((slots, 2), -1, dtype=np.int64)
        self.node_depth_ = np.zeros(slots, dtype=np.int64)
        self.last_split_check_ = np.zeros(slots)
        self.class_counts_ = np.zeros((slots, 2))
        self.fair_counts_ = np.zeros((slots, 2, groups))
        self.class_observers_ = np.zeros((slots, n_features, 2, 5))
        # the per-(class, group) observers are only kept when FIG needs them
        self.fair_observers_ = np.zeros((slots, n_features if self._fair else 0, 2, groups, 5))
        self.fair_group_of_group_ = np.zeros(0, dtype=np.int64)

    def _grow_groups(self, n_groups):
        if self.protected_group is not None:
            protected = _as_label(self.protected_group)
            self.fair_group_of_group_ = np.array(
                [0 if label == protected else 1 for label in self.group_encoder_.groups_],
                dtype=np.int64)
            return
        self.fair_group_of_group_ = np.arange(n_groups, dtype=np.int64)
        extra = n_groups - self.fair_counts_.shape[2]
        if extra > 0:  # a group first seen mid-stream: empty statistics for it everywhere
            self.fair_counts_ = np.ascontiguousarray(np.concatenate(
                [self.fair_counts_, np.zeros(self.fair_counts_.shape[:2] + (extra,))], axis=2))
            shape = self.fair_observers_.shape
            self.fair_observers_ = np.ascontiguousarray(np.concatenate(
                [self.fair_observers_, np.zeros(shape[:3] + (extra, 5))], axis=3))

    def _grow_nodes(self):
        old = self.node_feature_.shape[0]
        slots = 2 * old
        self.node_feature_ = np.concatenate(
            [self.node_feature_, np.full(slots - old, -1, dtype=np.int64)])
        self.node_children_ = np.concatenate(
            [self.node_children_, np.full((slots - old, 2), -1, dtype=np.int64)])
        for name in ("node_threshold_", "node_depth_", "last_split_check_", "class_counts_",
                     "fair_counts_", "class_observers_", "fair_observers_"):
            setattr(self, name, grow_rows(getattr(self, name), slots))

    def _partial_fit(self, X, y, groups, return_predictions):
        fair_groups = self.fair_group_of_group_[groups]
        pred = np.zeros(len(y), dtype=np.int64)
        n_nodes = np.array([self.n_nodes_], dtype=np.int64)
        max_depth = -1 if self.max_depth is None else int(self.max_depth)
        start = 0
        while True:
            start = K.faht_learn_chunk(
                X, y, fair_groups, start, self.node_feature_, self.node_threshold_,
                self.node_children_, self.node_depth_, n_nodes, self.class_counts_,
                self.fair_counts_, self.class_observers_, self.fair_observers_,
                self.last_split_check_, float(self.grace_period), float(self.delta),
                float(self.tau), int(self.n_split_points), max_depth,
                float(self.min_branch_fraction), self._fair, bool(return_predictions), pred)
            self.n_nodes_ = int(n_nodes[0])
            if start >= len(y):
                break
            self._grow_nodes()
        return self.classes_[pred] if return_predictions else None

    def predict_proba(self, X):
        """Class frequencies of the leaf each row reaches (uniform at an empty leaf).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
        """
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        counts = K.faht_leaf_counts(X_arr, self.node_feature_, self.node_threshold_,
                                    self.node_children_, self.class_counts_)
        total = counts.sum(axis=1, keepdims=True)
        return np.where(total > 0, counts / np.where(total > 0, total, 1.0), 0.5)
