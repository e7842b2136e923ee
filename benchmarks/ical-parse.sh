#!/usr/bin/env bash
# iCalendar parse throughput and peak memory: `ChannelService ical parse --stats` against libical 3.0.16
# (benchmarks/icalcount.c, the counter from calendar.md section 5), both timed as whole processes by hyperfine
# on the same generated feed in the same run. Prints the speed ratio and peak RSS / file size.
#
# Needs: apt-get install -y libical-dev gcc pkg-config hyperfine time
# Knobs: UNITS (feed size, one unit = 15,000 VEVENT + 5,000 VTODO, about 18 MB; default 5 = about 90 MB),
#        RUNS (hyperfine runs, default 5), WORK (scratch folder, default a new temp dir).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNITS=${UNITS:-5}
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d /tmp/ical-bench.XXXXXX)}
mkdir -p "$WORK"

for tool in gcc pkg-config hyperfine dotnet; do
    command -v "$tool" >/dev/null || { echo "missing '$tool': apt-get install -y libical-dev gcc pkg-config hyperfine time" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time: apt-get install -y time" >&2; exit 1; }
pkg-config --exists libical || { echo "missing libical: apt-get install -y libical-dev" >&2; exit 1; }

echo "== build (Release) and libical counter"
dotnet build "$ROOT/ChannelService/ChannelService.csproj" -c Release -nologo -v quiet >/dev/null
APP="$ROOT/ChannelService/bin/Release/net10.0/ChannelService.dll"
# shellcheck disable=SC2046
gcc -O2 -o "$WORK/icalcount" "$ROOT/benchmarks/icalcount.c" $(pkg-config --cflags --libs libical)
echo "libical $(pkg-config --modversion libical), dotnet $(dotnet --version)"

FEED="$WORK/feed.ics"
echo "== generate feed ($UNITS units)"
dotnet "$APP" ical generate --units "$UNITS" --out "$FEED"
SIZE=$(stat -c %s "$FEED")

echo "== both parsers agree on the counts"
OURS=$(dotnet "$APP" ical parse --stats "$FEED")
THEIRS=$("$WORK/icalcount" "$FEED")
echo "ours:    $OURS"
echo "libical: $THEIRS"

echo "== time (hyperfine -N --warmup 1 --runs $RUNS)"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/hyperfine.json" \
    -n ours "dotnet $APP ical parse --stats $FEED" \
    -n libical "$WORK/icalcount $FEED"

echo "== peak memory (/usr/bin/time -v)"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
RSS_OURS=$(rss dotnet "$APP" ical parse --stats "$FEED")
RSS_LIBICAL=$(rss "$WORK/icalcount" "$FEED")

python3 - "$WORK/hyperfine.json" "$SIZE" "$RSS_OURS" "$RSS_LIBICAL" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
size = int(sys.argv[2]); rss_ours = int(sys.argv[3]) * 1024; rss_lib = int(sys.argv[4]) * 1024
t = {r["command"]: r for r in data["results"]}
ours, lib = t["ours"]["median"], t["libical"]["median"]
print(f"feed size           {size / 1e6:8.1f} MB")
print(f"ours    median      {ours:8.3f} s   {size / ours / 1e6:7.1f} MB/s   peak RSS {rss_ours / 1e6:7.1f} MB")
print(f"libical median      {lib:8.3f} s   {size / lib / 1e6:7.1f} MB/s   peak RSS {rss_lib / 1e6:7.1f} MB")
cpu_ours = t["ours"]["user"] + t["ours"]["system"]
cpu_lib = t["libical"]["user"] + t["libical"]["system"]
print(f"speed ratio (libical time / our time): {lib / ours:5.2f}x   (target >= 4)")
print(f"CPU-time ratio (user+sys, mean):       {cpu_lib / cpu_ours:5.2f}x   (less sensitive to other load on the machine)")
print(f"our peak RSS / file size:              {rss_ours / size:5.2f}    (target <= 4)")
PY
echo "(scratch files in $WORK)"
