"""Stage 5: from an optimized body to Python source a person can read.

Three-address code is what the optimizer wants and what nobody wants to
read, so before unparsing: temporaries used once are folded back into the
expression that reads them (never user-named variables), versions of a name
whose previous value is dead reuse the name (`dx = dx + t` shown as
`dx += t`), and comment markers become `# grad of: <line>` comments.
"""

import ast
import math
import sys
from collections import Counter

from . import array_runtime, ir, rules, runtime
from .kinds import float_names, is_float
from .numpy_rules import ATTRIBUTES, COUNTS, METHODS
from .numpy_rules import REDUCTIONS as _REDUCTIONS
from .numpy_rules import np as _np
from .optimize import substitute_names
from .shapes import SCALAR, Array

_TRANSPOSE = _np.transpose
# Calls on a known array written as its method or attribute (`x.sum()`, `x.size`): the reductions,
# reshape and the counts, read from the tables the normalizer reads them with.
_METHODS = {func: name for name, func in METHODS.items() if func in _REDUCTIONS | {_np.reshape}}
_ATTRIBUTES = {func: name for name, func in ATTRIBUTES.items() if func in COUNTS}


def rename_temporaries(stmts, namer, keep=()):
    """Name each temporary after what it finally computes (CSE and folding change that)."""
    from .naming import describe

    taken = {n for s in ir.walk(stmts) for n in ir.names_used(s)} | {ir.target(s) for s in ir.assignments(stmts)}
    merged = ir.merged_names(stmts)
    rename = {}
    for stmt in ir.walk(stmts):
        substitute_names(stmt, rename)
        if isinstance(stmt, ast.Assign) and ir.target(stmt) in namer.described and ir.target(stmt) not in keep \
                and ir.target(stmt) not in merged:
            wanted = describe(stmt.value)
            if wanted != namer.base_of.get(ir.target(stmt)) and wanted not in taken:
                rename[ir.target(stmt)] = ir.name(wanted)
                stmt.targets[0].id = wanted
                namer.temporaries.add(wanted)
                namer.described.add(wanted)
                namer.base_of[wanted] = wanted
                taken.add(wanted)
    return stmts


MAX_INLINED_OPERATIONS = 6  # a longer single-use value keeps its name, so lines stay readable


def inline_single_use(stmts, temporaries, keep=(), _uses=None):
    """Fold each temporary read exactly once into its reader (unless it is already long).

    Only within a block: what is pending before an `if` is written out first.
    """
    if _uses is None:
        _uses = Counter(n for s in ir.walk(stmts) for n in ir.names_used(s))
        keep = set(keep) | ir.merged_names(stmts)
    pending, out = {}, []

    def flush():
        out.extend(ir.assign(var, value) for var, value in pending.items())
        pending.clear()

    for stmt in stmts:
        if ir.blocks(stmt):
            if not isinstance(stmt, (ast.For, ast.While)):  # a loop's header runs again: nothing moves into it
                substitute_expressions(stmt, pending)
            flush()
            for block in ir.blocks(stmt):
                block[:] = inline_single_use(block, temporaries, keep, _uses)
            out.append(stmt)
            continue
        substitute_expressions(stmt, pending)
        if isinstance(stmt, ast.Assign) and ir.target(stmt) in keep:  # rewritten (a loop's): what reads it waits no longer
            for var in [v for v, value in pending.items() if ir.target(stmt) in ir.names_used(value)]:
                out.append(ir.assign(var, pending.pop(var)))
        if isinstance(stmt, ast.Assign):
            var = ir.target(stmt)
            if var in temporaries and _uses[var] == 1 and var not in keep and ir.is_pure(stmt) and \
                    _operations(stmt.value) < MAX_INLINED_OPERATIONS:
                pending[var] = stmt.value
                continue
        out.append(stmt)
    flush()
    return out


def _operations(expr):
    return sum(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare)) for n in ast.walk(expr))


def substitute_expressions(node, mapping):
    """Replace reads of names in `mapping` by their pending expressions, in place."""
    if mapping:
        ir.replace_reads(node, lambda var: mapping.pop(var, None))


