"""Views of the state arrays inside the arenas, for the generated step entry point.

``arena_view(arena, layout, slot)`` is ``arena[layout[2 slot] : layout[2 slot + 1]]``
and ``arena_table(arena, layout, slot, columns)`` the same elements as a
``[rows, columns]`` table, for literal ``slot`` and ``columns``. Both build
the array header (data pointer, shape, strides) directly instead of going
through numba's indexing, slicing and ``reshape``: the entry point rebuilds
some 30 arrays per step, and numba's general index (negative-index
wrapping), slice (clamping) and reshape (a compiled helper and a C call
that leaves the strides unknown to LLVM) made it the most expensive
function of a cold start to type, lower and optimise. The bounds come from the layout the
builder computed (:mod:`neurocontrol.core.builder.arena`) and are not checked:
these helpers are for that layout only.

The views own no memory (no meminfo, like every array of the ``_nrt=False``
kernels) and alias the arena.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["arena_table", "arena_view"]


def _is_arena(arena: types.Type) -> bool:
    return isinstance(arena, types.Array) and arena.ndim == 1 and arena.layout == "C"


def _literal_at_least(value: types.Type, minimum: int) -> bool:
    return isinstance(value, types.IntegerLiteral) and value.literal_value >= minimum


def _valid(arena: types.Type, layout: types.Type, slot: types.Type) -> bool:
    integer_layout = _is_arena(layout) and isinstance(getattr(layout, "dtype", None), types.Integer)
    return _is_arena(arena) and integer_layout and _literal_at_least(slot, 0)


def _field(context: Any, array_type: types.Array, value: Any, builder: Any, name: str) -> Any:
    position = context.data_model_manager[array_type].get_field_position(name)
    return builder.extract_value(value, position)


def _build_view(
    context: Any,
    builder: Any,
    signature: Any,
    args: Any,
    columns: int,
) -> Any:
    """The header of ``arena[start:stop]`` with ``columns`` columns (0: 1-D)."""
    arena_type, layout_type, slot_type = signature.args[:3]
    result_type = signature.return_type
    arena, layout = args[0], args[1]
    slot = slot_type.literal_value
    intp = context.get_value_type(types.intp)
    bounds = _field(context, layout_type, layout, builder, "data")
    start = builder.load(builder.gep(bounds, [ir.Constant(intp, 2 * slot)]))
    stop = builder.load(builder.gep(bounds, [ir.Constant(intp, 2 * slot + 1)]))
    start = context.cast(builder, start, layout_type.dtype, types.intp)
    stop = context.cast(builder, stop, layout_type.dtype, types.intp)
    itemsize = context.get_abi_sizeof(context.get_data_type(result_type.dtype))
    length = builder.sub(stop, start)
    if columns:
        width = ir.Constant(intp, columns)
        shape = [builder.sdiv(length, width), width]
        strides = [ir.Constant(intp, columns * itemsize), ir.Constant(intp, itemsize)]
    else:
        shape, strides = [length], [ir.Constant(intp, itemsize)]
    data = builder.gep(_field(context, arena_type, arena, builder, "data"), [start])
    model = context.data_model_manager[result_type]
    header = ir.Constant(model.get_value_type(), ir.Undefined)
    null = {
        name: ir.Constant(header.type.elements[model.get_field_position(name)], None)
        for name in ("meminfo", "parent")
    }
    fields = {**null, "nitems": length, "itemsize": ir.Constant(intp, itemsize), "data": data}
    for name, value in fields.items():
        header = builder.insert_value(header, value, model.get_field_position(name))
    for name, values in (("shape", shape), ("strides", strides)):
        position = model.get_field_position(name)
        for dimension, value in enumerate(values):
            header = builder.insert_value(header, value, [position, dimension])
    return header


@intrinsic
def arena_view(typingctx: Any, arena: Any, layout: Any, slot: Any) -> Any:
    """``arena[layout[2 slot] : layout[2 slot + 1]]`` (1-D, C-contiguous); ``slot`` a literal."""
    if not _valid(arena, layout, slot):
        return None  # numba retries with literal argument types; a non-literal slot fails typing
    result = types.Array(arena.dtype, 1, "C")

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return _build_view(context, builder, signature, args, 0)

    return result(arena, layout, slot), codegen


@intrinsic
def arena_table(typingctx: Any, arena: Any, layout: Any, slot: Any, columns: Any) -> Any:
    """The elements of ``arena_view(arena, layout, slot)`` as a C-contiguous ``[rows, columns]``."""
    if not (_valid(arena, layout, slot) and _literal_at_least(columns, 1)):
        return None
    result = types.Array(arena.dtype, 2, "C")

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return _build_view(context, builder, signature, args, signature.args[3].literal_value)

    return result(arena, layout, slot, columns), codegen
