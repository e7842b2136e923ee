#!/usr/bin/env bash
# Recurrence expansion speed: ChannelService's RecurrenceExpander against python-dateutil's rrule on the same rules
# (benchmarks/recurrence-rules.txt: 22 rules, every FREQ and BYxxx part) over the same window (a year).
# Both sides run in-process loops measured the same way: a warm-up of at least 3 passes and 2 seconds (the JIT reaches
# its optimised tier), then PASSES timed passes, each pass parsing
# every rule and listing its occurrences in [FROM, TO). The occurrence counts must agree. ROUNDS alternates the two
# processes; the report uses the fastest pass seen on each side (the figure least disturbed by other load on the
# machine) and also the mean wall and CPU time per pass.
#
# Needs: dotnet SDK, Debian's python3-dateutil (apt-get install -y python3-dateutil), run with /usr/bin/python3
# (the pyenv python3 on PATH lacks Debian's packages).
# Usage: benchmarks/recurrence.sh            (env: PASSES=30 ROUNDS=3 FROM=2025-01-01 TO=2026-01-01 RULES=…)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RULES=${RULES:-$ROOT/benchmarks/recurrence-rules.txt}
FROM=${FROM:-2025-01-01}
TO=${TO:-2026-01-01}
PASSES=${PASSES:-30}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3

"$PY" -c 'import dateutil' 2>/dev/null || { echo "python3-dateutil missing: apt-get install -y python3-dateutil" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
dotnet build -c Release -nologo -v q "$ROOT/ChannelService/ChannelService.csproj" -o "$OUT/bin" >/dev/null

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

py_best=; cs_best=; py_mean=0; cs_mean=0; py_cpu=0; cs_cpu=0
for round in $(seq "$ROUNDS"); do
    py=$("$PY" "$ROOT/benchmarks/rrule_dateutil.py" "$RULES" "$FROM" "$TO" "$PASSES")
    cs=$("$OUT/bin/ChannelService" ical bench-rrule "$RULES" "$FROM" "$TO" "$PASSES")
    echo "round $round: $py"
    echo "round $round: $cs"
    if [[ "$(field occurrences "$py")" != "$(field occurrences "$cs")" ]]; then
        echo "occurrence counts differ: the two sides did not expand the same set" >&2
        exit 1
    fi
    py_best=$(awk -v a="${py_best:-1e18}" -v b="$(field min_ms "$py")" 'BEGIN { print (b < a) ? b : a }')
    cs_best=$(awk -v a="${cs_best:-1e18}" -v b="$(field min_ms "$cs")" 'BEGIN { print (b < a) ? b : a }')
    py_mean=$(awk -v a="$py_mean" -v b="$(field mean_ms "$py")" -v n="$ROUNDS" 'BEGIN { print a + b / n }')
    cs_mean=$(awk -v a="$cs_mean" -v b="$(field mean_ms "$cs")" -v n="$ROUNDS" 'BEGIN { print a + b / n }')
    py_cpu=$(awk -v a="$py_cpu" -v b="$(field mean_cpu_ms "$py")" -v n="$ROUNDS" 'BEGIN { print a + b / n }')
    cs_cpu=$(awk -v a="$cs_cpu" -v b="$(field mean_cpu_ms "$cs")" -v n="$ROUNDS" 'BEGIN { print a + b / n }')
done

awk -v pb="$py_best" -v cb="$cs_best" -v pm="$py_mean" -v cm="$cs_mean" -v pc="$py_cpu" -v cc="$cs_cpu" 'BEGIN {
    printf "fastest pass: dateutil %.2f ms, ChannelService %.2f ms, ratio %.1fx\n", pb, cb, pb / cb
    printf "mean wall:    dateutil %.2f ms, ChannelService %.2f ms, ratio %.1fx\n", pm, cm, pm / cm
    printf "mean CPU:     dateutil %.2f ms, ChannelService %.2f ms, ratio %.1fx\n", pc, cc, pc / cc
}'
