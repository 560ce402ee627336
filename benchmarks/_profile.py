"""A cProfile summary of our per-operation hot path (workload a, ours-numpy)."""

from __future__ import annotations

import cProfile
import io
import pstats


def profile_per_op(backend: str = "numpy", repeats: int = 50, top: int = 15) -> str:
    """Profile forward + backward of the 200-op chain; the top functions by own time."""
    import numpy as np

    import arrayapi_autograd as ag
    from arrayapi_autograd import autograd

    from .workloads import PerOp, chain_loss

    xp = ag.namespace(backend)
    x = xp.asarray(np.linspace(-1.0, 1.0, 16))
    x.requires_grad_()

    def work():
        for _ in range(repeats):
            autograd.grad(chain_loss(xp, [x], PerOp.N_OPS), [x])

    work()
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    text = stream.getvalue()
    body = text[text.index("ncalls"):] if "ncalls" in text else text
    header = (f"cProfile, ours-{backend}, {repeats} x (200 ops forward + backward), "
              f"top {top} by own time:")
    return header + "\n\n```\n" + body.rstrip() + "\n```\n"
