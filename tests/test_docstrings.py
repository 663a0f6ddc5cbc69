"""The shared docstring fragments of ``fairlearn_online._core.docstrings``."""

import pytest

from fairlearn_online._core.docstrings import fill_doc


def fill_docstring(doc, fragments):
    def f():
        pass

    f.__doc__ = doc
    return fill_doc(**fragments)(f).__doc__


def test_placeholder_line_takes_the_fragment_at_its_indentation():
    doc = "Summary.\n\n    Parameters\n    ----------\n    %(xy)s\n    z : int\n"
    filled = fill_docstring(doc, {"xy": "\n    x : int\n        The x.\n    y : int\n"})
    assert filled == ("Summary.\n\n    Parameters\n    ----------\n    x : int\n        The x.\n"
                      "    y : int\n    z : int\n")


def test_only_whole_placeholder_lines_are_replaced():
    doc = "A 50% rate, a set {0, 1} and %(xy)s inside a sentence."
    assert fill_docstring(doc, {"xy": "x"}) == doc


def test_missing_fragment_is_an_error_and_no_docstring_stays_empty():
    with pytest.raises(KeyError, match="nope"):
        fill_docstring("    %(nope)s", {})
    assert not fill_docstring(None, {"xy": "x"})


def test_decorator_sets_the_docstring():
    @fill_doc(body="x : int")
    def f(x):
        """Summary.

        %(body)s
        """

    assert "        x : int" in f.__doc__
    assert "%(" not in f.__doc__


@pytest.mark.parametrize("name", ["wilson_interval", "clopper_pearson_interval"])
def test_interval_docstrings_are_filled(name):
    import fairlearn_online.metrics as metrics

    doc = getattr(metrics, name).__doc__
    assert "%(" not in doc and "successes, trials : array-like" in doc


def test_frame_and_dcov_docstrings_are_filled():
    from fairlearn_online.dcov import distance_correlation_grad, fairness_penalty_grad
    from fairlearn_online.metrics import StreamingMetricFrame

    for func in (StreamingMetricFrame.interval, StreamingMetricFrame.difference_interval,
                 StreamingMetricFrame.ratio_interval, distance_correlation_grad,
                 fairness_penalty_grad):
        assert "%(" not in func.__doc__
    assert "tuned_n : float" in StreamingMetricFrame.ratio_interval.__doc__
    assert "grad : ndarray" in fairness_penalty_grad.__doc__
