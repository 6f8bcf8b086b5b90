from contextlib import contextmanager
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields

from .common import BillingCaseCommon

# A week to read the tests by: Monday 2026-01-05 ... the next Monday 2026-01-12.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 1, day) for day in range(5, 12))
NEXT_MON, NEXT_TUE, NEXT_WED, NEXT_THU, NEXT_FRI = (
    date(2026, 1, day) for day in range(12, 17)
)


class SlaCommon(BillingCaseCommon):
    """A Monday-to-Friday company calendar in UTC and helpers to live on a given day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.company.resource_calendar_id
        cls.calendar.tz = "UTC"
        cls.type_sla3 = cls.env["billing.case.type"].create(
            {"name": "Three-day SLA", "code": "overcharge", "sla_days": 3}
        )
        cls.Case = cls.env["billing.case"]

    @contextmanager
    def on(self, day, hour=10):
        """Live on ``day``: dates, and the creation time of records (the transaction
        timestamp) too."""
        with freeze_time(datetime.combine(day, datetime.min.time()).replace(hour=hour)):
            cr = self.env.cr
            saved = cr._now
            cr._now = fields.Datetime.now()
            try:
                yield
            finally:
                cr._now = saved

    def _case_on(self, day, **vals):
        vals.setdefault("case_type_id", self.type_sla3.id)
        with self.on(day):
            case = self._create_case(**vals)
            # stored computes run lazily: compute the score on that day, not at the read
            self.env.flush_all()
        return case

    def _add_public_holiday(
        self, day, company=None, calendar=None, name="Public Holiday"
    ):
        company = company or self.company
        return (
            self.env["resource.calendar.leaves"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "calendar_id": calendar.id if calendar else False,
                    "date_from": datetime.combine(day, datetime.min.time()),
                    "date_to": datetime.combine(
                        day, datetime.max.time().replace(microsecond=0)
                    ),
                }
            )
        )

    def _run_cron(self, method):
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=3600.0
        ):
            # sudo: the cron runs as the superuser
            getattr(self.Case.sudo(), method)()