def _number(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def tidy(node, floats):
    """Rewrite each product tree (`*`, `/`, unary `-`) as `c * a * b / (d * e)`.

    Folds constants scattered through the tree (`2.0 * (x * (0.5 / r))` is
    `x / r`) and moves signs into the constant or into the enclosing `+`/`-`.
    Reassociating changes results only in the last bit.
    """
    if isinstance(node, (ast.BinOp, ast.UnaryOp)) and isinstance(getattr(node, "op"), (ast.Mult, ast.Div, ast.USub)):
        product = _product(node, floats)
        if product is not None:
            return product
    for field, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            setattr(node, field, tidy(value, floats))
        elif isinstance(value, list):
            value[:] = [tidy(v, floats) if isinstance(v, ast.AST) else v for v in value]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right = node.right
        if (_number(right) or 0) < 0:  # x - -0.5 reads as x + 0.5
            node.op, right.value = (ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()), -right.value
        elif isinstance(right, ast.UnaryOp) and isinstance(right.op, ast.USub):
            node.op, node.right = (ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()), right.operand
        elif isinstance(right, ast.BinOp) and (_number(_leftmost(right)) or 0) < 0:
            node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
            lead = _leftmost(right)
            lead.value = -lead.value
        elif isinstance(node.op, ast.Add) and isinstance(node.left, ast.UnaryOp) and isinstance(node.left.op, ast.USub):
            node.left, node.op, node.right = node.right, ast.Sub(), node.left.operand
        elif isinstance(node.op, ast.Add) and isinstance(node.left, ast.BinOp) and (_number(_leftmost(node.left)) or 0) < 0:
            lead = _leftmost(node.left)
            lead.value = -lead.value
            node.left, node.op, node.right = node.right, ast.Sub(), node.left
    return node


def _leftmost(node):
    """The first factor of a product tree (where `_product` puts the constant)."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        node = node.left
    return node


def _product(node, floats):
    """The product tree `node` as `c * a * b / (d * e)`, or None if its constants do not fold safely."""
    numerator, denominator, constant = [], [], [1]

    def collect(n, inverted):
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)):
            collect(n.left, inverted)
            collect(n.right, inverted != isinstance(n.op, ast.Div))
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            constant[0] = -constant[0]
            collect(n.operand, inverted)
        elif _number(n) is not None and _number(n) != 0:
            constant[0] = constant[0] / n.value if inverted else constant[0] * n.value
        else:
            (denominator if inverted else numerator).append(tidy(n, floats))

    collect(node, False)
    c = constant[0]
    if not math.isfinite(c) or abs(c) < sys.float_info.min:
        return None  # folding the constants would overflow or underflow: keep the tree as it is
    if isinstance(c, float) and c.is_integer() and abs(c) == 1 and not denominator and not any(
            is_float(f, floats) for f in numerator):
        numerator.insert(0, ast.Constant(value=abs(c)))  # keep `* 1.0`: it makes an int-valued product a float
    elif abs(c) != 1 or not numerator:
        numerator.insert(0, ast.Constant(value=abs(c)))
    result = numerator[0]
    for factor in numerator[1:]:
        result = ast.BinOp(left=result, op=ast.Mult(), right=factor)
    if denominator:
        below = denominator[0]
        for factor in denominator[1:]:
            below = ast.BinOp(left=below, op=ast.Mult(), right=factor)
        result = ast.BinOp(left=result, op=ast.Div(), right=below)
    if c < 0:
        lead = _leftmost(result)
        if _number(lead) is not None:
            lead.value = -lead.value
        else:
            result = ast.UnaryOp(op=ast.USub(), operand=result)
    return result


def coalesce_versions(stmts, namer, params):
    """Let `x_1` reuse the name `x` once the old value of `x` is dead (straight-line code only:
    a name read or written inside an `if` keeps its version)."""
    last_use, defined_at, in_branches = {}, {p: -1 for p in params}, set()
    for i, stmt in enumerate(stmts):
        for inner in ir.walk([stmt]):
            for n in ir.names_used(inner):
                last_use[n] = i
            if isinstance(inner, ast.Assign):
                defined_at.setdefault(ir.target(inner), i)
        if ir.blocks(stmt):
            in_branches |= {n for inner in ir.walk([stmt]) for n in ir.names_used(inner)}
            in_branches |= {ir.target(inner) for inner in ir.assignments([stmt])}
    rename = {}
    for i, stmt in enumerate(stmts):
        for inner in ir.walk([stmt]):
            substitute_names(inner, rename)
        if not isinstance(stmt, ast.Assign):
            continue
        var = ir.target(stmt)
        holder = namer.base_of.get(var, var)  # `x` for `x_2`
        if holder == var or holder in rename or var in namer.described or {var, holder} & in_branches:
            continue
        if defined_at.get(holder, i) <= i and last_use.get(holder, -1) <= i:
            rename[var] = ir.name(holder)
            stmt.targets[0].id = holder
            last_use[holder] = last_use.get(var, i)
            defined_at[holder] = i
    return stmts


def augmented(stmts):
    """Show `a = a + b` as `a += b`."""
    out = []
    for stmt in stmts:
        for block in ir.blocks(stmt):
            block[:] = augmented(block)
        value = getattr(stmt, "value", None)
        if isinstance(stmt, ast.Assign) and isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name) \
                and value.left.id == ir.target(stmt) and isinstance(value.op, (ast.Add, ast.Sub, ast.Mult)):
            stmt = ast.AugAssign(target=stmt.targets[0], op=value.op, value=value.right)
        elif getattr(stmt, "number_element", False):  # add_at(dxs, i, term) on a number: dxs[i] += term
            mirror, index, term = value.args
            stmt = ast.AugAssign(target=ast.Subscript(value=mirror, slice=index, ctx=ast.Store()), op=ast.Add(),
                                 value=term)
        out.append(stmt)
    return out


def drop_self_copies(stmts):
    """Drop `x = x`, which renaming can leave at the end of a loop's pass."""
    out = []
    for stmt in stmts:
        for block in ir.blocks(stmt):
            block[:] = drop_self_copies(block)
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name) and stmt.value.id == ir.target(stmt):
            continue
        out.append(stmt)
    return out


