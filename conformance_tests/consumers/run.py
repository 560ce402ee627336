"""``python -m conformance_tests.consumers``: the consumers' own tests on our namespaces.

Usage::

    python -m conformance_tests.consumers [--suite NAME]... [--module TEXT]...
                                          [-k EXPRESSION] [--time-limit SECONDS]
                                          [--output DIR]

Each suite is the array API tests that a library ships inside its installed
package, run by pytest in a subprocess with :mod:`conformance_tests.consumers.plugin`,
which adds ``arrayapi_autograd.numpy``, ``arrayapi_autograd.torch`` and
``arrayapi_autograd.array_api_strict`` beside the suite's control backends
(numpy, torch, array_api_strict) without editing a file of theirs.  Only the
tests parametrized over a backend run; ``SCIPY_ARRAY_API=1`` is set.

``--suite`` (repeatable) picks among :data:`SUITES` (default: all);
``--module`` keeps the test modules whose path contains the text; ``-k`` is
pytest's; ``--time-limit`` overrides each suite's own (after it, no new test
starts and the counts are those of the tests run).

The run prints and writes a table (``consumers-report.md``, and
``consumers-report.json`` with every test that did not pass, in ``--output``):
one row per suite and wrapped backend, passed / failed / skipped on the
control and on ours, and every failure of ours classified (:mod:`conformance_tests.consumers.known`):

``inherited``
    The same test fails, is skipped or is an expected failure on the wrapped
    backend itself (checked first).
``by name``
    The suite (or the library under test) branches on the backend's name: it
    delegates to, or expects, a behaviour it knows only under that name
    (reviewed by hand, in ``known.py``).
``defect of ours``
    The control passes and ours fails: a reviewed known defect, or any failure
    that nothing explains.

The exit status is 1 when a failure of ours is classified as a defect of ours.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from . import known
from .plugin import CONTROLS, PREFIX


@dataclass(frozen=True)
class Suite:
    """One consumer's array API tests, as its installed package ships them."""

    name: str
    package: str
    """Import name of the package that ships the tests."""
    kind: str
    """Which fixture the plugin extends (a key of ``plugin.SUITES``)."""
    paths: tuple[str, ...]
    """Test directories or modules, relative to the package's folder."""
    requirement: str
    """What to install when the suite is missing (its wheels ship the tests)."""
    time_limit: float
    """Seconds of tests (not counting collection) before the run stops."""


SKLEARN_MODULES = tuple(f"{folder}/tests/test_{name}.py" for folder, name in (
    # every test module of scikit-learn parametrized by
    # ``yield_namespace_device_dtype_combinations`` or ``yield_namespaces``; the
    # array API helpers and the metrics first, as a time limit may cut the rest
    ("utils", "array_api"), ("metrics", "common"), ("_loss", "link"), ("_loss", "loss"),
    ("decomposition", "pca"),
    ("linear_model/_glm", "glm"), ("linear_model", "logistic"), ("linear_model", "ridge"),
    ("metrics/cluster", "common"), ("metrics/cluster", "supervised"),
    ("metrics", "classification"), ("metrics", "pairwise"),
    ("mixture", "gaussian_mixture"), ("model_selection", "search"),
    ("model_selection", "split"), ("model_selection", "validation"),
    ("preprocessing", "data"), ("preprocessing", "label"), ("preprocessing", "polynomial"),
    (".", "calibration"), (".", "kernel_approximation"), (".", "naive_bayes"),
    (".", "pipeline"), ("utils", "extmath"), ("utils", "indexing"),
    ("utils", "multiclass"), ("utils", "optimize"), ("utils", "stats"),
    ("utils", "validation"),
))

SCIPY_REQUIREMENT = "scipy>=1.15"

