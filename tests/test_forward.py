"""Forward mode: agrees with reverse mode everywhere, and with central differences."""

import ast
import inspect

import pytest

import transpile as tp
from transpile.forward import forward
from transpile.normalize import normalize
from transpile.parse import parse

from . import functions
from .helpers import assert_close, assert_normalized, numeric_gradient, random_point


def arity(f):
    return len([p for p in inspect.signature(f).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD])


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "raw"])
@pytest.mark.parametrize("f", functions.CORPUS, ids=lambda f: f.__name__)
def test_forward_and_reverse_agree(f, optimize):
    n = arity(f)
    wrt = tuple(range(n))
    for seed in range(2):
        args = random_point(n, seed=seed)
        forward_gradient = tp.grad(f, wrt=wrt, mode="forward", optimize=optimize)(*args)
        assert_close(forward_gradient, tp.grad(f, wrt=wrt)(*args), rel=1e-9, abs_=1e-12)
        assert_close(forward_gradient, numeric_gradient(f, args, range(n)))


@pytest.mark.parametrize("f", functions.CORPUS, ids=lambda f: f.__name__)
def test_jvp_is_the_directional_derivative(f):
    n = arity(f)
    args, direction = random_point(n, seed=1), random_point(n, low=-1.0, high=1.0, seed=2)
    value, derivative = tp.jvp(f, args, direction)
    assert value == pytest.approx(f(*args), rel=1e-12)
    expected = sum(d * g for d, g in zip(direction, numeric_gradient(f, args, range(n))))
    assert derivative == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_forward_body_is_normalized_with_one_tangent_per_direction():
    parsed = parse(functions.quickstart)
    body, namer = normalize(parsed)
    one = ast.Constant(value=1.0)
    stmts, tangents = forward(parsed, body, namer, {"x": {"x": one}, "y": {"y": one}})
    assert_normalized(stmts)
    assert set(tangents) == {"x", "y"} and all(len(t) == 1 for t in tangents.values())
    assert any(ast.unparse(s).startswith("dt_dx = ") for s in stmts)


def test_forward_source_is_commented_and_named_after_the_inputs():
    text = tp.source(functions.quickstart, wrt=("x", "y"), mode="forward")
    assert "# tangent of: t = math.sin(x) * y" in text
    assert "return (dx, dy)" in text
    assert "forward mode" in text


def test_jvp_of_a_vector_output_mirrors_its_structure():
    value, tangent = tp.jvp(functions.vector_output, (0.7, 0.4), (1.0, 0.0))
    assert isinstance(tangent, tuple) and len(tangent) == 3
    h = 1e-6
    up, down = functions.vector_output(0.7 + h, 0.4), functions.vector_output(0.7 - h, 0.4)
    assert_close(tangent, tuple((u - d) / (2 * h) for u, d in zip(up, down)))
