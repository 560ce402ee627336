"""``python -m conformance_tests``: run the checks and write the op x backend report.

Usage::

    python -m conformance_tests [--ops NAMES] [--backend NAME]... [--dtype NAME]...
                                [--checks NAMES] [--max-examples N] [--output DIR]

``--ops`` takes comma-separated names or globs (``'sin,linalg.*'``);
``--backend`` is repeatable and takes a known backend (``numpy``, ``torch``,
``array_api_strict``, ``cupy``, ``torch-cuda``, ``dask``, ``jax``) or the module
name of any compliant namespace (``mylib.array_api``), which is wrapped with
:func:`arrayapi_autograd.namespace`.  By default every known backend but JAX
(opt-in: slow, see ``backends.py``) is tried; those that cannot run here (no GPU,
not installed) are listed with the reason.  A backend may leave some dtypes out
by default (JAX: single precision), with the reason; ``--dtype`` asks for them.

The run prints a progress bar, then a table with one row per op and one column
per backend: a pass shows the worst relative error against PyTorch over the
VJP, JVP and second-order checks; a failure names the failing checks and dtypes.
A last column summarizes the special-value samples (the ``special`` check:
signed zeros, infinities, NaN, ties, repeated indices, singular matrices, NaN
cotangents) over every backend: ``agree`` where every value and gradient entry
is PyTorch's, ``documented`` where the differences are the ones listed in
``special_values.py``; the report's "Special values" section lists each of
those with its reason and the values observed on every backend.
Every failure (op, backend, dtype, check, message and input), skip and expected
failure is listed after the table.  The same report is written to
``conformance-report.md`` and, with every outcome, to ``conformance-report.json``
in ``--output`` (default: the current directory).  When the output is not a
terminal (a pipe, a CI log), the table is printed as a plain list, one op and
backend per line, so that no cell wraps.

The exit status is 1 when any check fails (or an expected failure passes); 2
when nothing could be checked as asked: a backend or dtype named on the command
line that cannot run (unknown, not installed, no GPU), no op matching
``--ops``, or a selection that leaves zero checks (no report is written then);
else 0.  Backends that are only defaults and cannot run here are skipped with
the reason.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import sys
import time
from collections import defaultdict

from . import backends
from .checks import CHECKS, Outcome, Session, checks_for, select

REFERENCE_CHECKS = ("vjp", "jvp", "grad2")

LEGEND = ("Cells: `pass` with the worst normwise relative error against PyTorch over the "
          "VJP, JVP and second-order checks (in float64 or complex128 when they ran); a "
          "bare `pass` means the function has no gradient to check (its forward values "
          "passed, and it records nothing or raises when differentiated, as checked); "
          "`(n xfail)` counts expected failures, listed below with their reasons; `FAIL` "
          "with the failing check/dtype pairs.")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m conformance_tests",
        description="Check arrayapi_autograd's derivatives on every backend against "
                    "PyTorch's autograd, and write an op x backend report.")
    parser.add_argument("--ops", default=None,
                        help="comma-separated op names or globs (default: all)")
    parser.add_argument("--backend", action="append", default=None,
                        help="backend name or module name of a compliant namespace; "
                             "repeatable (default: " + ", ".join(backends.DEFAULT_BACKENDS)
                             + ")")
    parser.add_argument("--dtype", action="append", default=None,
                        help="only this dtype (float64, float32, complex128...); repeatable")
    parser.add_argument("--checks", default=None,
                        help="comma-separated checks among " + ", ".join(CHECKS))
    parser.add_argument("--max-examples", type=int, default=5,
                        help="Hypothesis examples per op (default 5)")
    parser.add_argument("--output", default=".",
                        help="directory for conformance-report.md/.json (default: .)")
    return parser.parse_args(argv)


def _split(values) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def run(infos, targets, session: Session, dtypes=None, only_checks=None, progress=None):
    """All outcomes for ``infos`` x ``targets`` x dtypes x checks."""
    units = []
    for info in infos:
        for target in targets:
            if not target.available:  # listed once, under "Backends not run"
                continue
            for dtype in info.dtypes:
                if dtypes and dtype not in dtypes:
                    continue
                units.append((info, target, dtype))
    outcomes: list[Outcome] = []
    task = progress.add_task("checking", total=len(units)) if progress else None
    for info, target, dtype in units:
        if progress:
            progress.update(task, description=f"{info.name} [{target.name}, {dtype}]")
        for check in checks_for(info, dtype):
            if only_checks and check not in only_checks:
                continue
            if check == "backends" and target is session.baseline:
                continue
            outcomes.append(session.run(info, target, dtype, check))
        if progress:
            progress.advance(task)
    return outcomes


def _cell(outcomes: list[Outcome], has_gradient: bool = False) -> tuple[str, str]:
    """``(text, style)`` summarizing one op on one backend.

    ``has_gradient``: the record has derivatives to compare with PyTorch's, so a pass
    without any reference error means those checks were not run (``--checks``), which
    the cell says: a bare ``pass`` is kept for functions with no gradient to check.
    """
    failed = [o for o in outcomes if o.failed]
    if failed:
        names = sorted({f"{o.check}/{o.dtype}" for o in failed})
        return "FAIL " + ", ".join(names[:3]) + ("..." if len(names) > 3 else ""), "red"
    ran = [o for o in outcomes if o.status in ("pass", "xfail")]
    if not ran:
        return "skip", "yellow"
    errors = [o.error for o in outcomes if o.status == "pass" and o.check in REFERENCE_CHECKS
              and o.error is not None]
    strict = [o.error for o in outcomes if o.status == "pass" and o.check in REFERENCE_CHECKS
              and o.error is not None and o.dtype in ("float64", "complex128")]
    errors = strict or errors  # the float64 error says most about the formula
    text = "pass"
    if errors:
        text += f" {max(errors):.1e}"
    elif has_gradient:
        text += " (gradients not checked)"
    xfails = sum(o.status == "xfail" for o in outcomes)
    if xfails:
        text += f" ({xfails} xfail)"
    skips = sum(o.status == "skip" for o in outcomes)
    if skips:
        text += f" ({skips} skip)"
    return text, "green"


def summarize(outcomes: list[Outcome]) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.status] += 1
    return dict(counts)


def _special_cell(outcomes: list[Outcome]) -> tuple[str, str]:
    """``(text, style)`` summarizing one op's special-value outcomes over the backends."""
    if not outcomes:
        return "-", "dim"
    failed = sorted({o.backend for o in outcomes if o.failed})
    if failed:
        return "FAIL " + ", ".join(failed), "red"
    ran = [o for o in outcomes if o.status in ("pass", "documented")]
    if not ran:
        return "skip", "yellow"
    documented = sorted({d["difference"] for o in ran for d in o.details
                         if d["status"] == "observed"})
    text = f"agree ({len(ran)} backends)" if not documented else \
        f"documented {len(documented)} ({len(ran)} backends)"
    return text, "green"


