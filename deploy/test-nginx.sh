#!/usr/bin/env bash
# Runs the published service behind Debian's nginx, configured from deploy/nginx.conf.example, with a self-signed
# certificate, all on loopback, and checks through https what Zendesk and admins will see. Touches no system
# configuration: everything lives in a temporary folder, processes are stopped by their process id.
#
#   bash deploy/test-nginx.sh
#
# Needs: nginx, openssl, curl (Debian packages), the .NET SDK. Optional environment:
#   PUBLISH_DIR     use this published service instead of running `dotnet publish` into the temporary folder
#   HTTPS_PORT, HTTP_PORT, SERVICE_PORT   loopback ports to use (default: free ports picked here)
#   ARTIFACTS_DIR   copy what was downloaded through the proxy (manifest.json, installer-app.zip) here
#   KEEP_TMP=1      keep the temporary folder (configuration, logs) for inspection
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
for tool in nginx openssl curl dotnet; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FAIL: $tool is not installed (apt-get install -y nginx openssl curl)" >&2; exit 1; }
done

T="$(mktemp -d /tmp/channelservice-nginx.XXXXXX)"
# nginx workers run as an unprivileged user when started as root: they must be able to reach their temp folders.
chmod 755 "$T"
SERVICE_PID=""
NGINX_PID=""
cleanup() {
  local status=$?
  for pid in "$NGINX_PID" "$SERVICE_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ "$status" -ne 0 ]; then
    echo "--- service log (tail)" >&2; tail -n 30 "$T/service.log" >&2 2>/dev/null || true
    echo "--- nginx error log (tail)" >&2; tail -n 30 "$T/nginx/error.log" >&2 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-}" = "1" ]; then echo "kept $T"; else rm -rf "$T"; fi
  exit "$status"
}
trap cleanup EXIT

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}
SERVICE_PORT="${SERVICE_PORT:-$(free_port)}"
HTTPS_PORT="${HTTPS_PORT:-$(free_port)}"
HTTP_PORT="${HTTP_PORT:-$(free_port)}"
BASE="https://127.0.0.1:$HTTPS_PORT"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# 1. The published service.
if [ -z "${PUBLISH_DIR:-}" ]; then
  PUBLISH_DIR="$T/publish"
  dotnet publish "$ROOT/ChannelService/ChannelService.csproj" -c Release -o "$PUBLISH_DIR" --nologo -v quiet >"$T/publish.log" 2>&1 \
    || { cat "$T/publish.log" >&2; fail "dotnet publish failed"; }
fi
[ -f "$PUBLISH_DIR/ChannelService.dll" ] || fail "no ChannelService.dll in $PUBLISH_DIR"

# Started from / on purpose: the published service must not depend on its working directory.
# Sources on loopback are allowed for this test only: the feed below is served from 127.0.0.1.
(cd / && Channel__PublicBaseUrl="$BASE" Channel__DataDirectory="$T/data" Channel__AllowPrivateNetworkSources=true ASPNETCORE_URLS="http://127.0.0.1:$SERVICE_PORT" \
  DOTNET_NOLOGO=1 exec dotnet "$PUBLISH_DIR/ChannelService.dll") >"$T/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$SERVICE_PORT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVICE_PID" 2>/dev/null || fail "the service exited during start"
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$SERVICE_PORT/health" >/dev/null || fail "the service did not become healthy on port $SERVICE_PORT"
ok "published service runs from / on http://127.0.0.1:$SERVICE_PORT (pid $SERVICE_PID)"

# 2. A self-signed certificate for 127.0.0.1, trusted below by this one curl only (--cacert).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl could not make a certificate"

