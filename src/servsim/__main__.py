"""``python -m servsim``: the same as the ``servsim`` command."""

from servsim.entry import main

raise SystemExit(main())
