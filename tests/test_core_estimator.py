"""The chunk protocol written once (``fairlearn_online/_core/estimator.py``)."""

import inspect

import numpy as np
import pytest
import sklearn

from fairlearn_online._core.estimator import Chunk, ChunkDocs, ChunkMethodsMixin
from fairlearn_online.dcov import DCovRegularizedClassifier, DCovRegularizedRegressor
from fairlearn_online.forest import AranyaniClassifier
from fairlearn_online.regret import GroupwiseRegretRegressor

KEYWORD = {DCovRegularizedClassifier: "classes", DCovRegularizedRegressor: "exposure",
           GroupwiseRegretRegressor: "groups"}
METHODS = ("fit", "partial_fit", "partial_fit_predict")


def test_chunk_is_typed_and_unpacks_as_the_old_tuple():
    X, y, groups = np.zeros((2, 1)), np.array([0, 1]), np.array([0, 0])
    chunk = Chunk(X, y, groups, commit=lambda: None, extra="e")
    X2, y2, g2, commit = chunk
    assert X2 is X and y2 is y and g2 is groups and chunk[3] is commit is chunk.commit
    assert chunk.extra == "e" and chunk.sample_weight is None
    with pytest.raises(AttributeError):
        chunk.X = None  # frozen


@pytest.mark.parametrize("cls", list(KEYWORD))
@pytest.mark.parametrize("method", METHODS)
def test_keyword_methods_come_from_the_mixin_with_their_signature(cls, method):
    func = getattr(cls, method)
    assert list(inspect.signature(func).parameters) == [
        "self", "X", "y", "sensitive_features", KEYWORD[cls]]
    doc = inspect.getdoc(func)
    assert f"\n{KEYWORD[cls]} : " in doc and "\nsensitive_features : " in doc
    assert "\nReturns\n-------\n" in doc
    assert isinstance(cls._chunk_docs, ChunkDocs)


def test_estimators_without_keywords_keep_the_generic_methods():
    for method in METHODS:
        assert getattr(AranyaniClassifier, method) is getattr(ChunkMethodsMixin, method)


def test_routing_sees_the_declared_keyword():
    with sklearn.config_context(enable_metadata_routing=True):
        est = GroupwiseRegretRegressor().set_partial_fit_request(groups=True)
    assert est.get_metadata_routing().partial_fit.requests["groups"] is True


def test_a_misspelled_keyword_names_the_public_method():
    with pytest.raises(TypeError, match=r"partial_fit\(\) got an unexpected keyword argument "
                                        r"'group'; did you mean 'groups'\?"):
        GroupwiseRegretRegressor().partial_fit([[0.0]], [0.0], group=[[True]])
