#!/usr/bin/env bash
# The capacity plan of the reference service on this machine, end to end, as a user makes it:
# a step run (500 to 7000 req/s by 250, 15 s each) and a closed-loop users sweep (1 to 128) on
# one target process, then `loadplan capacity` over both run directories.
#
# The service is pinned to core 1 and the generator to core 0 (taskset); nothing else should
# run meanwhile. All traffic goes to 127.0.0.1:18120. About 11 minutes.
#
#   bench/capacity_reference.sh [OUT_DIR]      # default runs/capacity-reference
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=${1:-runs/capacity-reference}
PORT=18120
mkdir -p "$OUT"
taskset -c 1 "$BIN/loadplan" target serve --port "$PORT" --docs 50000 \
    --data-dir "$OUT/index" > "$OUT/target.log" 2>&1 &
TARGET=$!
trap 'kill $TARGET 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    sleep 1
done
set +e
taskset -c 0 "$BIN/loadplan" run bench/capacity_reference_steps.toml --out "$OUT/steps"
echo "steps: exit $?"
taskset -c 0 "$BIN/loadplan" run bench/capacity_reference_sweep.toml --out "$OUT/sweep"
echo "sweep: exit $?"
set -e
"$BIN/loadplan" capacity "$OUT/steps" "$OUT/sweep" --peak 1000 --out "$OUT/plan"
