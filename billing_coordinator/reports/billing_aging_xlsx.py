from odoo import models

# Journal items streamed per fetch from the server-side cursor of the aging engine.
ITEM_BATCH_SIZE = 2000


class ReportAgingXlsx(models.AbstractModel):
    """AR aging workbook: a summary sheet by customer (``_get_aging()``) and a detail
    sheet with every open item, streamed from the engine's server-side cursor
    (``_iter_aging_items()``) into a constant-memory workbook. Both start with the
    filters; totals are written as numbers."""

    _name = "report.billing_coordinator.aging_xlsx"
    _inherit = "billing.xlsx.mixin"
    _description = "AR Aging (XLSX)"

    def generate_xlsx_report(self, workbook, data, objs):
        wizard = objs.ensure_one()
        filters = wizard._get_aging_filters()
        Aging = self.env["billing.receivable.line"]
        writer = self._xlsx_writer(workbook)
        buckets = Aging._get_aging_buckets(filters["company_ids"])
        target = Aging._aging_target_currency(filters["company_ids"])
        summary = workbook.add_worksheet(self.env._("Summary"))
        detail = workbook.add_worksheet(self.env._("Open Items"))
        self._write_summary(writer, summary, wizard, filters, buckets, target)
        self._write_detail(writer, detail, wizard, filters, buckets, target)

    def _write_summary(self, writer, sheet, wizard, filters, buckets, target):
        Aging = self.env["billing.receivable.line"]
        lines = Aging._get_aging(**filters)
        row = self._xlsx_header_block(
            writer, sheet, self.env._("AR Aging Summary"), wizard._get_filter_lines()
        )
        columns = [
            (self.env._("Customer"), 36),
            (self.env._("Reference"), 14),
            (self.env._("Currency"), 9),
        ]
        columns += [(bucket["label"], 14) for bucket in buckets]
        columns += [(self.env._("Total"), 15), (self.env._("Total in Currency"), 16)]
        header_row = row
        row = self._xlsx_table_header(writer, sheet, row, columns)
        partners = self.env["res.partner"].browse(
            [line["partner_id"] for line in lines if line["partner_id"]]
        )
        # name and reference by customer, name and row formats by currency: read once
        partners.fetch(["ref"])
        names = {}
        self._load_names(names, set(partners.ids))
        customers = {
            partner.id: (names.get(partner.id), partner.ref) for partner in partners
        }
        no_customer = self.env._("No customer")
        amount_fmt = writer.currency_format(target)
        keys = [bucket["key"] for bucket in buckets] + ["total"]
        currencies = {
            currency.id: (
                currency.name,
                [None, None, None]
                + [amount_fmt] * len(keys)
                + [writer.currency_format(currency)],
            )
            for currency in self.env["res.currency"].browse(
                {line["currency_id"] for line in lines}
            )
        }
        totals = dict.fromkeys(keys, 0.0)
        for line in lines:
            name, ref = customers.get(line["partner_id"], (False, False))
            currency_name, formats = currencies[line["currency_id"]]
            values = [name or no_customer, ref, currency_name]
            values += [line[key] for key in keys] + [line["total_currency"]]
            writer.write_row(sheet, row, values, formats)
            for key in keys:
                totals[key] += line[key]
            row += 1
        sheet.autofilter(header_row, 0, max(row - 1, header_row), len(columns) - 1)
        total_fmt = writer.currency_format(target, total=True)
        writer.write_text(sheet, row, 0, self.env._("Total"), "total_label")
        writer.write(sheet, row, 1, None, "total_label")
        writer.write(sheet, row, 2, None, "total_label")
        for col, key in enumerate(keys, start=3):
            writer.write(sheet, row, col, target.round(totals[key]), total_fmt)

    def _get_detail_columns(self):
        return [
            (self.env._("Customer"), 32),
            (self.env._("Company"), 18),
            (self.env._("Number"), 18),
            (self.env._("Type"), 16),
            (self.env._("Reference"), 18),
            (self.env._("Invoice Date"), 12),
            (self.env._("Due Date"), 12),
            (self.env._("Days Overdue"), 8),
            (self.env._("Bucket"), 10),
            (self.env._("Currency"), 9),
            (self.env._("Amount in Currency"), 16),
            (self.env._("Amount"), 16),
            (self.env._("Open Case"), 9),
        ]

    def _write_detail(self, writer, sheet, wizard, filters, buckets, target):
        Aging = self.env["billing.receivable.line"]
        row = self._xlsx_header_block(
            writer,
            sheet,
            self.env._("AR Aging: Open Items"),
            wizard._get_filter_lines(),
        )
        columns = self._get_detail_columns()
        header_row = row
        row = self._xlsx_table_header(writer, sheet, row, columns)
        labels = {bucket["key"]: bucket["label"] for bucket in buckets}
        move_types = dict(
            self.env["account.move"]
            ._fields["move_type"]
            ._description_selection(self.env)
        )
        companies = {company.id: company.name for company in filters["company_ids"]}
        no_customer = self.env._("No customer")
        open_case = self.env._("Yes")
        # Per document currency: its name and the formats of the row (computed once).
        row_formats = {}
        names = {}
        amount_fmt = writer.currency_format(target)
        total = 0.0
        convert = Aging._aging_converter(target)
        for items in Aging._iter_aging_items(batch_size=ITEM_BATCH_SIZE, **filters):
            self._load_names(names, {item["partner_id"] for item in items})
            for item in items:
                currency_id = item["currency_id"]
                if currency_id not in row_formats:
                    currency = self.env["res.currency"].browse(currency_id)
                    row_formats[currency_id] = (
                        currency.name,
                        [None] * 7
                        + [
                            "integer",
                            None,
                            None,
                            writer.currency_format(currency),
                            amount_fmt,
                            None,
                        ],
                    )
                currency_name, formats = row_formats[currency_id]
                amount = convert(
                    float(item["amount_residual"]),
                    item["company_id"],
                    filters["date_at"],
                )
                total += amount
                writer.write_row(
                    sheet,
                    row,
                    [
                        names.get(item["partner_id"]) or no_customer,
                        companies.get(item["company_id"]),
                        item["move_name"],
                        move_types.get(item["move_type"], item["move_type"]),
                        item["ref"],
                        item["invoice_date"],
                        item["date_maturity"],
                        item["days_overdue"],
                        labels.get(item["aging_bucket"], item["aging_bucket"]),
                        currency_name,
                        float(item["amount_residual_currency"]),
                        amount,
                        open_case if item["has_open_case"] else "",
                    ],
                    formats,
                )
                row += 1
        sheet.autofilter(header_row, 0, max(row - 1, header_row), len(columns) - 1)
        writer.write_text(sheet, row, 0, self.env._("Total"), "total_label")
        for col in range(1, len(columns)):
            if col == 11:
                writer.write(
                    sheet,
                    row,
                    col,
                    target.round(total),
                    writer.currency_format(target, total=True),
                )
            else:
                writer.write(sheet, row, col, None, "total_label")

    def _load_names(self, names, partner_ids):
        """Add the display names of ``partner_ids`` not yet in ``names`` (a few per batch:
        the dict grows with the customers, not with the items), read in one query
        instead of computing ``display_name`` partner by partner."""
        missing = [pid for pid in partner_ids if pid and pid not in names]
        if missing:
            # the read access display_name would check (the names are read in sudo)
            self.env["res.partner"].browse(missing).check_access("read")
            names.update(
                self.env["billing.receivable.line"]._aging_partner_sort_names(missing)
            )
