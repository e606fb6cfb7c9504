"""Stage 3, reverse mode: append the backward sweep to a normalized body.

The forward sweep is the normalized primal itself.  The backward sweep walks
it in reverse; for each statement `out = f(a, b)` whose adjoint `dout` is
nonzero it adds `partial_i * dout` to the adjoint of each active argument,
with the partials taken from `rules.RULES`.  An `if` is swept by the same
`if` on the same (still available) test, each branch in reverse, and the
adjoints the branches changed are merged like variables.  Adjoints are
symbolic: a variable nobody differentiates through has none (no `0 * ...`).
"""

import ast
import collections
import copy

import numpy as np

from . import ir
from .errors import NoRuleError
from .naming import derivative_name
from .normalize import Builder, source_line
from .kinds import structured_names
from .partials import active_names, partials_of, split_sign, structure_operands
from .rules import LINEAR_HELPERS
from .shapes import OTHER, SCALAR, SOME_ARRAY, Array, broadcast, same_shape


def reverse(parsed, body, namer, wrt, seeds, arrays=None):
    """The backward sweep: returns (statements, gradients).

    `body` is the normalized primal (ending in its return), `wrt` a tuple of
    parameter names, `seeds` one adjoint atom per returned value (1.0 for a
    gradient, a cotangent parameter for a pullback), `arrays` an `arrays.Arrays`
    for code specialised to NumPy arguments.  `statements` are the primal
    followed by the sweep; `gradients` holds one atom per name in `wrt`.
    """
    *primal, ret = body
    for stmt in ir.walk(primal):
        value = getattr(stmt, "value", None)
        if ir.popped(value) or isinstance(value, ast.Call) and ir.callee(value) in LINEAR_HELPERS:
            raise (getattr(stmt, "source", None) or parsed).error(
                stmt, "reverse mode over a generated gradient that keeps a tape or updates lists is not "
                      "supported; take second derivatives with transpile.hessian or mode='forward'.")
    primal = _record(primal, namer)
    sweep = _Sweep(parsed, namer, active_names(parsed, primal, wrt), primal, arrays)
    adjoint = {}
    for output, seed in zip(ir.returned_atoms(ret), seeds):
        if isinstance(output, ast.Name) and output.id in sweep.active:
            if output.id in sweep.structured:  # updated in place: never the caller's cotangent itself
                adjoint[output.id] = sweep.builder.emit(namer.fresh(derivative_name(output.id, namer)),
                                                        sweep.zero(output.id))
            sweep.add(adjoint, output.id, seed)
    sweep.backward(primal, adjoint)
    sweep.materialize(adjoint)
    gradients = []
    read = {n for stmt in ir.walk(primal) for n in ir.names_used(stmt)}
    for p in wrt:
        if p not in read:  # a parameter the function ignores: zero, in the argument's structure
            sweep.structured.add(p)
        gradient = adjoint.get(p) or sweep.builder.atom(sweep.zero(p))
        if p in sweep.structured or (arrays is not None and arrays.kinds.get(p) == OTHER):
            # a mirror (or a list or array a NumPy function gave for a sequence): tuples where the argument has them
            gradient = sweep.builder.atom(_runtime("as_gradient", gradient, ir.name(p),  # (names it in errors)
                                                   ir.const(f"'{parsed.name}' with respect to '{p}'")))
        elif arrays is not None:  # a float for a float (not a NumPy scalar), float32 for float32
            kind = arrays.kinds.get(p)
            if kind == SCALAR:
                gradient = sweep.builder.atom(ast.Call(func=ir.name("float"), args=[gradient], keywords=[]))
            elif isinstance(kind, Array) and kind.dtype != "d":
                gradient = sweep.builder.atom(_call("as_dtype_of", gradient, ir.name(p)))
        gradients.append(gradient)
    return _without_unread_tapes(primal, sweep.builder.stmts) + sweep.builder.stmts, gradients


def _runtime(helper, *args):
    """A call of a `transpile.runtime` helper."""
    return ast.Call(func=ir.name(helper), args=list(args), keywords=[])


def _call(spelled, *args, **keywords):
    return ast.Call(func=ast.parse(spelled, mode="eval").body, args=list(args),
                    keywords=[ast.keyword(arg=k, value=v) for k, v in keywords.items()])


def _constant(atom, value):
    return isinstance(atom, ast.Constant) and atom.value is value


