"""The files of a month-end snapshot: the AR aging workbook as of its date (the module's
aging XLSX report, so its figures come from the aging engine) and a zip of JSON exports
of the period's cases, invoices and payments, built deterministically (fixed timestamps,
sorted names, sorted keys) so that the same data always gives the same SHA-256."""

import base64
import hashlib
import io
import json
import zipfile

from odoo import Command, models

from .billing_case import CLOSED_STATES

# Zip members' timestamp: the earliest a zip can hold, for reproducible archives.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

INVOICE_FIELDS = [
    "name",
    "move_type",
    "partner_id",
    "invoice_date",
    "date",
    "invoice_date_due",
    "currency_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "payment_state",
    "ref",
]
PAYMENT_FIELDS = [
    "name",
    "payment_type",
    "partner_type",
    "partner_id",
    "date",
    "amount",
    "currency_id",
    "state",
    "memo",
]
CASE_FIELDS = [
    "name",
    "partner_id",
    "case_type_id",
    "state",
    "user_id",
    "currency_id",
    "expected_amount",
    "actual_amount",
    "amount_difference",
    "deadline",
    "resolution_type",
    "resolved_date",
    "move_ids",
    "payment_ids",
]


def sha256_hex(data):
    return hashlib.sha256(data or b"").hexdigest()


class BillingArSnapshot(models.Model):
    _inherit = "billing.ar.snapshot"

    def _snapshot_build_files(self):
        """Render both files, store them with their SHA-256 and the chain hash."""
        self.ensure_one()
        xlsx = self._snapshot_render_xlsx()
        archive = self._snapshot_render_zip()
        stem = f"ar_snapshot_{self.company_id.id}_{self.date.isoformat()}"
        xlsx_sha, zip_sha = sha256_hex(xlsx), sha256_hex(archive)
        self.write(
            {
                "xlsx_file": base64.b64encode(xlsx),
                "xlsx_filename": f"{stem}.xlsx",
                "xlsx_sha256": xlsx_sha,
                "zip_file": base64.b64encode(archive),
                "zip_filename": f"{stem}.zip",
                "zip_sha256": zip_sha,
                "chain_hash": self._snapshot_chain_of(
                    xlsx_sha, zip_sha, self.previous_id.chain_hash
                ),
            }
        )

    def _snapshot_chain_of(self, xlsx_sha, zip_sha, previous_chain):
        return sha256_hex(
            "|".join([xlsx_sha or "", zip_sha or "", previous_chain or ""]).encode()
        )

    def _snapshot_render_xlsx(self):
        """The AR aging workbook as of the snapshot date for its company (the aging
        report wizard's options, rendered by ``report.billing_coordinator.aging_xlsx``)."""
        self.ensure_one()
        # sudo: the archive holds every customer of the company (managers or the cron
        # only get here); the wizard is a transient of this rendering.
        env = self.sudo().with_company(self.company_id).env
        wizard = env["billing.aging.report"].create(
            {
                "date_at": self.date,
                "company_ids": [Command.set(self.company_id.ids)],
                "team_id": False,
            }
        )
        report = env["report.billing_coordinator.aging_xlsx"].with_context(
            active_model=wizard._name
        )
        content, _format = report.create_xlsx_report(wizard.ids, {})
        return content

    def _snapshot_export_data(self):
        """``{file name: JSON-able data}`` of the period (the snapshot's month up to its
        date): the aging lines, the customer invoices and credit notes, the customer
        payments and the cases of the company."""
        self.ensure_one()
        start = self.date.replace(day=1)
        company = self.company_id
        # sudo: as _snapshot_render_xlsx, the company's whole period
        env = self.sudo().with_company(company).env
        invoices = env["account.move"].search_read(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("date", ">=", start),
                ("date", "<=", self.date),
            ],
            INVOICE_FIELDS,
            order="id",
        )
        payments = env["account.payment"].search_read(
            [
                ("company_id", "=", company.id),
                ("partner_type", "=", "customer"),
                ("state", "not in", ("draft", "canceled")),
                ("date", ">=", start),
                ("date", "<=", self.date),
            ],
            PAYMENT_FIELDS,
            order="id",
        )
        cases = (
            env["billing.case"]
            .with_context(active_test=False)
            .search_read(
                [
                    ("company_id", "=", company.id),
                    ("create_date", "<", self.date.isoformat() + " 23:59:59.999999"),
                    "|",
                    ("create_date", ">=", start.isoformat()),
                    ("state", "not in", CLOSED_STATES),
                ],
                CASE_FIELDS,
                order="id",
            )
        )
        aging = [
            {
                "partner_id": line.partner_id.id or False,
                "partner": line.partner_id.display_name or "",
                "currency": line.currency_id.name,
                "bucket_amounts": line.bucket_amounts or {},
                "not_due": line.not_due,
                "overdue": line.overdue,
                "total": line.total,
                "total_currency": line.total_currency,
                "change": line.change,
            }
            for line in self.line_ids.sorted(
                lambda ln: (ln.partner_id.id or 0, ln.currency_id.id)
            )
        ]
        header = {
            "company": company.name,
            "company_id": company.id,
            "currency": self.currency_id.name,
            "date": self.date.isoformat(),
            "period_start": start.isoformat(),
        }
        return {
            "aging.json": {**header, "lines": aging},
            "cases.json": {**header, "cases": cases},
            "invoices.json": {**header, "invoices": invoices},
            "payments.json": {**header, "payments": payments},
        }

    def _snapshot_render_zip(self):
        """The period export as a zip: same data, same bytes."""
        self.ensure_one()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(self._snapshot_export_data().items()):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3
                payload = json.dumps(
                    data, sort_keys=True, indent=1, default=str, ensure_ascii=False
                )
                archive.writestr(info, payload.encode())
        return buffer.getvalue()

    def _snapshot_file_bytes(self):
        """``{"xlsx": bytes, "zip": bytes}`` of the stored files as they are now."""
        self.ensure_one()
        # sudo: the attachments of binary fields are readable through the record only
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("res_field", "in", ("xlsx_file", "zip_file")),
                ]
            )
        )
        by_field = {a.res_field: a.raw or b"" for a in attachments}
        return {
            "xlsx": by_field.get("xlsx_file", b""),
            "zip": by_field.get("zip_file", b""),
        }
