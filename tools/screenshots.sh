#!/usr/bin/env bash
# Regenerate the README pictures (docs/*.png) from the demo database, in one command:
#   tools/screenshots.sh            # database $BC_DB (default billing_coordinator), port $BC_PORT (8069)
# Uses the Odoo already running on that port, else starts `./dev run` in the background for
# the run (creating the demo database when missing) and stops it afterwards. German is loaded
# into the database once (tools/load_language.py, as `BC_LANG=de_DE ./dev run` does) for the
# German pictures; users and companies are set back to English afterwards.
# Pictures: my_queue, case_form, resolve_wizard, dashboard, case_form_de, dashboard_de,
# statement (PDF page 1) and aging_xlsx (LibreOffice headless) -- see tools/screenshot.py.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BC_CACHE:-$REPO/.cache}"
DB="${BC_DB:-billing_coordinator}"
PORT="${BC_PORT:-8069}"
URL="http://127.0.0.1:$PORT"

bash "$REPO/tools/bootstrap.sh"
# shellcheck source=/dev/null
source "$CACHE/env.sh"

up() { curl -fsS -o /dev/null "$URL/web/login" 2>/dev/null; }

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT

if ! up; then
  echo "[shots] starting ./dev run on $DB, port $PORT (log: $CACHE/screenshots-server.log)"
  # In its own process group (setsid), so that stopping it stops Odoo too.
  BC_DB="$DB" BC_PORT="$PORT" BC_LANG="" setsid "$REPO/dev" run --log-level=warn \
    >"$CACHE/screenshots-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 1800); do
    up && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "[shots] the server stopped; see $CACHE/screenshots-server.log" >&2
      exit 1
    fi
    sleep 1
  done
  up || { echo "[shots] Odoo did not answer on $URL" >&2; exit 1; }
fi

# German terms of every installed module (a no-op when already loaded), then English again
# for users and companies: the pictures switch admin's language themselves.
"$VENV/bin/python" -m odoo shell --addons-path="$ADDONS_PATH" -d "$DB" --no-http \
  --log-level=warn < <(printf 'import os\nos.environ["BC_LANG"] = "de_DE"\n'; cat "$REPO/tools/load_language.py"; printf '\nos.environ["BC_LANG"] = "en_US"\n'; cat "$REPO/tools/load_language.py")

"$VENV/bin/python" "$REPO/tools/screenshot.py" --db "$DB" --url "$URL" --out "$REPO/docs" "$@"
echo "[shots] done: look at docs/*.png"
