"""Stage 1: from a live function to a checked, name-resolved `ast.FunctionDef`.

`parse(func)` fetches the source with `inspect`, strips decorators, rejects
constructs outside the supported subset (the *fence*: a whitelist, so nothing
unknown slips through), and resolves every free name against the function's
closure, globals and builtins:

* numbers (module constants, closure constants, `math.pi`) become literals;
* callables become their canonical spelling (`from math import sin as s`,
  `import math as m; m.sin` and `math.sin` all become `math.sin`).

Errors point at the user's file and line (see `ParsedFunction.error`).
"""

import ast
import bisect
import builtins
import inspect
import numbers
import types
from dataclasses import dataclass, field

import numpy as np

from . import rules
from .numpy_rules import ATTRIBUTES, METHODS
from .errors import (NoRuleError, SourceUnavailableError, UnknownNameError,
                     UnsupportedSyntaxError, located_message)


@dataclass
class ParsedFunction:
    func: object
    name: str
    filename: str
    first_lineno: int  # file line of the first line of `lines`
    lines: list  # the dedented source
    tree: ast.FunctionDef
    params: list = field(default_factory=list)  # every parameter name, in order
    callees: dict = field(default_factory=dict)  # placeholder name -> ParsedFunction of a called user function
    _statement_ends: dict = None  # first line -> last line of each statement, built on demand

    def file_line(self, lineno):
        return self.first_lineno + lineno - 1

    def line_text(self, lineno, limit=100):
        """The statement starting at `lineno`, on one line (shortened past `limit` characters)."""
        if self._statement_ends is None:
            self._statement_ends = {s.lineno: s.end_lineno for s in ast.walk(self.tree)  # a loop or if: its header
                                    if isinstance(s, ast.stmt) and not isinstance(s, (ast.FunctionDef, ast.For,
                                                                                      ast.While, ast.If))}
        end = self._statement_ends.get(lineno, lineno)
        text = " ".join(line.strip() for line in self.lines[lineno - 1:end])
        return text if len(text) <= limit else text[: limit - 4].rstrip() + " ..."

    def error(self, node, problem, cls=UnsupportedSyntaxError):
        """An exception of class `cls` pointing at `node` in the user's file."""
        lineno = getattr(node, "lineno", None) or self.tree.lineno
        text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        col = getattr(node, "col_offset", 0) or 0
        end = getattr(node, "end_col_offset", None) if getattr(node, "end_lineno", lineno) == lineno else None
        return cls(located_message(self.name, self.filename, self.file_line(lineno), text, col, end, problem))


# Statements and expressions the fence lets through; everything else is refused
# with the explanation below (or a generic one).
_ALLOWED = (
    ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.AugAssign, ast.AnnAssign,
    ast.Return, ast.Pass, ast.Expr, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.If, ast.IfExp,
    ast.For, ast.While, ast.Break, ast.Continue,
    ast.BoolOp, ast.boolop,
    ast.Name, ast.Constant, ast.Attribute, ast.Tuple, ast.Load, ast.Store,
    ast.operator, ast.unaryop, ast.cmpop,
    ast.Subscript, ast.List, ast.Dict, ast.ListComp, ast.GeneratorExp, ast.comprehension, ast.keyword, ast.Slice,
)
_REFUSED = {
    ast.Try: "'try' statements are not supported; move the guarded code out of the function.",
    ast.With: "'with' statements are not supported; move the context manager out of the function.",
    ast.Lambda: "lambda expressions are not supported inside the function; define a module-level function.",
    ast.AsyncFunctionDef: "async functions cannot be differentiated; write a plain function.",
    ast.ClassDef: "class definitions inside the function are not supported; define the class outside.",
    ast.Global: "'global' is not supported; pass the value in as an argument.",
    ast.Nonlocal: "'nonlocal' is not supported; pass the value in as an argument.",
    ast.Delete: "'del' is not supported; drop the statement.",
    ast.Yield: "generators cannot be differentiated; return a value instead of yielding.",
    ast.YieldFrom: "generators cannot be differentiated; return a value instead of yielding.",
    ast.Await: "'await' is not supported; differentiate a plain function.",
    ast.NamedExpr: "assignment expressions (':=') are not supported; use a separate assignment.",
    ast.Raise: "'raise' is not supported; check inputs before calling the gradient.",
    ast.Assert: "'assert' is not supported; check inputs before calling the gradient.",
    ast.Import: "imports inside the function are not supported; import at module level.",
    ast.ImportFrom: "imports inside the function are not supported; import at module level.",
    ast.Set: "sets are not supported; use a list or separate variables.",
    ast.SetComp: "set comprehensions are not supported; use a list comprehension.",
    ast.DictComp: "dict comprehensions are not supported; build the dict with dict(...) or a literal.",
    ast.Starred: "starred expressions are not supported; pass arguments one by one.",
    ast.JoinedStr: "strings are not differentiable; remove the f-string.",
}
if hasattr(ast, "Match"):
    _REFUSED[ast.Match] = "'match' statements are not supported yet; split the function at the match."


