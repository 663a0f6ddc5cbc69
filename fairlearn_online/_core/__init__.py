"""Shared machinery of the estimators (not public API): one module per concept.

* :mod:`~fairlearn_online._core.groups`: sensitive features, for every estimator and metric
  (validation with one set of messages, the incremental group encoder, column alignment by
  name, which argument a stream gives its groups by, explicit membership matrices, the typed
  frames of the dCov statistics, group names and order);
* :mod:`~fairlearn_online._core.validation`: hyper-parameters (declarative constraints, the
  parameters frozen after the first ``partial_fit``) and the keyword arguments of the public
  methods;
* :mod:`~fairlearn_online._core.estimator`: ``fit`` / ``partial_fit`` /
  ``partial_fit_predict`` written once, and the typed ``Chunk`` they validate;
* :mod:`~fairlearn_online._core.events`: one event at a time (``learn_one`` / ``predict_one``);
* :mod:`~fairlearn_online._core.state`: the learned state as one unit (atomic chunks, copy on
  write, portable pickles);
* :mod:`~fairlearn_online._core.optim` and :mod:`~fairlearn_online._core.random`: Adam and
  seeding, once each;
* :mod:`~fairlearn_online._core.jit`, :mod:`~fairlearn_online._core.raw_numpy`: numba's cache
  and numpy without its per-call wrappers;
* :mod:`~fairlearn_online._core.docstrings`: numpydoc sections written once;
* :mod:`~fairlearn_online._core.deprecation`: names that moved keep their old import path.

:mod:`fairlearn_online.base` re-exports what estimators use.
"""
