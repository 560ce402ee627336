"""Every error message of the library, worded once.

Each function returns the exception to raise, so that call sites read
``raise _errors.freed_graph(node)`` and the phrasing cannot drift between
modules.  Messages say what went wrong and what to do about it.
"""

from __future__ import annotations


def _describe(array) -> str:
    """A short description of a wrapped array: shape, dtype and backend."""
    try:
        return f"array of shape {tuple(array.shape)} and dtype {array.dtype} ({array._ns._backend_name})"
    except Exception:  # pragma: no cover - defensive, for half-built arrays
        return "array"


def freed_graph(op_name: str) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time: the saved values of "
        f"'{op_name}' were freed by the previous backward. Pass retain_graph=True to the "
        f"first backward() (or autograd.grad) if you need to backward through the graph "
        f"again, or recompute the forward pass."
    )


def not_in_graph(array) -> RuntimeError:
    try:
        floating = array._ns._is_float_dtype(array.dtype)
    except Exception:  # pragma: no cover - defensive
        floating = True
    if not floating:
        return RuntimeError(
            f"backward() was called on an {_describe(array)}: only floating-point (real or "
            f"complex) results carry gradients, and integer or boolean ones are never "
            f"recorded. Differentiate a floating-point result (e.g. before a cast to an "
            f"integer dtype, or compute in float: xp.astype(x, xp.float64))."
        )
    return RuntimeError(
        f"backward() was called on an {_describe(array)} that is not part of a recorded "
        f"graph: none of the inputs it was computed from requires a gradient, or it was "
        f"computed while recording was paused. Call x.attach_grad() or x.requires_grad_() "
        f"on the inputs first, and compute outside no_grad()/autograd.pause()."
    )


def not_differentiable_dtype(array) -> TypeError:
    return TypeError(
        f"Only floating-point and complex arrays can require gradients, but this is an "
        f"{_describe(array)}. Convert it first, e.g. x = xp.astype(x, xp.float64)."
    )


def head_gradient_shape(head, head_grad) -> ValueError:
    return ValueError(
        f"The head gradient has shape {tuple(head_grad.shape)} but the array it belongs to "
        f"has shape {tuple(head.shape)}; they must be equal. Pass a gradient of shape "
        f"{tuple(head.shape)}, or None to sum the output."
    )


def head_gradient_count(n_heads: int, n_grads: int) -> ValueError:
    return ValueError(
        f"Got {n_heads} heads but {n_grads} head gradients; pass one head gradient per head "
        f"(None for the default of ones)."
    )


def version_changed(op_name: str, position: str, array, saved: int, now: int) -> RuntimeError:
    what = f"an {_describe(array)}" if array is not None else "the array it returned"
    return RuntimeError(
        f"One of the arrays needed for the gradient of '{op_name}' ({position}, "
        f"{what}) has been modified by an in-place operation: it was at version "
        f"{saved} when recorded and is now at version {now}. Copy it before modifying it "
        f"(y = xp.asarray(x, copy=True)), or modify it only after backward()."
    )


def leaf_inplace(array) -> RuntimeError:
    return RuntimeError(
        f"A leaf {_describe(array)} that requires a gradient is being modified in place "
        f"while recording. Do the update under no_grad() or autograd.pause() (as an "
        f"optimizer step does), or work on a copy."
    )


def mixed_namespaces(ns_a, ns_b) -> TypeError:
    return TypeError(
        f"Cannot combine arrays of two different namespaces: {ns_a} and {ns_b}. "
        f"Move one of them first, e.g. with ns.asarray(...) of the namespace you want."
    )


def foreign_array(ns, obj) -> TypeError:
    return TypeError(
        f"Cannot combine an array of {ns} with an object of type "
        f"{type(obj).__module__}.{type(obj).__qualname__}, which is not an array of its "
        f"backend ({ns._backend_name}), a Python scalar or a wrapped array. Convert it with "
        f"{ns.__name__}.asarray(...) first."
    )


