#!/usr/bin/env bash
# The whole demo on the embedded default, in one command: the portal with demo data on :8000, the demo
# API on :8001, and the demo client, which prints an approval link and waits for you to approve it
# (log in as Kari Nordmann, 12837540109). Both servers stop when the client is done (or on Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORTAL=${PORTAL_PORT:-8000}
API=${DEMO_API_PORT:-8001}

# The portal's links and token metadata must name the port it really listens on.
export PORTAL_BASE_URL="http://127.0.0.1:$PORTAL"
# The demo client receives the approval by webhook on loopback, which only a laptop may allow.
export WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true
mkdir -p var
$PY manage.py migrate --noinput >/dev/null
$PY manage.py load_demo >/dev/null
$PY manage.py runserver "127.0.0.1:$PORTAL" --noreload >var/demo-portal.log 2>&1 &
PORTAL_PID=$!
trap 'kill "$PORTAL_PID" ${API_PID:-} 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM HUP PIPE
for _ in $(seq 1 50); do
  $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORTAL/jwk', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
$PY -m demo.provider --server "http://127.0.0.1:$PORTAL" --port "$API" >var/demo-api.log 2>&1 &
API_PID=$!
sleep 2
$PY -m demo.client --server "http://127.0.0.1:$PORTAL" --api "http://127.0.0.1:$API" "$@"
