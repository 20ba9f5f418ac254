"""Report blocks as one self-contained HTML file.

Everything is inside the file: the style sheet inline, each plot a base64 PNG ``data:`` URI, and
no script at all. It opens offline, from an e-mail attachment or a CI artifact, with nothing to
fetch and nothing to run.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence

from loadplan.report.document import Alert, Block, Figure, Heading, Paragraph, Table

_CODE = re.compile(r"`([^`]+)`")

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       max-width: 1060px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 28px; margin-bottom: 4px; }
h2 { font-size: 21px; margin-top: 40px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 17px; margin-top: 24px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f0f2f4;
       padding: 1px 5px; border-radius: 4px; word-break: break-all; }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f6f8fa; }
td.pass { color: #1a7f37; font-weight: 600; } td.fail { color: #cf222e; font-weight: 600; }
figure { margin: 12px 0 20px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #59636e; font-size: 13px; }
.alert { padding: 10px 14px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
.alert.danger { background: #ffebe9; border: 2px solid #cf222e; color: #82071e; font-size: 17px; }
.alert.warning { background: #fff8c5; border: 1px solid #bf8700; color: #633c01; }
.alert.ok { background: #dafbe1; border: 1px solid #1a7f37; color: #116329; }
.alert.fail { background: #ffebe9; border: 1px solid #cf222e; color: #82071e; }
nav { font-size: 13px; color: #59636e; margin: 8px 0 0; }
nav a { color: #0969da; text-decoration: none; margin-right: 12px; white-space: nowrap; }
"""


def _inline(text: str) -> str:
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = []
        for cell in row:
            cls = {"PASS": ' class="pass"', "FAIL": ' class="fail"'}.get(cell, "")
            cells.append(f"<td{cls}>{_inline(cell)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.plot.png).decode("ascii")
    return (
        f'<figure id="plot-{figure.plot.name}" class="plot">'
        f'<img alt="{html.escape(figure.plot.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_inline(figure.caption)}</figcaption></figure>"
    )


def render(blocks: Sequence[Block]) -> str:
    """The whole HTML document."""
    title = next((b.text for b in blocks if isinstance(b, Heading) and b.level == 1), "Report")
    sections = [b.text for b in blocks if isinstance(b, Heading) and b.level == 2]
    nav = " ".join(f'<a href="#{anchor(s)}">{html.escape(s)}</a>' for s in sections)
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            body.append(f'<h{level} id="{anchor(block.text)}">{_inline(block.text)}</h{level}>')
            if level == 1:
                body.append(f"<nav>{nav}</nav>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Alert):
            body.append(f'<div class="alert {block.level}">{_inline(block.text)}</div>')
        elif isinstance(block, Table):
            body.append(_table(block))
        elif isinstance(block, Figure):
            body.append(_figure(block))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
