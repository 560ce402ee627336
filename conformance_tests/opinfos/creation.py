"""OpInfo records for the creation section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/creation_functions.html

Creation functions are checked as never recorded (``differentiable=False``),
also when given an array that requires a gradient (``*_like``); ``meshgrid``,
``tril`` and ``triu`` are linear and differentiated.  ``empty`` and
``empty_like`` leave values unspecified, so their calls compare shape and
dtype only.  ``from_dlpack`` is given the detached array: exporting an array
that requires a gradient raises, as in PyTorch.
"""

from __future__ import annotations

from hypothesis import strategies as st

from arrayapi_autograd import Array

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

# The default floating-point dtype is the backend's choice (float32 in PyTorch),
# so samples without an input array name their dtype: the cross-backend check
# then compares like with like.
_DTYPES = [{"dtype": "float32"}, {"dtype": "float64"}, {"dtype": "int32"}]
_LIKE_DTYPES = [{}] + _DTYPES


def _shape_and_dtype(draw):
    shape = draw(st.sampled_from([(), 3, (2, 3), (0,), (1, 0, 2)]))
    return Sample((shape,), dict(draw(st.sampled_from(_DTYPES))))


def _like(draw):
    x = values(draw, draw(shape_strategy()))
    return Sample((x,), dict(draw(st.sampled_from(_LIKE_DTYPES))))


def _full_like(draw):
    x = values(draw, draw(shape_strategy()))
    fill = draw(st.sampled_from([1.5, -2.0, 3]))
    kwargs = dict(draw(st.sampled_from(_LIKE_DTYPES)))
    if isinstance(fill, float) and kwargs.get("dtype") == "int32":
        kwargs = {}
    return Sample((x, fill), kwargs)


def _full(draw):
    sample = _shape_and_dtype(draw)
    fill = draw(st.sampled_from([1.5, -2.0, 0.0]))
    if sample.kwargs.get("dtype") == "int32":
        fill = 7
    return Sample(sample.args + (fill,), sample.kwargs)


def _arange(draw):
    args, kwargs = draw(st.sampled_from([
        ((5,), {}), ((2, 7), {}), ((1, 10, 3), {}), ((0.5, 3.0, 0.5), {"dtype": "float64"}),
        ((5, 1, -2), {}), ((4,), {"dtype": "float64"}), ((3,), {"dtype": "int32"}),
        ((0,), {}),
    ]))
    return Sample(args, dict(kwargs))


def _eye(draw):
    args = draw(st.sampled_from([(3,), (2, 4), (4, 2), (0,), (3, 3)]))
    kwargs = {"k": draw(st.integers(-2, 2))}
    kwargs.update(draw(st.sampled_from(_DTYPES)))
    return Sample(args, kwargs)


def _linspace(draw):
    start, stop = draw(st.sampled_from([(0.0, 1.0), (-2.0, 3.0), (1.0, 1.0), (2.0, -1.0)]))
    num = draw(st.sampled_from([0, 1, 5]))
    kwargs = {"endpoint": draw(st.booleans()),
              "dtype": draw(st.sampled_from(["float32", "float64"]))}
    return Sample((start, stop, num), kwargs)


def _asarray(draw):
    obj = draw(st.sampled_from([1.5, [1.0, 2.0], [[1, 2], [3, 4]], [[0.5], [-1.0]], []]))
    kwargs = {"dtype": draw(st.sampled_from(["float64", "float32"]))}
    return Sample((obj,), kwargs)


def _meshgrid(draw):
    count = draw(st.integers(1, 3))
    arrays = tuple(values(draw, (draw(st.integers(0, 4)),)) for _ in range(count))
    kwargs = draw(st.sampled_from([{}, {"indexing": "xy"}, {"indexing": "ij"}]))
    return Sample(arrays, dict(kwargs))


def _triangle(draw):
    shape = draw(st.sampled_from([(3, 3), (2, 4), (4, 2), (2, 3, 3), (0, 2), (1, 1)]))
    kwargs = draw(st.sampled_from([{}, {"k": 1}, {"k": -1}, {"k": 5}, {"k": -3}]))
    return Sample((values(draw, shape),), dict(kwargs))


def _empty_call(name):
    def call(xp, *args, **kwargs):
        out = getattr(xp, name)(*args, **kwargs)
        return (tuple(out.shape), str(out.dtype).rpartition(".")[2])

    return call


def _from_dlpack_call(xp, x, **kwargs):
    return xp.from_dlpack(x.detach() if isinstance(x, Array) else x, **kwargs)


def _creation(name, sample, **kwargs):
    return OpInfo(name, family="custom", sample=sample, differentiable=False, **kwargs)


OPINFOS: tuple[OpInfo, ...] = (
    _creation("arange", _arange),
    _creation("asarray", _asarray),
    _creation("empty", _shape_and_dtype, call=_empty_call("empty")),
    _creation("empty_like", _like, call=_empty_call("empty_like")),
    _creation("eye", _eye),
    _creation("from_dlpack", lambda draw: Sample((values(draw, draw(shape_strategy())),)),
              call=_from_dlpack_call),
    _creation("full", _full),
    _creation("full_like", _full_like),
    _creation("linspace", _linspace),
    OpInfo("meshgrid", family="custom", sample=_meshgrid),
    _creation("ones", _shape_and_dtype),
    _creation("ones_like", _like),
    OpInfo("tril", family="custom", sample=_triangle),
    OpInfo("triu", family="custom", sample=_triangle),
    _creation("zeros", _shape_and_dtype),
    _creation("zeros_like", _like),
)
