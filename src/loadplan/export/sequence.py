"""What an exported script sends: the plan's seeded request sequence and its stages, as values.

The sequence is pre-sampled with loadplan's own sampler (``RequestSampler.batch``), so request
i of the script is request i of a loadplan run of the same plan, with the same tags (language,
head/torso/tail bucket): the script's language and popularity mix is the run's, not a
look-alike. A script cannot hold an endless sequence, so it holds the first ``requests`` and
walks them in a cycle; the mix of a whole cycle is the mix of those requests, which
``Export.shares`` reports so a test can compare what a server saw with what was exported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from loadplan.errors import PlanError
from loadplan.plan.model import ArrivalKind, Mode, Plan
from loadplan.plan.scenario import Scenario, StagePlan
from loadplan.plan.slo import SloSpec
from loadplan.plan.source import PlanSource
from loadplan.plan.workload_tables import LogSource
from loadplan.workload.build import build_sampler

DEFAULT_REQUESTS = 4096
"""Requests pre-sampled into a script by default: one sampler block, a few hundred kB of text."""

MAX_REQUESTS = 1_000_000


@dataclass(frozen=True, slots=True)
class ExportedRequest:
    """One request of the sequence.

    Attributes:
        method: HTTP method.
        target: path and percent-encoded query, with the URL's base path in front.
        headers: the template's headers.
        body: the body as text (scripts hold strings).
        tags: (name, value) pairs, e.g. (("lang", "ja"), ("bucket", "head")).
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: str
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Export:
    """Everything a script generator needs, read from one plan.

    Attributes:
        plan_name: the plan file's name, quoted in the script's header.
        url: base URL (``--url`` or ``[target] url``).
        requests: the pre-sampled sequence, request 0 first.
        stages: the run's stages (``Scenario.from_plan``), in order.
        mode: open loop (a rate) or closed loop (users).
        arrivals: uniform or Poisson (open loop).
        slo: the plan's objectives, or None.
        seed: the workload's seed.
        connections: the plan's connection cap.
        timeout_s: the request timeout.
        capture_header: the response header recorded as a tag ("" for none).
        recorded_timing: the workload replays a log with its recorded timing.
    """

    plan_name: str
    url: str
    requests: tuple[ExportedRequest, ...]
    stages: tuple[StagePlan, ...]
    mode: Mode
    arrivals: ArrivalKind
    slo: SloSpec | None
    seed: int
    connections: int
    timeout_s: float
    capture_header: str
    recorded_timing: bool

    def shares(self, tag: str) -> dict[str, float]:
        """Share of the sequence per value of ``tag`` (requests without it count as "-")."""
        counts = Counter(dict(r.tags).get(tag, "-") for r in self.requests)
        total = sum(counts.values())
        return {value: count / total for value, count in sorted(counts.items())}


def build_export(
    plan: Plan,
    plan_path: Path,
    *,
    source: PlanSource | None = None,
    requests: int = DEFAULT_REQUESTS,
) -> Export:
    """The export of ``plan`` (read from ``plan_path``; its data files are relative to it).

    Raises PlanError for a bad ``requests`` count, a body that is not text, or anything the
    workload's data files cannot give.

    Example::

        plan, source = load_plan(Path("plan.toml"), {})
        export = build_export(plan, Path("plan.toml"), source=source, requests=1000)
        export.shares("lang")        # {"de": 0.1, "en": 0.3, ...}
    """
    if not 1 <= requests <= MAX_REQUESTS:
        msg = f"--requests {requests}: need 1 to {MAX_REQUESTS:,} requests in the script"
        raise PlanError(msg)
    sampler = build_sampler(plan.workload, plan_path.parent, plan=source)
    count = min(requests, sampler.length) if sampler.length is not None else requests
    base = urlsplit(plan.target.url).path.rstrip("/")
    sequence: list[ExportedRequest] = []
    for i, request in enumerate(sampler.batch(0, count)):
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            msg = (
                f"{plan_path.name}: request {i} has a body that is not UTF-8 text; "
                "an exported script holds bodies as strings: use a text body"
            )
            raise PlanError(msg) from None
        target = base + request.target if request.target.startswith("/") else request.target
        sequence.append(
            ExportedRequest(request.method, target, request.headers, body, request.tags)
        )
    source_spec = plan.workload.source
    return Export(
        plan_name=plan_path.name,
        url=plan.target.url,
        requests=tuple(sequence),
        stages=Scenario.from_plan(plan).stages,
        mode=plan.loop,
        arrivals=plan.load.arrivals,
        slo=plan.slo,
        seed=plan.workload.seed,
        connections=plan.client.connections,
        timeout_s=plan.client.timeout,
        capture_header=plan.client.capture_header,
        recorded_timing=isinstance(source_spec, LogSource) and source_spec.mode == "timing",
    )


def refuse(tool: str, feature: str, fix: str) -> PlanError:
    """The one-line refusal of a plan feature ``tool`` cannot express (not a different script)."""
    return PlanError(f"export {tool}: {feature} cannot be expressed in {tool}; {fix}")
