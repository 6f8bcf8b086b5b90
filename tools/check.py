"""Run the hooks of .pre-commit-config.yaml with the tools of .cache/lint-venv and .cache/node.

Called by tools/check.sh (which installs the tools). Without ``--fix`` every hook runs on a
copy of the tree, so fixers only report what they would change. Prints one line per check
(``ok`` or the number of findings, with a breakdown by message), the findings in
``.cache/check.log``, and exits 1 when a check that fails pre-commit fails.
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("BC_CACHE") or REPO / ".cache")
ADDON = "billing_coordinator"
# Hook repositories and the package of the same rev on the Python package index.
PYPI_OF_REPO = {
    "https://github.com/astral-sh/ruff-pre-commit": "ruff",
    "https://github.com/OCA/pylint-odoo": "pylint-odoo",
    "https://github.com/OCA/odoo-pre-commit-hooks": "oca-odoo-pre-commit-hooks",
    "https://github.com/pre-commit/pre-commit-hooks": "pre-commit-hooks",
    "https://github.com/sbidoul/whool": "whool",
}
# The console script of each pre-commit-hooks hook, and the files it takes.
PRE_COMMIT_HOOKS = {
    "trailing-whitespace": ("trailing-whitespace-fixer", "text"),
    "end-of-file-fixer": ("end-of-file-fixer", "text"),
    "debug-statements": ("debug-statement-hook", r"\.py$"),
    "check-case-conflict": ("check-case-conflict", "all"),
    "check-docstring-first": ("check-docstring-first", r"\.py$"),
    "check-executables-have-shebangs": (
        "check-executables-have-shebangs",
        "executable",
    ),
    "check-merge-conflict": ("check-merge-conflict", "text"),
    "check-symlinks": ("check-symlinks", "symlink"),
    "check-xml": ("check-xml", r"\.xml$"),
    "mixed-line-ending": ("mixed-line-ending", "text"),
}
MESSAGE_PATTERNS = {
    # ruff concise output: path:line:col: CODE message
    "ruff": re.compile(r"^\S+:\d+:\d+: ([A-Z]+\d+) "),
    # pylint msg-template of the rc files: path:line: [C8107(symbol), obj] ...
    "pylint": re.compile(r"^\S+:\d+: \[\w+\(([\w-]+)\)"),
    # oca-checks-*: path:line message (check-name)
    "oca": re.compile(r"\[([\w-]+)\]\s*$|\(([\w-]+)\)\s*$"),
}


class Report:
    def __init__(self, log):
        self.log = log
        self.failed = []
        self.rows = []

    def add(self, name, findings, blocking=True, note=""):
        """findings: list of (message kind, text line)."""
        kinds = collections.Counter(kind for kind, _line in findings)
        if findings:
            breakdown = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
            status = f"{len(findings)} finding(s): {breakdown}"
            if blocking:
                self.failed.append(name)
            else:
                status += " (informative)"
        else:
            status = "ok"
        if note:
            status += f" [{note}]"
        self.rows.append((name, status))
        print(f"{name:32} {status}", flush=True)
        self.log.write(f"== {name}: {status}\n")
        for _kind, line in findings:
            self.log.write(f"{line}\n")


def load_config():
    with open(REPO / ".pre-commit-config.yaml", encoding="utf-8") as f:
        return YAML(typ="safe").load(f)


def check_pins(config):
    """The revs of the hook repositories are the versions of tools/requirements-lint.txt."""
    pinned = {}
    for line in (REPO / "tools" / "requirements-lint.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name.strip().lower()] = version.strip()
    problems = []
    for repo in config["repos"]:
        package = PYPI_OF_REPO.get(repo["repo"])
        if package and pinned.get(package) != repo["rev"].lstrip("v"):
            problems.append(
                f"{repo['repo']} rev {repo['rev']} but requirements-lint.txt pins "
                f"{package}=={pinned.get(package)}"
            )
    return problems


def tracked_files(config):
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    exclude = re.compile(config.get("exclude", "^$"))
    return sorted(
        path
        for path in set(out.split("\0"))
        if path and (REPO / path).exists() and not exclude.search(path)
    )


def is_text(path):
    with open(path, "rb") as f:
        return b"\0" not in f.read(8192)


def select(files, kind, root, exclude=None):
    exclude = re.compile(exclude) if exclude else None
    chosen = []
    for path in files:
        if exclude and exclude.search(path):
            continue
        full = root / path
        if kind == "all":
            ok = True
        elif kind == "symlink":
            ok = full.is_symlink()
        elif kind == "text":
            ok = not full.is_symlink() and is_text(full)
        elif kind == "executable":
            ok = not full.is_symlink() and os.access(full, os.X_OK) and is_text(full)
        else:
            ok = re.search(kind, path) is not None
        if ok:
            chosen.append(path)
    return chosen


def run(cmd, root):
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).splitlines()


def snapshot(files, root):
    return {
        path: (root / path).read_bytes() for path in files if (root / path).is_file()
    }


def changed(before, root):
    return [
        path
        for path, data in before.items()
        if not (root / path).exists() or (root / path).read_bytes() != data
    ]


def hook_args(config, hook_id):
    for repo in config["repos"]:
        for hook in repo["hooks"]:
            if hook["id"] == hook_id:
                return hook
    return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fix", action="store_true", help="run the fixers in place")
    parser.add_argument("only", nargs="*", help="names of the checks to run")
    args = parser.parse_args()
    config = load_config()
    pin_problems = check_pins(config)
    if pin_problems:
        print("\n".join(pin_problems))
        return 1
    files = tracked_files(config)
    tmp = None
    if args.fix:
        root = REPO
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bc-check-"))
        root = tmp / "tree"
        for path in files:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / path, root / path, follow_symlinks=False)
        for rc in (
            ".pylintrc",
            ".pylintrc-mandatory",
            ".ruff.toml",
            "prettier.config.cjs",
        ):
            if (REPO / rc).exists():
                shutil.copy2(REPO / rc, root / rc)
        # check-case-conflict and check-merge-conflict ask git about the tree.
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    wanted = set(args.only)

    def want(name):
        return not wanted or name in wanted or name.split(":")[0] in wanted

    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "check.log", "w", encoding="utf-8") as log:
        report = Report(log)

        if want("local"):
            for hook in (
                hook_args(config, "forbidden-files"),
                hook_args(config, "en-po-files"),
                hook_args(config, "obsolete dotfiles"),
            ):
                bad = [("file", p) for p in files if re.search(hook["files"], p)]
                report.add(f"local:{hook['id']}", bad)

        if want("whool-init"):
            before = snapshot(files, root)
            run(["whool", "init"], root)
            new = [p for p in [f"{ADDON}/pyproject.toml"] if p not in before]
            report.add("whool-init", [("file", p) for p in new + changed(before, root)])

        if want("oca-gen-addon-readme"):
            tool = shutil.which("oca-gen-addon-readme")
            if tool:
                hook = hook_args(config, "oca-gen-addon-readme")
                before = snapshot(files, root)
                code, out = run([tool, *hook["args"]], root)
                findings = [("changed", p) for p in changed(before, root)]
                findings += [("error", line) for line in out] if code else []
                report.add("oca-gen-addon-readme", findings)
            else:
                report.add(
                    "oca-gen-addon-readme",
                    [],
                    note=(
                        "not run: OCA maintainer-tools is not on the package index; "
                        "pip install it from the rev of .pre-commit-config.yaml into .cache/lint-venv"
                    ),
                )

        if want("oca-checks-odoo-module"):
            manifests = [p for p in files if p.endswith("__manifest__.py")]
            code, out = run(
                ["oca-checks-odoo-module", "--no-verbose", *manifests], root
            )
            out = [line for line in out if line.strip()]
            findings = []
            for line in out:
                match = MESSAGE_PATTERNS["oca"].search(line)
                if match:
                    findings.append((match.group(1) or match.group(2), line))
            if code and not findings:
                findings = [("error", line) for line in out]
            report.add("oca-checks-odoo-module", findings)

        if want("oca-checks-po"):
            hook = hook_args(config, "oca-checks-po")
            pos = select(files, r"\.pot?$", root)
            code, out = run(
                ["oca-checks-po", "--no-verbose", *hook.get("args", []), *pos], root
            )
            findings = []
            for line in (line for line in out if line.strip()):
                match = MESSAGE_PATTERNS["oca"].search(line)
                if match:
                    findings.append((match.group(1) or match.group(2), line))
            if code and not findings:
                findings = [("error", line) for line in out]
            report.add("oca-checks-po", findings)

        if want("prettier"):
            hook = hook_args(config, "prettier")
            targets = select(files, hook["files"], root, hook.get("exclude"))
            code, out = run(
                [
                    "prettier",
                    "--write",
                    "--list-different",
                    "--ignore-unknown",
                    *targets,
                ],
                root,
            )
            findings = [
                (Path(line).suffix.lstrip(".") or "file", line)
                for line in out
                if line.strip()
            ]
            report.add("prettier", findings)

        for hook_id, (script, kind) in PRE_COMMIT_HOOKS.items():
            if not want(f"pre-commit-hooks:{hook_id}") and not want("pre-commit-hooks"):
                continue
            hook = hook_args(config, hook_id)
            targets = select(files, kind, root, hook.get("exclude"))
            if not targets:
                report.add(f"pre-commit-hooks:{hook_id}", [])
                continue
            before = snapshot(targets, root)
            code, out = run([script, *hook.get("args", []), *targets], root)
            findings = [("changed", p) for p in changed(before, root)]
            if code and not findings:
                findings = [("error", line) for line in out if line.strip()]
            report.add(f"pre-commit-hooks:{hook_id}", findings)

        def python_files(hook_id):
            return select(
                files, r"\.py$", root, hook_args(config, hook_id).get("exclude")
            )

        py_files = python_files("ruff")
        if want("ruff"):
            code, out = run(
                ["ruff", "check", "--no-fix", "--output-format=concise", *py_files],
                root,
            )
            findings = []
            for line in out:
                match = MESSAGE_PATTERNS["ruff"].match(line)
                if match:
                    findings.append((match.group(1), line))
            if code and not findings:
                findings = [("error", line) for line in out]
            fixable = run(
                ["ruff", "check", "--no-fix", "--statistics", *py_files], root
            )[1]
            log.write("ruff --statistics:\n" + "\n".join(fixable) + "\n")
            report.add("ruff", findings)
            if args.fix:
                run(["ruff", "check", "--fix", *py_files], root)
        if want("ruff-format"):
            cmd = ["ruff", "format"] + ([] if args.fix else ["--check"])
            code, out = run([*cmd, *py_files], root)
            findings = [
                ("would reformat", line)
                for line in out
                if line.startswith("Would reformat")
            ]
            report.add("ruff-format", findings)

        for name, rc, blocking in (
            ("pylint-odoo:mandatory", ".pylintrc-mandatory", True),
            ("pylint-odoo:optional", ".pylintrc", False),
        ):
            if not want(name) and not want("pylint"):
                continue
            code, out = run(
                [
                    "pylint",
                    f"--rcfile={rc}",
                    "--output-format=text",
                    "--msg-template={path}:{line}: [{msg_id}({symbol}), {obj}] {msg}",
                    *python_files("pylint_odoo"),
                ],
                root,
            )
            findings = []
            for line in out:
                match = MESSAGE_PATTERNS["pylint"].match(line)
                if match:
                    findings.append((match.group(1), line))
            if code and not findings and blocking:
                findings = [("error", line) for line in out]
            report.add(name, findings, blocking=blocking)

    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"findings in {CACHE / 'check.log'}")
    if report.failed:
        print(f"failed: {', '.join(report.failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