def vjp_not_defined(op_name: str, param: str) -> NotImplementedError:
    return NotImplementedError(
        f"VJP of '{op_name}' with respect to its argument '{param}' is not defined: that "
        f"argument is not differentiable (as in PyTorch). Pass it as a constant, e.g. "
        f"x.detach() or stop_gradient(x)."
    )


def jvp_not_defined(op_name: str, param: str) -> NotImplementedError:
    return NotImplementedError(
        f"JVP of '{op_name}' with respect to its argument '{param}' is not defined: that "
        f"argument is not differentiable (as in PyTorch)."
    )


def unused_variable(index: int) -> RuntimeError:
    return RuntimeError(
        f"Variable {index} passed to autograd.grad was not used to compute the heads, so it "
        f"has no gradient. Pass allow_unused=True to get None for it."
    )


def grad_of_non_variable(index: int) -> RuntimeError:
    return RuntimeError(
        f"Variable {index} passed to autograd.grad does not require a gradient and is not in "
        f"a recorded graph. Call attach_grad() or requires_grad_() on it before computing."
    )


def bad_grad_req(value) -> ValueError:
    return ValueError(
        f"grad_req must be one of 'write', 'add' or 'null', got {value!r}."
    )


def converting_recorded_array(array) -> RuntimeError:
    return RuntimeError(
        f"Cannot convert an {_describe(array)} that is part of a recorded graph (it requires "
        f"a gradient) to a foreign array: the gradient would be lost silently. Call "
        f".detach() first if you only need its values."
    )


def export_recorded_array(array) -> RuntimeError:
    return RuntimeError(
        f"Cannot export an {_describe(array)} that requires a gradient through DLPack: the "
        f"consumer would not see its history. Call .detach() first."
    )


def transpose_not_2d(ndim: int) -> ValueError:
    return ValueError(f"x.T requires a 2-D array, got {ndim}-D; use x.mT or permute_dims for "
                      f"other ranks.")


def unsupported_api_version(requested, implemented) -> ValueError:
    return ValueError(f"Unsupported array API version {requested!r}; this namespace "
                      f"implements {implemented}.")


def grad_of_non_leaf() -> RuntimeError:
    return RuntimeError("Only leaf arrays that require a gradient have a settable grad; call "
                        "x.requires_grad_() first.")


def grad_shape(grad_shape_, shape) -> ValueError:
    return ValueError(f"grad of shape {tuple(grad_shape_)} assigned to an array of shape "
                      f"{tuple(shape)}; they must be equal.")


def grad_namespace(grad_ns, ns) -> TypeError:
    return TypeError(f"grad of {grad_ns} assigned to an array of {ns}; a gradient lives in "
                     f"its array's namespace. Move it first, e.g. with {ns.__name__}.asarray(g).")


def grad_dtype(grad_dtype_, dtype) -> TypeError:
    return TypeError(f"grad of dtype {grad_dtype_} assigned to an array of dtype {dtype}; "
                     f"they must be equal (as in PyTorch). Cast it first, e.g. "
                     f"xp.astype(g, x.dtype).")


def requires_grad_false_on_result() -> RuntimeError:
    return RuntimeError("requires_grad_(False) was called on a recorded result; use "
                        "y = y.detach() instead.")


def hook_without_grad() -> RuntimeError:
    return RuntimeError("Cannot register a hook on an array that does not require a gradient; "
                        "call requires_grad_() first.")


def conversion_needs_copy(dtype) -> ValueError:
    return ValueError(f"Converting to {dtype} needs a copy, but copy=False was requested.")


def inplace_shape_change(name: str, shape, new_shape) -> ValueError:
    return ValueError(f"In-place {name} would change the shape from {tuple(shape)} to "
                      f"{tuple(new_shape)}; broadcasting must not change x1's shape.")