def _source_of(func):
    name = getattr(func, "__name__", repr(func))
    if isinstance(func, types.MethodType):
        raise SourceUnavailableError(
            f"cannot differentiate the bound method '{name}': differentiate the function "
            f"{func.__func__.__qualname__} and pass the instance's values as arguments.")
    if not isinstance(func, types.FunctionType):
        kind = "a builtin or C function" if callable(func) else f"a {type(func).__name__}"
        raise SourceUnavailableError(
            f"cannot differentiate '{name}': it is {kind}, which has no Python source; "
            "wrap it in a def (e.g. `def f(x): return math.sin(x)`) and differentiate that.")
    if hasattr(func, "__wrapped__"):
        raise UnsupportedSyntaxError(
            f"cannot differentiate '{name}': it is a wrapper made by a decorator (it has __wrapped__), so its "
            "source is not what it runs; differentiate the undecorated function, or put @tp.grad innermost.")
    if func.__name__ == "<lambda>":
        raise UnsupportedSyntaxError(
            f"cannot differentiate a lambda ({func.__code__.co_filename}, line {func.__code__.co_firstlineno}); "
            "define it with def.")
    try:
        lines, first = inspect.getsourcelines(func)
        filename = inspect.getsourcefile(func) or func.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot differentiate '{name}' ({func.__code__.co_filename}, line {func.__code__.co_firstlineno}): "
            f"its source is not available ({exc}); define it in a file, not in an interactive session.") from None
    text = _dedent(lines)
    if not _matches_code(func, text):
        raise SourceUnavailableError(
            f"cannot differentiate '{name}' ({filename}, line {first}): the file changed since the function was "
            "defined, so its source is not what it runs; reload the module.")
    return filename, max(first, 1), text


