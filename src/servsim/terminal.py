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

A sentence printed between the tables goes through :func:`print_prose` (a problem raised
elsewhere and quoted as it is, through :func:`print_problem`): rich wraps at any
whitespace, the no-break space included, so left to itself it ends a line with ``84,4`` and
starts the next with ``% [80,3 % .. 89,6 %]``. :func:`wrapped` breaks only at the spaces a
reader can break at, never between a number and its unit nor inside an interval, and the
captions of the tables are wrapped the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
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

__all__ = [
    "Column",
    "Grid",
    "Voice",
    "fitted",
    "print_grid",
    "print_problem",
    "print_prose",
    "print_saved",
    "wrapped",
]

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
        table_width = sum(widths) + _overhead(len(columns))
        table = Table(
            title=_fitted_text(title, table_width) if title else None,
            caption=(
                _fitted_text(grid.caption, table_width)
                if grid.caption and number == len(parts)
                else None
            ),
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
    print_prose(console, heading)
    console.print(Text(str(path)), soft_wrap=True, highlight=False, crop=False)


# --------------------------------------------------------------------------- prose

_NUMBER = r"(?<![^\s(\[])[-+−]?\d+(?:[.,]\d+)*"
"""A number starting a word (``84,4``, ``-1.234,50``, ``+0.20``), not the digits of ``p95``."""
_UNIT = r"(?:%|p\. p\.|pp|ms|s|min|h|d|x|[A-Z]{2,5}|[A-Z]{0,3}[$€£¥₹])"
"""What follows a number after a space and belongs to it: a percent sign, percentage points,
a time, ``x``, a currency code (``EUR``, ``USD``) or symbol, or an upper-case unit (``GB``)."""
_NUMBER_AND_UNIT = re.compile(rf"{_NUMBER} {_UNIT}(?=$|[\s,;:.)\]])")
_INTERVAL = re.compile(
    rf"(?:{_NUMBER}(?: {_UNIT})? )?\[[^\[\]\n]*? \.\. [^\[\]\n]*?\]|\S+ \.\. \S+"
)
"""An interval, ``[77,0 % .. 90,0 %]`` or ``12.3 .. 14.1``, read as one thing, with the value it
bounds when one comes before it: ``83,5 % [77,0 % .. 90,0 %]``."""


def _held(plain: str, whole: Iterable[str]) -> set[int]:
    """Positions of the spaces of ``plain`` a line must not break at."""
    held: set[int] = set()

    def hold(start: int, end: int) -> None:
        held.update(i for i in range(start, end) if plain[i] == " ")

    for pattern in (_NUMBER_AND_UNIT, _INTERVAL):
        for match in pattern.finditer(plain):
            hold(*match.span())
    for part in whole:
        start = plain.find(part) if part else -1
        while start >= 0:
            hold(start, start + len(part))
            start = plain.find(part, start + len(part))
    return held


def _wrapped_line(line: Text, width: int, whole: Iterable[str], hang: int) -> list[Text]:
    """One line (no newline) in lines of at most ``width`` cells, broken at free spaces only.

    Continuation lines keep the line's indent, ``hang`` columns more. A word longer than the
    width (a path) is left whole on a line of its own, wider than the width, rather than cut.
    """
    plain = line.plain
    indent = len(plain) - len(plain.lstrip(" "))
    if indent == len(plain):
        return [line]
    hang += indent + (2 if plain.startswith("- ", indent) else 0)  # under a list item's text
    hang = hang if 2 * hang <= width else 0
    held = _held(plain, whole)
    words: list[tuple[int, int]] = []  # (start, end) of each run between free spaces
    start = indent
    for gap in re.finditer(" +", plain[indent:]):
        first, last = gap.start() + indent, gap.end() + indent
        if any(i in held for i in range(first, last)):
            continue
        if first > start:
            words.append((start, first))
        start = last
    if start < len(plain):
        words.append((start, len(plain)))

    spans: list[tuple[int, int, int]] = []  # (indent, start, end) of each printed line
    lead, begin, end = indent, words[0][0], words[0][1]
    for word_start, word_end in words[1:]:
        if lead + cell_len(plain[begin:word_end]) <= width:
            end = word_end
            continue
        spans.append((lead, begin, end))
        lead, begin, end = hang, word_start, word_end
    spans.append((lead, begin, end))

    lines = []
    for number, (lead, begin, end) in enumerate(spans):
        piece = line[0 if number == 0 else begin : end]
        if number > 0 and lead:
            piece.pad_left(lead)
        lines.append(piece)
    return lines


def wrapped(
    line: Text | str, width: int, whole: Iterable[str] = (), hang: int = 0
) -> list[Text]:
    """``line`` in lines of at most ``width`` cells, broken only where a reader would break it.

    Breaks fall at ASCII spaces only, never between a number and its unit (``84,4 %``,
    ``3.2 p. p.``, ``20 s``, ``1,234.50 EUR``) nor inside an interval (``[77,0 % .. 90,0
    %]``), nor inside any of the substrings ``whole`` (a path, a group read as one). Each
    line's styles are kept; newlines in ``line`` start new lines; continuation lines keep the
    line's indent (a ``- `` item's: its text's) and ``hang`` columns more; a word longer than
    ``width`` stands alone on a wider line, never cut.
    """
    text = Text(line) if isinstance(line, str) else line
    parts = whole if isinstance(whole, Sequence) else list(whole)
    return [
        piece
        for paragraph in text.split("\n", allow_blank=True)
        for piece in _wrapped_line(paragraph, max(width, 1), parts, hang)
    ]


def print_prose(
    console: Console,
    line: Text | str,
    *,
    style: str | None = None,
    whole: Iterable[str] = (),
    hang: int = 0,
) -> None:
    """Print a sentence wrapped at the console's width by :func:`wrapped`, in ``style``.

    Every line is printed as it is (``soft_wrap``): rich neither wraps it again nor crops a
    path wider than the terminal. The text printed is the text given, with ordinary spaces.
    """
    text = Text(line, style=style or "") if isinstance(line, str) else line
    if style is not None and not isinstance(line, str):
        text = text.copy()
        text.stylize(style)
    for piece in wrapped(text, console.width, whole, hang):
        console.print(piece, soft_wrap=True, highlight=False)


def print_problem(console: Console, message: str) -> None:
    """Print a problem's message as it was raised, each of its lines whole (``soft_wrap``).

    A scenario's problems (``path: field: what is wrong``, one a line), a file's
    ``line 3, column 2`` and an operating system's error are diagnostics a user greps and
    copies, as a compiler's are: they are not wrapped. The CLI's own sentences go through
    :func:`print_prose`.
    """
    console.print(Text(message), soft_wrap=True, highlight=False, crop=False)


def _fitted_text(line: str, width: int) -> Text:
    """A table's title or caption, pre-wrapped to the table's width by :func:`wrapped`."""
    return Text("\n").join(wrapped(line, width))
