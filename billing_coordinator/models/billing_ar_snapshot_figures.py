"""The figures of a month-end snapshot: the aging engine's lines as of its date, frozen
as rows and compared with the previous month end's snapshot, and the header totals."""

from odoo import models


class BillingArSnapshot(models.Model):
    _inherit = "billing.ar.snapshot"

    def _snapshot_aging(self):
        """The aging engine's lines as of the snapshot date, in company currency."""
        self.ensure_one()
        # sudo: a month-end archive covers every customer of the company, whoever runs it
        # (managers only reach this; the cron runs without a user's team restrictions).
        Aging = self.env["billing.receivable.line"].sudo().with_company(self.company_id)
        return Aging._get_aging(date_at=self.date, company_ids=self.company_id)

    def _snapshot_buckets(self):
        self.ensure_one()
        return self.env["billing.receivable.line"]._get_aging_buckets(self.company_id)

    def _snapshot_freeze_aging(self):
        """Values of the snapshot's lines: the aging as of its date, compared with the
        previous snapshot (new, grown, shrunk, unchanged; cleared for the customers of the
        previous month end without any open item now)."""
        self.ensure_one()
        bucket_keys = [b["key"] for b in self._snapshot_buckets()]
        previous = {
            (line.partner_id.id, line.currency_id.id): line.total
            for line in self.previous_id.line_ids
            if line.change != "cleared"
        }
        currency = self.currency_id
        values, seen = [], set()
        for line in self._snapshot_aging():
            key = (line["partner_id"] or False, line["currency_id"])
            seen.add(key)
            old = previous.get(key)
            if old is None:
                change = "new"
            elif currency.compare_amounts(line["total"], old) > 0:
                change = "grown"
            elif currency.compare_amounts(line["total"], old) < 0:
                change = "shrunk"
            else:
                change = "unchanged"
            values.append(
                {
                    "snapshot_id": self.id,
                    "partner_id": key[0],
                    "currency_id": key[1],
                    "bucket_amounts": {k: line[k] for k in bucket_keys},
                    "not_due": line["not_due"],
                    "overdue": line["overdue"],
                    "total": line["total"],
                    "total_currency": line["total_currency"],
                    "previous_total": old or 0.0,
                    "change": change,
                }
            )
        for key, old in previous.items():
            if key not in seen:
                values.append(
                    {
                        "snapshot_id": self.id,
                        "partner_id": key[0],
                        "currency_id": key[1],
                        "bucket_amounts": dict.fromkeys(bucket_keys, 0.0),
                        "previous_total": old,
                        "change": "cleared",
                    }
                )
        return values

    def _snapshot_write_totals(self):
        self.ensure_one()
        buckets = self._snapshot_buckets()
        lines = self.line_ids
        totals = {
            b["key"]: self.currency_id.round(
                sum((ln.bucket_amounts or {}).get(b["key"], 0.0) for ln in lines)
            )
            for b in buckets
        }
        counts = {
            kind: len(lines.filtered(lambda ln, k=kind: ln.change == k))
            for kind in ("new", "grown", "shrunk", "cleared")
        }
        self.write(
            {
                "bucket_totals": totals,
                "bucket_labels": [[b["key"], b["label"]] for b in buckets],
                "not_due": self.currency_id.round(sum(lines.mapped("not_due"))),
                "overdue": self.currency_id.round(sum(lines.mapped("overdue"))),
                "total": self.currency_id.round(sum(lines.mapped("total"))),
                "line_count": len(lines.filtered(lambda ln: ln.change != "cleared")),
                "count_new": counts["new"],
                "count_grown": counts["grown"],
                "count_shrunk": counts["shrunk"],
                "count_cleared": counts["cleared"],
            }
        )
