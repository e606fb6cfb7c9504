"""Stage 2: rewrite a resolved function into the grammar of `ir` (three-address SSA).

Nested expressions are split into named temporaries, tuple assignments are
unpacked (right-hand sides first, so `a, b = b, a` keeps its meaning),
augmented assignments become plain ones, and every rebinding of a name gets a
new version (`x`, `x_1`, ...) so the backward sweep can still read each value.
Each emitted statement keeps the `lineno` of the user statement it came from.
"""

import ast
import copy

import numpy as np

from . import ir, rules
from .errors import NoRuleError
from .naming import Namer
from .numpy_rules import DEFAULTS, ONLY, SIGNATURES

_STRUCTURAL = ("sum", "dict", "zip", "enumerate", "range", "reversed", "list", "tuple")
_CONVERSIONS = {"list": ast.List, "tuple": ast.Tuple}


class Builder:
    """Appends normalized statements; shared by every stage that emits code."""

    def __init__(self, namer, lineno=None, parsed=None):
        self.namer = namer
        self.stmts = []
        self.lineno = lineno
        self.parsed = parsed  # the function whose source the statements come from
        self.helpers = {}  # name -> ast.FunctionDef of a helper defined inside the function
        self.inlining = []  # helpers being inlined, innermost last (to refuse recursion)
        self.owned = set()  # names of lists the function built (only those may be appended to)
        self.escaped = set()  # owned lists stored in another structure (no longer appended to)
        self.new_arrays = set()  # names (in the source) given np.zeros_like: a generated `dx[1:] += t` writes one
        self.synthetic = 0  # counter for names the normalizer binds in `env` ("<...>", never emitted)

    def emit(self, target, rhs, origin=None):
        """Append `target = rhs`; `origin` is the source expression it computes (for error carets)."""
        stmt = ir.assign(target, rhs, self.lineno)
        if self.parsed is not None:
            stmt.source = self.parsed
        if origin is not None and getattr(origin, "lineno", None) == self.lineno is not None and origin.end_lineno == origin.lineno:
            stmt.col_offset, stmt.end_col_offset = origin.col_offset, origin.end_col_offset
            stmt.end_lineno = self.lineno
        self.stmts.append(stmt)
        return ir.name(target)

    def rhs(self, expr, env=None):
        """Normalize `expr` into one operation over atoms (emitting its operands)."""
        if isinstance(expr, ast.Name):
            return _copy(env[expr.id]) if env is not None and expr.id in env else ir.name(expr.id)
        if isinstance(expr, ast.Constant):
            return ir.const(expr.value)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant) \
                and not isinstance(expr.operand.value, bool):
            return ir.const(-expr.operand.value)
        if isinstance(expr, ast.BinOp):
            return ast.BinOp(left=self.atom(expr.left, env), op=expr.op, right=self.atom(expr.right, env))
        if isinstance(expr, ast.UnaryOp):
            return ast.UnaryOp(op=expr.op, operand=self.atom(expr.operand, env))
        if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
            return ast.Compare(left=self.atom(expr.left, env), ops=expr.ops,
                               comparators=[self.atom(expr.comparators[0], env)])
        if isinstance(expr, ast.IfExp):
            return self.conditional(self.atom(expr.test, env), lambda: self.atom(expr.body, env),
                                    lambda: self.atom(expr.orelse, env))
        if isinstance(expr, ast.BoolOp):  # `a and b` is `b if a else a`; `a or b` is `a if a else b`
            result = self.atom(expr.values[0], env)
            for operand in expr.values[1:]:
                held = result
                later = lambda operand=operand: self.atom(operand, env)  # noqa: E731
                then, otherwise = (later, lambda held=held: held) if isinstance(expr.op, ast.And) \
                    else (lambda held=held: held, later)
                result = self.conditional(held, then, otherwise)
            return result
        if isinstance(expr, ast.Compare) and len(expr.ops) > 1:  # a < b < c: (a < b) and (b < c), b once
            left = self.atom(expr.left, env)
            right = self.atom(expr.comparators[0], env)
            result = self.atom(ast.Compare(left=left, ops=expr.ops[:1], comparators=[right]))
            rest = ast.Compare(left=right, ops=expr.ops[1:], comparators=expr.comparators[1:])
            return self.conditional(result, lambda: self.atom(rest, env), lambda: result)
        if isinstance(expr, ast.Subscript):
            index = expr.slice
            if _negative_constant(index) and isinstance(expr.value, ast.Name) and expr.value.id in self.appended():
                # `ys[-1]` of a list that grows: counted from the end as it is now, since the backward
                # sweep reads the adjoint's mirror at another length
                index = ast.BinOp(left=ast.Call(func=ast.Name(id="len", ctx=ast.Load()), args=[expr.value],
                                                keywords=[]), op=ast.Add(), right=index)
            return ast.Subscript(value=self.atom(expr.value, env), slice=self.index(index, env), ctx=ast.Load())
        if isinstance(expr, (ast.List, ast.Tuple)):
            elements = [self.atom(e, env) for e in expr.elts]
            _escape(self, elements)
            return type(expr)(elts=elements, ctx=ast.Load())
        if isinstance(expr, ast.Dict) and expr.keys == [None]:  # {**d}: a copy, as dict(d)
            return self.dict_copy(self.atom(expr.values[0], env))
        if isinstance(expr, ast.Dict):
            expr = _last_of_each_key(expr)
            values = [self.atom(v, env) for v in expr.values]
            _escape(self, values)
            return ast.Dict(keys=[self.atom(k, env) for k in expr.keys], values=values)
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
            return self.comprehension(expr, env)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in _STRUCTURAL \
                and expr.func.id not in self.helpers:
            return self.structural_call(expr, env)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "pop":
            return ast.Call(func=ast.Attribute(value=self.atom(expr.func.value, env), attr="pop", ctx=ast.Load()),
                            args=[], keywords=[])
        if isinstance(expr, ast.Call):
            func = ir.callee(expr)
            keywords = []
            if self.parsed is None and func not in SIGNATURES:  # derivative code keeps `dtype=...`
                keywords = [ast.keyword(arg=k.arg, value=self.atom(k.value, env)) for k in expr.keywords]
            elif expr.keywords or func in SIGNATURES:
                expr = ast.Call(func=expr.func, args=self.positional(expr, func), keywords=[])
            args = [self.atom(a, env) for a in expr.args]
            callees = self.parsed.callees if self.parsed is not None else {}
            if isinstance(expr.func, ast.Name) and expr.func.id in self.helpers:
                return self.inline_helper(self.helpers[expr.func.id], args, env, expr)
            if isinstance(expr.func, ast.Name) and expr.func.id in callees:
                return self.inline(callees[expr.func.id], args, expr)
            return ast.Call(func=expr.func, args=args, keywords=keywords)
        raise (self.parsed.error(expr, f"'{ast.unparse(expr)}' is not supported here.") if self.parsed
               else TypeError(f"cannot normalize {ast.dump(expr)}"))

    def appended(self):
        """Names of the source the function appends to (`ys.append(v)`)."""
        if self.parsed is None:
            return set()
        found = getattr(self.parsed, "_appended", None)
        if found is None:
            found = self.parsed._appended = {
                n.func.value.id for n in ast.walk(self.parsed.tree) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute) and n.func.attr == "append" and isinstance(n.func.value, ast.Name)}
        return found

    def index(self, index, env):
        """An index with its parts as atoms: `i`, `1:`, `:, j`, `None` (slices are for arrays)."""
        if isinstance(index, ast.Slice):
            return ast.Slice(**{f: None if getattr(index, f) is None else self.atom(getattr(index, f), env)
                                for f in ("lower", "upper", "step")})
        if isinstance(index, ast.Tuple) and any(isinstance(e, ast.Slice) or (isinstance(e, ast.Constant) and
                                                                            e.value is None) for e in index.elts):
            return ast.Tuple(elts=[self.index(e, env) for e in index.elts], ctx=ast.Load())
        return self.atom(index, env)

    def positional(self, call, func):
        """The arguments of a NumPy call, keywords put in their places (defaults filled in)."""
        names = SIGNATURES.get(func, ())
        given = {k.arg: k.value for k in call.keywords}
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise self.parsed.error(call, f"the keyword '{unknown[0]}' is not supported here; "
                                          + (f"this call takes {', '.join(names)}." if names else
                                             "pass the arguments by position."))
        args = list(call.args)
        for position, name in enumerate(names, start=1):
            if position < len(args):
                continue
            args.append(given.get(name, ast.Constant(value=DEFAULTS.get((func, name), DEFAULTS.get(name)))))
        for position, name in enumerate(names, start=1):
            allowed = ONLY.get((func, name))
            if allowed and position < len(args) and not (isinstance(args[position], ast.Constant)
                                                         and args[position].value in allowed[0]):
                raise self.parsed.error(args[position], allowed[1])
        return args

    def structural_call(self, call, env):
        """`sum(xs)`, `dict(a=x)`; `zip`, `enumerate`, `range`, `reversed` belong in a loop header."""
        func = call.func.id
        if func == "dict":
            return self.dict_call(call, env)
        if func in _CONVERSIONS:
            return self.conversion(call, env)
        if func == "sum" and len(call.args) == 1:
            return ast.Call(func=ir.name("sum"), args=[self.atom(call.args[0], env)], keywords=[])
        if func == "sum":
            raise self.parsed.error(call, "sum(values, start) is not supported; add the start separately.")
        raise self.parsed.error(call, f"'{func}(...)' is supported only as the iterable of a for loop or "
                                      "comprehension.")

    def dict_call(self, call, env):
        """`dict(k=v)`, `dict({...}, k=v)`, `dict([(key, v), ...])`, `dict(zip([keys], [values]))` as a
        literal (the keys are seen here, so each value's adjoint goes to its key), `dict(d)` as a copy."""
        keys, values = [], []
        if call.args:
            arg = call.args[0]
            pairs = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else None
            zipped = arg.args if _call_of(arg, "zip") and len(arg.args) == 2 else None
            if len(call.args) > 1:
                raise self.parsed.error(call, "dict(...) takes at most one argument besides keywords.")
            if isinstance(arg, ast.Dict) and None not in arg.keys:
                keys, values = list(arg.keys), list(arg.values)
            elif pairs is not None and all(isinstance(p, (ast.List, ast.Tuple)) and len(p.elts) == 2 for p in pairs):
                keys, values = [p.elts[0] for p in pairs], [p.elts[1] for p in pairs]
            elif zipped and all(isinstance(z, (ast.List, ast.Tuple)) for z in zipped):
                keys, values = list(zipped[0].elts)[:len(zipped[1].elts)], list(zipped[1].elts)[:len(zipped[0].elts)]
            elif not call.keywords and not isinstance(arg, (ast.List, ast.Tuple, ast.Call, ast.Dict, ast.ListComp,
                                                            ast.GeneratorExp)):
                return self.dict_copy(self.atom(arg, env))
            else:
                raise self.parsed.error(call, "dict(...) is supported with keywords, a dict literal, a literal list "
                                              "of (key, value) pairs, zip of two literal lists, or one dict (a copy); "
                                              "write the dict as a literal.")
        return self.rhs(ast.Dict(keys=keys + [ast.Constant(value=k.arg) for k in call.keywords],
                                 values=values + [k.value for k in call.keywords]), env)

    def dict_copy(self, atom):
        """`dict(d)` of a dict `d`, checked when it runs (a list of pairs would need its keys)."""
        self.emit(self.namer.fresh("is_dict", temporary=True), ast.Call(func=ir.name("dict_only"), args=[atom],
                                                                         keywords=[]))
        return ast.Call(func=ir.name("dict"), args=[atom], keywords=[])

    def conversion(self, call, env):
        """`list(...)` and `tuple(...)`: of a literal or a comprehension, the new structure itself (a loop
        header such as zip or range as a comprehension over it); of a structure, a copy of it converted."""
        func = call.func.id
        if call.keywords or len(call.args) > 1:
            raise self.parsed.error(call, f"{func}(...) takes one argument.")
        if not call.args:
            return _CONVERSIONS[func](elts=[], ctx=ast.Load())
        arg = call.args[0]
        if isinstance(arg, (ast.List, ast.Tuple)):
            return self.rhs(_CONVERSIONS[func](elts=arg.elts, ctx=ast.Load()), env)
        header = next((h for h in ("zip", "enumerate", "reversed", "range") if _call_of(arg, h)), None)
        if header is not None:  # list(zip(a, b)) as [(t0, t1) for t0, t1 in zip(a, b)]
            count = len(arg.args) if header == "zip" else 2 if header == "enumerate" else 1
            targets = [ast.Name(id=f"item{i}", ctx=ast.Store()) for i in range(count)]  # (local to the loop)
            target = targets[0] if count == 1 else ast.Tuple(elts=targets, ctx=ast.Store())
            element = ast.Name(id=targets[0].id, ctx=ast.Load()) if count == 1 else ast.Tuple(
                elts=[ast.Name(id=t.id, ctx=ast.Load()) for t in targets], ctx=ast.Load())
            arg = ast.copy_location(ast.ListComp(elt=element, generators=[
                ast.comprehension(target=target, iter=arg, ifs=[], is_async=0)]), arg)
        if isinstance(arg, (ast.ListComp, ast.GeneratorExp)):
            values = self.comprehension(arg, env)
            if func == "list":
                return values
            return ast.Call(func=call.func, args=[values], keywords=[])
        atom = self.atom(arg, env)
        return ast.Call(func=call.func, args=[atom], keywords=[])  # a copy, converted

    def bind(self, atom, env):
        """A name for `atom` in `env` that no user variable can have; returns it as an ast.Name."""
        self.synthetic += 1
        key = f"<{self.synthetic}>"
        env[key] = atom
        return ast.Name(id=key, ctx=ast.Load())

    def comprehension(self, expr, env):
        """`[elt for x in xs if c]` as a list built by a loop (the loop variables stay inside)."""
        scope = dict(env)
        values = self.emit(self.namer.fresh("values", temporary=True), ast.List(elts=[], ctx=ast.Load()))
        self.owned.add(values.id)
        body = ast.Expr(value=ast.Call(func=ast.Attribute(value=self.bind(values, scope), attr="append",
                                                          ctx=ast.Load()), args=[expr.elt], keywords=[]))
        for generator in reversed(expr.generators):
            for condition in reversed(generator.ifs):
                body = ast.If(test=condition, body=[body], orelse=[])
            body = ast.For(target=generator.target, iter=generator.iter, body=[body], orelse=[])
        loop = ast.fix_missing_locations(ast.copy_location(body, expr))
        for node in ast.walk(loop):
            if isinstance(node, ast.stmt):
                ast.copy_location(node, expr)
        lineno = self.lineno
        statements(self.parsed, self, scope, [loop])
        self.lineno = lineno
        return values

    def in_block(self, produce):
        """Run `produce()` emitting into a fresh list; returns (statements, its result)."""
        saved, self.stmts = self.stmts, []
        try:
            result = produce()
            return self.stmts, result
        finally:
            self.stmts = saved

    def conditional(self, test, then, otherwise):
        """`then() if test else otherwise()` for a normalized `test` atom, each side emitted
        only into its branch (so evaluated only when taken); returns the resulting atom."""
        if isinstance(test, ast.Constant):
            return (then if test.value else otherwise)()
        body, chosen = self.in_block(then)
        orelse, other = self.in_block(otherwise)
        if ir.atom_key(chosen) == ir.atom_key(other):
            if not body and not orelse:
                return chosen
        merge = self.namer.fresh("choice", temporary=True)
        body.append(ir.assign(merge, _copy(chosen), self.lineno))
        orelse.append(ir.assign(merge, _copy(other), self.lineno))
        self.stmts.append(ir.branch(test, body, orelse, self.lineno))
        return ir.name(merge)

    def inline_helper(self, helper, args, env, call):
        """Emit a helper defined inside the function, reading the enclosing variables as they are now."""
        if helper.name in self.inlining:
            raise self.parsed.error(call, f"recursive call of '{helper.name}': calls are inlined, so recursion "
                                          "cannot be differentiated; rewrite it without recursion.")
        params = [a.arg for a in helper.args.args]
        if len(args) != len(params):
            raise self.parsed.error(call, f"'{helper.name}' takes {len(params)} parameters.")
        inner = dict(env)
        inner.update(zip(params, args))
        self.inlining.append(helper.name)
        lineno = self.lineno
        try:
            result = statements(self.parsed, self, inner, _single_exit(_without_loop_returns(
                _without_docstring(helper.body))),
                                helper=helper)
        finally:
            self.inlining.pop()
            self.lineno = lineno
        if isinstance(result, ast.Tuple):
            raise self.parsed.error(call, f"'{helper.name}' returns a tuple; helpers must return one number.")
        return result

    def inline(self, callee, args, call):
        """Emit the body of a called user function with its parameters bound to `args`; returns its result."""
        caller, lineno = self.parsed, self.lineno
        params = callee.params
        positional = [a.arg for a in callee.tree.args.posonlyargs + callee.tree.args.args]
        if len(args) > len(positional):
            raise caller.error(call, f"'{callee.name}' takes {len(positional)} positional parameters.")
        positional = [a.arg for a in callee.tree.args.posonlyargs + callee.tree.args.args]
        defaults = dict(zip(reversed(positional), reversed(callee.func.__defaults__ or ())))
        defaults.update(callee.func.__kwdefaults__ or {})
        if len(args) > len(params) or any(p not in defaults for p in params[len(args):]):
            raise caller.error(call, f"'{callee.name}' takes {len(params)} parameters; pass each by position.")
        env = dict(zip(params, args))
        for p in params[len(args):]:
            if not isinstance(defaults[p], (int, float)):
                raise caller.error(call, f"the default of '{p}' in '{callee.name}' is not a number; pass it.")
            env[p] = ir.const(defaults[p])
        self.parsed = callee
        try:
            result = statements(callee, self, env)
        finally:
            self.parsed, self.lineno = caller, lineno
        if isinstance(result, ast.Tuple):
            raise caller.error(call, f"'{callee.name}' returns a tuple; called functions must return one number.")
        return result

    def atom(self, expr, env=None):
        """Normalize `expr` to a Name or Constant, emitting a temporary if needed."""
        rhs = self.rhs(expr, env)
        if ir.is_atom(rhs):
            return rhs
        return self.emit(self.namer.temporary(rhs), rhs, origin=expr)


