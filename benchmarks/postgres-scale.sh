#!/usr/bin/env bash
# PostgreSQL against SQLite (issue 20, Performance), everything on this machine, every figure a ratio to SQLite in the
# same run:
#   no-change  ACCOUNTS (default 100) `ics` accounts, each with its own feed URL on a local nginx origin (ETag, 304),
#              minted with `pull accounts`, drained like Zendesk would, then wrk rotates through their forms
#              (-c CONNECTIONS, default 16; a Lua script as in pull-304.sh). Four set-ups, measured in turn, ROUNDS times:
#                sqlite-1      one service on SQLite, wrk straight at it
#                postgres-1    one service on PostgreSQL, wrk straight at it              -> ratio to sqlite-1
#                sqlite-1/lb   the SQLite service behind nginx (proxy, keep-alive upstream)
#                postgres-2/lb two services on one PostgreSQL database behind nginx         -> ratio to sqlite-1/lb
#              (the proxy costs the same on both sides of a ratio). The per-round ratio's median is reported, with CPU
#              milliseconds per pull by process group (services, PostgreSQL, nginx) and PostgreSQL transactions per pull,
#              read from /proc and pg_stat_database around each run, and the share of pulls the quick no-change path
#              answered (channelservice_pulls_total{result="unchanged"} from the services' own /metrics): where the time goes.
#   first pull the first POST /pull of a new account on a 20,000-item feed (`ical generate --units 1`, 17 MB), time to
#              the first answer, and to the end of the second pull (which waits for the rest of the first read to be
#              stored, then plans all 20,000 items): FIRST_RUNS runs per store, a new account and feed URL each time,
#              SQLite and PostgreSQL alternating; medians and ratios.
# PostgreSQL is Debian's (PGBIN, default /usr/lib/postgresql/15/bin), started by this script: initdb into a temporary
# folder as the unprivileged user `nobody` (when run as root), listening on a free 127.0.0.1 port only, its default
# durability settings (fsync and synchronous_commit on), stopped by its process id at the end.
# Knobs: PARTS ("nochange first", the default, or one of them), ACCOUNTS, CONNECTIONS, THREADS (wrk -t, 2), DURATION (wrk -d, 10s), WARMUP (seconds per set-up, 10),
#        ROUNDS (3), FIRST_RUNS (3), UNITS (feed size of the first pull, 1 = 20,000 items).
# Needs: dotnet, wrk, nginx, curl, jq, python3, postgresql (Debian packages). About 10 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/benchmarks/rotation.sh"
ACCOUNTS=${ACCOUNTS:-100}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10}
ROUNDS=${ROUNDS:-3}
FIRST_RUNS=${FIRST_RUNS:-3}
UNITS=${UNITS:-1}
PARTS=${PARTS:-"nochange first"}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
NGINX=/usr/sbin/nginx
for tool in wrk "$NGINX" curl jq python3 dotnet "$PGBIN/postgres" "$PGBIN/initdb" "$PGBIN/psql"; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install -y wrk nginx curl jq python3 postgresql)" >&2; exit 1; }
done

echo "building (Release)..." >&2
dotnet build "$ROOT/ChannelService/ChannelService.csproj" -c Release -nologo -v quiet >/dev/null
APP="$ROOT/ChannelService/bin/Release/net10.0/ChannelService.dll"