def _matches_code(func, text):
    """Whether compiling `text` gives `func`'s bytecode (an edited, unreloaded file does not)."""
    code = func.__code__
    cells = "".join(f"    {var} = None\n" for var in code.co_freevars)  # closures compile as closures
    wrapped = f"def __transpile_outer__():\n{cells}" + "".join("    " + line + "\n" for line in text.splitlines()) \
        if cells else text
    try:
        compiled = compile(wrapped, code.co_filename, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    pending, wanted = [compiled], _shape(code)
    while pending:
        candidate = pending.pop()
        if candidate.co_name == code.co_name and _shape(candidate) == wanted:
            return True
        pending.extend(c for c in candidate.co_consts if isinstance(c, types.CodeType))
    return False


_SHAPE_OPS = ("BINARY_", "INPLACE_", "COMPARE_OP", "UNARY_", "IS_OP", "CONTAINS_OP", "LOAD_CONST", "LOAD_FAST",
              "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_ATTR", "LOAD_METHOD", "STORE_", "DELETE_", "BUILD_", "UNPACK_",
              "LIST_", "KW_NAMES", "CALL_INTRINSIC", "GET_ITER", "RETURN", "RAISE")
_CALLS = ("CALL", "CALL_FUNCTION", "CALL_METHOD", "CALL_FUNCTION_KW", "CALL_KW")  # 3.10 spells a method call apart


def _shape(code):
    """The operations, names, constants and jumps of some bytecode, and of the code nested in it
    (comprehensions, nested defs), without details the compiler may choose differently for the
    same source (`LOAD_METHOD` or `LOAD_ATTR`, NULL pushes, fused `LOAD_FAST_LOAD_FAST`, how each
    Python version prints arguments).  A jump is its opcode and the position of its target among
    the operations kept, not an offset, so the details left out do not shift it."""
    import dis
    import re

    def value(argval):  # `_C__y` in a class body is `__y` compiled alone; nested code by its own shape
        if isinstance(argval, types.CodeType):
            return _shape(argval)
        if isinstance(argval, str):
            return re.sub(r"^_[^_]\w*?(__[^_]\w*)$", r"\1", argval)
        return repr(argval)

    jumps = set(getattr(dis, "hasjump", ())) | set(getattr(dis, "hasjrel", ())) | set(getattr(dis, "hasjabs", ()))
    instructions = list(dis.get_instructions(code))
    kept = [op for op in instructions
            if op.opcode in jumps or op.opname.startswith(_SHAPE_OPS) or op.opname in _CALLS]
    # (3.13 stores a class body's first line: where the source was compiled, not what it does)
    placed = {before.offset for before, after in zip(instructions, instructions[1:])
              if after.opname == "STORE_NAME" and after.argval == "__firstlineno__"}
    shape, starts = [], []  # starts: where each kept operation's entries begin in the shape
    for op in kept:
        starts.append(len(shape))
        if op.offset in placed:
            shape.append(("LOAD_CONST", "__firstlineno__"))
        elif op.opcode in jumps:  # (argval: the target's offset)
            shape.append(op if isinstance(op.argval, int) else (op.opname, op.arg))  # the target: below
        elif op.opname in _CALLS:
            shape.append(("CALL", op.arg))
        elif isinstance(op.argval, tuple) and "_FAST_" in op.opname:  # fused pairs (3.13), as two
            shape.extend(zip(re.findall(r"(?:LOAD|STORE)_FAST", op.opname), map(value, op.argval)))
        else:
            shape.append((op.opname.replace("LOAD_METHOD", "LOAD_ATTR"), value(op.argval)))
    offsets = [op.offset for op in kept]
    ends = starts + [len(shape)]
    return tuple((entry.opname, ends[bisect.bisect_left(offsets, entry.argval)])
                 if isinstance(entry, dis.Instruction) else entry for entry in shape)


def _dedent(lines):
    """Remove the `def` line's indentation; lines with less (inside a string) are left alone."""
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    return "".join(line[len(indent):] if line.startswith(indent) else line for line in lines)


def parse(func, _calling=()):
    """Parse and resolve `func`. Returns a ParsedFunction; raises TranspileError.

    User functions it calls are parsed too (they will be inlined), each once;
    `_calling` is the chain of callers, to refuse recursion.
    """
    func = inspect.unwrap(func) if _transparent_wrapper(func) else func
    refusal = str(getattr(func, "__module__", "")).startswith("transpile.generated.") and \
        getattr(func, "__globals__", {}).get("REFUSAL")
    if refusal:  # (code generated to refuse where it runs: `pipeline._refusing`)
        raise UnsupportedSyntaxError(refusal)
    filename, first, text = _source_of(func)
    tree = ast.parse(text)
    fdef = tree.body[0]
    if isinstance(fdef, ast.AsyncFunctionDef):
        parsed = ParsedFunction(func, func.__name__, filename, first, text.splitlines(), fdef)
        raise parsed.error(fdef, "async functions cannot be differentiated; write a plain function.",
                           UnsupportedSyntaxError)
    if not isinstance(fdef, ast.FunctionDef):
        raise SourceUnavailableError(f"cannot differentiate '{func.__name__}': its source is not a def statement")
    fdef.decorator_list = []
    _drop_annotations(fdef)
    _drop_integer_guard(fdef)
    parsed = ParsedFunction(func, func.__name__, filename, first, text.splitlines(), fdef)
    _fence(parsed)
    args = fdef.args
    parsed.params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    _Resolver(parsed, _calling + (func,)).resolve()
    return parsed


def _drop_integer_guard(fdef):
    """Generated gradients start by checking the classes of their arguments (`if x.__class__ is not
    float: ...`); differentiating one again (second order) skips that check, which has no derivative."""
    for index, stmt in enumerate(fdef.body[:2]):
        if isinstance(stmt, ast.If) and len(stmt.body) == 2 and isinstance(stmt.body[0], ast.ImportFrom) \
                and stmt.body[0].module in ("transpile.errors", "transpile.guard"):
            del fdef.body[index]
            return


def _drop_annotations(fdef):
    """Annotations do not affect values: `x: float = e` is `x = e`, and `x: float` nothing."""
    fdef.returns = None
    for arg in ast.walk(fdef.args):
        if isinstance(arg, ast.arg):
            arg.annotation = None

    class Strip(ast.NodeTransformer):
        def visit_AnnAssign(self, node):
            if node.value is None or not node.simple:
                return ast.copy_location(ast.Pass(), node) if node.value is None else node
            return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)

    Strip().visit(fdef)