def tangent_shape(tangent_shape_, primal_shape) -> ValueError:
    return ValueError(f"The tangent has shape {tuple(tangent_shape_)} but its primal has shape "
                      f"{tuple(primal_shape)}; they must be equal.")


def zero_d_sequence(what: str) -> TypeError:
    return TypeError(
        f"{what} of a 0-d array: it has no first axis. Use float(x) or x[()] for its value, "
        f"or reshape it to 1-d first."
    )


def unknown_backend(name) -> ValueError:
    return ValueError(
        f"Unknown backend {name!r}: pass an array API namespace module (such as "
        f"array_api_strict), an array_api_compat namespace, or one of the names 'numpy', "
        f"'torch', 'cupy', 'array_api_strict', 'dask', 'jax'."
    )


def missing_backend(name: str, reason: str) -> ImportError:
    return ImportError(
        f"The {name} backend is not available: {reason}. Install it (pip install "
        f"'arrayapi-autograd[{name}]') on a machine that supports it."
    )


def bad_axes(op_name: str, axis, ndim: int) -> IndexError:
    return IndexError(
        f"{op_name}: invalid axis {axis!r} for an output of {ndim} dimensions; every axis "
        f"must lie in [-{ndim}, {ndim}) and resolve to a distinct position."
    )


def not_differentiable_here(op_name: str, why: str) -> RuntimeError:
    return RuntimeError(
        f"'{op_name}' is not differentiable here: {why}."
    )


# --- function transforms (grad, vjp, jvp, jacobian, custom rules, gradcheck) --------------


def grad_output_not_array(value) -> TypeError:
    return TypeError(
        f"grad requires the function to return a 0-d real floating-point array, but it "
        f"returned an object of type {type(value).__name__}. Return an array (e.g. "
        f"xp.sum(...)); with has_aux=True return a pair (output, aux)."
    )


def grad_output_not_scalar(shape) -> ValueError:
    return ValueError(
        f"grad requires the function to return a 0-d (scalar) array, but its output has "
        f"shape {tuple(shape)}. Reduce it first (xp.sum, xp.mean), or use vjp() or "
        f"jacobian() for non-scalar outputs."
    )


def grad_output_complex(dtype) -> TypeError:
    return TypeError(
        f"grad requires a real-valued output, but the function returned dtype {dtype}. For "
        f"a complex-to-complex holomorphic function pass holomorphic=True (the result is "
        f"then the complex derivative f'(z)); otherwise return a real value such as "
        f"xp.real(...) or xp.abs(...) ** 2, or use vjp()."
    )


def holomorphic_not_complex(what: str, dtype) -> TypeError:
    return TypeError(
        f"grad(holomorphic=True) requires complex inputs and outputs, but the {what} has "
        f"dtype {dtype}. Convert the inputs with xp.astype(x, xp.complex128), or drop "
        f"holomorphic=True for a real-valued function."
    )


def has_aux_output(value) -> TypeError:
    return TypeError(
        f"With has_aux=True the function must return a pair (output, aux), but it returned "
        f"an object of type {type(value).__name__}."
    )


def no_namespace_for_scalars(example=1.0) -> TypeError:
    return TypeError(
        f"The arguments contain only Python scalars and no array, so there is no array "
        f"namespace to convert them with. Wrap the argument in an array of the namespace "
        f"you want, e.g. xp.asarray({example!r}) instead of {example!r} (grad(f)"
        f"(xp.asarray({example!r}))), or pass at least one array among the arguments."
    )


def non_differentiable_argument(position: str, value) -> TypeError:
    dtype = getattr(value, "dtype", type(value).__name__)
    return TypeError(
        f"The differentiated argument {position} has dtype {dtype}; only floating-point and "
        f"complex arrays (and Python int/float/complex scalars) can be differentiated. "
        f"Convert it, or leave it out of argnums."
    )