D=$(mktemp -d)
chmod 755 "$D"
PIDS=()
PGPID=""
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cleanup() {
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  # PostgreSQL by its process id: SIGINT is its "fast shutdown".
  if [ -n "$PGPID" ]; then kill -INT "$PGPID" 2>/dev/null || true; wait "$PGPID" 2>/dev/null || true; fi
  rm -rf "$D"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "nothing answers at $1" >&2; exit 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ticks() { local t=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$t"; }
wait_idle() { # pids: what wrk left queued is still being served after it stops; wait until the services are idle
  local before after
  for _ in $(seq 1 600); do
    before=$(ticks "$@"); sleep 0.5; after=$(ticks "$@")
    [ $((after - before)) -lt 5 ] && return 0
  done
}
HZ=$(getconf CLK_TCK)

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning DOTNET_CLI_TELEMETRY_OPTOUT=1
export Channel__KeyFile="$D/keys.json" Channel__AllowPrivateNetworkSources=true
# The services' own metrics (GET /metrics) say how many pulls the quick no-change path answered.
export Channel__DashboardUser=bench Channel__DashboardPassword=bench-metrics

# --- PostgreSQL ----------------------------------------------------------------------------------------------------
mkdir -p "$D/pg"
AS_USER=()
if [ "$(id -u)" = 0 ]; then
  chown nobody "$D/pg"
  # setpriv execs PostgreSQL itself, so $! below is the postmaster's own process id.
  AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
"${AS_USER[@]}" "$PGBIN/initdb" -D "$D/pg/data" -U postgres -A trust -E UTF8 --locale=C >"$D/pg/initdb.log" 2>&1 \
  || { cat "$D/pg/initdb.log" >&2; exit 1; }
PGPORT=$(free_port)
"${AS_USER[@]}" "$PGBIN/postgres" -D "$D/pg/data" -p "$PGPORT" -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
  -c max_connections=300 >"$D/pg/server.log" 2>&1 &
PGPID=$!
psql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -At "$@"; }
for _ in $(seq 1 100); do psql -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
psql -d postgres -c 'CREATE DATABASE bench' >/dev/null
PGCONN="Host=127.0.0.1;Port=$PGPORT;Database=bench;Username=postgres;Password=unused;Maximum Pool Size=100"
pg_pids() { echo "$PGPID" $(pgrep -P "$PGPID" || true); }
pg_xacts() { psql -d postgres -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'bench'"; }

# --- origin and balancer: nginx ------------------------------------------------------------------------------------
mkdir -p "$D/www" "$D/nginx"
chmod 755 "$D/www"
cp "$ROOT/ChannelService/wwwroot/samples/team-calendar.ics" "$D/www/sample.ics"
for i in $(seq 1 "$ACCOUNTS"); do ln "$D/www/sample.ics" "$D/www/feed-$i.ics"; done
NPORT=$(free_port); SPORT=$(free_port); PAPORT=$(free_port); PBPORT=$(free_port); LBS=$(free_port); LBP=$(free_port)
cat > "$D/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections 4096; }
http {
  types { text/calendar ics; }
  access_log off;
  client_body_temp_path $D/nginx/body; proxy_temp_path $D/nginx/proxy; fastcgi_temp_path $D/nginx/fastcgi;
  uwsgi_temp_path $D/nginx/uwsgi; scgi_temp_path $D/nginx/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NPORT; root $D/www; etag on; if_modified_since exact; }
  upstream sqlite { server 127.0.0.1:$SPORT; keepalive 64; }
  upstream postgres { server 127.0.0.1:$PAPORT; server 127.0.0.1:$PBPORT; keepalive 64; }
  server { listen 127.0.0.1:$LBS; location / { proxy_pass http://sqlite; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$LBP; location / { proxy_pass http://postgres; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
"$NGINX" -p "$D/nginx/" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" -g 'daemon off;' &
NGPID=$!
PIDS+=("$NGPID")
nginx_pids() { echo "$NGPID" $(pgrep -P "$NGPID" || true); }
wait_http "http://127.0.0.1:$NPORT/sample.ics"

# --- services ------------------------------------------------------------------------------------------------------
# Minted before any service starts: the CLI creates the shared key file every instance then loads.
dotnet "$APP" pull accounts --count "$ACCOUNTS" --url-template "http://127.0.0.1:$NPORT/feed-{n}.ics" > "$D/accounts.txt"
start_service() { # name port [connection string] -> STARTED (its process id)
  mkdir -p "$D/$1"
  Channel__DataDirectory="$D/$1" Channel__PublicBaseUrl="http://127.0.0.1:$2" Channel__InstanceName="$1" \
    Channel__Database="${3:-}" ASPNETCORE_URLS="http://127.0.0.1:$2" dotnet "$APP" > "$D/$1.log" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
}
start_service sqlite "$SPORT"; SQLITE_PID=$STARTED
wait_http "http://127.0.0.1:$SPORT/health"
start_service pg-a "$PAPORT" "$PGCONN"; PGA_PID=$STARTED
wait_http "http://127.0.0.1:$PAPORT/health"
start_service pg-b "$PBPORT" "$PGCONN"; PGB_PID=$STARTED
wait_http "http://127.0.0.1:$PBPORT/health"
ALL_SERVICES=("$SQLITE_PID" "$PGA_PID" "$PGB_PID")
curl -sf "http://127.0.0.1:$PAPORT/health" | jq -c '{status, database_kind: (.database_kind // .checks?)}' >&2 || true

drain() { # port bodies-file: every account pulled as Zendesk would until a pull brings nothing; one form per line
  python3 "$ROOT/benchmarks/drain-accounts.py" "$1" "$D/accounts.txt" "$2" >&2
}
lua() { rotation_lua "$@"; } # bodies-file lua-file: wrk rotates through the accounts' forms
if [[ " $PARTS " == *" nochange "* ]]; then
# The SQLite service's states serve it directly and behind nginx; the PostgreSQL states serve both instances (one database).
drain "$SPORT" "$D/bodies-sqlite.txt"
drain "$PAPORT" "$D/bodies-pg.txt"
lua "$D/bodies-sqlite.txt" "$D/sqlite.lua"
lua "$D/bodies-pg.txt" "$D/pg.lua"

SETUPS=(sqlite-1 postgres-1 sqlite-1/lb postgres-2/lb)
declare -A URL=([sqlite-1]="http://127.0.0.1:$SPORT" [postgres-1]="http://127.0.0.1:$PAPORT" [sqlite-1/lb]="http://127.0.0.1:$LBS" [postgres-2/lb]="http://127.0.0.1:$LBP")
declare -A SCRIPT=([sqlite-1]="$D/sqlite.lua" [postgres-1]="$D/pg.lua" [sqlite-1/lb]="$D/sqlite.lua" [postgres-2/lb]="$D/pg.lua")
declare -A SERVICE_PORTS=([sqlite-1]="$SPORT" [postgres-1]="$PAPORT" [sqlite-1/lb]="$SPORT" [postgres-2/lb]="$PAPORT $PBPORT")
quick_pulls() { # ports -> pulls answered by the quick path so far, summed over the instances
  local n=0 port
  for port in "$@"; do
    n=$((n + $(curl -s -u "bench:bench-metrics" "http://127.0.0.1:$port/metrics" \
      | awk '/^channelservice_pulls_total\{/ && /result="unchanged"/ { s += $NF } END { printf "%d", s }')))
  done
  echo "$n"
}
declare -A SERVICE_PIDS=([sqlite-1]="$SQLITE_PID" [postgres-1]="$PGA_PID" [sqlite-1/lb]="$SQLITE_PID" [postgres-2/lb]="$PGA_PID $PGB_PID")

run_wrk() { # setup seconds -> "requests/s errors requests"
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --timeout 60s -s "${SCRIPT[$1]}" "${URL[$1]}/pull")
  echo "# $1: $out" | tr '\n' ' ' >> "$D/wrk.log"; echo >> "$D/wrk.log"
  printf '%s %s %s\n' "$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")" \
    "$( (grep -E 'Non-2xx|Socket errors' <<<"$out" || true) | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')" \
    "$(awk '/requests in/ { print $1 }' <<<"$out")"
}

echo "# warm-up: ${WARMUP}s per set-up (JIT, connection pools, every account's quick-path mark on every instance)" >&2
for s in "${SETUPS[@]}"; do run_wrk "$s" "${WARMUP}s" >/dev/null; wait_idle "${ALL_SERVICES[@]}"; done

declare -A RPS CPU_SVC CPU_PG CPU_NGINX XACT ERR QUICK
for r in $(seq 1 "$ROUNDS"); do
  for s in "${SETUPS[@]}"; do
    read -ra spids <<<"${SERVICE_PIDS[$s]}"
    read -ra ppids <<<"$(pg_pids)"
    read -ra npids <<<"$(nginx_pids)"
    read -ra ports <<<"${SERVICE_PORTS[$s]}"
    q=$(quick_pulls "${ports[@]}")
    t_svc=$(ticks "${spids[@]}"); t_pg=$(ticks "${ppids[@]}"); t_ng=$(ticks "${npids[@]}"); x=$(pg_xacts)
    read -r rps errors requests < <(run_wrk "$s" "$DURATION")
    wait_idle "${ALL_SERVICES[@]}"
    d_svc=$(( $(ticks "${spids[@]}") - t_svc )); d_pg=$(( $(ticks "${ppids[@]}") - t_pg )); d_ng=$(( $(ticks "${npids[@]}") - t_ng ))
    dx=$(( $(pg_xacts) - x ))
    dq=$(( $(quick_pulls "${ports[@]}") - q ))
    per() { awk -v t="$1" -v n="$requests" -v hz="$HZ" 'BEGIN { printf "%.3f", (n > 0) ? t * 1000 / hz / n : 0 }'; }
    RPS[$s]+="$rps "; ERR[$s]=$(( ${ERR[$s]:-0} + errors ))
    CPU_SVC[$s]+="$(per "$d_svc") "; CPU_PG[$s]+="$(per "$d_pg") "; CPU_NGINX[$s]+="$(per "$d_ng") "
    XACT[$s]+="$(awk -v x="$dx" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0) ? x / n : 0 }') "
    QUICK[$s]+="$(awk -v q="$dq" -v n="$requests" 'BEGIN { printf "%.3f", (n > 0) ? q / n : 0 }') "
    echo "# round $r $s: $rps r/s ($requests pulls, $errors errors)" >&2
  done
done

med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
ratios() { # setup reference -> median of the per-round ratios
  paste <(tr ' ' '\n' <<<"${RPS[$1]}" | grep -v '^$') <(tr ' ' '\n' <<<"${RPS[$2]}" | grep -v '^$') | awk '{ printf "%.4f\n", $1 / $2 }' | median
}
echo
echo "== no-change pulls: $ACCOUNTS accounts, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, median of $ROUNDS rounds"
printf '%-14s %10s %8s %8s %7s | %15s %16s %13s %13s\n' set-up "pulls/s" ratio errors quick "service ms/pull" "postgres ms/pull" "nginx ms/pull" "pg xacts/pull"
declare -A REF=([sqlite-1]=sqlite-1 [postgres-1]=sqlite-1 [sqlite-1/lb]=sqlite-1/lb [postgres-2/lb]=sqlite-1/lb)
for s in "${SETUPS[@]}"; do
  printf '%-14s %10.1f %8.4f %8s %7.3f | %15.3f %16.3f %13.3f %13.2f\n' "$s" "$(med "${RPS[$s]}")" "$(ratios "$s" "${REF[$s]}")" "${ERR[$s]}" "$(med "${QUICK[$s]}")" \
    "$(med "${CPU_SVC[$s]}")" "$(med "${CPU_PG[$s]}")" "$(med "${CPU_NGINX[$s]}")" "$(med "${XACT[$s]}")"
done
echo "(ratio: postgres-1 to sqlite-1, postgres-2/lb to sqlite-1/lb; quick: share of pulls the quick no-change path answered,"
echo " from the services' /metrics; CPU milliseconds per pull from /proc, summed over the processes of each group)"

fi

# --- first pull of a large feed ------------------------------------------------------------------------------------
if [[ " $PARTS " == *" first "* ]]; then
dotnet "$APP" ical generate --units "$UNITS" --out "$D/big.ics" >/dev/null
ITEMS=$(grep -cE '^BEGIN:(VEVENT|VTODO)' "$D/big.ics" || true)
first_pull() { # port pid run-name -> "first-answer-ms both-pulls-ms resources service-cpu-ms postgres-cpu-ms"
  local port=$1 pid=$2 run=$3 meta body state t1 t2 n c0 p0 code t
  ln "$D/big.ics" "$D/www/big-$run.ics"
  read -ra ppids <<<"$(pg_pids)"
  meta=$(Channel__Database='' dotnet "$APP" metadata new --kind ics --url "http://127.0.0.1:$NPORT/big-$run.ics" --name "First pull $run")
  body=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlencode([("metadata", sys.argv[1])]))' "$meta")
  c0=$(ticks "$pid"); p0=$(ticks "${ppids[@]}")
  t1=$(curl -s -o "$D/first.json" -w '%{time_total}' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$body" "http://127.0.0.1:$port/pull")
  n=$(jq '.external_resources | length' "$D/first.json")
  state=$(jq -r .state "$D/first.json")
  body=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlencode([("metadata", sys.argv[1]), ("state", sys.argv[2])]))' "$meta" "$state")
  # The second pull waits for the account's lock until the rest is stored; after 20 s it answers the retryable 503
  # "busy", and Zendesk would simply pull again: so does this, and the time counts until the 200.
  t2=0
  for _ in $(seq 1 20); do
    read -r code t < <(curl -s -o "$D/second.json" -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$body" "http://127.0.0.1:$port/pull")
    t2=$(awk -v a="$t2" -v b="$t" 'BEGIN { print a + b }')
    [ "$code" = 503 ] || break
  done
  [ "$code" = 200 ] && [ "$(jq '.external_resources | length' "$D/second.json")" -gt 0 ] || { echo "second pull: HTTP $code $(head -c 300 "$D/second.json")" >&2; exit 1; }
  awk -v a="$t1" -v b="$t2" -v n="$n" -v c="$(( $(ticks "$pid") - c0 ))" -v p="$(( $(ticks "${ppids[@]}") - p0 ))" -v hz="$HZ" \
    'BEGIN { printf "%.0f %.0f %d %.0f %.0f\n", a * 1000, (a + b) * 1000, n, c * 1000 / hz, p * 1000 / hz }'
}
: > "$D/first-sqlite"; : > "$D/first-pg"
for r in $(seq 1 "$FIRST_RUNS"); do
  read -r a b n c p < <(first_pull "$SPORT" "$SQLITE_PID" "sqlite-$r"); echo "$a $b $c $p" >> "$D/first-sqlite"
  echo "# first pull run $r sqlite: first answer $a ms ($n resources), first two pulls $b ms; CPU: service $c ms, postgres $p ms" >&2
  read -r a b n c p < <(first_pull "$PAPORT" "$PGA_PID" "pg-$r"); echo "$a $b $c $p" >> "$D/first-pg"
  echo "# first pull run $r postgres: first answer $a ms ($n resources), first two pulls $b ms; CPU: service $c ms, postgres $p ms" >&2
done
echo
echo "== first pull of a $ITEMS-item feed ($(( $(stat -c %s "$D/big.ics") / 1048576 )) MB), median of $FIRST_RUNS runs"
sq1=$(cut -d' ' -f1 "$D/first-sqlite" | median); sq2=$(cut -d' ' -f2 "$D/first-sqlite" | median)
pg1=$(cut -d' ' -f1 "$D/first-pg" | median); pg2=$(cut -d' ' -f2 "$D/first-pg" | median)
printf '%-40s %10s %10s %8s\n' "" "sqlite ms" "postgres ms" ratio
printf '%-40s %10.0f %10.0f %8.2f\n' "first answer (200 resources)" "$sq1" "$pg1" "$(awk -v a="$pg1" -v b="$sq1" 'BEGIN { print a / b }')"
printf '%-40s %10.0f %10.0f %8.2f\n' "first two pulls (the whole feed stored)" "$sq2" "$pg2" "$(awk -v a="$pg2" -v b="$sq2" 'BEGIN { print a / b }')"
printf '%-40s %10.0f %10.0f\n' "  service CPU during them" "$(cut -d' ' -f3 "$D/first-sqlite" | median)" "$(cut -d' ' -f3 "$D/first-pg" | median)"
printf '%-40s %10.0f %10.0f\n' "  PostgreSQL CPU during them" "$(cut -d' ' -f4 "$D/first-sqlite" | median)" "$(cut -d' ' -f4 "$D/first-pg" | median)"
echo "# services' peak memory: sqlite $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SQLITE_PID/status"), postgres a $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$PGA_PID/status")" >&2
fi
