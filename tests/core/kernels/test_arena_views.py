"""Arena views (the entry point's slices and tables) equal NumPy's slicing and reshape."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from neurocontrol.core.kernels.step.arena_views import arena_table, arena_view

_OPTIONS = {"cache": False, "boundscheck": False}  # numba's defaults otherwise (copies allocate)


@njit(**_OPTIONS)
def _views(f8: np.ndarray, i4: np.ndarray, layout: np.ndarray) -> tuple:
    vector = arena_view(f8, layout, 0)
    table = arena_table(f8, layout, 1, 3)
    small = arena_view(i4, layout, 2)
    empty = arena_view(f8, layout, 3)
    vector[0] = -1.0  # writes go to the arena
    table[1, 2] = -2.0
    small[-1] += 100
    return (
        vector.copy(),
        table.copy(),
        small.copy(),
        empty.shape[0],
        table.shape,
        table.strides,
        vector.strides,
    )


def test_views_equal_numpy_slices_and_alias_the_arena() -> None:
    f8 = np.arange(40.0)
    i4 = np.arange(10, dtype=np.int32)
    layout = np.array([16, 21, 4, 13, 2, 7, 21, 21], dtype=np.int64)  # (start, stop) per slot
    expected_f8 = f8.copy()
    expected_f8[16] = -1.0
    expected_f8[4:13].reshape(3, 3)[1, 2] = -2.0
    expected_i4 = i4.copy()
    expected_i4[6] += 100
    vector, table, small, empty, table_shape, table_strides, vector_strides = _views(f8, i4, layout)
    np.testing.assert_array_equal(f8, expected_f8)
    np.testing.assert_array_equal(i4, expected_i4)
    np.testing.assert_array_equal(vector, expected_f8[16:21])
    np.testing.assert_array_equal(table, expected_f8[4:13].reshape(3, 3))
    np.testing.assert_array_equal(small, expected_i4[2:7])
    assert empty == 0
    assert table_shape == (3, 3)
    assert table_strides == (24, 8)
    assert vector_strides == (8,)


_LAYOUT = np.array([0, 6], dtype=np.int64)


@njit(**_OPTIONS)
def _table_with_runtime_width(f8: np.ndarray, layout: np.ndarray, width: int) -> float:
    return arena_table(f8, layout, 0, width)[0, 0]


@njit(**_OPTIONS)
def _view_of_runtime_slot(f8: np.ndarray, layout: np.ndarray, slot: int) -> float:
    return arena_view(f8, layout, slot)[0]


@njit(**_OPTIONS)
def _view(arena: np.ndarray, layout: np.ndarray) -> float:
    return arena_view(arena, layout, 0)[0]


def test_slot_and_column_count_must_be_literals() -> None:
    with pytest.raises(TypingError, match="arena_table"):
        _table_with_runtime_width(np.zeros(6), _LAYOUT, 3)
    with pytest.raises(TypingError, match="arena_view"):
        _view_of_runtime_slot(np.zeros(6), _LAYOUT, 0)


def test_views_need_one_dimensional_contiguous_arena_and_integer_layout() -> None:
    with pytest.raises(TypingError, match="arena_view"):
        _view(np.zeros((2, 3)), _LAYOUT)
    with pytest.raises(TypingError, match="arena_view"):
        _view(np.zeros(8)[::2], _LAYOUT)
    with pytest.raises(TypingError, match="arena_view"):
        _view(np.zeros(8), _LAYOUT.astype(np.float64))
