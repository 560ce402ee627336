"""``python -m benchmarks``: run the workloads, print the tables, write the results.

The results (``results.md`` and ``benchmarks.png``) go to ``--output``
(default ``benchmark-results/`` in the current directory, ignored by git), or,
with ``--write-docs``, to ``docs/benchmarks/`` of this checkout, which the
documentation shows: only a full run (all workloads and libraries, no
``--quick``) may replace those.  ``--quick`` is a smoke run: tiny sizes and
short samples, titled with the sizes it ran, and no target is judged.

BLAS threads are pinned to one for every library: the environment variables
are set here, before anything imports NumPy, and threadpoolctl (when
installed) enforces the same limit at run time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = "benchmark-results"
DOCS_OUTPUT = os.path.join("docs", "benchmarks")


def main(argv=None) -> int:
    from ._runner import LIBRARIES, run
    from .workloads import WORKLOADS

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated keys among " + ",".join(WORKLOADS))
    parser.add_argument("--libraries", default=",".join(LIBRARIES),
                        help="comma-separated names among " + ",".join(LIBRARIES))
    parser.add_argument("--repeats", type=int, default=7, help="samples per library (median)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: tiny sizes, short samples, no target judged")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="directory for results.md and benchmarks.png ('' to skip; "
                             f"default: {DEFAULT_OUTPUT})")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"write into {DOCS_OUTPUT} (the documentation's copy) instead "
                             "of --output; full runs only")
    parser.add_argument("--profile", action="store_true",
                        help="add a cProfile summary of our per-op hot path to the report")
    parser.add_argument("--note", default="", help="a remark printed in the report")
    args = parser.parse_args(argv)
    if args.write_docs:
        partial = [flag for flag, on in (
            ("--quick", args.quick),
            ("--workloads", args.workloads != ",".join(WORKLOADS)),
            ("--libraries", args.libraries != ",".join(LIBRARIES))) if on]
        if partial:
            parser.error(f"--write-docs replaces the documentation's results, which come "
                         f"from a full run; drop {', '.join(partial)} or write elsewhere "
                         "with --output DIR")
        args.output = os.path.join(ROOT, DOCS_OUTPUT)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    results = run(workloads=[k for k in args.workloads.split(",") if k],
                  libraries=[n for n in args.libraries.split(",") if n],
                  repeats=args.repeats, quick=args.quick, log=log)
    if args.note:
        results.environment["note"] = args.note
    from . import _report

    _report.print_tables(results)
    profile = None
    if args.profile:
        from ._profile import profile_per_op

        profile = profile_per_op()
        print(profile)
    if args.output:
        for path in _report.write(results, args.output, profile):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
