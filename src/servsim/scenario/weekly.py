"""The week a service lives in: weekdays, opening hours and the calendar of a run.

Planners think in weeks: Monday is busier than Thursday, the branch opens 08:30-14:00 on
weekdays and closes on public holidays. These types let a scenario say so the way a planner
would write it (``mon-fri: 08:00-20:00``, ``sat: closed``) and store it as plain numbers:
weekdays 0 (Monday) to 6 (Sunday), times in seconds since midnight.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from servsim.schema_types import MAX_DAYS, SECONDS_PER_DAY, StrictModel, Whole, format_clock

__all__ = [
    "WEEKDAY_NAMES",
    "Calendar",
    "Hours",
    "OpeningHours",
    "Weekday",
    "Weekdays",
    "format_weekdays",
    "parse_hours",
    "parse_weekdays",
    "weekly_hours",
]

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as a scenario writes them; a weekday's number is its index (0 = Monday)."""

_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekend": (5, 6),
}
_LONG_NAMES = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_ALLOWED = "mon..sun, a range such as mon-fri, daily, weekdays or weekend"
_RANGE_RE = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*-\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def _weekday(text: str) -> int:
    name = text.strip().lower()
    if name in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(name)
    if name in _LONG_NAMES:
        return _LONG_NAMES[name]
    close = difflib.get_close_matches(name, [*WEEKDAY_NAMES, *_LONG_NAMES, *_GROUPS], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ValueError(f"'{text.strip()}' is not a weekday{hint}; write {_ALLOWED}")


def parse_weekdays(value: Any) -> Any:
    """``"mon-fri"``, ``"sat,sun"``, ``"daily"`` or a list of those, as sorted weekday numbers.

    A range wraps round the week (``fri-mon`` is Friday to Monday). Anything that is not text
    or a list is passed on, so pydantic reports it as a type error at the right field.
    """
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return value
    items: Sequence[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        return value
    days: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"a weekday is written as text ({_ALLOWED}), not {item!r}")
        text = item.strip().lower()
        if text in _GROUPS:
            days.update(_GROUPS[text])
        elif "-" in text:
            first, _, last = text.partition("-")
            start, end = _weekday(first), _weekday(last)
            days.update((start + k) % 7 for k in range((end - start) % 7 + 1))
        else:
            days.add(_weekday(text))
    if not days:
        raise ValueError(f"name at least one weekday: {_ALLOWED}")
    return tuple(sorted(days))


def format_weekdays(days: Sequence[int]) -> str:
    """Weekday numbers written back compactly: ``(0, 1, 2, 3, 4, 6)`` -> ``"mon-fri,sun"``."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        WEEKDAY_NAMES[run[0]]
        if len(run) == 1
        else f"{WEEKDAY_NAMES[run[0]]}-{WEEKDAY_NAMES[run[-1]]}"
        for run in runs
    )


def _weekdays_json(description: str) -> Any:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ],
            "description": description,
        }
    )


Weekdays = Annotated[
    tuple[int, ...],
    BeforeValidator(parse_weekdays),
    PlainSerializer(format_weekdays, return_type=str),
    _weekdays_json(f"weekdays: {_ALLOWED}, or a list of those"),
]
"""A set of weekdays, stored as sorted numbers (0 = Monday), written back as ``"mon-fri"``."""


def _one_weekday(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if not isinstance(value, str):
        raise ValueError(f"one weekday ({', '.join(WEEKDAY_NAMES)}), not {value!r}")
    return _weekday(value)


Weekday = Annotated[
    int,
    BeforeValidator(_one_weekday),
    PlainSerializer(lambda day: WEEKDAY_NAMES[day], return_type=str),
    WithJsonSchema({"type": "string", "enum": list(WEEKDAY_NAMES)}),
]
"""One weekday, stored as its number (0 = Monday), written back as ``"mon"``."""


def parse_hours(value: Any) -> Any:
    """``"08:00-20:00"``, ``"08:00-12:00, 14:00-18:00"``, a list of ranges, or ``"closed"``.

    Returns the periods as sorted (start, end) seconds since midnight; ``closed`` is none.
    """
    if isinstance(value, tuple):
        return value
    if isinstance(value, str):
        if value.strip().lower() == "closed":
            return ()
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"opening hours are written '08:00-20:00' or 'closed', not {value!r}")
    periods: list[tuple[float, float]] = []
    for item in items:
        match = _RANGE_RE.match(item) if isinstance(item, str) else None
        if match is None:
            raise ValueError(
                f"'{item}' is not a range of hours; write HH:MM-HH:MM, e.g. '08:00-20:00'"
            )
        start, end = (_clock_seconds(g) for g in match.groups())
        if not end > start:
            raise ValueError(
                f"'{item.strip()}' must end after it starts (a period past midnight is two: "
                "'22:00-24:00' today and '00:00-06:00' the next day)"
            )
        periods.append((start, end))
    periods.sort()
    for (_, end_a), (start_b, _) in itertools.pairwise(periods):
        if start_b < end_a:
            raise ValueError(f"the periods in '{value}' overlap")
    return tuple(periods)


def _clock_seconds(text: str) -> float:
    parts = [int(p) for p in text.split(":")]
    hours, minutes, seconds = [*parts, 0][:3]
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"'{text}' is not a time of day: minutes and seconds go up to 59")
    total = float(hours * 3600 + minutes * 60 + seconds)
    if total > SECONDS_PER_DAY:
        raise ValueError(f"'{text}': a time of day lies between 00:00 and 24:00")
    return total


def _format_hours(periods: Sequence[tuple[float, float]]) -> str:
    if not periods:
        return "closed"
    return ", ".join(f"{format_clock(start)}-{format_clock(end)}" for start, end in periods)


Hours = Annotated[
    tuple[tuple[float, float], ...],
    BeforeValidator(parse_hours),
    PlainSerializer(_format_hours, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "'08:00-20:00', '08:00-12:00, 14:00-18:00' or 'closed'",
        }
    ),
]
"""The periods of one day a pool is open, as (start, end) seconds since midnight."""


def _check_opening_hours(hours: Mapping[str, Any]) -> Mapping[str, Any]:
    seen: dict[int, str] = {}
    for key in hours:
        for day in parse_weekdays(key):
            if day in seen:
                raise ValueError(
                    f"{WEEKDAY_NAMES[day]} is given twice (in '{seen[day]}' and '{key}'); "
                    "give each weekday once"
                )
            seen[day] = key
    return hours


OpeningHours = Annotated[
    dict[str, Hours],
    AfterValidator(_check_opening_hours),
    Field(
        description=(
            "opening hours by weekday, e.g. {mon-fri: '08:00-20:00', sat: '09:00-13:00'}; "
            "weekdays left out are closed"
        )
    ),
]
"""Opening hours keyed by weekdays (``mon-fri``, ``sat``, ``daily``); others are closed."""


def weekly_hours(
    hours: Mapping[str, Sequence[tuple[float, float]]],
) -> list[tuple[tuple[float, float], ...]]:
    """The opening periods of each weekday, Monday first (an empty tuple: closed all day)."""
    week: list[tuple[tuple[float, float], ...]] = [() for _ in range(7)]
    for key, periods in hours.items():
        for day in parse_weekdays(key):
            week[day] = tuple(periods)
    return week


ClosedDate = Annotated[Whole, Field(ge=1, le=MAX_DAYS)] | datetime.date


class Calendar(StrictModel):
    """The days a run covers: the weekday it starts on, the days the service is closed.

    Day 1 of the horizon is ``start_date`` (or, without a date, a ``start_weekday``); a weekly
    pattern (opening hours, shifts and arrivals by weekday) repeats from there. On a closed
    date nobody is on shift, no pool opens and no new customer arrives.
    """

    start_weekday: Weekday | None = Field(
        default=None,
        description="weekday of day 1 (mon..sun); Monday when neither this nor start_date is given",
    )
    start_date: datetime.date | None = Field(
        default=None, description="date of day 1 (YYYY-MM-DD); sets the weekday and allows dates"
    )
    closed_dates: list[ClosedDate] = Field(
        default_factory=list,
        description="days the whole service is closed: day numbers (1 = first) or dates",
    )
    closed_arrivals: Literal["error", "defer"] = Field(
        default="error",
        description=(
            "customers who arrive while the first touchpoint they need in person is closed: "
            "'error' refuses such a scenario, 'defer' has them start at the next opening"
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Calendar:
        if self.start_date is not None and self.start_weekday is not None:
            actual = self.start_date.weekday()
            if actual != self.start_weekday:
                raise ValueError(
                    f"start_date {self.start_date} is a {WEEKDAY_NAMES[actual]}, not a "
                    f"{WEEKDAY_NAMES[self.start_weekday]}; give one of them"
                )
        for closed in self.closed_dates:
            if isinstance(closed, datetime.date):
                if self.start_date is None:
                    raise ValueError(
                        f"closed date {closed} needs a start_date (or write it as a day number)"
                    )
                if closed < self.start_date:
                    raise ValueError(f"closed date {closed} is before start_date {self.start_date}")
        return self

    @property
    def first_weekday(self) -> int:
        """The weekday of day 1 (0 = Monday)."""
        if self.start_date is not None:
            return self.start_date.weekday()
        return self.start_weekday if self.start_weekday is not None else 0

    def weekday(self, day: int) -> int:
        """The weekday of a day of the run (1 = first)."""
        return (self.first_weekday + day - 1) % 7

    def closed_days(self) -> frozenset[int]:
        """The closed dates as day numbers of the run (1 = first)."""
        days = set()
        for closed in self.closed_dates:
            if isinstance(closed, datetime.date):
                assert self.start_date is not None  # checked on validation
                days.add((closed - self.start_date).days + 1)
            else:
                days.add(closed)
        return frozenset(days)

    def day_label(self, day: int) -> str:
        """How a day of the run is named in messages: ``day 3 (Wed)``, or its date."""
        name = WEEKDAY_NAMES[self.weekday(day)].capitalize()
        if self.start_date is not None:
            date = self.start_date + datetime.timedelta(days=day - 1)
            return f"day {day} ({name} {date.isoformat()})"
        return f"day {day} ({name})"
