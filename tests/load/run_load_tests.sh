#!/usr/bin/env bash
# The sign-off suite as a CI step.
#
#   tests/load/run_load_tests.sh [--compare BASE_RUN] TARGET_URL PLAN [DURATION] [OUT_DIR]
#
#   --compare   after the suite, gate the new run against BASE_RUN (a stored run directory of the
#               same plan, e.g. the last release's) with `loadplan compare`; its report goes to
#               OUT_DIR/compare/
#   TARGET_URL  base URL of the service under test (overrides the plan's [target] url)
#   PLAN        a TOML plan with [load] rate (the target QPS) and [slo], e.g.
#               examples/reference-service.toml or examples/search-api.toml
#   DURATION    length of the sustained stage, e.g. 10m or 2h (default: the plan's)
#   OUT_DIR     run directory to keep as a CI artifact (default: runs/<timestamp>)
#
# The exit code is loadplan's, passed through, so a pipeline can gate on it:
#   0 the SLA held   1 it failed   2 usage or plan error   3 inconclusive   130 interrupted
# With --compare: 1 when the SLA failed or the comparison found a regression, else 3 when either
# was inconclusive, else 0 (2 and 130 from the suite stop the script before the comparison).
#
# LOADPLAN overrides the command (default: loadplan on PATH, else this checkout's .venv).
set -uo pipefail

usage() {
    echo "usage: $(basename "$0") [--compare BASE_RUN] TARGET_URL PLAN [DURATION] [OUT_DIR]" >&2
    exit 2
}
base_run=
if [[ ${1:-} == --compare ]]; then
    [[ $# -ge 2 ]] || usage
    base_run=$2
    shift 2
    if [[ ! -f $base_run/meta.json ]]; then
        echo "run_load_tests.sh: --compare $base_run: not a run directory (no meta.json)" >&2
        exit 2
    fi
fi
[[ $# -ge 2 && $# -le 4 ]] || usage
url=$1
plan=$2
duration=${3:-}
out=${4:-}

if [[ -n ${LOADPLAN:-} ]]; then
    read -r -a cmd <<<"$LOADPLAN"
elif command -v loadplan >/dev/null 2>&1; then
    cmd=(loadplan)
else
    repo=$(cd "$(dirname "$0")/../.." && pwd)
    if [[ -x $repo/.venv/bin/loadplan ]]; then
        cmd=("$repo/.venv/bin/loadplan")
    else
        echo "run_load_tests.sh: loadplan not found; install it or set LOADPLAN" >&2
        exit 2
    fi
fi

args=(suite "$plan" --url "$url")
[[ -n $duration ]] && args+=(--duration "$duration")
if [[ -z $base_run ]]; then
    [[ -n $out ]] && args+=(--out "$out")
    exec "${cmd[@]}" "${args[@]}"
fi

# The comparison needs to know where the run went.
out=${out:-runs/ci-$(date -u +%Y%m%d-%H%M%S)}
args+=(--out "$out")
"${cmd[@]}" "${args[@]}"
suite=$?
if [[ $suite -eq 2 || $suite -eq 130 ]]; then
    exit "$suite"
fi
"${cmd[@]}" compare "$base_run" "$out" --out "$out/compare"
compared=$?
if [[ $compared -eq 2 ]]; then
    exit 2
elif [[ $suite -eq 1 || $compared -eq 1 ]]; then
    exit 1
elif [[ $suite -eq 3 || $compared -eq 3 ]]; then
    exit 3
fi
exit 0
