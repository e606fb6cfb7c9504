"""Every refusal is a TranspileError naming the function, file, line, and showing the line."""

import inspect
import math
import re

import pytest

import transpile as tp
from transpile import errors

from . import bad_functions


def offending_line(func):
    lines, first = inspect.getsourcelines(func)
    for offset, line in enumerate(lines):
        if "# OFFENDING" in line:
            return first + offset, line.split("#")[0].strip()
    raise AssertionError("no OFFENDING marker")


@pytest.mark.parametrize("func", bad_functions.BAD, ids=lambda f: f.__name__)
def test_refusal_points_at_the_offending_line(func):
    with pytest.raises(tp.TranspileError) as info:
        gradient = tp.grad(func)
        if hasattr(func, "args"):
            gradient(*func.args)
    message = str(info.value)
    lineno, text = offending_line(func)
    assert f"cannot differentiate '{func.__name__}' (bad_functions.py, line {lineno}):" in message
    assert text in message
    assert re.search(r"\n    +\^+\n", message), message  # a caret line under the source line
    assert message.strip().splitlines()[-1].rstrip(".")  # and an explanation after it


CLASSES = {
    "uses_try": errors.UnsupportedSyntaxError,
    "uses_unknown_name": errors.UnknownNameError,
    "calls_extension_function": errors.NoRuleError,
    "recursive": errors.UnsupportedSyntaxError,
    "calls_function_without_rule": errors.NoRuleError,
    "returns_tuple": errors.NonScalarOutputError,
}


@pytest.mark.parametrize("name, cls", sorted(CLASSES.items()))
def test_error_classes(name, cls):
    with pytest.raises(cls):
        tp.grad(getattr(bad_functions, name))


def test_non_scalar_output_points_to_jacobian_and_vjp():
    with pytest.raises(errors.NonScalarOutputError, match="jacobian.*vjp"):
        tp.grad(bad_functions.returns_tuple)


def test_builtin_function_has_no_source():
    with pytest.raises(errors.SourceUnavailableError, match="builtin"):
        tp.grad(math.sin)


def test_function_without_retrievable_source():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    with pytest.raises(errors.SourceUnavailableError, match="source is not available"):
        tp.grad(namespace["f"])


def test_lambda_is_refused_clearly():
    with pytest.raises(errors.UnsupportedSyntaxError, match="lambda"):
        tp.grad(lambda x: x * x)


@pytest.mark.parametrize("wrt, pattern", [
    ("z", "no such parameter"), (5, "has 2 parameters"), ((), "at least one"), (("x", "x"), "twice"),
    (1.5, "position or name"),
])
def test_bad_wrt(wrt, pattern):
    def f(x, y):
        return x * y

    with pytest.raises(errors.WrtError, match=pattern):
        tp.grad(f, wrt=wrt)


def test_no_rule_is_only_an_error_when_differentiated_through():
    def f(x, y):
        return x * math.gamma(y)

    assert tp.grad(f, wrt="x")(2.0, 3.0) == pytest.approx(2.0)
    with pytest.raises(errors.NoRuleError, match="math.gamma"):
        tp.grad(f, wrt="y")


def test_every_error_is_a_transpile_error():
    for cls in (errors.UnsupportedSyntaxError, errors.UnknownNameError, errors.NoRuleError,
                errors.SourceUnavailableError, errors.NonScalarOutputError, errors.WrtError):
        assert issubclass(cls, tp.TranspileError)


def test_mutual_recursion_names_the_cycle():
    with pytest.raises(errors.UnsupportedSyntaxError, match=r"ping -> pong -> ping") as info:
        tp.grad(bad_functions.ping)
    assert "bad_functions.py, line" in str(info.value)


def test_a_helper_called_for_its_effect_on_a_list_says_so(tmp_path):
    import transpile as tp

    from .helpers import import_source

    module = import_source("def add(ys, v):\n    ys.append(v)\n\ndef f(x):\n    ys = []\n    add(ys, x * 2.0)\n"
                           "    return sum(ys)\n", tmp_path, "effects")
    with pytest.raises(tp.errors.UnsupportedSyntaxError, match="helper 'add' is called as a statement.*append"):
        tp.grad(module.f)
