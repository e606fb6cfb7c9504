"""`transpile` on the command line: the generated code for FILE:FUNC, checks, comparisons, graphs.

Exit codes: 0 ok, 1 a gradient check failed, 2 usage or transpile error (one line on stderr).
"""

import argparse
import importlib
import importlib.util
import os
import sys

from . import __version__, api
from .errors import TranspileError

EXAMPLES = """examples:
  transpile grad examples/quickstart.py:f --wrt x,y
  transpile grad examples/quickstart.py:f --wrt 0 --no-optimize
  transpile grad examples/quickstart.py:f --wrt x,y --mode forward
  transpile jvp examples/quickstart.py:f
  transpile compare examples/quickstart.py:f --at x=0.3,y=2.0 [--json]
  transpile check examples/quickstart.py:f --at x=0.3,y=2.0     (exit 1 if the gradient is wrong)
  transpile graph examples/quickstart.py:f -o f.svg
  transpile cache info | clear
  python -m transpile grad mypackage.model:loss --wrt w
"""


def load_target(spec):
    """Import FILE.py:FUNC or module.path:FUNC and return the function."""
    location, sep, func_name = spec.rpartition(":")
    if not sep or not location or not func_name:
        raise TranspileError(f"'{spec}': expected FILE.py:FUNC or module.path:FUNC")
    if location.endswith(".py") or os.sep in location:
        if not os.path.isfile(location):
            raise TranspileError(f"'{location}': no such file")
        module_name = os.path.splitext(os.path.basename(location))[0]
        spec_ = importlib.util.spec_from_file_location(module_name, location)
        module = importlib.util.module_from_spec(spec_)
        sys.path.insert(0, os.path.dirname(os.path.abspath(location)))
        try:
            spec_.loader.exec_module(module)
        except Exception as exc:  # the user's module failed to import: report it, not our traceback
            raise TranspileError(f"cannot import '{location}': {type(exc).__name__}: {exc}") from None
        finally:
            sys.path.pop(0)
    else:
        sys.path.insert(0, os.getcwd())  # as `python -m` does, so `module.path` is found from here
        try:
            module = importlib.import_module(location)
        except Exception as exc:
            raise TranspileError(f"cannot import '{location}': {type(exc).__name__}: {exc}") from None
        finally:
            sys.path.pop(0)
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise TranspileError(f"'{location}' has no function '{func_name}'") from None


def _wrt(text):
    parts = [p.strip() for p in text.split(",") if p.strip()]
    values = tuple(int(p) if p.lstrip("-").isdigit() else p for p in parts)
    return values[0] if len(values) == 1 else values


def _point(func, text, wrt=None):
    """(arguments, wrt positions) for `--at name=value,...` and `--wrt`.

    A value is a Python literal: a number, or a list, tuple or dict of them (xs=[0.5,1.5]); for
    a function that uses NumPy a list is passed as a float array.  An int-looking value is an int,
    unless the parameter is annotated or defaults to a float, or `--wrt` names it; a float is an
    int where the annotation or default is one.  Parameters not given take their default, else a
    random float in [0.2, 1.5].  Without `--wrt`, the parameters holding floats (or structures
    or arrays of them) are differentiated."""
    import ast
    import inspect
    import random

    params = api._parameters(func)[: func.__code__.co_argcount]
    positions = api._resolve_wrt(func, _wrt(wrt))[0] if wrt else None
    signature = inspect.signature(func).parameters
    arrays = api.uses_numpy(func)
    given = {}
    for part in _assignments(text or ""):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in params:
            raise TranspileError(f"--at {part!r}: write name=value with a parameter of '{func.__name__}' "
                                 f"({', '.join(params)})")
        try:
            given[name] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise TranspileError(f"--at {part!r}: {value.strip()!r} is not a number or a Python literal "
                                 "(a list: xs=[0.5,1.5])") from None
    rng = random.Random(0)
    point = []
    for index, name in enumerate(params):
        parameter = signature.get(name)
        default = parameter.default if parameter is not None else inspect.Parameter.empty
        annotation = parameter.annotation if parameter is not None else inspect.Parameter.empty
        wants = int if annotation in (int, "int") or (type(default) is int) else \
            float if annotation in (float, "float") or type(default) is float else None
        if name not in given:
            point.append(default if default is not inspect.Parameter.empty else rng.uniform(0.2, 1.5))
            continue
        value = given[name]
        if type(value) is int and (wants is float or (positions is not None and index in positions)):
            value = float(value)
        elif type(value) is float and wants is int and value.is_integer():
            value = int(value)
        elif arrays and isinstance(value, (list, tuple)):
            import numpy

            value = numpy.asarray(value, dtype=float)
        point.append(value)
    if positions is None:
        positions = tuple(i for i, v in enumerate(point) if type(v) not in (int, bool, str) and v is not None)
        if not positions:
            raise TranspileError(f"'{func.__name__}' gets no float argument to differentiate with respect to; "
                                 "write one with a decimal point (--at x=1.0) or name it with --wrt.")
    return point, positions


