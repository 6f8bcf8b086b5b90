"""Static safety of the sources of both modules (issue 10, section 6).

Each check is a small function over the text of one file that returns its offenders as
``(line, reason)``; the test runs it over every file of ``billing_coordinator`` and
``billing_coordinator_sale`` (tests excluded where the rule is about production code),
and a self-test feeds it a planted offending snippet and a clean one, so a check that
stopped finding anything would fail too.

- SQL is never built by string formatting: the query argument of ``execute``,
  ``execute_query`` and ``SQL`` is not an f-string, ``%``-formatted, ``.format()``-ed or
  concatenated text (nor a local variable built that way);
- QWeb and OWL templates use ``t-out`` (``t-esc`` is deprecated, ``t-raw`` is gone);
- every ``.sudo()`` has a comment (saying why) on the lines of its statement or the line
  just above it (for ``if``/``for``/``with``: on the header or the line above it);
- no ``.commit()`` in module code (crons commit through ``ir.cron._commit_progress``);
- XLSX cells are written only through ``reports/xlsx_safe.py`` (the formula-injection
  guard): no xlsxwriter cell method called on a worksheet elsewhere, and every XLSX report
  inherits ``billing.xlsx.mixin``.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

from odoo.modules.module import get_module_path
from odoo.tests.common import BaseCase, tagged

MODULES = ("billing_coordinator", "billing_coordinator_sale")
SQL_CALLS = {"execute", "execute_query", "SQL"}
XLSX_CELL_METHODS = {
    "write",
    "write_row",
    "write_column",
    "write_string",
    "write_number",
    "write_formula",
    "write_blank",
    "write_boolean",
    "write_datetime",
    "write_rich_string",
    "write_url",
    "write_array_formula",
    "write_dynamic_array_formula",
}
# The guard itself, and the list view's XLSX export override that routes text through it.
XLSX_GUARD_FILES = {"reports/xlsx_safe.py", "controllers/export.py"}


# ------------------------------------------------------------------------- the scans


def _is_formatted_text(node, assigned=None):
    """True when ``node`` builds text by formatting: an f-string with placeholders,
    ``"..." % x``, ``"...".format()``, ``"..." + x``, or a name assigned such text."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(value, ast.FormattedValue) for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        if isinstance(node.op, ast.Mod):
            return (
                isinstance(node.left, (ast.Constant, ast.JoinedStr))
                and isinstance(getattr(node.left, "value", ""), str)
                or _is_formatted_text(node.left, assigned)
            )
        sides = (node.left, node.right)
        return any(
            (isinstance(side, ast.Constant) and isinstance(side.value, str))
            or isinstance(side, ast.JoinedStr)
            or _is_formatted_text(side, assigned)
            for side in sides
        )
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, (ast.Constant, ast.JoinedStr))
    ):
        return True
    if isinstance(node, ast.Name) and assigned is not None:
        return any(_is_formatted_text(value) for value in assigned.get(node.id, ()))
    return False


def _local_assignments(function):
    assigned = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            assigned.setdefault(node.target.id, []).append(
                ast.BinOp(left=ast.Constant(""), op=node.op, right=node.value)
            )
    return assigned


def scan_sql_formatting(source):
    """Query arguments built by string formatting."""
    tree = ast.parse(source)
    offenders = []
    scopes = [tree] + [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    seen = set()
    for scope in scopes:
        assigned = _local_assignments(scope) if scope is not tree else {}
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call) or not node.args or id(node) in seen:
                continue
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else getattr(func, "id", None)
            )
            if name not in SQL_CALLS:
                continue
            if _is_formatted_text(node.args[0], assigned):
                seen.add(id(node))
                offenders.append(
                    (node.lineno, f"{name}() with a query built by formatting")
                )
    return offenders


def scan_t_esc(source):
    """``t-esc``/``t-raw`` attributes in a QWeb or OWL template."""
    return [
        (source.count("\n", 0, match.start()) + 1, f"{match.group(1)} instead of t-out")
        for match in re.finditer(r"\s(t-esc|t-raw)\s*=", source)
    ]