def normalize(parsed):
    """Return (body, namer): the function body in `ir` grammar and its Namer.

    Calls to user functions are inlined (their statements carry `source`,
    the ParsedFunction they come from).  Raises TranspileError (via
    `parsed.error`) for statements the straight-line subset cannot express,
    e.g. a return that is not the last statement.
    """
    namer = Namer(parsed.params)
    builder = Builder(namer, parsed=parsed)
    result = statements(parsed, builder, {p: ir.name(p) for p in parsed.params})
    builder.stmts.append(ast.Return(value=result, lineno=builder.lineno))
    return builder.stmts, namer


def _without_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[1:]
    return body


def statements(parsed, builder, env, body=None, helper=None):
    """Emit the normalized `body` (default: all of `parsed`) with `env` (name -> atom).

    Returns the returned value, or None if `body` runs off its end (an `if`
    branch that falls through).  An `if` one of whose branches returns takes
    the statements after it into its other branch, so every path ends in one
    return and the result merges like any variable.
    """
    top = body is None
    if top:
        body = parsed.tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # docstring
        body = _single_exit(_without_loop_returns(body))
    for index, stmt in enumerate(body):
        builder.lineno = stmt.lineno
        _check_defined(parsed, stmt, env)
        rest = body[index + 1:]
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.FunctionDef):
            builder.helpers[stmt.name] = stmt
            continue
        if isinstance(stmt, ast.Return):
            if rest:
                raise parsed.error(rest[0], "code after 'return' is never run; remove it.")
            if stmt.value is None:
                raise parsed.error(stmt, "the function returns None; return the value to differentiate.")
            values = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
            atoms = [builder.atom(v, env) for v in values]
            return ast.Tuple(elts=atoms, ctx=ast.Load()) if isinstance(stmt.value, ast.Tuple) else atoms[0]
        if isinstance(stmt, ast.If):
            if _returns([stmt]):  # _single_exit moved what follows into the branches
                if rest:
                    raise parsed.error(rest[0], "code after an 'if' whose branches all return is never run; "
                                                "remove it.")
                return _branch(parsed, builder, env, stmt, stmt.body, stmt.orelse, returning=True)
            _branch(parsed, builder, env, stmt, stmt.body, stmt.orelse, returning=False)
        elif isinstance(stmt, (ast.For, ast.While)):
            _loop(parsed, builder, env, stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            _assignment(parsed, stmt, builder, env)
        elif isinstance(stmt, ast.Expr) and _is_append(stmt):
            _append(parsed, builder, env, stmt)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                ir.callee(stmt.value) in rules.LINEAR_HELPERS:  # generated code updating a mirror in place
            builder.stmts.append(ast.Expr(value=ast.Call(func=stmt.value.func, keywords=[], args=[
                builder.atom(a, env) for a in stmt.value.args])))
            builder.stmts[-1].lineno = stmt.lineno
        elif isinstance(stmt, ast.Expr) and ir.popped(stmt.value):  # the value is not needed; the list shrinks
            builder.stmts.append(ast.Expr(value=builder.rhs(stmt.value, env)))
            builder.stmts[-1].lineno = stmt.lineno
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name) \
                and (stmt.value.func.id in builder.helpers or stmt.value.func.id in parsed.callees):
            callee = parsed.callees.get(stmt.value.func.id)
            raise parsed.error(stmt, f"the helper '{callee.name if callee else stmt.value.func.id}' is called as a "
                                     "statement, for what it does to its arguments (such as appending to a list); "
                                     "helpers that change their arguments are not supported (a call is inlined for "
                                     "its value): return the value and append it here, ys.append(helper(v)).")
        elif isinstance(stmt, ast.Expr):
            raise parsed.error(stmt, "an expression statement has no effect on the result; remove it.")
        else:  # the fence admits nothing else
            raise parsed.error(stmt, f"'{type(stmt).__name__}' is not supported here.")
    if top or helper is not None:
        raise parsed.error(helper or parsed.tree, "the function has no 'return'; return the value to differentiate.")
    return None


