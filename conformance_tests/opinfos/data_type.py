"""OpInfo records for the data type section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/data_type_functions.html

``astype`` is differentiated (real to real and real to complex casts; a cast
to an integer dtype has no derivative and must not be recorded).  The
inspection functions are given our arrays as well as dtypes, and their
results are compared as plain values (``finfo``/``iinfo`` objects through
their fields).
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401


def _astype(draw):
    x = values(draw, draw(shape_strategy()))
    # widening or same-precision casts for both tested dtypes: a float64 -> float32
    # cast rounds, which the finite-difference and <ct, J t> checks cannot tolerate
    dtype = draw(st.sampled_from(["float64", "complex128", "int32"]))
    kwargs = draw(st.sampled_from([{}, {"copy": True}, {"copy": False}]))
    return Sample((x, dtype), dict(kwargs))


def _can_cast(draw):
    names = ["bool", "int8", "int32", "int64", "uint8", "float32", "float64", "complex64",
             "complex128"]
    from_ = draw(st.sampled_from(names + ["array"]))
    to = draw(st.sampled_from(names))
    if from_ == "array":
        from_ = values(draw, draw(shape_strategy()))
    return Sample((from_, to))


def _finfo_call(xp, type_):
    info = xp.finfo(type_)
    return (int(info.bits), float(info.eps), float(info.max), float(info.min),
            float(info.smallest_normal))


def _finfo(draw):
    if draw(st.booleans()):
        return Sample((values(draw, draw(shape_strategy())),))
    return Sample((draw(st.sampled_from(["float32", "float64"])),))


def _iinfo_call(xp, type_):
    info = xp.iinfo(type_)
    return (int(info.bits), int(info.max), int(info.min))


def _iinfo(draw):
    return Sample((draw(st.sampled_from(["int8", "int16", "int32", "int64", "uint8",
                                          "uint16", "uint32"])),))


def _isdtype(draw):
    dtype = draw(st.sampled_from(["bool", "int32", "uint8", "float32", "float64",
                                  "complex128"]))
    kind = draw(st.sampled_from(["bool", "signed integer", "unsigned integer", "integral",
                                 "real floating", "complex floating", "numeric", "float64",
                                 ("integral", "real floating"), ("bool", "complex64")]))
    return Sample((dtype, kind))


def _result_type(draw):
    # one kind at a time: the standard leaves integer-float mixing unspecified
    if draw(st.booleans()):
        pool, scalar = ["int8", "int16", "int32", "int64"], 1
    else:
        pool, scalar = ["float32", "float64", "complex64", "complex128", "array"], 2.5
    items = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    args = [values(draw, draw(shape_strategy())) if i == "array" else i for i in items]
    if draw(st.booleans()):
        args.append(scalar)
    return Sample(tuple(args))


def _dtype_name_call(name):
    def call(xp, *args, **kwargs):
        return str(getattr(xp, name)(*args, **kwargs)).rpartition(".")[2]

    return call


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("astype", family="custom", sample=_astype),
    OpInfo("can_cast", family="custom", sample=_can_cast, differentiable=False),
    OpInfo("finfo", family="custom", sample=_finfo, differentiable=False, call=_finfo_call),
    OpInfo("iinfo", family="custom", sample=_iinfo, differentiable=False, call=_iinfo_call),
    OpInfo("isdtype", family="custom", sample=_isdtype, differentiable=False),
    OpInfo("result_type", family="custom", sample=_result_type, differentiable=False,
           call=_dtype_name_call("result_type")),
)
