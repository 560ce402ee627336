"""Running the workloads: alternating order, medians of repeats, checked results."""

from __future__ import annotations

import datetime
import gc
import os
import platform
import statistics
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._libraries import Library, Unavailable, all_libraries
from .workloads import WORKLOADS, Workload

LIBRARIES = tuple(lib.name for lib in all_libraries())


@dataclass
class WorkloadResult:
    workload: Workload
    sizes: dict
    rows: dict = field(default_factory=dict)      # library -> {metric: value}
    notes: dict = field(default_factory=dict)     # library -> why skipped / remarks
    mismatches: dict = field(default_factory=dict)  # library -> description
    targets: list = field(default_factory=list)   # (text, measured ratio/value, bound, ok)


@dataclass
class Results:
    workloads: list
    environment: dict
    repeats: int
    quick: bool


def pin_threads(n: int = 1) -> str:
    """Limit BLAS/OpenMP and PyTorch intra-op threads to ``n``; returns how."""
    how = []
    try:
        from threadpoolctl import threadpool_limits

        pin_threads._limits = threadpool_limits(limits=n)  # kept alive for the run
        how.append("threadpoolctl")
    except ImportError:
        how.append("environment variables (OMP/OPENBLAS/MKL_NUM_THREADS)")
    try:
        import torch

        torch.set_num_threads(n)
        how.append("torch.set_num_threads")
    except ImportError:
        pass
    return f"{n} thread(s) via " + ", ".join(how)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def environment(libraries: list[Library], threads: str) -> dict:
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "?"
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for lib in libraries:
        if getattr(lib, "_loaded", False):
            versions[lib.package] = lib.version()
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {_cpu_model()}, {os.cpu_count()} logical CPUs",
        "platform": platform.platform(),
        "threads": threads,
        "load average at the end (1, 5, 15 min)": load,
        "versions": versions,
    }


def _load(lib: Library) -> str | None:
    if getattr(lib, "_loaded", False):
        return None
    if getattr(lib, "_unavailable", None):
        return lib._unavailable
    try:
        lib.load()
    except Unavailable as exc:
        lib._unavailable = str(exc)
        return lib._unavailable
    lib._loaded = True
    return None


def _compare(result, reference, rtol, atol) -> str | None:
    if len(result) != len(reference):
        return f"{len(result)} results, expected {len(reference)}"
    for i, (r, e) in enumerate(zip(result, reference)):
        r = np.asarray(r, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        if r.shape != e.shape:
            return f"result {i}: shape {r.shape}, expected {e.shape}"
        if not np.allclose(r, e, rtol=rtol, atol=atol):
            return f"result {i}: max abs error {np.max(np.abs(r - e)):.3g}"
    return None


def _sample(case, number: int, collect: bool = True) -> dict:
    """Mean seconds per phase over ``number`` runs of ``case.step`` (GC paused, as timeit)."""
    if collect:
        gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        totals: dict = {}
        for _ in range(number):
            for key, value in case.step().items():
                totals[key] = totals.get(key, 0.0) + value
    finally:
        if enabled:
            gc.enable()
    return {k: v / number for k, v in totals.items()}


def run_workload(workload: Workload, libraries: list[Library], repeats: int, quick: bool,
                 log: Callable[[str], None] = lambda s: None) -> WorkloadResult:
    result = WorkloadResult(workload, workload.sizes(quick))
    cases = {}
    for lib in libraries:
        if lib.name not in workload.libraries:
            continue
        note = _load(lib)
        if note is None:
            try:
                cases[lib.name] = workload.case(lib, quick)
            except Unavailable as exc:
                note = str(exc)
        if note is not None:
            result.notes[lib.name] = note
    # Correctness first: every library's result against its reference's.
    references = {}
    for name, case in cases.items():
        ref_name = workload.reference_of(name)
        if ref_name is None or ref_name == name or ref_name not in cases or case.result is None:
            continue
        if ref_name not in references:
            references[ref_name] = cases[ref_name].result()
        problem = _compare(case.result(), references[ref_name], workload.rtol, workload.atol)
        if problem is not None:
            result.mismatches[name] = f"differs from {ref_name}: {problem}"
    # Warm-up and calibration: each sample lasts at least min_time.  The first call is
    # not timed: it may compile or fill caches (torch.func, jax.jit), and calibrating
    # on it would leave a library with one call per sample.
    min_time = 0.02 if quick else 0.2
    numbers = {}
    for name, case in cases.items():
        log(f"  warm-up {workload.key} {name}")
        _sample(case, 1, False)
        elapsed = sum(_sample(case, 1, not quick).values())
        if not quick:
            elapsed = max(elapsed, sum(_sample(case, 1).values()))
        numbers[name] = max(1, min(10_000, int(min_time / max(elapsed, 1e-9))))
    samples: dict = {name: [] for name in cases}
    names = list(cases)
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            samples[name].append(_sample(cases[name], numbers[name], not quick))
        log(f"  {workload.key}: repeat {r + 1}/{repeats} done")
    for name in names:
        keys = samples[name][0].keys()
        times = {k: statistics.median(s[k] for s in samples[name]) for k in keys}
        memory = {}
        if cases[name].memory is not None:
            log(f"  memory {workload.key} {name}")
            memory = cases[name].memory()
        result.rows[name] = workload.derive(name, times, memory, quick)
    workload.add_ratios(result.rows)
    for name, note in workload.notes.items():
        if name in result.rows:
            result.notes.setdefault(name, note)
    if not quick:  # tiny sizes say nothing about the targets, set for the full sizes
        result.targets = [evaluate_target(t, result.rows) for t in workload.targets]
    return result


def evaluate_target(target, rows) -> tuple:
    """``(text, measured, bound, ok)``; measured is ``None`` when a library is missing."""
    row = rows.get(target.library, {})
    value = row.get(target.metric)
    if value is not None and target.versus is not None:
        base = rows.get(target.versus, {}).get(target.metric)
        value = value / base if base else None
    ok = None if value is None else value <= target.bound
    return (target.text, value, target.bound, ok)


def run(workloads=None, libraries=None, repeats: int = 5, quick: bool = False,
        log: Callable[[str], None] = lambda s: None) -> Results:
    """Run the selected workloads on the selected libraries.

    Parameters
    ----------
    workloads : sequence of str, optional
        Keys among ``"a"`` to ``"g"`` (default: all).
    libraries : sequence of str, optional
        Names among :data:`LIBRARIES` (default: all; missing ones are skipped
        with a note).
    repeats : int
        Samples per library; the median is reported.  Libraries run in
        alternating order, forwards then backwards.
    quick : bool
        Tiny sizes, short samples: a smoke run (for development and the smoke
        test) that evaluates no target.
    """
    keys = list(workloads) if workloads else list(WORKLOADS)
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workloads {unknown}; choose among {list(WORKLOADS)}")
    libs = all_libraries()
    if libraries:
        unknown = [n for n in libraries if n not in LIBRARIES]
        if unknown:
            raise ValueError(f"unknown libraries {unknown}; choose among {list(LIBRARIES)}")
        libs = [lib for lib in libs if lib.name in libraries]
    threads = pin_threads(1)
    results = []
    for key in keys:
        log(f"workload {key}: {WORKLOADS[key].title_for(quick)}")
        results.append(run_workload(WORKLOADS[key], libs, repeats, quick, log))
    return Results(results, environment(libs, threads), repeats, quick)

