"""Stage 3, forward mode: carry tangents beside the values.

After each primal statement `out = f(a, b)` comes its tangent
`dout = partial_a * da + partial_b * db`, with the partials from the same
`rules.RULES` entries reverse mode uses.  Several directions can travel
together (one per column of a Jacobian); each gets its own tangent names.
Inside an `if` the tangents are computed in the branch taken and merged at
its end like the values.  A value that depends on no seeded input has none.
"""

import ast

from . import ir
from .naming import derivative_name
from .normalize import Builder, source_line
from .reverse import _check_list_index
from .errors import NoRuleError
from .kinds import structured_names
from .partials import active_names, partials_of, split_sign, structure_operands
from .rules import LINEAR_HELPERS
from .shapes import SCALAR, Array


def forward(parsed, body, namer, directions, arrays=None):
    """The tangent sweep: returns (statements, tangents).

    `directions` maps a label (None when there is only one direction) to a
    seed: {parameter name: tangent atom}.  `statements` interleave the primal
    with its tangents; `tangents[label]` holds the tangent atom of each
    returned value (flattened) in that direction.
    """
    *primal, ret = body
    seeded = {name for seed in directions.values() for name in seed}
    sweep = _Sweep(parsed, namer, primal, active_names(parsed, primal, seeded), arrays)
    tangent = {label: dict(seed) for label, seed in directions.items()}
    sweep.along(primal, tangent)
    outputs = ir.returned_atoms(ret)
    tangents = {label: [known.get(o.id) or sweep.builder.atom(sweep.zero(o.id)) if isinstance(o, ast.Name)
                        else ir.const(0.0) for o in outputs] for label, known in tangent.items()}
    return sweep.builder.stmts, tangents


