"""normalize: three-address SSA form that still computes the same value."""

import ast

import pytest

from transpile.normalize import normalize
from transpile.parse import parse

from . import functions
from .helpers import assert_normalized, random_point


def run(stmts, params, args):
    """Execute a normalized body as a function of `params`."""
    import math

    import textwrap

    text = f"def g({', '.join(params)}):\n" + "".join(textwrap.indent(ast.unparse(s), "    ") + "\n" for s in stmts)
    namespace = {"math": math}
    exec(text, namespace)
    return namespace["g"](*args)


@pytest.mark.parametrize("func", [f for f in functions.CORPUS if f is not functions.defaults],
                         ids=lambda f: f.__name__)
def test_normalized_form_is_in_the_grammar_and_computes_the_same(func):
    parsed = parse(func)
    body, _ = normalize(parsed)
    assert_normalized(body)
    args = random_point(len(parsed.params), seed=3)
    assert run(body, parsed.params, args) == pytest.approx(func(*args), rel=1e-12)


def lines(func):
    body, _ = normalize(parse(func))
    return [ast.unparse(s) for s in body]


def test_nested_expression_is_split_into_named_temporaries():
    assert lines(functions.quickstart)[:2] == ["sin_x = math.sin(x)", "t = sin_x * y"]


def test_rebinding_gets_new_versions():
    assert lines(functions.rebinding)[:4] == ["z = x * y", "z_1 = z + x", "z_2 = z_1 * z_1", "x_1 = x * 2.0"]


def test_swap_reads_both_values_before_rebinding():
    text = lines(functions.tuple_assignment)
    assert text[:4] == ["a = x * y", "b = x + y", "a_1 = b", "b_1 = a"]


def test_augmented_assignment_becomes_plain():
    assert lines(functions.augmented)[:3] == ["acc = x", "y_times_y = y * y", "acc_1 = acc + y_times_y"]


def test_statements_keep_their_source_line():
    parsed = parse(functions.quickstart)
    body, _ = normalize(parsed)
    assert [parsed.line_text(s.lineno) for s in body[:2]] == ["t = math.sin(x) * y"] * 2


def test_user_function_calls_are_inlined_with_fresh_names():
    parsed = parse(functions.calls_user_functions)
    body, _ = normalize(parsed)
    assert_normalized(body)
    text = "\n".join(ast.unparse(s) for s in body)
    assert "local_helper" not in text and "scaled_sine" not in text and "__call" not in text
    assert "3.0 * 2.0" in text  # the callee's own module constant (GAIN) times its default (scale)
    sources = {getattr(s, "source", parsed).name for s in body[:-1]}
    assert sources == {"calls_user_functions", "local_helper", "scaled_sine", "cube_plus", "cached_square"}


def test_inlined_statements_are_commented_with_their_function():
    import transpile as tp

    text = tp.source(functions.calls_user_functions, wrt=("x", "y"))
    assert "(in local_helper)" in text and "(in cube_plus)" in text
