"""The ``servsim`` console script: parse the command line, then load what the command needs.

``servsim --help`` and a wrong argument end in the parser, before :mod:`servsim.cli` (and
with it pandas and the model) is imported.
"""

from __future__ import annotations

from collections.abc import Sequence

from servsim.arguments import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``servsim`` console script and of ``python -m servsim``."""
    args = build_parser().parse_args(argv)
    from servsim.cli import run_command

    return run_command(args, argv)
