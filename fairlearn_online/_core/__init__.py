"""Shared machinery of the estimators (not public API): one module per concept.

* :mod:`~fairlearn_online._core.groups`: sensitive features (validation, the incremental group
  encoder, column alignment by name, group names and order);
* :mod:`~fairlearn_online._core.validation`: hyper-parameters (declarative constraints, the
  parameters frozen after the first ``partial_fit``) and the keyword arguments of the public
  methods;
* :mod:`~fairlearn_online._core.events`: one event at a time (``learn_one`` / ``predict_one``);
* :mod:`~fairlearn_online._core.deprecation`: names that moved keep their old import path.

:mod:`fairlearn_online.base` re-exports what estimators use.
"""
