from datetime import timedelta

from odoo import Command, api, fields, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _load_sale_demo_data(self):
        """Sales orders whose invoices differ from them: one with a changed price and
        discount (an overcharge case), one order line invoiced twice, and a draft invoice
        that shows the warning before it is posted."""
        today = fields.Date.context_today(self)
        customer = self.env["res.partner"].create(
            {
                "name": "Lakeside Hospitality Group",
                "is_company": True,
                "email": "accounts@lakeside.example.com",
                "street": "12 Shore Road",
                "city": "Burlington",
                "zip": "05401",
                "country_id": self.env.ref("base.us").id,
                "child_ids": [
                    Command.create(
                        {
                            "name": "Lakeside Payables",
                            "type": "invoice",
                            "email": "payables@lakeside.example.com",
                        }
                    )
                ],
            }
        )
        Product = self.env["product.product"]
        training = Product.create(
            {
                "name": "On-site training day",
                "type": "service",
                "list_price": 800.0,
                "invoice_policy": "order",
            }
        )
        kit = Product.create(
            {"name": "Conference kit", "type": "consu", "list_price": 45.0}
        )
        kit.invoice_policy = "delivery"
        support = Product.create(
            {
                "name": "Annual support plan",
                "type": "service",
                "list_price": 1200.0,
                "invoice_policy": "order",
            }
        )

        def order(lines, days_ago):
            sale = self.env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "date_order": fields.Datetime.now() - timedelta(days=days_ago),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": qty,
                                "discount": discount,
                            }
                        )
                        for product, qty, discount in lines
                    ],
                }
            )
            sale.action_confirm()
            return sale

        # Price and discount changed on the invoice: an overcharge.
        event = order([(training, 3, 0.0), (kit, 20, 10.0)], 12)
        event.order_line.filtered(
            lambda line: line.product_id == kit
        ).qty_delivered = 20
        invoice = event._create_invoices()
        invoice.invoice_date = today - timedelta(days=10)
        for line in invoice.invoice_line_ids:
            if line.product_id == training:
                line.price_unit = 850.0
            elif line.product_id == kit:
                line.discount = 5.0
        invoice.action_post()

        # The support plan invoiced a second time by hand.
        plan = order([(support, 1, 0.0)], 30)
        first = plan._create_invoices()
        first.invoice_date = today - timedelta(days=28)
        first.action_post()
        again = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": today - timedelta(days=3),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": support.id,
                            "quantity": 1,
                            "price_unit": plan.order_line.price_unit,
                            "tax_ids": [Command.set(plan.order_line.tax_ids.ids)],
                            "sale_line_ids": [Command.set(plan.order_line.ids)],
                        }
                    )
                ],
            }
        )
        again.action_post()

        # A draft invoice billing more kits than delivered: the warning shows on it.
        followup = order([(kit, 30, 0.0)], 5)
        followup.order_line.qty_delivered = 10
        draft = followup._create_invoices()
        draft.invoice_line_ids.quantity = 30

        self._detect(self.env.company, rules=["order_mismatch"])