def returned_conversions(stmts):
    """`return as_gradient(dxs, xs)` rather than a temporary holding it just before the return."""
    ret = stmts[-1]
    while len(stmts) > 1 and isinstance(stmts[-2], ast.Assign) and isinstance(stmts[-2].value, ast.Call) \
            and isinstance(stmts[-2].value.func, ast.Name) and stmts[-2].value.func.id == "as_gradient" \
            and ir.names_used(ret).count(ir.target(stmts[-2])) == 1 \
            and not any(ir.target(stmts[-2]) in ir.names_used(s) for s in ir.walk(stmts[:-2])):
        conversion = stmts.pop(-2)
        substitute_expressions(ret, {ir.target(conversion): conversion.value})
    return stmts


def drop_empty_comments(stmts):
    """Drop comments with no code under them; give an empty branch a `pass`."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            stmt.body = drop_empty_comments(stmt.body) or [ast.Pass()]
            stmt.orelse = drop_empty_comments(stmt.orelse)
        elif ir.blocks(stmt):
            stmt.body = drop_empty_comments(stmt.body) or [ast.Pass()]
        if ir.is_comment(stmt) and out and ir.is_comment(out[-1]):
            out[-1] = stmt
        else:
            out.append(stmt)
    if out and ir.is_comment(out[-1]):
        out.pop()
    return [s for i, s in enumerate(out)
            if not (ir.is_comment(s) and isinstance(out[i + 1], (ast.Return, ast.If, ast.For, ast.While)))]


def name_results(stmts, preferred, namer, params):
    """Give returned temporaries the names they had before optimization (`dx`, not `d_t_3`)."""
    taken = set(params) | {n for s in ir.walk(stmts) for n in ir.names_used(s)}
    taken |= {ir.target(s) for s in ir.assignments(stmts)}
    for atom, wanted in zip(ir.returned_atoms(stmts[-1]), preferred):
        if isinstance(atom, ast.Name) and atom.id in namer.temporaries and wanted and wanted not in taken:
            old = atom.id
            for stmt in ir.walk(stmts):
                substitute_names(stmt, {old: ir.name(wanted)})
                if isinstance(stmt, (ast.Assign, ast.AugAssign)) and stmt_target(stmt) == old:
                    stmt_target_node(stmt).id = wanted
            taken.add(wanted)
    return stmts


def stmt_target_node(stmt):
    return stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target


def stmt_target(stmt):
    return stmt_target_node(stmt).id


def imports_used(stmts, aliases=None):
    """The import lines generated code needs: `math` for `math.sin(x)`, `transpile.runtime`
    helpers for code that differentiates lists, tuples or dicts.  `aliases` (from `unshadow`):
    the global names the function reads under another name, since a variable has theirs."""
    aliases = aliases or {}
    names = {node.id for stmt in stmts for node in ast.walk(stmt) if isinstance(node, ast.Name)} | {
        "np" for stmt in stmts for node in ast.walk(stmt)
        if isinstance(node, ast.Constant) and isinstance(node.value, _np.generic)}  # (written `np.int8(1)`)
    names -= set(aliases)  # (what is left of those names are the variables)
    modules = names & {"math", "np"}
    lines = [{"math": "import math", "np": "import numpy as np"}[m] for m in sorted(modules)]
    lines += [f"import {'numpy' if m == 'np' else m} as {aliases[m]}" for m in sorted(set(aliases) & {"math", "np"})]
    for module in (runtime, array_runtime):
        helpers = sorted(names & set(module.__all__)) + [f"{h} as {aliases[h]}" for h in sorted(aliases)
                                                          if h in module.__all__]
        if helpers:
            lines.append(f"from {module.__name__} import {', '.join(helpers)}")
    for name in sorted(aliases):
        if name in rules.EXTERNALS:  # (the loader binds these into the module before it runs)
            lines.append(f"{aliases[name]} = {name}")
        elif name not in ("math", "np") and name not in runtime.__all__ and name not in array_runtime.__all__:
            lines.append(f"from builtins import {name} as {aliases[name]}")
    return lines


def unshadow(stmts, params):
    """Generated code reads globals (`math.log`, `np.sum`, `zeros_like`, `float`, `locals`) that a
    parameter or variable of the user's may also be called: rename those reads (a Name marked
    `alias`, renamed by `function_source` once calls are spelled) and return {global: alias}
    for `imports_used`.  Callees are globals by construction (the resolver spells every call;
    `NAME.append`/`NAME.pop` on a local list excepted), as are the names marked `builtin`
    (`float` in the argument guard)."""
    local, seen, imported = set(params), set(params), set()
    for node in (n for stmt in stmts for n in ast.walk(stmt)):
        if isinstance(node, ast.Name):
            seen.add(node.id)
            if isinstance(node.ctx, ast.Store):
                local.add(node.id)
        elif isinstance(node, ast.alias):
            imported.add(node.asname or node.name)  # (the guard's helper, imported where it is called)
    reads = []
    for node in (n for stmt in stmts for n in ast.walk(stmt)):
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, ast.Attribute):
                root = root.value
            method = isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "pop") \
                and node.func.value is root and ir.callee(node) is None
            if isinstance(root, ast.Name) and not method and not getattr(root, "builtin", False):
                reads.append(root)
        elif isinstance(node, ast.Name) and getattr(node, "builtin", False):
            reads.append(node)
    aliases = {}
    for node in reads:
        if node.id in local and node.id not in imported:
            if node.id not in aliases:
                aliases[node.id] = next(f"{node.id}_{k}" for k in range(1, len(seen) + 2)
                                        if f"{node.id}_{k}" not in seen and f"{node.id}_{k}" not in rules.EXTERNALS)
                seen.add(aliases[node.id])
            node.alias = aliases[node.id]
    return aliases


def mark_array_calls(stmts, kinds):
    """Mark the calls the `kinds` let `function_source` write as a person would: `np.sum(x)`,
    `np.reshape(x, s)`, ... of an array `x` as `x.sum()`, `x.reshape(s)`, `x.size` (which skip
    NumPy's dispatch, about 1 µs), and `dx = scatter_add(d, x, i, ...)` whose indices are slices
    and ints of a float64 `x` as `dx = np.zeros_like(x); dx[i] = d; ...` (`expand_scatters`)."""
    def is_array(atom):  # (not 0-d: NumPy gives numbers for those)
        return isinstance(atom, ast.Name) and isinstance(kinds.get(atom.id), Array) and kinds[atom.id].ndim > 0

    slices = {ir.target(s): s.value for s in ir.assignments(stmts) if isinstance(s.value, ast.Call)
              and isinstance(s.value.func, ast.Name) and s.value.func.id == "slice"}
    for stmt in ir.walk(stmts):
        for node in ast.walk(stmt):
            func = ir.callee(node) if isinstance(node, ast.Call) else None
            if (func in _METHODS or (func in _ATTRIBUTES or func is _TRANSPOSE) and len(node.args) == 1) and \
                    node.args and is_array(node.args[0]):
                node.on_array = True
            elif func is array_runtime.scatter_add and is_array(node.args[1]) and \
                    kinds[node.args[1].id].dtype == "d" and all(_basic_index(i, kinds, slices)
                                                               for i in node.args[2::2]):
                node.expandable = True


def _basic_index(index, kinds, slices):
    """An index that selects each element once, and keeps float64: ints, slices, None."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return all(_int_constant(p) or isinstance(p, ast.Constant) and p.value is None or
               (isinstance(p, ast.Name) and (kinds.get(p.id) == SCALAR or
                                             (p.id in slices and _basic_index(slices[p.id], kinds, {})))) or
               (isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "slice" and
                all(_basic_index(a, kinds, slices) for a in p.args)) for p in parts)


