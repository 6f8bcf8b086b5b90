#!/usr/bin/env bash
# OCA convention checks of .pre-commit-config.yaml, run without pre-commit's repository
# clones: the pinned tools come from the package indexes and are cached under .cache/.
#   tools/check.sh              check a copy of the tree (nothing is changed), report by check
#   tools/check.sh --fix        run the fixers in place (ruff --fix, ruff format, prettier, ...)
#   tools/check.sh ruff pylint  only these checks (names as printed)
#   tools/check.sh --ci         CI (.ci/run): as the first form, plus the first findings of
#                               each failing check and a one-line summary. A second run on
#                               the same machine reuses the tools cached under .cache/.
# Exit status 1 when a check that fails pre-commit fails. Full output: .cache/check.log.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BC_CACHE:-$REPO/.cache}"
LINT="$CACHE/lint-venv"
NODE="$CACHE/node"
mkdir -p "$CACHE"

# Python tools: .cache/lint-venv, rebuilt when tools/requirements-lint.txt changes.
req_hash="$(sha256sum "$REPO/tools/requirements-lint.txt" | cut -c1-16)"
if [ ! -f "$LINT/.req-$req_hash" ]; then
  echo "[check] installing the pinned Python tools into $LINT" >&2
  rm -rf "$LINT"
  python3 -m venv "$LINT"
  "$LINT/bin/pip" install -q --disable-pip-version-check -r "$REPO/tools/requirements-lint.txt" \
    > "$CACHE/lint-venv.log" 2>&1 || { cat "$CACHE/lint-venv.log" >&2; exit 1; }
  touch "$LINT/.req-$req_hash"
fi

# prettier and its XML plugin: .cache/node, at the versions of .pre-commit-config.yaml.
node_pins="$(sed -n 's/^ *- "\(\(@prettier\/plugin-xml\|prettier\)@[^"]*\)"$/\1/p' "$REPO/.pre-commit-config.yaml" | sort | tr '\n' ' ')"
if [ "$(cat "$NODE/.pins" 2>/dev/null)" != "$node_pins" ]; then
  command -v npm >/dev/null || { echo "[check] npm is needed for prettier (apt-get install npm)" >&2; exit 1; }
  echo "[check] installing $node_pins into $NODE" >&2
  rm -rf "$NODE"; mkdir -p "$NODE"
  # shellcheck disable=SC2086
  (cd "$NODE" && npm install --no-audit --no-fund --silent $node_pins)
  echo "$node_pins" > "$NODE/.pins"
fi

# oca-gen-addon-readme (OCA maintainer-tools) is not on the package index. With
# OCA_MAINTAINER_TOOLS set to a checkout of it at the rev of .pre-commit-config.yaml (or to
# git+https://github.com/OCA/maintainer-tools@<rev> where GitHub is in reach), it is
# installed into the venv as well, with pandoc from pypandoc_binary; else that hook is
# reported as not run.
if [ -n "${OCA_MAINTAINER_TOOLS:-}" ] && [ ! -x "$LINT/bin/oca-gen-addon-readme" ]; then
  echo "[check] installing OCA maintainer-tools from $OCA_MAINTAINER_TOOLS" >&2
  SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0 "$LINT/bin/pip" install -q --disable-pip-version-check \
    "$OCA_MAINTAINER_TOOLS" pypandoc_binary==1.17 >> "$CACHE/lint-venv.log" 2>&1 \
    || { tail -20 "$CACHE/lint-venv.log" >&2; exit 1; }
fi

export PATH="$LINT/bin:$NODE/node_modules/.bin:$PATH"
export NODE_PATH="$NODE/node_modules"  # prettier.config.cjs resolves the XML plugin there
exec "$LINT/bin/python" "$REPO/tools/check.py" "$@"
