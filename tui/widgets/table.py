"""Refilling a DataTable without moving the operator's cursor off their row.

Screens reload every few seconds; a cursor that jumped back to the top would
make the next key press act on a different workspace, key or finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable


def refill(table: DataTable, rows: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
    """Replace every row with (key, cells) pairs; the cursor stays on its key."""
    kept = highlighted_key(table)
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if kept is not None and kept in table.rows:
        table.move_cursor(row=table.get_row_index(kept), animate=False)


def highlighted_key(table: DataTable) -> str | None:
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    return None if key.value is None else str(key.value)