class _Sweep:
    def __init__(self, parsed, namer, primal, active, arrays=None):
        self.parsed, self.namer, self.active, self.arrays = parsed, namer, active, arrays
        self.structured = structured_names(primal)
        if arrays is not None:  # arrays and numbers are not lists
            self.structured -= {n for n, k in arrays.kinds.items() if isinstance(k, Array) or k == SCALAR}
        self.builder = Builder(namer)
        self.assigned = {}  # id of an `if` -> (the `if`, the names it assigns)

    def zero(self, var):
        """The zero tangent of `var`: 0.0, zeros shaped like an array, or a mirror of zeros for a structure."""
        if self.arrays is not None and self.arrays.is_array(var):
            return self.arrays.zero(var)
        if var not in self.structured:
            return ir.const(0.0)
        return ast.Call(func=ir.name("zeros_like"), args=[ir.name(var)], keywords=[])

    def _structure(self, stmt, label, known):
        """The tangent of an element read, a new structure, `sum` or an append; False if `stmt` is none."""
        builder = self.builder
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and ir.callee(stmt.value) in LINEAR_HELPERS:
            helper = stmt.value
            mirror = helper.args[0].id
            linear = LINEAR_HELPERS[ir.callee(helper)]
            terms = [i for i in linear if i != 0]  # what is added to the mirror (argument 0)
            if any(isinstance(helper.args[i], ast.Name) and helper.args[i].id in known for i in terms):
                if mirror not in known:
                    known[mirror] = builder.emit(self.namer.fresh(derivative_name(mirror, self.namer, label),
                                                                  temporary=True), self.zero(mirror))
                args = [a if i not in linear else ir.const(0.0) if not isinstance(a, ast.Name) else
                        known.get(a.id) or builder.atom(self.zero(a.id)) for i, a in enumerate(helper.args)]
                update = ast.Expr(value=ast.Call(func=helper.func, args=args, keywords=[]))
                update.number_element = getattr(stmt, "number_element", False)
                builder.stmts.append(update)
            return True
        if isinstance(stmt, ast.Expr) and ir.popped(stmt.value):
            if ir.popped(stmt.value) in known:
                builder.stmts.append(ast.Expr(value=ast.Call(func=ast.Attribute(
                    value=known[ir.popped(stmt.value)], attr="pop", ctx=ast.Load()), args=[], keywords=[])))
            return True
        if ir.appended(stmt):
            container, value = ir.appended(stmt), stmt.value.args[0]
            if container in known:
                tangent = known.get(value.id) if isinstance(value, ast.Name) else None
                builder.stmts.append(ir.append(known[container].id, tangent or builder.atom(self.zero(value.id) if
                                                                                         isinstance(value, ast.Name)
                                                                                         else ir.const(0.0))))
            return True
        if not isinstance(stmt, ast.Assign) or structure_operands(stmt.value) is None:
            return False
        result, value = ir.target(stmt), stmt.value
        if isinstance(value, ast.Subscript) and not (self.arrays is not None and self.arrays.is_array(value.value.id)):
            _check_list_index(self.parsed, stmt)
        if isinstance(value, ast.Subscript):
            rhs = ast.Subscript(value=known[value.value.id], slice=value.slice, ctx=ast.Load()) \
                if value.value.id in known else None
        elif ir.popped(value):
            rhs = ast.Call(func=ast.Attribute(value=known[ir.popped(value)], attr="pop", ctx=ast.Load()), args=[],
                           keywords=[]) if ir.popped(value) in known else None
        elif isinstance(value, ast.Call) and ir.callee(value) in LINEAR_HELPERS:
            linear = LINEAR_HELPERS[ir.callee(value)]
            if any(isinstance(value.args[i], ast.Name) and value.args[i].id in known for i in linear):
                args = [(known.get(a.id) or builder.atom(self.zero(a.id))) if i in linear and isinstance(a, ast.Name)
                        else ir.const(0.0) if i in linear else a for i, a in enumerate(value.args)]
                rhs = ast.Call(func=value.func, args=args, keywords=[])
            else:
                rhs = None
        elif ir.converted(value):  # a tangent of its own (a list for a tuple: a mirror), of the same elements
            rhs = ast.Call(func=ir.name("dict" if value.func.id == "dict" else "list"),
                           args=[known[ir.converted(value)]], keywords=[]) if ir.converted(value) in known else None
        elif isinstance(value, ast.Call):
            rhs = ast.Call(func=value.func, args=[known[value.args[0].id]], keywords=[]) \
                if value.args[0].id in known else None
        elif result in self.active:
            def tangent_of(element):
                if not isinstance(element, ast.Name):
                    return ir.const(0.0)
                return known.get(element.id) or builder.atom(self.zero(element.id))
            rhs = ast.Dict(keys=value.keys, values=[tangent_of(v) for v in value.values]) \
                if isinstance(value, ast.Dict) else type(value)(elts=[tangent_of(e) for e in value.elts],
                                                                ctx=ast.Load())
        else:
            rhs = None
        if rhs is None and result in self.active and result in self.structured and result not in known:
            rhs = self.zero(result)  # a mirror that active values are added to later (maybe inside a loop)
        if rhs is not None:
            known[result] = builder.emit(self.namer.fresh(derivative_name(result, self.namer, label),
                                                          temporary=True), rhs)
        return True

    def along(self, stmts, tangent):
        """Emit `stmts`, each followed by its tangents; `tangent[label]` maps name -> tangent atom."""
        builder = self.builder
        commented_line = None
        for stmt in stmts:
            if isinstance(stmt, ast.If):
                self._branch(stmt, tangent)
                commented_line = None
                continue
            if isinstance(stmt, (ast.For, ast.While)):
                self._loop(stmt, tangent)
                commented_line = None
                continue
            builder.stmts.append(stmt)
            if not isinstance(stmt, ast.Assign) and not ir.appended(stmt) and not (
                    isinstance(stmt, ast.Expr) and structure_operands(stmt.value)):
                continue
            builder.lineno = stmt.lineno
            for label, known in tangent.items():
                if self._structure(stmt, label, known):
                    continue
                result = ir.target(stmt)
                if isinstance(stmt.value, ast.Name) and result in self.structured:
                    if stmt.value.id in known:  # a copy of a structure
                        known[result] = known[stmt.value.id]
                    elif result in known:  # rebound (in a loop) to a copy of a value without tangent
                        known[result] = builder.atom(self.zero(result))
                    continue
                arrays = self.arrays
                if arrays is not None and arrays.array_rule(stmt):
                    try:
                        total = arrays.tangent(stmt, known)
                    except ValueError as exc:
                        raise (getattr(stmt, "source", None) or self.parsed).error(stmt, f"{exc}.",
                                                                                   NoRuleError) from None
                    partials = {} if total is None else {None: None}
                else:
                    partials = partials_of(self.parsed, stmt, known.__contains__)
                if not partials:
                    if result in known:  # a loop variable rebound to a value without tangent (an atom: a
                        known[result] = builder.atom(self.zero(result))  # carried tangent is compared by name)
                    continue
                if stmt.lineno != commented_line:
                    builder.stmts.append(ir.comment(f"tangent of: {source_line(self.parsed, stmt)}"))
                    commented_line = stmt.lineno
                if None not in partials:
                    total = self._combined(stmt, partials, known)
                known[result] = builder.emit(self.namer.fresh(derivative_name(result, self.namer, label),
                                                              temporary=True), builder.rhs(total))
                if arrays is not None and isinstance(known[result], ast.Name):  # a tangent has its value's shape
                    arrays.kinds.setdefault(known[result].id, arrays.kinds.get(result))

    def _combined(self, stmt, partials, known):
        """`sum(partial * tangent)` over the active arguments (broadcast to the result's shape)."""
        func, args = ir.operation(stmt.value)
        total = None
        for var, partial in partials.items():
            negative, magnitude = split_sign(partial)
            if self.arrays is not None:
                magnitude = self.arrays.numpy_partial(func, magnitude, args)
            term = ast.BinOp(left=magnitude, op=ast.Mult(), right=known[var])
            if total is None:
                total = ast.UnaryOp(op=ast.USub(), operand=term) if negative else term
            else:
                total = ast.BinOp(left=total, op=ast.Sub() if negative else ast.Add(), right=term)
        if self.arrays is not None:
            modules = {n.value.id for n in ast.walk(total)
                       if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
            names = [n.id for n in ast.walk(total) if isinstance(n, ast.Name) and n.id not in modules]
            total = self.arrays.broadcast_tangent(total, names, ir.target(stmt))
        return total

    def _assigned_in(self, block):
        """The names `block` assigns (remembered per nested `if`: an elif chain is deep)."""
        names = set()
        for stmt in block:
            if isinstance(stmt, ast.Assign):
                names.add(ir.target(stmt))
            elif isinstance(stmt, ast.If):
                if id(stmt) not in self.assigned:
                    self.assigned[id(stmt)] = (stmt, self._assigned_in(stmt.body) | self._assigned_in(stmt.orelse))
                names |= self.assigned[id(stmt)][1]
            else:
                names |= {ir.target(s) for s in ir.assignments(ir.blocks(stmt) and ir.blocks(stmt)[0])}
        return names

    def _branch(self, stmt, tangent):
        """The `if` with tangents inside each branch; tangents that differ are merged at the end."""
        swept = []
        for block in (stmt.body, stmt.orelse):
            branch_tangent = {label: dict(known) for label, known in tangent.items()}
            stmts, _ = self.builder.in_block(lambda: self.along(block, branch_tangent))
            swept.append((stmts, branch_tangent))
        (then_stmts, then_tangent), (else_stmts, else_tangent) = swept
        then_local, else_local = (self._assigned_in(block) for block in (stmt.body, stmt.orelse))
        local = then_local | else_local
        for label in tangent:
            a_known, b_known = then_tangent[label], else_tangent[label]
            before, tangent[label] = tangent[label], {}
            for var in sorted(set(a_known) | set(b_known)):
                a, b = a_known.get(var), b_known.get(var)
                if a is not None and b is not None and ir.atom_key(a) == ir.atom_key(b):
                    tangent[label][var] = a
                    continue
                if var not in before and (var in then_local) != (var in else_local):
                    # assigned on one path only: read after the `if` only under the same condition
                    # (a second `if` on it), where that path's tangent is there too; no merge (one
                    # per variable of every branch nested inside made an elif chain quadratic)
                    tangent[label][var] = a if var in then_local else b
                    continue
                merged = self.namer.fresh(derivative_name(var, self.namer, label), temporary=True)
                # (a name of one branch only is unread after the `if`; one both assign, the merge of an
                # array, is read, so its zero has its shape)
                zero = ir.const(0.0) if var in local and not (var in then_local and var in else_local) \
                    else self.zero(var)
                then_stmts.append(ir.assign(merged, zero if _no_tangent(a) else a, stmt.lineno))
                else_stmts.append(ir.assign(merged, zero if _no_tangent(b) else b, stmt.lineno))
                tangent[label][var] = ir.name(merged)
        self.builder.stmts.append(ir.branch(stmt.test, then_stmts, else_stmts, stmt.lineno))

    def _loop(self, stmt, tangent):
        """The loop with tangents in its body; a carried value's tangent is carried too."""
        ir.prune_carried(stmt)
        read = {n for s in ir.walk(stmt.body) for n in ir.names_used(s)}
        carried_tangent = {}  # label -> {carried name: tangent variable}
        inner = {}
        for label, known in tangent.items():
            if not (read & set(known)) and not any(n in known for n in stmt.carried):
                inner[label] = dict(known)
                continue  # no tangent enters this loop in this direction
            carried_tangent[label] = {}
            inner[label] = dict(known)
            for name in stmt.carried:
                variable = self.namer.fresh(derivative_name(name, self.namer, label), temporary=True)
                self.builder.emit(variable, known.get(name) or self.zero(name))
                carried_tangent[label][name] = variable
                inner[label][name] = ir.name(variable)

        def one_pass():
            self.along(stmt.body, inner)
            for label, variables in carried_tangent.items():
                updates = [(v, inner[label].get(n, ir.const(0.0))) for n, v in variables.items()]
                updates = [(v, value) for v, value in updates if ir.atom_key(value) != ("name", v)]
                if any(isinstance(value, ast.Name) and value.id in variables.values() for _, value in updates):
                    updates = [(v, self.builder.emit(self.namer.fresh("held", temporary=True), value))
                               for v, value in updates]  # a swap: read all before writing any
                for v, value in updates:
                    self.builder.emit(v, value)

        body, _ = self.builder.in_block(one_pass)
        stmt.body = body
        stmt.carried = list(stmt.carried) + [v for variables in carried_tangent.values() for v in variables.values()]
        self.builder.stmts.append(stmt)
        for label, variables in carried_tangent.items():
            for name, variable in variables.items():
                tangent[label][name] = ir.name(variable)


def _no_tangent(tangent):
    """Whether a branch's tangent is none or the number 0.0 (which, for an array merged at the join,
    must be zeros of its shape)."""
    return tangent is None or (isinstance(tangent, ast.Constant) and tangent.value == 0)