def _pair_keys(call):
    """The key expressions of `dict(pairs)` written as a literal list of pairs or as zip of a literal list."""
    if len(call.args) != 1:
        return []
    arg = call.args[0]
    if isinstance(arg, (ast.List, ast.Tuple)):
        return [e.elts[0] for e in arg.elts if isinstance(e, (ast.List, ast.Tuple)) and len(e.elts) == 2]
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "zip" and arg.args and \
            isinstance(arg.args[0], (ast.List, ast.Tuple)):
        return list(arg.args[0].elts)
    return []


def _fence(parsed):
    args = parsed.tree.args
    if args.vararg or args.kwarg:
        raise parsed.error(args.vararg or args.kwarg,
                           "*args and **kwargs are not supported; name each parameter.")
    nodes = list(ast.walk(parsed.tree))
    keys = {id(k) for n in nodes if isinstance(n, ast.Dict) for k in n.keys} | {
        id(n.slice) for n in nodes if isinstance(n, ast.Subscript)} | {
        id(n.args[1]) for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        and n.func.id == "add_at" and len(n.args) == 3} | {  # generated code updating a dict's adjoint
        id(n.args[2]) for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        and n.func.id == "as_gradient" and len(n.args) == 3} | {  # (and naming a gradient in its errors)
        id(n.args[0]) for n in nodes if isinstance(n, ast.Call) and n.args
        and isinstance(n.func, (ast.Attribute, ast.Name)) and getattr(n.func, "attr", getattr(n.func, "id", None))
        == "einsum"} | {  # np.einsum("ij,jk->ik", a, b)
        id(k) for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "dict"
        for k in _pair_keys(n)}  # dict([("a", x)]), dict(zip(["a", "b"], values))
    for node in nodes:
        if isinstance(node, ast.Dict) and None in node.keys and len(node.keys) > 1:
            raise parsed.error(node, "'**' unpacking in a dict is not supported (but {**d} alone, a copy); write the "
                                     "keys out.")
        if isinstance(node, ast.FunctionDef) and node is not parsed.tree and (
                node.decorator_list or node.args.vararg or node.args.kwarg or node.args.defaults
                or node.args.kwonlyargs or node.args.posonlyargs):
            raise parsed.error(node, "a helper defined inside the function takes plain positional parameters "
                                     "(no decorators, defaults, *args or keyword-only ones).")
        if node is not parsed.tree and type(node) in _REFUSED:
            raise parsed.error(node, _REFUSED[type(node)])
        if not isinstance(node, _ALLOWED) and type(node) not in (ast.Module,):
            raise parsed.error(node, f"'{type(node).__name__}' is not supported in a differentiable function.")
        if isinstance(node, (ast.For, ast.While)) and node.orelse:
            raise parsed.error(node, "a loop's 'else' block is not supported; move it after the loop.")
        if isinstance(node, (ast.For, ast.comprehension)) and not all(
                isinstance(t, ast.Name) for t in ast.walk(node.target) if not isinstance(t, (ast.Tuple, ast.Store))):
            raise parsed.error(node.target, "a loop variable must be a name or a tuple of names.")
        if isinstance(node, ast.comprehension) and node.is_async:
            raise parsed.error(node.target, "async comprehensions are not supported; use a plain one.")
        if isinstance(node, ast.Call) and any(k.arg is None for k in node.keywords):
            raise parsed.error(node, "'**' in a call is not supported; pass the arguments one by one.")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, type(None))):
            if not (isinstance(node.value, str) and (_is_docstring(parsed.tree, node) or id(node) in keys)):
                raise parsed.error(node, f"constant {node.value!r} is not a number; only numbers (and strings as "
                                         "dict keys) are supported.")
        if _is_mirror_update(parsed, node):
            continue
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Attribute):
                        raise parsed.error(sub, "assigning to an attribute is not supported; use a local variable.")
                    if isinstance(sub, ast.Subscript) and (sub is not t or isinstance(node, ast.AnnAssign)
                                                           or len(targets) > 1):
                        raise parsed.error(sub, "assigning into an element is supported as one target "
                                                "(x[i] = v or x[i] += v), not inside an unpacking.")
                    if isinstance(sub, ast.Starred):
                        raise parsed.error(sub, "starred unpacking is not supported; unpack every element.")


