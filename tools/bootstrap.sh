#!/usr/bin/env bash
# Bootstrap: Odoo 19 source, system packages, Python venv, PostgreSQL.
# Idempotent: a second run only checks markers (a few seconds).
#
# Environment:
#   ODOO_SRC       an Odoo 19 source tree of your own (a git checkout with odoo/ and
#                  addons/, or a dist-packages dir holding odoo/): used instead of Debian's.
#   ODOO_DEB_VERSION  pin Debian's odoo-19 package version (e.g. 19.0.0+dfsg-1).
#   BC_CACHE       cache folder (default: <repo>/.cache).
# Writes $BC_CACHE/env.sh, sourced by tools/dev.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BC_CACHE:-$REPO/.cache}"
mkdir -p "$CACHE"
log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# --- 1. System packages ----------------------------------------------------------
SYSTEM_PACKAGES=(
  libjs-jquery libjs-underscore libjs-jquery-form fonts-font-awesome
  fonts-roboto-unhinted fonts-inconsolata fonts-ocr-b
  chromium wkhtmltopdf poppler-utils libmagic1 libpq5
)
# A stock Debian python3 needs python3-venv for "python3 -m venv"; psql/dropdb come from
# postgresql-client.
python3 -c 'import ensurepip' 2>/dev/null || SYSTEM_PACKAGES+=(python3-venv)
command -v psql >/dev/null || SYSTEM_PACKAGES+=(postgresql-client)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. Odoo 19 source -----------------------------------------------------------
if [ -n "${ODOO_SRC:-}" ]; then
  [ -f "$ODOO_SRC/odoo/release.py" ] || die "ODOO_SRC=$ODOO_SRC has no odoo/release.py"
  grep -q "version_info = (19" "$ODOO_SRC/odoo/release.py" || die "ODOO_SRC is not Odoo 19"
  ODOO_PYROOT="$(cd "$ODOO_SRC" && pwd)"
  ADDONS_PATH="$ODOO_PYROOT/odoo/addons"
  [ -d "$ODOO_PYROOT/addons" ] && ADDONS_PATH="$ODOO_PYROOT/addons,$ADDONS_PATH"
  log "using Odoo source at $ODOO_PYROOT"
else
  ROOT="$CACHE/odoo-root"
  ODOO_PYROOT="$ROOT/usr/lib/python3/dist-packages"
  ADDONS_PATH="$ODOO_PYROOT/odoo/addons"
  pin="${ODOO_DEB_VERSION:+=$ODOO_DEB_VERSION}"
  marker="$CACHE/odoo-root.done"
  if [ ! -f "$marker" ] || [ "$(cat "$marker")" != "odoo-19$pin" ]; then
    APT="$CACHE/apt"
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs"
    # The Debian mirror the system already uses (deb822 .sources first, then sources.list);
    # no registry host is written into the repository.
    mirror="$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | tr ' ' '\n' | grep -v -- '-security' | head -1)"
    [ -n "$mirror" ] || mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | head -1)"
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} sid main" \
      > "$APT/sources.list"
    APT_OPTS=(-oDir::Etc::SourceList="$APT/sources.list" -oDir::Etc::SourceParts=/dev/null
      -oDir::State::Lists="$APT/lists" -oDir::Cache="$APT/cache" -oAPT::Sandbox::User=root
      -oDebug::NoLocking=1)
    log "downloading Debian sid odoo-19$pin (private apt state in $APT)"
    apt-get "${APT_OPTS[@]}" update -qq
    rm -f "$APT/debs/"*.deb
    (cd "$APT/debs" && apt-get "${APT_OPTS[@]}" download "odoo-19$pin" fonts-montserrat -qq)
    rm -rf "$ROOT"; mkdir -p "$ROOT"
    for deb in "$APT/debs/"*.deb; do dpkg -x "$deb" "$ROOT"; done
    echo "odoo-19$pin" > "$marker"
    rm -f "$CACHE/odoo-root.repaired"
  fi
  if [ ! -f "$CACHE/odoo-root.repaired" ]; then
    log "repairing the unpacked tree"
    # Debian's symlinks point into /usr/share of the unpacked root; fonts-montserrat was
    # unpacked there too, the others come from the system packages installed above.
    while IFS= read -r link; do
      target="$(readlink "$link")"
      abs="$(realpath -m "$(dirname "$link")/$target")"
      sys="/${abs#"$ROOT"/}"
      if [ -e "$sys" ]; then
        ln -sfn "$sys" "$link"
      else
        log "warning: dangling link $link -> $target"
      fi
    done < <(find "$ROOT" -xtype l)
    # Debian removed this file; the web client's asset bundle references it.
    selfie="$ADDONS_PATH/mail/static/lib/selfie_segmentation/selfie_segmentation.js"
    mkdir -p "$(dirname "$selfie")"
    [ -f "$selfie" ] || echo "/* removed by Debian (non-free); stub for the asset bundle */" > "$selfie"
    [ -z "$(find "$ROOT" -xtype l -print -quit)" ] || die "dangling symlinks remain in $ROOT"
    touch "$CACHE/odoo-root.repaired"
  fi
fi

# --- 3. Python venv --------------------------------------------------------------
VENV="$CACHE/venv"
req_hash="$(cat "$REPO/requirements.txt" "$REPO/requirements-oca.txt" | sha256sum | cut -c1-16)"
if [ ! -f "$VENV/.req-$req_hash" ]; then
  log "building the venv in $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO/requirements.txt"
  # OCA wheels declare a dependency on the odoo package, which is not on PyPI.
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$REPO/requirements-oca.txt"
  rm -f "$VENV"/.req-*; touch "$VENV/.req-$req_hash"
fi
OCA_ADDONS="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/odoo/addons"

# --- 4. PostgreSQL ---------------------------------------------------------------
if ! psql -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  if ls /etc/postgresql >/dev/null 2>&1 && [ -n "$(ls /etc/postgresql)" ]; then
    log "starting PostgreSQL"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    sleep 2
  fi
  psql -d postgres -Atqc 'select 1' >/dev/null 2>&1 || die "no PostgreSQL server reachable on the unix socket as role $(id -un). Install and start PostgreSQL (apt-get install postgresql) and create a superuser role named $(id -un)."
fi

cat > "$CACHE/env.sh" <<ENV
export ODOO_PYROOT="$ODOO_PYROOT"
export ADDONS_PATH="$REPO,$ADDONS_PATH,$OCA_ADDONS"
export VENV="$VENV"
export PYTHONPATH="$ODOO_PYROOT\${PYTHONPATH:+:\$PYTHONPATH}"
ENV
log "ready (Odoo at $ODOO_PYROOT)"
