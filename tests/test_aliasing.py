"""Writes through NumPy views and aliases (`aliasing`): each program either gives f's value and
a gradient that matches differences, or is refused with a TranspileError; never a wrong number."""

import itertools

import numpy as np
import pytest

import transpile as tp

from .helpers import array_difference, import_source

# Expressions that may give `a` itself or a view of it (or that are refused as unsupported).
VIEWS = ["a", "a.T", "np.transpose(a)", "a.transpose()", "np.transpose(a, (1, 0))", "np.swapaxes(a, 0, 1)",
         "a.reshape(4)", "np.reshape(a, (2, 2))", "a.reshape(2, 2)", "np.squeeze(a)", "a.squeeze()",
         "np.expand_dims(a, 0)", "np.atleast_1d(a)", "np.atleast_2d(a)", "np.atleast_3d(a)", "np.asarray(a)",
         "a[1:]", "a[:, 0]", "a[0]", "a[::-1]", "a[None]", "a[:]", "(a)[1:][0]", "np.broadcast_to(a, (2, 2))",
         "a.ravel()", "np.ravel(a)", "a.view()", "a[...]", "np.diagonal(a)", "a.real", "[a][0]", "{'k': a}['k']",
         "(a, 1.0)[0]", "a if c > 0 else a * 2.0", "max(a, a)"]
WRITES = ["v[0] = x[0, 1] * 3.0", "v[1:] = 2.0", "v += x[0, 0]", "v *= 2.0", "v[0] += x[1, 1]"]
# How `v` is bound to the view: directly, on a branch, in a loop (the write in the second pass
# goes into the view bound by the first), by an inlined helper.
BINDINGS = {
    "direct": "    v = {view}\n    {write}\n",
    "branch": "    v = a * 2.0\n    if c > 0:\n        v = {view}\n    {write}\n",
    "loop": "    v = a * 2.0\n    for i in range(2):\n        {write}\n        v = {view}\n",
    "helper": "    def bind(a):\n        return {view}\n    v = bind(a)\n    {write}\n",
}
# What is read after the write: `a` too (its values changed in NumPy), or only `v`.
READS = {"base": "    return np.sum(a * x) + np.sum(v * v)\n", "view": "    return np.sum(v * v) + np.sum(x)\n"}
# Where `a` comes from: a new array (the function's own), or the argument itself.
ORIGINS = {"own": "    a = x * 1.0\n", "argument": "    a = x\n"}


# The views every binding is tried with (each binding: all of VIEWS directly).
SOME_VIEWS = ["a", "a.T", "np.swapaxes(a, 0, 1)", "a.reshape(4)", "np.squeeze(a)", "np.expand_dims(a, 0)",
              "np.atleast_1d(a)", "np.asarray(a)", "a[1:]", "a[0]", "[a][0]", "np.broadcast_to(a, (2, 2))"]


def _programs():
    programs = {}
    for (i, view), (j, write), binding, read, origin in itertools.product(
            enumerate(VIEWS), enumerate(WRITES), BINDINGS, READS, ORIGINS):
        if binding == "direct":
            tried = (origin == "own" and j in (0, 2)) or (read == "view" and j == 0)
        else:
            tried = view in SOME_VIEWS and (j in (0, 2) if origin == "own" else read == "view" and j == 0)
        if not tried:
            continue
        name = f"f_{i}_{j}_{binding}_{read}_{origin}"
        body = ORIGINS[origin] + BINDINGS[binding].format(view=view, write=write) + READS[read]
        programs[name] = (f"def {name}(x, c):\n{body}", view, write, binding, read, origin)
    return programs


PROGRAMS = _programs()


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    source = "import numpy as np\n\n\n" + "\n\n".join(p[0] for p in PROGRAMS.values())
    return import_source(source, tmp_path_factory.mktemp("aliasing"))


def _run_or_error(func, *args):
    try:
        return func(*args), None
    except Exception as error:  # noqa: BLE001 (NumPy refuses some writes: read-only views)
        return None, error


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_writes_through_views_are_right_or_refused(module, name):
    _, view, write, binding, read, origin = PROGRAMS[name]
    f = getattr(module, name)
    x = np.array([[0.7, 1.3], [0.4, 1.1]])
    expected, failed = _run_or_error(f, x.copy(), 1.0)
    given = x.copy()
    try:
        value, gradient = tp.value_and_grad(f)(given, 1.0)
    except tp.TranspileError as error:
        assert "cannot differentiate" in str(error)
        return
    except Exception as error:  # noqa: BLE001
        assert type(error) is type(failed), f"the gradient raises {error!r}, f gives {expected!r}"
        return
    assert origin == "own", "a write into (a view of) the argument was not refused"
    assert failed is None, f"f raises {failed!r}, its gradient does not"
    assert value == expected
    np.testing.assert_array_equal(given, x)  # the caller's array is untouched
    np.testing.assert_allclose(gradient, array_difference(lambda y: f(y.copy(), 1.0), [x], 0), rtol=1e-5,
                               atol=1e-6)


def test_every_write_through_a_view_of_a_read_array_is_refused(module):
    """Where `a` is read after a write into something that may be a view of it, no program is
    differentiated; the refusals say what to do."""
    for name, (_, view, write, binding, read, origin) in PROGRAMS.items():
        if read != "base":
            continue
        with pytest.raises(tp.TranspileError, match=r"copy|not supported|no derivative rule|not a number"):
            tp.value_and_grad(getattr(module, name))(np.array([[0.7, 1.3], [0.4, 1.1]]), 1.0)


