"""The command line, end to end through subprocess."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICKSTART = os.path.join(ROOT, "examples", "quickstart.py")


def run(*args, tmp_path):
    env = dict(os.environ, TRANSPILE_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "transpile", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT)


def test_grad_prints_the_same_source_as_the_api(tmp_path):
    import transpile as tp
    from examples import quickstart

    result = run("grad", f"{QUICKSTART}:f", "--wrt", "x,y", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = tp.source(quickstart.f, wrt=("x", "y"))
    # same code; only the module differs (examples.quickstart vs the file) and so may the docstring path
    assert result.stdout.split('"""', 4)[-1] == expected.split('"""', 4)[-1]
    assert "def grad_f(x, y):" in result.stdout


def test_module_path_form_and_positions(tmp_path):
    result = run("grad", "tests.functions:quickstart", "--wrt", "1", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "with respect to y." in result.stdout


def test_no_optimize_flag(tmp_path):
    raw = run("grad", f"{QUICKSTART}:f", "--no-optimize", tmp_path=tmp_path).stdout
    optimized = run("grad", f"{QUICKSTART}:f", tmp_path=tmp_path).stdout
    assert len(raw.splitlines()) > len(optimized.splitlines())


@pytest.mark.parametrize("args, message", [
    (["grad", "missing.py:f"], "no such file"),
    (["grad", "examples/quickstart.py:nothing"], "has no function 'nothing'"),
    (["grad", "examples/quickstart.py"], "expected FILE.py:FUNC"),
    (["grad", "tests/bad_functions.py:uses_try"], "'try' statements are not supported"),
    (["grad", "examples/quickstart.py:f", "--wrt", "z"], "no such parameter"),
])
def test_errors_exit_2_with_a_message(tmp_path, args, message):
    result = run(*args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_has_examples(tmp_path):
    result = run("grad", "--help", tmp_path=tmp_path)
    assert result.returncode == 0 and "examples:" in result.stdout


def test_console_script_is_installed():
    import shutil

    script = shutil.which("transpile", path=os.path.dirname(sys.executable))
    assert script, "the `transpile` console script is not installed next to this Python"


def test_version(tmp_path):
    import transpile

    result = run("--version", tmp_path=tmp_path)
    assert result.returncode == 0 and transpile.__version__ in result.stdout


def test_a_target_that_fails_to_import_is_a_one_line_error(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x):\n    return x *\n")
    result = run("grad", f"{broken}:f", tmp_path=tmp_path)
    assert result.returncode == 2 and "SyntaxError" in result.stderr and "Traceback" not in result.stderr


def test_console_script_finds_modules_in_the_current_directory(tmp_path):
    import shutil

    (tmp_path / "here_mod.py").write_text("def f(x):\n    return x * x\n")
    script = shutil.which("transpile", path=os.path.dirname(sys.executable))
    env = dict(os.environ, TRANSPILE_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([script, "grad", "here_mod:f"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "def grad_f(x):" in result.stdout


def test_forward_mode_source(tmp_path):
    result = run("grad", f"{QUICKSTART}:f", "--wrt", "x,y", "--mode", "forward", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "# tangent of:" in result.stdout and "forward mode" in result.stdout


def test_compare_prints_the_table_and_json(tmp_path):
    import json

    result = run("compare", f"{QUICKSTART}:f", "--at", "x=0.3,y=2.0", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sympy diff + cse" in result.stdout and "transpile (AD)" in result.stdout and "agreement" in result.stdout
    report = json.loads(run("compare", f"{QUICKSTART}:f", "--at", "x=0.3,y=2.0", "--json",
                            tmp_path=tmp_path).stdout)
    assert report["max_relative_difference"] < 1e-9 and report["point"] == {"x": 0.3, "y": 2.0}


def test_check_exit_codes(tmp_path):
    passed = run("check", f"{QUICKSTART}:f", "--at", "x=0.3", tmp_path=tmp_path)
    assert passed.returncode == 0 and "worst relative error" in passed.stdout, passed.stderr
    failed = run("check", "tests.wrong_rule:uses_wrong_rule", "--at", "x=0.4,y=2.0", tmp_path=tmp_path)
    assert failed.returncode == 1 and "check failed" in failed.stderr
    bad = run("check", f"{QUICKSTART}:f", "--at", "z=1", tmp_path=tmp_path)
    assert bad.returncode == 2 and "name=value" in bad.stderr


def test_graph_writes_dot_and_explains_a_missing_renderer(tmp_path):
    dot = run("graph", f"{QUICKSTART}:f", "--wrt", "x", tmp_path=tmp_path)
    assert dot.returncode == 0 and dot.stdout.startswith('digraph "f"') and "fillcolor" in dot.stdout
    picture = run("graph", f"{QUICKSTART}:f", "-o", str(tmp_path / "f.svg"), tmp_path=tmp_path)
    import shutil

    if shutil.which("dot"):
        assert picture.returncode == 0 and (tmp_path / "f.svg").exists()
    else:
        assert picture.returncode == 2 and "not installed" in picture.stderr and (tmp_path / "f.dot").exists()


def test_jvp_and_cache_commands(tmp_path):
    jvp = run("jvp", f"{QUICKSTART}:f", tmp_path=tmp_path)
    assert jvp.returncode == 0 and "def jvp_f(x, y, dx, dy):" in jvp.stdout
    info = run("cache", "info", tmp_path=tmp_path)
    assert info.returncode == 0 and "entries: " in info.stdout and str(tmp_path / "cache") in info.stdout
    cleared = run("cache", "clear", tmp_path=tmp_path)
    assert cleared.returncode == 0 and "removed" in cleared.stdout
    assert "entries: 0" in run("cache", "info", tmp_path=tmp_path).stdout


TARGETS = '''
import numpy as np

def on_arrays(W, x):
    return np.sum(np.tanh(W @ x) ** 2)

def scalar_numpy(x, y):
    return np.sin(x) * y

def on_list(xs):
    return xs[0] * xs[1] ** 2

def on_dict(p):
    return p["a"] * p["b"]

def counted(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s

def annotated(x, n: int = 2):
    return x ** n
'''


def in_process(capsys, *args):
    """(exit code, stdout, stderr) of the command line run in this process (faster than a subprocess)."""
    from transpile import cli

    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def targets(tmp_path):
    path = tmp_path / "targets.py"
    path.write_text(TARGETS)
    return str(path)


@pytest.mark.parametrize("args", [
    ["check", "{t}:on_arrays"],
    ["compare", "{t}:on_arrays"],
    ["graph", "{t}:on_arrays"],
    ["graph", "{t}:scalar_numpy"],
    ["compare", "{t}:scalar_numpy"],
    ["check", "{t}:on_list"],
    ["compare", "{t}:on_list"],
    ["compare", "{t}:on_list", "--at", "xs=[1.0,2.0]"],
    ["compare", "{t}:counted", "--at", "n=3"],
    ["check", "{t}:on_arrays", "--at", "W=[[1.0,2.0]],x=[1.0,2.0,3.0]"],  # shapes that do not fit
])
def test_what_cannot_run_is_one_line_with_exit_2(capsys, targets, args):
    code, out, err = in_process(capsys, *[a.format(t=targets) for a in args])
    assert code == 2, (out, err)
    assert err.startswith("transpile: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    if "on_arrays" in args[1] and "--at" not in args:  # says how to give arrays, or what to use instead
        assert ("--at" in err and "[1.0,2.0]" in err) if args[0] != "compare" else "transpile check" in err


def test_check_and_graph_take_arrays_lists_and_dicts(capsys, targets):
    code, out, err = in_process(capsys, "check", f"{targets}:on_arrays", "--at", "W=[[1.0,2.0],[0.5,0.1]],x=[0.3,0.2]")
    assert code == 0 and "worst relative error" in out, err
    code, out, err = in_process(capsys, "graph", f"{targets}:on_arrays", "--at", "W=[[1.0,2.0],[0.5,0.1]],x=[0.3,0.2]")
    assert code == 0 and out.startswith('digraph "on_arrays"') and '"dW (result)"' in out, err
    code, out, err = in_process(capsys, "check", f"{targets}:on_list", "--at", "xs=[1.0,2.0]")
    assert code == 0 and "worst relative error" in out, err
    code, out, err = in_process(capsys, "check", f"{targets}:on_dict", "--at", "p={'a':1.0,'b':2.0}")
    assert code == 0 and "worst relative error" in out, err


def test_int_looking_values_are_ints_where_the_parameter_is_one(capsys, targets):
    code, out, err = in_process(capsys, "check", f"{targets}:counted", "--at", "n=10")
    assert code == 0 and "worst relative error" in out, err  # n=10.0 would fail in range()
    code, out, err = in_process(capsys, "compare", f"{targets}:annotated", "--at", "x=1.5,n=3.0", "--json")
    assert code == 0, err
    import json

    report = json.loads(out)
    assert report["point"]["n"] == 3 and report["wrt"] == ["x"] and report["values"]["transpile (AD)"] == [6.75]
    code, out, err = in_process(capsys, "check", f"{targets}:counted", "--at", "x=1,n=4", "--wrt", "x")
    assert code == 0, err  # --wrt names x: its 1 is the float 1.0


def test_compare_inlines_helpers_like_transpile(capsys):
    code, out, err = in_process(capsys, "compare", os.path.join(ROOT, "examples", "custom_rule.py") + ":loss",
                                "--at", "w=0.3,b=0.5", "--json")
    assert code == 0, err
    import json

    report = json.loads(out)
    assert report["max_relative_difference"] < 1e-12
    numerical, sympy_ = report["values"]["numerical (h^2)"], report["values"]["sympy diff"]
    assert all(abs(a - b) < 1e-6 for a, b in zip(numerical, sympy_))


def test_cache_clear_removes_only_what_transpile_wrote(tmp_path):
    """The cache directory may hold the user's own files: only entries (name and first line) and the
    temporaries of interrupted writes are counted and removed."""
    assert run("grad", f"{QUICKSTART}:f", tmp_path=tmp_path).returncode == 0
    cache = tmp_path / "cache"
    (entry,) = [p for p in cache.iterdir() if p.suffix == ".py"]
    orphan = cache / f"{entry.stem}.k3j_x9ab.tmp"  # a write the full disk cut short
    orphan.write_text(entry.read_text()[:10])
    mine = {cache / "notes.py": "print('mine')\n", cache / f"{'0' * 64}.py": "# my own file with an entry's name\n",
            cache / "data.tmp": "mine too\n", cache / "sub" / "x.py": ""}
    for path, text in mine.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert "entries: 2 " in run("cache", "info", tmp_path=tmp_path).stdout
    cleared = run("cache", "clear", tmp_path=tmp_path)
    assert cleared.returncode == 0 and "removed 2 entries" in cleared.stdout
    assert not entry.exists() and not orphan.exists()
    assert all(path.read_text() == text for path, text in mine.items())
    assert "entries: 0 " in run("cache", "info", tmp_path=tmp_path).stdout
