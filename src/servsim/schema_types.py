"""Building blocks of the scenario schema: strict models, durations, clock times, probabilities.

A planner writes ``3min`` or ``09:30`` rather than seconds since midnight, so the schema accepts
human units and stores plain seconds. Every model is frozen and forbids unknown keys: a typo in a
scenario must be an error, never a silently ignored setting.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

SECONDS_PER_UNIT: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
SECONDS_PER_DAY = 86400.0

_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]+)?\s*$")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


class StrictModel(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected, values re-checked on copy."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _text_match(value: Any, what: str, pattern: re.Pattern[str], advice: str) -> Any:
    """A number as seconds, a string matched by ``pattern``, anything else passed on.

    YAML reads ``on``/``yes``/``true`` as booleans, which pydantic would quietly take as 1:
    they are refused. Anything neither number nor text is passed on unchanged, so pydantic
    reports it as a type error at the right field.
    """
    if isinstance(value, bool):
        raise ValueError(f"{what}, not {str(value).lower()}; {advice}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return value
    match = pattern.match(value)
    if match is None:
        raise ValueError(f"'{value}' is not {what}; {advice}")
    return match


def parse_duration(value: Any) -> Any:
    """Turn ``90``, ``"90s"``, ``"1.5min"``, ``"2h"`` or ``"1d"`` into seconds (plain: seconds)."""
    units = ", ".join(sorted({"s", "min", "h", "d"}))
    advice = f"write a number of seconds or a number with a unit ({units}), e.g. 90 or '3min'"
    match = _text_match(value, "a duration", _DURATION_RE, advice)
    if not isinstance(match, re.Match):
        return match
    number, unit = match.groups()
    if unit is None:
        return float(number)
    factor = SECONDS_PER_UNIT.get(unit.lower())
    if factor is None:
        raise ValueError(f"unknown time unit '{unit}' in '{value}'; use s, min, h or d")
    return float(number) * factor


def parse_clock(value: Any) -> Any:
    """Turn ``"09:30"`` (or ``"09:30:15"``, or a number of seconds) into seconds since midnight."""
    match = _text_match(value, "a time of day", _CLOCK_RE, "write HH:MM, e.g. '09:30'")
    if not isinstance(match, re.Match):
        return match
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"'{value}' is not a time of day: minutes and seconds go up to 59")
    return float(hours * 3600 + minutes * 60 + seconds)


def format_clock(seconds: float) -> str:
    """Write seconds since midnight back as ``HH:MM`` (``HH:MM:SS`` when needed)."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def refuse_bool(value: Any) -> Any:
    """Refuse a YAML boolean where a number is meant.

    YAML reads ``true``/``yes``/``on`` as booleans and pydantic would quietly take them as 1:
    ``horizon.days: true`` would run one day. Everything else goes on to the number check.
    """
    if isinstance(value, bool):
        raise ValueError(f"a number, not {str(value).lower()}")
    return value


Real = Annotated[float, BeforeValidator(refuse_bool), Field(allow_inf_nan=False)]
"""A finite number (an int is taken too); a boolean, NaN or infinity is refused."""

Whole = Annotated[int, BeforeValidator(refuse_bool)]
"""A whole number; a boolean is refused (pydantic would read ``true`` as 1)."""

MAX_DAYS = 3660
"""The longest horizon, in days (ten years); days named in a scenario are at most this."""
MAX_PER_HOUR = 1e6
"""The highest arrival rate, per hour: more would be millions of customers a simulated day."""
MAX_COST_PER_HOUR = 1e6
"""The highest cost of a staff- or trainee-hour (any currency)."""
MAX_WEIGHT = 1000.0
"""The largest importance or weight a scenario may give (weights are relative)."""
MAX_DURATION = MAX_DAYS * 86400.0
"""The longest duration a scenario may write (the longest horizon): ten years, in seconds."""
MIN_POSITIVE_DURATION = 0.001
"""The shortest positive duration: one millisecond; shorter times are below the clock's grain."""
MIN_INTERVAL = 60.0
"""The shortest period of a recurring event (an inquiry repeated, a policy re-applied): 1 min.

A shorter period would make the simulated clock crawl: millions of events per simulated day.
"""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _check_clock(value: float) -> float:
    if not 0.0 <= value <= SECONDS_PER_DAY:
        raise ValueError("a time of day must lie between 00:00 and 24:00")
    return value


_DURATION_PATTERN = (
    r"^\s*[0-9]*\.?[0-9]+\s*(ms|s|sec|min|m|h|d|seconds?|minutes?|hours?|days?)?\s*$"
)
_DURATION_JSON = {
    "anyOf": [
        {"type": "number", "minimum": 0, "description": "seconds"},
        {
            "type": "string",
            "pattern": _DURATION_PATTERN,
        },
    ],
    "description": "a duration: a number of seconds, or a number with a unit (s, min, h, d)",
}

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(ge=0, le=MAX_DURATION),
    AfterValidator(_finite),
    WithJsonSchema(_DURATION_JSON),
]
"""A non-negative length of time, stored in seconds."""

PositiveDuration = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(ge=MIN_POSITIVE_DURATION, le=MAX_DURATION),
    AfterValidator(_finite),
    WithJsonSchema(
        _DURATION_JSON | {"description": "a positive duration (seconds or with a unit)"}
    ),
]
"""A positive length of time (at least 1 ms, at most ten years), stored in seconds."""

Interval = Annotated[
    PositiveDuration,
    Field(ge=MIN_INTERVAL),
    WithJsonSchema(
        _DURATION_JSON
        | {"description": "the period of a recurring event: at least 1 min (seconds or a unit)"}
    ),
]
"""The period of a recurring event, at least :data:`MIN_INTERVAL`: the clock never crawls."""

ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    AfterValidator(_check_clock),
    PlainSerializer(format_clock, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$",
            "description": "time of day HH:MM",
        }
    ),
]
"""A time of day, stored as seconds since midnight, written back as ``HH:MM``."""

Probability = Annotated[Real, Field(ge=0.0, le=1.0)]
"""A probability or a share, between 0 and 1."""

Name = Annotated[
    str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")
]
"""A name that can appear in file names and metric columns."""