def _is_mirror_update(parsed, node):
    """`dxs[i] += term` in a generated gradient (an adjoint updated in place), which may be
    differentiated again; user code may not assign into elements."""
    return isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Subscript) \
        and isinstance(node.target.value, ast.Name) and \
        getattr(parsed.func, "__module__", "").startswith("transpile.generated.")


def _ancestors(parsed, target):
    """The nodes enclosing `target` in the function."""
    chain = []

    def find(node):
        if node is target:
            return True
        for child in ast.iter_child_nodes(node):
            if find(child):
                chain.append(node)
                return True
        return False

    find(parsed.tree)
    return chain


def _is_docstring(fdef, node):
    """Whether `node` is the docstring of `fdef` or of a helper defined inside it."""
    return any(isinstance(f, ast.FunctionDef) and isinstance(f.body[0], ast.Expr) and f.body[0].value is node
               for f in ast.walk(fdef))


class _Resolver(ast.NodeTransformer):
    """Replace free names with constants or canonical callee spellings."""

    def __init__(self, parsed, calling):
        self.parsed = parsed
        self.calling = calling
        func = parsed.func
        nodes = list(ast.walk(parsed.tree))
        self.local_functions = {n.name for n in nodes if isinstance(n, ast.FunctionDef) and n is not parsed.tree}
        self.locals = set(parsed.params) | self.local_functions | _scope_locals(parsed.tree)
        code = func.__code__
        cells = dict(zip(code.co_freevars, func.__closure__ or ()))
        self.closure = {}
        for var, cell in cells.items():
            try:
                self.closure[var] = cell.cell_contents
            except ValueError:  # empty cell: the name is assigned after the def
                pass
        self.globals = func.__globals__

    def resolve(self):
        self.parsed.tree.body = [self.visit(s) for s in self.parsed.tree.body]

    def _lookup(self, node):
        var = node.id
        for scope in (self.closure, self.globals, vars(builtins)):
            if var in scope:
                return scope[var]
        raise self.parsed.error(node, f"name '{var}' is not defined (at the time of transpiling).",
                                UnknownNameError)

    def _chain(self, node):
        """The object a free `a.b.c` denotes, or None if its root is local."""
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return None
            return self._lookup(node)
        if isinstance(node, ast.Attribute):
            base = self._chain(node.value)
            if base is None:
                raise self.parsed.error(node, "attributes of local values are not supported; use plain numbers.")
            try:
                return getattr(base, node.attr)
            except AttributeError:
                raise self.parsed.error(node, f"'{ast.unparse(node)}' does not exist.", UnknownNameError) from None
        return None

    def _replace(self, node, value, called):
        display = ast.unparse(node)
        if value is None:  # np.newaxis
            return ast.copy_location(ast.Constant(value=None), node)
        if isinstance(value, numbers.Real) and self._fixed_width(node, value):  # kept: its arithmetic wraps or rounds
            return ast.copy_location(ast.Constant(value=value), node)  # (written `np.int8(100)`)
        if isinstance(value, numbers.Real):  # np.float64, Fractions, IntEnums: as plain Python numbers
            plain = value if isinstance(value, bool) else int(value) if isinstance(value, numbers.Integral) \
                else float(value)
            return ast.copy_location(ast.Constant(value=plain), node)
        if called:
            spelled = rules.spelling(value)
            if spelled is not None:
                return ast.copy_location(ast.parse(spelled, mode="eval").body, node)
            if isinstance(value, types.FunctionType) or _transparent_wrapper(value):
                return ast.copy_location(ast.Name(id=self._callee(node, value), ctx=ast.Load()), node)
            else:
                problem = (f"'{display}' ({_describe(value)}) has no derivative rule; "
                           "add one with transpile.rules.partials or compute it outside the function.")
            raise self.parsed.error(node, problem, NoRuleError)
        if isinstance(value, types.ModuleType):
            raise self.parsed.error(node, f"module '{display}' used as a value; call one of its functions.",
                                    UnknownNameError)
        raise self.parsed.error(node, f"'{display}' is {_describe(value)}; only numbers and "
                                      "differentiable functions can be used.", UnknownNameError)

    def _fixed_width(self, node, value):
        """Whether `value` is a NumPy scalar: `np.int8(100) + np.int8(100)` wraps, float32 products
        round to float32, and a float64 times a float32 array is float64 (a Python float would leave it
        float32), so it stays a NumPy scalar in the generated code."""
        if not isinstance(value, np.generic):
            return False
        if type(value).__name__ not in vars(np) or value.dtype.kind not in "iuf" or value.dtype.itemsize > 8:
            raise self.parsed.error(node, f"constant {value!r} ({type(value).__name__}) cannot be written in "
                                          "the generated code; convert it (float(...), int(...)).")
        return True

    def _callee(self, node, func):
        """Parse a called user function (to be inlined); returns its placeholder name."""
        func = inspect.unwrap(func) if _transparent_wrapper(func) else func
        if func in self.calling:
            chain = " -> ".join(f.__name__ for f in self.calling[self.calling.index(func):] + (func,))
            raise self.parsed.error(node, f"recursive call ({chain}): calls are inlined, so recursion cannot be "
                                          "differentiated; rewrite it without recursion.", UnsupportedSyntaxError)
        for placeholder, callee in self.parsed.callees.items():
            if callee.func is func:
                return placeholder
        placeholder = f"__call_{len(self.parsed.callees)}_{func.__name__}"
        self.parsed.callees[placeholder] = parse(func, self.calling)
        return placeholder

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in self.local_functions:
            node.args = [self.visit(a) for a in node.args]  # a helper defined inside: inlined where called
            return node
        if isinstance(node.func, ast.Attribute) and self._is_local(node.func.value):
            method = node.func.attr
            if method in METHODS:  # x.sum(axis=0) is np.sum(x, axis=0)
                spelled = ast.parse(rules.spelling(METHODS[method]), mode="eval").body
                args = node.args
                if method in ("reshape", "transpose") and len(args) > 1:  # x.reshape(2, 3): one shape tuple
                    args = [ast.copy_location(ast.Tuple(elts=args, ctx=ast.Load()), args[0])]
                for keyword in node.keywords:
                    keyword.value = self.visit(keyword.value)
                call = ast.Call(func=ast.copy_location(spelled, node.func), keywords=node.keywords,
                                args=[self.visit(a) for a in [node.func.value] + args])
                return ast.copy_location(call, node)  # spelled already: `np` need not be in f's globals
            if (method, len(node.args)) not in (("append", 1), ("pop", 0)) or node.keywords:
                raise self.parsed.error(node.func, f"'.{method}(...)' is not supported; of the methods of local "
                                                   "values list.append(value), list.pop() and the array methods "
                                                   f"{', '.join(sorted(METHODS))} are.")
            node.func.value = self.visit(node.func.value)
            node.args = [self.visit(a) for a in node.args]
            return node
        if isinstance(node.func, ast.Name) and node.func.id == "dict" and node.keywords:
            if self._lookup(node.func) is not dict:
                raise self.parsed.error(node.func, "'dict' is redefined here; build the dict with a literal.")
            for keyword in node.keywords:
                keyword.value = self.visit(keyword.value)
            return node
        value = self._chain(node.func)
        if value is None:
            raise self.parsed.error(node.func, f"'{ast.unparse(node.func)}' is a local variable, not a function.")
        constant = _numpy_constant(value, node)
        if constant is not None:  # `np.int8(100)`: a constant of its type
            return ast.copy_location(ast.Constant(value=constant if self._fixed_width(node, constant)
                                                  else float(constant)), node)
        node.func = self._replace(node.func, value, called=True)
        node.args = [self.visit(a) for a in node.args]
        for keyword in node.keywords:
            keyword.value = self.visit(keyword.value)
        return node

    def visit_FunctionDef(self, node):
        """A helper defined inside: its parameters and variables are local in it, not around it (a
        module constant the function reads keeps its value there however a helper names its own)."""
        return self._in_scope(node, _scope_locals(node))

    def _comprehension(self, node):
        return self._in_scope(node, {n.id for g in node.generators for n in ast.walk(g.target)
                                     if isinstance(n, ast.Name)})

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def _in_scope(self, node, names):
        outer = self.locals
        self.locals = outer | names
        try:
            return self.generic_visit(node)
        finally:
            self.locals = outer

    def _is_local(self, node):
        """Whether `node` is a value the function computes: a local variable, an element or attribute
        of one (x, xs[0], x.T), or any other expression ((x @ w).T), as opposed to a module's name."""
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value
        return not isinstance(node, ast.Name) or node.id in self.locals

    def visit_Attribute(self, node):
        if self._is_local(node.value) and node.attr in ATTRIBUTES:  # x.T is np.transpose(x)
            spelled = ast.parse(rules.spelling(ATTRIBUTES[node.attr]), mode="eval").body
            return ast.copy_location(ast.Call(func=ast.copy_location(spelled, node), args=[self.visit(node.value)],
                                              keywords=[]), node)
        if self._is_local(node.value):
            raise self.parsed.error(node, f"the attribute '.{node.attr}' of a local value is not supported (of "
                                          f"arrays: {', '.join(sorted(ATTRIBUTES))}).")
        return self._replace(node, self._chain(node), called=False)

    def visit_Name(self, node):
        if not isinstance(node.ctx, ast.Load) or node.id in self.locals:
            return node
        return self._replace(node, self._lookup(node), called=False)