def _is_append(stmt):
    call = stmt.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append" \
        and isinstance(call.func.value, ast.Name)


def _append(parsed, builder, env, stmt):
    container = env[stmt.value.func.value.id]
    if not isinstance(container, ast.Name) or container.id not in builder.owned:
        raise parsed.error(stmt, f"appending to '{stmt.value.func.value.id}', a list the function did not build "
                                 "(or built on only some paths), is not supported: it could change the caller's "
                                 "list; append to a copy ([x for x in xs]) built before any branch.")
    if container.id in builder.escaped:
        raise parsed.error(stmt, f"appending to '{stmt.value.func.value.id}' after storing it in another list, "
                                 "tuple or dict is not supported; finish the list first.")
    value = builder.atom(stmt.value.args[0], env)
    _escape(builder, [value])
    builder.stmts.append(ir.append(container.id, value, builder.lineno))


def _last_of_each_key(literal):
    """A dict literal whose constant keys repeat as Python builds it: each key once, in its first place,
    with its last value (an overwritten value must not get the key's adjoint)."""
    if not all(isinstance(k, ast.Constant) for k in literal.keys):
        return literal
    chosen = {}
    for key, value in zip(literal.keys, literal.values):
        chosen[key.value] = (chosen.get(key.value, (key,))[0], value)
    return ast.Dict(keys=[k for k, _ in chosen.values()], values=[v for _, v in chosen.values()])