def _grid(infos, targets, outcomes):
    by_cell: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    special: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.check == "special":
            special[o.op].append(o)
        else:
            by_cell[(o.op, o.backend)].append(o)
    rows = []
    for info in infos:
        has_gradient = info.differentiable and any(
            check in REFERENCE_CHECKS and not info.expected_failure(check, t.name)
            for t in targets for dtype in info.dtypes for check in checks_for(info, dtype))
        cells = [_cell(by_cell.get((info.name, t.name), []), has_gradient) for t in targets]
        rows.append((info.name, cells + [_special_cell(special.get(info.name, []))]))
    return rows


def special_section(outcomes: list[Outcome]) -> list[str]:
    """The report's "Special values" section: each documented difference observed (or
    listed but not observed), with its reason and evidence per backend."""
    from .special_values import DIFFERENCES

    special = [o for o in outcomes if o.check == "special"]
    if not special:
        return []
    by_key = {d.key: d for d in DIFFERENCES}
    seen: dict[str, dict[str, list]] = defaultdict(dict)
    status: dict[str, set] = defaultdict(set)
    for o in special:
        for detail in o.details:
            key = detail["difference"]
            if key is None:
                continue
            status[key].add(detail["status"])
            if detail["status"] == "observed":
                seen[key][o.backend] = detail["evidence"]
    by_op: dict[str, set] = defaultdict(set)
    for o in special:
        by_op[o.op].add("fail" if o.failed else o.status)
    failing = sorted(op for op, states in by_op.items() if "fail" in states)
    documented = sorted(op for op, states in by_op.items()
                        if "documented" in states and "fail" not in states)
    agree = sorted(op for op, states in by_op.items() if states & {"pass"}
                   and not states & {"fail", "documented"})
    lines = ["", "## Special values", "",
             "Fixed samples with signed zeros, infinities, NaN, ties, repeated indices, "
             "singular and rank-deficient matrices, repeated eigenvalues, and NaN or "
             "infinite cotangents (`OpInfo.edges`), in float64 on every backend: every "
             "value and gradient entry is compared with `torch.autograd`'s, NaN and "
             "infinity positions included.  A difference is fixed or listed in "
             "`conformance_tests/special_values.py` with its reason.", "",
             f"- agree with PyTorch everywhere ({len(agree)}): "
             + ", ".join(f"`{n}`" for n in agree),
             f"- documented differences only ({len(documented)}): "
             + ", ".join(f"`{n}`" for n in documented),
             f"- undocumented differences ({len(failing)}): "
             + (", ".join(f"`{n}`" for n in failing) or "none"), ""]
    raised: dict[str, list[str]] = defaultdict(list)
    for o in special:
        for detail in o.details:
            if detail["status"] in ("both raise", "rejected"):
                for text in detail["evidence"]:
                    raised[f"`{o.op}` {text}"].append(o.backend)
    if raised:
        lines += ["Samples that raise on both sides (agreement), or that the backend's own "
                  "function rejects (not compared):", ""]
        lines += [f"- {text} ({', '.join(names)})" for text, names in raised.items()]
        lines.append("")
    if seen or status:
        lines += ["### Documented differences", ""]
    for key in sorted(status):
        d = by_key.get(key)
        if d is None:
            continue
        state = "observed" if key in seen else \
            ("not observed on this branch" if "fixed" in status[key] else "NOT OBSERVED")
        lines += [f"#### `{key}` ({d.kind}; {state})", "", d.reason, "",
                  f"Evidence: {d.evidence}", ""]
        groups: dict[str, list[str]] = defaultdict(list)
        for backend, evidence in seen[key].items():
            groups["\n".join(evidence)].append(backend)
        for evidence, names in groups.items():
            lines += [f"Observed on {', '.join(names)}:", "", "```", evidence, "```", ""]
    return lines


