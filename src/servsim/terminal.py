"""How the command line lays out its tables and lines: in the reader's language, at any width.

A planner reads servsim in an 80-column terminal as often as in a wide one, and copies the
folder a result was saved to. Rich left to itself folds a long cell anywhere
(``first_resp│onse_time``) and wraps a path across lines, so every command builds its tables
here instead: a :class:`Grid` says what a table holds, :func:`fitted` turns it into one or more
rich tables that fit the width, with widths chosen so no word is ever split (a label wraps
between words, a value stays whole on its line), and the value columns split into several
tables, each repeating the label columns, when they do not fit side by side.

The words come from :mod:`servsim.language` (``cli.*`` messages) and the metric labels from
the catalogue, in the language chosen once at the edge and carried in a :class:`Voice` with
the currency costs are written in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from servsim.catalogue import DAILY, lookup
from servsim.language import Language, messages, text
from servsim.presentation import metric_label

__all__ = ["Column", "Grid", "Voice", "fitted", "print_grid", "print_saved"]

PREFERRED_KEY_WIDTH = 28
"""A label column is given up to this many columns before a value column is moved to a table
of its own: wider, and a long Spanish label would still fit on one line; narrower, and most
labels would wrap."""


@dataclass(frozen=True)
class Voice:
    """What every printed sentence needs: the reader's language and the currency of costs.

    Plain data passed down from the edge (``--lang``, ``SERVSIM_LANG``, the scenario's
    ``reporting.currency``), so no printing function looks anything up globally.
    """

    language: Language = "en"
    currency: str | None = None

    def say(self, key: str, /, **fields: object) -> str:
        """The CLI message ``cli.<key>`` in this language."""
        return text(f"cli.{key}", self.language, **fields)

    def label(self, column: str) -> str:
        """A metric column's human label (``occupancy (agents)``), never its snake_case key.

        Catalogue metrics first, then the per-day table's, then the few rows the CLI derives
        itself (declared in ``messages.toml`` as ``cli.metric.<column>``).
        """
        if lookup(column) is not None:
            return metric_label(column, self.language)
        if column in DAILY:
            return DAILY[column].label(self.language)
        key = f"cli.metric.{column}"
        return text(key, self.language) if key in messages() else column

    def costs_in(self, currency: str) -> Voice:
        """The same voice, writing money in ``currency``."""
        return replace(self, currency=currency)


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Grid`.

    Attributes:
        header: its heading (it wraps between words).
        key: a label column: wraps between words and is repeated in every part of a split
            table. A value column (``key=False``) keeps each cell whole on one line.
        justify: left for words, right for numbers.
    """

    header: str
    key: bool = False
    justify: Literal["left", "right", "center"] = "right"