def creation_from_tracked(op_name: str, param: str) -> TypeError:
    return TypeError(
        f"{op_name}() got an array that requires a gradient as {param}; creation "
        f"functions record nothing, so its gradient would be lost. Pass it detached "
        f"({param}=x.detach()) or build the array with differentiable operations "
        f"(e.g. x * ns.ones(shape) for full)."
    )


def bad_argnums(argnums, n_args: int) -> ValueError:
    return ValueError(
        f"argnums={argnums!r} does not fit a call with {n_args} positional argument(s); "
        f"pass an int or a tuple of ints in range({n_args})."
    )


def tree_mismatch(what: str, expected, got) -> ValueError:
    return ValueError(
        f"The {what} must have the same structure as the primals: expected {expected}, "
        f"got {got}."
    )


def tangent_shape_mismatch(index: int, primal_shape, tangent_shape) -> ValueError:
    return ValueError(
        f"Tangent {index} has shape {tuple(tangent_shape)} but its primal has shape "
        f"{tuple(primal_shape)}; they must be equal."
    )


def bad_jacobian_mode(mode) -> ValueError:
    return ValueError(
        f"jacobian mode must be 'rev' (reverse mode: best for few outputs) or 'fwd' "
        f"(forward mode: best for few inputs), got {mode!r}."
    )


def bad_chunk_size(chunk_size) -> ValueError:
    return ValueError(
        f"chunk_size must be None (all basis vectors in one pass) or a positive int (at "
        f"most that many per pass), got {chunk_size!r}."
    )


def custom_vjp_not_defined(name: str) -> TypeError:
    return TypeError(
        f"The custom_vjp function '{name}' was called with arrays that require a gradient "
        f"before its rules were given; call {name}.defvjp(fwd, bwd) first."
    )


def custom_jvp_not_defined(name: str) -> TypeError:
    return TypeError(
        f"The custom_jvp function '{name}' was called with arrays that require a gradient "
        f"before its rule was given; call {name}.defjvp(jvp_rule) first."
    )


def custom_rule_output(name: str, what: str, expected: int, got) -> ValueError:
    return ValueError(
        f"The {what} of '{name}' must return {expected} value(s), one per input (None for "
        f"inputs without a gradient), but it returned {got}."
    )


def function_jvp_not_defined(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"Forward mode through the Function '{name}' needs a static method "
        f"jvp(ctx, *tangents) returning the output tangent(s); define it on the class."
    )