def _unavailable(targets) -> list[str]:
    return [f"{t.name}: {t.reason}" for t in targets if not t.available]


def markdown(infos, targets, outcomes, config: dict) -> str:
    lines = ["# arrayapi_autograd conformance report", ""]
    lines += [f"- {k}: {v}" for k, v in config.items()]
    summary = summarize(outcomes)
    lines += ["- outcomes: " + ", ".join(f"{v} {k}" for k, v in sorted(summary.items())), ""]
    lines += [LEGEND + "  The last column sums up the special-value samples over the "
              "backends: `agree` (every value and gradient entry is PyTorch's) or "
              "`documented N` (N differences listed, with their reasons, in the "
              "\"Special values\" section below).", ""]
    shown = [t for t in targets if t.available]
    header = "| op | " + " | ".join(t.name for t in shown) + " | special values |"
    lines += [header, "|" + "---|" * (len(shown) + 2)]
    for name, cells in _grid(infos, shown, outcomes):
        lines.append(f"| `{name}` | " + " | ".join(text for text, _ in cells) + " |")
    lines += special_section(outcomes)
    unavailable = _unavailable(targets)
    if unavailable:
        lines += ["", "## Backends not run", ""] + [f"- {u}" for u in unavailable]
    failed = [o for o in outcomes if o.failed]
    if failed:
        lines += ["", f"## Failures ({len(failed)})", ""]
        for o in failed:
            lines += [f"### {o.op} [{o.backend}, {o.dtype}] {o.check}", "", "```",
                      o.message, "```", ""]
            if o.sample:
                lines += [f"First failing input: `{o.sample}`", ""]
    reasons: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        if o.status in ("xfail", "skip") and "unavailable" not in o.message:
            reasons[f"{o.status}: {o.message.splitlines()[0]}"].append(
                f"{o.op}/{o.backend}/{o.dtype}/{o.check}")
    lines += _grouped("Skips and expected failures", reasons, 6)
    notes: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        for n in o.notes:
            notes[n].append(f"{o.op}/{o.backend}/{o.dtype}/{o.check}")
    lines += _grouped("Notes", notes, 4)
    return "\n".join(lines) + "\n"


