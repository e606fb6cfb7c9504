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


def _point(func, text):
    """The arguments for `--at name=value,...` (unnamed parameters: random floats in [0.2, 1.5])."""
    import random

    params = api._parameters(func)[: func.__code__.co_argcount]
    given = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.partition("=")
        if not sep or name.strip() not in params:
            raise TranspileError(f"--at {part!r}: write name=value with a parameter of '{func.__name__}' "
                                 f"({', '.join(params)})")
        try:
            given[name.strip()] = float(value)
        except ValueError:
            raise TranspileError(f"--at {part!r}: {value!r} is not a number") from None
    rng = random.Random(0)
    return [given[p] if p in given else rng.uniform(0.2, 1.5) for p in params]


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
        point = _point(func, args.at)
        wrt = _wrt(args.wrt) if args.wrt else tuple(range(len(point)))
        from . import check

        if args.command == "compare":
            report = check.compare(func, *point, wrt=wrt)
            print(report.to_json() if args.json else report)
        else:
            try:
                print(check.check_grad(func, *point, wrt=wrt))
            except AssertionError as exc:
                print(f"transpile: check failed: {exc}", file=sys.stderr)
                return 1
    elif args.command == "graph":
        return _graph(func, _wrt(args.wrt), args.output)
    return 0


def _graph(func, wrt, output):
    import shutil
    import subprocess

    from .graph import graph_dot

    dot = graph_dot(func, wrt)
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
