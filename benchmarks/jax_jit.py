"""The tape over JAX, eager and compiled with ``jax.jit``: one MLP gradient timed.

Run as ``python -m benchmarks.jax_jit [--repeats N] [--quick]``.  One gradient
of an MLP loss (784-256-256-10, tanh, relu, softmax cross-entropy, batch 128,
float32) is timed, median of ``repeats`` runs after a warm-up (which includes
the compilation), for:

* ``ours-jax``: ``arrayapi_autograd.grad`` over ``arrayapi_autograd.jax``, eager:
  every operation is a dispatched ``jax.numpy`` call plus the tape's Python;
* ``ours-jax-jit``: ``jax.jit(arrayapi_autograd.grad(f))``: the tape, forward and
  backward, traced once and compiled by XLA, so the Python overhead is gone;
* ``jax`` and ``jax-jit``: ``jax.grad`` of the same function over ``jax.numpy``.

The speed-up of jit is ``ours-jax / ours-jax-jit``; ``ours-jax-jit / jax-jit``
should be close to 1 (both compile to the same kind of XLA program).  The
gradients of the four are checked to agree.  The loss is written once against
the array API (``xp`` is an argument), as in :mod:`benchmarks.workloads`.
This module is separate from the five workloads of ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def mlp_loss(xp, params, x, y):
    """Mean softmax cross-entropy of a tanh/relu MLP; ``y`` is one-hot."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = xp.tanh(x @ w1 + b1)
    h2 = xp.maximum(h1 @ w2 + b2, 0.0)
    logits = h2 @ w3 + b3
    z = logits - xp.max(logits, axis=1, keepdims=True)
    logp = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
    return -xp.sum(logp * y) / x.shape[0]


def _data(quick: bool):
    sizes = (32, 16, 16, 4) if quick else (784, 256, 256, 10)
    batch = 8 if quick else 128
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
        params.append(np.zeros(n_out, dtype=np.float32))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    return params, x, y


def run(repeats: int = 20, quick: bool = False) -> dict:
    """Median seconds per gradient and the gradients, per variant.

    Returns ``{name: (seconds, [gradient arrays as NumPy])}``.
    """
    import jax
    import jax.numpy as jnp

    import arrayapi_autograd as ag

    ours = ag.namespace("jax")
    params, x, y = _data(quick)
    params = [jnp.asarray(p) for p in params]
    x, y = jnp.asarray(x), jnp.asarray(y)

    def ours_loss(ps, a, b):
        return mlp_loss(ours, ps, a, b)

    def jax_loss(ps, a, b):
        return mlp_loss(jnp, ps, a, b)

    ours_grad = ag.grad(ours_loss)
    jax_grad = jax.grad(jax_loss)
    variants = {
        "ours-jax": ours_grad,
        "ours-jax-jit": jax.jit(ours_grad),
        "jax": jax_grad,
        "jax-jit": jax.jit(jax_grad),
    }

    def raw(g):
        return g._data if isinstance(g, ag.Array) else g

    results = {}
    for name, fn in variants.items():
        grads = [raw(g).block_until_ready() for g in fn(params, x, y)]  # warm-up, compiles
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            grads = [raw(g).block_until_ready() for g in fn(params, x, y)]
            times.append(time.perf_counter() - t0)
        results[name] = (statistics.median(times), [np.asarray(g) for g in grads])
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jax_jit",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args(argv)
    try:
        results = run(args.repeats, args.quick)
    except ImportError as exc:
        print(f"JAX is not installed ({exc}): pip install 'arrayapi-autograd[jax]'")
        return 0
    reference = results["jax"][1]
    print(f"{'variant':<14} {'ms / gradient':>14}  max |diff| vs jax.grad")
    for name, (seconds, grads) in results.items():
        diff = max(float(np.max(np.abs(g - r))) for g, r in zip(grads, reference))
        print(f"{name:<14} {1e3 * seconds:>14.3f}  {diff:.2e}")
    speedup = results["ours-jax"][0] / results["ours-jax-jit"][0]
    ratio = results["ours-jax-jit"][0] / results["jax-jit"][0]
    print(f"jit speed-up of the tape: {speedup:.1f}x; ours-jax-jit / jax-jit: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