def _tape(stmt):
    """Mark `stmt` as part of a loop's recording, which passes may drop once nothing reads it."""
    stmt.tape = True
    return stmt


def _without_unread_tapes(primal, backward):
    """Drop the recording of loops whose passes the backward sweep never replays (they do not
    reach the output): their tapes would only fill."""
    popped = {s.value.func.value.id for s in ir.assignments(backward)
              if getattr(s, "tape", False) and isinstance(s.value, ast.Call)}

    def keep(stmt):
        if not getattr(stmt, "tape", False):
            return True
        return (ir.appended(stmt) or ir.target(stmt)) in popped

    def strip(stmts):
        for stmt in stmts:
            for block in ir.blocks(stmt):
                block[:] = strip(block)
        return [s for s in stmts if keep(s)]

    return strip(primal)


def _record(stmts, namer):
    """Make each loop keep, on a tape (a list), the carried values at the top of every pass,
    and a while loop count its passes: the backward sweep replays the passes in reverse."""
    out = []
    for stmt in stmts:
        for block in ir.blocks(stmt):
            block[:] = _record(block, namer)
        if isinstance(stmt, (ast.For, ast.While)):
            ir.prune_carried(stmt)
            stmt.replay = list(stmt.body)  # what a backward pass recomputes (nested loops record again)
            stmt.tapes = {name: namer.fresh(name + "_tape") for name in stmt.carried}
            out.extend(_tape(ir.assign(tape, ast.List(elts=[], ctx=ast.Load()), stmt.lineno))
                       for tape in stmt.tapes.values())
            pushes = [_tape(ir.append(tape, ir.name(name))) for name, tape in stmt.tapes.items()]
            if isinstance(stmt, ast.While):
                stmt.passes = namer.fresh("passes")
                out.append(ir.assign(stmt.passes, ir.const(0), stmt.lineno))
                pushes.append(ir.assign(stmt.passes, ast.BinOp(left=ir.name(stmt.passes), op=ast.Add(),
                                                               right=ir.const(1)), stmt.lineno))
            for push in pushes:  # this loop's own recording (the tapes of loops inside it start empty each pass)
                push.push = True
            stmt.body = pushes + stmt.body
        out.append(stmt)
    return out


def _check_list_index(parsed, stmt):
    """Slices and several indices are for arrays; a list or dict takes one index."""
    if isinstance(stmt.value, ast.Subscript) and isinstance(stmt.value.slice, (ast.Slice, ast.Tuple)):
        raise (getattr(stmt, "source", None) or parsed).error(
            stmt, "slices and several indices (x[1:], x[i, j]) are for NumPy arrays; index a list element by "
                  "element (xs[i], m[i][j]).")


def _replayable(body):
    """`body` without appends to lists it did not create: a backward pass recomputes the values
    of its pass, but those lists already hold everything the loop appended."""
    created = {ir.target(s) for s in ir.assignments(body)}

    def strip(stmts):
        kept = []
        for stmt in stmts:
            if ir.appended(stmt) and ir.appended(stmt) not in created and not getattr(stmt, "tape", False):
                continue
            if ir.blocks(stmt):
                stmt = copy.copy(stmt)
                for field in ("body", "orelse"):
                    if hasattr(stmt, field):
                        setattr(stmt, field, strip(getattr(stmt, field)))
                if isinstance(stmt, ast.If) and not stmt.body:
                    stmt.body = [ast.Pass()]
            kept.append(stmt)
        return kept

    return strip(body)