SUITES = (
    Suite("array-api-extra", "array_api_extra", "array-api-extra", ("tests/main",),
          "array-api-extra>=0.8", 90),
    Suite("scipy.special", "scipy", "scipy", ("special/tests",), SCIPY_REQUIREMENT, 90),
    Suite("scipy.stats", "scipy", "scipy", ("stats/tests",), SCIPY_REQUIREMENT, 150),
    Suite("scipy._lib", "scipy", "scipy", ("_lib/tests",), SCIPY_REQUIREMENT, 60),
    Suite("scipy.ndimage", "scipy", "scipy", ("ndimage/tests",), SCIPY_REQUIREMENT, 60),
    Suite("scikit-learn", "sklearn", "scikit-learn", SKLEARN_MODULES,
          "scikit-learn>=1.6", 120),
)

COLLECTION_ALLOWANCE = 240
"""Seconds allowed for a suite's start and collection, beyond its time limit."""

OUTCOMES = ("passed", "failed", "skipped")
CATEGORIES = ("defect of ours", "inherited", "by name")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m conformance_tests.consumers",
        description="Run the array API tests that array-api-extra, SciPy and scikit-learn "
                    "ship, with arrayapi_autograd's namespaces beside each control backend, "
                    "and write a suite x backend table.")
    parser.add_argument("--suite", action="append", default=None,
                        help="repeatable; among " + ", ".join(s.name for s in SUITES)
                             + " (default: all)")
    parser.add_argument("--module", action="append", default=None,
                        help="keep the suite's test modules whose path contains this text; "
                             "repeatable")
    parser.add_argument("-k", dest="keyword", default=None,
                        help="pytest's -k expression, to select tests by name")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds of tests per suite (default: each suite's own)")
    parser.add_argument("--output", default=".",
                        help="directory for consumers-report.md/.json (default: .)")
    return parser.parse_args(argv)


def locate(suite: Suite, modules=None) -> tuple[list[str], str, str]:
    """``(test paths, rootdir, reason)``: the installed test paths, or why there are none."""
    spec = importlib.util.find_spec(suite.package)
    if spec is None or not spec.submodule_search_locations:
        return [], "", (f"{suite.package} is not installed: pip install '{suite.requirement}' "
                        "(every suite: pip install -e '.[consumers]')")
    folder = list(spec.submodule_search_locations)[0]
    paths = [os.path.normpath(os.path.join(folder, p)) for p in suite.paths]
    present = [p for p in paths if os.path.exists(p)]
    if not present:
        return [], "", (f"the installed {suite.package} ({folder}) ships no tests "
                        f"({suite.paths[0]} is missing); install a wheel that does: "
                        f"pip install --force-reinstall '{suite.requirement}'")
    if modules:
        chosen = []
        for path in present:
            files = ([os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs
                      if f.startswith("test_") and f.endswith(".py")]
                     if os.path.isdir(path) else [path])
            chosen += [f for f in sorted(files) if any(m in f for m in modules)]
        if not chosen:
            return [], "", f"no test module of {suite.name} matches --module {modules}"
        present = chosen
    return present, os.path.dirname(folder), ""


def run_suite(suite: Suite, paths, rootdir, keyword, time_limit, workdir) -> dict:
    """Run one suite in a subprocess; returns its records and how the run ended."""
    out = os.path.join(workdir, suite.name + ".jsonl")
    log = os.path.join(workdir, suite.name + ".log")
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, SCIPY_ARRAY_API="1",
               PYTHONPATH=os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])]))
    command = [sys.executable, "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider",
               "-o", "addopts=", "--rootdir", rootdir,
               "-p", "conformance_tests.consumers.plugin",
               "--consumers-suite", suite.kind, "--consumers-out", out,
               "--consumers-time-limit", str(time_limit), *paths]
    if keyword:
        command += ["-k", keyword]
    start = time.monotonic()
    ended = ""
    with open(log, "w", encoding="utf-8") as f:
        try:
            code = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env,
                                  cwd=workdir, timeout=time_limit + COLLECTION_ALLOWANCE
                                  ).returncode
        except subprocess.TimeoutExpired:
            code = None
            ended = (f"killed after {time_limit + COLLECTION_ALLOWANCE:g} s "
                     "(collection or one test too slow)")
    seconds = time.monotonic() - start
    records, collected, stopped = [], {}, None
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if "collected" in record:
                    collected = record["collected"]
                elif "finished" in record:
                    stopped = record["stopped"]
                else:
                    records.append(record)
    if not ended:
        ended = stopped or ""
    if code not in (0, 1, 2, 5, None) or (code == 2 and not collected):
        with open(log, encoding="utf-8") as f:
            tail = f.read().strip().splitlines()[-5:]
        ended = ended or f"pytest exited with status {code}: " + " / ".join(tail)
    return {"records": records, "collected": collected, "ended": ended,
            "seconds": round(seconds, 1), "log": log}


