"""Loaders for the vendored raw Adult and COMPAS files (never touch the network).

The raw ``.gz`` files live in the repository's top-level ``datasets/`` folder; a wheel carries
them as ``fairlearn_online/_data``. ``FAIRLEARN_ONLINE_DATA`` may point to another folder.
Every file is checked against the SHA-256 of its uncompressed content (``datasets/PROVENANCE.md``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_adult", "load_compas", "load_stream", "encode_features", "data_dir"]

SHA256 = {
    "adult.data.gz": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "adult.test.gz": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    "compas-scores-two-years.csv.gz":
        "25dc20ee9cf7125f3f80dbaa396dcc384b85b201fab2a80d8e7db67e1e7bbaf5",
}

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]
ADULT_CATEGORICAL = [
    "workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
    "native-country",
]
COMPAS_FEATURES = [
    "sex", "age", "age_cat", "race", "juv_fel_count", "juv_misd_count", "juv_other_count",
    "priors_count", "c_charge_degree",
]


def data_dir() -> Path:
    """Folder holding the raw files: ``$FAIRLEARN_ONLINE_DATA``, the installed copy, or the repo's.

    Returns
    -------
    path : pathlib.Path
    """
    env = os.environ.get("FAIRLEARN_ONLINE_DATA")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parent.parent
    installed = package / "_data"
    if installed.is_dir():
        return installed
    return package.parent / "datasets"


@lru_cache(maxsize=None)
def _read_verified(filename: str) -> bytes:
    path = data_dir() / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"Dataset file {filename!r} is missing from {path.parent}. The raw files ship with "
            "the repository's datasets/ folder (see datasets/PROVENANCE.md); reinstall the "
            "package or set FAIRLEARN_ONLINE_DATA to a folder that holds them."
        )
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise ValueError(f"Dataset file {path} is not a valid gzip file: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256[filename]:
        raise ValueError(
            f"Dataset file {path} has been altered: SHA-256 of its content is {digest}, "
            f"expected {SHA256[filename]} (datasets/PROVENANCE.md)."
        )
    return raw


def _read_adult_split(split: str) -> pd.DataFrame:
    filename = {"train": "adult.data.gz", "test": "adult.test.gz"}[split]
    text = _read_verified(filename).decode("utf-8")
    frame = pd.read_csv(
        io.StringIO(text), header=None, names=ADULT_COLUMNS, skipinitialspace=True,
        na_values="?", skiprows=1 if split == "test" else 0, skip_blank_lines=True,
        dtype={c: object for c in ADULT_CATEGORICAL + ["income"]},
    )
    frame["income"] = frame["income"].str.rstrip(".")
    return frame


def _as_object_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as ``object`` with ``np.nan`` for missing values, the form scikit-learn's
    encoders and imputers accept (pandas' nullable ``string`` dtype and its ``pd.NA`` make
    ``OneHotEncoder`` and ``SimpleImputer(strategy="most_frequent")`` fail), whatever the pandas
    version's default string dtype."""
    frame = frame.copy()
    for name in frame.columns:
        col = frame[name]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            values = col.to_numpy(dtype=object, na_value=np.nan)
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _bunch(as_frame, *, data, target, sensitive_features, frame, **metadata):
    """A loader's ``Bunch``; with ``as_frame=False`` numpy arrays and no ``frame``."""
    if not as_frame:
        data = data.to_numpy(dtype=object)
        target = target.to_numpy()
        sensitive_features = sensitive_features.to_numpy(dtype=object)
        frame = None
    return Bunch(data=data, target=target, sensitive_features=sensitive_features, frame=frame,
                 **metadata)


