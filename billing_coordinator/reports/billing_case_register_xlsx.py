from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

# Cases read and written per batch: memory stays flat however many cases are exported.
BATCH_SIZE = 1000
# Field types whose stored column holds the value as the ORM gives it (NULL aside).
PLAIN_COLUMN_TYPES = {
    "boolean",
    "char",
    "date",
    "datetime",
    "float",
    "integer",
    "many2one",
    "monetary",
    "selection",
    "text",
}
NUMBER_TYPES = {"float", "integer", "monetary"}


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
        context = {
            "selections": {
                fname: dict(Case._fields[fname]._description_selection(self.env))
                for fname in fnames
                if Case._fields[fname].type == "selection"
            },
            # display names by comodel and id, kept across batches: they grow with the
            # customers, coordinators and teams, not with the cases
            "names": {},
            "yes": self.env._("Yes"),
            "no": self.env._("No"),
        }
        kinds = [
            (fname, Case._fields[fname].type, Case._fields[fname].comodel_name)
            for fname in fnames
        ]
        formats = ["amount" if kind == "monetary" else None for _f, kind, _m in kinds]
        self.env.flush_all()
        for batch_ids in split_every(BATCH_SIZE, objs.ids, list):
            batch = self._read_register_batch(Case.browse(batch_ids), fnames)
            self._load_register_names(context["names"], batch, fnames)
            for values in batch:
                writer.write_row(
                    sheet, row, self._register_row(kinds, values, context), formats
                )
                row += 1
            # Forget what the batch loaded: the cache must not grow with the export.
            self.env.invalidate_all()
        sheet.autofilter(header_row, 0, max(row - 1, header_row), len(columns) - 1)

    def _read_register_batch(self, cases, fnames):
        """The values of ``fnames`` for ``cases``, in their order (many2one: the id),
        like ``read(fnames, load=None)``: plain stored columns in one query, the other
        fields (translated, computed) through ``read()``."""
        # fetch() applies access rights and record rules like read(): another team's or
        # company's case raises AccessError instead of landing in the file.
        cases.fetch(fnames)
        Case = cases.browse()
        columns = [
            fname
            for fname in fnames
            if Case._fields[fname].store
            and Case._fields[fname].column_type
            and Case._fields[fname].type in PLAIN_COLUMN_TYPES
            and not Case._fields[fname].translate
            and not Case._fields[fname].company_dependent
        ]
        rows = {
            values["id"]: values
            for values in self.env.execute_query_dict(
                SQL(
                    "SELECT %s FROM %s WHERE id = ANY(%s)",
                    SQL(", ").join(SQL.identifier(fname) for fname in ["id", *columns]),
                    SQL.identifier(Case._table),
                    cases.ids,
                )
            )
        }
        for fname in columns:
            if Case._fields[fname].type in NUMBER_TYPES:
                # NULL reads as 0 through the ORM
                for values in rows.values():
                    values[fname] = values[fname] or 0
        others = [fname for fname in fnames if fname not in columns]
        if others:
            for values in cases.read(others, load=None):
                rows[values["id"]].update(values)
        return [rows[case_id] for case_id in cases.ids if case_id in rows]

    def _load_register_names(self, names, batch, fnames):
        """Add to ``names`` the display names of the many2one values of ``batch`` not
        yet in it, one read per comodel."""
        Case = self.env["billing.case"]
        for fname in fnames:
            field = Case._fields[fname]
            if field.type != "many2one":
                continue
            known = names.setdefault(field.comodel_name, {})
            missing = {values[fname] for values in batch} - known.keys() - {None, False}
            if missing:
                # sudo: as read() does for the display name of a many2one, the case's
                # access decides whether its customer or team is shown, not theirs
                records = self.env[field.comodel_name].sudo().browse(missing)
                known.update(
                    zip(records.ids, records.mapped("display_name"), strict=True)
                )

    def _register_row(self, kinds, values, context):
        """The cell values of one case; ``kinds``: ``(field name, type, comodel)``."""
        Case = self.env["billing.case"]
        row = []
        for fname, kind, comodel in kinds:
            value = values[fname]
            if kind == "many2one":
                value = context["names"][comodel].get(value) if value else False
            elif kind == "selection":
                value = (
                    context["selections"][fname].get(value, value) if value else False
                )
            elif kind == "datetime" and value:
                # Dates of the user's day, as in the form view.
                value = fields.Datetime.context_timestamp(Case, value).date()
            elif kind == "boolean":
                value = context["yes"] if value else context["no"]
            row.append(value)
        return row
