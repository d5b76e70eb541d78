"""The language servsim speaks to a person: English by default, Spanish on request.

The domain's own words are Spanish (servucción, momentos de verdad, ciclo del servicio, the
levels criminal / básico / esperado / deseado / asombroso), so a teacher can show a class the
report in the words of the seeds. Metric labels live in the metric catalogue beside each
metric (``en`` and ``es``); every other sentence a person reads (headings, verdicts, captions,
CLI messages) is declared once in ``messages.toml`` beside this module, in both languages.

A message that lacks a language, or whose two languages name different ``{fields}``, is an
error when the table is read, so a missing translation fails the tests rather than showing
a blank or an English sentence in a Spanish report.

The language is chosen once, at the edge (``--lang`` on the CLI, else ``SERVSIM_LANG``, else
English), and passed down as a plain value: nothing here is global state.
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final, Literal, get_args

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "LANGUAGES",
    "Language",
    "choose_language",
    "messages",
    "text",
]

Language = Literal["en", "es"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
ENVIRONMENT_VARIABLE: Final = "SERVSIM_LANG"


def _fields(template: str) -> set[str]:
    """The ``{names}`` a template fills (format specs ignored)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def messages() -> Mapping[str, Mapping[Language, str]]:
    """Every message, ``key -> {language: template}``, checked for both languages."""
    raw = tomllib.loads(resources.files("servsim").joinpath("messages.toml").read_text("utf-8"))
    table: dict[str, dict[Language, str]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise ValueError(f"messages.toml: {key!r} is not a table with en and es")
        missing = [lang for lang in LANGUAGES if not str(entry.get(lang, "")).strip()]
        if missing:
            raise ValueError(f"messages.toml: {key!r} has no text for {', '.join(missing)}")
        extra = sorted(set(entry) - set(LANGUAGES))
        if extra:
            raise ValueError(f"messages.toml: {key!r} has unknown languages {extra}")
        if _fields(entry["en"]) != _fields(entry["es"]):
            raise ValueError(
                f"messages.toml: {key!r} fills {sorted(_fields(entry['en']))} in English "
                f"but {sorted(_fields(entry['es']))} in Spanish"
            )
        table[key] = {lang: str(entry[lang]) for lang in LANGUAGES}
    return table


def text(key: str, language: Language = "en", /, **fields: object) -> str:
    """The message ``key`` in ``language``, its ``{fields}`` filled.

    An unknown key is a ``KeyError`` naming it: a message is declared before it is used.
    """
    try:
        template = messages()[key][language]
    except KeyError:
        raise KeyError(f"no message {key!r} in messages.toml (language {language!r})") from None
    return template.format(**fields) if fields else template


def choose_language(
    explicit: str | None = None, environ: Mapping[str, str] = os.environ
) -> Language:
    """The language asked for: ``explicit`` (``--lang``), else ``SERVSIM_LANG``, else English.

    Accepts ``es``, ``ES``, ``es_ES.UTF-8`` and the like; anything else is a ``ValueError``
    that names where it came from and what is allowed.
    """
    source = "--lang" if explicit is not None else ENVIRONMENT_VARIABLE
    value = explicit if explicit is not None else environ.get(ENVIRONMENT_VARIABLE, "")
    if not value.strip():
        return "en"
    code = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    if code not in LANGUAGES:
        raise ValueError(
            f"{source}={value!r} is not a language servsim speaks; use one of "
            f"{', '.join(LANGUAGES)}"
        )
    return code
