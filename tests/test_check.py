"""check_grad and compare."""

import json

import numpy as np
import pytest

import transpile as tp

from . import array_functions, functions, structures


@pytest.mark.parametrize("func, args, wrt", [
    (functions.quickstart, (0.3, 2.0), (0, 1)),
    (functions.simulate, (0.5, 0.3, 1.2, 20), (0, 1, 2)),
    (structures.loss, ({"w": 0.5, "b": 0.1}, [(1.0, 2.0), (2.0, 3.5)]), 0),
    (array_functions.mlp_loss, (np.full((5, 4), 0.1), np.zeros(4), np.full((4, 3), 0.2),
                                np.linspace(0, 1, 40).reshape(8, 5), np.ones((8, 3))), (0, 1, 2)),
], ids=["scalar", "loop", "structure", "arrays"])
def test_check_grad_passes_for_correct_gradients(func, args, wrt):
    report = tp.check_grad(func, *args, wrt=wrt)
    assert report.worst_error < 1e-5 and "worst relative error" in str(report)


def test_check_grad_catches_a_wrong_gradient():
    from . import wrong_rule

    with pytest.raises(AssertionError, match="central differences"):
        tp.check_grad(wrong_rule.uses_wrong_rule, 0.4, 2.0, wrt=(0, 1))


@pytest.mark.parametrize("func", [functions.quickstart, functions.aliases, functions.rebinding,
                                  functions.shared_subexpressions], ids=lambda f: f.__name__)
def test_compare_agrees_with_sympy(func):
    n = func.__code__.co_argcount
    args = [0.3 + 0.4 * i for i in range(n)]
    report = tp.compare(func, *args, wrt=tuple(range(n)), timing=func is functions.quickstart)
    assert report.max_relative_difference < 1e-9
    assert report.values["transpile (AD)"] == pytest.approx(report.values["numerical (h^2)"], rel=1e-5, abs=1e-7)
    assert report.operations["transpile (AD)"] <= report.operations["transpile, no CSE"]
    assert json.loads(report.to_json())["function"] == func.__name__
    assert "agreement" in str(report)


def test_compare_refuses_loops_clearly():
    with pytest.raises(tp.TranspileError):
        tp.compare(functions.simulate, 0.5, 0.3, 1.2, 10, wrt=0)


def test_compare_agrees_with_sympy_across_the_scalar_corpus():
    """Every corpus function SymPy can express (straight-line code) agrees; the others are refused."""
    from transpile.symbolic import SymbolicError

    compared = 0
    for func in functions.CORPUS:
        n = func.__code__.co_argcount
        args = [0.3 + 0.4 * i for i in range(n)]
        try:
            report = tp.compare(func, *args, wrt=tuple(range(n)), timing=False)
        except (tp.TranspileError, SymbolicError):
            continue
        assert report.max_relative_difference < 1e-9, func.__name__
        compared += 1
    assert compared >= 10


@pytest.mark.parametrize("point", [(0.3, 0.7), (0.9, 0.2), (0.7, 0.9), (0.7, 2.5)], ids=str)
def test_compare_turns_branches_into_piecewise(point):
    """Every path of `branches` (if, elif with `and`, else with an early return) agrees with SymPy."""
    report = tp.compare(functions.branches, *point, wrt=(0, 1), timing=False)
    assert report.max_relative_difference < 1e-12
    assert report.values["sympy diff"] == pytest.approx(report.values["numerical (h^2)"], rel=1e-6, abs=1e-8)