def _escape(builder, atoms):
    """Lists stored in another structure: appending to them afterwards is refused."""
    builder.escaped.update(a.id for a in atoms if isinstance(a, ast.Name) and a.id in builder.owned)


def _without_loop_returns(body):
    """`return e` inside a loop as `value = e; returned = True; break` (and `if returned: break` after
    each inner loop), then `if returned: return value` after the loop: loops keep a single exit."""
    taken = {n.id for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    names = iter(f"returned{k or ''}" for k in range(len(taken) + 2)
                 if f"returned{k or ''}" not in taken and f"result{k or ''}" not in taken)

    def own_returns(stmts):
        return any(isinstance(n, ast.Return) for s in stmts for n in ast.walk(s))

    def located(node, where):
        return ast.fix_missing_locations(ast.copy_location(node, where))

    def rewrite(stmts, flag, value):
        out = []
        for stmt in stmts:
            if isinstance(stmt, ast.Return):
                out += [located(ast.Assign(targets=[ast.Name(id=value, ctx=ast.Store())],
                                           value=stmt.value or ast.Constant(value=None)), stmt),
                        located(ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())], value=ast.Constant(value=True)),
                                stmt),
                        located(ast.Break(), stmt)]
            elif isinstance(stmt, ast.If):
                out.append(ast.copy_location(ast.If(test=stmt.test, body=rewrite(stmt.body, flag, value),
                                                    orelse=rewrite(stmt.orelse, flag, value)), stmt))
            elif isinstance(stmt, (ast.For, ast.While)) and own_returns(stmt.body):
                inner = copy.copy(stmt)
                inner.body = rewrite(stmt.body, flag, value)
                out += [inner, located(ast.If(test=ast.Name(id=flag, ctx=ast.Load()), body=[ast.Break()], orelse=[]),
                                       stmt)]
            else:
                out.append(stmt)
        return out

    def lift(stmts):
        out = []
        for index, stmt in enumerate(stmts):
            if isinstance(stmt, (ast.For, ast.While)) and own_returns(stmt.body):
                flag = next(names)
                value = flag.replace("returned", "result")
                loop = copy.copy(stmt)
                loop.body = rewrite(stmt.body, flag, value)
                out += [located(ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())],
                                           value=ast.Constant(value=False)), stmt),
                        located(ast.Assign(targets=[ast.Name(id=value, ctx=ast.Store())],
                                           value=ast.Constant(value=0.0)), stmt),  # read only once returned
                        loop,
                        located(ast.If(test=ast.Name(id=flag, ctx=ast.Load()),
                                       body=[located(ast.Return(value=ast.Name(id=value, ctx=ast.Load())), stmt)],
                                       orelse=[]), stmt)]
            elif isinstance(stmt, ast.If):
                out.append(ast.copy_location(ast.If(test=stmt.test, body=lift(stmt.body), orelse=lift(stmt.orelse)),
                                             stmt))
            else:
                out.append(stmt)
        return out

    return lift(body)


