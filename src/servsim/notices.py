"""Warnings as data: what a run must tell a planner, kept as a code and its values, not as text.

A warning used to be an English sentence from the moment it was raised, saved as such in the
manifest, and the report matched it with regular expressions to say it in Spanish. Now it is a
:class:`Notice`: a code (``overload``) naming the message ``warning.<code>`` of
``messages.toml`` and the values that fill it (a pool, a share, a span over replications). The
CLI and both reports render it in the reader's language, numbers written the way that language
writes them (:mod:`servsim.presentation`), and a run's manifest saves it structured, with an
English ``text`` beside it for older readers and for a person reading the JSON.

A message says how each value is written with a format spec of its own, so the message (and
not the code that raises the warning) decides whether a share shows one decimal:

``share`` (``84.4%``), ``share0`` (``84%``), ``percent`` (a share as ``±5%``, ``g`` style),
``count`` (``1,234``), ``d`` (``1234``), ``g`` and ``3g`` (a plain number), and nothing for
text. A :class:`Span` is written ``low–high`` in that style (one value when both are equal);
a tuple of notices is each rendered and joined with ``, `` (``concat``: with nothing, for
optional clauses).
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from servsim.language import Language, messages
from servsim.presentation import format_number, format_share

__all__ = ["FieldValue", "Notice", "Span", "notices_from_manifest", "render_saved"]


@dataclass(frozen=True)
class Span:
    """The least and greatest value a warning saw over replications (equal when one value)."""

    low: float
    high: float


FieldValue = str | int | float | Span | tuple["Notice", ...]
"""What a notice's field holds: text, a number, a span of numbers or notices (a list)."""


@dataclass(frozen=True)
class Notice:
    """One warning as data: the message ``warning.<code>`` and the values that fill it.

    Attributes:
        code: names the message ``<family>.<code>`` (declared in both languages).
        fields: the values the message's ``{fields}`` take, each written by its format spec.
        family: ``warning`` for what a planner must heed; ``note`` for what a command says
            along the way (a search's progress, why a difference is not compared).
    """

    code: str
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    family: Literal["warning", "note"] = "warning"

    def render(self, language: Language = "en") -> str:
        """The warning in ``language``, its numbers written as that language writes them."""
        template = messages()[f"{self.family}.{self.code}"][language]
        return _Writer(language).vformat(template, (), dict(self.fields))

    def __str__(self) -> str:
        """The English sentence: what logs, tests and older readers see."""
        return self.render("en")

    def to_json(self) -> dict[str, Any]:
        """The manifest's form: code, fields (spans and lists as JSON) and the English text."""
        return {
            **({"family": self.family} if self.family != "warning" else {}),
            "code": self.code,
            "fields": {name: _field_json(value) for name, value in self.fields.items()},
            "text": self.render("en"),
        }

    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> Notice:
        """A notice read back from :meth:`to_json`.

        Raises:
            KeyError, TypeError, ValueError: the mapping is not a saved notice.
        """
        fields = saved.get("fields") or {}
        family: Literal["warning", "note"] = "note" if saved.get("family") == "note" else "warning"
        values = {str(k): _field_value(v) for k, v in fields.items()}
        return cls(str(saved["code"]), values, family)


def _field_json(value: FieldValue) -> Any:
    if isinstance(value, Span):
        return {"low": value.low, "high": value.high}
    if isinstance(value, tuple):
        return [notice.to_json() for notice in value]
    return value


def _field_value(saved: Any) -> FieldValue:
    if isinstance(saved, dict) and set(saved) == {"low", "high"}:
        return Span(float(saved["low"]), float(saved["high"]))
    if isinstance(saved, list):
        return tuple(Notice.from_json(item) for item in saved)
    if isinstance(saved, bool) or not isinstance(saved, str | int | float):
        raise TypeError(f"not a warning field: {saved!r}")
    return saved


class _Writer(string.Formatter):
    """Fills a warning's message, writing each value by its format spec in one language."""

    def __init__(self, language: Language) -> None:
        super().__init__()
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, tuple):  # a list of notices: ", " between them, or none
            between = "" if format_spec == "concat" else ", "
            return between.join(notice.render(self.language) for notice in value)
        write = self._writer(format_spec)
        if isinstance(value, Span):
            low, high = write(value.low), write(value.high)
            return low if low == high else f"{low}–{high}"
        if isinstance(value, str):
            return value
        return write(float(value))

    def _writer(self, spec: str) -> Callable[[float], str]:
        language = self.language
        styles: dict[str, Callable[[float], str]] = {
            "share": lambda v: format_share(v, language, 1),
            "share0": lambda v: format_share(v, language),
            "percent": lambda v: _percent(v, language),
            "count": lambda v: format_number(v, ",.0f", language),
            "d": lambda v: format_number(v, ".0f", language),
            "g": lambda v: format_number(v, "g", language),
            "3g": lambda v: format_number(v, ".3g", language),
            "": lambda v: format_number(v, "g", language),
        }
        if spec not in styles:
            raise ValueError(f"unknown warning format {spec!r}; known: {sorted(styles)}")
        return styles[spec]


def _percent(value: float, language: Language) -> str:
    """A share written ``g`` style as a percentage: 0.05 -> ``5%`` (``5 %``), 0.001 -> ``0.1%``."""
    if math.isnan(value):
        return "-"
    return format_number(value * 100, "g", language) + (" %" if language == "es" else "%")


SAVED_KEYS: Final = ("code", "fields")
"""What a saved warning holds besides its English ``text``."""


def notices_from_manifest(saved: object) -> list[Notice | str]:
    """A manifest's ``warnings``: notices where saved structured, text as saved otherwise.

    Runs written before warnings were data saved English sentences; those (and a structured
    item this version cannot read, such as a code it does not declare) are kept as their text,
    so an old folder still reports.
    """
    out: list[Notice | str] = []
    for item in saved if isinstance(saved, list) else []:
        if isinstance(item, dict) and all(k in item for k in SAVED_KEYS):
            try:
                notice = Notice.from_json(item)
                notice.render("en")  # a code or field this version cannot write: as text
            except (KeyError, TypeError, ValueError, IndexError):
                out.append(str(item.get("text") or item.get("code")))
                continue
            out.append(notice)
        elif isinstance(item, dict):
            out.append(str(item.get("text") or item))
        else:
            out.append(str(item))
    return out


def render_saved(item: Notice | str, language: Language) -> str:
    """A saved warning in ``language``: a notice rendered, an old text shown as saved."""
    return item.render(language) if isinstance(item, Notice) else item
