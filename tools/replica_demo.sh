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
for _i in $(seq 1 120); do  # streaming once it caught up with the WAL written meanwhile
  [ "$(psql -d postgres -Atqc "select count(*) from pg_stat_replication where state = 'streaming'")" != 0 ] && break
  sleep 1
done
psql -d postgres -qX -c "select application_name, state, sync_state, replay_lsn from pg_stat_replication"

# (2) Odoo with two HTTP workers and the replica
# odoo-bin, not "python -m odoo": the prefork server respawns its gevent process with
# sys.argv[0]
"$VENV/bin/python" "$CACHE/odoo-root/usr/bin/odoo" server --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
  --http-interface=127.0.0.1 --http-port="$ODOO_PORT" --workers=2 --max-cron-threads=0 \
  --db_replica_host=127.0.0.1 --db_replica_port="$REPLICA_PORT" \
  --logfile="$DIR/odoo.log" --log-level=warn &
ODOO_PID=$!
for _i in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$ODOO_PORT/web/health" >/dev/null 2>&1 && break
  sleep 1
done
say "Odoo (pid $ODOO_PID) on port $ODOO_PORT: --workers=2 --db_replica_host=127.0.0.1 --db_replica_port=$REPLICA_PORT"

# Scans of the ledger tables counted by the replica (a hot standby keeps its own
# statistics of the queries it serves).
SCANS="select coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) from pg_stat_user_tables
        where relname in ('account_move_line', 'account_partial_reconcile')"
replica_scans_before="$(psql_replica -At -c "$SCANS")"

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
ACTIVE="select pid, application_name, state, left(regexp_replace(query, '\s+', ' ', 'g'), 100)
          from pg_stat_activity where datname = '$DB' and application_name like 'odoo%'
           and state = 'active' and pid <> pg_backend_pid() and query ilike '%account_move_line%'"
seen_replica=0 seen_primary=0
: > "$CACHE/replica-samples.txt"
while kill -0 "$RPC_PID" 2>/dev/null; do
  rows="$(psql_replica -At -c "$ACTIVE")"
  if [ -n "$rows" ]; then
    seen_replica=$((seen_replica + 1))
    [ "$seen_replica" = 1 ] && echo "$rows" | head -1 > "$CACHE/replica-samples.txt"
  fi
  rows="$(psql_primary -c "$ACTIVE")"
  [ -n "$rows" ] && seen_primary=$((seen_primary + 1))
  sleep 0.05
done
wait "$RPC_PID"
sleep 2  # statistics are flushed at most once a second
lsn="$(psql_primary -c 'select pg_current_wal_lsn()')"
for _i in $(seq 1 60); do  # the replica replays the write
  [ "$(psql_replica -At -c "select pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
  sleep 1
done
say "pg_stat_activity sampled every 50 ms during the calls, Odoo's active queries on account_move_line:"
say "  on the REPLICA: in $seen_replica samples; the first one (pid|application|state|query):"
sed 's/^/[replica]     /' "$CACHE/replica-samples.txt"
say "  on the PRIMARY: in $seen_primary samples"
say "scans of account_move_line/account_partial_reconcile on the REPLICA during the calls: +$(( $(psql_replica -At -c "$SCANS") - replica_scans_before ))"
say "the write, read on the PRIMARY: $(psql_primary -c "select count(*) from res_partner where comment::text like '%$MARK%'") partner(s)"
rm -f "$CACHE/replica-samples.txt"
say "the write, read on the replica (replayed): $(psql_replica -At -c "select count(*) from res_partner where comment::text like '%$MARK%'") partner(s)"
say "a write on the replica is refused: $(psql_replica -At -c "update res_partner set comment = comment where false" 2>&1 | head -1)"