def _grouped(title: str, groups: dict, shown: int) -> list[str]:
    """A section listing each message once, with the first ``shown`` places it occurs."""
    if not groups:
        return []
    lines = ["", f"## {title}", ""]
    for message, where in groups.items():
        more = f" and {len(where) - shown} more" if len(where) > shown else ""
        lines.append(f"- {message} ({', '.join(where[:shown])}{more})")
    return lines


def _print_table(console, infos, targets, outcomes) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="arrayapi_autograd conformance (worst relative error vs PyTorch)")
    width = max([2] + [len(info.name) for info in infos])
    table.add_column("op", style="bold", no_wrap=True, min_width=width)
    shown = [t for t in targets if t.available]
    for t in shown:
        table.add_column(t.name)
    table.add_column("special values")
    for name, cells in _grid(infos, shown, outcomes):
        table.add_row(escape(name), *(f"[{style}]{escape(text)}[/{style}]"
                                      for text, style in cells))
    console.print(table)


def _print_list(console, infos, targets, outcomes) -> None:
    """The table as one line per op and backend: nothing wraps in a log or a pipe."""
    shown = [t for t in targets if t.available]
    width = max([2] + [len(info.name) for info in infos])
    bwidth = max([7] + [len(t.name) for t in shown])
    console.print("arrayapi_autograd conformance: worst relative error vs PyTorch\n"
                  "(a bare pass: no gradient to check)", highlight=False, soft_wrap=True)
    for name, cells in _grid(infos, shown, outcomes):
        for target, (text, _) in zip(shown, cells):
            console.print(f"{name:<{width}}  {target.name:<{bwidth}}  {text}",
                          highlight=False, markup=False, soft_wrap=True)


def _usage_error(console, message: str) -> int:
    """Print ``message`` as an error, on stderr, and return the exit status 2."""
    from rich.console import Console

    Console(stderr=True).print(f"error: {message}", style="red", highlight=False,
                               markup=False, soft_wrap=True)
    return 2


def _backend_error(target) -> str:
    known = ", ".join(member.value for member in backends.Backend)
    if target.name in {member.value for member in backends.Backend}:
        extra = {"cupy": "cupy", "dask": "dask", "jax": "jax", "torch": "torch",
                 "torch-cuda": "torch", "array_api_strict": "strict"}.get(target.name)
        fix = (f"install it (pip install -e '.[{extra}]')" if "not installed" in target.reason
               else "run on a machine where it can") + f" or leave out --backend {target.name}"
        return (f"backend {target.name!r} was asked for but cannot run here: "
                f"{target.reason}; {fix}")
    return (f"backend {target.name!r} is neither a known backend ({known}) nor an importable "
            f"compliant namespace: {target.reason}. Check the spelling, or install the "
            "module that provides it")


def _nothing_checked(infos, targets, outcomes, dtypes, only_checks) -> str:
    why = sorted({o.message.splitlines()[0] for o in outcomes if o.message})[:3]
    asked = []
    if dtypes:
        offered = sorted({d for info in infos for d in info.dtypes})
        asked.append(f"--dtype {', '.join(dtypes)} (the selected ops take "
                     f"{', '.join(offered)})")
    if only_checks:
        asked.append(f"--checks {', '.join(only_checks)}")
    return ("nothing was checked, so no report is written: "
            + (" with ".join(asked) + " leaves no check to run" if asked
               else "every check was skipped")
            + (" (" + "; ".join(why) + ")" if why else "")
            + ". Widen --ops, --dtype or --checks")


