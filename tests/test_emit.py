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
