"""Stage 6: compile generated source into a module, cached in memory and on disk.

The memory cache maps (function object, options) to the loaded function: a
second `grad(f)` is a dictionary look-up.  The disk cache stores each module
as `<key>.py`, where the key hashes everything the output depends on: the
function's source and code, file and first line, the values of the globals and
closure variables it reads, the options, transpile's version and Python's.
A process that finds the file skips parsing and differentiation entirely.
Generated functions pickle by reference to their module, whose name holds the
key and (`_recipe`) the original function's name and the options.

`TRANSPILE_CACHE_DIR` sets the directory (default: the user's cache
directory); `TRANSPILE_CACHE=0` turns the disk cache off.
"""

import base64
import functools
import hashlib
import inspect
import linecache
import numbers
import os
import sys
import tempfile
import types
import warnings
import weakref
from collections import Counter

from . import __version__, guard, rules

STATS = Counter()  # "generated", "memory_hits", "disk_hits": what the loader did
_memory = weakref.WeakKeyDictionary()  # function -> {options: (loaded function, source)}
_disk_failed = False


def cache_dir():
    configured = os.environ.get("TRANSPILE_CACHE_DIR")
    if configured:
        return configured
    import platformdirs

    return platformdirs.user_cache_dir("transpile", appauthor=False)


def disk_cache_enabled():
    return os.environ.get("TRANSPILE_CACHE", "1") != "0" and not _disk_failed


def lookup(func, request):
    """The memory-cached (function, source) for `request`, or None.

    An entry counts only while `func`'s code and defaults are the same objects (IPython's
    autoreload replaces them in place) and the constants it reads are unchanged: they were
    baked into the generated code.
    """
    try:
        entry = _memory.data[weakref.ref(func)][request]  # (= _memory[func][request], one call less)
        loaded, source, reads, generation, code, defaults, kwdefaults = entry
    except (KeyError, TypeError):
        return None
    if generation != rules.generation():  # a rule was registered since: it may change the code
        return None
    if func.__code__ is not code or func.__defaults__ is not defaults or func.__kwdefaults__ is not kwdefaults:
        return None
    for container, var, value in reads:  # the same objects still bound: nothing baked in went stale
        if container.get(var, _MISSING) is not value:
            return None
    STATS["memory_hits"] += 1
    return loaded, source


def get(func, options, generate, alias=None):
    """The loaded function and its source for (func, options), generating if needed.

    `alias` is a second key (the caller's raw request) the result is remembered under.
    """
    hit = lookup(func, options)
    if hit is not None:
        if alias is not None:
            _memory[func][alias] = _memory[func][options]
        return hit
    reads = []
    seen = environment(func, reads=reads)
    key = cache_key(func, options, seen)
    source = _read(key) if disk_cache_enabled() else None
    if source is None:
        source = generate(func, options)
        STATS["generated"] += 1
        if disk_cache_enabled():
            _write(key, source)
    else:
        STATS["disk_hits"] += 1
    loaded = compile_function(source, options.entry_name(func), key, module_name(key, _recipe(func, options, source)))
    if options.keeps_signature:
        loaded.__defaults__ = func.__defaults__
    loaded.__kwdefaults__ = func.__kwdefaults__
    guard.ORIGINS[loaded] = (weakref.ref(func), options)
    try:
        per_function = _memory.setdefault(func, {})
    except TypeError:  # not weak-referenceable: no memory cache for it
        return loaded, source
    per_function[options] = (loaded, source, reads, rules.generation(), func.__code__, func.__defaults__,
                             func.__kwdefaults__)
    if alias is not None:
        per_function[alias] = per_function[options]
    return loaded, source


ENTRIES = "transpile.generated"  # generated modules are `transpile.generated.k<key>[_<recipe>]`, importable (pickle)


def module_name(key, recipe=None):
    """The generated module's name: the cache key, and, where the function it was generated from can
    be imported by name, a recipe (that name and the options) to generate it again on unpickling."""
    return f"{ENTRIES}.k{key}_{recipe}" if recipe else f"{ENTRIES}.k{key}"


