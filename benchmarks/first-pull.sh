#!/usr/bin/env bash
# First pull of a large iCalendar feed (issue 5): time to the first answer against a bare parse of the same feed,
# and peak memory of the service process.
#   time     `ChannelService pull bench`: in one process and run after run, a bare parse of the generated feed
#            (IcalReader over the bytes) against a first POST /pull to a whole service on loopback (Kestrel, the
#            controllers, a new SQLite database, a new account) reading the same bytes from a loopback Kestrel feed
#            server, timed from the request to the last byte of the answer (200 resources). One warm-up run of both
#            is not counted; the medians and their ratio are printed. Target: pull < 1.5 x parse.
#   memory   the real service (Release) as its own process with a temporary data directory, the feed served by
#            python3's http.server on 127.0.0.1; one account from `metadata new`; peak resident memory (VmHWM) of
#            the service after the first answer, after the rest of the first read was stored in the background
#            (SETTLE seconds later, default 20), and after a second pull, which plans all 20,000 items.
#            Target: < 300 MB.
# Knobs (environment): UNITS (feed size: 1 = 15,000 VEVENT + 5,000 VTODO, 17 MB, the default; at most 1, the
#                      default 20 MB source size limit), RUNS (timed runs, default 5).
# Needs: dotnet, curl, python3, jq.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNITS=${UNITS:-1}
RUNS=${RUNS:-5}
for tool in dotnet curl python3 jq; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install -y curl python3 jq)" >&2; exit 1; }
done

dotnet build "$ROOT/ChannelService/ChannelService.csproj" -c Release -nologo -v quiet >/dev/null
APP="$ROOT/ChannelService/bin/Release/net10.0/ChannelService.dll"

if [ -z "${SKIP_TIME:-}" ]; then
echo "== time: first pull vs bare parse (in one process)"
dotnet "$APP" pull bench --units "$UNITS" --runs "$RUNS"
fi

echo "== memory: the service as its own process"
D=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$D"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hwm() { awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$1/status"; }
rss() { awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$1/status"; }

mkdir -p "$D/feed" "$D/data"
dotnet "$APP" ical generate --units "$UNITS" --out "$D/feed/feed.ics" >/dev/null
FPORT=$(free_port)
python3 -m http.server "$FPORT" --bind 127.0.0.1 --directory "$D/feed" >/dev/null 2>&1 &
PIDS+=($!)

SPORT=$(free_port)
export Channel__DataDirectory="$D/data" Channel__PublicBaseUrl="http://127.0.0.1:$SPORT" Channel__AllowPrivateNetworkSources=true
export Logging__LogLevel__Default=Warning
META=$(dotnet "$APP" metadata new --kind ics --url "http://127.0.0.1:$FPORT/feed.ics" --name "First pull benchmark")
ASPNETCORE_URLS="http://127.0.0.1:$SPORT" dotnet "$APP" >"$D/service.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SPORT/health" >/dev/null && break; sleep 0.2; done
until curl -sf "http://127.0.0.1:$FPORT/feed.ics" -o /dev/null; do sleep 0.2; done
echo "feed: $(stat -c %s "$D/feed/feed.ics" | awk '{ printf "%.1f MB", $1 / 1048576 }'); service started, resident $(rss "$SPID")"

pull() { curl -sf -X POST "http://127.0.0.1:$SPORT/pull" --data-urlencode "metadata=$META" ${1:+--data-urlencode "state=$1"}; }
FIRST=$(pull "")
echo "first pull:  $(jq '.external_resources | length' <<<"$FIRST") resources; peak resident so far $(hwm "$SPID")"
# The rest of the first read is stored in the background; let it finish before the next pull plans 20,000 items.
sleep "${SETTLE:-20}"
echo "rest stored: peak resident so far $(hwm "$SPID") (now $(rss "$SPID"))"
SECOND=$(pull "$(jq -r .state <<<"$FIRST")")
echo "second pull: $(jq '.external_resources | length' <<<"$SECOND") resources; peak resident $(hwm "$SPID")"
