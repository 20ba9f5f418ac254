"""The plan as a k6 script: arrival-rate scenarios, SLA thresholds, the pre-sampled sequence.

Each stage becomes one k6 scenario started at the stage's offset (``startTime``): a steady
stage a ``constant-arrival-rate`` one, any other rate stage a ``ramping-arrival-rate`` one whose
k6 stages follow the plan's segments (a jump is a zero-length k6 stage), and a closed-loop stage
``constant-vus`` per step. Arrival-rate executors start iterations on a schedule whether or not
earlier ones have answered: open loop, as loadplan sends. Each iteration sends request
``(offset of the stage + iteration) % N`` of the sequence, tagged with its language, bucket and
stage label, so per-tag results split as loadplan's do.

What k6 cannot check the header says plainly, and a plan that needs it to (recorded timing) is
refused rather than exported as a different test.
"""

from __future__ import annotations

import json
import math

from loadplan.errors import PlanError
from loadplan.export.sequence import Export, refuse
from loadplan.plan.model import ArrivalKind, Mode
from loadplan.plan.scenario import StagePlan
from loadplan.plan.stages import StageKind

_STEADY = (StageKind.CONSTANT, StageKind.SOAK)


def render_k6(export: Export, script_name: str = "THIS_SCRIPT.js") -> str:
    """The k6 script for ``export``; raises PlanError for a feature k6 cannot express."""
    if export.recorded_timing:
        raise refuse(
            "k6",
            "log replay with recorded timing (workload.source mode = 'timing')",
            "use mode = 'mix' to export the log's request mix at the plan's rates",
        )
    scenarios: dict[str, object] = {}
    offsets: dict[str, int] = {}
    labels: dict[str, list[list[object]]] = {}
    sent = 0.0
    for stage in export.stages:
        scenarios[_key(stage.name)] = _scenario(stage, export)
        offsets[_key(stage.name)] = round(sent)
        sent += _expected(stage)
        labels[_key(stage.name)] = [
            [round(a - stage.start_s, 3), round(b - stage.start_s, 3), label]
            for label, (a, b) in zip(stage.labels, _spans(stage), strict=True)
        ]
    options = {
        "discardResponseBodies": True,
        "scenarios": scenarios,
        "thresholds": _thresholds(export),
        "summaryTrendStats": ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "p(99.9)", "max"],
    }
    requests = [
        [r.method, r.target, dict(r.tags), dict(r.headers), r.body] for r in export.requests
    ]
    lines = [
        *_header(export, script_name),
        "import http from 'k6/http';",
        "import exec from 'k6/execution';",
        *(["import { sleep } from 'k6';"] if _think(export) else []),
        "",
        (
            f"const BASE_URL = (__ENV.BASE_URL || {json.dumps(_origin(export.url))})"
            ".replace(/\\/$/, '');"
        ),
        "const SUMMARY = __ENV.SUMMARY || 'k6-summary.json';",
        f"const TIMEOUT = '{round(export.timeout_s * 1000)}ms';",
        f"const THINK_S = {json.dumps(_think(export))};",
        "// Requests before each stage starts: the sequence runs on across stages, as in loadplan.",
        f"const OFFSETS = {json.dumps(offsets)};",
        "// [from s, to s, label] per stage: each request is tagged with its label (stairs-2).",
        f"const LABELS = {json.dumps(labels)};",
        "// [method, target, tags, headers, body]: the plan's seeded sequence, request 0 first.",
        "const REQUESTS = [",
        *(f"  {json.dumps(r, ensure_ascii=False)}," for r in requests),
        "];",
        "",
        f"export const options = {json.dumps(options, indent=2)};",
        "",
        _BODY,
    ]
    return "\n".join(lines) + "\n"


