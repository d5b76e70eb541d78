"""Scenario errors: every problem located by file and field path, with what is allowed.

pydantic reports errors by location tuples; this module turns them into one readable line each
(``staff.front[1].shifts[0].end: ... (given: '25:00')``), naming the allowed keys of a mapping
when a field is unknown, with a did-you-mean hint.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = ["ScenarioError", "format_path", "format_validation_errors", "unknown_name"]


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem located by file and field path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        header = f"{source}: invalid scenario ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([header, *(f"  - {p}" for p in problems)]))


def unknown_name(what: str, given: str, allowed: Iterable[str]) -> str:
    """A message for a name that is not defined: what is allowed and the closest match."""
    allowed = sorted(allowed)
    hint = difflib.get_close_matches(given, allowed, n=1)
    return f"unknown {what} '{given}'; allowed: {', '.join(allowed) or '(none defined)'}" + (
        f" (did you mean '{hint[0]}'?)" if hint else ""
    )


def format_path(loc: tuple[int | str, ...]) -> str:
    """``('staff', 'front', 1, 'shifts', 0, 'end')`` -> ``staff.front[1].shifts[0].end``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:  # a key the file made up may be of any length: cut it
            name = str(part)
            out += ("." if out else "") + (name if len(name) <= 60 else name[:57] + "...")
    return out


_MODEL_TAGS = {
    "exponential",
    "lognormal",
    "gamma",
    "weibull",
    "deterministic",
    "empirical",
    "Routing",
}
_UNION_TAGS = _MODEL_TAGS | {
    "str",
    "float",
    "bool",
    "dict[str,float]",
    "dict[str,constrained-float]",
    "constrained-str",
    "constrained-float",
}


def format_validation_errors(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One readable line per pydantic error: path, what was given, what is allowed.

    Args:
        exc: pydantic's error.
        root: the model that was validated, to name the keys allowed where one is unknown.
    """
    problems: list[str] = []
    seen: set[str] = set()
    errors = exc.errors(include_url=False)
    # a mapping given where a union allows a scalar or a model: the scalar branch's complaint
    # ("should be a valid string") is noise next to what the model branch says
    model_branch_paths = {
        format_path(_strip_tags(e["loc"][:i]))
        for e in errors
        for i, part in enumerate(e["loc"])
        if isinstance(part, str) and part in _MODEL_TAGS
    }
    for error in errors:
        raw_loc = error["loc"]
        loc = _strip_tags(raw_loc)
        if (
            raw_loc
            and isinstance(raw_loc[-1], str)
            and _is_union_tag(raw_loc[-1])
            and raw_loc[-1] not in _MODEL_TAGS
            and format_path(loc) in model_branch_paths
        ):
            continue
        path = format_path(loc)
        kind = error["type"]
        if kind == "value_error" and not path:
            for line in str(error["msg"]).removeprefix("Value error, ").splitlines():
                problems.append(line)
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        given = error.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(raw_loc[:-1], root)
            field = str(loc[-1])
            hint = difflib.get_close_matches(field, allowed, n=1)
            message = (
                f"unknown field '{field}'"
                + (f"; allowed: {', '.join(allowed)}" if allowed else "")
                + (f" (did you mean '{hint[0]}'?)" if hint else "")
            )
            line = f"{path}: {message}"
        elif kind == "missing":
            line = f"{path}: required field is missing"
        else:
            line = f"{path or '(top level)'}: {message} (given: {_short(given)})"
        if line not in seen:
            seen.add(line)
            problems.append(line)
    return problems


def _strip_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and _is_union_tag(p)))


def _is_union_tag(part: str) -> bool:
    return part in _UNION_TAGS or part.startswith(("constrained-", "function-", "dict[", "list["))


def _short_repr() -> reprlib.Repr:
    """A repr of bounded work: it never writes out a nested value (an alias bomb) in full."""
    short = reprlib.Repr()  # keyword arguments only from Python 3.12
    short.maxlevel = 2
    short.maxtuple = short.maxlist = short.maxarray = short.maxdict = 4
    short.maxset = short.maxfrozenset = short.maxdeque = 4
    short.maxstring, short.maxlong, short.maxother = 50, 40, 50
    return short


_SHORT_REPR = _short_repr()


def _short(value: Any, limit: int = 60) -> str:
    """A value as given, cut to ``limit`` characters without ever writing it out in full."""
    try:
        text = _SHORT_REPR.repr(value)
    except ValueError:  # an int too long to write (Python refuses over 4,300 digits)
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _allowed_keys(loc: tuple[int | str, ...], root: type[BaseModel]) -> list[str]:
    """Field names allowed at a location, found by walking the models (best effort)."""
    model: Any = root
    for part in loc:
        model = _descend(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _descend(annotation: Any, part: int | str) -> Any:
    candidates = _model_candidates(annotation)
    if isinstance(part, str) and _is_union_tag(part):
        for candidate in candidates:  # a union member named by pydantic: kind tag or class name
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                kind = candidate.model_fields.get("kind")
                if candidate.__name__ == part or (kind is not None and kind.default == part):
                    return candidate
        return annotation
    for candidate in candidates:
        if isinstance(part, int):
            if get_origin(candidate) in _LISTS:
                return _unwrap(get_args(candidate)[0])
            continue
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(part)
            if field is not None:
                return _unwrap(field.annotation)
        if get_origin(candidate) in _MAPPINGS:
            return _unwrap(get_args(candidate)[1])
    return None


_LISTS = (list, Sequence)
_MAPPINGS = (dict, Mapping)


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _model_candidates(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    args = get_args(annotation)
    if args and get_origin(annotation) not in (*_LISTS, *_MAPPINGS):
        out: list[Any] = []
        for arg in args:
            out.extend(_model_candidates(arg))
        return out
    return [annotation]