def _has_return(stmts):
    """Whether a `return` is among `stmts` or the statements nested in them (expressions are not
    searched: per level of an `elif` chain that would cost the whole chain's expressions)."""
    for node in stmts:
        found = getattr(node, "has_return", None)  # (remembered: nodes are not changed, only moved)
        if found is None:
            found = node.has_return = isinstance(node, ast.Return) or any(
                isinstance(value, list) and _has_return(value)
                for value in (getattr(node, f, None) for f in ("body", "orelse", "finalbody", "handlers", "cases")))
        if found:
            return True
    return False


def _single_exit(body):
    """Move the statements after an `if` that returns on some paths into its other paths.

    Afterwards an `if` either returns on every path or contains no return.
    """
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.If) and not _returns([stmt]) and _has_return([stmt]):
            rest = body[index + 1:]

            def continued(block):
                return block if _returns(block) else _single_exit(block + rest)

            moved = ast.If(test=stmt.test, body=continued(stmt.body), orelse=continued(stmt.orelse))
            return body[:index] + [ast.copy_location(moved, stmt)]
        if isinstance(stmt, ast.If):
            stmt = ast.copy_location(ast.If(test=stmt.test, body=_single_exit(stmt.body),
                                            orelse=_single_exit(stmt.orelse)), stmt)
            body = body[:index] + [stmt] + body[index + 1:]
    return body


def _loop(parsed, builder, env, stmt):
    """Emit a loop.  A variable the body rebinds and that exists before it is *carried*: one
    name (assigned before the loop and at the end of each pass) holds its value at the top
    of every pass.  Variables first assigned inside the loop are not available after it.
    `break` and `continue` are rewritten first (`_without_jumps`)."""
    if isinstance(stmt, ast.For) and not _is_range(stmt.iter):
        stmt = _over_indices(parsed, builder, env, stmt)
    if _jumps(stmt.body, ast.Break) or _jumps(stmt.body, ast.Continue):
        if isinstance(stmt, ast.For) and _backwards(stmt) and _jumps(stmt.body, ast.Break):
            raise parsed.error(stmt, "'break' in a reversed loop is not supported; loop forwards or use while.")
        for rewritten in _without_jumps(stmt, env):
            if isinstance(rewritten, (ast.For, ast.While)):
                _loop(parsed, builder, env, rewritten)
            else:
                _assignment(parsed, rewritten, builder, env)
        return
    namer = builder.namer
    if isinstance(stmt, ast.For):
        bounds = [builder.atom(a, env) for a in _range_of(stmt).args]
        bounds = [ir.const(0)] + bounds if len(bounds) == 1 else bounds
    assigned = {n.id for s in stmt.body for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned |= {n.value.id for s in stmt.body for n in ast.walk(s)  # x[i] = v rebinds x (to a new array)
                 if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)}
    if isinstance(stmt, ast.For):  # the index too: after the loop it holds the last value (or, with no pass, the old)
        assigned.add(stmt.target.id)
    carried = {var: namer.fresh(var) for var in sorted(assigned) if var in env}
    for var, name in carried.items():
        builder.emit(name, _copy(env[var]))
    inner = dict(env)
    inner.update({var: ir.name(name) for var, name in carried.items()})

    def test():  # a while loop's test, on the carried values; `go` holds it
        builder.emit(go, _copy(builder.atom(stmt.test, {**inner, **{v: ir.name(n) for v, n in carried.items()}})))

    if isinstance(stmt, ast.For):
        index = namer.fresh(stmt.target.id)
        inner[stmt.target.id] = ir.name(index)
        if stmt.target.id not in carried:  # bound even if the loop makes no pass (later loops may carry it)
            builder.emit(index, ir.const(None))
    else:
        go = namer.fresh("go", temporary=True)
        test()

    def body():
        statements(parsed, builder, inner, stmt.body)
        for var, name in carried.items():
            if ir.atom_key(inner[var]) != ir.atom_key(ir.name(name)):
                builder.emit(name, _copy(inner[var]))
        if isinstance(stmt, ast.While):
            test()

    stmts, _ = builder.in_block(body)
    builder.lineno = stmt.lineno
    _check_growing_lists(parsed, stmt, stmts)
    if isinstance(stmt, ast.For):
        loop = ir.loop(index, bounds, stmts, stmt.lineno, backwards=_backwards(stmt))
    else:
        loop = ast.While(test=ir.name(go), body=stmts, orelse=[])
        loop.lineno = stmt.lineno
    loop.carried = list(carried.values())  # the names that hold a value from one pass to the next
    loop.source = builder.parsed
    builder.stmts.append(loop)
    for var, name in carried.items():
        env[var] = ir.name(name)
    for var in assigned - set(carried):
        env.pop(var, None)
    if isinstance(stmt, ast.For) and stmt.target.id not in carried:
        env[stmt.target.id] = ir.name(index)  # bound by the last pass, unbound if there was none (as in Python)