def custom_output_not_array(name: str, value) -> TypeError:
    return TypeError(
        f"'{name}' must return arrays (or tuples/lists/dicts of arrays), but it returned an "
        f"object of type {type(value).__name__}."
    )


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when an analytic derivative differs from finite differences."""


def gradcheck_failed(kind: str, input_index: int, output_index: int, position,
                     analytic, numerical, atol: float, rtol: float) -> GradcheckError:
    return GradcheckError(
        f"gradcheck: the {kind} Jacobian differs from finite differences for input "
        f"{input_index}, output {output_index}, at (output element, input element) "
        f"{position}: analytic {analytic!r} vs numerical {numerical!r} "
        f"(atol={atol}, rtol={rtol})."
    )


def gradcheck_dtype(index: int, dtype) -> TypeError:
    return TypeError(
        f"gradcheck needs real float64 inputs for accurate finite differences, but input "
        f"{index} has dtype {dtype}. Convert it with xp.astype(x, xp.float64)."
    )


def implicit_complex_head(head) -> RuntimeError:
    return RuntimeError(
        f"backward() without a gradient needs a real output, but this is a complex "
        f"{_describe(head)}: a complex result has no implicit head gradient (as in "
        f"PyTorch). Differentiate a real function of it, e.g. xp.real(y) or xp.abs(y)**2, "
        f"or pass gradient=... explicitly."
    )


def stale_view(array, op_name: str) -> RuntimeError:
    return RuntimeError(
        f"An {_describe(array)} made by '{op_name}' (a view) is used after the array it "
        f"views was modified in place: its values changed but its recorded history did not. "
        f"Take the view again after the in-place update, or copy it before "
        f"(xp.asarray(v, copy=True))."
    )


def inplace_on_view(op_name: str) -> RuntimeError:
    return RuntimeError(
        f"In-place update of a view made by '{op_name}' of an array in a recorded graph is "
        f"not supported: the update could not be written back to the array it views. "
        f"Copy the view first (v = xp.asarray(v, copy=True)), or update the base array."
    )


def duplicate_argnums(argnums, n_args: int) -> ValueError:
    return ValueError(
        f"argnums={argnums!r} must not contain duplicates: it names the same one of the "
        f"{n_args} positional argument(s) more than once (negative numbers count from the "
        f"end), which torch.func rejects too. List each argument once, e.g. argnums=(0, 1), "
        f"and reuse the gradient from the result if you need it twice."
    )


def grad_output_not_float(dtype) -> TypeError:
    return TypeError(
        f"grad requires the function to return a 0-d real floating-point array, but its "
        f"output has dtype {dtype}, which has no gradient. Return a floating-point output "
        f"computed from the inputs: do not cast it to an integer or boolean dtype (an "
        f"output that is a comparison or a rounding has a zero or undefined gradient)."
    )


def grad_output_python_scalar(value) -> TypeError:
    return TypeError(
        f"grad requires the function to return a 0-d real floating-point array, but it "
        f"returned the Python scalar {value!r} (of type {type(value).__name__}), which "
        f"does not depend on the inputs (torch.func.grad raises too). Return an array "
        f"computed from the inputs, e.g. xp.sum(x * x); with has_aux=True return a pair "
        f"(output, aux)."
    )


def checkpoint_captured_variable() -> RuntimeError:
    return RuntimeError(
        "A checkpointed function uses an array that requires a gradient without receiving "
        "it as an argument (it closes over it), so its gradient would be lost: "
        "checkpoint(f) differentiates only with respect to f's arguments. Pass that array "
        "as an argument of f."
    )


def cotangent_shape(op, ct_shape, shape) -> ValueError:
    who = f"The VJP rule of '{op.name}'" if op is not None else "A derivative rule"
    return ValueError(
        f"{who} returned a cotangent of shape {tuple(ct_shape)} for an input of shape "
        f"{tuple(shape)}; it must have the input's shape, or the broadcast shape of the "
        f"operation's output when the input was broadcast (the tape sums those dimensions "
        f"back), never a smaller one. Check the rule (a custom bwd or a Function.backward)."
    )


def custom_rule_not_a_pair(name: str, what: str, expected: str, result) -> TypeError:
    return TypeError(
        f"The {what} of '{name}' must return a pair {expected}, but it returned "
        f"{type(result).__name__}"
        f"{f' of length {len(result)}' if isinstance(result, (tuple, list)) else ''}. "
        f"Return a tuple of two items."
    )


def batched_into_unbatched() -> "ValueOfBatchedError":
    return ValueOfBatchedError(
        "A batched cotangent or tangent (one row per Jacobian row) was written into an "
        "array that holds a single row. A derivative rule that fills a preallocated array "
        "with its cotangent cannot be batched: build the result from the cotangent "
        "instead (e.g. ns.zeros_like(ct), or a scatter op), so every row gets its own "
        "copy. jacobian()/hessian() catch this and compute one row at a time.")


class ValueOfBatchedError(TypeError):
    """A Python value (``bool``, ``float``...) was asked of a batched cotangent or tangent."""


def value_of_batched(what: str) -> ValueOfBatchedError:
    return ValueOfBatchedError(
        f"{what} of a batched cotangent or tangent: its value differs from one row of the "
        "batch to the next. jacobian()/hessian() catch this and compute such a Jacobian "
        "one row at a time; elsewhere, run the rule with one cotangent (vjp()) at a time.")


def hook_not_callable(hook) -> TypeError:
    return TypeError(
        f"register_hook() expects a callable hook(grad) -> new grad or None, got "
        f"{type(hook).__name__} {hook!r}."
    )


def hook_result(hook, result, grad) -> TypeError | ValueError:
    name = getattr(hook, "__qualname__", None) or repr(hook)
    if not hasattr(result, "shape") or not hasattr(result, "dtype"):
        return TypeError(
            f"hook {name!r} returned a {type(result).__name__}; a gradient hook must return "
            f"an array of the gradient's shape {tuple(grad.shape)} (the replacement "
            f"gradient), or None to keep the gradient unchanged."
        )
    return ValueError(
        f"hook {name!r} returned an array of shape {tuple(result.shape)} for a gradient "
        f"of shape {tuple(grad.shape)}; a hook may replace the gradient but not change "
        f"its shape (PyTorch raises too)."
    )


def custom_keyword_only(name: str, names: tuple) -> TypeError:
    return TypeError(
        f"{name}() has keyword-only parameter(s) {', '.join(names)}: a function with a "
        f"custom rule passes its arguments to the rule positionally (as JAX does), so its "
        f"parameters must be positional. Make them positional-or-keyword, or close over "
        f"their values (functools.partial)."
    )


def value_not_saved(op_name: str, label: str) -> RuntimeError:
    return RuntimeError(
        f"The derivative rule of '{op_name}' read the value of its {label}, which the op's "
        f"record declares unread (Op.reads), so the node did not keep it. This is a bug "
        f"of the op table: add the argument to the record's reads."
    )


def jacobian_output(mode: str, value) -> TypeError:
    what = (f"the Python scalar {value!r}" if isinstance(value, (bool, int, float, complex))
            else f"an object of type {type(value).__name__}")
    return TypeError(
        f"jac{mode} requires the function to return floating-point arrays of its namespace "
        f"(or pytrees of them), but one output is {what}: it does not depend on the inputs "
        f"in a way that can be differentiated (a float() or int() conversion cuts the "
        f"graph; torch.func and JAX raise too). Return an array computed from the inputs."
    )


def jacobian_dtype(mode: str, what: str, dtype) -> TypeError:
    if "complex" in str(dtype):
        return TypeError(
            f"jac{mode} of a function with a complex {what} ({dtype}): its Jacobian is "
            f"not defined without holomorphy, as in JAX (jacrev needs real outputs, jacfwd "
            f"real inputs, unless holomorphic=True there). Split the {what} into real and "
            f"imaginary parts (xp.real, xp.imag), use the other mode, or use "
            f"grad(..., holomorphic=True) for a holomorphic scalar function."
        )
    return TypeError(
        f"jac{mode} of a function with an {what} of dtype {dtype}, which carries no "
        f"derivative (torch.func and JAX raise too): only floating-point {what}s have a "
        f"Jacobian. Compute in floating point (xp.astype(..., xp.float64))."
    )


def permutation_of_0d() -> ValueError:
    return ValueError(
        "random.permutation() of a 0-d array: there is no axis to shuffle. Pass an "
        "integer n for a permutation of arange(n), or an array with at least one axis."
    )


def permutation_argument(value) -> TypeError:
    return TypeError(
        f"random.permutation() takes an integer or an array of this namespace, not "
        f"{type(value).__name__}. Convert it first with xp.asarray(...)."
    )


def is_singular_matrix_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a backend's "singular matrix" error (NumPy's, PyTorch's LinAlgError)."""
    return any("LinAlgError" in cls.__name__ for cls in type(exc).__mro__) and \
        "singular" in str(exc).lower()


