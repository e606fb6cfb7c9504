"""Stage 5: from an optimized body to Python source a person can read.

Three-address code is what the optimizer wants and what nobody wants to
read, so before unparsing: temporaries used once are folded back into the
expression that reads them (never user-named variables), versions of a name
whose previous value is dead reuse the name (`dx = dx + t` shown as
`dx += t`), and comment markers become `# grad of: <line>` comments.
"""

import ast
from collections import Counter

from . import ir
from .optimize import substitute_names


def rename_temporaries(stmts, namer, keep=()):
    """Name each temporary after what it finally computes (CSE and folding change that)."""
    from .naming import describe

    taken = {n for s in stmts for n in ir.names_used(s)} | {ir.target(s) for s in stmts if isinstance(s, ast.Assign)}
    rename = {}
    for stmt in stmts:
        substitute_names(stmt, rename)
        if isinstance(stmt, ast.Assign) and ir.target(stmt) in namer.described and ir.target(stmt) not in keep:
            wanted = describe(stmt.value)
            if wanted != namer.base_of.get(ir.target(stmt)) and wanted not in taken:
                rename[ir.target(stmt)] = ir.name(wanted)
                stmt.targets[0].id = wanted
                namer.temporaries.add(wanted)
                namer.described.add(wanted)
                namer.base_of[wanted] = wanted
                taken.add(wanted)
    return stmts


def inline_single_use(stmts, temporaries, keep=()):
    """Fold each temporary read exactly once into its reader."""
    uses = Counter(n for s in stmts for n in ir.names_used(s))
    pending, out = {}, []
    for stmt in stmts:
        substitute_expressions(stmt, pending)
        if isinstance(stmt, ast.Assign):
            var = ir.target(stmt)
            if var in temporaries and uses[var] == 1 and var not in keep:
                pending[var] = stmt.value
                continue
        out.append(stmt)
    return out


def substitute_expressions(node, mapping):
    """Replace reads of names in `mapping` by their pending expressions, in place."""
    if mapping:
        ir.replace_reads(node, lambda var: mapping.pop(var, None))


def coalesce_versions(stmts, namer, params):
    """Let `x_1` reuse the name `x` once the old value of `x` is dead."""
    last_use, defined_at = {}, {p: -1 for p in params}
    for i, stmt in enumerate(stmts):
        for n in ir.names_used(stmt):
            last_use[n] = i
        if isinstance(stmt, ast.Assign):
            defined_at.setdefault(ir.target(stmt), i)
    rename = {}
    for i, stmt in enumerate(stmts):
        substitute_names(stmt, rename)
        if not isinstance(stmt, ast.Assign):
            continue
        var = ir.target(stmt)
        base = namer.base_of.get(var, var)
        if base == var or base in rename:
            continue
        holder = base
        while holder in rename:
            holder = rename[holder].id
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
        value = getattr(stmt, "value", None)
        if isinstance(stmt, ast.Assign) and isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name) \
                and value.left.id == ir.target(stmt) and isinstance(value.op, (ast.Add, ast.Sub, ast.Mult)):
            stmt = ast.AugAssign(target=stmt.targets[0], op=value.op, value=value.right)
        out.append(stmt)
    return out


def drop_empty_comments(stmts):
    out = []
    for stmt in stmts:
        if ir.is_comment(stmt) and out and ir.is_comment(out[-1]):
            out[-1] = stmt
        else:
            out.append(stmt)
    if out and ir.is_comment(out[-1]):
        out.pop()
    return [s for i, s in enumerate(out) if not (ir.is_comment(s) and isinstance(out[i + 1], ast.Return))]


def returned_atoms(ret):
    """The atoms a return statement returns, flattened through nested tuples."""
    value = ret.value
    if isinstance(value, ast.Tuple):
        return [a for elt in value.elts for a in returned_atoms(ast.Return(value=elt))]
    return [value]


def name_results(stmts, preferred, namer, params):
    """Give returned temporaries the names they had before optimization (`dx`, not `d_t_3`)."""
    taken = set(params) | {n for s in stmts for n in ir.names_used(s)}
    taken |= {ir.target(s) for s in stmts if isinstance(s, ast.Assign)}
    for atom, wanted in zip(returned_atoms(stmts[-1]), preferred):
        if isinstance(atom, ast.Name) and atom.id in namer.temporaries and wanted and wanted not in taken:
            old = atom.id
            for stmt in stmts:
                substitute_names(stmt, {old: ir.name(wanted)})
                if isinstance(stmt, (ast.Assign, ast.AugAssign)) and stmt_target(stmt) == old:
                    stmt_target_node(stmt).id = wanted
            taken.add(wanted)
    return stmts


def stmt_target_node(stmt):
    return stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target


def stmt_target(stmt):
    return stmt_target_node(stmt).id


def readable(stmts, namer, params, preferred=()):
    """Apply the readability passes (semantics unchanged).

    `preferred` holds, per returned atom, the name it should carry if it ends
    up a temporary (see `name_results`).
    """
    returned = ir.names_used(stmts[-1])
    stmts = rename_temporaries(stmts, namer, keep=returned)
    stmts = inline_single_use(stmts, namer.temporaries, keep=returned)
    stmts = coalesce_versions(stmts, namer, params)
    stmts = name_results(stmts, preferred, namer, params)
    return drop_empty_comments(augmented(stmts))


def function_source(name, arguments, docstring, body):
    """Unparse a function definition, turning comment markers into comments."""
    doc = ast.Expr(value=ast.Constant(value=docstring))
    fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    fdef = ast.FunctionDef(name=name, args=arguments, body=[doc] + body, decorator_list=[], returns=None,
                           type_comment=None, **fields)
    text = ast.unparse(ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[])))
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


def module_source(functions, header):
    """A module: header docstring, the imports the code needs, then the functions."""
    code = "\n\n".join(functions)
    imports = "import math\n" if "math." in code else ""
    return f'"""{header}"""\n{imports}\n\n{code}'
