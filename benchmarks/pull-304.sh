#!/usr/bin/env bash
# Request rate of a no-change pull of an iCalendar account (the origin answers 304) against the least an endpoint
# can do for the same job, side by side on this machine (issue 5: the service must sustain >= 50% of the reference).
#   origin     Debian's nginx on 127.0.0.1 (free port, temporary prefix) serving the feed files with ETag and
#              Last-Modified; its access log records the status of every origin request, so the script can show
#              that each measured pull really was one conditional GET answered 304.
#   baseline   benchmarks/ConditionalGetBaseline (Release): POST /pull reads the form, makes one conditional GET with
#              the validators it learned at startup through one shared HttpClient, answers
#              {"external_resources":[],"state":<the same state>}.
#   service    the real ChannelService (Release) with a temporary data directory; an `ics` account minted with
#              `metadata new`, its backlog drained with curl first, so every request sends the state after draining
#              and gets 200 with zero resources.
# Both run with Logging:LogLevel:Default=Warning. wrk POSTs the same url-encoded form (metadata, state) to each,
# alternating baseline, service, baseline, service... (ROUNDS rounds); the ratio service/baseline is taken per round
# and the median is reported. The last two columns are the median time of one pull alone (SINGLE sequential curl
# requests, one connection): the cost of a single pull without queueing. The machine's cores are shared by wrk,
# nginx and the endpoint under test, equally so for both sides.
#
# Knobs (environment): FEEDS   feed cases, space-separated: `sample` (ChannelService/wwwroot/samples/team-calendar.ics)
#                              or N = the first N items of the generated feed (`ical generate --units 1`: 15,000
#                              VEVENT + 5,000 VTODO, 17 MB; 20000 = all of it). Default "sample 300 20000".
#                      THREADS (wrk -t, default 2), CONNECTIONS (wrk -c, default 16), DURATION (wrk -d, default 10s),
#                      TIMEOUT (wrk --timeout, default 60s: a slow pull still counts as done, not as an error),
#                      WARMUP (seconds of unmeasured load on each side per case, default 3), ROUNDS (default 2),
#                      SINGLE (sequential pulls timed alone per side and case, default 3).
#                      PROFILE (a path prefix: after the rounds, one more service load of DURATION sampled with
#                              `perf record -g` (the service runs with DOTNET_PerfMapEnabled=1 and W^X off so JIT-compiled
#                              methods have names); flat and inclusive profiles by symbol in PREFIX-<case>.txt / .children.txt),
#                      ACCOUNTS (N > 0: instead of FEEDS, one case of N `ics` accounts, each with its own feed URL
#                              /feed-1.ics ... /feed-N.ics on the same nginx, every file the sample feed; minted at
#                              once with `pull accounts`, drained by a small python3 client, then wrk rotates through
#                              the N accounts' forms (a Lua script, requests built once per thread); the baseline gets
#                              the same forms. Also prints the service's resident memory (VmRSS, peak VmHWM)).
# Time: about 1 minute per case plus the drain (the 20,000-item feed drains in 26 pulls, the second of which waits a
# few seconds until the first read is stored; the others take a fraction of a second). About 5 minutes in all.
# Needs: dotnet, wrk and nginx (Debian packages), curl, jq, python3 (free ports, url-encoding).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/benchmarks/rotation.sh"
FEEDS=${FEEDS:-"sample 300 20000"}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10s}
TIMEOUT=${TIMEOUT:-60s}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-2}
SINGLE=${SINGLE:-3}
NGINX=/usr/sbin/nginx
for tool in wrk "$NGINX" curl jq python3 dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install -y wrk nginx curl jq python3)" >&2; exit 1; }
done

echo "building (Release)..." >&2
dotnet build "$ROOT/ChannelService/ChannelService.csproj" -c Release -nologo -v quiet >/dev/null
dotnet build "$ROOT/benchmarks/ConditionalGetBaseline/ConditionalGetBaseline.csproj" -c Release -nologo -v quiet >/dev/null
SERVICE_DLL="$ROOT/ChannelService/bin/Release/net10.0/ChannelService.dll"
BASELINE_DLL="$ROOT/benchmarks/ConditionalGetBaseline/bin/Release/net10.0/ConditionalGetBaseline.dll"

D=$(mktemp -d)
PIDS=()
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cleanup() {
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  rm -rf "$D"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "nothing answers at $1" >&2; exit 1; }