def _assignments(text):
    """`text` split at the commas outside brackets: 'x=1.0,xs=[1,2]' -> ['x=1.0', 'xs=[1,2]']."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in parts + [current] if p.strip()]


def _failed(func, args, what, exc):
    """The one-line TranspileError for `what` (check, compare, graph) failing at `args` with `exc`."""
    shown = ", ".join(f"{n}={v!r}" if len(repr(v)) < 40 else f"{n}=<{type(v).__name__}>"
                      for n, v in zip(api._parameters(func), args))
    hint = ("it uses NumPy: give arrays as lists, --at x=[1.0,2.0] (or use the Python API with example "
            f"arrays: transpile.check_grad({func.__name__}, np.ones(3), ...))") if api.uses_numpy(func) else \
        "give the arguments with --at name=value (numbers, or lists and dicts as Python literals: xs=[0.5,1.5])"
    if what == "compare" and api.uses_numpy(func):
        hint = "compare needs a function of numbers SymPy can read (math, not NumPy); use `transpile check`"
    return TranspileError(f"{what} of '{func.__name__}' failed at {shown}: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}; {hint}.")


def _coloured(text):
    """`text` highlighted as Python when writing to a terminal and Pygments is installed."""
    if not sys.stdout.isatty():
        return text
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return text
    return highlight(text, PythonLexer(), TerminalFormatter())


def build_parser():
    parser = argparse.ArgumentParser(
        prog="transpile", description="Source-to-source automatic differentiation for Python.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"transpile {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grad = commands.add_parser("grad", help="print the generated gradient source",
                               epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    grad.add_argument("target", metavar="FILE:FUNC", help="path/to/file.py:function or module.path:function")
    grad.add_argument("--wrt", default="0", help="parameter names or positions, comma separated (default: 0)")
    grad.add_argument("--mode", choices=["reverse", "forward"], default="reverse",
                      help="reverse: adjoints (default); forward: tangents, one direction per --wrt entry")
    grad.add_argument("--value", action="store_true", help="generate value_and_grad instead of grad")
    grad.add_argument("--no-optimize", action="store_true", help="show the raw output, before optimization")
    jvp = commands.add_parser("jvp", help="print the generated forward-mode (jvp) source")
    jvp.add_argument("target", metavar="FILE:FUNC")
    jvp.add_argument("--wrt", default=None, help="parameter names or positions with tangents (default: all)")
    jvp.add_argument("--no-optimize", action="store_true", help="show the raw output, before optimization")
    for name, text in (("compare", "numerical vs SymPy vs transpile derivatives, operation counts and timings"),
                       ("check", "check the gradient against central differences along random directions")):
        command = commands.add_parser(name, help=text, epilog=EXAMPLES,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("target", metavar="FILE:FUNC")
        command.add_argument("--wrt", default=None, help="parameter names or positions (default: all)")
        command.add_argument("--at", default="", help="the point, name=value,... (others: random in [0.2, 1.5])")
        if name == "compare":
            command.add_argument("--json", action="store_true", help="print the report as JSON")
    graph = commands.add_parser("graph", help="the computation graph (Graphviz DOT; SVG or PNG with `dot`)")
    graph.add_argument("target", metavar="FILE:FUNC")
    graph.add_argument("--wrt", default="0")
    graph.add_argument("--at", default="", help="example arguments, name=value,... (NumPy functions need them: "
                                                 "x=[1.0,2.0] is a float array)")
    graph.add_argument("-o", "--output", default=None, help="file.dot, file.svg or file.png (default: DOT to stdout)")
    cache = commands.add_parser("cache", help="the disk cache: where it is and what it holds, or empty it")
    cache.add_argument("action", choices=["info", "clear"])
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except TranspileError as exc:
        print(f"transpile: error: {exc}", file=sys.stderr)
        return 2


def _run(args):
    if args.command == "cache":
        return _cache(args.action)
    func = load_target(args.target)
    if args.command == "grad":
        text = api.source(func, wrt=_wrt(args.wrt), mode=args.mode,
                          kind="value_and_grad" if args.value else "grad", optimize=not args.no_optimize)
        sys.stdout.write(_coloured(text))
    elif args.command == "jvp":
        wrt = _wrt(args.wrt) if args.wrt else tuple(range(func.__code__.co_argcount))
        sys.stdout.write(_coloured(api.source(func, wrt=wrt, kind="jvp", optimize=not args.no_optimize)))
    elif args.command in ("compare", "check"):
        point, wrt = _point(func, args.at, args.wrt)
        from . import check

        try:
            if args.command == "compare":
                if any(not isinstance(point[p], (int, float)) for p in wrt):
                    raise TranspileError(f"compare of '{func.__name__}': SymPy takes the function as one formula "
                                         "of numbers; differentiate with respect to float parameters (--wrt), "
                                         "or use `transpile check` for lists and arrays.")
                report = check.compare(func, *point, wrt=wrt)
                print(report.to_json() if args.json else report)
            else:
                print(check.check_grad(func, *point, wrt=wrt))
        except AssertionError as exc:
            if args.command == "compare":
                raise _failed(func, point, args.command, exc) from None
            print(f"transpile: check failed: {exc}", file=sys.stderr)
            return 1
        except TranspileError:
            raise
        except Exception as exc:  # the user's function or its gradient failed at this point: say so in one line
            raise _failed(func, point, args.command, exc) from None
    elif args.command == "graph":
        point = _point(func, args.at)[0] if args.at else None
        try:
            return _graph(func, _wrt(args.wrt), args.output, point)
        except (TranspileError, OSError, subprocess_error()):
            raise
        except Exception as exc:
            raise _failed(func, point or (), "graph", exc) from None
    return 0


def subprocess_error():
    import subprocess

    return subprocess.SubprocessError


def _graph(func, wrt, output, args=None):
    import shutil
    import subprocess

    from .graph import graph_dot

    dot = graph_dot(func, wrt, args)
    if output is None or output.endswith(".dot"):
        if output is None:
            sys.stdout.write(dot)
        else:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(dot)
        return 0
    fmt = os.path.splitext(output)[1].lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf"):
        raise TranspileError(f"-o {output}: write .dot, .svg, .png or .pdf")
    program = shutil.which("dot")
    if program is None:
        fallback = os.path.splitext(output)[0] + ".dot"
        with open(fallback, "w", encoding="utf-8") as handle:
            handle.write(dot)
        print(f"transpile: the Graphviz program 'dot' is not installed, so {output} was not drawn; wrote "
              f"{fallback} instead (render it with `dot -T{fmt} {fallback} -o {output}`).", file=sys.stderr)
        return 2
    subprocess.run([program, f"-T{fmt}", "-o", output], input=dot, text=True, check=True)
    return 0


def _cache(action):
    from . import load

    directory = load.cache_dir()
    entries = load.own_files(directory)  # the user's own files there are left alone
    if action == "clear":
        for path in entries:
            os.remove(path)
        print(f"removed {len(entries)} entries from {directory}")
    else:
        size = sum(os.path.getsize(p) for p in entries)
        state = "off (TRANSPILE_CACHE=0)" if not load.disk_cache_enabled() else "on"
        print(f"directory: {directory}\nentries: {len(entries)} ({size / 1024:.1f} KiB)\ndisk cache: {state}")
    return 0
