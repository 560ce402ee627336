"""Exercise 5 of the seed chapter: plot sin(x) and its derivative computed by the tape.

The derivative is obtained with ``backward()``, without using that
sin'(x) = cos(x); the table (or plot) shows that it is cos(x) all the same.
Plots with matplotlib when it is installed, else prints a table::

    python docs/examples/sin_and_derivative.py [--table]
"""

from __future__ import annotations

import math
import sys

import numpy as np

import arrayapi_autograd.numpy as xp
from arrayapi_autograd import autograd


def sin_and_derivative(n: int = 201):
    """``x``, ``sin(x)`` and d sin(x)/dx (by reverse mode) on ``n`` points of [-2 pi, 2 pi]."""
    x = xp.linspace(-2 * math.pi, 2 * math.pi, n)
    x.attach_grad()
    with autograd.record():
        y = xp.sin(x)
    y.backward()  # y is a vector: backward sums it, and each x[i] only affects y[i]
    return np.asarray(x.detach()), np.asarray(y.detach()), np.asarray(x.grad)


def print_table(x, y, dy) -> None:
    print(f"{'x':>9} {'sin(x)':>10} {'d/dx (tape)':>12} {'cos(x)':>10}")
    for xi, yi, di in zip(x, y, dy):
        print(f"{xi:9.4f} {yi:10.6f} {di:12.6f} {math.cos(xi):10.6f}")


def main(argv=()) -> None:
    table = "--table" in argv
    try:
        if table:
            raise ImportError
        import matplotlib.pyplot as plt
    except ImportError:
        print_table(*sin_and_derivative(n=17))
        return
    x, y, dy = sin_and_derivative()
    plt.plot(x, y, label="f(x) = sin(x)")
    plt.plot(x, dy, label="df/dx from backward()")
    plt.xlabel("x")
    plt.legend()
    plt.show()


if __name__ == "__main__":
    main(sys.argv[1:])
