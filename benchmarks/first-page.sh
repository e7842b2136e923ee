#!/usr/bin/env bash
# The first page of a large feed from a freshly started service, JIT included (issue 15, Performance), against a bare
# parse of the same file run as its own process:
#   reference  `ChannelService ical parse --stats FILE` (Release): a process that starts the runtime, reads the file and
#              parses every component (no verbatim lines kept), timed from exec to exit.
#   service    the real ChannelService (Release) started on a new data directory (one `ics` account minted with
#              `metadata new` before it starts), waited for until /health answers, then one POST /pull timed from
#              the request to the last byte of its answer (curl time_total): the first pull of the process, so every
#              method on its path that publishing did not precompile is JIT-compiled during it. The feed comes from nginx on 127.0.0.1 (sendfile).
# Both sides run the same `dotnet publish -c Release` output, as production runs it (README, "Production set-up"):
# publishing precompiles the service and its libraries (ReadyToRun, ChannelService.csproj), which speeds up the
# reference's start and parse as much as the service's first pull.
# Parse and pull alternate RUNS times (a noisy neighbour slows both); the ratio is taken per run and its median
# printed, with the medians of both sides and the service's peak resident memory (VmHWM) after the first answer.
# Targets: pull <= 1.5 x parse, peak <= 300 MB.
# Knobs (environment): UNITS (feed size: 1 = 15,000 VEVENT + 5,000 VTODO, 17 MB), RUNS (default 5).
# Needs: dotnet, nginx, curl, python3 (free ports), jq.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNITS=${UNITS:-1}
RUNS=${RUNS:-5}
NGINX=/usr/sbin/nginx
for tool in dotnet "$NGINX" curl python3 jq; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install -y nginx curl python3 jq)" >&2; exit 1; }
done

D=$(mktemp -d)
PIDS=()
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cleanup() {
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  rm -rf "$D"
}
trap cleanup EXIT

echo "publishing (Release, as README's production set-up)..." >&2
dotnet publish "$ROOT/ChannelService/ChannelService.csproj" -c Release -o "$D/app" -nologo -v quiet >/dev/null
APP="$D/app/ChannelService.dll"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now_ms() { date +%s%N | awk '{ printf "%.1f\n", $1 / 1000000 }'; }
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning DOTNET_CLI_TELEMETRY_OPTOUT=1

mkdir -p "$D/www" "$D/nginx"
chmod 755 "$D" "$D/www"
dotnet "$APP" ical generate --units "$UNITS" --out "$D/www/feed.ics" >/dev/null
FILE="$D/www/feed.ics"
NPORT=$(free_port)
cat > "$D/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections 64; }
http {
  types { text/calendar ics; }
  access_log off;
  sendfile on;
  client_body_temp_path $D/nginx/body; proxy_temp_path $D/nginx/proxy; fastcgi_temp_path $D/nginx/fastcgi;
  uwsgi_temp_path $D/nginx/uwsgi; scgi_temp_path $D/nginx/scgi;
  server { listen 127.0.0.1:$NPORT; root $D/www; etag on; }
}
CONF
"$NGINX" -p "$D/nginx/" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" -g 'daemon off;' &
PIDS+=($!)
until curl -sf -o /dev/null "http://127.0.0.1:$NPORT/feed.ics"; do sleep 0.1; done
echo "feed: $(stat -c %s "$FILE" | awk '{ printf "%.1f MB", $1 / 1048576 }'), $(grep -cE '^BEGIN:(VEVENT|VTODO)' "$FILE") items; $RUNS runs, parse and pull alternating" >&2

: > "$D/parse"; : > "$D/pull"; : > "$D/ratio"; : > "$D/hwm"
for run in $(seq 1 "$RUNS"); do
  # Reference: the bare parse as its own process.
  t0=$(now_ms)
  dotnet "$APP" ical parse "$FILE" --stats >/dev/null
  t1=$(now_ms)
  parse=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

  # Service: a fresh process and data directory; its first pull.
  data="$D/data-$run"
  SPORT=$(free_port)
  META=$(Channel__DataDirectory="$data" dotnet "$APP" metadata new --kind ics --url "http://127.0.0.1:$NPORT/feed.ics" --name "First page")
  Channel__DataDirectory="$data" Channel__PublicBaseUrl="http://127.0.0.1:$SPORT" Channel__AllowPrivateNetworkSources=true \
    ASPNETCORE_URLS="http://127.0.0.1:$SPORT" DOTNET_TieredPGO=1 dotnet "$APP" >"$D/service-$run.log" 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$SPORT/health" && break; sleep 0.05; done
  pull=$(curl -s -o "$D/answer.json" -w '%{time_total}' -X POST "http://127.0.0.1:$SPORT/pull" --data-urlencode "metadata=$META" | awk '{ printf "%.1f", $1 * 1000 }')
  resources=$(jq '.external_resources | length' "$D/answer.json")
  hwm=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SPID/status")
  stop "$SPID"
  [ "$resources" -gt 0 ] || { echo "run $run: the first pull answered $(head -c 300 "$D/answer.json")" >&2; exit 1; }
  echo "# run $run: parse $parse ms, first pull $pull ms ($resources resources), ratio $(awk -v p="$pull" -v q="$parse" 'BEGIN { printf "%.2f", p / q }'), service peak $hwm MB" >&2
  echo "$parse" >> "$D/parse"; echo "$pull" >> "$D/pull"; echo "$hwm" >> "$D/hwm"
  awk -v p="$pull" -v q="$parse" 'BEGIN { printf "%.6f\n", p / q }' >> "$D/ratio"
done

printf 'bare parse (own process): %s ms; first page from a fresh service: %s ms; ratio (median of %s runs): %.2f (target <= 1.5); service peak resident: %s MB (max %s; target <= 300)\n' \
  "$(median < "$D/parse")" "$(median < "$D/pull")" "$RUNS" "$(median < "$D/ratio")" "$(median < "$D/hwm")" "$(sort -g "$D/hwm" | tail -1)"