def final_outcomes(records) -> dict:
    """``{nodeid: record}``, one per test: its failing phase if any, else its result."""
    chosen = {}
    for record in records:
        old = chosen.get(record["nodeid"])
        if old is None or (record["outcome"] == "failed" and old["outcome"] != "failed"):
            chosen[record["nodeid"]] = record
    return chosen


def bucket(outcome: str) -> str:
    return {"xfailed": "skipped", "xpassed": "passed", "error": "failed"}.get(outcome, outcome)


def classify(suite: Suite, record: dict, controls: dict) -> tuple[str, str]:
    """``(category, evidence)`` for a failure of ours."""
    control = controls.get(record["twin"])
    wrapped = record["backend"][len(PREFIX):]
    if control is not None and control["outcome"] != "passed":
        what = {"failed": "fails", "skipped": "is skipped", "xfailed": "is an expected failure",
                "xpassed": "passes unexpectedly"}.get(control["outcome"], control["outcome"])
        return "inherited", f"on {wrapped} the test {what} too: {control['message']}"
    reviewed = known.lookup(suite.name, record["nodeid"], record["backend"],
                            record["message"])
    if reviewed is not None:
        return reviewed
    if control is None:
        return "defect of ours", f"(no run on {wrapped} to compare) {record['message']}"
    return "defect of ours", f"passes on {wrapped}; ours: {record['message']}"


def summarize(suite: Suite, result: dict) -> dict:
    tests = final_outcomes(result["records"])
    counts = defaultdict(Counter)
    for record in tests.values():
        counts[record["backend"]][bucket(record["outcome"])] += 1
    failures = []
    for record in tests.values():
        if record["backend"].startswith(PREFIX) and bucket(record["outcome"]) == "failed":
            category, evidence = classify(suite, record, tests)
            failures.append({"nodeid": record["nodeid"], "backend": record["backend"],
                             "category": category, "evidence": evidence,
                             "message": record["message"]})
    rows = []
    for wrapped in CONTROLS:
        mine = PREFIX + wrapped
        classes = Counter(f["category"] for f in failures if f["backend"] == mine)
        rows.append({
            "suite": suite.name, "backend": wrapped,
            "control": {k: counts[wrapped][k] for k in OUTCOMES},
            "ours": {k: counts[mine][k] for k in OUTCOMES},
            "collected": {"control": result["collected"].get(wrapped, 0),
                          "ours": result["collected"].get(mine, 0)},
            "failures of ours": {c: classes[c] for c in CATEGORIES},
        })
    return {"rows": rows, "failures": failures}


def _cell(c: dict) -> str:
    return f"{c['passed']} / {c['failed']} / {c['skipped']}"


def _short(nodeid: str) -> str:
    """``module.py::test[...]``: the node id without the folders."""
    path, _, rest = nodeid.partition("::")
    parts = path.split("/")
    package = next((i for i, p in enumerate(parts) if p in ("scipy", "sklearn",
                                                              "array_api_extra")), 0)
    return "/".join(parts[package:]) + "::" + rest


