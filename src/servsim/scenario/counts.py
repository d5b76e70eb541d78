"""Arrival counts per interval from a CSV file (a real trace), read into rate periods."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from servsim.schema_types import parse_clock

__all__ = ["CountsFileError", "read_counts_csv"]


class CountsFileError(ValueError):
    """The arrival-counts CSV cannot be read or has wrong columns."""


def read_counts_csv(path: Path) -> list[dict[str, Any]]:
    """Read arrival counts per interval into rate periods (count / interval length, per hour).

    Columns: ``start`` and ``end`` (HH:MM or seconds since midnight), ``count``, and optionally
    ``day`` (1 = first day) for a multi-day trace.
    """
    if not path.exists():
        raise CountsFileError(f"file not found: {path}")
    periods: list[dict[str, Any]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        missing = {"start", "end", "count"} - columns
        if missing:
            raise CountsFileError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                "expected start,end,count[,day]"
            )
        for row_number, row in enumerate(reader, start=2):
            try:
                start = float(parse_clock(row["start"].strip()))
                end = float(parse_clock(row["end"].strip()))
                count = float(row["count"])
            except (ValueError, AttributeError) as exc:
                raise CountsFileError(f"{path}, line {row_number}: {exc}") from None
            if end <= start or count < 0 or not math.isfinite(count):
                raise CountsFileError(
                    f"{path}, line {row_number}: need end after start and a count >= 0"
                )
            period: dict[str, Any] = {
                "start": start,
                "end": end,
                "per_hour": count * 3600.0 / (end - start),
            }
            if row.get("day"):
                period["day"] = int(row["day"])
            periods.append(period)
    if not periods:
        raise CountsFileError(f"{path}: no rows")
    return periods