def _call_of(node, func):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func


def _is_range(node):
    """`range(a[, b[, c]])`, or `reversed(range(...))`."""
    if _call_of(node, "reversed") and len(node.args) == 1:
        return _is_range(node.args[0])
    return _call_of(node, "range") and 1 <= len(node.args) <= 3


def _over_indices(parsed, builder, env, loop):
    """`for x in xs` (or over `zip(xs, ys)`, `enumerate(xs)`, `reversed(xs)`) as a loop over the
    indices whose body starts by reading the elements: `for i in range(len(xs)): x = xs[i]; ...`."""
    iterable, target, backwards, position = loop.iter, loop.target, False, None
    if _call_of(iterable, "reversed") and len(iterable.args) == 1:
        iterable, backwards = iterable.args[0], True
    if _call_of(iterable, "enumerate"):
        if backwards or len(iterable.args) != 1 or not (isinstance(target, ast.Tuple) and len(target.elts) == 2
                                                        and isinstance(target.elts[0], ast.Name)):
            raise parsed.error(loop, "enumerate is supported as 'for i, x in enumerate(xs)'.")
        (position, target), iterable = target.elts, iterable.args[0]
    if _call_of(iterable, "zip"):
        if backwards or not (isinstance(target, ast.Tuple) and len(target.elts) == len(iterable.args) >= 1):
            raise parsed.error(loop, "zip is supported as 'for a, b in zip(xs, ys)', one name per sequence.")
        sequences, targets = iterable.args, target.elts
    else:
        sequences, targets = [iterable], [target]
    for sequence in sequences:
        if isinstance(sequence, ast.Call) and isinstance(sequence.func, ast.Name) and sequence.func.id in _STRUCTURAL \
                and sequence.func.id not in _CONVERSIONS:  # (list(...) and tuple(...) are sequences)
            raise parsed.error(sequence, f"'{sequence.func.id}(...)' cannot be iterated here; loop over a range, "
                                         "a list, or zip/enumerate of lists.")
    for sequence in sequences:  # a dict iterates its keys, which `d[index]` would not read
        keyed = isinstance(sequence, (ast.Dict, ast.DictComp)) or _call_of(sequence, "dict") or (
            isinstance(sequence, ast.Name) and any(
                isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == sequence.id
                and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str)
                for n in ast.walk(parsed.tree)))
        if keyed:
            raise parsed.error(loop, "looping over a dict is not supported; loop over a list of its keys' values "
                                     "or index it by name.")
    names = [builder.bind(builder.atom(sequence, env), env) for sequence in sequences]
    lengths = [ast.Call(func=ir.name("len"), args=[n], keywords=[]) for n in names]
    count = lengths[0] if len(lengths) == 1 else ast.Call(func=ir.name("min"), args=lengths, keywords=[])
    if position is None:
        taken = set(env) | {n.id for n in ast.walk(parsed.tree) if isinstance(n, ast.Name)}
        position = ast.Name(id=next(f"index{k or ''}" for k in range(len(taken) + 1) if f"index{k or ''}" not in taken))
    header = ast.Call(func=ir.name("range"), args=[count], keywords=[])
    if backwards:
        header = ast.Call(func=ir.name("reversed"), args=[header], keywords=[])
    reads = [ast.Assign(targets=[t], value=ast.Subscript(value=n, slice=ir.name(position.id), ctx=ast.Load()))
             for t, n in zip(targets, names)]
    rewritten = ast.For(target=ast.Name(id=position.id, ctx=ast.Store()), iter=header, body=reads + loop.body,
                        orelse=[])
    for node in ast.walk(rewritten):
        if isinstance(node, (ast.stmt, ast.expr)) and not hasattr(node, "lineno"):
            ast.copy_location(node, loop)
    return ast.copy_location(rewritten, loop)


def _check_growing_lists(parsed, loop, body):
    """Refuse reading, inside a loop, a list the loop appends to but did not create: the backward
    sweep recomputes a pass from the values it recorded, and the list would have grown since."""
    created = {ir.target(s) for s in ir.assignments(body)}
    growing = {ir.appended(s) for s in ir.walk(body)} - {None} - created
    for stmt in ir.walk(body):
        read = set(ir.names_used(stmt.value.args[0] if ir.appended(stmt) else stmt)) \
            if isinstance(stmt, (ast.Assign, ast.Expr)) else set()
        if read & growing:
            origin = getattr(stmt, "source", None) or parsed
            raise origin.error(stmt, "this reads a list that the enclosing loop appends to; keep the values "
                                     "you need in variables, or read the list after the loop.")


def _jumps(body, kind):
    """Whether `body` holds a `break` or `continue` (`kind`) of its own loop (not of a nested one)."""
    for stmt in body:
        if isinstance(stmt, kind):
            return True
        if isinstance(stmt, ast.If) and (_jumps(stmt.body, kind) or _jumps(stmt.orelse, kind)):
            return True
    return False


def _skip_rest(body):
    """`body` without `continue`: what follows a `continue` moves into the other paths."""
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.Continue):
            return body[:index]
        if isinstance(stmt, ast.If) and (_jumps(stmt.body, ast.Continue) or _jumps(stmt.orelse, ast.Continue)):
            rest = body[index + 1:]
            moved = ast.If(test=stmt.test, body=_skip_rest(stmt.body + rest), orelse=_skip_rest(stmt.orelse + rest))
            return body[:index] + [ast.copy_location(moved, stmt)]
    return body


