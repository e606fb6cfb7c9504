"""`transpile` on the command line: print the generated code for FILE:FUNC.

Exit codes: 0 ok, 2 usage or transpile error (one line on stderr).
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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        func = load_target(args.target)
        text = api.source(func, wrt=_wrt(args.wrt), mode=args.mode,
                          kind="value_and_grad" if args.value else "grad", optimize=not args.no_optimize)
    except TranspileError as exc:
        print(f"transpile: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0