def _int_constant(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def expand_scatters(stmts, _slices=None, _taken=None):
    """`dx = scatter_add(d0, x, i0, d1, i1)` marked by `mark_array_calls` as
    `dx = np.zeros_like(x); dx[i0] = d0; dx[i1] += d1` (dx is a new array: updating it is safe),
    also where it is added to another array (`dx_1 = dx + scatter_add(...)`, through a new name);
    a slice named once for several reads is written out again (`dx[:-1]`, not `dx[slice_None_m1]`)."""
    slices = _slices if _slices is not None else {
        ir.target(s): s.value for s in ir.assignments(stmts) if isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name) and s.value.func.id == "slice"
        and all(isinstance(a, ast.Constant) or _int_constant(a) for a in s.value.args)}
    taken = _taken if _taken is not None else {n.id for s in ir.walk(stmts) for n in ast.walk(s)
                                                if isinstance(n, ast.Name)}
    out = []
    for stmt in stmts:
        for block in ir.blocks(stmt):
            block[:] = expand_scatters(block, slices, taken)
        if not isinstance(stmt, ast.Assign) or not isinstance(stmt.targets[0], ast.Name):
            out.append(stmt)
            continue
        if getattr(stmt.value, "expandable", False) and stmt.targets[0].id not in {
                n for a in stmt.value.args[:1] + stmt.value.args[2:] for n in ir.names_used(a)}:
            # (not where the terms read an earlier version of the target, a loop's adjoint `dw =
            # scatter_add(2.0 * dw, w, i)`: zeroing the target first would erase them)
            out += _scattered(stmt.targets[0].id, stmt.value, slices, stmt.lineno)
            continue
        value = stmt.value
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            for side in ("left", "right"):
                if getattr(getattr(value, side), "expandable", False):
                    term = next(f"scatter_{k}" for k in range(len(taken) + 1) if f"scatter_{k}" not in taken)
                    taken.add(term)
                    out += _scattered(term, getattr(value, side), slices, stmt.lineno)
                    setattr(value, side, ir.name(term))
        out.append(stmt)
    return out


