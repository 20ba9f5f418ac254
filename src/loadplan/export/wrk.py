"""The plan's workload as a wrk Lua script: the pre-sampled sequence, walked per thread.

wrk sends closed loop (each connection waits for its answer before the next request) and has
no stages, so the script carries the workload and the header carries the load: one wrk2
``-R`` command per stage label for the plan's rates (wrk2 is wrk with a fixed open-loop rate and
coordinated-omission-corrected latency), or one wrk ``-c`` command per closed-loop step.
Thread k starts at offset ``floor(k * 0.618... * N) % N`` of the sequence (golden-ratio offsets:
no two threads start together, for any thread count, which wrk does not tell a script) and
walks it in a cycle, so a whole cycle's mix is the plan's.
``done()`` prints one JSON line: latency percentiles, errors, and each thread's offset and count.
"""

from __future__ import annotations

from loadplan.export.sequence import Export, ExportedRequest, refuse
from loadplan.plan.model import Mode
from loadplan.plan.stages import StageKind


def render_wrk(export: Export, script_name: str = "THIS_SCRIPT.lua") -> str:
    """The wrk Lua script for ``export``; raises PlanError for a feature wrk cannot express."""
    if export.recorded_timing:
        raise refuse(
            "wrk",
            "log replay with recorded timing (workload.source mode = 'timing')",
            "use mode = 'mix' to export the log's request mix, or replay it with loadplan run",
        )
    bounds = export.slo.latency_bounds() if export.slo is not None else {}
    rows = [_lua_request(r) for r in export.requests]
    think = max((s.think_s for s in export.stages if s.users), default=0.0)
    lines = [
        *_header(export, script_name),
        "-- {method, target, headers, body, lang, bucket}: the plan's seeded sequence.",
        "local sequence = {",
        *(f"  {row}," for row in rows),
        "}",
        "",
        "-- Latency bounds from [slo], milliseconds; done() says whether wrk's percentiles hold.",
        "local bounds = {"
        + ", ".join(f'{{{float(name[1:]):g}, "{name}", {ms:g}}}' for name, ms in bounds.items())
        + "}",
        f"local think_ms = {round(think * 1000)}",
        _BODY,
    ]
    return "\n".join(lines) + "\n"


_BODY = """\
local threads = {}
local counter = 0
local golden = 0.6180339887498949

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  formatted = {}
  for i, r in ipairs(sequence) do
    formatted[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
  offset = math.floor(id * golden * #sequence) % #sequence
  position = offset
  sent = 0
end

function request()
  position = position % #sequence + 1
  sent = sent + 1
  return formatted[position]
end

if think_ms > 0 then
  function delay()
    return think_ms
  end
end

function done(summary, latency, requests)
  local out = {}
  local function add(key, value) table.insert(out, string.format('"%s": %s', key, value)) end
  add("requests", summary.requests)
  add("duration_us", summary.duration)
  local e = '{"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}'
  add("errors", string.format(e, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  local ps = {}
  for _, p in ipairs({50, 90, 95, 99, 99.9}) do
    table.insert(ps, string.format('"p%g": %d', p, latency:percentile(p)))
  end
  add("latency_us", "{" .. table.concat(ps, ", ") .. "}")
  local slo = {}
  for _, b in ipairs(bounds) do
    local measured = latency:percentile(b[1]) / 1000
    local row = '{"objective": "%s", "bound_ms": %g, "measured_ms": %.3f, "pass": %s}'
    table.insert(slo, string.format(row, b[2], b[3], measured, tostring(measured <= b[3])))
  end
  add("slo", "[" .. table.concat(slo, ", ") .. "]")
  local per = {}
  for _, t in ipairs(threads) do
    table.insert(per, string.format('{"offset": %d, "sent": %d}', t:get("offset"), t:get("sent")))
  end
  add("threads", "[" .. table.concat(per, ", ") .. "]")
  io.write("{" .. table.concat(out, ", ") .. "}\\n")
end"""


def _header(export: Export, script_name: str) -> list[str]:
    lines = [
        f"-- wrk script exported by `loadplan export wrk` from {export.plan_name}.",
        (
            f"-- The plan's workload: {len(export.requests):,} pre-sampled requests (workload seed "
            f"{export.seed}), each thread walking them from its own offset."
        ),
        "--",
        "-- wrk is CLOSED LOOP: each connection sends its next request only when the last one",
        "-- has answered, so a slow target slows the load down and hides its own stall",
        "-- (coordinated omission). For the plan's fixed rates use wrk2 (-R, open loop):",
    ]
    for command in _commands(export, script_name):
        lines.append(f"--   {command}")
    return [*lines, ""]


def _commands(export: Export, script_name: str) -> list[str]:
    url = export.url
    out: list[str] = []
    for stage in export.stages:
        spans = stage.spans or ((stage.start_s, stage.end_s),)
        for i, (label, (a, b)) in enumerate(zip(stage.labels, spans, strict=True)):
            seconds = f"{max(1, round(b - a))}s"
            if export.mode is Mode.CLOSED:
                users = stage.users[i] if stage.users else export.connections
                out.append(
                    f"wrk -t2 -c{users} -d{seconds} -s {script_name} {url}   # {label}, closed loop"
                )
                continue
            r0, r1 = stage.rates[i]
            note = label
            if r0 != r1:
                note += f" (a ramp {r0:g} -> {r1:g} req/s: wrk2 holds one rate, this is its mean)"
            elif stage.kind is StageKind.BREAKPOINT:
                note += " (breakpoint step: stop when the SLA breaks)"
            conns = min(export.connections, max(2, round(max(r0, r1))))
            out.append(
                f"wrk2 -t2 -c{conns} -d{seconds} -R{(r0 + r1) / 2:g} -s {script_name} {url}"
                f"   # {note}"
            )
    return out


def _lua_request(r: ExportedRequest) -> str:
    tags = dict(r.tags)
    headers = "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in r.headers) + "}"
    body = _lua(r.body) if r.body else "nil"
    return (
        f"{{{_lua(r.method)}, {_lua(r.target)}, {headers}, {body}, "
        f"{_lua(tags.get('lang', '-'))}, {_lua(tags.get('bucket', '-'))}}}"
    )


def _lua(text: str) -> str:
    """A Lua string literal: printable ASCII as is, every other byte as a decimal escape."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'
