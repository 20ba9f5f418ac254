"""``write_report``: a run directory in, a report directory out.

Example::

    from pathlib import Path
    from loadplan.report.build import write_report

    files = write_report(Path("runs/20261126-213000"))   # → runs/20261126-213000/report/
    print(files.html)

The report directory holds load-test-results.md (with plots/*.png beside it), report.html
(self-contained: the same plots inline) and the CSV exports; when ``loadplan capacity`` has
written its capacity.json there, both carry the capacity plan as a section too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loadplan.errors import RunDirError
from loadplan.report import content, html, markdown
from loadplan.report.capacity import CAPACITY_JSON, capacity_blocks, read_capacity
from loadplan.report.csvexport import write_csv
from loadplan.report.data import ReportData
from loadplan.report.document import Figure

MARKDOWN = "load-test-results.md"
HTML = "report.html"
REPORT_DIR = "report"


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What ``write_report`` wrote.

    Attributes:
        out_dir: the report directory.
        markdown: load-test-results.md.
        html: report.html.
        plots: the PNG files the Markdown links to.
        csv: the CSV exports.
        partial: True when the run was interrupted or killed.
    """

    out_dir: Path
    markdown: Path
    html: Path
    plots: tuple[Path, ...]
    csv: tuple[Path, ...]
    partial: bool


def write_report(run_dir: Path, out_dir: Path | None = None) -> ReportFiles:
    """Read ``run_dir`` and write its report into ``out_dir`` (default ``run_dir/report``)."""
    data = ReportData.load(run_dir)
    if not data.seconds:
        msg = f"{run_dir}: the run recorded no complete second; nothing to report"
        raise RunDirError(msg)
    out = out_dir if out_dir is not None else run_dir / REPORT_DIR
    try:
        (out / markdown.PLOTS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"--out {out}: cannot create the report directory ({exc.strerror})"
        raise RunDirError(msg) from None
    blocks = content.build(data)
    plan = out / CAPACITY_JSON
    if plan.exists():
        # The capacity plan made from this run (``loadplan capacity``), as a section of its own.
        blocks += capacity_blocks(read_capacity(plan), level=2)
    plots = []
    for block in blocks:
        if isinstance(block, Figure):
            path = out / markdown.plot_path(block.plot.name)
            path.write_bytes(block.plot.png)
            plots.append(path)
    md_path = out / MARKDOWN
    md_path.write_text(markdown.render(blocks), encoding="utf-8")
    html_path = out / HTML
    html_path.write_text(html.render(blocks), encoding="utf-8")
    csv_paths = write_csv(data, out)
    return ReportFiles(out, md_path, html_path, tuple(plots), tuple(csv_paths), not data.complete)
