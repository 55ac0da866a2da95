"""gdlab's version, on the bottom floor so that any module can read it."""

__version__ = "0.1.0"