def _numpy_constant(func, call):
    """The value of `call` if it makes a NumPy scalar of a number literal (`np.int8(-100)`), else None."""
    if not (isinstance(func, type) and issubclass(func, np.number)) or call.keywords or len(call.args) != 1:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub) and isinstance(arg.operand, ast.Constant):
        number = arg.operand.value
        number = -number if type(number) in (int, float) else None
    else:
        number = arg.value if isinstance(arg, ast.Constant) else None
    try:
        return func(number) if type(number) in (int, float) else None
    except (OverflowError, ValueError):  # (np.int8(1000): left to the call, which raises the same)
        return None


def _scope_locals(fdef):
    """The names `fdef` binds in its own scope: parameters, assignment and loop targets, helpers
    it defines; not those of the helpers it defines or of its comprehensions (Python's scopes)."""
    args = fdef.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    pending = list(fdef.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return names


def _transparent_wrapper(value):
    """functools.cache / lru_cache wrappers compute what they wrap, so their source is the wrapped one's."""
    return hasattr(value, "__wrapped__") and hasattr(value, "cache_info")


def _describe(value):
    if isinstance(value, types.FunctionType):
        return f"Python function {value.__module__}.{value.__qualname__}"
    if callable(value):
        return f"callable {getattr(value, '__module__', '') or ''}.{getattr(value, '__name__', repr(value))}"
    return f"a {type(value).__name__}"