def singular_matrix(what: str, exc: BaseException) -> BaseException:
    """The backend's error ``exc`` again (same class), saying the matrix is singular."""
    message = (
        f"{what}: the matrix is singular (its determinant is 0), so it has no inverse "
        f"and the linear system has no unique solution. Use linalg.pinv or a "
        f"least-squares formulation for rank-deficient matrices; linalg.det and "
        f"linalg.slogdet are defined (and differentiable) at singular matrices. "
        f"The backend said: {type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    )
    try:
        return type(exc)(message)
    except Exception:  # pragma: no cover - a class that takes other arguments
        return exc


def tensor_requires_grad(ns) -> TypeError:
    return TypeError(
        f"{ns.__name__} was given a torch.Tensor with requires_grad=True. PyTorch's own "
        f"autograd would keep recording inside our arrays, beside our tape (gradients "
        f"would come back with a grad_fn, the tensor's .grad would stay None): our tape is "
        f"the one that records here. Detach it first, e.g. {ns.__name__}.asarray(t.detach()), "
        f"then call .requires_grad_() on the result to differentiate with respect to it."
    )


def integer_gradient(what: str, dtype) -> TypeError:
    """An integer or boolean head gradient, cotangent or tangent (JAX and PyTorch refuse them)."""
    return TypeError(
        f"The {what} has dtype {str(dtype).rpartition('.')[2]}; head gradients, cotangents and tangents must be "
        f"floating-point (real or complex), as JAX requires (PyTorch refuses integer "
        f"tangents too). Pass a floating-point array, e.g. xp.astype(g, xp.float64); a "
        f"Python number takes the array's dtype."
    )


def retain_grad_without_grad() -> RuntimeError:
    return RuntimeError("retain_grad() was called on an array that does not require a "
                        "gradient (as PyTorch, this raises); call requires_grad_() on the "
                        "inputs it is computed from first.")


def non_leaf_grad_warning() -> str:
    """The warning (not an error) of reading ``.grad`` of a non-leaf array, as in PyTorch."""
    return (
        "The .grad attribute of an array that is not a leaf is being read. Its .grad is not "
        "populated by backward() (PyTorch's semantics): call h.retain_grad() on the "
        "intermediate result h before the backward to keep its gradient, or get it with "
        "autograd.grad(y, [h]). If you meant the leaf, read the leaf's .grad instead."
    )


def dirty_not_returned(name: str) -> RuntimeError:
    return RuntimeError(
        f"{name}.forward marked inputs as modified in place (ctx.mark_dirty) but did not "
        f"return them: inputs modified in place must be outputs of the Function (as in "
        f"PyTorch). Return each array passed to mark_dirty."
    )


def dirty_not_an_input(name: str) -> ValueError:
    return ValueError(
        f"{name}.forward passed to ctx.mark_dirty an array that is not one of its array "
        f"arguments; only inputs modified in place are marked dirty (as in PyTorch)."
    )


def nondiff_argnums(name: str, argnums, n_args: int) -> ValueError:
    return ValueError(
        f"nondiff_argnums={argnums!r} of custom_vjp function {name}() must be distinct "
        f"integer positions of its {n_args} positional argument(s) (keywords are placed by "
        f"its signature first)."
    )


def nondiff_argument_requires_grad(name: str, position: int) -> TypeError:
    return TypeError(
        f"Argument {position} of custom_vjp function {name}() is in nondiff_argnums but is "
        f"an array that requires a gradient (or carries a tangent): no gradient would flow "
        f"into it. Make it a differentiable argument (drop it from nondiff_argnums) or pass "
        f"x.detach() (JAX refuses such an argument too)."
    )


def complex_mismatch(what: str, dtype, expected) -> TypeError:
    return TypeError(
        f"The {what} has dtype {dtype} but the array it belongs to has dtype {expected}: "
        f"one is complex and the other real, and converting would drop (or invent) an "
        f"imaginary part. Pass a {what} of the array's dtype, e.g. xp.real(g) for a real "
        f"array if the imaginary part is meant to be dropped."
    )