_BODY = """\
function labelOf(scenario) {
  const at = (Date.now() - exec.scenario.startTime) / 1000;
  const spans = LABELS[scenario];
  for (const [from, to, label] of spans) {
    if (at < to) return label;
  }
  return spans[spans.length - 1][2];
}

export default function () {
  const scenario = exec.scenario.name;
  const index = (OFFSETS[scenario] + exec.scenario.iterationInTest) % REQUESTS.length;
  const [method, target, tags, headers, body] = REQUESTS[index];
  const name = target.split('?')[0];
  http.request(method, BASE_URL + target, body || null, {
    headers: headers,
    timeout: TIMEOUT,
    // One series per path, not per query: thousands of distinct URLs would swamp k6's metrics.
    tags: Object.assign({ name: name, stage: labelOf(scenario) }, tags),
  });
  if (THINK_S) sleep(THINK_S);
}

export function handleSummary(data) {
  const d = data.metrics.http_req_duration;
  const failed = data.metrics.http_req_failed;
  const line = d
    ? `loadplan export: ${data.metrics.http_reqs.values.count} requests, ` +
      `p95 ${d.values['p(95)'].toFixed(1)} ms, p99 ${d.values['p(99)'].toFixed(1)} ms, ` +
      `failed ${failed ? (100 * failed.values.rate).toFixed(2) : '0.00'} %; ` +
      `summary in ${SUMMARY}\\n`
    : `loadplan export: no requests; summary in ${SUMMARY}\\n`;
  return { stdout: line, [SUMMARY]: JSON.stringify(data, null, 2) };
}"""


def _header(export: Export, script_name: str) -> list[str]:
    slo = export.slo
    lines = [
        f"// k6 script exported by `loadplan export k6` from {export.plan_name}.",
        (
            f"// The plan's workload: {len(export.requests):,} pre-sampled requests (workload seed "
            f"{export.seed}), walked in a cycle."
        ),
        "//   k6 run --no-usage-report -e BASE_URL=http://host:port -e SUMMARY=s.json "
        + script_name,
        "// Open loop: each stage is an arrival-rate scenario; k6 exits 99 when a threshold fails.",
        "// Latency here is k6's http_req_duration, measured from each request's actual send",
        "// (loadplan measures from its due time: with too few VUs k6 drops iterations instead).",
    ]
    if export.arrivals is ArrivalKind.POISSON and export.mode is Mode.OPEN:
        lines.append(
            "// The plan's arrivals are poisson; k6 starts iterations evenly spaced, same rate."
        )
    if any(s.kind is StageKind.BREAKPOINT for s in export.stages):
        lines.append(
            "// Breakpoint: k6 aborts when the stage's cumulative latency threshold fails, not "
            "after N bad seconds in a row."
        )
    if slo is not None:
        missing = [
            name
            for name, value in (
                ("throughput", slo.throughput),
                ("cache_hit_rate", slo.cache_hit_rate),
                ("max_drift", slo.max_drift),
                ("recovery", slo.recovery),
            )
            if value is not None
        ]
        if missing:
            lines.append(
                f"// Not checked by k6 (loadplan judges them): [slo] {', '.join(missing)}."
            )
    return [*lines, ""]


def _key(name: str) -> str:
    # k6 scenario names allow letters, digits, '-' and '_'; plan stage names may carry '.'.
    return name.replace(".", "_")


def _origin(url: str) -> str:
    # Targets already carry the URL's base path (sequence.py); BASE_URL is scheme://host:port.
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _think(export: Export) -> float:
    thinks = {s.think_s for s in export.stages if s.users}
    if len(thinks) > 1:
        msg = "export k6: stages with different think times; give every sweep the same think"
        raise PlanError(msg)
    return next(iter(thinks), 0.0)


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


def _spans(stage: StagePlan) -> tuple[tuple[float, float], ...]:
    return stage.spans or ((stage.start_s, stage.end_s),)


def _expected(stage: StagePlan) -> float:
    """Requests the stage is planned to send (the area under its rate)."""
    if not stage.rates:
        return 0.0
    return sum(
        (r0 + r1) / 2 * (b - a) for (r0, r1), (a, b) in zip(stage.rates, _spans(stage), strict=True)
    )