class _Sweep:
    def __init__(self, parsed, namer, active, primal, arrays=None):
        self.parsed, self.namer, self.active, self.arrays = parsed, namer, active, arrays
        self.structured = structured_names(primal)
        if arrays is not None:  # arrays and numbers are not lists
            self.structured -= {n for n, k in arrays.kinds.items() if isinstance(k, Array) or k == SCALAR}
        self.builder = Builder(namer)
        # Adjoints of arrays that are one number spread over the array (the seed of `np.sum(x)`):
        # name -> that number.  Multiplied into a partial shaped like the array, it need never be spread.
        self.uniform = {}
        self.definitions = {ir.target(s): s for s in ir.assignments(primal)}
        # Names with one value wherever they are bound: not merged after a branch or carried by a loop,
        # whose value (and size) depends on the path taken, and which a loop of no pass leaves unbound.
        counts = collections.Counter(ir.target(s) for s in ir.assignments(primal))
        self.single = {n for n, c in counts.items() if c == 1 and n not in parsed.params} | (
            set(parsed.params) - set(counts))

    def materialize(self, adjoint, names=None):
        """Spread uniform adjoints (all, or those of `names`) into arrays, as ordinary adjoints."""
        for var in [v for v in self.uniform if names is None or v in names]:
            value = self.uniform.pop(var)
            self.add(adjoint, var, _call("np.full_like", ir.name(var), value))

    def zero(self, var):
        """The zero adjoint of `var`: 0.0, zeros shaped like an array, or a mirror of zeros for a structure."""
        if self.arrays is not None and self.arrays.is_array(var):
            return self.arrays.zero(var)
        return ir.const(0.0) if var not in self.structured else _runtime("zeros_like", ir.name(var))

    def add(self, adjoint, var, term, negative=False):
        """adjoint[var] += term (or -= term), as a new SSA version."""
        if var in self.uniform:
            self.materialize(adjoint, {var})
        builder = self.builder
        if var in adjoint and var in self.structured:  # a mirror, updated in place
            rhs = _runtime("add_into", adjoint[var], builder.atom(term))
        elif var in adjoint:
            rhs = ast.BinOp(left=adjoint[var], op=ast.Sub() if negative else ast.Add(), right=builder.atom(term))
        else:
            rhs = ast.UnaryOp(op=ast.USub(), operand=builder.atom(term)) if negative else builder.rhs(term)
        adjoint[var] = builder.emit(self.namer.fresh(derivative_name(var, self.namer), temporary=True), rhs)

    def mirror(self, adjoint, var):
        """The adjoint of structure `var`, made (zeros) if nothing has added to it yet."""
        if var not in adjoint:
            adjoint[var] = self.builder.emit(self.namer.fresh(derivative_name(var, self.namer), temporary=True),
                                             self.zero(var))
        return adjoint[var]

    def _structure(self, stmt, adjoint):
        """The adjoint of an element read, a new structure, `sum` or an append; False if `stmt` is none."""
        builder, namer = self.builder, self.namer
        if ir.appended(stmt):
            container, value = ir.appended(stmt), stmt.value.args[0]
            if container not in self.active:
                return True
            pop = ast.Call(func=ast.Attribute(value=self.mirror(adjoint, container), attr="pop", ctx=ast.Load()),
                           args=[], keywords=[])
            if isinstance(value, ast.Name) and value.id in self.active:
                self.add(adjoint, value.id, builder.emit(namer.fresh("popped", temporary=True), pop))
            else:  # keep the mirror as long as the list was at this point
                builder.stmts.append(ast.Expr(value=pop))
            return True
        if not isinstance(stmt, ast.Assign) or structure_operands(stmt.value) is None:
            return False
        result, value = ir.target(stmt), stmt.value
        _check_list_index(self.parsed, stmt)
        if result not in adjoint:
            return True
        dresult = adjoint.pop(result)
        if isinstance(value, ast.Subscript):
            update = ast.Expr(value=_runtime("add_at", self.mirror(adjoint, value.value.id), value.slice, dresult))
            update.number_element = result not in self.structured  # emitted as `dxs[i] += dy`
        elif ir.converted(value):  # list(xs), tuple(xs), dict(d): the same elements, so the same adjoint
            self.add(adjoint, ir.converted(value), dresult)
            return True
        elif isinstance(value, ast.Call):  # sum(xs): every element gets the adjoint of the total
            update = ast.Expr(value=_runtime("add_each", self.mirror(adjoint, value.args[0].id), dresult))
        else:
            keys = [ir.const(i) for i in range(len(value.elts))] if not isinstance(value, ast.Dict) else value.keys
            elements = value.elts if not isinstance(value, ast.Dict) else value.values
            for element, key in zip(elements, keys):
                if isinstance(element, ast.Name) and element.id in self.active:
                    self.add(adjoint, element.id, ast.Subscript(value=dresult, slice=key, ctx=ast.Load()))
            return True
        update.lineno = builder.lineno
        builder.stmts.append(update)  # the mirror is updated in place: its adjoint keeps its name
        return True

    def backward(self, stmts, adjoint):
        """Emit the adjoints of `stmts`, last statement first, updating `adjoint` (name -> atom)."""
        commented_line = None
        for stmt in reversed(stmts):
            if isinstance(stmt, (ast.If, ast.For, ast.While)):
                self.materialize(adjoint)  # branches and loops merge and carry plain adjoints
            if isinstance(stmt, ast.If):
                self._branch(stmt, adjoint)
                commented_line = None
                continue
            if isinstance(stmt, (ast.For, ast.While)):
                self._loop(stmt, adjoint)
                commented_line = None
                continue
            touched = ir.appended(stmt) in self.active if ir.appended(stmt) else \
                isinstance(stmt, ast.Assign) and (ir.target(stmt) in adjoint or ir.target(stmt) in self.uniform)
            if not touched:
                continue
            if isinstance(stmt, ast.Assign) and ir.target(stmt) in self.uniform and not self._spreads(stmt):
                self.materialize(adjoint, {ir.target(stmt)})
            if stmt.lineno != commented_line:
                self.builder.stmts.append(ir.comment(f"grad of: {source_line(self.parsed, stmt)}"))
                commented_line = stmt.lineno
            self.builder.lineno = stmt.lineno
            arrays = self.arrays
            if arrays is not None and isinstance(stmt, ast.Assign) and self._seeds_uniform(stmt, adjoint):
                continue
            if arrays is not None and isinstance(stmt, ast.Assign) and (arrays.indexed(stmt) or arrays.array_rule(stmt)):
                dresult = adjoint.pop(ir.target(stmt))
                try:
                    terms = arrays.adjoints(stmt, dresult, self.active.__contains__)
                except ValueError as exc:
                    raise (getattr(stmt, "source", None) or self.parsed).error(stmt, f"{exc}.", NoRuleError) from None
                for var, term in terms.items():
                    self.add(adjoint, var, term)
                continue
            if self._structure(stmt, adjoint):
                continue
            result = ir.target(stmt)
            if result in self.uniform:
                self._spread(stmt, adjoint)
                continue
            dresult = adjoint.pop(result)
            if isinstance(stmt.value, ast.Name) and result in self.structured:  # a copy of a structure
                self.add(adjoint, stmt.value.id, dresult)
                continue
            func, args = ir.operation(stmt.value)
            for var, partial in partials_of(self.parsed, stmt, self.active.__contains__).items():
                negative, magnitude = split_sign(partial)
                term = ast.BinOp(left=magnitude, op=ast.Mult(), right=dresult)
                if arrays is not None:
                    magnitude = arrays.numpy_partial(func, magnitude, args)
                    term = arrays.reduced(ast.BinOp(left=magnitude, op=ast.Mult(), right=dresult), var, result, args)
                self.add(adjoint, var, term, negative)

    def _seeds_uniform(self, stmt, adjoint):
        """`s = np.sum(x)` (or np.mean) over all axes: x's adjoint is ds (ds / x.size) spread over x,
        kept as that one number while it can be (`uniform`).  Returns whether it was."""
        func, args = ir.operation(stmt.value)
        result = ir.target(stmt)
        if func not in (np.sum, np.mean) or result not in adjoint or not isinstance(args[0], ast.Name):
            return False
        x = args[0].id
        if not (_constant(args[1], None) and _constant(args[2], False)) or not self.arrays.is_array(x) \
                or x in adjoint or x in self.uniform or x not in self.active:
            return False
        dresult = adjoint.pop(result)
        value = dresult if func is np.sum else ast.BinOp(left=dresult, op=ast.Div(),
                                                           right=_call("np.size", ir.name(self._same_size(x))))
        self.uniform[x] = self.builder.atom(value)
        return True

    def _same_size(self, x):
        """A name as large as `x` that the sweep reads anyway: an operand of the elementwise statement
        defining x with x's kind, and so on back (so `np.size(r)`, not `np.size(r * r)`, which would
        compute r * r)."""
        seen = {x}
        while x in self.definitions and x in self.single and self._spreads(self.definitions[x]):
            same = [arg.id for arg in ir.operation(self.definitions[x].value)[1] if isinstance(arg, ast.Name)
                    and arg.id not in seen and arg.id in self.single
                    and same_shape(self.arrays.kinds.get(arg.id), self.arrays.kinds[x])]
            if not same:
                break
            x = same[0]
            seen.add(x)
        return x

    def _spreads(self, stmt):
        """Whether `stmt` is elementwise (so a uniform adjoint of its result can pass through it)."""
        if not isinstance(stmt.value, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Name)) or self.arrays is None:
            return False
        if self.arrays.indexed(stmt) or self.arrays.array_rule(stmt) or structure_operands(stmt.value) is not None:
            return False
        return isinstance(self.arrays.kinds.get(ir.target(stmt)), Array) and \
            self.arrays.kinds[ir.target(stmt)] != SOME_ARRAY

    def _spread(self, stmt, adjoint):
        """The adjoint of an elementwise statement whose result's adjoint is the number u spread:
        a constant partial passes u on (still one number) to an operand of the result's kind; a
        partial shaped like the result is multiplied by u itself; anything else spreads u first."""
        arrays, result = self.arrays, ir.target(stmt)
        u = self.uniform.pop(result)
        kind = arrays.kinds[result]
        func, args = ir.operation(stmt.value)
        for var, partial in partials_of(self.parsed, stmt, self.active.__contains__).items():
            negative, magnitude = split_sign(partial)
            magnitude = arrays.numpy_partial(func, magnitude, args)
            if isinstance(magnitude, ast.Constant) and same_shape(arrays.kinds.get(var), kind) and var not in adjoint:
                scaled = ast.BinOp(left=magnitude, op=ast.Mult(), right=u)
                if var in self.uniform:
                    scaled = ast.BinOp(left=self.uniform[var], op=ast.Sub() if negative else ast.Add(), right=scaled)
                elif negative:
                    scaled = ast.UnaryOp(op=ast.USub(), operand=scaled)
                self.uniform[var] = self.builder.atom(scaled)
                continue
            names = [n.id for n in ast.walk(magnitude) if isinstance(n, ast.Name)]
            shaped = names and (same_shape(broadcast([arrays.kinds.get(n) for n in names]), kind)
                                or set(names) <= arrays.unstretched(args) | {result})
            spread = u if shaped else _call("np.full_like", ir.name(result), u)
            term = arrays.reduced(ast.BinOp(left=magnitude, op=ast.Mult(), right=spread), var, result, args)
            self.add(adjoint, var, term, negative)

    def _branch(self, stmt, adjoint):
        """The same `if`, each branch swept backwards; adjoints that differ are merged."""
        swept = []
        for block in (stmt.body, stmt.orelse):
            branch_adjoint = dict(adjoint)
            stmts, _ = self.builder.in_block(lambda: self.backward(block, branch_adjoint))
            swept.append((stmts, branch_adjoint))
        (then_stmts, then_adjoint), (else_stmts, else_adjoint) = swept
        adjoint.clear()
        for var in sorted(set(then_adjoint) | set(else_adjoint)):
            a, b = then_adjoint.get(var), else_adjoint.get(var)
            if a is not None and b is not None and ir.atom_key(a) == ir.atom_key(b):
                adjoint[var] = a
                continue
            merged = self.namer.fresh(derivative_name(var, self.namer), temporary=True)
            then_stmts.append(ir.assign(merged, a if a is not None else self.zero(var), stmt.lineno))
            else_stmts.append(ir.assign(merged, b if b is not None else self.zero(var), stmt.lineno))
            adjoint[var] = ir.name(merged)
        if then_stmts or else_stmts:
            self.builder.stmts.append(ir.branch(ir.name(stmt.test.id) if isinstance(stmt.test, ast.Name)
                                                else stmt.test, then_stmts or [ast.Pass()], else_stmts, stmt.lineno))

    def _loop(self, stmt, adjoint):
        """The passes of a loop in reverse: each pops its carried values off the tape,
        recomputes its values, then sweeps its statements backwards."""
        carried = stmt.carried
        created = {ir.target(s) for s in ir.assignments(stmt.body)}
        grown = [n for n in {ir.appended(s) for s in ir.walk(stmt.body)} - {None} - created if n in self.active]
        if not any(name in adjoint for name in carried + grown):
            return  # nothing the loop computes reaches the output
        builder, namer = self.builder, self.namer
        assigned = {ir.target(s) for s in ir.assignments(stmt.replay)}
        read = {n for s in ir.walk(stmt.replay) for n in ir.names_used(s)}
        outer = sorted(n for n in read - assigned if n in self.active)
        loop_adjoint = {}
        for name in carried + outer:  # one adjoint variable each, updated by every pass
            loop_adjoint[name] = namer.fresh(derivative_name(name, namer), temporary=True)
            start = adjoint.pop(name, None) if name in carried else adjoint.get(name)
            builder.emit(loop_adjoint[name], start if start is not None else self.zero(name))
        replay, renamed = _renamed_copy(stmt.replay, set(carried), namer)
        self.active |= {new for old, new in renamed.items() if old in self.active}
        self.structured |= {new for old, new in renamed.items() if old in self.structured}
        if self.arrays is not None:
            self.arrays.renamed(renamed)
        inner = {name: ir.name(variable) for name, variable in loop_adjoint.items()}

        def one_pass():
            for name in carried:
                builder.emit(name, ast.Call(func=ast.Attribute(value=ir.name(stmt.tapes[name]), attr="pop",
                                                              ctx=ast.Load()), args=[], keywords=[]))
                _tape(builder.stmts[-1])
            builder.stmts.extend(_replayable([s for s in replay if not (isinstance(s, ast.Assign)
                                                                        and ir.target(s) in carried)]))
            self.backward(replay, inner)
            updates = [(variable, inner.get(name, ir.const(0.0))) for name, variable in loop_adjoint.items()]
            updates = [(variable, value) for variable, value in updates if ir.atom_key(value) != ("name", variable)]
            if any(isinstance(v, ast.Name) and v.id in loop_adjoint.values() for _, v in updates):
                # a swap (a, b = b, a): read every new value before writing any
                updates = [(variable, builder.emit(namer.fresh("held", temporary=True), value))
                           for variable, value in updates]
            for variable, value in updates:
                builder.emit(variable, value)

        body, _ = builder.in_block(one_pass)
        if isinstance(stmt, ast.For):
            index = stmt.target.id
            bounds = stmt.iter.args[0].args if stmt.iter.func.id == "reversed" else stmt.iter.args
            loop = ir.loop(index, bounds, body, stmt.lineno, backwards=stmt.iter.func.id != "reversed")
        else:
            loop = ir.loop(namer.fresh("_pass"), [ir.name(stmt.passes)], body, stmt.lineno)
        loop.carried = list(loop_adjoint.values())
        origin = getattr(stmt, "source", None) or self.parsed
        header = origin.lines[stmt.lineno - 1].strip() if 0 < stmt.lineno <= len(origin.lines) else "a loop"
        builder.stmts.append(ir.comment(f"grad of: {header}  (passes in reverse)"))
        builder.stmts.append(loop)
        for name, variable in loop_adjoint.items():
            adjoint[name] = ir.name(variable)


