from datetime import timedelta

from odoo import api, fields, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _load_detection_demo_data(self, customers):
        """Documents each detection rule finds on the demo database (one or two per
        rule), next to the hand-made cases of _load_demo_data. ``customers`` are the demo
        customers Harbor, Northwind, Blue Ridge and Copperfield."""
        harbor, northwind, blueridge, _copperfield = customers
        today = fields.Date.context_today(self)
        ref = self.env.ref
        us = ref("base.us")
        Partner = self.env["res.partner"]
        silverline = Partner.create(
            {
                "name": "Silverline Foods",
                "is_company": True,
                "email": "payables@silverline.example.com",
                "street": "77 Harvest Lane",
                "city": "Portland",
                "zip": "97201",
                "country_id": us.id,
            }
        )
        # base_vat, when installed, would refuse the wrong VAT number: that is the point.
        granite = Partner.with_context(no_vat_validation=True).create(
            {
                "name": "Granite Peak Outfitters",
                "is_company": True,
                "email": "compta@granitepeak.example.com",
                "street": "Avenue Louise 54",
                "city": "Brussels",
                "zip": "1050",
                "country_id": ref("base.be").id,
                "vat": "BE0477472702",
            }
        )
        Product = self.env["product.product"]
        storage = Product.create(
            {"name": "Pallet storage (month)", "type": "service", "list_price": 45.0}
        )
        express = Product.create(
            {"name": "Express delivery", "type": "service", "list_price": 25.0}
        )

        def invoice(partner, days_ago, lines, term_days=30):
            move = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": today - timedelta(days=days_ago),
                    "invoice_date_due": today - timedelta(days=days_ago - term_days),
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "name": label,
                                "product_id": product.id if product else False,
                                "quantity": qty,
                                "price_unit": price,
                                "tax_ids": False,
                            }
                        )
                        for label, product, qty, price in lines
                    ],
                }
            )
            move.action_post()
            return move

        def pay(move, amount, days_ago):
            wizard = (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"amount": amount, "payment_date": today - timedelta(days=days_ago)})
            )
            if amount < move.amount_residual:
                wizard.payment_difference_handling = "open"
            return wizard._create_payments()

        def receive(partner, amount, days_ago, memo=False):
            payment = self.env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "date": today - timedelta(days=days_ago),
                    "memo": memo,
                }
            )
            payment.action_post()
            return payment

        # overpayment: 1,250.00 received on a 1,000.00 invoice
        pay(invoice(silverline, 25, [("Cold storage, March", False, 1, 1000.0)]), 1250.0, 20)
        # short_payment: 120.00 (5 %) deducted
        pay(invoice(harbor, 35, [("Warehouse handling, April", False, 1, 2400.0)]), 2280.0, 5)
        # overcharge and undercharge: pallet storage above its list price, delivery below
        invoice(
            harbor,
            10,
            [("Pallet storage", storage, 12, 52.0), ("Express delivery", express, 4, 20.0)],
        )
        # duplicate_payment: the same invoice paid twice
        gloves = invoice(blueridge, 20, [("Sterile gloves, lot 51", False, 40, 21.5)])
        first = pay(gloves, gloves.amount_total, 3)
        receive(blueridge, gloves.amount_total, 2, memo=first.memo)
        # unapplied_payment: money received without any invoice reference
        receive(northwind, 600.0, 12)
        # overdue: due 40 days ago, nothing paid
        invoice(blueridge, 70, [("Lab equipment maintenance", False, 1, 950.0)])
        # customer_data: a wrong VAT number
        invoice(granite, 5, [("Trail maps, 200 copies", False, 200, 1.75)])
