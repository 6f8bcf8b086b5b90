"""Run the hooks of .pre-commit-config.yaml with the tools of .cache/lint-venv and node.

Called by tools/check.sh (which installs the tools). Without ``--fix`` every hook runs
on a copy of the tree, so fixers only report what they would change. Prints one line
per check (``ok`` or the number of findings, with a breakdown by message), the findings
in ``.cache/check.log``, and exits 1 when a check that fails pre-commit fails.
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
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
    # oca-checks-*: path[:line]: check-name message
    "oca": re.compile(r"^\S+?:(?:\d+:)? ([a-z0-9-]+) "),
}


class Report:
    def __init__(self, log, show=0):
        self.log = log
        self.show = show  # findings printed under a failing check (--ci)
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
        if blocking and findings and self.show:
            for _kind, line in findings[: self.show]:
                print(f"    {line}", flush=True)
            if len(findings) > self.show:
                print(f"    ... {len(findings) - self.show} more", flush=True)


def load_config():
    with open(REPO / ".pre-commit-config.yaml", encoding="utf-8") as f:
        return YAML(typ="safe").load(f)


def check_pins(config):
    """The hook repositories' revs are the versions of tools/requirements-lint.txt."""
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


def parse(out, pattern, code):
    """(message, line) of each finding in a tool's output; its output on a crash."""
    findings = []
    for line in out:
        match = pattern.match(line)
        if match:
            findings.append((match.group(1), line))
    if code and not findings:
        findings = [("error", line) for line in out if line.strip()]
    return findings


class Checker:
    """The hooks of the config, one method each, on the files of ``root``."""

    def __init__(self, config, files, root, report, fix, ci=False):
        self.config, self.files, self.root = config, files, root
        self.report, self.fix, self.ci = report, fix, ci

    def hook(self, hook_id):
        for repo in self.config["repos"]:
            for hook in repo["hooks"]:
                if hook["id"] == hook_id:
                    return hook
        return {}

    def targets(self, hook_id, kind):
        return select(self.files, kind, self.root, self.hook(hook_id).get("exclude"))

    def check_local(self):
        for hook_id in ("forbidden-files", "en-po-files", "obsolete dotfiles"):
            pattern = self.hook(hook_id)["files"]
            bad = [("file", path) for path in self.files if re.search(pattern, path)]
            self.report.add(f"local:{hook_id}", bad)

    def check_whool_init(self):
        before = snapshot(self.files, self.root)
        run(["whool", "init"], self.root)
        new = [p for p in [f"{ADDON}/pyproject.toml"] if p not in before]
        findings = [("file", p) for p in new + changed(before, self.root)]
        self.report.add("whool-init", findings)

    def check_oca_gen_addon_readme(self):
        tool = shutil.which("oca-gen-addon-readme")
        if not tool:
            note = (
                "not run: OCA maintainer-tools is not on the package index; install "
                "it at the rev of .pre-commit-config.yaml into .cache/lint-venv"
            )
            self.report.add("oca-gen-addon-readme", [], note=note)
            return
        before = snapshot(self.files, self.root)
        code, out = run([tool, *self.hook("oca-gen-addon-readme")["args"]], self.root)
        findings = [("changed", p) for p in changed(before, self.root)]
        findings += [("error", line) for line in out] if code else []
        self.report.add("oca-gen-addon-readme", findings)

    def check_oca_checks_odoo_module(self):
        manifests = [p for p in self.files if p.endswith("__manifest__.py")]
        cmd = ["oca-checks-odoo-module", *manifests]
        code, out = run(cmd, self.root)
        findings = parse(out, MESSAGE_PATTERNS["oca"], code)
        self.report.add("oca-checks-odoo-module", findings)

    def check_oca_checks_po(self):
        args = self.hook("oca-checks-po").get("args", [])
        pos = self.targets("oca-checks-po", r"\.pot?$")
        code, out = run(["oca-checks-po", *args, *pos], self.root)
        self.report.add("oca-checks-po", parse(out, MESSAGE_PATTERNS["oca"], code))

    def check_prettier(self):
        hook = self.hook("prettier")
        targets = self.targets("prettier", hook["files"])
        cmd = ["prettier", "--write", "--list-different", "--ignore-unknown", *targets]
        _code, out = run(cmd, self.root)
        findings = [
            (Path(line).suffix.lstrip(".") or "file", line) for line in out if line
        ]
        self.report.add("prettier", findings)

    def check_pre_commit_hooks(self):
        for hook_id, (script, kind) in PRE_COMMIT_HOOKS.items():
            targets = self.targets(hook_id, kind)
            findings = []
            if targets:
                before = snapshot(targets, self.root)
                args = self.hook(hook_id).get("args", [])
                code, out = run([script, *args, *targets], self.root)
                findings = [("changed", p) for p in changed(before, self.root)]
                if code and not findings:
                    findings = [("error", line) for line in out if line.strip()]
            self.report.add(f"pre-commit-hooks:{hook_id}", findings)

    def check_ruff(self):
        py_files = self.targets("ruff", r"\.py$")
        cmd = ["ruff", "check", "--no-fix", "--output-format=concise", *py_files]
        code, out = run(cmd, self.root)
        self.report.add("ruff", parse(out, MESSAGE_PATTERNS["ruff"], code))
        if self.fix:
            run(["ruff", "check", "--fix", *py_files], self.root)
        cmd = ["ruff", "format"] + ([] if self.fix else ["--check"])
        _code, out = run([*cmd, *self.targets("ruff-format", r"\.py$")], self.root)
        findings = [("would reformat", line) for line in out if "reformat" in line]
        self.report.add("ruff-format", findings)

    def check_pylint(self):
        py_files = self.targets("pylint_odoo", r"\.py$")
        template = "{path}:{line}: [{msg_id}({symbol}), {obj}] {msg}"
        for name, rc, blocking in (
            ("pylint-odoo:mandatory", ".pylintrc-mandatory", True),
            ("pylint-odoo:optional", ".pylintrc", False),
        ):
            if not blocking and self.ci:
                # --ci: the informative run cannot fail the build; it would double the
                # time of the slowest check.
                self.report.add(name, [], blocking=False, note="not run in --ci")
                continue
            cmd = ["pylint", f"--rcfile={rc}", "--output-format=text"]
            cmd += [f"--msg-template={template}", *py_files]
            code, out = run(cmd, self.root)
            findings = parse(out, MESSAGE_PATTERNS["pylint"], code if blocking else 0)
            self.report.add(name, findings, blocking=blocking)


