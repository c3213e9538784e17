"""Demo content: a sample round and generated answers to it (``serve --demo``,
``codesign demo-answers``, tests and benchmarks).

The texts are data (``round.json``, ``answers.json``), written per language so
translations read as natural text, not word for word; the code here only turns
them into a round and participations.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def content(name: str) -> Any:
    """One of the package's JSON files, read once."""
    return json.loads(files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8"))
