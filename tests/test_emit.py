"""emit: readability passes keep semantics; comments and names come out as promised."""

import ast

import pytest

import transpile as tp
from transpile import emit, ir
from transpile.naming import Namer

from . import functions


def body(text):
    return ast.parse(text).body


def show(stmts):
    return [ast.unparse(s) for s in stmts]


def test_single_use_temporaries_are_inlined_but_user_names_kept():
    namer = Namer()
    namer.temporaries |= {"t1", "t2"}
    stmts = body("t1 = x * y\nt2 = math.sin(x)\nuser = t1 + t2\nz = t2 * user\nreturn z")
    assert show(emit.inline_single_use(stmts, namer.temporaries)) == \
        ["t2 = math.sin(x)", "user = x * y + t2", "z = t2 * user", "return z"]


def test_dead_versions_reuse_the_base_name_and_show_as_augmented():
    namer = Namer()
    for name in ("dx", "dx_1", "dx_2"):
        namer.fresh("dx")
    stmts = body("dx = a * b\ndx_1 = dx + c\ndx_2 = dx_1 + e\nreturn dx_2")
    assert show(emit.augmented(emit.coalesce_versions(stmts, namer, ["a", "b", "c", "e"]))) == \
        ["dx = a * b", "dx += c", "dx += e", "return dx"]


def test_live_versions_keep_their_own_name():
    namer = Namer()
    namer.fresh("x")
    namer.fresh("x")  # x_1
    stmts = body("x_1 = x * 2.0\ny = x_1 + x\nreturn y")
    assert show(emit.coalesce_versions(stmts, namer, ["x"])) == ["x_1 = x * 2.0", "y = x_1 + x", "return y"]


def test_comment_markers_become_comments():
    text = emit.function_source("g", ast.parse("def f(x): pass").body[0].args, "Doc.",
                                [ir.comment("grad of: y = 'quoted'"), ast.parse("return x").body[0]])
    assert "    # grad of: y = 'quoted'\n" in text


def test_empty_comment_blocks_are_dropped():
    stmts = [ir.comment("a"), ir.comment("b"), *body("y = x"), ir.comment("c"), *body("return y")]
    assert show(emit.drop_empty_comments(stmts)) == ["'# b'", "y = x", "return y"]


@pytest.mark.parametrize("func", functions.CORPUS, ids=lambda f: f.__name__)
def test_gradient_names_follow_the_parameters(func):
    import inspect

    params = [p for p in inspect.signature(func).parameters if p != "scale"]
    tree = ast.parse(tp.source(func, wrt=tuple(params)))
    returned = tree.body[-1].body[-1].value
    names = [e.id for e in returned.elts if isinstance(e, ast.Name)]
    import re

    # `dx`, or a version of it (`dx_2`) where branches assign it in several places
    assert all(n in params or any(re.fullmatch(rf"d{p}(_\d+)?", n) for p in params) for n in names), (names, params)


# Names generated code reads as globals (modules, runtime helpers, builtins, `locals` in the
# argument guard), used by the user as a variable or parameter: the generated code must still
# reach the global (emit.unshadow aliases it), in every mode and at second order.
SHADOWING_SCALAR = '''
import math as m

def local_math(x, y):
    math = x ** y          # the derivative reads math.log
    return math * m.sin(x)

def param_math(math, y):
    return math ** y + m.cos(y)

def param_locals(locals, y):
    return locals ** y       # the argument guard calls locals()

def local_float(x, y):
    float = x * y
    return float * x + abs(y)

def param_np(np, y):
    return np * y ** 3.0

def local_zeros_like(x, y):
    zeros_like = x * y
    with_item = zeros_like ** y
    return with_item + zeros_like

def param_max(x, max):
    return m.exp(x) * max + min(x, 0.5)
'''

SHADOWING_ARRAYS = '''
import numpy

def helper(v):
    return numpy.sin(v)

def local_np(x, b):
    np = numpy.tanh(x)
    return numpy.sum(helper(np) * b)

def local_math(x, b):
    math = x * b
    return numpy.sum(math ** 2.0)

def local_with_item(x, b):
    with_item = x * 2.0
    y = x * b
    y[0] = with_item[1]
    return numpy.sum(y * with_item)

def local_unbroadcast(x, b):
    unbroadcast = x * 2.0
    return numpy.sum(unbroadcast * b)

def param_locals(locals, b):
    return numpy.sum(numpy.exp(locals) * b)

def param_np(np, b):
    return numpy.sum(np * np * b)
'''


def _shadowing_names(text):
    return [line[4:line.index("(")] for line in text.splitlines() if line.startswith("def ") and "helper" not in line]


