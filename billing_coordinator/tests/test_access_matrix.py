"""Access matrix (issue 10, part 1): who may do what on every model and entry point.

How to read the tables below. Each row is one model (or entry point) and one profile; the
cells give the expected outcome of each operation: ``A`` the call goes through, or the
exception the user gets (``AccessError``, ``UserError``). The profiles, built in
``setUpClass``:

========== ==============================================================================
plain      internal user without accounting rights
clerk      invoicing clerk (``account.group_account_invoice``), no billing group
coord_own  coordinator, member of team A: the team of the case under test (``case_a``)
coord_oth  coordinator, member of team B (another team)
leader     coordinator leading team A (not a member of it)
manager    billing manager
portal     portal user
public     the public (website visitor) user
========== ==============================================================================

The target of an operation is a record of team A in the main company (for wizards: one
opened by ``coord_own`` on ``case_a``); ``create`` uses the values in ``_create_vals``.
Every cell runs in a savepoint that is rolled back, so cells do not influence each other.
A new model of the module fails ``test_every_model_is_in_the_matrix`` until it has rows,
a new ``billing.case`` action ``test_every_action_is_in_the_matrix``. Entry points of the
other modules of the repository (the sale bridge) are in ``OPTIONAL_ENTRIES``: their rows
are checked when that module is installed and skipped when only the core is.
"""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.service.model import call_kw
from odoo.tests import tagged

from .common import BillingCaseCommon

A = "allowed"
E = AccessError
U = UserError

PROFILES = (
    "plain",
    "clerk",
    "coord_own",
    "coord_oth",
    "leader",
    "manager",
    "portal",
    "public",
)

