"""Arrival counts per interval from a CSV file (a real trace), read into rate periods.

Every problem inside the file is reported with the file, the line and the column, since the
scenario's field path (``arrivals.profile[3].start``) means nothing to someone looking at the CSV.
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from typing import Any

from servsim.scenario.weekly import parse_weekdays
from servsim.schema_types import MAX_DAYS, MAX_PER_HOUR, SECONDS_PER_DAY, parse_clock

__all__ = ["CountsFileError", "read_counts_csv"]

MAX_ROWS = 1_000_000
"""The most intervals a counts file may hold (ten years of 5-minute counts, with room)."""
_COLUMNS = ("start", "end", "count")


class CountsFileError(Exception):
    """The arrival-counts CSV cannot be read, has wrong columns or a wrong value.

    Not a ``ValueError``: pydantic would fold it into a generic error on ``arrivals``; it is
    reported as ``arrivals.counts_csv`` with the CSV's own file, line and column instead.
    """


def read_counts_csv(path: Path) -> list[dict[str, Any]]:
    """Read arrival counts per interval into rate periods (count / interval length, per hour).

    Columns: ``start`` and ``end`` (HH:MM or seconds since midnight), ``count``, and optionally
    ``day``: a day number (1 = first day) for a multi-day trace, or a weekday (``mon``,
    ``mon-fri``) for a weekly pattern that repeats. A UTF-8 byte-order mark (Excel's "CSV UTF-8")
    is accepted.

    Raises:
        CountsFileError: naming the file, and the line and column of a wrong value.
    """
    try:
        found, folder = path.exists(), path.is_dir()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte in it
        raise CountsFileError(f"{str(path)[:80]}: cannot be read: {exc}") from None
    if not found:
        raise CountsFileError(f"file not found: {path}")
    if folder:
        raise CountsFileError(f"{path} is a folder, not a CSV file")
    periods: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            missing = [c for c in _COLUMNS if c not in header]
            if missing:
                raise CountsFileError(
                    f"{path}, line 1: missing column(s) {', '.join(missing)}; "
                    "expected start,end,count[,day]"
                )
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue  # a blank line
                if len(periods) >= MAX_ROWS:
                    raise CountsFileError(f"{path}: more than {MAX_ROWS:,} rows")
                periods.append(_period(path, reader.line_num, header, cells))
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise CountsFileError(f"{path}, line {reader.line_num}: not valid CSV: {exc}") from None
    except UnicodeDecodeError:
        raise CountsFileError(f"{path}: not a text file (expected CSV in UTF-8)") from None
    except OSError as exc:
        raise CountsFileError(f"{path}: cannot be read: {exc.strerror}") from None
    if not periods:
        raise CountsFileError(f"{path}: no rows")
    _check_overlaps(path, periods, lines)
    return periods


def _period(path: Path, line: int, header: list[str], cells: list[str]) -> dict[str, Any]:
    """One row as a rate period, every wrong value located by line and column."""

    def cell(name: str) -> tuple[str, str]:
        column = header.index(name)
        where = f"{path}, line {line}, column {column + 1} ({name})"
        value = cells[column].strip() if column < len(cells) else ""
        if not value and name != "day":
            raise CountsFileError(f"{where}: the value is missing")
        return value, where

    start = _clock(*cell("start"))
    end = _clock(*cell("end"))
    if not end > start:
        raise CountsFileError(f"{cell('end')[1]}: the interval must end after it starts")
    text, where = cell("count")
    count = _number(text, where)
    if count < 0:
        raise CountsFileError(f"{where}: a count must be 0 or more (given: {text})")
    per_hour = count / (end - start) * 3600.0
    if per_hour > MAX_PER_HOUR:
        raise CountsFileError(
            f"{where}: {text} in {end - start:g} s is {per_hour:.3g} arrivals per hour; "
            f"at most {MAX_PER_HOUR:.0e}"
        )
    period: dict[str, Any] = {"start": start, "end": end, "per_hour": per_hour}
    if "day" in header:
        text, where = cell("day")
        if text and not _is_number(text):
            try:
                period["weekday"] = parse_weekdays(text)
            except ValueError as exc:
                raise CountsFileError(f"{where}: {exc}") from None
        elif text:
            day = _number(text, where)
            if not (day.is_integer() and 1 <= day <= MAX_DAYS):
                raise CountsFileError(
                    f"{where}: a day is a whole number from 1 to {MAX_DAYS} or a weekday "
                    f"such as mon (given: {text[:40]})"
                )
            period["day"] = int(day)
    return period


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CountsFileError(f"{where}: not a number (given: {text[:40]})") from None
    if not math.isfinite(value):
        raise CountsFileError(f"{where}: must be a finite number (given: {text[:40]})")
    return value


def _clock(text: str, where: str) -> float:
    """HH:MM(:SS) or seconds since midnight, between 00:00 and 24:00."""
    try:
        seconds = float(text) if _is_number(text) else float(parse_clock(text))
    except ValueError as exc:
        raise CountsFileError(f"{where}: {exc}") from None
    if not 0.0 <= seconds <= SECONDS_PER_DAY:
        raise CountsFileError(
            f"{where}: a time of day must lie between 00:00 and 24:00 (given: {text[:40]})"
        )
    return seconds


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_overlaps(path: Path, periods: list[dict[str, Any]], lines: list[int]) -> None:
    """Two intervals of the same day (or weekday) may not overlap: the later line is reported."""
    by_day: dict[tuple[str, int | None], list[tuple[float, float, int]]] = {}
    for period, line in zip(periods, lines, strict=True):
        keys = (
            [("weekday", d) for d in period["weekday"]]
            if "weekday" in period
            else [("day", period.get("day"))]
        )
        for key in keys:
            by_day.setdefault(key, []).append((period["start"], period["end"], line))
    for rows in by_day.values():
        for (_, end_a, line_a), (start_b, _, line_b) in itertools.pairwise(sorted(rows)):
            if start_b < end_a:
                raise CountsFileError(
                    f"{path}, line {line_b}: the interval overlaps the one on line {line_a}"
                )