def _without_jumps(loop, env):
    """The loop rewritten without `break`/`continue`: a `break` sets a flag the loop's test reads
    (a `for` over a range becomes a `while` over its index) and ends the pass like `continue`."""
    def located(node):
        return ast.fix_missing_locations(ast.copy_location(node, loop))

    def name(identifier, store=False):
        return ast.Name(id=identifier, ctx=ast.Store() if store else ast.Load())

    taken = set(env) | {n.id for n in ast.walk(loop) if isinstance(n, ast.Name)}
    flag = next(f"broke{k}" for k in range(len(taken) + 1) if f"broke{k}" not in taken)
    before, body = [], loop.body
    if _jumps(body, ast.Break):
        before.append(located(ast.Assign(targets=[name(flag, True)], value=ast.Constant(value=False))))

        def replace(stmts):
            out = []
            for stmt in stmts:
                if isinstance(stmt, ast.Break):
                    out += [located(ast.Assign(targets=[name(flag, True)], value=ast.Constant(value=True))),
                            located(ast.Continue())]
                elif isinstance(stmt, ast.If):
                    out.append(ast.copy_location(ast.If(test=stmt.test, body=replace(stmt.body),
                                                        orelse=replace(stmt.orelse)), stmt))
                else:
                    out.append(stmt)
            return out

        body = replace(body)
        running = located(ast.UnaryOp(op=ast.Not(), operand=name(flag)))
    else:
        running = None
    if isinstance(loop, ast.For) and running is not None:  # for i in range(a, b, s) as a while loop
        bounds = _range_of(loop).args
        start, stop, step = (bounds + [ast.Constant(value=1)])[:3] if len(bounds) > 1 else \
            (ast.Constant(value=0), bounds[0], ast.Constant(value=1))
        position = next(f"index{k}" for k in range(len(taken) + 1) if f"index{k}" not in taken)
        before.append(located(ast.Assign(targets=[name(position, True)], value=start)))
        inside = located(ast.IfExp(test=ast.Compare(left=step, ops=[ast.Gt()], comparators=[ast.Constant(value=0)]),
                                   body=ast.Compare(left=name(position), ops=[ast.Lt()], comparators=[stop]),
                                   orelse=ast.Compare(left=name(position), ops=[ast.Gt()], comparators=[stop])))
        test = located(ast.BoolOp(op=ast.And(), values=[inside, running]))
        body = [located(ast.Assign(targets=[name(loop.target.id, True)], value=name(position))),
                located(ast.Assign(targets=[name(position, True)],
                                   value=ast.BinOp(left=name(position), op=ast.Add(), right=step)))] + body
        rewritten = ast.While(test=test, body=_skip_rest(body), orelse=[])
    elif isinstance(loop, ast.While):
        test = loop.test if running is None else located(ast.BoolOp(op=ast.And(), values=[loop.test, running]))
        rewritten = ast.While(test=test, body=_skip_rest(body), orelse=[])
    else:
        rewritten = ast.For(target=loop.target, iter=loop.iter, body=_skip_rest(body), orelse=[])
    return before + [ast.copy_location(rewritten, loop)]


def _range_of(loop):
    """The `range(...)` call of `for i in range(...)` or `for i in reversed(range(...))`."""
    return loop.iter.args[0] if _backwards(loop) else loop.iter


def _backwards(loop):
    return isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "reversed"


def _returns(body):
    """Whether every path through `body` ends in a return."""
    if not body:
        return False
    last = body[-1]
    return isinstance(last, ast.Return) or (isinstance(last, ast.If) and _returns(last.body)
                                            and _returns(last.orelse))


def _branch(parsed, builder, env, stmt, then_body, else_body, returning):
    """Emit an `if`; merge what its branches assign (or, if `returning`, return)."""
    test = builder.atom(stmt.test, env)
    if isinstance(test, ast.Constant):  # decided now: only the branch taken exists
        return statements(parsed, builder, env, then_body if test.value else else_body)
    envs = (dict(env), dict(env))
    then_stmts, then_result = builder.in_block(lambda: statements(parsed, builder, envs[0], then_body))
    else_stmts, else_result = builder.in_block(lambda: statements(parsed, builder, envs[1], else_body))
    builder.lineno = stmt.lineno
    if returning:
        if isinstance(then_result, ast.Tuple) != isinstance(else_result, ast.Tuple) or (
                isinstance(then_result, ast.Tuple) and len(then_result.elts) != len(else_result.elts)):
            raise parsed.error(stmt, "the branches return values of different shapes; return the same kind.")
        pairs = list(zip(then_result.elts, else_result.elts)) if isinstance(then_result, ast.Tuple) \
            else [(then_result, else_result)]
        merged = [_merge(builder, "result", a, b, then_stmts, else_stmts) for a, b in pairs]
        result = ast.Tuple(elts=merged, ctx=ast.Load()) if isinstance(then_result, ast.Tuple) else merged[0]
    else:
        result = None
        for var in sorted(set(envs[0]) | set(envs[1])):
            a, b = envs[0].get(var), envs[1].get(var)
            # assigned on one path only: unbound on the other, where Python would fail to read it; None
            # keeps the merge from reading a name that path never bound
            env[var] = _merge(builder, var, a if a is not None else ir.const(None),
                              b if b is not None else ir.const(None), then_stmts, else_stmts)
    builder.stmts.append(ir.branch(test, then_stmts or [ast.Pass()], else_stmts, stmt.lineno))
    return result


def _merge(builder, var, a, b, then_stmts, else_stmts):
    """One name for `a` (then branch) and `b` (else branch): a copy at the end of each."""
    if ir.atom_key(a) == ir.atom_key(b):
        return a
    merged = builder.namer.fresh(var)
    then_stmts.append(ir.assign(merged, _copy(a), builder.lineno))
    else_stmts.append(ir.assign(merged, _copy(b), builder.lineno))
    return ir.name(merged)


def _check_defined(parsed, stmt, env):
    if isinstance(stmt, ast.FunctionDef):
        return
    read = ir.names_used(stmt.value) if getattr(stmt, "value", None) is not None else []
    if isinstance(stmt, (ast.If, ast.While)):
        read = ir.names_used(stmt.test)
    elif isinstance(stmt, ast.For):
        read = ir.names_used(stmt.iter)
    if isinstance(stmt, ast.AugAssign):
        read += ir.names_used(stmt.target.value) if isinstance(stmt.target, ast.Subscript) else [stmt.target.id]
    for var in read:
        if var not in env:
            raise parsed.error(stmt, f"'{var}' is used before it is assigned.")