def _scattered(target, call, slices, lineno):
    """`target = scatter_add(d0, x, i0, d1, i1)` as `target = np.zeros_like(x); target[i0] = d0; ...`."""
    args = call.args
    out = [ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], lineno=lineno,
                      value=ast.parse(f"np.zeros_like({args[1].id})", mode="eval").body)]
    for number, (term, index) in enumerate(zip([args[0]] + args[3::2], args[2::2])):
        slot = ast.Subscript(value=ir.name(target), slice=_as_slice(index, slices), ctx=ast.Store())
        out.append(ast.Assign(targets=[slot], value=term, lineno=lineno) if number == 0 else
                   ast.AugAssign(target=slot, op=ast.Add(), value=term, lineno=lineno))
    return out


def accumulate_in_place(stmts):
    """`t = np.zeros_like(x); t[i] = d; dx_1 = dx + t` as `dx[i] += d; dx_1 = dx` where dx's array
    is one no other name can hold: an adjoint made by `np.zeros_like(x)` once, then only copied
    (`dx = dx_1`) and grown (`dx_1 = dx + t`) by names that each read the one before once, and
    returned.  Updating it in place then changes nothing anyone reads.  (In a loop over rows this
    is the difference between O(n) and O(n²).)"""
    everything = list(ir.walk(stmts))
    reads = Counter(n for s in everything for n in ir.names_used(s))
    for stmt in everything:  # (`t[i] += d` writes into t: not a read of its array)
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Subscript):
            reads[stmt.target.value.id] -= 1
    returned = Counter(n for s in everything if isinstance(s, ast.Return) for n in ir.names_used(s))
    made = {}  # name -> the x of each np.zeros_like(x) assigned to it
    for stmt in everything:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) and _zeros_like_of(stmt.value):
            made.setdefault(stmt.targets[0].id, []).append(_zeros_like_of(stmt.value))
    written = {_written(s).value.id for s in everything if isinstance(_written(s), ast.Subscript)
               and isinstance(_written(s).value, ast.Name)}
    terms = {name for name in made if reads[name] == 1 and name in written}  # scattered terms, added once
    group = {}  # name -> a name of its group (the versions of one adjoint array)

    def root(name):
        while group.get(name, name) != name:
            name = group[name]
        return name

    consumers, other = Counter(), set()
    for stmt in everything:
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)):
            continue
        target, value = stmt.targets[0].id, stmt.value
        grown = [n for n in (_grown(stmt) or ()) if n not in terms]
        source = value.id if isinstance(value, ast.Name) else grown[0] if len(grown) == 1 and \
            len(_grown(stmt)) == 2 and set(_grown(stmt)) - set(grown) else None
        if source is not None:
            consumers[source] += 1
            group[root(target)] = root(source)
        elif not _zeros_like_of(value):
            other.add(target)
    members = {}
    for name in (set(group) | set(made) | other) - terms:
        members.setdefault(root(name), set()).add(name)
    owned = {}  # member -> the x its group's array was made like
    for names in members.values():
        bases = [b for n in names for b in made.get(n, [])]
        if len(bases) == 1 and not names & other and all(
                consumers[n] <= 1 and reads[n] == consumers[n] + returned[n] for n in names):
            owned.update(dict.fromkeys(names, bases[0]))
    _accumulate(stmts, owned, terms)
    reads = Counter(n for s in ir.walk(stmts) for n in ir.names_used(s))
    return _without_round_trips(stmts, reads)