def _is_sudo_call(node):
    """``x.sudo()`` or ``x.sudo(True)``; ``x.sudo(False)`` drops the superuser."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "sudo"
    ):
        return False
    flag = node.args[0] if node.args else None
    return not (isinstance(flag, ast.Constant) and flag.value is False)


def scan_sudo_comments(source):
    """``.sudo()`` calls without a comment on the lines of their statement or the line
    just above it."""
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    tree = ast.parse(source)
    offenders = []
    for statement in ast.walk(tree):
        if not isinstance(statement, ast.stmt) or isinstance(
            statement,
            (
                ast.FunctionDef,
                ast.AsyncFunctionDef,
                ast.ClassDef,
                ast.If,
                ast.For,
                ast.While,
                ast.With,
                ast.Try,
            ),
        ):
            continue
        for node in ast.walk(statement):
            if not _is_sudo_call(node):
                continue
            line = node.func.end_lineno
            allowed = set(
                range(min(line, statement.lineno) - 1, statement.end_lineno + 1)
            )
            if not allowed & comments:
                offenders.append((line, "sudo() without a comment saying why"))
    # compound statements (if/for/with headers): their test/iter expressions
    for statement in ast.walk(tree):
        headers = []
        if isinstance(statement, (ast.If, ast.While)):
            headers = [statement.test]
        elif isinstance(statement, ast.For):
            headers = [statement.iter]
        elif isinstance(statement, ast.With):
            headers = [item.context_expr for item in statement.items]
        for header in headers:
            for node in ast.walk(header):
                if _is_sudo_call(node):
                    line = node.func.end_lineno
                    allowed = set(range(statement.lineno - 1, header.end_lineno + 1))
                    if not allowed & comments:
                        offenders.append((line, "sudo() without a comment saying why"))
    return sorted(set(offenders))


def scan_commit(source):
    """``.commit()`` calls (crons commit through ``ir.cron._commit_progress``)."""
    tree = ast.parse(source)
    return [
        (node.lineno, "commit() in module code")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def scan_xlsx_cells(source):
    """Cells written on an xlsxwriter worksheet directly (not through SafeXlsxWriter),
    and XLSX reports that do not inherit ``billing.xlsx.mixin``."""
    tree = ast.parse(source)
    offenders = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        sheets = {
            arg.arg
            for arg in function.args.args
            if arg.arg in ("sheet", "worksheet") or arg.arg.endswith("_sheet")
        }
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr in ("add_worksheet", "get_worksheet_by_name")
            ):
                sheets |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in sheets
                and node.func.attr in XLSX_CELL_METHODS
            ):
                offenders.append(
                    (node.lineno, f"worksheet.{node.func.attr}() bypasses xlsx_safe")
                )
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        values = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1:
                target = item.targets[0]
                if isinstance(target, ast.Name) and isinstance(
                    item.value, ast.Constant
                ):
                    values[target.id] = item.value.value
        if (
            values.get("_inherit") == "report.report_xlsx.abstract"
            and values.get("_name") != "billing.xlsx.mixin"
        ):
            offenders.append(
                (node.lineno, "XLSX report not based on billing.xlsx.mixin")
            )
    return offenders


# ------------------------------------------------------------------------- the test


def _module_files(suffixes, include_tests=False):
    for module in MODULES:
        root = Path(get_module_path(module))
        for path in sorted(root.rglob("*")):
            if path.suffix not in suffixes or not path.is_file():
                continue
            relative = path.relative_to(root)
            if not include_tests and relative.parts[0] == "tests":
                continue
            if "lib" in relative.parts:
                continue
            yield f"{module}/{relative.as_posix()}", path.read_text(encoding="utf-8")


@tagged("post_install", "-at_install")
class TestStaticSafety(BaseCase):
    def _offenders(self, scan, suffixes, include_tests=False, skip=()):
        found = {}
        for name, source in _module_files(suffixes, include_tests):
            if name.split("/", 1)[1] in skip:
                continue
            hits = scan(source)
            if hits:
                found[name] = hits
        return found

    def _format(self, found):
        return "\n".join(
            f"{name}:{line}: {reason}"
            for name, hits in found.items()
            for line, reason in hits
        )

    def test_no_sql_by_string_formatting(self):
        found = self._offenders(scan_sql_formatting, {".py"}, include_tests=True)
        self.assertFalse(
            found, "SQL built by string formatting:\n" + self._format(found)
        )

    def test_templates_use_t_out(self):
        found = self._offenders(scan_t_esc, {".xml", ".js"}, include_tests=True)
        self.assertFalse(found, "Templates with t-esc/t-raw:\n" + self._format(found))

    def test_every_sudo_has_a_comment(self):
        found = self._offenders(scan_sudo_comments, {".py"})
        self.assertFalse(found, "sudo() without a comment:\n" + self._format(found))

    def test_no_commit_in_module_code(self):
        found = self._offenders(scan_commit, {".py"})
        self.assertFalse(found, "commit() in module code:\n" + self._format(found))

    def test_xlsx_cells_go_through_the_guard(self):
        found = self._offenders(scan_xlsx_cells, {".py"}, skip=XLSX_GUARD_FILES)
        self.assertFalse(
            found, "XLSX cells written around xlsx_safe:\n" + self._format(found)
        )
        # The guard is really used: both XLSX reports build their writer from it.
        sources = dict(_module_files({".py"}))
        for name in (
            "billing_coordinator/reports/billing_aging_xlsx.py",
            "billing_coordinator/reports/billing_case_register_xlsx.py",
        ):
            self.assertIn('_inherit = "billing.xlsx.mixin"', sources[name])
            self.assertIn("self._xlsx_writer(workbook)", sources[name])

    def test_the_scans_catch_planted_offenders(self):
        """Each scan finds a planted offending snippet and passes the clean form."""
        planted = {
            scan_sql_formatting: [
                'def f(self, x):\n    self.env.cr.execute(f"SELECT * FROM t WHERE id = {x}")\n',
                'def f(self, x):\n    self.env.cr.execute("SELECT %s" % x)\n',
                'def f(self, x):\n    self.env.cr.execute("SELECT {}".format(x))\n',
                'def f(self, x):\n    self.env.cr.execute("SELECT * FROM " + x)\n',
                'def f(self, x):\n    query = f"DELETE FROM {x}"\n    self.env.cr.execute(query)\n',
                'def f(self, x):\n    self.env.execute_query(SQL(f"SELECT {x}"))\n',
            ],
            scan_t_esc: [
                '<t t-name="x"><span t-esc="record.name"/></t>',
                '<div t-raw="html"/>',
            ],
            scan_sudo_comments: [
                "def f(self):\n    x = 1\n    return self.env['res.partner'].sudo().search([])\n",
                "def f(self):\n    if self.sudo().active:\n        pass\n",
            ],
            scan_commit: ["def f(self):\n    self.env.cr.commit()\n"],
            scan_xlsx_cells: [
                "def f(self, workbook, data):\n    sheet = workbook.add_worksheet('a')\n"
                "    sheet.write(0, 0, data)\n",
                "def f(self, writer, sheet, name):\n    sheet.write_string(1, 0, name)\n",
                "class R(models.AbstractModel):\n    _name = 'report.x.y'\n"
                "    _inherit = 'report.report_xlsx.abstract'\n",
            ],
        }
        clean = {
            scan_sql_formatting: [
                'def f(self, x):\n    self.env.cr.execute(SQL("SELECT 1 WHERE 2 = %s", x))\n',
                'def f(self, t):\n    self.env.execute_query(SQL("TABLE %s", SQL.identifier(t)))\n',
                'def f(self):\n    self.env.cr.execute("SELECT 1")\n',
            ],
            scan_t_esc: ['<t t-name="x"><span t-out="record.name"/></t>'],
            scan_sudo_comments: [
                "def f(self):\n    # sudo: the partner may be in another branch\n"
                "    return self.env['res.partner'].sudo().search([])\n",
                "def f(self):\n    return self.sudo().name  # sudo: read the name only\n",
                "def f(self):\n    return self.sudo(False)\n",
            ],
            scan_commit: [
                "def f(self):\n    self.env['ir.cron']._commit_progress(1)\n"
            ],
            scan_xlsx_cells: [
                "def f(self, workbook, data):\n    writer = self._xlsx_writer(workbook)\n"
                "    sheet = workbook.add_worksheet('a')\n    writer.write(sheet, 0, 0, data)\n",
            ],
        }
        for scan, snippets in planted.items():
            for snippet in snippets:
                with self.subTest(scan=scan.__name__, snippet=snippet):
                    self.assertTrue(scan(snippet), "the scan missed a planted offender")
        for scan, snippets in clean.items():
            for snippet in snippets:
                with self.subTest(scan=scan.__name__, snippet=snippet):
                    self.assertFalse(scan(snippet), "the scan flags clean code")