@dataclass
class Grid:
    """A table before it meets a terminal: title, caption, columns and rows of cells."""

    title: str
    columns: Sequence[Column]
    caption: str | None = None
    rows: list[tuple[list[Text], str | None]] = field(default_factory=list)

    def add(self, *cells: str | Text, style: str | None = None) -> None:
        """Append a row (one cell per column; ``style`` such as ``bold`` for the whole row)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(([c if isinstance(c, Text) else Text(c) for c in cells], style))


NARROW_KEY_WIDTH = 16
"""How narrow a label column may become (wrapping on more lines) to keep one table whole."""
BORDER = 3
"""Columns a table spends per column besides its cells: a padding space each side, a rule."""


def _longest_word(cell: Text | str) -> int:
    words = str(cell).split()
    return max((cell_len(w) for w in words), default=0)


def _widest_line(cell: Text | str) -> int:
    return max((cell_len(line) for line in str(cell).splitlines()), default=0)


def _needs(grid: Grid) -> list[tuple[int, int]]:
    """Per column, (least width that splits no word, width that shows it unwrapped)."""
    needs = []
    for index, column in enumerate(grid.columns):
        cells = [row[index] for row, _ in grid.rows]
        header_word = _longest_word(column.header)
        header_line = _widest_line(column.header)
        if column.key:
            least = max([header_word, *(_longest_word(c) for c in cells)])
            most = max([header_line, *(_widest_line(c) for c in cells)])
        else:  # a value is never wrapped; its heading may wrap between words
            least = max([header_word, *(_widest_line(c) for c in cells)])
            most = max(least, header_line)
        needs.append((max(least, 1), max(most, 1)))
    return needs


def _parts(grid: Grid, width: int) -> list[tuple[list[int], list[int]]]:
    """The columns of each table the grid is split into, and the width of each column.

    Label columns come in every part; value columns are added to a part while they fit beside
    the labels at their preferred width. A value too wide for any part is wrapped between its
    words as a last resort (a value's words are short: ``12.3``, ``min``, ``..``).
    """
    needs = _needs(grid)
    keys = [i for i, c in enumerate(grid.columns) if c.key]
    values = [i for i, c in enumerate(grid.columns) if not c.key]
    preferred = {i: max(needs[i][0], min(needs[i][1], PREFERRED_KEY_WIDTH)) for i in keys}
    least = {i: needs[i][0] for i in keys}

    groups = _grouped(values, preferred, needs, width)
    if len(groups) > 1:  # narrower labels, wrapped on more lines, before a second table
        narrow = {i: max(needs[i][0], min(needs[i][1], NARROW_KEY_WIDTH)) for i in keys}
        groups = _grouped(values, narrow, needs, width)

    parts = []
    for group in groups:
        widths = {i: needs[i][0] for i in group}
        room = width - _overhead(len(keys) + len(group)) - sum(widths.values())
        key_widths = dict(preferred) if room >= sum(preferred.values()) else dict(least)
        deficit = sum(key_widths.values()) - room
        for i in group:  # one value alone too wide for the width: it wraps between words
            cut = max(0, min(deficit, widths[i] - _value_word(grid, i)))
            widths[i] -= cut
            deficit -= cut
        # give what is left to the labels, up to what shows them unwrapped
        spare = width - _overhead(len(keys) + len(group)) - sum(widths.values())
        spare -= sum(key_widths.values())
        for i in keys:
            grow = max(0, min(spare, needs[i][1] - key_widths[i]))
            key_widths[i] += grow
            spare -= grow
        for i in group:  # and then to headings that would otherwise wrap
            grow = max(0, min(spare, needs[i][1] - widths[i]))
            widths[i] += grow
            spare -= grow
        columns = sorted([*keys, *group])
        parts.append((columns, [key_widths.get(i, widths.get(i, 1)) for i in columns]))
    return parts


def _overhead(columns: int) -> int:
    """Columns a table of ``columns`` columns spends on its rules and padding."""
    return 1 + BORDER * columns


def _grouped(
    values: Sequence[int], keys: dict[int, int], needs: Sequence[tuple[int, int]], width: int
) -> list[list[int]]:
    """Value columns in groups that fit beside the label columns at the widths ``keys``."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index in values:
        trial = [*current, index]
        used = sum(keys.values()) + sum(needs[i][0] for i in trial)
        if current and used + _overhead(len(keys) + len(trial)) > width:
            groups.append(current)
            current = [index]
        else:
            current = trial
    if current or not groups:
        groups.append(current)
    return groups


def _value_word(grid: Grid, index: int) -> int:
    """The longest word of a value column: the least it can be when it must wrap."""
    cells = [row[index] for row, _ in grid.rows]
    return max([_longest_word(grid.columns[index].header), *(_longest_word(c) for c in cells)])


def fitted(grid: Grid, width: int, voice: Voice) -> list[Table]:
    """The grid as rich tables no wider than ``width``, no word split across lines.

    One table when its columns fit side by side; otherwise several, each with the label
    columns and as many value columns as fit, titled ``title (1/2)``; the caption goes under
    the last.
    """
    parts = _parts(grid, width)
    tables = []
    for number, (columns, widths) in enumerate(parts, start=1):
        title = grid.title
        if len(parts) > 1:
            title = voice.say("part", title=grid.title, part=number, parts=len(parts))
        table = Table(
            title=Text(title) if title else None,
            caption=Text(grid.caption) if grid.caption and number == len(parts) else None,
        )
        for index, column_width in zip(columns, widths, strict=True):
            column = grid.columns[index]
            table.add_column(
                Text(column.header),
                justify=column.justify,
                width=column_width,
                overflow="fold",  # never reached: every width holds the longest word
                no_wrap=False,
            )
        for cells, style in grid.rows:
            table.add_row(*(cells[i] for i in columns), style=style)
        tables.append(table)
    return tables


def print_grid(console: Console, grid: Grid, voice: Voice) -> None:
    """Print a grid fitted to the console's width."""
    for table in fitted(grid, console.width, voice):
        console.print(table)


def print_saved(console: Console, heading: str, path: Path | str) -> None:
    """``heading`` on a line, then the path alone on the next, never wrapped, to copy whole."""
    console.print(Text(heading), soft_wrap=False)
    console.print(Text(str(path)), soft_wrap=True, highlight=False, crop=False)