# 3. nginx with deploy/nginx.conf.example: same server blocks, loopback ports, the temporary certificate.
mkdir -p "$T/nginx"
chmod 755 "$T/nginx"
sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$HTTPS_PORT ssl http2;|" \
    -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" \
    -e "/listen \[::\]/d" \
    -e "s|server_name channel.example.com;|server_name 127.0.0.1;|" \
    -e "s|/etc/letsencrypt/live/channel.example.com/fullchain.pem|$T/cert.pem|" \
    -e "s|/etc/letsencrypt/live/channel.example.com/privkey.pem|$T/key.pem|" \
    -e "s|proxy_pass http://127.0.0.1:5080;|proxy_pass http://127.0.0.1:$SERVICE_PORT;|" \
    "$ROOT/deploy/nginx.conf.example" >"$T/nginx/channelservice.conf"
grep -q "proxy_pass http://127.0.0.1:$SERVICE_PORT;" "$T/nginx/channelservice.conf" || fail "nginx.conf.example no longer has the expected proxy_pass line"
grep -q "listen 127.0.0.1:$HTTPS_PORT ssl" "$T/nginx/channelservice.conf" || fail "nginx.conf.example no longer has the expected listen 443 line"
cat >"$T/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log $T/nginx/access.log;
    client_body_temp_path $T/nginx/client_body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    include $T/nginx/channelservice.conf;
}
CONF
nginx -t -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" >"$T/nginx/test.log" 2>&1 || { cat "$T/nginx/test.log" >&2; fail "nginx rejects the configuration"; }
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" -g "daemon off;" &
NGINX_PID=$!
curl_https() { curl -sS --cacert "$T/cert.pem" --max-time 30 "$@"; }
for _ in $(seq 1 50); do
  curl_https -o /dev/null "$BASE/health" 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited during start"
  sleep 0.2
done
ok "nginx proxies $BASE to the service (pid $NGINX_PID)"

