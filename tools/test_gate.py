"""Judge an Odoo test run by its exit code *and* its log.

Odoo's runner exits 0 when a test logged an ERROR yet passed, when the tags matched no
test, when the module was unknown, or when browser tests were skipped. This gate fails
in each of those cases, on any WARNING, ERROR or CRITICAL log line, and prints the closing
line ``N passed, N failed``.
"""

import re
import sys

RESULT = re.compile(
    r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests"
)
# Warnings count too (as in OCA's CI): they announce deprecations and broken data.
LOG_LEVEL = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
SKIPPED = re.compile(r" skipped (\S+)")
FAILED_TEST = re.compile(r"^(FAIL|ERROR): (\S+)", re.M)


def main(log_path, exit_code):
    with open(log_path, encoding="utf-8", errors="replace") as log:
        text = log.read()
    problems = []
    failed = errors = total = 0
    results = RESULT.findall(text)
    if results:
        failed, errors, total = map(int, results[-1])
    else:
        problems.append("no test result line in the log (did the server start?)")
    skipped = SKIPPED.findall(text)
    error_lines = [line for line in text.splitlines() if LOG_LEVEL.match(line)]
    if exit_code:
        problems.append(f"odoo exited with {exit_code}")
    if results and total == 0:
        problems.append("no test ran")
    if skipped:
        problems.append(f"{len(skipped)} skipped test(s): {', '.join(skipped[:5])}")
    if error_lines and not (failed or errors):
        problems.append(
            f"{len(error_lines)} WARNING/ERROR/CRITICAL log line(s) although no test failed"
        )
    for kind, name in FAILED_TEST.findall(text):
        print(f"  {kind}: {name}")
    for line in error_lines[:10]:
        print(f"  log: {line[:300]}")
    bad = failed + errors
    if problems:
        print("test gate: " + "; ".join(problems))
        bad = max(bad, 1)  # a run the gate refuses counts as one failure at least
    passed = max(total - failed - errors - len(skipped), 0)
    print(f"{passed} passed, {bad} failed")
    return 1 if problems or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