@pytest.mark.parametrize("name", _shadowing_names(SHADOWING_SCALAR))
def test_user_names_do_not_hide_what_scalar_generated_code_reads(tmp_path, name):
    from .helpers import assert_close, central_difference, import_source

    f = getattr(import_source(SHADOWING_SCALAR, tmp_path, "shadowing"), name)
    point = (0.7, 1.3)
    expected = tuple(central_difference(f, point, i) for i in (0, 1))
    assert_close(tp.grad(f, wrt=(0, 1))(*point), expected)
    assert_close(tp.grad(f, wrt=(0, 1), mode="forward")(*point), expected)
    assert_close(tp.value_and_grad(f, wrt=(0, 1))(*point)[1], expected)
    assert_close(tp.vjp(f, *point)[1](1.0), expected)
    assert_close(tp.jvp(f, point, (1.0, 0.0))[1], expected[0])
    for wrt in (0, 1):
        second = tp.grad(tp.grad(f, wrt=wrt), wrt=wrt)  # reverse over reverse
        assert_close(second(*point), central_difference(tp.grad(f, wrt=wrt), point, wrt), rel=1e-4)
    assert_close(tp.hessian(f, wrt=0)(*point), central_difference(tp.grad(f, wrt=0), point, 0), rel=1e-4)
    if name == "param_locals":  # the argument guard reroutes a NumPy float through locals()
        import numpy as np

        assert_close(float(tp.grad(f)(np.float64(0.7), 1.3)), expected[0])


def test_a_variable_named_like_a_runtime_helper_does_not_hide_it(tmp_path):
    from .helpers import import_source

    module = import_source("def f(xs):\n    zeros_like = xs[0] * 2.0\n    return zeros_like * xs[1]\n",
                           tmp_path, "shadowing")
    assert tp.grad(module.f)([1.5, 0.5]) == [1.0, 3.0]
    assert tp.value_and_grad(module.f)((1.5, 0.5)) == (1.5, (1.0, 3.0))


@pytest.mark.parametrize("name", _shadowing_names(SHADOWING_ARRAYS))
def test_user_names_do_not_hide_what_array_generated_code_reads(tmp_path, name):
    import numpy as np

    from .helpers import array_difference, import_source

    f = getattr(import_source(SHADOWING_ARRAYS, tmp_path, "shadowing"), name)
    point = (np.array([0.3, -0.8, 1.1]), np.array([0.5, 1.5, -0.25]))
    expected = [array_difference(f, point, i) for i in (0, 1)]
    for actual, wanted in zip(tp.grad(f, wrt=(0, 1))(*point), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-8)
    for actual, wanted in zip(tp.vjp(f, *point)[1](1.0), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-8)
    direction = (np.array([1.0, 0.5, -1.0]), np.zeros(3))
    np.testing.assert_allclose(tp.jvp(f, point, direction)[1], expected[0] @ direction[0], rtol=1e-5)
    # second order: a Hessian-vector product, forward over the reverse gradient
    hvp = tp.jvp(tp.grad(f), point, direction)[1]
    moved = [tp.grad(f)(point[0] + s * 1e-6 * direction[0], point[1]) for s in (1, -1)]
    np.testing.assert_allclose(hvp, (moved[0] - moved[1]) / 2e-6, rtol=1e-4, atol=1e-6)


def _elif_chain(branches):
    lines = ["def f(x, k):", "    if k == 0:", "        y = x * 1.0"]
    for i in range(1, branches):
        lines += [f"    elif k == {i}:", f"        y = x * {i + 1}.0 + {i}.0"]
    return "\n".join(lines + ["    else:", "        y = x", "    return y * x", ""])


def test_a_long_elif_chain_is_unfolded_and_differentiated(tmp_path):
    from .helpers import import_source

    f = import_source(_elif_chain(100), tmp_path, "chain").f  # (100 levels: Python's indentation limit)
    reverse, forward = tp.grad(f), tp.grad(f, mode="forward")
    for k in (0, 1, 57, 99, 200):  # 200 takes the else
        c = k + 1.0 if k < 100 else 1.0
        assert reverse(1.5, k) == pytest.approx(2 * c * 1.5 + (k if 0 < k < 100 else 0.0))
        assert forward(1.5, k) == pytest.approx(reverse(1.5, k))
    shorter = import_source(_elif_chain(emit.MAX_DEPTH + 5), tmp_path, "chain").f  # unfolded too
    second, hessian = tp.grad(tp.grad(shorter)), tp.hessian(shorter)  # the unfolded code, differentiated again
    for k in (0, 7, emit.MAX_DEPTH + 4, 200):
        c = k + 1.0 if k < emit.MAX_DEPTH + 5 else 1.0
        assert second(1.5, k) == pytest.approx(2 * c) and hessian(1.5, k) == pytest.approx(2 * c)
    assert max(len(line) - len(line.lstrip()) for line in tp.source(f).splitlines()) <= 4 * emit.MAX_DEPTH


def test_an_int_constant_of_over_4300_digits_is_emitted_and_compiled(tmp_path):
    from .helpers import import_source

    module = import_source("K = 10 ** 5000 + 3\n\ndef f(x, n):\n    m = n * K\n    return x * (m % 7) + x * x\n",
                           tmp_path, "huge")
    expected = 2 * 1.5 + (2 * (10 ** 5000 + 3)) % 7
    assert tp.grad(module.f)(1.5, 2) == expected
    assert tp.grad(module.f, mode="forward")(1.5, 2) == expected
    assert tp.value_and_grad(module.f)(1.5, 2) == (module.f(1.5, 2), expected)
    assert tp.grad(tp.grad(module.f))(1.5, 2) == 2.0
    assert hex(10 ** 5000 + 3) in tp.source(module.f)  # Python compiles no decimal literal that long
