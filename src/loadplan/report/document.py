"""The report as a list of blocks, so Markdown and HTML say exactly the same thing.

``content.py`` decides what the report says (blocks); ``markdown.py`` and ``html.py`` only decide
how it looks. Inline text may hold ``code`` spans in backticks, the one markup both render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from loadplan.report.figure import Plot


@dataclass(frozen=True, slots=True)
class Heading:
    """A section title; level 1 is the report's title."""

    text: str
    level: int = 2


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Alert:
    """A line that must not be missed: ``danger`` (the numbers are not the target's), ``warning``
    (partial run), ``ok`` / ``fail`` (the verdict)."""

    text: str
    level: Literal["danger", "warning", "ok", "fail"]


@dataclass(frozen=True, slots=True)
class Table:
    """Cells are text already formatted; columns after the first are right-aligned."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Figure:
    plot: Plot
    caption: str


Block = Heading | Paragraph | Alert | Table | Figure
