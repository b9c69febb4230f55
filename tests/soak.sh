#!/usr/bin/env bash
# Soak: runs the chaos test project RUNS times back to back (default 10) while one busy loop per core competes for the
# CPU, and counts the runs that stalled. Each run covers both emulator dialects (the chaos test is a theory over them).
#
#   tests/soak.sh [RUNS]
#
# A run counts as a stall when the chaos suite's stall detector fired (a "STALL" line in its report) or when the run
# did not finish within SOAK_RUN_TIMEOUT seconds (default 600). The last line is always
#   stalls: N of M runs, slowest command S s
# and the exit status is non-zero when N > 0. Logs and reports stay in SOAK_LOG_DIR (default: a new temporary folder).
set -euo pipefail
export LC_ALL=C

runs="${1:-10}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tests/soak.sh [RUNS]   (RUNS: a positive whole number, default 10)" >&2
  exit 2
fi

run_timeout="${SOAK_RUN_TIMEOUT:-600}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/tests/Playback.ChaosTests"
logs="${SOAK_LOG_DIR:-$(mktemp -d -t playback-soak.XXXXXX)}"
mkdir -p "$logs"
cores="$(nproc)"
loops=()

stop_load() {
  local pid
  for pid in "${loops[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${loops[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  loops=()
}
trap stop_load EXIT
trap 'exit 130' INT TERM

# One busy loop per core, each ending by itself after $1 seconds even if nothing kills it.
start_load() {
  local seconds="$1" i
  for ((i = 0; i < cores; i++)); do
    ( end=$((SECONDS + seconds)); while ((SECONDS < end)); do :; done ) &
    loops+=("$!")
  done
}

echo "building $project once (logs: $logs)"
if ! dotnet build "$project" -nologo -v q > "$logs/build.log" 2>&1; then
  tail -n 30 "$logs/build.log" >&2
  echo "stalls: 0 of 0 runs, slowest command 0.000 s"
  exit 2
fi

stalls=0
slowest="0"
for ((run = 1; run <= runs; run++)); do
  report="$logs/run-$run.report"
  log="$logs/run-$run.log"
  : > "$report"
  start_load "$run_timeout"
  started=$SECONDS
  set +e
  PLAYBACK_CHAOS_REPORT="$report" timeout -k 15 "$run_timeout" \
    dotnet test "$project" --no-build -nologo --logger "console;verbosity=normal" > "$log" 2>&1
  rc=$?
  set -e
  stop_load

  stalled=no
  why=""
  if grep -q '^STALL' "$report"; then
    stalled=yes
    why="stall detector fired"
  fi
  if ((rc == 124 || rc == 137)); then
    stalled=yes
    why="${why:+$why; }no result within ${run_timeout} s"
  fi
  [[ $stalled == yes ]] && stalls=$((stalls + 1))

  run_slowest="$(sed -n 's/^slowest command: \([0-9.]*\) s$/\1/p' "$report" | sort -g | tail -n 1)"
  run_slowest="${run_slowest:-0}"
  slowest="$(printf '%s\n%s\n' "$slowest" "$run_slowest" | sort -g | tail -n 1)"
  passed="$(sed -n 's/^ *Passed: *\([0-9]*\) *$/\1/p' "$log" | tail -n 1)"
  failed="$(sed -n 's/^ *Failed: *\([0-9]*\) *$/\1/p' "$log" | tail -n 1)"
  summary="tests ${passed:-?} passed, ${failed:-0} failed (log $log)"
  printf 'run %d/%d: %d s, exit %d, slowest command %.3f s, stall %s%s; %s\n' \
    "$run" "$runs" "$((SECONDS - started))" "$rc" "$run_slowest" "$stalled" "${why:+ ($why)}" "$summary"
done

printf 'stalls: %d of %d runs, slowest command %.3f s\n' "$stalls" "$runs" "$slowest"
((stalls == 0))
