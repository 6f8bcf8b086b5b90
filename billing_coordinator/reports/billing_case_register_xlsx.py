from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

# Cases read and written per batch: memory stays flat however many cases are exported.
BATCH_SIZE = 1000


class ReportBillingCaseRegisterXlsx(models.AbstractModel):
    """Case register: one row per selected case (type, state, customer, coordinator, team,
    amounts, deadline, SLA breach, root cause, resolution, dates)."""

    _name = "report.billing_coordinator.billing_case_register_xlsx"
    _inherit = "billing.xlsx.mixin"
    _description = "Billing Case Register (XLSX)"

    def _get_register_columns(self):
        """``(title, width, field name)`` of each column, in order."""
        return [
            (self.env._("Reference"), 16, "name"),
            (self.env._("Type"), 22, "case_type_id"),
            (self.env._("Status"), 16, "state"),
            (self.env._("Customer"), 30, "partner_id"),
            (self.env._("Coordinator"), 20, "user_id"),
            (self.env._("Team"), 18, "team_id"),
            (self.env._("Currency"), 9, "currency_id"),
            (self.env._("Expected Amount"), 15, "expected_amount"),
            (self.env._("Actual Amount"), 15, "actual_amount"),
            (self.env._("Difference"), 15, "amount_difference"),
            (self.env._("Deadline"), 12, "deadline"),
            (self.env._("SLA Breached"), 10, "sla_breached"),
            (self.env._("Root Cause"), 24, "root_cause"),
            (self.env._("Resolution"), 20, "resolution_type"),
            (self.env._("Resolution Note"), 40, "resolution_note"),
            (self.env._("Created on"), 12, "create_date"),
            (self.env._("Resolved on"), 12, "resolved_date"),
        ]

    def generate_xlsx_report(self, workbook, data, objs):
        if not objs:
            raise UserError(self.env._("Select the cases to put in the register."))
        writer = self._xlsx_writer(workbook)
        sheet = workbook.add_worksheet(self.env._("Cases"))
        columns = self._get_register_columns()
        row = self._xlsx_header_block(
            writer,
            sheet,
            self.env._("Billing Case Register"),
            [
                (self.env._("Printed on"), fields.Date.context_today(self)),
                (self.env._("Cases"), len(objs)),
            ],
        )
        header_row = row
        row = self._xlsx_table_header(
            writer, sheet, row, [(c[0], c[1]) for c in columns]
        )
        fnames = [c[2] for c in columns]
        Case = objs.browse()
        selections = {
            fname: dict(Case._fields[fname]._description_selection(self.env))
            for fname in fnames
            if Case._fields[fname].type == "selection"
        }
        self.env.flush_all()
        for batch_ids in split_every(BATCH_SIZE, objs.ids):
            # read() applies access rights and record rules: another team's or company's
            # case raises AccessError instead of landing in the file.
            for values in Case.browse(batch_ids).read(fnames):
                self._write_register_row(writer, sheet, row, fnames, values, selections)
                row += 1
            # Forget what the batch loaded: the cache must not grow with the export.
            self.env.invalidate_all()
        sheet.autofilter(header_row, 0, max(row - 1, header_row), len(columns) - 1)

    def _write_register_row(self, writer, sheet, row, fnames, values, selections):
        Case = self.env["billing.case"]
        for col, fname in enumerate(fnames):
            value = values[fname]
            field = Case._fields[fname]
            fmt = None
            if field.type == "many2one":
                value = value and value[1]
            elif field.type == "selection":
                value = selections[fname].get(value, value) if value else False
            elif field.type == "monetary":
                fmt = "amount"
            elif field.type == "datetime" and value:
                # Dates of the user's day, as in the form view.
                value = fields.Datetime.context_timestamp(Case, value).date()
            elif field.type == "boolean":
                value = self.env._("Yes") if value else self.env._("No")
            writer.write(sheet, row, col, value, fmt)
