"""Data loaders (vendored Adult and COMPAS, offline) and synthetic generators."""

from ._drift import gap_schedule, make_fairness_drift_stream
from ._loaders import data_dir, encode_features, load_adult, load_compas, load_stream
from ._synthetic import make_groupwise_regression

__all__ = ["data_dir", "encode_features", "load_adult", "load_compas", "load_stream",
           "make_groupwise_regression", "make_fairness_drift_stream", "gap_schedule"]