def _recipe(func, options, source):
    """`func`'s module and qualified name, `options` and a digest of the generated `source`, as a
    module-name segment (letters and digits), or None if `func` cannot be found by that name (a local
    function, one replaced since)."""
    if _by_reference(sys.modules.get(func.__module__), func.__qualname__) is not func:
        return None
    kinds = options.kinds and tuple((k.ndim, tuple(sorted(k.ones)), k.dtype) if hasattr(k, "ndim") else k
                                    for k in options.kinds)
    text = repr((func.__module__, func.__qualname__, options.kind, options.wrt, options.single, options.optimize,
                 options.mode, kinds, _digest(source)))
    return base64.b32encode(text.encode()).decode().rstrip("=").lower()


def _by_reference(module, qualname):
    """What `module.<qualname>` names (a function `functools.cache` wraps: that function), or None."""
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if hasattr(obj, "__wrapped__") and hasattr(obj, "cache_info"):
        obj = inspect.unwrap(obj)
    return obj


def _digest(source):
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def _from_recipe(recipe):
    """(the function a recipe names, imported, or None; the options; the digest of the source)."""
    import ast
    import importlib

    from .pipeline import Options
    from .shapes import Array

    module, qualname, kind, wrt, single, optimize, mode, kinds, digest = ast.literal_eval(
        base64.b32decode(recipe.upper() + "=" * (-len(recipe) % 8)).decode())
    kinds = kinds and tuple(Array(k[0], frozenset(k[1]), k[2]) if isinstance(k, tuple) else k for k in kinds)
    try:
        func = _by_reference(importlib.import_module(module), qualname)
    except ImportError:
        func = None
    options = Options(kind, wrt, single, optimize, mode, kinds)
    return func if isinstance(func, types.FunctionType) else None, options, digest


def _rebuild(name, recipe):
    """The function of the generated module `name`, generated again from the function its recipe names,
    whose source is verified as any other's (no code travels with a pickle); raises TranspileError if
    there is no such function here, or the code generated here differs from what the process that
    named the module generated (the function, or what it reads, differs)."""
    from .errors import SourceUnavailableError
    from .pipeline import generate

    func, options, digest = _from_recipe(recipe)
    if func is None:
        raise SourceUnavailableError(f"transpile: cannot unpickle the {options.kind} of a function ({name}): the "
                                     "function it was generated from cannot be imported here; import it the way "
                                     "the pickling process did.")
    loaded, source = get(func, options, generate)
    if _digest(source) != digest:
        raise SourceUnavailableError(
            f"transpile: cannot unpickle {loaded.__name__}, the {options.kind} of {func.__module__}."
            f"{func.__qualname__}: here the function or what it reads (constants, helpers, rules registered at "
            "run time, transpile's version) differs from the process that pickled it, and so does the code "
            "generated for it; give both processes the same code and rules, or share the disk cache.")
    return loaded


def _key_of(name):
    return name[len(ENTRIES) + 2:].partition("_")[0]


