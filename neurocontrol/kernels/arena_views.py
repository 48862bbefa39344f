"""Views of the state arrays inside the arenas, for the generated step entry point.

``arena_view(arena, start, stop)`` is ``arena[start:stop]`` and
``arena_table(arena, start, stop, columns)`` is
``arena[start:stop].reshape((stop - start) // columns, columns)`` for a
literal ``columns``, both built directly as an array header (data pointer,
shape, strides) instead of through numba's slicing and ``reshape``: the
entry point rebuilds some 30 such arrays, and numba's general slice
(negative-index wrapping, clamping) and reshape (a compiled helper and a
C call that leaves the strides unknown to LLVM) made it the most expensive
function of a cold start to type, lower and optimise (measured in
:mod:`neurocontrol.kernels.flags`). The bounds come from the layout the
builder computed (:mod:`neurocontrol.build.arena`) and are not checked:
these helpers are for that layout only.

The views own no memory (no meminfo, like every array of the ``_nrt=False``
kernels) and alias the arena.
"""

from __future__ import annotations

from numba import types
from numba.extending import intrinsic

__all__ = ["arena_table", "arena_view"]


def _is_arena(arena: types.Type) -> bool:
    return isinstance(arena, types.Array) and arena.ndim == 1 and arena.layout == "C"


def _build_view(context, builder, arena_type, arena, start, shape, strides, result_type):
    """An array header over ``arena`` from element ``start`` with ``shape`` and ``strides``."""
    source = context.make_array(arena_type)(context, builder, arena)
    view = context.make_array(result_type)(context, builder)
    itemsize = context.get_abi_sizeof(context.get_data_type(result_type.dtype))
    context.populate_array(
        view,
        data=builder.gep(source.data, [start]),
        shape=shape,
        strides=[context.get_constant(types.intp, stride * itemsize) for stride in strides],
        itemsize=context.get_constant(types.intp, itemsize),
        meminfo=None,
    )
    return view._getvalue()


@intrinsic
def arena_view(typingctx, arena, start, stop):
    """``arena[start:stop]`` (1-D, C-contiguous) for ``0 <= start <= stop <= arena.size``."""
    if not (_is_arena(arena) and isinstance(start, types.Integer)):
        return None
    if not isinstance(stop, types.Integer):
        return None
    result = types.Array(arena.dtype, 1, "C")

    def codegen(context, builder, signature, args):
        arena_value, start_value, stop_value = args
        start_value = context.cast(builder, start_value, signature.args[1], types.intp)
        stop_value = context.cast(builder, stop_value, signature.args[2], types.intp)
        length = builder.sub(stop_value, start_value)
        return _build_view(
            context, builder, signature.args[0], arena_value, start_value, [length], [1], result
        )

    return result(arena, start, stop), codegen


@intrinsic
def arena_table(typingctx, arena, start, stop, columns):
    """``arena[start:stop]`` as a C-contiguous ``[rows, columns]`` table; ``columns`` a literal."""
    if not (_is_arena(arena) and isinstance(start, types.Integer)):
        return None
    if not isinstance(stop, types.Integer):
        return None
    if not isinstance(columns, types.IntegerLiteral) or columns.literal_value < 1:
        return None  # numba retries with literal argument types; a non-literal fails typing
    width = columns.literal_value
    result = types.Array(arena.dtype, 2, "C")

    def codegen(context, builder, signature, args):
        arena_value, start_value, stop_value, _ = args
        start_value = context.cast(builder, start_value, signature.args[1], types.intp)
        stop_value = context.cast(builder, stop_value, signature.args[2], types.intp)
        n_columns = context.get_constant(types.intp, width)
        rows = builder.sdiv(builder.sub(stop_value, start_value), n_columns)
        return _build_view(
            context,
            builder,
            signature.args[0],
            arena_value,
            start_value,
            [rows, n_columns],
            [width, 1],
            result,
        )

    return result(arena, start, stop, columns), codegen
