#!/usr/bin/env bash
# Scale-out demo (issue 9 section 3): the dashboard's RPC served by a PostgreSQL streaming
# replica while writes go to the primary, with nothing of our own, only Odoo 19's
# --db_replica_host/--db_replica_port (methods marked @api.readonly are routed to the
# replica) and --workers.
#
#   tools/replica_demo.sh [DB]      (DB: a database with the module and demo data,
#                                    default $BC_DB or billing_coordinator; admin/admin)
#
# Steps: (1) a streaming replica of the running cluster on this machine: pg_basebackup -R
# into .cache/replica (port $BC_REPLICA_PORT, default 5433), started with the same
# PostgreSQL binaries as the running server; (2) Odoo with --workers=2 and the replica;
# (3) a JSON-RPC login as admin, get_dashboard_data over /web/dataset/call_kw, and a write
# (a partner's comment) through the same server; (4) pg_stat_activity on the replica and
# on the primary: the dashboard's queries on the replica, the write on the primary, and the
# write replayed on the replica; (5) stop Odoo and the replica and remove them.
# Replication connections need a pg_hba.conf "replication" line on the primary: when there
# is none, one for the local socket is added for the demo and removed at the end.
# Run as root (the replica runs as the postgres system user) on a PostgreSQL with
# wal_level = replica (the default).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BC_CACHE:-$REPO/.cache}"
# shellcheck source=/dev/null
source "$CACHE/env.sh"
DB="${1:-${BC_DB:-billing_coordinator}}"
REPLICA_PORT="${BC_REPLICA_PORT:-5433}"
ODOO_PORT="${BC_PORT:-8069}"
DIR="$CACHE/replica"
PGUSER_OS=postgres
say() { echo "[replica] $*"; }
psql_primary() { psql -d "$DB" -AtqX "$@"; }
psql_replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d "$DB" -qX "$@"; }

psql -d postgres -Atqc "select 1 from pg_database where datname = '$DB'" | grep -q 1 \
  || { echo "no database $DB (create it with ./dev run first)" >&2; exit 2; }

# The running server's binaries and settings.
PGDATA_PRIMARY="$(psql -d postgres -Atqc 'show data_directory')"
PGBIN="$(dirname "$(readlink -f "/proc/$(head -1 "$PGDATA_PRIMARY/postmaster.pid")/exe")")"
SOCKET="$(psql -d postgres -Atqc 'show unix_socket_directories' | cut -d, -f1)"
HBA="$(psql -d postgres -Atqc 'show hba_file')"
say "primary: $("$PGBIN/postgres" --version), data $PGDATA_PRIMARY, socket $SOCKET; replica port $REPLICA_PORT"

ODOO_PID=""
HBA_ADDED=0
cleanup() {
  set +e
  if [ -n "$ODOO_PID" ]; then kill "$ODOO_PID" 2>/dev/null; wait "$ODOO_PID" 2>/dev/null; fi
  if [ -f "$DIR/data/postmaster.pid" ]; then
    runuser -u "$PGUSER_OS" -- "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
  fi
  if [ "$HBA_ADDED" = 1 ]; then
    sed -i '/# billing_coordinator replica_demo$/d' "$HBA"
    psql -d postgres -Atqc 'select pg_reload_conf()' >/dev/null
  fi
  rm -rf "$DIR"
  say "stopped Odoo and the replica, removed $DIR"
}
trap cleanup EXIT

# (1) the replica
if [ "$(psql -d postgres -Atqc "select count(*) from pg_hba_file_rules where 'replication' = any(database)")" = 0 ]; then
  echo "local replication all trust # billing_coordinator replica_demo" >> "$HBA"
  HBA_ADDED=1
  psql -d postgres -Atqc 'select pg_reload_conf()' >/dev/null
  say "added a local replication line to $HBA (removed at the end)"
