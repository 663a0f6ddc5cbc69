"""One number format per column in the Markdown tables of the experiments and the docs."""

import math

import numpy as np
import pytest

from fairlearn_online.experiments import format_column, markdown_table


def _decimals(text):
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def test_small_values_share_scientific_notation():
    out = format_column([1.682e-05, 0.0001032, 0.0])
    assert out == ["1.682e-05", "1.032e-04", "0.000e+00"]


def test_a_column_has_one_number_of_decimals_and_keeps_four_significant_digits():
    rng = np.random.default_rng(0)
    for _ in range(50):
        values = rng.uniform(0.001, 50, size=8) * rng.choice([1, -1], size=8)
        out = format_column(values)
        assert len({_decimals(t) for t in out}) == 1
        smallest = min(values, key=abs)
        text = out[list(values).index(smallest)]
        assert math.isclose(float(text), smallest, rel_tol=5e-4)
        for v, t in zip(values, out):
            assert math.isclose(float(t), v, rel_tol=5e-4, abs_tol=1e-12)


def test_integers_text_and_missing_values():
    assert format_column([1.0, 10.0, 250.0]) == ["1", "10", "250"]
    assert format_column(["2", "", "16"], missing="-") == ["2", "-", "16"]
    assert format_column(["dcov", "", "jdcov"]) == ["dcov", "", "jdcov"]
    assert format_column([np.nan, None], missing="not reached") == ["not reached"] * 2
    assert format_column([1.5, np.inf]) == ["1.500", "inf"]
    assert format_column([2.5e6, 1.5]) == ["2.500e+06", "1.500e+00"]


@pytest.mark.parametrize("rows", [[["a", 0.5, 3], ["b|c", 0.25]]])
def test_markdown_table(rows):
    table = markdown_table(["name", "value", "n"], rows, missing="-")
    assert table.splitlines() == ["| name | value | n |", "|---|---|---|",
                                  "| a | 0.5000 | 3 |", "| b\\|c | 0.2500 | - |"]


def test_a_column_format_can_be_given():
    assert format_column([1.0, 12.345], fmt="{:.2f}") == ["1.00", "12.35"]
    table = markdown_table(["x", "paper"], [[0.5, 12.0], [0.25, None]], missing="-",
                           formats={"paper": "{:.2f}"})
    assert table.splitlines()[2:] == ["| 0.5000 | 12.00 |", "| 0.2500 | - |"]
