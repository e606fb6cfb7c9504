"""Soak of the differential fuzzer (tests/fuzz.py): many random programs per family, every oracle.

    python bench/fuzz.py --programs 10000 --seed 0 [--family NAME] [--jobs 2] [--out fuzz-failures]
    python bench/fuzz.py --family loops --replay 1234      # one program, its source and result

Program k of family F uses seed S * 1_000_003 + k, so a failure is reproduced from its family and
seed alone. Prints per family: programs run, passed, skipped (not checkable at the drawn point),
refused (TranspileError; in the `views` family an accepted answer), singular (a derivative that is
infinite at the drawn point raised ZeroDivisionError or OverflowError in generated scalar code, as
Python's float arithmetic does in f), mismatches (a wrong value or derivative), raw exceptions and
timeouts, then the distinct failure classes and refusal messages.
Each failing program is written to --out as a runnable .py file (source, arguments, the oracle and
message). The hash-seed determinism oracle runs on every --determinism-th program (default 10).
Exits 1 if any mismatch, raw exception or determinism difference was found.
"""

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests import fuzz  # noqa: E402

_DIRECTORY = None


def _start(timeout):
    global _DIRECTORY, _TIMEOUT
    _DIRECTORY = tempfile.mkdtemp(prefix="transpile-fuzz-")
    _TIMEOUT = timeout
    os.environ["TRANSPILE_CACHE"] = "0"  # every program is new: the disk cache only costs time


def _alarm(signum, frame):
    raise fuzz._Timeout()


def run_one(key):
    """(key, status, oracle, message, signature) for the program named by key; never raises."""
    family, seed = key
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(_TIMEOUT)
    try:
        program = fuzz.make(family, seed)
        result = fuzz.check(program, _DIRECTORY)
    except fuzz._Timeout:
        result = fuzz.Result("timeout", fuzz._STAGE[0], f"over {_TIMEOUT} s")
    except Exception as exc:  # noqa: BLE001 - the generator itself failed
        result = fuzz.Result("raw", "generator", f"{type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
    return key, result.status, result.oracle, result.message, result.signature


def write_failure(out, key, status, oracle, message):
    family, seed = key
    os.makedirs(out, exist_ok=True)
    program = fuzz.make(family, seed)
    lines = message.splitlines()
    lines = lines[:12] + ["..."] + lines[-28:] if len(lines) > 40 else lines  # a traceback ends with the error
    header = "\n".join("# " + line for line in [f"{status} ({oracle}):"] + lines)
    path = os.path.join(out, f"{family}-{seed}.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + "\n" + program.reproduction())
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1000, help="programs per family (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--family", action="append", choices=fuzz.FAMILIES, help="only this family (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds per program (default 30)")
    parser.add_argument("--out", default="fuzz-failures", help="directory for failing programs")
    parser.add_argument("--determinism", type=int, default=10, help="check every Nth program's source under two "
                        "hash seeds (0: never)")
    parser.add_argument("--replay", type=int, help="run the one program with this seed and print it")
    args = parser.parse_args(argv)
    families = args.family or list(fuzz.FAMILIES)

    if args.replay is not None:
        _start(args.timeout)
        for family in families:
            program = fuzz.make(family, args.replay)
            print(program.reproduction())
            print(run_one((family, args.replay))[1:4])
        return 0

    keys = [(family, args.seed * 1_000_003 + k) for k in range(args.programs) for family in families]
    counts = defaultdict(Counter)
    classes = defaultdict(list)  # signature -> failing keys
    refusals = defaultdict(Counter)  # family -> refusal message
    start = time.perf_counter()
    pending = list(keys)
    done = 0
    while pending:
        with ProcessPoolExecutor(args.jobs, initializer=_start, initargs=(args.timeout,)) as pool:
            futures = {pool.submit(run_one, key): key for key in pending}
            finished = set()
            try:
                for future in futures:
                    key, status, oracle, message, signature = future.result()
                    finished.add(key)
                    family = key[0]
                    counts[family][status] += 1
                    if status in ("mismatch", "raw", "timeout"):
                        classes[(family, status, signature)].append(key)
                        write_failure(args.out, key, status, oracle, message)
                    elif status == "refused":
                        tag = {"expected": "(accepted) ", "suspicious": "(SHOULD WORK?) "}.get(oracle, "")
                        refusals[family][f"{tag}{signature}"] += 1
                        if oracle == "suspicious":
                            write_failure(args.out, key, status, oracle, message)
                    done += 1
                    if done % 500 == 0:
                        print(f"... {done} programs, {time.perf_counter() - start:.0f} s", file=sys.stderr)
            except BrokenProcessPool:  # a worker died (a crash in C code): blame the first unfinished one
                victim = next(k for k in pending if k not in finished)
                counts[victim[0]]["raw"] += 1
                classes[(victim[0], "raw", "worker process died")].append(victim)
                write_failure(args.out, victim, "raw", "process", "the worker process died")
                finished.add(victim)
            pending = [k for k in pending if k not in finished]
    elapsed = time.perf_counter() - start

    nondeterministic = []
    if args.determinism:
        sample = [f"{f}:{s}" for f, s in keys[::args.determinism]]
        nondeterministic = fuzz.determinism(sample)
        for key in nondeterministic:
            family, seed = key.split(":")
            classes[(family, "determinism", "source differs between PYTHONHASHSEED 0 and 1")].append((family, seed))
            write_failure(args.out, (family, int(seed)), "determinism", "hash seed", "generated source differs")

    columns = ("pass", "skip", "refused", "singular", "mismatch", "raw", "timeout")
    print(f"{'family':<12}{'run':>7}" + "".join(f"{c:>10}" for c in columns))
    for family in families:
        row = counts[family]
        refused_expected = sum(n for m, n in refusals[family].items() if m.startswith("(accepted)"))
        print(f"{family:<12}{sum(row.values()):>7}" + "".join(f"{row[c]:>10}" for c in columns)
              + (f"   ({refused_expected} refusals accepted)" if refused_expected else ""))
    print(f"{len(keys)} programs in {elapsed:.0f} s ({len(keys) / elapsed:.1f}/s with {args.jobs} jobs); "
          f"determinism: {len(nondeterministic)} of {len(keys[::args.determinism]) if args.determinism else 0} differ")
    if classes:
        print(f"\nfailure classes (programs in {args.out}/FAMILY-SEED.py):")
        for (family, status, signature), failing in sorted(classes.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(failing):>5}  {family:<11}{status:<9}{signature}   e.g. seed {failing[0][1]}")
    for family in families:
        for message, n in refusals[family].most_common(8):
            print(f"  refused {n:>5}  {family:<11}{message}")
    return 1 if classes else 0


if __name__ == "__main__":
    sys.exit(main())
