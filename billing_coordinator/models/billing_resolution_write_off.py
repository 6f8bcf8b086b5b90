from odoo import api, models
from odoo.exceptions import UserError
from odoo.fields import Command


class BillingResolutionWriteOff(models.AbstractModel):
    """Write-off: a miscellaneous entry moving the amount from the receivable to the
    write-off account, matched with the invoice; above the company's write-off limit
    only billing managers may."""

    _name = "billing.resolution.write_off"
    _inherit = "billing.resolution"
    _description = "Resolution by Write-off"

    _journal_types = ("general",)

    @api.model
    def _invoice_required(self):
        return True

    @api.model
    def _get_disputed_amount(self, resolution):
        residual = resolution["invoice"].amount_residual
        difference = abs(resolution["case"].amount_difference)
        return min(residual, difference) if difference else residual

    @api.model
    def _check_disputed(self, resolution, disputed):
        invoice = resolution["invoice"]
        if resolution["case"].currency_id.is_zero(invoice.amount_residual):
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s is fully paid: there is nothing to write off.",
                    invoice=invoice.display_name,
                )
            )

    @api.model
    def _check(self, resolution):
        res = super()._check(resolution)
        self._check_write_off_account(resolution)
        self._check_write_off_limit(resolution)
        return res

    @api.model
    def _check_write_off_account(self, resolution):
        company = resolution["case"].company_id
        account = resolution["write_off_account"]
        if not account:
            raise UserError(
                self.env._(
                    "Set the write-off account of %(company)s in Settings > Billing, or "
                    "choose one here.",
                    company=company.display_name,
                )
            )
        if not account.company_ids & company.parent_ids:
            raise UserError(
                self.env._(
                    "Account %(account)s does not belong to company %(company)s.",
                    account=account.display_name,
                    company=company.display_name,
                )
            )
        if account.account_type in ("asset_receivable", "liability_payable"):
            raise UserError(
                self.env._(
                    "Account %(account)s is a receivable or payable account and cannot absorb "
                    "a write-off.",
                    account=account.display_name,
                )
            )

    @api.model
    def _get_company_amount(self, resolution):
        """The amount in company currency at the resolution date."""
        case = resolution["case"]
        company = case.company_id
        return case.currency_id._convert(
            resolution["amount"], company.currency_id, company, resolution["date"]
        )

    @api.model
    def _check_write_off_limit(self, resolution):
        if self.env.user.has_group("billing_coordinator.group_billing_manager"):
            return
        company = resolution["case"].company_id
        amount = self._get_company_amount(resolution)
        limit = company.billing_writeoff_limit
        if company.currency_id.compare_amounts(amount, limit) > 0:
            raise UserError(
                self.env._(
                    "Writing off %(amount)s exceeds the write-off limit of %(limit)s: only a "
                    "billing manager can approve it.",
                    amount=self._format_amount(amount, company.currency_id),
                    limit=self._format_amount(limit, company.currency_id),
                )
            )

    @api.model
    def _create_documents(self, resolution):
        invoice, case, amount = (
            resolution["invoice"],
            resolution["case"],
            resolution["amount"],
        )
        company = case.company_id
        currency = invoice.currency_id
        date = self._get_accounting_date(resolution)
        receivable_lines = invoice.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        account = receivable_lines[:1].account_id
        receivable_lines = receivable_lines.filtered(
            lambda line: line.account_id == account
        )
        if currency.compare_amounts(amount, invoice.amount_residual) == 0:
            # Whole residual: take its company-currency value, no exchange difference.
            balance = sum(receivable_lines.mapped("amount_residual"))
        else:
            balance = currency._convert(amount, company.currency_id, company, date)
        label = self.env._(
            "Write-off of %(invoice)s (%(case)s)", invoice=invoice.name, case=case.name
        )
        common = {
            "name": label,
            "partner_id": invoice.commercial_partner_id.id,
            "currency_id": currency.id,
        }
        write_off = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": resolution["journal"].id,
                "date": date,
                "ref": label,
                "partner_id": invoice.commercial_partner_id.id,
                "currency_id": currency.id,
                "line_ids": [
                    Command.create(
                        {
                            **common,
                            "account_id": account.id,
                            "amount_currency": -amount,
                            "balance": -balance,
                        }
                    ),
                    Command.create(
                        {
                            **common,
                            "account_id": resolution["write_off_account"].id,
                            "amount_currency": amount,
                            "balance": balance,
                        }
                    ),
                ],
            }
        )
        write_off.action_post()
        (
            write_off.line_ids.filtered(lambda line: line.account_id == account)
            + receivable_lines
        ).reconcile()
        return write_off