CHECKS = {
    "local": Checker.check_local,
    "whool-init": Checker.check_whool_init,
    "oca-gen-addon-readme": Checker.check_oca_gen_addon_readme,
    "oca-checks-odoo-module": Checker.check_oca_checks_odoo_module,
    "oca-checks-po": Checker.check_oca_checks_po,
    "prettier": Checker.check_prettier,
    "pre-commit-hooks": Checker.check_pre_commit_hooks,
    "ruff": Checker.check_ruff,
    "pylint": Checker.check_pylint,
}


def copy_tree(files):
    """A throwaway copy of the checked files (and the tools' settings), under git."""
    root = Path(tempfile.mkdtemp(prefix="bc-check-"))
    settings = [".pylintrc", ".pylintrc-mandatory", ".ruff.toml", "prettier.config.cjs"]
    for path in [*files, *settings]:
        if (REPO / path).exists() or (REPO / path).is_symlink():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / path, root / path, follow_symlinks=False)
    # check-case-conflict and check-merge-conflict ask git about the tree.
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fix", action="store_true", help="run the fixers in place")
    parser.add_argument(
        "--ci",
        action="store_true",
        help="CI: every check on a copy, the first findings of a failing one, a summary",
    )
    parser.add_argument("only", nargs="*", choices=[[], *CHECKS], help="checks to run")
    args = parser.parse_args()
    if args.ci and args.fix:
        parser.error("--ci checks a copy; it does not fix")
    started = time.monotonic()
    config = load_config()
    pin_problems = check_pins(config)
    if pin_problems:
        print("\n".join(pin_problems))
        return 1
    files = tracked_files(config)
    root = REPO if args.fix else copy_tree(files)
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        with open(CACHE / "check.log", "w", encoding="utf-8") as log:
            report = Report(log, show=20 if args.ci else 0)
            checker = Checker(config, files, root, report, args.fix, args.ci)
            for name, method in CHECKS.items():
                if not args.only or name in args.only:
                    method(checker)
    finally:
        if root != REPO:
            shutil.rmtree(root, ignore_errors=True)
    print(f"findings in {CACHE / 'check.log'}")
    if args.ci:
        print(
            f"checks: {len(report.rows) - len(report.failed)} ok, "
            f"{len(report.failed)} failed in {time.monotonic() - started:.0f} s"
        )
    if report.failed:
        print(f"failed: {', '.join(report.failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