# fmt: off
# (model, profile): (read, create, write, unlink)
MODEL_MATRIX = {
    # billing.case: coordinators of team B cannot even create a case for a team A customer
    # (the new case lands in team A, which they cannot see).
    ("billing.case", "plain"):       (E, E, E, E),
    ("billing.case", "clerk"):       (A, E, E, E),
    ("billing.case", "coord_own"):   (A, A, A, A),
    ("billing.case", "coord_oth"):   (E, E, E, E),
    ("billing.case", "leader"):      (A, A, A, A),
    ("billing.case", "manager"):     (A, A, A, A),
    ("billing.case", "portal"):      (E, E, E, E),
    ("billing.case", "public"):      (E, E, E, E),

    ("billing.case.type", "plain"):      (E, E, E, E),
    ("billing.case.type", "clerk"):      (A, E, E, E),
    ("billing.case.type", "coord_own"):  (A, E, E, E),
    ("billing.case.type", "coord_oth"):  (A, E, E, E),
    ("billing.case.type", "leader"):     (A, E, E, E),
    ("billing.case.type", "manager"):    (A, A, A, A),
    ("billing.case.type", "portal"):     (E, E, E, E),
    ("billing.case.type", "public"):     (E, E, E, E),

    ("billing.team", "plain"):      (E, E, E, E),
    ("billing.team", "clerk"):      (A, E, E, E),
    ("billing.team", "coord_own"):  (A, E, E, E),
    ("billing.team", "coord_oth"):  (A, E, E, E),
    ("billing.team", "leader"):     (A, E, E, E),
    ("billing.team", "manager"):    (A, A, A, A),
    ("billing.team", "portal"):     (E, E, E, E),
    ("billing.team", "public"):     (E, E, E, E),

    # Leaders change their team's memberships (capacity, absence), not who is in it.
    ("billing.team.member", "plain"):      (E, E, E, E),
    ("billing.team.member", "clerk"):      (A, E, E, E),
    ("billing.team.member", "coord_own"):  (A, E, E, E),
    ("billing.team.member", "coord_oth"):  (A, E, E, E),
    ("billing.team.member", "leader"):     (A, E, A, E),
    ("billing.team.member", "manager"):    (A, A, A, A),
    ("billing.team.member", "portal"):     (E, E, E, E),
    ("billing.team.member", "public"):     (E, E, E, E),

    ("billing.case.promise", "plain"):      (E, E, E, E),
    ("billing.case.promise", "clerk"):      (A, E, E, E),
    ("billing.case.promise", "coord_own"):  (A, A, A, A),
    ("billing.case.promise", "coord_oth"):  (E, E, E, E),
    ("billing.case.promise", "leader"):     (A, A, A, A),
    ("billing.case.promise", "manager"):    (A, A, A, A),
    ("billing.case.promise", "portal"):     (E, E, E, E),
    ("billing.case.promise", "public"):     (E, E, E, E),

    ("billing.call.outcome", "plain"):      (E, E, E, E),
    ("billing.call.outcome", "clerk"):      (A, E, E, E),
    ("billing.call.outcome", "coord_own"):  (A, E, E, E),
    ("billing.call.outcome", "coord_oth"):  (A, E, E, E),
    ("billing.call.outcome", "leader"):     (A, E, E, E),
    ("billing.call.outcome", "manager"):    (A, A, A, A),
    ("billing.call.outcome", "portal"):     (E, E, E, E),
    ("billing.call.outcome", "public"):     (E, E, E, E),

    # The target call was logged by coord_own: the leader reads it, changes only their own.
    ("billing.case.call", "plain"):      (E, E, E, E),
    ("billing.case.call", "clerk"):      (A, E, E, E),
    ("billing.case.call", "coord_own"):  (A, A, A, E),
    ("billing.case.call", "coord_oth"):  (E, E, E, E),
    ("billing.case.call", "leader"):     (A, A, E, E),
    ("billing.case.call", "manager"):    (A, A, A, A),
    ("billing.case.call", "portal"):     (E, E, E, E),
    ("billing.case.call", "public"):     (E, E, E, E),

    # Wizards belong to whoever opened them: nobody else reads or changes one (it shows
    # the case's customer and amounts through related fields), and nobody opens one on
    # a case they cannot change.
    ("billing.case.resolve", "plain"):      (E, E, E, E),
    ("billing.case.resolve", "clerk"):      (E, E, E, E),
    ("billing.case.resolve", "coord_own"):  (A, A, A, E),
    ("billing.case.resolve", "coord_oth"):  (E, E, E, E),
    ("billing.case.resolve", "leader"):     (E, A, E, E),
    ("billing.case.resolve", "manager"):    (E, A, E, E),
    ("billing.case.resolve", "portal"):     (E, E, E, E),
    ("billing.case.resolve", "public"):     (E, E, E, E),

    ("billing.case.resolve.promise.line", "plain"):      (E, E, E, E),
    ("billing.case.resolve.promise.line", "clerk"):      (E, E, E, E),
    ("billing.case.resolve.promise.line", "coord_own"):  (A, A, A, A),
    ("billing.case.resolve.promise.line", "coord_oth"):  (E, E, E, E),
    ("billing.case.resolve.promise.line", "leader"):     (E, E, E, E),
    ("billing.case.resolve.promise.line", "manager"):    (E, E, E, E),
    ("billing.case.resolve.promise.line", "portal"):     (E, E, E, E),
    ("billing.case.resolve.promise.line", "public"):     (E, E, E, E),

    ("billing.case.cancel", "plain"):      (E, E, E, E),
    ("billing.case.cancel", "clerk"):      (E, E, E, E),
    ("billing.case.cancel", "coord_own"):  (A, A, A, E),
    ("billing.case.cancel", "coord_oth"):  (E, E, E, E),
    ("billing.case.cancel", "leader"):     (E, A, E, E),
    ("billing.case.cancel", "manager"):    (E, A, E, E),
    ("billing.case.cancel", "portal"):     (E, E, E, E),
    ("billing.case.cancel", "public"):     (E, E, E, E),

    ("billing.case.reassign", "plain"):      (E, E, E, E),
    ("billing.case.reassign", "clerk"):      (E, E, E, E),
    ("billing.case.reassign", "coord_own"):  (A, A, A, E),
    ("billing.case.reassign", "coord_oth"):  (E, E, E, E),
    ("billing.case.reassign", "leader"):     (E, A, E, E),
    ("billing.case.reassign", "manager"):    (E, A, E, E),
    ("billing.case.reassign", "portal"):     (E, E, E, E),
    ("billing.case.reassign", "public"):     (E, E, E, E),

    ("billing.case.log.call", "plain"):      (E, E, E, E),
    ("billing.case.log.call", "clerk"):      (E, E, E, E),
    ("billing.case.log.call", "coord_own"):  (A, A, A, E),
    ("billing.case.log.call", "coord_oth"):  (E, E, E, E),
    ("billing.case.log.call", "leader"):     (E, A, E, E),
    ("billing.case.log.call", "manager"):    (E, A, E, E),
    ("billing.case.log.call", "portal"):     (E, E, E, E),
    ("billing.case.log.call", "public"):     (E, E, E, E),

    # Report wizards (aging, statements) and the bulk resolution: their creator only, as
    # the case wizards; unlink is left to the transient vacuum (no unlink right).
    ("billing.aging.report", "plain"):      (E, E, E, E),
    ("billing.aging.report", "clerk"):      (E, A, E, E),
    ("billing.aging.report", "coord_own"):  (A, A, A, E),
    ("billing.aging.report", "coord_oth"):  (E, A, E, E),
    ("billing.aging.report", "leader"):     (E, A, E, E),
    ("billing.aging.report", "manager"):    (E, A, E, E),
    ("billing.aging.report", "portal"):     (E, E, E, E),
    ("billing.aging.report", "public"):     (E, E, E, E),

    ("billing.statement.wizard", "plain"):      (E, E, E, E),
    ("billing.statement.wizard", "clerk"):      (E, A, E, E),
    ("billing.statement.wizard", "coord_own"):  (A, A, A, E),
    ("billing.statement.wizard", "coord_oth"):  (E, A, E, E),
    ("billing.statement.wizard", "leader"):     (E, A, E, E),
    ("billing.statement.wizard", "manager"):    (E, A, E, E),
    ("billing.statement.wizard", "portal"):     (E, E, E, E),
    ("billing.statement.wizard", "public"):     (E, E, E, E),

    # Opened on case_a: coord_oth cannot link a case it cannot read (the ORM checks the
    # records of a many2many).
    ("billing.case.resolve.bulk", "plain"):      (E, E, E, E),
    ("billing.case.resolve.bulk", "clerk"):      (E, E, E, E),
    ("billing.case.resolve.bulk", "coord_own"):  (A, A, A, E),
    ("billing.case.resolve.bulk", "coord_oth"):  (E, E, E, E),
    ("billing.case.resolve.bulk", "leader"):     (E, A, E, E),
    ("billing.case.resolve.bulk", "manager"):    (E, A, E, E),
    ("billing.case.resolve.bulk", "portal"):     (E, E, E, E),
    ("billing.case.resolve.bulk", "public"):     (E, E, E, E),

    # Detection configuration: one record per rule code and company, made by the module
    # (nobody creates or deletes one); managers tune them, coordinators read them.
    ("billing.detection.rule", "plain"):      (E, E, E, E),
    ("billing.detection.rule", "clerk"):      (E, E, E, E),
    ("billing.detection.rule", "coord_own"):  (A, E, E, E),
    ("billing.detection.rule", "coord_oth"):  (A, E, E, E),
    ("billing.detection.rule", "leader"):     (A, E, E, E),
    ("billing.detection.rule", "manager"):    (A, E, A, E),
    ("billing.detection.rule", "portal"):     (E, E, E, E),
    ("billing.detection.rule", "public"):     (E, E, E, E),

    # The run log is written by the detection only; managers may clear it.
    ("billing.detection.run", "plain"):      (E, E, E, E),
    ("billing.detection.run", "clerk"):      (E, E, E, E),
    ("billing.detection.run", "coord_own"):  (A, E, E, E),
    ("billing.detection.run", "coord_oth"):  (A, E, E, E),
    ("billing.detection.run", "leader"):     (A, E, E, E),
    ("billing.detection.run", "manager"):    (A, E, E, A),
    ("billing.detection.run", "portal"):     (E, E, E, E),
    ("billing.detection.run", "public"):     (E, E, E, E),

    ("billing.detection.run.line", "plain"):      (E, E, E, E),
    ("billing.detection.run.line", "clerk"):      (E, E, E, E),
    ("billing.detection.run.line", "coord_own"):  (A, E, E, E),
    ("billing.detection.run.line", "coord_oth"):  (A, E, E, E),
    ("billing.detection.run.line", "leader"):     (A, E, E, E),
    ("billing.detection.run.line", "manager"):    (A, E, E, A),
    ("billing.detection.run.line", "portal"):     (E, E, E, E),
    ("billing.detection.run.line", "public"):     (E, E, E, E),

    # The receivables analysis (SQL view): read-only for everyone. The target is the line
    # of case_a's invoice (a team A customer): not for coordinators of another team;
    # accountants outside the billing groups read every line of their companies.
    ("billing.receivable.line", "plain"):      (E, E, E, E),
    ("billing.receivable.line", "clerk"):      (A, E, E, E),
    ("billing.receivable.line", "coord_own"):  (A, E, E, E),
    ("billing.receivable.line", "coord_oth"):  (E, E, E, E),
    ("billing.receivable.line", "leader"):     (A, E, E, E),
    ("billing.receivable.line", "manager"):    (A, E, E, E),
    ("billing.receivable.line", "portal"):     (E, E, E, E),
    ("billing.receivable.line", "public"):     (E, E, E, E),

    # Month-end snapshots (a draft one as target): billing managers only.
    ("billing.ar.snapshot", "plain"):            (E, E, E, E),
    ("billing.ar.snapshot", "clerk"):            (E, E, E, E),
    ("billing.ar.snapshot", "coord_own"):        (E, E, E, E),
    ("billing.ar.snapshot", "coord_oth"):        (E, E, E, E),
    ("billing.ar.snapshot", "leader"):           (E, E, E, E),
    ("billing.ar.snapshot", "manager"):          (A, A, A, A),
    ("billing.ar.snapshot", "portal"):           (E, E, E, E),
    ("billing.ar.snapshot", "public"):           (E, E, E, E),

    ("billing.ar.snapshot.line", "plain"):       (E, E, E, E),
    ("billing.ar.snapshot.line", "clerk"):       (E, E, E, E),
    ("billing.ar.snapshot.line", "coord_own"):   (E, E, E, E),
    ("billing.ar.snapshot.line", "coord_oth"):   (E, E, E, E),
    ("billing.ar.snapshot.line", "leader"):      (E, E, E, E),
    ("billing.ar.snapshot.line", "manager"):     (A, A, A, A),
    ("billing.ar.snapshot.line", "portal"):      (E, E, E, E),
    ("billing.ar.snapshot.line", "public"):      (E, E, E, E),

    # Stored dashboard aggregates: read by billing users, written by the refresh only.
    ("billing.dashboard.fact", "plain"):         (E, E, E, E),
    ("billing.dashboard.fact", "clerk"):         (E, E, E, E),
    ("billing.dashboard.fact", "coord_own"):     (A, E, E, E),
    ("billing.dashboard.fact", "coord_oth"):     (A, E, E, E),
    ("billing.dashboard.fact", "leader"):        (A, E, E, E),
    ("billing.dashboard.fact", "manager"):       (A, E, E, E),
    ("billing.dashboard.fact", "portal"):        (E, E, E, E),
    ("billing.dashboard.fact", "public"):        (E, E, E, E),

    ("billing.dashboard.change", "plain"):       (E, E, E, E),
    ("billing.dashboard.change", "clerk"):       (E, E, E, E),
    ("billing.dashboard.change", "coord_own"):   (E, E, E, E),
    ("billing.dashboard.change", "coord_oth"):   (E, E, E, E),
    ("billing.dashboard.change", "leader"):      (E, E, E, E),
    ("billing.dashboard.change", "manager"):     (A, E, E, E),
    ("billing.dashboard.change", "portal"):      (E, E, E, E),
    ("billing.dashboard.change", "public"):      (E, E, E, E),
}