def test_writes_into_a_view_whose_array_is_not_read_again_are_differentiated(module):
    """Not refused (the analysis is not a blanket refusal): `a` is the function's own and only
    `v` is read after the write."""
    for view in ("a", "a.T", "np.squeeze(a)", "a.reshape(4)", "a[1:]", "np.asarray(a)"):
        name = f"f_{VIEWS.index(view)}_0_direct_view_own"
        tp.value_and_grad(getattr(module, name))(np.array([[0.7, 1.3], [0.4, 1.1]]), 1.0)


# Writes into arguments: NumPy changes the caller's array in f (and another argument, if it is
# the same array); the generated code writes into a copy.  Refused, whatever the call.
def writes_into_the_first(a, b):
    a[0] = 3.0 * b[1]
    return np.sum(b * b)


def updates_the_first(a, b):
    a += 1.0
    return np.sum(a * b)


def writes_into_a_view_of_an_argument_in_a_helper(a, b):
    def first_row(m):
        return m[0]

    row = first_row(a)
    row *= 2.0
    return np.sum(a * b)


def writes_into_a_stored_argument(a, b):
    pair = [a, b]
    second = pair[1]
    second[0] = 0.0
    return np.sum(a * b)


@pytest.mark.parametrize("f", [writes_into_the_first, updates_the_first,
                               writes_into_a_view_of_an_argument_in_a_helper, writes_into_a_stored_argument],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("call", ["distinct", "same", "overlapping"])
def test_writes_into_arguments_are_refused(f, call):
    v = np.array([[0.5, 1.5], [2.0, 0.25]])
    args = {"distinct": (v.copy(), v.copy()), "same": (v, v), "overlapping": (v, v[::-1])}[call]
    with pytest.raises(tp.TranspileError, match=r"argument .*\.copy\(\) first"):
        tp.value_and_grad(f, wrt=(0, 1))(*args)
    np.testing.assert_array_equal(v, [[0.5, 1.5], [2.0, 0.25]])


def writes_into_a_private_copy(a, b):
    a = a.copy()
    a[0] = 3.0 * b[1]
    a += b
    return np.sum(a * b)


@pytest.mark.parametrize("call", ["distinct", "same"])
def test_a_private_copy_may_be_written_into(call):
    v = np.array([[0.5, 1.5], [2.0, 0.25]])
    args = (v.copy(), v.copy()) if call == "distinct" else (v, v)
    value, (da, db) = tp.value_and_grad(writes_into_a_private_copy, wrt=(0, 1))(*args)
    assert value == writes_into_a_private_copy(*args)
    np.testing.assert_array_equal(v, [[0.5, 1.5], [2.0, 0.25]])
    a, b = (np.array(x) for x in args)
    for position, gradient in ((0, da), (1, db)):
        expected = array_difference(writes_into_a_private_copy, [a.copy(), b.copy()], position)
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


# Legitimate writes: into arrays the function made, with nothing that shares them read after.
def rnn_rows_read_before_the_write(x, w):
    h = np.zeros((4, 2))
    for t in range(3):
        row = h[t]  # a view of h, read before the write below and bound again next pass
        h[t + 1] = np.tanh(row * w + x[t])
    return np.sum(h ** 2)


def writes_inside_a_helper(x):
    def scaled(v):
        out = np.zeros_like(v)
        out[1:] = v[1:] * 2.0
        out[0] += v[0]
        return out

    return np.sum(scaled(x) * x)


def writes_into_a_view_of_its_own_array(x):
    a = x * 1.0
    first = a[0, 1]  # a number: shares nothing
    v = a.T
    v[0, 1] = x[1, 0] * 3.0
    v += 1.0
    return np.sum(v * v) * first


def stores_then_writes_without_reading_the_list(x):
    y = x * 2.0
    ys = [y]
    y[0] = 0.0
    total = np.sum(y * x)
    return total


def rebinds_in_a_loop_to_new_arrays(x):
    v = x * 1.0
    for i in range(3):
        v[0] = v[0] * x[i]
        v = v * 2.0  # a new array each pass: the write never reaches an older one
    return np.sum(v)


@pytest.mark.parametrize("f, shapes", [
    (rnn_rows_read_before_the_write, ((3, 2), (2,))), (writes_inside_a_helper, ((3,),)),
    (writes_into_a_view_of_its_own_array, ((2, 2),)), (stores_then_writes_without_reading_the_list, ((3,),)),
    (rebinds_in_a_loop_to_new_arrays, ((3,),))], ids=lambda v: getattr(v, "__name__", ""))
def test_writes_into_the_functions_own_arrays_are_differentiated(f, shapes):
    rng = np.random.default_rng(1)
    args = [rng.uniform(0.2, 1.2, size=s) for s in shapes]
    given = [a.copy() for a in args]
    value, gradients = tp.value_and_grad(f, wrt=tuple(range(len(args))))(*given)
    assert value == f(*[a.copy() for a in args])
    for position, gradient in enumerate(gradients):
        np.testing.assert_array_equal(given[position], args[position])
        np.testing.assert_allclose(gradient, array_difference(f, args, position), rtol=1e-5, atol=1e-7)
