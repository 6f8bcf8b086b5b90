#!/usr/bin/env bash
# Coexistence with the OCA peers (issue 11): a fresh database with billing_coordinator,
# OCA's account_credit_control, account_financial_report and partner_statement (19.0
# wheels of tools/requirements-peers.txt, installed with --no-deps into .cache/peers) and
# Odoo's sale and account_payment. Checks that
#   1. everything installs and our tests pass with them (--test-tags /billing_coordinator,
#      judged by tools/test_gate.py: no failure, no WARNING/ERROR line, no skipped test);
#   2. no menu, field, group or report name clashes with a peer (tools/coexistence.sql).
# Usage: tools/coexistence.sh            (database BC_COEX_DB, default bc_coexistence)
#        tools/coexistence.sh --keep     reuse the database (-u billing_coordinator)
#        tools/coexistence.sh --clashes  only the clash queries, on the existing database
#        tools/coexistence.sh --ci       CI: fresh install, the clash queries and only the
#                                        tests that meet the peers (BC_COEX_TAGS, default:
#                                        access matrix and detection; ./dev test runs the rest)
# Log: .cache/coexistence.log. Exit status 0 only when both parts pass.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BC_CACHE:-$REPO/.cache}"
bash "$REPO/tools/bootstrap.sh"
# shellcheck source=/dev/null
source "$CACHE/env.sh"

PEERS="$CACHE/peers"
req_hash="$(sha256sum "$REPO/tools/requirements-peers.txt" | cut -c1-16)"
if [ ! -f "$PEERS/.req-$req_hash" ]; then
  echo "[coexistence] installing the OCA peers into $PEERS"
  rm -rf "$PEERS"
  # --no-deps: the wheels depend on "odoo", which is not on the package index.
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --target "$PEERS" \
    -r "$REPO/tools/requirements-peers.txt" > "$CACHE/peers-install.log" 2>&1 \
    || { cat "$CACHE/peers-install.log" >&2; exit 1; }
  touch "$PEERS/.req-$req_hash"
fi

DB="${BC_COEX_DB:-bc_coexistence}"
TAGS=/billing_coordinator
if [ "${1:-}" = "--ci" ]; then
  # What the peers can break: security (groups, rules, menus on shared models) and the
  # detection on account.move lines they also extend. The whole suite runs in ./dev test.
  TAGS="${BC_COEX_TAGS:-/billing_coordinator:TestAccessMatrix,/billing_coordinator:TestDetection,/billing_coordinator:TestDetectionRules}"
fi
LOG="$CACHE/coexistence.log"
PEER_MODULES=(account_credit_control account_financial_report partner_statement)
ODOO_MODULES=()
for module in sale account_payment; do  # Odoo's own, when the Odoo tree has them
  [ -f "$ODOO_PYROOT/odoo/addons/$module/__manifest__.py" ] && ODOO_MODULES+=("$module")
done
modules="$(IFS=,; echo "billing_coordinator,${PEER_MODULES[*]}${ODOO_MODULES:+,${ODOO_MODULES[*]}}")"

if [ "${1:-}" = "--clashes" ]; then
  gate=0
elif [ "${1:-}" = "--keep" ] && psql -d postgres -Atqc "select 1 from pg_database where datname = '$DB'" | grep -q 1; then
  init=(-u billing_coordinator)
else
  dropdb --if-exists "$DB"
  init=(-i "$modules")
fi
if [ "${1:-}" != "--clashes" ]; then
  echo "[coexistence] $DB: ${init[*]}; testing $TAGS (log: $LOG)"
  start=$(date +%s)
  set +e
  "$VENV/bin/python" -m odoo server --addons-path="$ADDONS_PATH,$PEERS/odoo/addons" \
    -d "$DB" "${init[@]}" --with-demo --test-tags "$TAGS" --stop-after-init \
    --http-interface=127.0.0.1 --http-port="${BC_TEST_PORT:-8269}" --log-level=test \
    --logfile= > "$LOG" 2>&1
  rc=$?
  set -e
  echo "[coexistence] install and tests: $(( $(date +%s) - start )) s"
  gate=0
  "$VENV/bin/python" "$REPO/tools/test_gate.py" "$LOG" "$rc" || gate=1
fi

# Clashes: each query lists what two modules both claim; any row fails.
peers_sql="$(printf "'%s'," "${PEER_MODULES[@]}" date_range report_xlsx report_xlsx_helper)"
clashes="$(psql -d "$DB" -AtqX -v ON_ERROR_STOP=1 -v peers="(${peers_sql%,})" \
  -f "$REPO/tools/coexistence.sql")"
installed="$(psql -d "$DB" -Atqc "select string_agg(name || ' ' || latest_version, ', ' order by name) from ir_module_module where state = 'installed' and name in ('billing_coordinator', ${peers_sql%,}, 'sale', 'account_payment')")"
echo "[coexistence] installed: $installed"
if [ -n "$clashes" ]; then
  echo "[coexistence] clashes with the peers:"
  echo "$clashes" | sed 's/^/  /'
  exit 1
fi
echo "[coexistence] no menu, field, xmlid, group or report-name clash"
exit $gate