# Entry points called as the web client calls them (``call_kw``: RPC, private methods
# refused) on ``case_a`` (team A), prepared in the state each one needs (ENTRY_SETUP).
# Columns: plain, clerk, coord_own, coord_oth, leader, manager, portal, public.
ENTRY_MATRIX = {
    "billing.case.action_start":                   (E, E, A, E, A, A, E, E),
    "billing.case.action_wait_customer":           (E, E, A, E, A, A, E, E),
    "billing.case.action_cancel":                  (E, E, A, E, A, A, E, E),
    "billing.case.action_open_cancel_wizard":      (E, E, A, E, A, A, E, E),
    "billing.case.action_reopen":                  (E, E, A, E, A, A, E, E),
    "billing.case.action_take":                    (E, E, A, E, A, A, E, E),
    "billing.case.action_release":                 (E, E, A, E, A, A, E, E),
    "billing.case.action_open_reassign_wizard":    (E, E, A, E, A, A, E, E),
    "billing.case.action_open_resolve_wizard":     (E, E, A, E, A, A, E, E),
    "billing.case.action_open_log_call_wizard":    (E, E, A, E, A, A, E, E),
    "billing.case.action_send_email":              (E, E, A, E, A, A, E, E),
    "billing.case.action_archive":                 (E, E, A, E, A, A, E, E),
    "billing.case.action_unarchive":               (E, E, A, E, A, A, E, E),
    # mail.activity.mixin: the user's own next to-do on the case (none here: a no-op).
    "billing.case.action_reschedule_my_next_today":    (E, A, A, E, A, A, E, E),
    "billing.case.action_reschedule_my_next_tomorrow": (E, A, A, E, A, A, E, E),
    "billing.case.action_reschedule_my_next_nextweek": (E, A, A, E, A, A, E, E),
    # Read-only navigation: whoever reads the case may open its documents.
    "billing.case.action_view_moves":              (E, A, A, E, A, A, E, E),
    "billing.case.action_view_payments":           (E, A, A, E, A, A, E, E),
    "billing.case.action_view_resolution_moves":   (E, A, A, E, A, A, E, E),
    "billing.case.action_view_calls":              (E, A, A, E, A, A, E, E),
    # Model-level: take-next only hands out cases the user may see (coord_oth: "nothing
    # to take", an answer, not an error); detection is for managers.
    "billing.case.action_take_next":               (E, E, A, A, A, A, E, E),
    "billing.case.action_run_detection":           (E, E, E, E, E, A, E, E),
    # The case summary PDF (rendered to HTML here).
    "report:billing_coordinator.billing_case_report_action": (E, A, A, E, A, A, E, E),
    # Wizards as a user runs them: create on case_a, then the button.
    "billing.case.resolve.action_apply":           (E, E, A, E, A, A, E, E),
    "billing.case.cancel.action_confirm":          (E, E, A, E, A, A, E, E),
    "billing.case.reassign.action_apply":          (E, E, E, E, A, A, E, E),
    "billing.case.log.call.action_confirm":        (E, E, A, E, A, A, E, E),
    # The form's first onchange would show the case's amounts and invoices.
    "onchange:billing.case.resolve":               (E, E, A, E, A, A, E, E),
    # Entry points on other models.
    "account.move.action_report_discrepancy":      (E, E, A, A, A, A, E, E),
    "account.move.action_view_billing_cases":      (E, A, A, A, A, A, E, E),
    "billing.team.action_view_queue":              (E, A, A, A, A, A, E, E),
    "billing.team.action_view_breached_cases":     (E, A, A, A, A, A, E, E),
    "billing.team.member.action_redistribute_cases": (E, E, E, E, A, A, E, E),
    # Reports (PDFs rendered to HTML): on case_a, its customer, or an aging wizard of
    # the user on team A. Coordinators of team B report on other customers only.
    "report:billing_coordinator.billing_case_register_xlsx_action": (E, A, A, E, A, A, E, E),
    "report:billing_coordinator.report_customer_statement_action":  (E, A, A, E, A, A, E, E),
    "report:billing_coordinator.report_aging_summary_action":       (E, A, A, E, A, A, E, E),
    "report:billing_coordinator.aging_xlsx_action":                 (E, A, A, E, A, A, E, E),
    "billing.statement.wizard.action_print":       (E, A, A, E, A, A, E, E),
    "billing.aging.report.action_print_pdf":       (E, A, A, E, A, A, E, E),
    "billing.aging.report.action_print_xlsx":      (E, A, A, E, A, A, E, E),
    "billing.case.resolve.bulk.action_apply":      (E, E, A, E, A, A, E, E),
    # Every accounting user opens the dashboard (coordinators get their own figures:
    # test_dashboard_own_figures).
    "billing.dashboard.get_dashboard_data":        (E, A, A, A, A, A, E, E),
    # The Billing Health page is for managers only.
    "billing.health.get_health_data":              (E, E, E, E, E, A, E, E),
    # Bridge module (billing_coordinator_sale): checked only when it is installed.
    "billing.case.action_view_sale_order":         (E, A, A, E, A, A, E, E),
}
# fmt: on