def _assignment(parsed, stmt, builder, env):
    generated = str(getattr(parsed.func, "__module__", "")).startswith("transpile.generated.")
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Subscript) and generated and \
            getattr(stmt.target.value, "id", None) not in builder.new_arrays:  # a mirror's `dxs[i] += t`
        update = ast.Expr(value=ast.Call(func=ir.name("add_at"), keywords=[], args=[
            builder.atom(stmt.target.value, env), builder.atom(_index_value(stmt.target.slice), env),
            builder.atom(stmt.value, env)]))  # (`dr[::-1] += t` too: the index as a value, slice(None, None, -1))
        update.lineno, update.number_element = stmt.lineno, True
        builder.stmts.append(update)
        return
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
    if isinstance(target, ast.Subscript):
        _write_element(parsed, stmt, target, builder, env)
        return
    if isinstance(stmt, ast.AugAssign):  # on an array, `y += v` writes into the array every name of it holds
        pairs = [(stmt.target, ast.BinOp(left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=stmt.op,
                                          right=stmt.value))]
    elif isinstance(stmt, ast.AnnAssign):
        if stmt.value is None:
            return
        pairs = [(stmt.target, stmt.value)]
    scratch = dict(env)  # also holds the values being unpacked, under names no variable has
    if isinstance(stmt, ast.Assign):
        pairs = []
        for target in stmt.targets:
            pairs.extend(_unpack(parsed, target, stmt.value, builder, scratch))
    # Every right-hand side is read before any name is rebound.
    rhss = [builder.rhs(value, scratch) for _, value in pairs]
    for (target, value), rhs in zip(pairs, rhss):
        env[target.id] = builder.emit(builder.namer.fresh(target.id), rhs, origin=value)
        if isinstance(stmt, ast.AugAssign) and not generated:  # a write if it is an array (`aliasing`)
            builder.stmts[-1].in_place = stmt
        if isinstance(rhs, ast.List) or (isinstance(rhs, ast.Name) and rhs.id in builder.owned) or (
                ir.converted(rhs) and rhs.func.id == "list"):  # (a new list: list(xs) copies xs)
            builder.owned.add(env[target.id].id)
        if isinstance(rhs, ast.Call) and ir.callee(rhs) is np.zeros_like:
            builder.new_arrays.add(target.id)


def _write_element(parsed, stmt, target, builder, env):
    """`x[i] = v` (or `x[i] += v`) as `x = with_item(x, i, v)`: a new array, so the values the
    backward sweep reads stay as they were.  `aliasing` refuses it where NumPy would differ (another
    name that may share the array is read after the write)."""
    if not isinstance(target.value, ast.Name):
        raise parsed.error(target, "write into an element with one index expression (x[i, j] = v), not x[i][j] = v.")
    name = target.value.id
    if isinstance(stmt, ast.AugAssign):
        value = ast.BinOp(left=ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), op=stmt.op,
                          right=stmt.value)
    else:
        value = stmt.value
    array = builder.atom(target.value, env)
    index = builder.atom(_index_value(target.slice), env)
    element = builder.atom(value, env)
    written = builder.emit(builder.namer.fresh(name), ast.Call(func=ir.name("with_item"), args=[array, index, element],
                                                               keywords=[]), origin=target)
    if not str(getattr(parsed.func, "__module__", "")).startswith("transpile.generated."):
        builder.stmts[-1].in_place = target  # (generated code writes only into its own arrays)
    env[name] = written


def _negative_constant(index):
    """Whether `index` is a negative int literal (`-1`, written as a unary minus or folded)."""
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand
        return isinstance(index, ast.Constant) and type(index.value) is int and index.value > 0
    return isinstance(index, ast.Constant) and type(index.value) is int and index.value < 0


def _index_value(index):
    """An index as a value: `1:, i` is `(slice(1, None, None), i)`."""
    if isinstance(index, ast.Slice):
        return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), keywords=[], args=[
            getattr(index, f) or ast.Constant(value=None) for f in ("lower", "upper", "step")])
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=ast.Load())
    return index


def _unpack(parsed, target, value, builder, env):
    """(target name, value expression) pairs; a value unpacked into a tuple is evaluated once."""
    if isinstance(target, ast.Name):
        return [(target, value)]
    if isinstance(value, (ast.Tuple, ast.List)) and len(target.elts) == len(value.elts):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _unpack(parsed, t, v, builder, env)]
    if isinstance(value, (ast.Tuple, ast.List)):
        raise parsed.error(target, f"{len(target.elts)} names but {len(value.elts)} values to unpack.")
    whole = builder.bind(builder.atom(value, env), env)
    return [pair for index, t in enumerate(target.elts) for pair in _unpack(
        parsed, t, ast.Subscript(value=whole, slice=ast.Constant(value=index), ctx=ast.Load()), builder, env)]


def _copy(atom):
    return ir.name(atom.id) if isinstance(atom, ast.Name) else ir.const(atom.value)


def source_line(parsed, stmt):
    """The user's source line `stmt` came from, naming the function if it was inlined."""
    origin = getattr(stmt, "source", None) or parsed
    text = origin.line_text(stmt.lineno)
    return text if origin is parsed else f"{text}  (in {origin.name})"


def check_rule(parsed, stmt):
    """Raise NoRuleError unless the operation in `stmt` has a derivative rule."""
    from .rules import rule_for

    func, args = ir.operation(stmt.value)
    if func is ir.identity:
        return None
    rule = rule_for(func, len(args))
    if rule is None:
        what = ast.unparse(stmt.value)
        if getattr(func, "__module__", "").startswith("transpile."):  # a helper of generated code
            raise (getattr(stmt, "source", None) or parsed).error(
                stmt, f"'{func.__name__}', which this generated derivative calls, has no derivative rule yet, so it "
                      "cannot be differentiated again (second order) here.", NoRuleError)
        raise (getattr(stmt, "source", None) or parsed).error(stmt, f"no derivative rule for '{what}'; add one with "
                                 "transpile.rules.partials or compute it outside the function.", NoRuleError)
    return rule