def _versions(targets) -> str:
    """The reference's and each backend's library version (``torch 2.13.0, numpy 2.4.6``)."""
    import importlib

    versions = {}
    for module in ["torch"] + [t.name.split("-")[0] for t in targets if t.available]:
        top = module.split(".")[0]
        try:
            versions.setdefault(top, getattr(importlib.import_module(top), "__version__", "?"))
        except ImportError:
            pass
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def main(argv=None) -> int:
    args = parse_args(argv)
    import warnings

    # Dask computes the metadata of a lazy result by running the operation on empty
    # arrays; its warnings there (a complex-to-real cast of an empty array, an
    # unimplemented NumPy protocol) say nothing about the values checked here.
    warnings.filterwarnings("ignore", module=r"dask(\.|$)")
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    from .opinfos import ALL_OPINFOS

    console = Console(stderr=False)
    infos = select(ALL_OPINFOS, args.ops)
    asked = _split(args.backend)
    names = asked or list(backends.DEFAULT_BACKENDS)
    targets = [backends.load(name) for name in names]
    dtypes = _split(args.dtype)
    only_checks = _split([args.checks]) if args.checks else None
    if only_checks:
        unknown = [c for c in only_checks if c not in CHECKS]
        if unknown:
            return _usage_error(console, f"unknown check(s) {unknown}; choose among "
                                         + ", ".join(CHECKS))
    if not infos:
        return _usage_error(console, f"no OpInfo matches --ops {args.ops!r}; give names "
                                     "or globs of the standard's functions, such as "
                                     "'sin,linalg.*'")
    if asked:
        for target in targets:
            if not target.available:
                return _usage_error(console, _backend_error(target))
    known_dtypes = sorted({d for info in ALL_OPINFOS for d in info.dtypes})
    for dtype in dtypes or ():
        if dtype not in known_dtypes:
            return _usage_error(console, f"unknown dtype {dtype!r} (--dtype); choose among "
                                         + ", ".join(known_dtypes))
    for line in _unavailable(targets):
        console.print(escape(f"skipping default backend {line}"), style="yellow")
    if not any(t.available for t in targets):
        return _usage_error(console, "no backend can run here: " + "; ".join(
            _unavailable(targets)) + ". Install one (pip install -e '.[test]') or name "
            "one with --backend")
    session = Session(targets, args.max_examples, dtypes)
    start = time.perf_counter()
    with Progress(TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        outcomes = run(infos, targets, session, dtypes, only_checks, progress)
    elapsed = time.perf_counter() - start
    if not any(o.status in ("pass", "fail", "xfail", "xpass") for o in outcomes):
        return _usage_error(console, _nothing_checked(infos, targets, outcomes, dtypes,
                                                      only_checks))

    if console.is_terminal:
        _print_table(console, infos, targets, outcomes)
    else:
        _print_list(console, infos, targets, outcomes)
    failed = [o for o in outcomes if o.failed]
    for o in failed:
        console.print(escape(o.headline()), style="red", highlight=False)
    summary = summarize(outcomes)
    console.print(", ".join(f"{v} {k}" for k, v in sorted(summary.items()))
                  + f" in {elapsed:.1f} s")

    import arrayapi_autograd

    config = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "arrayapi_autograd": arrayapi_autograd.__version__,
        "python": platform.python_version(),
        "versions": _versions(targets),
        "machine": f"{platform.machine()}, {platform.system()}, {os.cpu_count()} logical CPUs",
        "backends": ", ".join(names),
        "ops": args.ops or "all",
        "dtypes": ", ".join(dtypes) if dtypes else "each record's",
        "checks": ", ".join(only_checks) if only_checks else "all",
        "max examples": args.max_examples,
        "seconds": round(elapsed, 1),
    }
    os.makedirs(args.output, exist_ok=True)
    md_path = os.path.join(args.output, "conformance-report.md")
    json_path = os.path.join(args.output, "conformance-report.json")
    with open(md_path, "w") as f:
        f.write(markdown(infos, targets, outcomes, config))
    with open(json_path, "w") as f:
        json.dump({"config": config, "summary": summary,
                   "unavailable_backends": _unavailable(targets),
                   "results": [dataclasses.asdict(o) for o in outcomes]}, f, indent=1)
    console.print(f"wrote {md_path} and {json_path}")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