def load_adult(split="train", *, as_frame=True):
    """Load the UCI Adult census income data from the vendored raw files.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        ``"train"`` is ``adult.data`` (32,561 rows), ``"test"`` is ``adult.test`` (16,281 rows),
        ``"all"`` both, in that order.
    as_frame : bool, default=True
        Return pandas objects; ``False`` returns numpy arrays (``data`` of dtype object).

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (the 14 features; ``?`` is missing), ``target`` (1 for ``>50K``),
        ``sensitive_features`` (``sex``, ``race``, ``age``), ``frame`` (features and target),
        ``feature_names``, ``categorical_features``, ``target_names``, ``DESCR``.

    Examples
    --------
    >>> from fairlearn_online.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.data.shape
    (32561, 14)
    >>> round(float(adult.target.mean()), 3)
    0.241
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}.")
    parts = ["train", "test"] if split == "all" else [split]
    frame = _as_object_strings(
        pd.concat([_read_adult_split(p) for p in parts], ignore_index=True))
    target = (frame.pop("income") == ">50K").astype(np.int64).rename("income")
    frame["income"] = target
    data = frame.drop(columns="income")
    sensitive = data[["sex", "race", "age"]].copy()
    return _bunch(
        as_frame, data=data, target=target, sensitive_features=sensitive, frame=frame,
        feature_names=list(data.columns), categorical_features=list(ADULT_CATEGORICAL),
        target_names=["<=50K", ">50K"],
        DESCR="UCI Adult (Becker & Kohavi, 1996), vendored raw files; see datasets/PROVENANCE.md.",
    )


def load_compas(*, filtered=True, target="two_year_recid", as_frame=True):
    """Load ProPublica's COMPAS two-year recidivism data from the vendored raw file.

    Parameters
    ----------
    filtered : bool, default=True
        Apply ProPublica's filter (``days_b_screening_arrest`` in [-30, 30], ``is_recid != -1``,
        ``c_charge_degree != 'O'``, ``score_text != 'N/A'``): 6,172 rows; 7,214 without it.
    target : {"two_year_recid", "is_recid"}, default="two_year_recid"
    as_frame : bool, default=True

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (demographics and criminal history: sex, age, age_cat, race, juvenile counts,
        priors_count, c_charge_degree; COMPAS's own scores are left out), ``target`` (0/1),
        ``sensitive_features`` (``race``, ``sex``), ``frame`` (all 49 columns of the raw file).

    Examples
    --------
    >>> from fairlearn_online.datasets import load_compas
    >>> compas = load_compas()
    >>> compas.data.shape
    (6172, 9)
    """
    if target not in ("two_year_recid", "is_recid"):
        raise ValueError(f"target must be 'two_year_recid' or 'is_recid', got {target!r}.")
    raw = _as_object_strings(
        pd.read_csv(io.BytesIO(_read_verified("compas-scores-two-years.csv.gz"))))
    if filtered:
        keep = (
            raw["days_b_screening_arrest"].between(-30, 30)
            & (raw["is_recid"] != -1)
            & (raw["c_charge_degree"] != "O")
            & (raw["score_text"].notna())
            & (raw["score_text"] != "N/A")
        )
        raw = raw.loc[keep].reset_index(drop=True)
    data = raw[COMPAS_FEATURES].copy()
    y = raw[target].astype(np.int64)
    sensitive = raw[["race", "sex"]].copy()
    return _bunch(
        as_frame, data=data, target=y, sensitive_features=sensitive, frame=raw,
        feature_names=list(COMPAS_FEATURES), target_names=["no recidivism", "recidivism"],
        DESCR="ProPublica COMPAS two-year recidivism; see datasets/PROVENANCE.md.",
    )


def encode_features(data: pd.DataFrame) -> np.ndarray:
    """Label-encode every non-numeric column (missing = its own code), then standardize all.

    This is the preprocessing of the Aranyani paper's protocol (docs/user_guide/forest.md): each
    categorical column becomes the integer code of its sorted categories, and every column is
    scaled to zero mean and unit variance over the whole data set (constant columns stay 0).

    Parameters
    ----------
    data : pandas.DataFrame
        The features, numeric and categorical columns.

    Returns
    -------
    X : ndarray of shape (n_samples, n_columns)
        float64, standardized.
    """
    columns = []
    for name in data.columns:
        col = data[name]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            values = col.to_numpy(dtype=np.float64)
            if np.isnan(values).any():
                values = np.where(np.isnan(values), np.nanmean(values), values)
        else:
            codes, _ = pd.factorize(col.astype("string").fillna("?"), sort=True)
            values = codes.astype(np.float64)
        columns.append(values)
    X = np.column_stack(columns)
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def load_stream(name, *, sensitive=None, target=None, random_state=None):
    """A ready-to-stream version of Adult or COMPAS under the Aranyani protocol.

    Parameters
    ----------
    name : {"adult", "compas"}
        ``"adult"``: ``adult.data`` only, the 14 features label-encoded and standardized,
        target ``>50K``, protected attribute ``sex`` (kept among the inputs).
        ``"compas"``: the filtered data, target ``is_recid`` unless ``target`` says otherwise,
        protected attribute ``race`` as White (Caucasian) vs. non-White.
    sensitive : str, optional
        Another column to use as the protected attribute.
    target : str, optional
        COMPAS target (``"is_recid"`` by default here, as in the paper).
    random_state : int, RandomState or None
        ``None`` keeps the file order; otherwise the rows are shuffled (one stream order).

    Returns
    -------
    X : ndarray of shape (n, d), float64
    y : ndarray of shape (n,), int64
    groups : ndarray of shape (n,), object
        Protected-attribute label of each row.
    """
    if name == "adult":
        bunch = load_adult("train")
        groups = bunch.data[sensitive or "sex"].astype(str).to_numpy(dtype=object)
    elif name == "compas":
        bunch = load_compas(target=target or "is_recid")
        if sensitive is None:
            groups = np.where(bunch.data["race"] == "Caucasian", "White",
                              "non-White").astype(object)
        else:
            groups = bunch.frame[sensitive].astype(str).to_numpy(dtype=object)
    else:
        raise ValueError(f"name must be 'adult' or 'compas', got {name!r}.")
    X = encode_features(bunch.data)
    y = bunch.target.to_numpy()
    if random_state is not None:
        order = check_random_state(random_state).permutation(len(y))
        X, y, groups = X[order], y[order], groups[order]
    return np.ascontiguousarray(X), y, groups