fi
rm -rf "$DIR"
mkdir -p "$DIR"
chown "$PGUSER_OS" "$DIR"
started=$(date +%s)
runuser -u "$PGUSER_OS" -- "$PGBIN/pg_basebackup" -h "$SOCKET" -U postgres -D "$DIR/data" -R -X stream -c fast
say "pg_basebackup -R: $(du -sh "$DIR/data" | cut -f1) in $(( $(date +%s) - started )) s"
setting() { psql -d postgres -Atqc "show $1"; }
# A hot standby needs at least the primary's limits; its own socket, port and pg_hba.
cat > "$DIR/data/postgresql.conf" <<EOF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
hot_standby = on
max_connections = $(setting max_connections)
max_worker_processes = $(setting max_worker_processes)
max_wal_senders = $(setting max_wal_senders)
max_prepared_transactions = $(setting max_prepared_transactions)
max_locks_per_transaction = $(setting max_locks_per_transaction)
shared_buffers = 64MB
EOF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$DIR/data/pg_hba.conf"
: > "$DIR/data/pg_ident.conf"
chown "$PGUSER_OS" "$DIR/data/postgresql.conf" "$DIR/data/pg_hba.conf" "$DIR/data/pg_ident.conf"
runuser -u "$PGUSER_OS" -- "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/replica.log" -w start >/dev/null
say "replica started: in recovery = $(psql_replica -Atc 'select pg_is_in_recovery()')"
psql -d postgres -qX -c "select application_name, state, sync_state, replay_lsn from pg_stat_replication"

# (2) Odoo with two HTTP workers and the replica
"$VENV/bin/python" -m odoo server --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
  --http-interface=127.0.0.1 --http-port="$ODOO_PORT" --workers=2 --max-cron-threads=0 \
  --db_replica_host=127.0.0.1 --db_replica_port="$REPLICA_PORT" \
  --logfile="$DIR/odoo.log" --log-level=warn &
ODOO_PID=$!
for _i in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$ODOO_PORT/web/health" >/dev/null 2>&1 && break
  sleep 1
done
say "Odoo (pid $ODOO_PID) on port $ODOO_PORT: --workers=2 --db_replica_host=127.0.0.1 --db_replica_port=$REPLICA_PORT"

# (3) JSON-RPC as admin: the dashboard (readonly) and a write; (4) while it runs and
# after, pg_stat_activity of the replica
MARK="replica demo $(date +%s)"
"$VENV/bin/python" - "$ODOO_PORT" "$DB" "$MARK" <<'EOF' &
import http.cookiejar, json, sys, time, urllib.request
port, db, mark = sys.argv[1], sys.argv[2], sys.argv[3]
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def rpc(path, params):
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", body, {"Content-Type": "application/json"})
    reply = json.loads(opener.open(req).read())
    if "error" in reply:
        raise SystemExit(json.dumps(reply["error"])[:2000])
    return reply["result"]
rpc("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})
def call(model, method, args, kwargs=None):
    return rpc(f"/web/dataset/call_kw/{model}.{method}",
               {"model": model, "method": method, "args": args, "kwargs": kwargs or {}})
for _i in range(5):
    started = time.perf_counter()
    data = call("billing.dashboard", "get_dashboard_data", [{}])
    elapsed = (time.perf_counter() - started) * 1000
print(f"[replica] RPC billing.dashboard.get_dashboard_data: total_receivable "
      f"{data['total_receivable']}, open cases {data['open_cases']['value']}, "
      f"{elapsed:.0f} ms (5th call)", flush=True)
partner = call("res.partner", "search", [[["is_company", "=", True]]], {"limit": 1})
call("res.partner", "write", [partner, {"comment": mark}])
print(f"[replica] RPC res.partner.write (comment) on partner {partner[0]}", flush=True)
EOF
RPC_PID=$!
seen=0
while kill -0 "$RPC_PID" 2>/dev/null; do
  rows="$(psql_replica -At -c "select count(*) from pg_stat_activity where datname = '$DB' and state = 'active' and query ilike '%account_move_line%'")"
  [ "${rows:-0}" != 0 ] && seen=$((seen + 1))
  sleep 0.05
done
wait "$RPC_PID"
say "samples of the replica with an active aging query of the dashboard during the calls: $seen"
sleep 1
say "pg_stat_activity on the REPLICA (port $REPLICA_PORT), Odoo's connections, last query of each:"
psql_replica -c "select pid, application_name, state, left(regexp_replace(query, '\s+', ' ', 'g'), 110) as last_query
                   from pg_stat_activity where datname = '$DB' and application_name like 'odoo%'
                  order by query_start"
say "pg_stat_activity on the PRIMARY (port 5432), Odoo's connections with a write as last query:"
psql -d postgres -qX -c "select pid, application_name, state, left(regexp_replace(query, '\s+', ' ', 'g'), 110) as last_query
                          from pg_stat_activity where datname = '$DB' and application_name like 'odoo%'
                           and query ~* '^\s*(update|insert)' order by query_start"
say "the write, read on the replica (replayed): $(psql_replica -At -c "select count(*) from res_partner where comment::text like '%$MARK%'") partner(s)"
say "a write on the replica is refused: $(psql_replica -At -c "update res_partner set comment = comment where false" 2>&1 | head -1)"
