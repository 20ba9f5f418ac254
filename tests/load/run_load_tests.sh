#!/usr/bin/env bash
# The sign-off suite as a CI step.
#
#   tests/load/run_load_tests.sh TARGET_URL PLAN [DURATION] [OUT_DIR]
#
#   TARGET_URL  base URL of the service under test (overrides the plan's [target] url)
#   PLAN        a TOML plan with [load] rate (the target QPS) and [slo], e.g.
#               examples/reference-service.toml or examples/search-api.toml
#   DURATION    length of the sustained stage, e.g. 10m or 2h (default: the plan's)
#   OUT_DIR     run directory to keep as a CI artifact (default: runs/<timestamp>)
#
# The exit code is loadplan's, passed through, so a pipeline can gate on it:
#   0 the SLA held   1 it failed   2 usage or plan error   3 inconclusive   130 interrupted
#
# LOADPLAN overrides the command (default: loadplan on PATH, else this checkout's .venv).
set -uo pipefail

usage() {
    echo "usage: $(basename "$0") TARGET_URL PLAN [DURATION] [OUT_DIR]" >&2
    exit 2
}
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
[[ -n $out ]] && args+=(--out "$out")
exec "${cmd[@]}" "${args[@]}"
