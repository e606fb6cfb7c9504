"""parse: source retrieval, decorator stripping, name resolution."""

import ast

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
    @tp.grad
    def decorated(x):
        return x * x

    parsed = parse(decorated.__wrapped__) if hasattr(decorated, "__wrapped__") else None
    assert decorated(3.0) == pytest.approx(6.0)
    local = parse(functions.quickstart)
    assert local.tree.decorator_list == []
    assert local.file_line(local.tree.lineno) == functions.quickstart.__code__.co_firstlineno
    assert parsed is None or parsed.tree.decorator_list == []


def test_nested_definition_is_dedented():
    def inner(x, y):
        return x * y

    parsed = parse(inner)
    assert parsed.params == ["x", "y"]
    assert parsed.tree.col_offset == 0


def test_parameters_include_keyword_only():
    assert parse(functions.defaults).params == ["x", "y", "scale"]