def _without_round_trips(stmts, reads):
    """`dx_1 = dx; ...; dx = dx_1` (dx_1 read nowhere else, dx not assigned between) is no change."""
    for stmt in stmts:
        for block in ir.blocks(stmt):
            block[:] = _without_round_trips(block, reads)
    dropped = set()
    for first, stmt in enumerate(stmts):
        copy = _copied(stmt)
        if copy is None or reads[copy[0]] != 1:
            continue
        for later in range(first + 1, len(stmts)):
            back = _copied(stmts[later])
            if back == (copy[1], copy[0]):
                dropped |= {first, later}
                break
            if any(isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                   and s.targets[0].id in copy for s in ir.walk([stmts[later]])):
                break
    return [stmt for index, stmt in enumerate(stmts) if index not in dropped]


def _copied(stmt):
    """(a, b) if `stmt` is `a = b` for names, else None."""
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Name):
        return stmt.targets[0].id, stmt.value.id
    return None


def _zeros_like_of(value):
    """x if `value` is `np.zeros_like(x)`, else None."""
    if isinstance(value, ast.Call) and ir.callee(value) is _np.zeros_like and len(value.args) == 1 \
            and isinstance(value.args[0], ast.Name) and not value.keywords:
        return value.args[0].id
    return None


def _grown(stmt):
    """(source, t) if `stmt` is `dx_1 = dx + t` (or `t + dx`) for names, else None."""
    value = stmt.value
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and \
            isinstance(value.left, ast.Name) and isinstance(value.right, ast.Name):
        return value.left.id, value.right.id
    return None


def _accumulate(stmts, owned, terms):
    for stmt in stmts:
        for block in ir.blocks(stmt):
            _accumulate(block, owned, terms)
    position = len(stmts) - 1
    while position >= 0:
        found = _scatter_start(stmts, position, owned, terms)
        if found is None:
            position -= 1
            continue
        start, source = found
        target = stmts[position].targets[0].id
        updates = [ast.AugAssign(target=ast.Subscript(value=ir.name(source), slice=_written(w).slice,
                                                      ctx=ast.Store()), op=ast.Add(), value=w.value, lineno=w.lineno)
                   for w in stmts[start + 1:position]]
        if target != source:
            updates.append(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=ir.name(source),
                                      lineno=stmts[position].lineno))
        stmts[start:position + 1] = updates
        position = start - 1


