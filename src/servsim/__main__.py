"""``python -m servsim``: the same as the ``servsim`` command."""

from servsim.cli import main

raise SystemExit(main())
