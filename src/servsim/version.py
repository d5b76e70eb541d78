"""servsim's version, in a module of its own so any layer can name it without importing all."""

__version__ = "0.1.0"


class LazyModule:
    """A module imported on first attribute access.

    The command line uses it for modules that pull in pandas and pyarrow: ``servsim --help``,
    ``validate`` and ``schema`` never touch them, so they start in a fraction of a second.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> object:
        import importlib

        return getattr(importlib.import_module(self._name), attribute)
