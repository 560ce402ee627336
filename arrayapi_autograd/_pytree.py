"""A tiny pytree: nested tuples, lists, dicts (and namedtuples) of leaves.

The function transforms accept and return arrays, Python scalars, ``None`` or
containers of them, as JAX's ``jax.tree_util`` and ``torch.utils._pytree`` do.
Unlike JAX, ``None`` is a leaf here (the transforms treat it as a constant),
which keeps "one cotangent or ``None`` per input" easy to line up.  Dict keys
are visited in sorted order when they can be sorted (JAX's order), so two
dicts with the same keys flatten alike whatever their insertion order.
"""

from __future__ import annotations

from typing import Any, Callable


class TreeDef:
    """The structure of a pytree, without its leaves.

    Attributes
    ----------
    kind : {"leaf", "tuple", "list", "dict", "namedtuple"}
    meta : None, type or tuple
        The namedtuple type, or the dict's keys in flattening order.
    children : tuple of TreeDef
    num_leaves : int
    """

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind: str, meta, children: tuple):
        self.kind = kind
        self.meta = meta
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.children))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children))
            return "{" + inner + "}"
        return f"{self.kind}({inner})"


LEAF = TreeDef("leaf", None, ())


def _dict_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        return tuple(d)


def flatten(tree) -> tuple[list, TreeDef]:
    """``(leaves, treedef)`` of ``tree``, leaves in depth-first order.

    Examples
    --------
    >>> leaves, treedef = flatten({"b": (1, 2), "a": 3})
    >>> leaves
    [3, 1, 2]
    >>> unflatten(treedef, [30, 10, 20])
    {'a': 30, 'b': (10, 20)}
    """
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves: list) -> TreeDef:
    if isinstance(tree, tuple):
        children = tuple(_flatten(c, leaves) for c in tree)
        if hasattr(tree, "_fields"):
            return TreeDef("namedtuple", type(tree), children)
        return TreeDef("tuple", None, children)
    if isinstance(tree, list):
        return TreeDef("list", None, tuple(_flatten(c, leaves) for c in tree))
    if isinstance(tree, dict):
        keys = _dict_keys(tree)
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves) -> Any:
    """The pytree of structure ``treedef`` holding ``leaves`` (inverse of :func:`flatten`)."""
    iterator = iter(leaves)
    result = _unflatten(treedef, iterator)
    return result


def _unflatten(treedef: TreeDef, iterator):
    kind = treedef.kind
    if kind == "leaf":
        return next(iterator)
    children = [_unflatten(c, iterator) for c in treedef.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "namedtuple":
        return treedef.meta(*children)
    return dict(zip(treedef.meta, children))


def tree_map(fn: Callable, tree) -> Any:
    """Apply ``fn`` to every leaf of ``tree``, keeping its structure."""
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [fn(leaf) for leaf in leaves])