def _scatter_start(stmts, position, owned, terms):
    """(where `t = np.zeros_like(x)` is, the array grown) if stmts[position] is `dx_1 = dx + t` for
    an `owned` dx made like x, and only writes into t come between; else None."""
    stmt = stmts[position]
    if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id in owned) or _grown(stmt) is None:
        return None
    left, right = _grown(stmt)
    for source, term in ((left, right), (right, left)):
        if source not in owned or term not in terms:
            continue
        start = next((k for k in range(position - 1, -1, -1) if isinstance(stmts[k], ast.Assign) and
                      isinstance(stmts[k].targets[0], ast.Name) and stmts[k].targets[0].id == term), None)
        if start is None or _zeros_like_of(stmts[start].value) != owned[source]:
            continue
        writes = stmts[start + 1:position]  # `t[i0] = d0`, then `t[i1] += d1`, ...: sums, as `dx[i] += d` are
        if writes and all(isinstance(_written(w), ast.Subscript) and ir.names_used(_written(w).value) == [term]
                          for w in writes) and all(isinstance(w, ast.AugAssign) and isinstance(w.op, ast.Add)
                                                   for w in writes[1:]):
            return start, source
    return None


def _written(stmt):
    """What an assignment writes: its target."""
    return stmt.target if isinstance(stmt, ast.AugAssign) else stmt.targets[0] if isinstance(stmt, ast.Assign) \
        else None


def _as_slice(index, slices):
    """`slice(1, None, None)` as the index `1:` (also when `slices` names it)."""
    if isinstance(index, ast.Name) and index.id in slices:
        index = slices[index.id]
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[_as_slice(e, slices) for e in index.elts], ctx=ast.Load())
    if isinstance(index, ast.Call):
        lower, upper, step = [None if isinstance(a, ast.Constant) and a.value is None else a for a in index.args]
        return ast.Slice(lower=lower, upper=upper, step=step)
    return index


class _Spelling(ast.NodeTransformer):
    """`np.sum(x, 0, True)` (the normalized form) as `np.sum(x, axis=0, keepdims=True)`, as NumPy reads it,
    or `x.sum(axis=0, keepdims=True)` where `x` is known to be an array (`mark_array_calls`); and
    `Constant(-1)` as `-1`: `ast.unparse` writes `Constant(-1) ** n` as `-1 ** n`, which means -(1 ** n)."""

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, _np.generic):  # a NumPy constant keeps its type (parse: `_fixed_width`)
            return ast.Call(func=ast.parse(f"np.{type(value).__name__}", mode="eval").body,
                            args=[ast.Constant(value=value.item())], keywords=[])
        if type(value) in (int, float) and (value < 0 or (value == 0 and math.copysign(1.0, value) < 0)):
            return ast.UnaryOp(op=ast.USub(), operand=self.visit_Constant(ast.Constant(value=-value)))
        if type(value) is int and value.bit_length() > 10000:  # Python compiles no decimal int of over
            return ast.Name(id=hex(value), ctx=ast.Load())   # 4,300 digits, any hexadecimal one
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = ir.callee(node)
        if func is _TRANSPOSE and len(node.args) == 1 and getattr(node, "on_array", False):
            return ast.Attribute(value=node.args[0], attr="T", ctx=ast.Load())  # np.transpose(x) as x.T
        if func in _REDUCTIONS and len(node.args) == 3:
            x, axis, keepdims = node.args
            node.args = [x]
            node.keywords = [ast.keyword(arg="axis", value=axis)] if _number(axis) is not None or not (
                isinstance(axis, ast.Constant) and axis.value is None) else []
            if not (isinstance(keepdims, ast.Constant) and keepdims.value is False):
                node.keywords.append(ast.keyword(arg="keepdims", value=keepdims))
        if getattr(node, "on_array", False) and func in _ATTRIBUTES:
            return ast.Attribute(value=node.args[0], attr=_ATTRIBUTES[func], ctx=ast.Load())
        if getattr(node, "on_array", False) and func in _METHODS:
            return ast.Call(func=ast.Attribute(value=node.args[0], attr=_METHODS[func], ctx=ast.Load()),
                            args=node.args[1:], keywords=node.keywords)
        return node


def readable(stmts, namer, params, preferred=(), floats=(), arrays=False):
    """Apply the readability passes.

    They change no value, except that `tidy` may reassociate products in
    derivative code (never in statements marked `exact`, which compute f).
    `preferred` holds, per returned atom, the name it should carry if it ends
    up a temporary (see `name_results`); `floats` the parameters assumed floats;
    `arrays` whether the code handles NumPy arrays (then nothing is written `+=`).
    """
    returned = ir.names_used(stmts[-1])
    stmts = rename_temporaries(stmts, namer, keep=returned)
    floats = float_names(stmts, floats)
    stmts = inline_single_use(stmts, namer.temporaries, keep=returned)
    for stmt in ir.walk(stmts):
        if isinstance(stmt, (ast.Assign, ast.Return)) and stmt.value is not None and not ir.is_exact(stmt):
            stmt.value = tidy(stmt.value, floats)
    stmts = coalesce_versions(stmts, namer, params)
    stmts = name_results(stmts, preferred, namer, params)
    stmts = returned_conversions(drop_self_copies(stmts))
    # `a += b` would update an array in place (maybe the caller's, or one another name shares)
    return drop_empty_comments(stmts if arrays else augmented(stmts))


