"""Cross-backend gradient conformance suite of arrayapi_autograd.

One table of operations (``conformance_tests/opinfos/``, one module per
section of the standard) drives every check (``checks.py``): forward values
against the backend's own function, the VJP, JVP and second derivative against
PyTorch's autograd, finite differences, and agreement across backends, on
every installed backend (``backends.py``).

Run it with pytest (``pytest conformance_tests``) or as a report::

    python -m conformance_tests                      # numpy, torch, array_api_strict
    python -m conformance_tests --ops 'sin,linalg.*' --backend torch --max-examples 10
    python -m conformance_tests --backend mylib.array_api   # any compliant namespace

which prints an op x backend table and writes ``conformance-report.md`` and
``conformance-report.json``; the exit status is non-zero on any failure.
"""
