"""What both sweeps need to know about arrays, given the kinds of the values (`shapes`).

Elementwise operations keep the partials of the table (with `math.*` read as
`np.*`); an adjoint of a broadcast operand is summed back to its shape, and a
tangent is broadcast to its value's shape, where the kinds say so.  Array
operations (reductions, `@`, reshapes, indexing) use their adjoint templates
and are linear or have a tangent template.
"""

import ast
import copy
import math
from dataclasses import replace

from . import ir, numpy_rules, rules
from .partials import substitute
from .shapes import OTHER, SCALAR, Array, broadcast, reduced_axes, same_shape


def _call(spelled, *args, **keywords):
    return ast.Call(func=ast.parse(spelled, mode="eval").body, args=list(args),
                    keywords=[ast.keyword(arg=k, value=v) for k, v in keywords.items()])


class Arrays:
    """The kinds of one function's values and the array-aware pieces of its sweeps."""

    def __init__(self, kinds):
        self.kinds = kinds  # name -> kind (None: unknown)

    def kind(self, atom):
        if isinstance(atom, ast.Name):
            return self.kinds.get(atom.id)
        return SCALAR if isinstance(atom.value, (int, float, numpy_rules.np.number)) else OTHER

    def renamed(self, mapping):
        """Kinds for the fresh names of a replayed loop body."""
        for old, new in mapping.items():
            self.kinds.setdefault(new, self.kinds.get(old))

    def is_array(self, name):
        return isinstance(self.kinds.get(name), Array)

    def zero(self, var):
        """A zero adjoint or tangent for `var`: zeros of its shape and dtype for an array, 0.0 for a
        number, and where the kinds cannot tell, the run-time `zeros_like` (a number for a number,
        zeros for an array: 0.0 there broadcast into a shape-less gradient)."""
        if self.is_array(var):
            return _call("np.zeros_like", ir.name(var))
        return _call("zeros_like", ir.name(var)) if self.kinds.get(var) is None else ir.const(0.0)

    def array_rule(self, stmt):
        """The array-operation rule of `stmt` (a reduction, `@`, ...), or None (elementwise, or none)."""
        func, args = ir.operation(stmt.value)
        rule = rules.rule_for(func, len(args)) if func is not None else None
        if ir.converted(stmt.value) and not isinstance(self.kind(args[0]), Array) and self.kind(args[0]) is not None:
            return None  # list(xs) of a structure: a copy (`ir.converted`), not rows of an array
        return rule if rule is not None and rule.adjoints is not None else None

    def indexed(self, stmt):
        """Whether `stmt` reads an element or slice of an array."""
        return isinstance(stmt.value, ast.Subscript) and isinstance(self.kind(stmt.value.value), Array)

    def adjoints(self, stmt, dresult, is_active):
        """{argument name: adjoint term} of an array operation or an array read, for reverse mode."""
        value = stmt.value
        if isinstance(value, ast.Subscript):
            return {value.value.id: _call("scatter_add", dresult, value.value, index_value(value.slice))}
        func, args = ir.operation(value)
        rule = rules.rule_for(func, len(args))
        by_kind = numpy_rules.ADJOINTS_BY_KIND.get(func)
        templates = [rules._template(t, rule.params) if t else None for t in by_kind([self.kind(a) for a in args])] \
            if by_kind else rule.adjoints
        if func is numpy_rules.np.concatenate and isinstance(args[1], ast.Constant) and args[1].value is None:
            raise ValueError("np.concatenate(..., axis=None) is not supported; flatten the arrays first")
        if func in numpy_rules.ADJOINTS_BY_ARGS:
            texts = numpy_rules.ADJOINTS_BY_ARGS[func]([self.kind(a) for a in args], args)
            if texts is None:
                raise ValueError(f"{ast.unparse(value)}: only two-operand einsum with an explicit output, whose "
                                 "indices each appear in the other operand or the output, is supported")
            templates = [rules._template(t, rule.params) for t in texts]
        found = {}
        for arg, template in zip(args, templates):
            if template is None or not isinstance(arg, ast.Name) or not is_active(arg.id):
                continue
            term = substitute(template, rule.params, args, ir.target(stmt), dout=dresult)
            found[arg.id] = term if arg.id not in found else ast.BinOp(left=found[arg.id], op=ast.Add(), right=term)
        return found

    def tangent(self, stmt, known):
        """The tangent of an array operation or read from the tangents `known` (name -> atom), or None.
        Raises ValueError for an operation the argument kinds leave without a derivative."""
        value = stmt.value
        if isinstance(value, ast.Subscript):
            base = value.value.id
            return ast.Subscript(value=known[base], slice=value.slice, ctx=ast.Load()) if base in known else None
        func, args = ir.operation(value)
        rule = rules.rule_for(func, len(args))
        by_kind = numpy_rules.TANGENTS_BY_KIND.get(func)
        text = by_kind([self.kind(a) for a in args]) if by_kind else None
        if text is not None:
            rule = replace(rule, tangent=rules._template(text, rule.params + tuple("d_" + p for p in rule.params)))
        if rule.tangent is not None:
            if not any(isinstance(a, ast.Name) and a.id in known for a in args):
                return None
            differentials = [known.get(a.id, self.zero(a.id)) if isinstance(a, ast.Name) else ir.const(0.0)
                             for a in args]
            return substitute(rule.tangent, rule.params + tuple("d_" + p for p in rule.params), args + differentials,
                              ir.target(stmt))
        total = None
        for position in rule.linear:  # linear in each: the operation applied to that tangent
            arg = args[position]
            if isinstance(arg, ast.Name) and arg.id in known:
                term = ir.build(func, [known[arg.id] if i == position else a for i, a in enumerate(args)])
                total = term if total is None else ast.BinOp(left=total, op=ast.Add(), right=term)
        return total

    def reduced(self, term, var, result, operands=()):
        """`term` (shaped like `result`) summed over the axes `var` was broadcast along, where `var`
        is one of the `operands` of the elementwise operation that made `result`."""
        if var in self.unstretched(operands):
            return term
        axes = reduced_axes(self.kinds.get(var), self.kinds.get(result))
        if axes is None:
            return _call("unbroadcast", term, ir.name(var))
        if axes == "all":
            return _call("np.sum", term) if isinstance(self.kinds.get(result), Array) else term
        lead, kept = axes
        if lead:
            term = _call("np.sum", term, axis=_tuple(lead))
        if kept:
            term = _call("np.sum", term, axis=_tuple(kept), keepdims=ir.const(True))
        return term

    def unstretched(self, operands):
        """The name among the `operands` of an elementwise operation that has the result's shape
        because nothing else could stretch it (`x * x`, `2.0 * x`, a copy), as a set (or none)."""
        names = {a.id for a in operands if isinstance(a, ast.Name) and self.kinds.get(a.id) != SCALAR}
        constants = all(isinstance(a, ast.Constant) or isinstance(a, ast.Name) for a in operands)
        return names if len(names) == 1 and constants else set()

    def broadcast_tangent(self, total, names, result):
        """`total` (over `names`) broadcast to `result`'s shape unless the kinds show it has it."""
        result_kind = self.kinds.get(result)
        if result_kind == SCALAR or same_shape(broadcast([self.kinds.get(n) for n in names]), result_kind):
            return total
        return _call("np.broadcast_to", total, _call("np.shape", ir.name(result)))

    def numpy_partial(self, func, partial, args):
        """A scalar rule's partial, made to work on arrays (`math.log` -> `np.log`)."""
        if func in (abs, math.fabs):  # sign(x), written for arrays and NumPy numbers (no bool - bool)
            return _call("np.sign", args[0])
        if not any(isinstance(self.kind(a), Array) or self.kind(a) is None for a in args):
            return partial
        partial = _Elementwise().visit(copy.deepcopy(partial))
        for node in ast.walk(partial):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math":
                node.value.id = "np"
        return partial


class _Elementwise(ast.NodeTransformer):
    """`a if c else b` in a scalar partial as `np.where(c, a, b)`, which decides element by element."""

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return _call("np.where", node.test, node.body, node.orelse)


def _tuple(values):
    """An axis argument: `0`, or `(0, 2)`."""
    return ir.const(values[0]) if len(values) == 1 else ast.Tuple(elts=[ir.const(v) for v in values], ctx=ast.Load())


def index_value(index):
    """An index written as a value: `1:, i` as `(slice(1, None, None), i)`."""
    if isinstance(index, ast.Slice):
        return ast.Call(func=ir.name("slice"), args=[getattr(index, f) or ir.const(None)
                                                    for f in ("lower", "upper", "step")], keywords=[])
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[index_value(e) for e in index.elts], ctx=ast.Load())
    return index
