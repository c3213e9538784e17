"""codesign: client co-design of policy."""

__version__ = "0.1.0"