# Entry points of other modules of the repository, skipped when their module is not installed.
OPTIONAL_ENTRIES = {"billing.case.action_view_sale_order"}

# State of case_a before each entry point (default: new, assigned to coord_own).
ENTRY_SETUP = {
    "billing.case.action_wait_customer": {"state": "in_progress"},
    "billing.case.action_cancel": {"resolution_note": "Duplicate of another case."},
    "billing.case.action_reopen": {"state": "resolved", "resolution_type": "no_action"},
    "billing.case.action_take": {"user_id": False},
    "billing.case.action_unarchive": {"active": False},
}

# Models of the company-isolation check: a record in the second company stays out of
# reach (search and read by id) of every profile of the main company.
COMPANY_MODELS = (
    "billing.detection.rule",
    "billing.detection.run",
    "billing.detection.run.line",
    "billing.case",
    "billing.case.type",
    "billing.team",
    "billing.team.member",
    "billing.case.promise",
    "billing.call.outcome",
    "billing.case.call",
    "billing.ar.snapshot",
    "billing.ar.snapshot.line",
)
COMPANY_PROFILES = ("clerk", "coord_own", "leader", "manager")


@tagged("post_install", "-at_install")
class TestAccessMatrix(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        user_group = ref("billing_coordinator.group_billing_user")
        cls.users = {
            "plain": cls._create_billing_user("m_plain", [ref("base.group_user")]),
            "clerk": cls._create_billing_user(
                "m_clerk", [ref("account.group_account_invoice")]
            ),
            "coord_own": cls._create_billing_user("m_coord_own", [user_group]),
            "coord_oth": cls._create_billing_user("m_coord_oth", [user_group]),
            "leader": cls._create_billing_user("m_leader", [user_group]),
            "manager": cls._create_billing_user(
                "m_manager", [ref("billing_coordinator.group_billing_manager")]
            ),
            "portal": cls._create_billing_user("m_portal", [ref("base.group_portal")]),
            "public": ref("base.public_user"),
        }
        cls.team_a = cls.env["billing.team"].create(
            {
                "name": "Matrix Team A",
                "leader_id": cls.users["leader"].id,
                "member_ids": [Command.set(cls.users["coord_own"].ids)],
            }
        )
        cls.team_b = cls.env["billing.team"].create(
            {
                "name": "Matrix Team B",
                "member_ids": [Command.set(cls.users["coord_oth"].ids)],
            }
        )
        cls.customer.billing_team_id = cls.team_a
        cls.other_customer.billing_team_id = cls.team_b
        cls.invoice = cls._create_invoice(amount=300.0)
        cls.case_a = cls._create_case(
            move_ids=[Command.set(cls.invoice.ids)],
            expected_amount=250.0,
            actual_amount=300.0,
        )
        assert (
            cls.case_a.team_id == cls.team_a
            and cls.case_a.user_id == cls.users["coord_own"]
        )
        cls.outcome = ref("billing_coordinator.call_outcome_reached")
        cls.records = cls._create_targets(cls.case_a, cls.team_a)

    @classmethod
    def _create_targets(cls, case, team):
        """One record per model for case/team, as the module's users make them."""
        coordinator = cls.env(user=cls.users["coord_own"])
        company = case.company_id
        records = {
            "billing.case": case,
            "billing.case.type": cls.env["billing.case.type"].create(
                {"name": "Matrix Type", "code": "other", "company_id": company.id}
            ),
            "billing.team": team,
            "billing.team.member": team.membership_ids[:1],
            "billing.case.promise": cls.env["billing.case.promise"].create(
                {"case_id": case.id, "date": cls.today, "amount": 10.0}
            ),
            "billing.call.outcome": cls.env["billing.call.outcome"].create(
                {"name": "Matrix Outcome", "code": "matrix", "company_id": company.id}
            ),
            "billing.case.call": cls.env["billing.case.call"].create(
                {
                    "case_id": case.id,
                    "outcome_id": cls.outcome.id,
                    "user_id": team.member_ids[:1].id or cls.env.uid,
                }
            ),
        }
        # sudo: only the detection writes its run log (no create right for anyone).
        env = cls.env(su=True)
        run = env["billing.detection.run"].create(
            {"company_id": company.id, "start": fields.Datetime.now()}
        )
        records.update(
            {
                "billing.detection.rule": env["billing.detection.rule"]._get_rule(
                    company, "overdue"
                ),
                "billing.detection.run": run,
                "billing.detection.run.line": env["billing.detection.run.line"].create(
                    {"run_id": run.id, "rule_code": "overdue"}
                ),
                "billing.receivable.line": env["billing.receivable.line"].search(
                    [("move_id", "in", case.move_ids.ids)], limit=1
                ),
                "billing.dashboard.fact": env["billing.dashboard.fact"].create(
                    {
                        "company_id": company.id,
                        "kind": "sales",
                        "date": cls.today - timedelta(days=1),
                        "amount": 5.0,
                    }
                ),
                "billing.dashboard.change": env["billing.dashboard.change"].create(
                    {"company_id": company.id, "date": cls.today}
                ),
            }
        )
        snapshot = env["billing.ar.snapshot"].create(
            {
                "date": cls.today - timedelta(days=40),
                "company_id": company.id,
                "currency_id": company.currency_id.id,
            }
        )
        records["billing.ar.snapshot"] = snapshot
        records["billing.ar.snapshot.line"] = env["billing.ar.snapshot.line"].create(
            {
                "snapshot_id": snapshot.id,
                "partner_id": case.partner_id.id,
                "total": 10.0,
            }
        )
        if team == cls.team_a:
            wizard = coordinator["billing.case.resolve"].create(
                {"case_id": case.id, "resolution_type": "no_action", "note": "Checked."}
            )
            records.update(
                {
                    "billing.case.resolve": wizard,
                    "billing.case.resolve.promise.line": coordinator[
                        "billing.case.resolve.promise.line"
                    ].create(
                        {"wizard_id": wizard.id, "date": cls.today, "amount": 5.0}
                    ),
                    "billing.case.cancel": coordinator["billing.case.cancel"].create(
                        {"case_ids": [Command.set(case.ids)], "reason": "Opened twice."}
                    ),
                    "billing.case.reassign": coordinator[
                        "billing.case.reassign"
                    ].create({"case_ids": [Command.set(case.ids)], "team_id": team.id}),
                    "billing.case.log.call": coordinator[
                        "billing.case.log.call"
                    ].create({"case_id": case.id, "outcome_id": cls.outcome.id}),
                    "billing.case.resolve.bulk": coordinator[
                        "billing.case.resolve.bulk"
                    ].create(
                        {
                            "case_ids": [Command.set(case.ids)],
                            "resolution_type": "no_action",
                        }
                    ),
                    "billing.aging.report": coordinator["billing.aging.report"].create(
                        {"company_ids": [Command.set(company.ids)], "team_id": team.id}
                    ),
                    "billing.statement.wizard": coordinator[
                        "billing.statement.wizard"
                    ].create(
                        {
                            "partner_ids": [Command.set(case.partner_id.ids)],
                            "company_id": company.id,
                        }
                    ),
                }
            )
        return records

    # ----------------------------------------------------------------- helpers

    def _create_vals(self, model):
        case = self.case_a
        return {
            "billing.case": {
                "partner_id": self.customer.id,
                "case_type_id": self.type_overcharge.id,
            },
            "billing.case.type": {"name": "Created Type", "code": "other"},
            "billing.team": {"name": "Created Team"},
            "billing.team.member": {
                "team_id": self.team_a.id,
                "user_id": self.users["coord_oth"].id,
            },
            "billing.case.promise": {
                "case_id": case.id,
                "date": self.today,
                "amount": 3.0,
            },
            "billing.call.outcome": {"name": "Created Outcome", "code": "created"},
            "billing.case.call": {"case_id": case.id, "outcome_id": self.outcome.id},
            "billing.case.resolve": {
                "case_id": case.id,
                "resolution_type": "no_action",
                "note": "x",
            },
            "billing.case.resolve.promise.line": {
                "wizard_id": self.records["billing.case.resolve"].id,
                "date": self.today,
                "amount": 1.0,
            },
            "billing.case.cancel": {"case_ids": [Command.set(case.ids)], "reason": "x"},
            "billing.case.reassign": {
                "case_ids": [Command.set(case.ids)],
                "team_id": self.team_a.id,
            },
            "billing.case.log.call": {
                "case_id": case.id,
                "outcome_id": self.outcome.id,
            },
            "billing.case.resolve.bulk": {
                "case_ids": [Command.set(case.ids)],
                "resolution_type": "no_action",
            },
            "billing.aging.report": {
                "company_ids": [Command.set(case.company_id.ids)],
                "team_id": self.team_a.id,
            },
            "billing.statement.wizard": {
                "partner_ids": [Command.set(self.customer.ids)]
            },
            "billing.detection.rule": {
                "code": "overdue",
                "company_id": case.company_id.id,
            },
            "billing.detection.run": {
                "company_id": case.company_id.id,
                "start": fields.Datetime.now(),
            },
            "billing.detection.run.line": {
                "run_id": self.records["billing.detection.run"].id,
                "rule_code": "overdue",
            },
            "billing.receivable.line": {
                "partner_id": self.customer.id,
                "company_id": case.company_id.id,
            },
            "billing.ar.snapshot": {
                "date": self.today - timedelta(days=70),
                "company_id": case.company_id.id,
                "currency_id": case.company_id.currency_id.id,
            },
            "billing.ar.snapshot.line": {
                "snapshot_id": self.records["billing.ar.snapshot"].id,
                "partner_id": self.customer.id,
            },
            "billing.dashboard.fact": {
                "company_id": case.company_id.id,
                "kind": "sales",
                "date": self.today,
            },
            "billing.dashboard.change": {"company_id": case.company_id.id},
        }[model]

    WRITE_VALS = {
        "billing.case": {"expected_amount": 260.0},
        "billing.case.type": {"sla_days": 3},
        "billing.team": {"sequence": 4},
        "billing.team.member": {"capacity": 7},
        "billing.case.promise": {"amount": 11.0},
        "billing.call.outcome": {"sequence": 4},
        "billing.case.call": {"note": "Called back."},
        "billing.case.resolve": {"note": "Changed."},
        "billing.case.resolve.promise.line": {"amount": 2.0},
        "billing.case.cancel": {"reason": "Changed."},
        "billing.case.reassign": {"team_id": False},
        "billing.case.log.call": {"note": "Changed."},
        "billing.case.resolve.bulk": {"note": "Changed."},
        "billing.aging.report": {"detail": True},
        "billing.statement.wizard": {"only_overdue": True},
        "billing.detection.rule": {"sequence": 11},
        "billing.detection.run": {"duration": 2.0},
        "billing.detection.run.line": {"error": "Changed."},
        "billing.receivable.line": {"amount_residual": 1.0},
        "billing.ar.snapshot": {"integrity_message": "Checked."},
        "billing.ar.snapshot.line": {"total": 11.0},
        "billing.dashboard.fact": {"amount": 6.0},
        "billing.dashboard.change": {"date": False},
    }

    def _cell(self, call, setup=None):
        """Run ``setup`` then ``call`` in a savepoint that is always rolled back; returns
        A or the exception class. The cache is emptied before the call, as in a fresh
        request: a value cached by the setup would skip the access check of a read."""
        savepoint = self.env.cr.savepoint()
        try:
            if setup:
                setup()
            self.env.flush_all()
            self.env.invalidate_all()
            call()
            self.env.flush_all()
            result = A
        except Exception as error:  # noqa: BLE001 - the class is the outcome under test
            result = type(error)
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        return result

    def _operations(self, model, user):
        env = self.env(user=user)
        record = self.records[model].with_env(env)
        first_field = next(
            name
            for name, field in record._fields.items()
            if field.store and name not in ("id", "create_uid", "write_uid")
        )
        return (
            lambda: record.read([first_field]),
            lambda: env[model].create(self._create_vals(model)),
            lambda: record.write(self.WRITE_VALS[model]),
            lambda: record.unlink(),
        )

    def _rpc(self, user, model, method, records):
        env = self.env(user=user)
        return call_kw(env[model], method, [records.ids], {})

    def _render_report(self, env, report_ref):
        """Render one report as ``env``'s user prints it: PDFs to HTML, XLSX as workbooks."""
        report = self.env.ref(report_ref)
        docids = {
            "billing.case": self.case_a.ids,
            "res.partner": self.customer.ids,
        }.get(report.model)
        if report.model == "billing.aging.report":
            docids = (
                env["billing.aging.report"]
                .create(
                    {
                        "company_ids": [Command.set(self.case_a.company_id.ids)],
                        "team_id": self.team_a.id,
                    }
                )
                .ids
            )
        Report = env["ir.actions.report"]
        if report.report_type == "xlsx":
            return Report._render(report_ref, docids)
        return Report._render_qweb_html(report_ref, docids)

    def _entry_exists(self, entry):
        """Rows of another module's entry points (the sale bridge) count only when it is
        installed: the core alone passes the matrix too."""
        if ":" in entry:
            return True
        model, method = entry.rsplit(".", 1)
        return model in self.env and callable(
            getattr(type(self.env[model]), method, None)
        )

    def _entry_call(self, entry, user):
        """The callable for one entry point of ENTRY_MATRIX, as ``user``."""
        case = self.case_a
        env = self.env(user=user)
        if entry.startswith("report:"):
            return lambda: self._render_report(env, entry[7:])
        if entry == "billing.dashboard.get_dashboard_data":
            return lambda: call_kw(
                env["billing.dashboard"], "get_dashboard_data", [], {}
            )
        if entry == "billing.health.get_health_data":
            return lambda: call_kw(env["billing.health"], "get_health_data", [], {})
        if entry.startswith("onchange:"):
            spec = {
                "amount": {},
                "disputed_amount": {},
                "invoice_id": {"fields": {"display_name": {}}},
            }
            return (
                lambda: env[entry[9:]]
                .with_context(default_case_id=case.id)
                .onchange({}, [], spec)
            )
        model, method = entry.rsplit(".", 1)
        wizard_vals = {
            "billing.case.resolve": {
                "case_id": case.id,
                "resolution_type": "no_action",
                "note": "Checked.",
            },
            "billing.case.cancel": {
                "case_ids": [Command.set(case.ids)],
                "reason": "Opened twice.",
            },
            "billing.case.reassign": {
                "case_ids": [Command.set(case.ids)],
                "user_id": self.users["coord_own"].id,
            },
            "billing.case.log.call": {
                "case_id": case.id,
                "outcome_id": self.outcome.id,
            },
            "billing.case.resolve.bulk": {
                "case_ids": [Command.set(case.ids)],
                "resolution_type": "no_action",
                "note": "Checked.",
            },
            "billing.statement.wizard": {
                "partner_ids": [Command.set(self.customer.ids)]
            },
            "billing.aging.report": {
                "company_ids": [Command.set(case.company_id.ids)],
                "team_id": self.team_a.id,
            },
        }
        if model in wizard_vals:
            return lambda: call_kw(
                env[model], method, [env[model].create(wizard_vals[model]).ids], {}
            )
        records = {
            "billing.case": case,
            "account.move": self.invoice,
            "billing.team": self.team_a,
            "billing.team.member": self.team_a.membership_ids,
        }[model]
        if method in ("action_take_next", "action_run_detection"):
            records = records.browse()
        return lambda: self._rpc(user, model, method, records)

    # ------------------------------------------------------------------- tests

    def test_every_model_is_in_the_matrix(self):
        """The module's own models (not the ones it extends) all have rows."""
        module_models = {
            model.model
            for model in self.env["ir.model"].search([("model", "like", "billing.")])
            if self.env[model.model]._original_module == "billing_coordinator"
            and not self.env[model.model]._abstract
        }
        covered = {model for model, _profile in MODEL_MATRIX}
        self.assertEqual(
            module_models - covered, set(), "models without rows in MODEL_MATRIX"
        )
        for model in covered:
            self.assertEqual(
                {profile for m, profile in MODEL_MATRIX if m == model},
                set(PROFILES),
                model,
            )

    def test_every_action_is_in_the_matrix(self):
        actions = {
            f"billing.case.{name}"
            for name in dir(type(self.env["billing.case"]))
            if name.startswith("action_")
            and callable(getattr(type(self.env["billing.case"]), name))
        }
        self.assertEqual(
            actions - set(ENTRY_MATRIX), set(), "actions without a row in ENTRY_MATRIX"
        )

    def test_model_matrix(self):
        failures = []
        for (model, profile), expected in MODEL_MATRIX.items():
            operations = self._operations(model, self.users[profile])
            for operation, call, exp in zip(
                ("read", "create", "write", "unlink"),
                operations,
                expected,
                strict=False,
            ):
                got = self._cell(call)
                if got != exp:
                    failures.append(
                        f"{model} {profile} {operation}: expected {_name(exp)}, got {_name(got)}"
                    )
        self.assertFalse(failures, "\n" + "\n".join(failures))

    def test_entry_matrix(self):
        failures = []
        for entry, expected in ENTRY_MATRIX.items():
            if entry in OPTIONAL_ENTRIES and not self._entry_exists(entry):
                continue
            self.assertTrue(self._entry_exists(entry), f"{entry}: no such entry point")
            for profile, exp in zip(PROFILES, expected, strict=True):
                vals = ENTRY_SETUP.get(entry)
                setup = vals and (lambda vals=vals: self.case_a.write(vals))
                got = self._cell(self._entry_call(entry, self.users[profile]), setup)
                if got != exp:
                    failures.append(
                        f"{entry} {profile}: expected {_name(exp)}, got {_name(got)}"
                    )
        self.assertFalse(failures, "\n" + "\n".join(failures))
        self.assertEqual(self.case_a.state, "new", "every cell was rolled back")

    def test_dashboard_own_figures(self):
        """A coordinator's dashboard is always their own, whoever they ask for; a
        manager's shows the coordinator asked for."""

        def meta(profile, **filters):
            env = self.env(user=self.users[profile])
            return call_kw(
                env["billing.dashboard"], "get_dashboard_data", [filters], {}
            )["meta"]

        for profile in ("coord_own", "coord_oth", "leader"):
            got = meta(profile, user_id=self.users["manager"].id)
            self.assertEqual(got["user_id"], self.users[profile].id, profile)
            self.assertFalse(got["is_manager"], profile)
        got = meta("manager", user_id=self.users["coord_own"].id)
        self.assertEqual(got["user_id"], self.users["coord_own"].id)
        self.assertFalse(meta("manager")["user_id"])

    def test_other_team_case_out_of_reach(self):
        """coord_oth reaches case_a by no path: search, related records, documents."""
        env = self.env(user=self.users["coord_oth"])
        case = self.case_a
        self.assertFalse(env["billing.case"].search([("id", "=", case.id)]))
        self.assertFalse(
            env["billing.case"].search([("partner_id", "=", self.customer.id)])
        )
        for model in ("billing.case.promise", "billing.case.call"):
            self.assertFalse(env[model].search([("case_id", "=", case.id)]), model)
        # Through the invoice (a coordinator reads every invoice): no case behind it.
        invoice = self.invoice.with_env(env)
        self.assertFalse(invoice.billing_case_ids)
        self.assertEqual(invoice.billing_case_count, 0)
        # Through the team: the team's case list only holds what the user may see.
        self.assertFalse(self.team_a.with_env(env).case_ids)
        self.assertFalse(
            env["billing.case"]._read_group(
                [("team_id", "=", self.team_a.id)], ["team_id"]
            )
        )

    def test_case_documents_changed_only_through_the_case(self):
        """Linking an invoice to a case from the invoice side needs the case's rights."""
        other_invoice = self._create_invoice(amount=40.0)
        for profile in ("clerk", "coord_oth"):
            env = self.env(user=self.users[profile])
            got = self._cell(
                lambda env=env: other_invoice.with_env(env).write(
                    {"billing_case_ids": [Command.link(self.case_a.id)]}
                )
            )
            self.assertIs(got, AccessError, profile)
            got = self._cell(
                lambda env=env: self.invoice.with_env(env).write(
                    {"billing_case_ids": [Command.clear()]}
                )
            )
            self.assertIs(got, AccessError, profile)
        self.assertEqual(self.case_a.move_ids, self.invoice)
        # The case's own coordinator may.
        env = self.env(user=self.users["coord_own"])
        other_invoice.with_env(env).write(
            {"billing_case_ids": [Command.link(self.case_a.id)]}
        )
        self.assertEqual(self.case_a.move_ids, self.invoice | other_invoice)

    def test_company_isolation(self):
        """Every model: a record of the second company is out of reach of the main
        company's users, by search and by id."""
        other = self.setup_other_company(name="Matrix Other Co")["company"]
        partner = self.env["res.partner"].create(
            {"name": "Other Co Customer", "company_id": other.id}
        )
        team = (
            self.env["billing.team"]
            .with_company(other)
            .create(
                {
                    "name": "Other Co Team",
                    "company_id": other.id,
                    "member_ids": [Command.set(self.env.user.ids)],
                }
            )
        )
        case = (
            self.env["billing.case"]
            .with_company(other)
            .create(
                {
                    "partner_id": partner.id,
                    "case_type_id": self.type_overcharge.id,
                    "company_id": other.id,
                    "team_id": team.id,
                }
            )
        )
        records = self._create_targets(case, team)
        for profile in COMPANY_PROFILES:
            env = self.env(user=self.users[profile])
            for model in COMPANY_MODELS:
                if not env[model].has_access("read"):
                    continue  # no right on the model at all: MODEL_MATRIX covers it
                with self.subTest(profile=profile, model=model):
                    record = records[model]
                    self.assertTrue(record.exists())
                    self.assertFalse(env[model].search([("id", "=", record.id)]))
                    self.assertIs(
                        self._cell(lambda: record.with_env(env).read(["display_name"])),
                        AccessError,
                    )
            # Wizards cannot be opened on the other company's case.
            for call in (
                lambda: env["billing.case.resolve"]
                .create(
                    {"case_id": case.id, "resolution_type": "no_action", "note": "x"}
                )
                .action_apply(),
                lambda: env["billing.case.cancel"]
                .create({"case_ids": [Command.set(case.ids)], "reason": "x"})
                .action_confirm(),
                lambda: self._rpc(
                    self.users[profile], "billing.case", "action_start", case
                ),
            ):
                with self.subTest(profile=profile, call=call):
                    self.assertIs(self._cell(call), AccessError)
        self.assertEqual(case.state, "new")


def _name(outcome):
    return outcome if isinstance(outcome, str) else outcome.__name__
