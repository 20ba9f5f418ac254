"""Report blocks as GitHub-flavoured Markdown, with plots as PNG files beside it.

The Markdown is meant to be committed (docs/performance/load-test-results.md) and read on a
forge: plain tables, images by relative path (``plots/<name>.png``), alerts as bold lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from loadplan.report.document import Alert, Block, Figure, Heading, Paragraph, Table

PLOTS_DIR = "plots"
_ALERT_PREFIX = MappingProxyType({"danger": "⚠️ ", "warning": "⚠️ ", "ok": "✅ ", "fail": "❌ "})


def plot_path(name: str) -> str:
    return f"{PLOTS_DIR}/{name}.png"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> str:
    head = "| " + " | ".join(_cell(c) or " " for c in table.columns) + " |"
    rule = "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
    body = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join([head, rule, *body])


def render(blocks: Sequence[Block]) -> str:
    """The whole Markdown document."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + block.text)
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Alert):
            parts.append(f"**{_ALERT_PREFIX[block.level]}{block.text}**")
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(
                f"![{block.plot.title}]({plot_path(block.plot.name)})\n\n*{block.caption}*"
            )
    return "\n\n".join(parts) + "\n"