MAX_DEPTH = 40  # deeper `if`s are unfolded: Python refuses 100 levels of indentation


def _depth(stmts):
    """How many levels of blocks `stmts` nest."""
    return max((1 + max(map(_depth, ir.blocks(s))) for s in stmts if s.__class__ in ir._COMPOUND), default=0)


def unfold_deep_branches(stmts, taken, depth=1):
    """An `if` nested deeper than MAX_DEPTH (an `elif` chain of 100 branches is 100 levels) written
    as a sequence of guarded blocks, one level deep: `then_1 = c; else_1 = not then_1`, `if then_1:
    ...`, `if else_1: ...`, an inner `if d` under `else_1` as `then_2 = else_1 and d`, ...  Each guard
    is computed before the blocks it guards run, and reads the test once, where the original did."""
    if depth + _depth(stmts) <= MAX_DEPTH:
        return stmts

    def fresh(base):
        name = next(f"{base}_{k}" for k in range(1, len(taken) + 2) if f"{base}_{k}" not in taken)
        taken.add(name)
        return name

    def guarded(guard, block, out):
        if block:
            out.append(block[0] if guard is None and len(block) == 1 else ast.If(test=ir.name(guard), body=block,
                                                                                  orelse=[]))

    def unfold(block, guard, out):
        group = []
        for stmt in block:
            if isinstance(stmt, ast.If):
                guarded(guard, group, out)
                group = []
                then, other = fresh("then"), fresh("otherwise")
                test = stmt.test if guard is None else ast.BoolOp(op=ast.And(), values=[ir.name(guard), stmt.test])
                otherwise = ast.UnaryOp(op=ast.Not(), operand=ir.name(then))
                if guard is not None:
                    otherwise = ast.BoolOp(op=ast.And(), values=[ir.name(guard), otherwise])
                out += [ir.assign(then, test), ir.assign(other, otherwise)]
                unfold(stmt.body, then, out)
                unfold(stmt.orelse, other, out)
            elif ir.is_comment(stmt):
                guarded(guard, group, out)
                group = []
                out.append(stmt)  # (a comment needs no guard, and cannot be a block's only statement)
            else:
                for inner in ir.blocks(stmt):  # a loop: its body starts two levels in
                    inner[:] = unfold_deep_branches(inner, taken, depth + 2)
                group.append(stmt)
        guarded(guard, group, out)

    out = []
    for stmt in stmts:
        if isinstance(stmt, ast.If) and depth + _depth([stmt]) > MAX_DEPTH:
            unfold([stmt], None, out)
        else:
            for inner in ir.blocks(stmt):
                inner[:] = unfold_deep_branches(inner, taken, depth + 1)
            out.append(stmt)
    return out


def function_source(name, arguments, docstring, body):
    """Unparse a function definition, turning comment markers into comments."""
    spelling = _Spelling()
    body = [spelling.visit(stmt) for stmt in body]
    taken = {n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(arguments) if isinstance(a, ast.arg)}
    body = unfold_deep_branches(body, taken)
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(node, ast.Name) and getattr(node, "alias", None):
            node.id = node.alias  # (see `unshadow`)
    doc = ast.Expr(value=ast.Constant(value=docstring))
    fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    fdef = ast.FunctionDef(name=name, args=arguments, body=[doc] + body, decorator_list=[], returns=None,
                           type_comment=None, **fields)
    fdef.lineno = 1  # the only location unparse reads
    text = ast.unparse(ast.Module(body=[fdef], type_ignores=[]))
    return "\n".join(_comment(line) for line in text.splitlines()) + "\n"


def _comment(line):
    stripped = line.strip()
    if stripped[:2] in ("'#", '"#'):
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            return line
        if isinstance(value, str):
            return line[: len(line) - len(line.lstrip())] + value
    return line


def module_source(functions, header, imports=()):
    """A module: header docstring, the `imports` lines, then the functions."""
    code = "\n\n".join(functions)
    imports = "".join(f"{line}\n" for line in imports)
    return f'"""{header}"""\n{imports}\n\n{code}'
