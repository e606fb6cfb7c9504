"""Stage 6: compile generated source into a module, cached in memory and on disk.

The memory cache maps (function object, options) to the loaded function: a
second `grad(f)` is a dictionary look-up.  The disk cache stores each module
as `<key>.py`, where the key hashes everything the output depends on: the
function's source, file and first line, the values of the globals and
closure variables it reads, the options, transpile's version and Python's.
A process that finds the file skips parsing and differentiation entirely.

`TRANSPILE_CACHE_DIR` sets the directory (default: the user's cache
directory); `TRANSPILE_CACHE=0` turns the disk cache off.
"""

import functools
import hashlib
import inspect
import linecache
import marshal
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

    An entry counts only while the constants `func` reads are unchanged:
    they were baked into the generated code.
    """
    try:
        loaded, source, reads, generation = _memory[func][request]
    except (KeyError, TypeError):
        return None
    if generation != rules.generation():  # a rule was registered since: it may change the code
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
    loaded = compile_function(source, options.entry_name(func), key)
    if options.keeps_signature:
        loaded.__defaults__ = func.__defaults__
    loaded.__kwdefaults__ = func.__kwdefaults__
    guard.ORIGINS[loaded] = (weakref.ref(func), options)
    try:
        per_function = _memory.setdefault(func, {})
    except TypeError:  # not weak-referenceable: no memory cache for it
        return loaded, source
    per_function[options] = (loaded, source, reads, rules.generation())
    if alias is not None:
        per_function[alias] = per_function[options]
    return loaded, source


ENTRIES = "transpile.generated"  # generated modules are `transpile.generated.k<key>`, importable (pickle)


def module_name(key):
    return f"{ENTRIES}.k{key}"


def compile_function(source, entry, key):
    """Execute `source` as the module `module_name(key)` and return its function `entry`.

    The module is registered in `sys.modules`, so the function pickles by
    reference; another process imports it from the disk cache (`EntryFinder`).
    """
    path = _path(key) if disk_cache_enabled() else f"<transpile {key[:16]}>"
    module = types.ModuleType(module_name(key))
    module.__file__ = path
    module.__dict__.update(rules.EXTERNALS)  # user functions with registered rules, called by name
    text = _header(source) + source  # as on disk: tracebacks show the right lines
    if not os.path.exists(path):
        linecache.cache[path] = (len(text), None, text.splitlines(True), path)
    exec(compile(text, path, "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return getattr(module, entry)


def _header(source):
    """The first line of an entry: the hash of the rest, checked before the entry is executed."""
    return f"# transpile entry sha256 {hashlib.sha256(source.encode()).hexdigest()}\n"


class EntryFinder:
    """Imports `transpile.generated.k<key>` from the disk cache: a process that unpickles a
    generated function it never built finds it there (verified like any entry)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        import importlib.machinery

        if name == ENTRIES:
            return importlib.machinery.ModuleSpec(name, EntryFinder, is_package=True)
        if not name.startswith(ENTRIES + ".k") or not disk_cache_enabled():
            return None
        return importlib.machinery.ModuleSpec(name, EntryFinder) if _read(name[len(ENTRIES) + 2:]) else None

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        if module.__name__ == ENTRIES:
            module.__path__ = []
            return
        key = module.__name__[len(ENTRIES) + 2:]
        source = _read(key)
        if source is None:
            raise ImportError(f"transpile: the generated module {module.__name__} is not in the disk cache "
                              f"{cache_dir()}; create the function with tp.grad (or the like) in this process first")
        module.__file__ = _path(key)
        module.__dict__.update(rules.EXTERNALS)
        exec(compile(_header(source) + source, module.__file__, "exec"), module.__dict__)


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
             repr(environment(func) if seen is None else seen)]
    try:
        parts.append(inspect.getsource(func))
    except (OSError, TypeError):
        parts.append(code.co_code.hex())
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
    names = code.co_names + code.co_freevars
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
        if reads is not None:  # an inlined callee's defaults are baked in too
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
    return hashlib.sha256(marshal.dumps(code)).hexdigest()[:20]


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
    if first + "\n" != _header(source):
        warnings.warn(f"transpile: discarding the corrupted or modified cache entry {path}; it is regenerated.",
                      RuntimeWarning, stacklevel=3)
        STATS["discarded"] += 1
        try:
            os.remove(path)
        except OSError:
            pass
        return None
    return source


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
        fd, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_header(source) + source)
        os.replace(temporary, _path(key))
    except OSError as exc:
        _disk_failed = True
        warnings.warn(f"transpile: cannot write the disk cache in {directory} ({exc}); "
                      "using the in-memory cache only.", RuntimeWarning, stacklevel=3)