def markdown(runs: list, config: dict) -> str:
    lines = ["# The consumers' own array API tests on arrayapi_autograd's namespaces", ""]
    lines += [f"- {k}: {v}" for k, v in config.items()]
    lines += ["", "Passed / failed / skipped (skipped includes expected failures). "
              "\"ours\" is `arrayapi_autograd.<backend>`; its failures are classified as "
              "a defect of ours, inherited from the wrapped backend, or the suite "
              "branching on a backend's name.", ""]
    lines += ["| suite | backend | control | ours | defect of ours | inherited | by name "
              "| not run (control / ours) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    notes = []
    for run in runs:
        if run.get("reason"):
            lines.append(f"| {run['suite']} | - | not run | not run | | | | |")
            notes.append(f"- {run['suite']}: not run: {run['reason']}")
            continue
        for row in run["rows"]:
            f = row["failures of ours"]
            left = [row["collected"][side] - sum(row[side].values())
                    for side in ("control", "ours")]
            lines.append(f"| {row['suite']} | {row['backend']} | {_cell(row['control'])} "
                         f"| {_cell(row['ours'])} | {f['defect of ours']} | {f['inherited']} "
                         f"| {f['by name']} | {left[0]} / {left[1]} |")
        if run["ended"]:
            notes.append(f"- {run['suite']}: stopped: {run['ended']} "
                         f"({run['seconds']} s in all)")
        else:
            notes.append(f"- {run['suite']}: complete in {run['seconds']} s")
    lines += ["", *notes]
    for category in CATEGORIES:
        grouped = defaultdict(list)
        for run in runs:
            for fail in run.get("failures", ()):
                if fail["category"] == category:
                    test = _short(fail["nodeid"]).split("[")[0]
                    grouped[(run["suite"], test, fail["evidence"])].append(
                        fail["backend"][len(PREFIX):])
        if not grouped:
            continue
        lines += ["", f"## Failures of ours: {category}", ""]
        for (suite, test, evidence), backends in sorted(grouped.items()):
            count = Counter(backends)
            where = ", ".join(f"{b} x{n}" if n > 1 else b for b, n in sorted(count.items()))
            lines.append(f"- {suite} `{test}` ({where}): {evidence}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    names = [s.name for s in SUITES]
    chosen = args.suite or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown suite(s) {unknown}; choose among {names}", file=sys.stderr)
        return 2
    runs = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="consumers-") as workdir:
        for suite in (s for s in SUITES if s.name in chosen):
            paths, rootdir, reason = locate(suite, args.module)
            if reason:
                print(f"{suite.name}: not run: {reason}", flush=True)
                runs.append({"suite": suite.name, "reason": reason})
                continue
            limit = args.time_limit if args.time_limit is not None else suite.time_limit
            print(f"{suite.name}: running (at most {limit:g} s of tests)...", flush=True)
            result = run_suite(suite, paths, rootdir, args.keyword, limit, workdir)
            if not result["collected"]:
                with open(result["log"], encoding="utf-8") as f:
                    tail = " / ".join(f.read().strip().splitlines()[-3:])
                reason = result["ended"] or f"no test parametrized over a backend ran: {tail}"
                print(f"{suite.name}: not run: {reason}", flush=True)
                runs.append({"suite": suite.name, "reason": reason})
                continue
            summary = summarize(suite, result)
            runs.append({"suite": suite.name, "ended": result["ended"],
                         "seconds": result["seconds"], **summary,
                         "not passed": [r for r in final_outcomes(result["records"]).values()
                                        if r["outcome"] != "passed"]})
    import arrayapi_autograd

    versions = {}
    for dist in ("array-api-extra", "scipy", "scikit-learn", "numpy", "torch",
                 "array-api-strict", "pytest"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # noqa: BLE001 - not installed
            versions[dist] = "not installed"
    config = {
        "arrayapi_autograd": arrayapi_autograd.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "selection": ", ".join(filter(None, [
            f"suites {', '.join(chosen)}",
            f"modules containing {args.module}" if args.module else "",
            f"-k {args.keyword!r}" if args.keyword else ""])),
        "seconds": round(time.monotonic() - start, 1),
    }
    text = markdown(runs, config)
    print(text)
    os.makedirs(args.output, exist_ok=True)
    md_path = os.path.join(args.output, "consumers-report.md")
    json_path = os.path.join(args.output, "consumers-report.json")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(text)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump({"config": config, "runs": runs}, f, indent=1)
    print(f"wrote {md_path} and {json_path}")
    defects = sum(1 for run in runs for fail in run.get("failures", ())
                  if fail["category"] == "defect of ours")
    return 1 if defects else 0