def _renamed_copy(stmts, keep, namer):
    """A copy of `stmts` whose assigned names (but those in `keep`) are fresh, so each stays
    single-assigned; returns (copy, {old name: new name})."""
    sources = {id(s.source): s.source for s in ir.walk(stmts) if hasattr(s, "source")}
    stmts = copy.deepcopy(stmts, memo=sources)  # the statements, not the functions they came from
    names = dict.fromkeys(ir.target(s) if isinstance(s, ast.Assign) else s.target.id  # in program order:
                          for s in ir.walk(stmts) if isinstance(s, (ast.Assign, ast.For)))  # fresh names are numbered
    mapping = {n: namer.fresh(namer.base_of.get(n, n), temporary=n in namer.temporaries) for n in names if n not in keep}
    for stmt in ir.walk(stmts):
        ir.replace_reads(stmt, lambda var: ir.name(mapping[var]) if var in mapping else None)
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target if isinstance(stmt, ast.For) else None
        if target is not None and target.id in mapping:
            target.id = mapping[target.id]
        if hasattr(stmt, "carried"):
            stmt.carried = [mapping.get(n, n) for n in stmt.carried]
            stmt.tapes = {mapping.get(n, n): mapping.get(t, t) for n, t in getattr(stmt, "tapes", {}).items()}
            if hasattr(stmt, "passes"):
                stmt.passes = mapping.get(stmt.passes, stmt.passes)
    for stmt in ir.walk(stmts):  # once every name is renamed
        if hasattr(stmt, "carried"):
            # its own pushes only: the tapes of the loops inside are made afresh in every pass
            stmt.replay = [s for s in stmt.body if not getattr(s, "push", False)]
    return stmts, mapping