# Same environment for both .NET processes: Production, warnings only.
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  DOTNET_CLI_TELEMETRY_OPTOUT=1

# --- feeds ---------------------------------------------------------------------------------------------------------
mkdir -p "$D/www" "$D/nginx"
chmod 755 "$D" "$D/www"  # nginx workers run as nobody when started by root
GENERATED="$D/generated.ics"
feed_file() { # case -> file name under $D/www
  local c=$1
  if [ "$c" = sample ]; then
    cp "$ROOT/ChannelService/wwwroot/samples/team-calendar.ics" "$D/www/feed-sample.ics"
  else
    [ -f "$GENERATED" ] || dotnet "$SERVICE_DLL" ical generate --units 1 --out "$GENERATED" >/dev/null
    # The calendar's header and time zones, then the first N top-level VEVENT/VTODO, then END:VCALENDAR.
    awk -v n="$c" '
      { l = $0; sub(/\r$/, "", l) }
      l ~ /^BEGIN:/ { depth++; if (depth == 2 && (l == "BEGIN:VEVENT" || l == "BEGIN:VTODO")) { items++; skip = items > n } }
      depth == 0 || !skip || l == "END:VCALENDAR" { print }
      l ~ /^END:/ { if (depth == 2) skip = 0; depth--; if (depth == 1 && items >= n) skip = 1 }
    ' "$GENERATED" > "$D/www/feed-$c.ics"
  fi
  echo "feed-$c.ics"
}

# --- origin: nginx -------------------------------------------------------------------------------------------------
NPORT=$(free_port)
cat > "$D/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections 1024; }
http {
  types { text/calendar ics; }
  log_format status '\$status';
  access_log $D/nginx/access.log status;
  client_body_temp_path $D/nginx/body; proxy_temp_path $D/nginx/proxy; fastcgi_temp_path $D/nginx/fastcgi;
  uwsgi_temp_path $D/nginx/uwsgi; scgi_temp_path $D/nginx/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NPORT; root $D/www; etag on; if_modified_since exact; }
}
CONF
"$NGINX" -p "$D/nginx/" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" -g 'daemon off;' &
PIDS+=($!)
origin_count() { grep -c "^$1\$" "$D/nginx/access.log" || true; }

ACCOUNTS=${ACCOUNTS:-0}
[[ $ACCOUNTS =~ ^[0-9]+$ ]] || { echo "ACCOUNTS: '$ACCOUNTS' is not a number" >&2; exit 2; }
if [ "$ACCOUNTS" -gt 0 ]; then
  FEEDS="sample"
  feed_file sample >/dev/null
  # One URL per account: hard links of the sample feed (same bytes, same validators, its own path).
  python3 - "$D/www" "$ACCOUNTS" <<'PY'
import os, sys
www, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    os.link(os.path.join(www, "feed-sample.ics"), os.path.join(www, f"feed-{i}.ics")) if os.path.exists(os.path.join(www, "feed-sample.ics")) else None
PY
fi
CASES=()
for c in $FEEDS; do
  [[ $c == sample || $c =~ ^[1-9][0-9]*$ ]] || { echo "FEEDS: '$c' is neither 'sample' nor a number of items" >&2; exit 2; }
  CASES+=("$c")
  feed_file "$c" >/dev/null
done
wait_http "http://127.0.0.1:$NPORT/"

# --- service -------------------------------------------------------------------------------------------------------
SPORT=$(free_port)
export Channel__DataDirectory="$D/data" Channel__PublicBaseUrl="http://127.0.0.1:$SPORT" Channel__AllowPrivateNetworkSources=true
declare -A META
for c in "${CASES[@]}"; do
  # Minted before the service starts: the CLI creates the key ring the service then loads.
  META[$c]=$(dotnet "$SERVICE_DLL" metadata new --kind ics --url "http://127.0.0.1:$NPORT/feed-$c.ics" --name "Benchmark $c")
done
if [ "$ACCOUNTS" -gt 0 ]; then
  dotnet "$SERVICE_DLL" pull accounts --count "$ACCOUNTS" --url-template "http://127.0.0.1:$NPORT/feed-{n}.ics" > "$D/accounts.txt"
fi
ASPNETCORE_URLS="http://127.0.0.1:$SPORT" DOTNET_TieredPGO=1 env ${PROFILE:+DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0} dotnet "$SERVICE_DLL" > "$D/service.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
wait_http "http://127.0.0.1:$SPORT/health"

urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.urlencode([("metadata", sys.argv[1]), ("state", sys.argv[2])]))' "$1" "$2"; }
pull() { # url body -> "HTTP-status body"
  curl -s -o "$D/answer.json" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$2" "$1/pull"
}
run_wrk() { # url lua seconds -> requests/s and non-2xx count on one line
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3" --timeout "$TIMEOUT" -s "$2" "$1/pull")
  echo "$out" >> "$D/wrk.log"
  printf '%s %s\n' "$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")" \
    "$( (grep -E 'Non-2xx|Socket errors' <<<"$out" || true) | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wait_idle() { # pid: requests wrk left queued are still being served after it stops; wait until they are done
  local before after
  for _ in $(seq 1 600); do
    before=$(cpu_ticks "$1"); sleep 0.5; after=$(cpu_ticks "$1")
    [ $((after - before)) -lt 5 ] && return 0
  done
}
pull_ms() { # url body -> median milliseconds of SINGLE sequential pulls (one connection, no contention)
  for _ in $(seq 1 "$SINGLE"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$2" "$1/pull"
  done | awk '{ print $1 * 1000 }' | median
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-7s %6s %9s | %12s %12s %7s | %8s %8s | %11s %10s\n' feed items bytes "baseline r/s" "service r/s" ratio \
  non-2xx origin!304 "baseline ms" "service ms"
SUMMARY=()
for c in "${CASES[@]}"; do
  file="$D/www/feed-$c.ics"
  items=$(grep -cE '^BEGIN:(VEVENT|VTODO)' "$file" || true)
  url="http://127.0.0.1:$NPORT/feed-$c.ics"

  if [ "$ACCOUNTS" -gt 0 ]; then
    # Every account drained as Zendesk would (each state sent back until a pull brings nothing), 4 at a time; one
    # url-encoded form per account (its metadata and last state) per line.
    python3 "$ROOT/benchmarks/drain-accounts.py" "$SPORT" "$D/accounts.txt" "$D/bodies.txt" >&2
    rotation_lua "$D/bodies.txt" "$D/pull-$c.lua"
    body=$(head -n 1 "$D/bodies.txt")
    state=$(python3 -c 'import sys, urllib.parse; print(dict(urllib.parse.parse_qsl(sys.argv[1]))["state"])' "$body")
    pulls="2 (each of $ACCOUNTS accounts)"
  else
  # Drain the backlog as Zendesk would: send back each state until a pull brings nothing.
  state=""
  pulls=0
  while :; do
    status=$(pull "http://127.0.0.1:$SPORT" "$(urlencode "${META[$c]}" "$state")")
    [ "$status" = 200 ] || { echo "draining $c: HTTP $status $(head -c 300 "$D/answer.json")" >&2; exit 1; }
    pulls=$((pulls + 1))
    state=$(jq -r '.state // empty' "$D/answer.json")
    [ -n "$state" ] || { echo "draining $c: no state in $(head -c 300 "$D/answer.json")" >&2; exit 1; }
    [ "$(jq '.external_resources | length' "$D/answer.json")" = 0 ] && break
  done
  body=$(urlencode "${META[$c]}" "$state")
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.body = [==[%s]==]\n' "$body" > "$D/pull-$c.lua"
  fi

  # The request every benchmark run repeats: 200, zero resources, the same state back, origin 304.
  before304=$(origin_count 304)
  status=$(pull "http://127.0.0.1:$SPORT" "$body")
  check="$(jq -c '{n: (.external_resources | length), same_state: (.state == $s)}' --arg s "$state" "$D/answer.json")"
  echo "# $c: $items items, backlog drained in $pulls pulls; one more pull: HTTP $status $check, origin 304s +$(( $(origin_count 304) - before304 ))" >&2
  [ "$status" = 200 ] && [ "$check" = '{"n":0,"same_state":true}' ] || { echo "not a no-change pull: $(head -c 300 "$D/answer.json")" >&2; exit 1; }

  BPORT=$(free_port)
  dotnet "$BASELINE_DLL" --port "$BPORT" --origin "$url" > "$D/baseline-$c.log" 2>&1 &
  BPID=$!
  PIDS+=("$BPID")
  wait_http "http://127.0.0.1:$BPORT/"
  status=$(pull "http://127.0.0.1:$BPORT" "$body")
  echo "# $c baseline: HTTP $status $(jq -c '{n: (.external_resources | length), same_state: (.state == $s)}' --arg s "$state" "$D/answer.json")" >&2

  run_wrk "http://127.0.0.1:$BPORT" "$D/pull-$c.lua" "${WARMUP}s" >/dev/null
  # Many accounts: the service's warm-up is long enough to reach every account (its quick-path mark is set by the
  # drain and lasts until an item can enter or leave the window, at most an hour; Pull/PlanHorizon.cs).
  swarm=$(( ACCOUNTS / 250 > WARMUP ? ACCOUNTS / 250 : (ACCOUNTS > 0 && WARMUP < 10 ? 10 : WARMUP) ))
  run_wrk "http://127.0.0.1:$SPORT" "$D/pull-$c.lua" "${swarm}s" >/dev/null
  wait_idle "$SPID"
  others_before=$(( $(wc -l < "$D/nginx/access.log") - $(origin_count 304) ))
  : > "$D/ratios"; : > "$D/base"; : > "$D/svc"
  errors=0
  for r in $(seq 1 "$ROUNDS"); do
    read -r b be < <(run_wrk "http://127.0.0.1:$BPORT" "$D/pull-$c.lua" "$DURATION")
    read -r s se < <(run_wrk "http://127.0.0.1:$SPORT" "$D/pull-$c.lua" "$DURATION")
    wait_idle "$SPID"
    echo "# $c round $r: baseline $b r/s, service $s r/s" >&2
    echo "$b" >> "$D/base"; echo "$s" >> "$D/svc"
    awk -v s="$s" -v b="$b" 'BEGIN { printf "%.6f\n", s / b }' >> "$D/ratios"
    errors=$((errors + be + se))
  done
  not304=$(( $(wc -l < "$D/nginx/access.log") - $(origin_count 304) - others_before ))
  if [ -n "${PROFILE:-}" ]; then
    # Where the service's time goes: CPU samples (perf, with the JIT's symbol map) of one more, unmeasured load of
    # the same length; the flat profile by symbol goes to PREFIX-<case>.txt.
    secs=${DURATION%s}
    perf record -F 499 -g -p "$SPID" -o "$PROFILE-$c.perf.data" -- sleep "$secs" >/dev/null 2>"$D/perf.log" &
    tpid=$!
    run_wrk "http://127.0.0.1:$SPORT" "$D/pull-$c.lua" "${secs}s" >/dev/null
    wait "$tpid" || { echo "perf record failed: $(cat "$D/perf.log")" >&2; }
    perf report -i "$PROFILE-$c.perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^$' | head -120 > "$PROFILE-$c.txt" || true
    perf report -i "$PROFILE-$c.perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' | head -150 > "$PROFILE-$c.children.txt" || true
    wait_idle "$SPID"
    echo "# $c: CPU profile in $PROFILE-$c.txt (self) and $PROFILE-$c.children.txt (inclusive)" >&2
  fi
  bms=$(pull_ms "http://127.0.0.1:$BPORT" "$body")
  sms=$(pull_ms "http://127.0.0.1:$SPORT" "$body")
  stop "$BPID"

  # The same request once more after the load: still nothing to send, same state.
  status=$(pull "http://127.0.0.1:$SPORT" "$body")
  after=$(jq -c '{n: (.external_resources | length), same_state: (.state == $s)}' --arg s "$state" "$D/answer.json")
  echo "# $c after the load: HTTP $status $after" >&2

  if [ "$ACCOUNTS" -gt 0 ]; then
    echo "# $ACCOUNTS accounts: service resident memory $(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SPID/status"), peak $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SPID/status")" >&2
  fi
  ratio=$(median < "$D/ratios")
  line=$(printf '%-7s %6s %9s | %12.1f %12.1f %7.4f | %8s %8s | %11.2f %10.2f' "$c" "$items" "$(stat -c %s "$file")" \
    "$(median < "$D/base")" "$(median < "$D/svc")" "$ratio" "$errors" "$not304" "$bms" "$sms")
  echo "$line"
  SUMMARY+=("$( [ "$ACCOUNTS" -gt 0 ] && echo "accounts-$ACCOUNTS" || echo "$c")=$(printf '%.4f' "$ratio")")
done
echo "ratio service/baseline (median of $ROUNDS rounds, -t$THREADS -c$CONNECTIONS -d$DURATION; target >= 0.5): ${SUMMARY[*]}"
