"""Integrity of month-end snapshots: recompute the aging as of the snapshot date and
the files' SHA-256, and say what changed since (a back-dated entry, a replaced file);
the cheap chain status for the Billing Health page."""

from odoo import api, fields, models

from .billing_ar_snapshot_files import sha256_hex


class BillingArSnapshot(models.Model):
    _inherit = "billing.ar.snapshot"

    def _snapshot_chain_verifies(self):
        """The stored hashes agree with the stored chain hash (no file read)."""
        self.ensure_one()
        if self.previous_id and self.previous_id.chain_hash is False:
            return False
        expected = self._snapshot_chain_of(
            self.xlsx_sha256, self.zip_sha256, self.previous_id.chain_hash
        )
        return bool(self.chain_hash) and self.chain_hash == expected

    def _check_integrity(self):
        """Recompute the snapshot: returns ``{"ok": bool, "changes": [...], "files":
        [...], "message": str}``; ``changes`` holds one dict per customer and currency
        whose figures differ from the aging engine's as of the date today
        (``partner_id``, ``currency_id``, ``old``, ``new``: totals), ``files`` the names of
        the files whose SHA-256 no longer matches (and ``chain`` when the chain does not
        verify)."""
        self.ensure_one()
        # The buckets are compared when the company's limits are still those of the
        # snapshot; otherwise the totals and not due only.
        stored_keys = [key for key, _label in self.bucket_labels or []]
        current_keys = [b["key"] for b in self._snapshot_buckets()]
        bucket_keys = stored_keys if stored_keys == current_keys else ["not_due"]
        frozen = {
            (line.partner_id.id or False, line.currency_id.id): line
            for line in self.line_ids
            if line.change != "cleared"
        }
        currency = self.currency_id
        changes = []
        seen = set()
        for values in self._snapshot_aging():
            key = (values["partner_id"] or False, values["currency_id"])
            seen.add(key)
            line = frozen.get(key)
            old_amounts = (line.bucket_amounts or {}) if line else {}
            differs = (
                line is None
                or any(
                    currency.compare_amounts(
                        values.get(k, 0.0), old_amounts.get(k, 0.0)
                    )
                    for k in bucket_keys
                )
                or currency.compare_amounts(values["total"], line.total)
            )
            if differs:
                changes.append(
                    {
                        "partner_id": key[0],
                        "currency_id": key[1],
                        "old": line.total if line else 0.0,
                        "new": values["total"],
                    }
                )
        for key, line in frozen.items():
            if key not in seen:
                changes.append(
                    {
                        "partner_id": key[0],
                        "currency_id": key[1],
                        "old": line.total,
                        "new": 0.0,
                    }
                )
        files = []
        stored = self._snapshot_file_bytes()
        if sha256_hex(stored["xlsx"]) != self.xlsx_sha256:
            files.append(self.xlsx_filename or "xlsx")
        if sha256_hex(stored["zip"]) != self.zip_sha256:
            files.append(self.zip_filename or "zip")
        if not self._snapshot_chain_verifies():
            files.append("chain")
        return {
            "ok": not changes and not files,
            "changes": changes,
            "files": files,
            "message": self._integrity_message(changes, files),
        }

    def _integrity_message(self, changes, files):
        if not changes and not files:
            return self.env._(
                "The figures and files are as signed off: nothing changed since %(date)s.",
                date=self.date.isoformat(),
            )
        parts = []
        if changes:
            partners = self.env["res.partner"].browse(
                [c["partner_id"] for c in changes if c["partner_id"]]
            )
            names = {p.id: p.display_name for p in partners}
            currencies = {
                c.id: c.name
                for c in self.env["res.currency"].browse(
                    {c["currency_id"] for c in changes}
                )
            }
            parts.append(
                self.env._(
                    "%(count)s customer(s) differ from the aging as of %(date)s recomputed today "
                    "(an entry dated on or before the month end was posted, changed or "
                    "reconciled since):",
                    count=len(changes),
                    date=self.date.isoformat(),
                )
            )
            for change in changes:
                parts.append(
                    self.env._(
                        "- %(customer)s (%(currency)s): %(old).2f then, %(new).2f now",
                        customer=names.get(change["partner_id"])
                        or self.env._("No customer"),
                        currency=currencies.get(change["currency_id"], ""),
                        old=change["old"],
                        new=change["new"],
                    )
                )
        if files:
            parts.append(
                self.env._(
                    "Checksums that do not match: %(files)s.", files=", ".join(files)
                )
            )
        return "\n".join(parts)

    def action_check_integrity(self):
        """Recompute each snapshot; store the result and post it in the chatter."""
        self._check_snapshot_manager()
        now = fields.Datetime.now()
        for snapshot in self:
            result = snapshot._check_integrity()
            snapshot.write(
                {
                    "integrity_state": "ok" if result["ok"] else "changed",
                    "integrity_message": result["message"],
                    "integrity_date": now,
                }
            )
            snapshot.message_post(body=result["message"])
        changed = self.filtered(lambda s: s.integrity_state == "changed")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Integrity check"),
                "message": changed[:1].integrity_message
                or self[:1].integrity_message
                or "",
                "type": "warning" if changed else "success",
                "sticky": bool(changed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _health_chain_status(self):
        """For the Billing Health page, on the selected companies: ``error`` when a
        signed snapshot's stored hashes or chain do not verify, ``warning`` when the last
        month end has no snapshot (in a company that had snapshots before) or an
        unsigned one, ``info`` when a company never had a snapshot (no chain to break
        yet: the daily cron takes the first one), else ``ok``. Reads stored values
        only (the full recompute is the integrity check)."""
        companies = self.env.companies
        # sudo: the health page counts the snapshots of the companies it shows; one
        # read of them all (one per company and month end).
        snapshots = self.sudo().search_fetch(
            [("company_id", "in", companies.ids)], ["company_id", "date", "state"]
        )
        signed = snapshots.filtered(lambda s: s.state == "signed")
        broken = signed.filtered(lambda s: not s._snapshot_chain_verifies())
        if broken:
            return {
                "status": "error",
                "count": len(broken),
                "message": self.env._(
                    "The checksums of %(names)s do not verify.",
                    names=", ".join(broken.mapped("name")),
                ),
                "res_ids": broken.ids,
            }
        month_end = self._last_month_end()
        last = snapshots.filtered(lambda s: s.date == month_end)
        missing = companies - last.company_id
        never = missing - snapshots.company_id
        missing -= never
        unsigned = last.filtered(lambda s: s.state != "signed")
        never_message = never and self.env._(
            "No snapshot yet for %(companies)s.",
            companies=", ".join(never.mapped("name")),
        )
        if missing or unsigned:
            parts = []
            if missing:
                parts.append(
                    self.env._(
                        "No snapshot as of %(date)s for %(companies)s.",
                        date=month_end.isoformat(),
                        companies=", ".join(missing.mapped("name")),
                    )
                )
            if unsigned:
                parts.append(
                    self.env._(
                        "Not signed off yet: %(names)s.",
                        names=", ".join(unsigned.mapped("name")),
                    )
                )
            if never_message:
                parts.append(never_message)
            return {
                "status": "warning",
                "count": len(missing) + len(unsigned),
                "message": " ".join(parts),
                "res_ids": unsigned.ids,
            }
        signed_message = self.env._(
            "%(count)s signed snapshot(s), checksums verify; %(date)s is signed off.",
            count=len(signed),
            date=month_end.isoformat(),
        )
        if never:
            return {
                "status": "info",
                "count": len(never),
                "message": " ".join(
                    [never_message] + ([signed_message] if signed else [])
                ),
                "res_ids": [],
            }
        return {
            "status": "ok",
            "count": len(signed),
            "message": signed_message,
            "res_ids": [],
        }
