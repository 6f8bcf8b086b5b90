from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingDashboardTour(BillingCaseCommon, HttpCase):
    """A manager opens the dashboard, reads a KPI and drills down to the list."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_invoice(
            amount=1000.0,
            invoice_date=cls.today - timedelta(days=5),
            due_date=cls.today + timedelta(days=10),
        )
        cls._create_invoice(
            amount=400.0,
            invoice_date=cls.today - timedelta(days=35),
            due_date=cls.today - timedelta(days=5),
        )

    def test_dashboard_tour(self):
        self.start_tour(
            "/odoo/billing-dashboard", "billing_dashboard_tour", login="billing_manager"
        )


@tagged("post_install", "-at_install")
class TestBillingDashboardUnit(HttpCase):
    """The dashboard component's Hoot unit tests (static/tests/unit), run in Chromium."""

    @staticmethod
    def _hoot_hash(name):
        # Hoot's job id: the 32-bit string hash it filters on (see web/tests/test_js.py).
        value = 0
        for char in name:
            value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
        return f"{value:08x}"

    def test_dashboard_unit(self):
        job = self._hoot_hash("@billing_coordinator")
        self.browser_js(
            f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&id={job}",
            "",
            "",
            login="admin",
            timeout=1800,
            success_signal="[HOOT] Test suite succeeded",
            error_checker=lambda message: "[HOOT]" not in message,
        )
