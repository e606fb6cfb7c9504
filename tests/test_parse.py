"""parse: source retrieval, decorator stripping, name resolution."""

import ast
import math

import numpy as np
import pytest

import transpile as tp
from transpile.parse import parse

from . import functions


def resolved_source(func):
    return ast.unparse(parse(func).tree)


def test_math_spellings_resolve_to_one_canonical_name():
    text = resolved_source(functions.aliases)
    assert "math.sin(x)" in text and "math.cos(y)" in text and "math.exp(x * y)" in text
    assert " s(" not in text and "m.cos" not in text


def test_module_and_math_constants_are_inlined():
    text = resolved_source(functions.module_constants)
    assert "2.5 * x ** 3" in text
    assert "-0.75 * 3.141592653589793" in text


def test_closure_constants_are_inlined():
    assert "1.5 * math.sin(x)" in resolved_source(functions.closure)


def test_decorators_are_stripped_and_lines_are_the_files():
    import inspect

    from . import other_module

    parsed = parse(other_module.cube_plus)  # defined under `@registered`
    assert parsed.tree.decorator_list == []
    lines, first = inspect.getsourcelines(other_module.cube_plus)
    assert lines[0].startswith("@registered")
    assert parsed.file_line(parsed.tree.lineno) == first + 1  # the def line, below the decorator
    assert parsed.line_text(parsed.tree.lineno) == "def cube_plus(x, y):"

    @tp.grad
    def decorated(x):
        return x * x

    assert decorated(3.0) == pytest.approx(6.0)


def test_nested_definition_is_dedented():
    def inner(x, y):
        return x * y

    parsed = parse(inner)
    assert parsed.params == ["x", "y"]
    assert parsed.tree.col_offset == 0


def test_parameters_include_keyword_only():
    assert parse(functions.defaults).params == ["x", "y", "scale"]


def test_decorated_wrapper_is_refused(tmp_path):
    import functools

    def doubled(g):
        @functools.wraps(g)
        def wrapper(x):
            return 2.0 * g(x)
        return wrapper

    @doubled
    def wrapped(x):
        return x * x

    with pytest.raises(tp.TranspileError, match="wrapper made by a decorator"):
        tp.grad(wrapped)


def test_numeric_constants_of_other_types_become_plain_numbers_numpy_ones_keep_their_type(tmp_path):
    from .helpers import import_source

    module = import_source(
        "import enum, fractions, numpy as np\n"
        "SCALE = np.float64(2.0)\nHALF = fractions.Fraction(1, 2)\n"
        "class K(enum.IntEnum):\n    THREE = 3\n"
        "def f(x):\n    return SCALE * HALF * K.THREE * x * x\n", tmp_path, "consts")
    assert tp.grad(module.f)(1.0) == pytest.approx(6.0)
    value = tp.value_and_grad(module.f)(1.0)[0]
    assert isinstance(value, float) and value == module.f(1.0)  # (a Fraction is read as a float)
    code = [line for line in tp.source(module.f).splitlines() if not line.strip().startswith("#")]
    assert not [line for line in code if "Fraction" in line or "K." in line or "HALF" in line]


def test_nested_function_with_a_column_zero_docstring_line():
    def inner(x):
        """First line.
Second line at column 0."""
        return x * x

    assert tp.grad(inner)(3.0) == 6.0


def test_parameter_named_like_a_module_is_supported(tmp_path):
    from .helpers import import_source

    module = import_source("import math as m\ndef f(math, x):\n    return math ** x * m.sin(x)\n", tmp_path, "shadow")
    assert tp.grad(module.f, wrt=(0, 1))(2.0, 3.0) == pytest.approx(
        (3.0 * 4.0 * math.sin(3.0), 8.0 * math.log(2.0) * math.sin(3.0) + 8.0 * math.cos(3.0)))


@pytest.mark.parametrize("body", ["return max((x, y))", "return ((x, y), x)", "return [x, y]"])
def test_non_scalar_or_unruled_uses_of_tuples_are_refused(tmp_path, body):
    from .helpers import import_source

    module = import_source(f"def f(x, y):\n    {body}\n", tmp_path, "tuples")
    with pytest.raises(tp.TranspileError):
        tp.grad(module.f)


def test_very_long_expressions_transpile(tmp_path):
    from .helpers import import_source

    terms = " + ".join(f"{i}.0 * x * x" for i in range(1, 700))
    module = import_source(f"def f(x):\n    return {terms}\n", tmp_path, "long")
    assert tp.grad(module.f)(1.0) == pytest.approx(sum(2.0 * i for i in range(1, 700)))


def test_a_file_edited_after_import_is_refused(tmp_path):
    from .helpers import import_source

    module = import_source("def f(x, y):\n    return x * y\n", tmp_path, "edited")
    path = module.__file__
    with open(path, "w") as handle:
        handle.write("def f(x, y):\n    return x * y * y\n")
    import linecache

    linecache.checkcache(path)
    with pytest.raises(tp.TranspileError, match="reload the module"):
        tp.grad(module.f, wrt=1)


SCOPES = '''
K = 3.0

def helper_parameter(x):
    def scale(K):
        return K * 2.0
    return x * K + scale(x)

def helper_variable(x):
    def scale(y):
        K = 2.0
        return y * K
    return x * K + scale(x)

def comprehension_variable(x):
    s = sum([x * K for K in range(3)])
    return s * K
'''


@pytest.mark.parametrize("name", ["helper_parameter", "helper_variable", "comprehension_variable"])
def test_a_module_constant_named_like_a_helpers_own_variable_keeps_its_value(tmp_path, name):
    import transpile as tp

    from .helpers import central_difference, import_source

    f = getattr(import_source(SCOPES, tmp_path, "scopes"), name)
    assert tp.grad(f)(1.5) == pytest.approx(central_difference(f, [1.5], 0), rel=1e-6)
    assert tp.grad(f, mode="forward")(1.5) == pytest.approx(central_difference(f, [1.5], 0), rel=1e-6)
