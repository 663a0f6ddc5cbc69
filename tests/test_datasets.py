import gzip
import shutil

import numpy as np
import pandas as pd
import pytest

from fairlearn_online.datasets import (
    encode_features,
    load_adult,
    load_compas,
    load_stream,
    make_groupwise_regression,
)
from fairlearn_online.datasets import _loaders


def test_adult_row_counts_and_cleaning():
    train, test = load_adult("train"), load_adult("test")
    assert train.data.shape == (32561, 14)
    assert test.data.shape == (16281, 14)
    assert load_adult("all").data.shape == (32561 + 16281, 14)
    assert set(train.target.unique()) == {0, 1}
    assert abs(train.target.mean() - 0.2408) < 1e-3
    # test file: header dropped, trailing periods stripped (both labels present)
    assert set(test.target.unique()) == {0, 1}
    # padding stripped and "?" read as missing
    assert set(train.data["sex"].unique()) == {"Male", "Female"}
    assert train.data["workclass"].isna().sum() > 0
    assert not (train.data["workclass"] == "?").any()
    assert list(train.sensitive_features.columns) == ["sex", "race", "age"]
    assert "income" in train.frame.columns


def test_adult_numpy_output_and_bad_split():
    bunch = load_adult(as_frame=False)
    assert isinstance(bunch.data, np.ndarray) and bunch.data.shape == (32561, 14)
    with pytest.raises(ValueError, match="split"):
        load_adult("validation")


def test_compas_filter_and_targets():
    compas = load_compas()
    assert compas.data.shape[0] == 6172
    assert load_compas(filtered=False).data.shape[0] == 7214
    assert abs(load_compas(filtered=False).frame["two_year_recid"].mean() - 0.451) < 1e-3
    assert list(compas.sensitive_features.columns) == ["race", "sex"]
    assert compas.target.name == "two_year_recid"
    assert load_compas(target="is_recid").target.name == "is_recid"
    counts = load_compas(filtered=False).frame["race"].value_counts()
    assert counts["African-American"] == 3696 and counts["Native American"] == 18
    with pytest.raises(ValueError, match="target"):
        load_compas(target="decile_score")


def test_stream_protocol():
    X, y, groups = load_stream("adult")
    assert X.shape == (32561, 14) and X.dtype == np.float64 and X.flags.c_contiguous
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-10)
    X2, y2, g2 = load_stream("adult", random_state=1)
    assert sorted(y2) == sorted(y) and not np.array_equal(y2, y)
    Xc, yc, gc = load_stream("compas")
    assert set(gc) == {"White", "non-White"} and Xc.shape[0] == 6172
    with pytest.raises(ValueError, match="name"):
        load_stream("mnist")


def test_encode_features_label_encodes_and_standardizes():
    frame = pd.DataFrame({"a": ["x", "y", None, "x"], "b": [1.0, 2.0, 3.0, 4.0], "c": [5, 5, 5, 5]})
    X = encode_features(frame)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    assert np.all(X[:, 2] == 0)  # constant column stays 0
    assert X[0, 0] == X[3, 0] != X[1, 0]


def test_missing_and_altered_files_are_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRLEARN_ONLINE_DATA", str(tmp_path))
    _loaders._read_verified.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="missing"):
            load_adult()
        original = gzip.decompress(
            (_repo_data_dir() / "compas-scores-two-years.csv.gz").read_bytes())
        (tmp_path / "compas-scores-two-years.csv.gz").write_bytes(
            gzip.compress(original.replace(b"Caucasian", b"Caucasien", 1)))
        with pytest.raises(ValueError, match="altered"):
            load_compas()
        (tmp_path / "adult.data.gz").write_bytes(b"not gzip")
        with pytest.raises(ValueError, match="gzip"):
            load_adult()
    finally:
        monkeypatch.delenv("FAIRLEARN_ONLINE_DATA")
        _loaders._read_verified.cache_clear()


def _repo_data_dir():
    import os

    env = os.environ.pop("FAIRLEARN_ONLINE_DATA", None)
    try:
        return _loaders.data_dir()
    finally:
        if env is not None:
            os.environ["FAIRLEARN_ONLINE_DATA"] = env


@pytest.mark.parametrize("combine", ["mean", "min", "max", "permutation"])
def test_make_groupwise_regression(combine):
    data = make_groupwise_regression(2000, 5, combine=combine, random_state=3)
    assert data.data.shape == (2000, 5)
    assert data.target.min() == 0.0 and data.target.max() == 1.0
    assert list(data.groups.columns) == ["circle", "square", "triangle", "red", "green"]
    assert (data.groups[["circle", "square", "triangle"]].sum(axis=1) == 1).all()
    assert abs(data.groups["circle"].mean() - 0.5) < 0.05
    again = make_groupwise_regression(2000, 5, combine=combine, random_state=3)
    np.testing.assert_array_equal(data.target, again.target)


def test_make_groupwise_regression_bad_input():
    with pytest.raises(ValueError, match="combine"):
        make_groupwise_regression(10, combine="median")
    with pytest.raises(ValueError, match="shape_probs"):
        make_groupwise_regression(10, shape_probs=(0.5, 0.5, 0.5))


@pytest.mark.parametrize("load", [load_adult, load_compas], ids=["adult", "compas"])
def test_frames_go_straight_into_scikit_learn_encoders(load):
    """Text columns are object with np.nan for missing: pandas' nullable string dtype (pd.NA)
    made OneHotEncoder ("uniformly strings or numbers") and SimpleImputer fail."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    data = load().data
    text = data.select_dtypes(exclude="number")
    assert len(text.columns) > 0
    assert all(dtype == object for dtype in text.dtypes)
    assert not any(value is pd.NA for value in text.to_numpy().ravel())
    OneHotEncoder(handle_unknown="ignore").fit_transform(text)
    imputed = SimpleImputer(strategy="most_frequent").fit_transform(text)
    assert not pd.isna(imputed).any()