def _rate(rate: float) -> tuple[int, str]:
    """(rate, timeUnit): k6 rates are whole iterations per time unit."""
    for unit, seconds in (("1s", 1), ("1m", 60), ("1h", 3600)):
        value = rate * seconds
        if math.isclose(value, round(value), abs_tol=1e-6):
            return round(value), unit
    return round(rate * 3600), "1h"


def _vus(export: Export, peak: float) -> dict[str, int]:
    # A VU holds one request at a time, like one of loadplan's connections: the plan's cap.
    cap = export.connections
    return {"preAllocatedVUs": min(cap, max(10, math.ceil(peak / 10))), "maxVUs": cap}


def _scenario(stage: StagePlan, export: Export) -> dict[str, object]:
    common: dict[str, object] = {
        "startTime": _ms(stage.start_s),
        "tags": {"judged": "yes" if stage.judged else "no"},
    }
    if stage.users:
        if len(set(stage.users)) == 1:
            return {
                "executor": "constant-vus",
                "vus": stage.users[0],
                "duration": _ms(stage.duration_s),
                **common,
            }
        steps: list[dict[str, object]] = []
        for users, (a, b) in zip(stage.users, _spans(stage), strict=True):
            steps += [
                {"target": users, "duration": "0s"},
                {"target": users, "duration": _ms(b - a)},
            ]
        return {"executor": "ramping-vus", "startVUs": stage.users[0], "stages": steps, **common}
    peak = max(max(pair) for pair in stage.rates)
    if stage.kind in _STEADY and len(stage.rates) == 1 and stage.rates[0][0] == stage.rates[0][1]:
        rate, unit = _rate(stage.rates[0][0])
        return {
            "executor": "constant-arrival-rate",
            "rate": rate,
            "timeUnit": unit,
            "duration": _ms(stage.duration_s),
            **_vus(export, peak),
            **common,
        }
    scale = 1 if all(float(r).is_integer() for pair in stage.rates for r in pair) else 60
    unit = "1s" if scale == 1 else "1m"
    ramp: list[dict[str, object]] = []
    level = stage.rates[0][0]
    for (r0, r1), (a, b) in zip(stage.rates, _spans(stage), strict=True):
        if r0 != level:
            ramp.append({"target": round(r0 * scale), "duration": "0s"})
        ramp.append({"target": round(r1 * scale), "duration": _ms(b - a)})
        level = r1
    return {
        "executor": "ramping-arrival-rate",
        "startRate": round(stage.rates[0][0] * scale),
        "timeUnit": unit,
        "stages": ramp,
        **_vus(export, peak),
        **common,
    }


def _thresholds(export: Export) -> dict[str, list[object]]:
    """``[slo]`` as k6 thresholds: over the judged stages (as loadplan's "run" row) and per
    judged stage (its per-stage rows); spikes get their error rate; a breakpoint aborts."""
    slo = export.slo
    if slo is None:
        return {}
    bounds = slo.latency_bounds()
    latency = [f"p({name[1:]})<{ms:g}" for name, ms in bounds.items()]
    errors = [f"rate<={slo.error_rate:g}"] if slo.error_rate is not None else []
    out: dict[str, list[object]] = {}

    def add(selector: str, latency_rules: list[object], error_rules: list[object]) -> None:
        if latency_rules:
            out[f"http_req_duration{selector}"] = latency_rules
        if error_rules:
            out[f"http_req_failed{selector}"] = error_rules

    if any(s.judged for s in export.stages):
        add("{judged:yes}", list(latency), list(errors))
    for stage in export.stages:
        key = "{scenario:" + _key(stage.name) + "}"
        if stage.kind is StageKind.BREAKPOINT:
            rules: list[object] = [
                {"threshold": rule, "abortOnFail": True, "delayAbortEval": "10s"}
                for rule in latency
            ]
            add(key, rules, [])
        elif stage.kind is StageKind.SPIKE:
            add(key, [], list(errors))
        elif stage.judged:
            add(key, list(latency), list(errors))
    return out