def compile_function(source, entry, key, name=None):
    """Execute `source` as the module `name` (default `module_name(key)`) and return its function `entry`.

    The module is registered in `sys.modules`, so the function pickles by
    reference; another process imports it by the same name (`EntryFinder`).
    """
    path = _path(key) if disk_cache_enabled() else f"<transpile {key[:16]}>"
    module = types.ModuleType(name or module_name(key))
    module.__file__ = path
    module.__dict__.update(rules.EXTERNALS)  # user functions with registered rules, called by name
    text = _header(key, source) + source  # as on disk: tracebacks show the right lines
    if not os.path.exists(path):
        linecache.cache[path] = (len(text), None, text.splitlines(True), path)
    exec(compile(text, path, "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return getattr(module, entry)


HEADER = "# transpile entry "  # how every entry transpile writes begins


def _header(key, source):
    """The first line of an entry: its key and a hash of the key and the rest, checked before the entry
    is executed (an entry moved or copied to another key's file does not match)."""
    digest = hashlib.sha256(f"{key}\n{source}".encode()).hexdigest()
    return f"{HEADER}k{key} sha256 {digest}\n"


class EntryFinder:
    """Imports the generated modules `transpile.generated.k<key>[_<recipe>]` in a process that unpickles
    a generated function it never built: by generating it again from the recipe, else from the disk cache
    (verified like any entry); else it raises SourceUnavailableError saying why."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        import importlib.machinery

        if name == ENTRIES:
            return importlib.machinery.ModuleSpec(name, EntryFinder, is_package=True)
        if not name.startswith(ENTRIES + ".k"):
            return None
        return importlib.machinery.ModuleSpec(name, EntryFinder)

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        if module.__name__ == ENTRIES:
            module.__path__ = []
            return
        key, recipe = _key_of(module.__name__), module.__name__[len(ENTRIES) + 2:].partition("_")[2]
        source = _read(key) if disk_cache_enabled() else None  # what the pickling process ran, if it is here
        if source is None and recipe:
            loaded = _rebuild(module.__name__, recipe)
            setattr(module, loaded.__name__, loaded)
            module.__file__ = loaded.__code__.co_filename
            sys.modules[module.__name__] = module  # (compiling it registered a module of the same name)
            return
        if source is None:
            from .errors import SourceUnavailableError

            raise SourceUnavailableError(
                f"transpile: the generated module {module.__name__} is not in the disk cache {cache_dir()}"
                f"{' (TRANSPILE_CACHE=0)' if not disk_cache_enabled() else ''}, and the function it was generated "
                "from cannot be imported by name (it is local to a function, or was replaced); create the "
                "derivative with tp.grad (or the like) in this process instead.")
        module.__file__ = _path(key)
        module.__dict__.update(rules.EXTERNALS)
        exec(compile(_header(key, source) + source, module.__file__, "exec"), module.__dict__)
        func, options, _ = _from_recipe(recipe) if recipe else (None, None, None)
        if func is not None:  # its defaults, and arrays passed to code generated for numbers (guard)
            loaded = getattr(module, options.entry_name(func))
            if options.keeps_signature:
                loaded.__defaults__ = func.__defaults__
            loaded.__kwdefaults__ = func.__kwdefaults__
            guard.ORIGINS[loaded] = (weakref.ref(func), options)


if not any(finder is EntryFinder for finder in sys.meta_path):
    sys.meta_path.append(EntryFinder)


@functools.lru_cache(maxsize=None)
def _package_fingerprint():
    """A digest of transpile's own source, so a changed transpiler never reuses old entries."""
    digest = hashlib.sha256(__version__.encode())
    package = os.path.dirname(os.path.abspath(__file__))
    for filename in sorted(os.listdir(package)):
        if filename.endswith(".py"):
            with open(os.path.join(package, filename), "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def cache_key(func, options, seen=None):
    """A hex digest of everything the generated module depends on."""
    code = func.__code__
    parts = [_package_fingerprint(), rules.fingerprint(), sys.implementation.name, "%d.%d" % sys.version_info[:2],
             repr(options), func.__qualname__, code.co_filename, str(code.co_firstlineno),
             repr(environment(func) if seen is None else seen), _code_digest(code)]
    try:  # with the code's digest: an entry is found only by code that matches the source it was generated from
        parts.append(inspect.getsource(func))
    except (OSError, TypeError):
        pass
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


_MISSING = object()


class _Cell:
    """A closure cell seen as a one-entry mapping, so reads of cells and dicts are checked alike."""

    def __init__(self, cell):
        self.cell = cell

    def get(self, var, default):
        try:
            return self.cell.cell_contents
        except ValueError:
            return default


class _Attributes:
    """An object's attributes seen as a mapping (`cfg.k`, `helper.__defaults__`)."""

    def __init__(self, obj):
        self.obj = obj

    def get(self, var, default):
        return getattr(self.obj, var, default)


def environment(func, _seen=frozenset(), reads=None):
    """What `func` reads from outside, as comparable tokens: each global or
    closure variable it names, what it can reach from them by attributes
    (`config.SCALE`, `pkg.sub.K`, `cfg.k`, `helpers.f`), and, for each user
    function it can call, that function's code, defaults and environment.

    If `reads` is a list, each (mapping, name, object) read is appended, so a
    later check can tell in a few identity tests whether anything changed.
    """
    code = func.__code__
    names = _names(code) + code.co_freevars
    cells = dict(zip(code.co_freevars, func.__closure__ or ()))
    seen = _seen | {func}
    tokens = []
    for var in names:
        container = _Cell(cells[var]) if var in cells else func.__globals__
        value = container.get(var, _MISSING)
        if value is _MISSING:
            continue
        if reads is not None:
            reads.append((container, var, value))
        tokens.append((var, _token(value, seen, reads, names)))
    return tuple(tokens)


@functools.lru_cache(maxsize=4096)
def _names(code):
    """The global and attribute names `code` reads, in every scope nested in it (comprehensions,
    generator expressions, nested defs and lambdas): the generated code bakes in all of them."""
    names = dict.fromkeys(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(dict.fromkeys(_names(const)))
    return tuple(names)


def _reachable(obj, names, seen, reads):
    """Tokens of the attributes of `obj` whose names the code mentions (it may read `obj.name`)."""
    view = _Attributes(obj)
    tokens = []
    for attr in names:
        with warnings.catch_warnings():  # a module's deprecated attribute (numpy.linalg.linalg) is not read
            warnings.simplefilter("ignore", DeprecationWarning)
            value = view.get(attr, _MISSING)
        if value is _MISSING or not (isinstance(value, (numbers.Number, types.ModuleType)) or _is_function(value)
                                     or _is_namespace(value)):
            continue
        if reads is not None:
            reads.append((view, attr, value))
        tokens.append((attr, _token(value, seen, reads, names)))
    return tuple(tokens)


def _is_namespace(value):
    """Objects a constant may be read through: modules, classes, instances with attributes."""
    return isinstance(value, (types.ModuleType, type)) or hasattr(value, "__dict__") and not callable(value)


def _is_function(value):
    return isinstance(inspect.unwrap(value) if hasattr(value, "__wrapped__") else value, types.FunctionType)


def _token(value, seen, reads=None, names=()):
    if isinstance(value, int) and value.bit_length() > 10000:  # (repr refuses over 4,300 digits)
        return hex(value)
    if isinstance(value, numbers.Number):
        return repr(value)
    spelled = rules.spelling(value)
    if spelled:
        return spelled
    if _is_function(value):
        function = inspect.unwrap(value) if hasattr(value, "__wrapped__") else value
        if function in seen:
            return ("recursive", function.__qualname__)
        if reads is not None:  # an inlined callee's code and defaults are baked in too (autoreload replaces them)
            reads.append((_Attributes(function), "__code__", function.__code__))
            reads.append((_Attributes(function), "__defaults__", function.__defaults__))
            reads.append((_Attributes(function), "__kwdefaults__", function.__kwdefaults__))
        return (function.__module__, function.__qualname__, _code_digest(function.__code__),
                repr(function.__defaults__), repr(function.__kwdefaults__), environment(function, seen, reads))
    if _is_namespace(value) and id(value) not in seen:
        return (f"{type(value).__module__}.{type(value).__qualname__}", getattr(value, "__name__", ""),
                _reachable(value, names, seen | {id(value)}, reads))
    return f"{type(value).__module__}.{type(value).__qualname__}"


@functools.lru_cache(maxsize=4096)
def _code_digest(code):
    """A digest of everything `code` does, jumps included, and of the code nested in it; the same in
    every process (marshal's bytes are not: they depend on reference counts and interning).  It
    leaves out what code objects' equality (and so this cache) ignores: the file and qualified name."""
    return hashlib.sha256(repr(_canonical(code)).encode()).hexdigest()[:20]


_CODE_FIELDS = ("co_name", "co_firstlineno", "co_argcount", "co_posonlyargcount",
                "co_kwonlyargcount", "co_flags", "co_varnames", "co_freevars", "co_cellvars", "co_names", "co_code",
                "co_linetable", "co_exceptiontable")


def _canonical(value):
    if isinstance(value, types.CodeType):
        fields = tuple(getattr(value, field, None) for field in _CODE_FIELDS)  # (None: not in this version)
        return fields + (tuple(map(_canonical, value.co_consts)),)
    if isinstance(value, tuple):
        return tuple(map(_canonical, value))
    if isinstance(value, int) and value.bit_length() > 10000:  # (repr refuses over 4,300 digits)
        return ("int", hex(value))
    if isinstance(value, frozenset):  # its order follows the string hash seed
        return ("frozenset", sorted(map(repr, map(_canonical, value))))
    return (type(value).__name__, repr(value))  # 1, 1.0 and True are equal, but not the same constant


def _path(key):
    return os.path.join(cache_dir(), key + ".py")


def _read(key):
    """The source stored under `key`, or None: missing, or refused (it is never executed then):
    a file whose hash line does not match its content is discarded with a warning, and a
    directory or file that other users may write turns the disk cache off."""
    path = _path(key)
    try:
        with open(path, encoding="utf-8") as handle:
            stat = os.fstat(handle.fileno())
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    if not (_private(stat) and _private(os.stat(os.path.dirname(path)))):
        _give_up(f"the cache directory {os.path.dirname(path)} or its entry {os.path.basename(path)} can be "
                 "written by other users, so its entries are not executed")
        return None
    first, _, source = text.partition("\n")
    if first + "\n" != _header(key, source):
        warnings.warn(f"transpile: discarding the corrupted or modified cache entry {path}; it is regenerated.",
                      RuntimeWarning, stacklevel=3)
        STATS["discarded"] += 1
        try:
            os.remove(path)
        except OSError:
            pass
        return None
    return source


def own_files(directory):
    """The paths of the entries in `directory` and of the temporary files an interrupted write left
    there (a full disk): only files transpile wrote, by name and first line, never the user's."""
    import re

    found = []
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
        path = os.path.join(directory, name)
        entry = re.fullmatch(r"[0-9a-f]{64}\.py", name)
        temporary = re.fullmatch(r"[0-9a-f]{64}\.\w+\.tmp", name)
        older = re.fullmatch(r"tmp\w{8}\.tmp", name)  # (before temporaries were named after their key)
        if not (entry or temporary or older) or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                first = handle.read(len(HEADER))
        except OSError:
            continue
        if temporary or first == HEADER.encode() or older and not first:
            found.append(path)
    return found


def _private(stat):
    """Owned by this user and writable by nobody else (always true where there are no such modes)."""
    if os.name != "posix":
        return True
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def _give_up(reason):
    """Use the in-memory cache only from now on, saying why once."""
    global _disk_failed
    if not _disk_failed:
        _disk_failed = True
        warnings.warn(f"transpile: {reason}; using the in-memory cache only.", RuntimeWarning, stacklevel=4)


def _write(key, source):
    """Write atomically (temporary file, then rename); on failure use memory only."""
    global _disk_failed
    directory = cache_dir()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if not _private(os.stat(directory)):
            _give_up(f"the cache directory {directory} can be written by other users")
            return
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=key + ".", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_header(key, source) + source)
        os.replace(temporary, _path(key))
    except OSError as exc:
        _disk_failed = True
        warnings.warn(f"transpile: cannot write the disk cache in {directory} ({exc}); "
                      "using the in-memory cache only.", RuntimeWarning, stacklevel=3)
