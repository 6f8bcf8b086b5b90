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

        invoice, pay = self._demo_invoice, self._demo_pay

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
        pay(invoice(silverline, 25, [("Cold storage, March", 1, 1000.0)]), 1250.0, 20)
        # short_payment: 120.00 (5 %) deducted
        pay(invoice(harbor, 35, [("Warehouse handling, April", 1, 2400.0)]), 2280.0, 5)
        # overcharge and undercharge: pallet storage above its list price, delivery below
        invoice(
            harbor,
            10,
            [
                ("Pallet storage", 12, 52.0, storage),
                ("Express delivery", 4, 20.0, express),
            ],
        )
        # duplicate_payment: the same invoice paid twice
        gloves = invoice(blueridge, 20, [("Sterile gloves, lot 51", 40, 21.5)])
        first = pay(gloves, gloves.amount_total, 3)
        receive(blueridge, gloves.amount_total, 2, memo=first.memo)
        # unapplied_payment: money received without any invoice reference
        receive(northwind, 600.0, 12)
        # overdue: due 40 days ago, nothing paid
        invoice(blueridge, 70, [("Lab equipment maintenance", 1, 950.0)])
        # customer_data: a wrong VAT number
        invoice(granite, 5, [("Trail maps, 200 copies", 200, 1.75)])
