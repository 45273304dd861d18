#!/usr/bin/env bash
# The README's promise: `pnpm start` with no DATABASE_URL and no API key ends
# with the console on :3000 and the worker's /healthz ok; Ctrl-C stops every
# process it started; a second start finds the data of the first.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL BATON_SECRET
if [ "$(id -u)" = 0 ] && ! su -s /bin/sh postgres -c "test -x '$PWD'" 2>/dev/null; then
  # The embedded server runs as the postgres OS user, which cannot reach this clone.
  export BATON_DATA_DIR="$(mktemp -d /tmp/baton-smoke-XXXX)"
  echo "note: $PWD is not reachable by the postgres user; using BATON_DATA_DIR=$BATON_DATA_DIR"
fi
log=$(mktemp)

run_once() {
  setsid pnpm start >"$log" 2>&1 &
  local pid=$!
  local deadline=$(( $(date +%s) + 600 ))
  until grep -q 'Baton is running' "$log"; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
      echo "pnpm start did not come up:"; cat "$log"; kill -INT -- "-$pid" 2>/dev/null || true; exit 1
    fi
    sleep 1
  done
  curl -fsS -o /dev/null -w 'console: HTTP %{http_code}\n' http://127.0.0.1:3000/
  # (not `tee /dev/stderr`: reopening stderr truncates it when CI logs to a file)
  local health
  health=$(curl -fsS http://127.0.0.1:4020/healthz)
  echo "$health"
  grep -q '"database":{"ok":true' <<<"$health"
  echo
  sed -n '/Baton is running/,$p' "$log" | head -12
  # Ctrl-C: SIGINT to the whole foreground process group, as a terminal does.
  kill -INT -- "-$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; waited=$((waited + 1))
    if [ $waited -gt 60 ]; then echo "pnpm start did not stop within 60 s"; cat "$log"; exit 1; fi
  done
  sleep 1
  for port in 3000 4010 4020; do
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "port $port still answers after Ctrl-C"; exit 1; fi
  done
  if pgrep -f "postgres -D ${BATON_DATA_DIR:-$PWD/.baton}/pg" >/dev/null; then
    echo "the embedded postgres is still running"; pgrep -af "postgres -D"; exit 1
  fi
  echo "stopped cleanly after Ctrl-C"
}

run_once
grep -q 'applied migrations' "$log" && echo "first start: migrations applied"
run_once
grep -q 'migrations: up to date' "$log" && echo "second start: found the data of the first"