# 4. What Zendesk and admins see through the proxy.
code=$(curl_https -o "$T/manifest.json" -w '%{http_code}' "$BASE/manifest.json")
[ "$code" = 200 ] || fail "GET /manifest.json answered $code"
urls=$(grep -o '"[a-z]*://[^"]*"' "$T/manifest.json" | tr -d '"')
[ "$(wc -l <<<"$urls")" -ge 8 ] || fail "the manifest lists fewer than 8 URLs: $(cat "$T/manifest.json")"
while read -r url; do
  case "$url" in "$BASE"/*) ;; *) fail "manifest URL $url is not under $BASE" ;; esac
done <<<"$urls"
ok "every manifest URL is under the public https base URL ($(wc -l <<<"$urls") URLs)"

code=$(curl_https -o "$T/health.json" -w '%{http_code}' "$BASE/health")
[ "$code" = 200 ] && grep -q '"status":"ok"' "$T/health.json" || fail "GET /health answered $code: $(cat "$T/health.json")"
ok "/health is 200 through https"

code=$(curl_https -D "$T/about.headers" -o "$T/about.html" -w '%{http_code}' "$BASE/about")
[ "$code" = 200 ] || fail "GET /about answered $code"
grep -q "Upload private app" "$T/about.html" || fail "/about does not explain the private app upload"
grep -qi "^x-frame-options: DENY" "$T/about.headers" || fail "/about lost X-Frame-Options through the proxy"
grep -qi "^content-security-policy: frame-ancestors 'none'" "$T/about.headers" || fail "/about lost its Content-Security-Policy through the proxy"
css=$(grep -o 'href="/css/site.css[^"]*"' "$T/about.html" | head -1 | sed 's/^href="//; s/"$//')
[ -n "$css" ] && [ "$(curl_https -o /dev/null -w '%{http_code}' "$BASE$css")" = 200 ] || fail "the about page's stylesheet does not load"
ok "/about renders with its stylesheet and anti-framing headers"

code=$(curl_https -D "$T/zip.headers" -o "$T/installer-app.zip" -w '%{http_code}' "$BASE/installer-app.zip")
[ "$code" = 200 ] || fail "GET /installer-app.zip answered $code"
grep -qi "^content-type: application/zip" "$T/zip.headers" || fail "/installer-app.zip is not served as application/zip"
[ "$(head -c 4 "$T/installer-app.zip" | od -An -tx1 | tr -d ' \n')" = "504b0304" ] || fail "/installer-app.zip is not a zip"
ok "/installer-app.zip downloads ($(wc -c <"$T/installer-app.zip") bytes)"

# Endpoints still being built answer 501 with a JSON error; nginx must pass that through, not its own HTML page.
code=$(curl_https -D "$T/pull.headers" -o "$T/pull.json" -w '%{http_code}' -X POST -d "metadata=&state=" "$BASE/pull")
[ "$code" = 401 ] && grep -qi "^content-type: application/json" "$T/pull.headers" && grep -q '"error"' "$T/pull.json" \
  || fail "POST /pull without metadata answered $code: $(cat "$T/pull.json")"
ok "POST /pull without metadata: a 401 JSON error passes through intact"

# The admin UI as Zendesk opens it: a cross-site form POST, framed only by Zendesk.
code=$(curl_https -D "$T/admin.headers" -o "$T/admin.html" -w '%{http_code}' -X POST \
  --data-urlencode "name=" --data-urlencode "metadata=" --data-urlencode "state=" --data-urlencode "subdomain=acme" \
  --data-urlencode "locale=en-US" --data-urlencode "return_url=https://acme.zendesk.com/zendesk/channels/integrations/return" "$BASE/admin")
[ "$code" = 200 ] || fail "POST /admin answered $code: $(head -c 300 "$T/admin.html")"
grep -qi "^content-security-policy: .*frame-ancestors https://\*.zendesk.com" "$T/admin.headers" || fail "/admin lost its Zendesk-only frame-ancestors through the proxy"
grep -qi "^set-cookie:" "$T/admin.headers" && fail "/admin set a cookie (third-party cookies fail inside Zendesk's iframe)"
grep -q 'name="kind"' "$T/admin.html" || fail "/admin did not render the choose-a-source step"
ok "POST /admin renders the admin UI through https, framable by Zendesk only, without cookies"

# A real pull through the proxy: a feed served on loopback, an account minted by the command line with the
# service's own keys, and the pull answering it as an external resource.
FEED_PORT="$(free_port)"
mkdir -p "$T/feed"
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:nginx-check-1\r\nSUMMARY:Checked through nginx\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' >"$T/feed/feed.ics"
(cd "$T/feed" && exec python3 -m http.server "$FEED_PORT" --bind 127.0.0.1) >"$T/feed.log" 2>&1 &
FEED_PID=$!
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$FEED_PORT/feed.ics" 2>/dev/null && break; sleep 0.1; done
metadata=$(Channel__DataDirectory="$T/data" dotnet "$PUBLISH_DIR/ChannelService.dll" metadata new --kind ics --url "http://127.0.0.1:$FEED_PORT/feed.ics" --name "nginx check") \
  || fail "metadata new failed"
code=$(curl_https -o "$T/pull-real.json" -w '%{http_code}' -X POST --data-urlencode "metadata=$metadata" --data-urlencode "state=" "$BASE/pull")
kill "$FEED_PID" 2>/dev/null || true
[ "$code" = 200 ] && grep -q '"subject","value":"Checked through nginx"' "$T/pull-real.json" && grep -q '"state":"' "$T/pull-real.json" \
  || fail "a real POST /pull answered $code: $(cat "$T/pull-real.json")"
ok "a real pull through https returns the feed's task as an external resource"

code=$(curl -sS -o /dev/null -D "$T/redirect.headers" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/about")
[ "$code" = 301 ] && grep -qi "^location: https://" "$T/redirect.headers" || fail "plain http answered $code instead of a redirect to https"
ok "plain http redirects to https"

if [ -n "${ARTIFACTS_DIR:-}" ]; then
  mkdir -p "$ARTIFACTS_DIR"
  cp "$T/manifest.json" "$T/installer-app.zip" "$T/pull-real.json" "$ARTIFACTS_DIR/"
fi
echo "all checks passed behind nginx at $BASE"
