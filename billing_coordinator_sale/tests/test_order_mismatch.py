from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.billing_coordinator.tests.common import BillingCaseCommon
from odoo.addons.billing_coordinator.tests.test_detection_bulk import NOT_COMPARED


@tagged("post_install", "-at_install")
class TestOrderMismatch(BillingCaseCommon):
    """Invoices checked against real sales orders: services invoiced on order, and
    consumables invoiced on delivery with the delivered quantity recorded on the order
    (sale without stock: the manual delivered quantity)."""

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref(
            "sales_team.group_sale_manager"
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["billing.case"]
        cls.training = cls._create_product(
            name="Training day",
            type="service",
            lst_price=800.0,
            taxes_id=False,
            invoice_policy="order",
        )
        cls.kit = cls._create_product(
            name="Kit", type="consu", lst_price=45.0, taxes_id=False
        )
        cls.kit.invoice_policy = "delivery"

    def _order(self, lines, pricelist=None, days_ago=5):
        """A confirmed sales order; ``lines``: (product, quantity, discount)."""
        vals = {
            "partner_id": self.customer.id,
            "date_order": fields.Datetime.now() - timedelta(days=days_ago),
            "order_line": [
                Command.create(
                    {"product_id": p.id, "product_uom_qty": q, "discount": d}
                )
                for p, q, d in lines
            ],
        }
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        order = self.env["sale.order"].create(vals)
        order.action_confirm()
        return order

    def _invoice(self, order, line_changes=None, post=True):
        """The order's invoice; ``line_changes``: product -> values written on its line."""
        line_changes = line_changes or {}
        invoice = order._create_invoices()
        for line in invoice.invoice_line_ids:
            if line.product_id in line_changes:
                line.write(line_changes[line.product_id])
        if post:
            invoice.action_post()
        return invoice

    def _detect(self, rule="order_mismatch"):
        return self.Case._detect(self.company, rules=[rule])

    # ----------------------------------------------------------- the rule

    def test_price_changed(self):
        order = self._order([(self.training, 2, 0.0)])
        invoice = self._invoice(order, {self.training: {"price_unit": 850.0}})
        case = self._detect()["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "detection_rule": "order_mismatch",
                    "case_code": "overcharge",
                    "sale_order_id": order.id,
                    "expected_amount": 1600.0,
                    "actual_amount": 1700.0,
                    "detection_key": f"account.move,{invoice.id}",
                }
            ],
        )
        self.assertEqual(case.move_ids, invoice)
        self.assertIn("unit price changed", case.description)
        self.assertIn(order.name, case.description)
        # The case form shows the order's lines with ordered and invoiced quantities.
        self.assertEqual(case.sale_order_line_ids, order.order_line)
        self.assertRecordValues(
            case.sale_order_line_ids, [{"product_uom_qty": 2.0, "qty_invoiced": 2.0}]
        )
        self.assertEqual(case.action_view_sale_order()["res_id"], order.id)

    def test_bulk_creation_sets_the_order_as_create(self):
        """The set-wise creation of a first run stores the sales order (a field this
        module adds) and every other field as create() does."""
        orders = self._order([(self.training, 2, 0.0)]) | self._order(
            [(self.training, 1, 0.0)]
        )
        for order in orders:
            self._invoice(order, {self.training: {"price_unit": 850.0}})
        model = type(self.Case)
        fnames = [
            name
            for name, field in self.Case._fields.items()
            if field.store and name not in NOT_COMPARED
        ]

        def snapshot(cases):
            self.env.flush_all()
            self.env.invalidate_all()
            return {
                case.detection_key: {
                    name: case[name].ids if hasattr(case[name], "ids") else case[name]
                    for name in fnames
                }
                for case in cases
            }

        with patch.object(
            model,
            "_bulk_create_cases",
            autospec=True,
            side_effect=model._bulk_create_cases,
        ) as bulk:
            cases = self._detect()["created"]
        bulk.assert_called_once()
        self.assertEqual(cases.sale_order_id, orders)
        expected = snapshot(cases)
        cases.unlink()
        with patch.object(model, "_get_bulk_create_blocker", return_value="test"):
            single = self._detect()["created"]
        self.assertEqual(snapshot(single), expected)

    def test_price_not_changed(self):
        self._invoice(self._order([(self.training, 2, 0.0)]))
        # Within the 0.5 % unit price tolerance.
        self._invoice(
            self._order([(self.training, 1, 0.0)]),
            {self.training: {"price_unit": 803.0}},
        )
        summary = self._detect()
        self.assertFalse(summary["created"])
        self.assertFalse(summary["failed"])

    def test_discount_changed(self):
        over = self._invoice(
            self._order([(self.training, 1, 10.0)]), {self.training: {"discount": 5.0}}
        )
        under = self._invoice(
            self._order([(self.training, 1, 10.0)]), {self.training: {"discount": 20.0}}
        )
        # A tolerance of 2 points lets a 1-point change pass.
        self.company.billing_order_discount_tolerance = 2.0
        self._invoice(
            self._order([(self.training, 1, 10.0)]), {self.training: {"discount": 11.0}}
        )
        cases = self._detect()["created"]
        self.assertEqual(cases.move_ids, over | under)
        over_case = cases.filtered(lambda c: c.move_ids == over)
        self.assertRecordValues(
            over_case,
            [
                {
                    "case_code": "overcharge",
                    "expected_amount": 720.0,
                    "actual_amount": 760.0,
                }
            ],
        )
        under_case = cases - over_case
        self.assertRecordValues(
            under_case,
            [
                {
                    "case_code": "undercharge",
                    "expected_amount": 720.0,
                    "actual_amount": 640.0,
                }
            ],
        )
        self.assertIn("discount changed", under_case.description)

    def test_over_invoiced_on_delivery(self):
        order = self._order([(self.kit, 10, 0.0)])
        order.order_line.qty_delivered = 5
        invoice = self._invoice(order, {self.kit: {"quantity": 8}})
        case = self._detect()["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "case_code": "overcharge",
                    "expected_amount": 225.0,
                    "actual_amount": 360.0,
                    "sale_order_id": order.id,
                }
            ],
        )
        self.assertIn("over-invoiced quantity: 8", case.description)
        self.assertIn("5", case.description)
        self.assertRecordValues(
            case.sale_order_line_ids,
            [{"product_uom_qty": 10.0, "qty_delivered": 5.0, "qty_invoiced": 8.0}],
        )
        # Delivered in full later: the invoice is right now, the case clears.
        order.order_line.qty_delivered = 8
        self.assertEqual(self._detect()["cleared"], case)
        self.assertEqual(invoice.billing_case_ids, case)

    def test_not_over_invoiced(self):
        order = self._order([(self.kit, 10, 0.0)])
        order.order_line.qty_delivered = 5
        self._invoice(order)  # the 5 delivered
        # Quantity tolerance: 20 % of the 10 ordered lets 2 more pass.
        self.company.billing_order_qty_tolerance_percent = 20.0
        other = self._order([(self.kit, 10, 0.0)])
        other.order_line.qty_delivered = 5
        self._invoice(other, {self.kit: {"quantity": 7}})
        self.assertFalse(self._detect()["created"])

    def test_order_line_invoiced_twice(self):
        order = self._order([(self.training, 1, 0.0)])
        self._invoice(order)
        line = order.order_line
        again = self._create_invoice(post=False)
        again.invoice_line_ids = [
            Command.clear(),
            Command.create(
                {
                    "product_id": self.training.id,
                    "quantity": 1,
                    "price_unit": 800.0,
                    "tax_ids": False,
                    "sale_line_ids": [Command.set(line.ids)],
                }
            ),
        ]
        again.action_post()
        case = self._detect()["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "move_ids": again.ids,
                    "expected_amount": 0.0,
                    "actual_amount": 800.0,
                    "case_code": "overcharge",
                }
            ],
        )
        self.assertIn("invoiced twice (2 invoices)", case.description)
        # The second invoice is cancelled: cleared.
        again.button_draft()
        again.button_cancel()
        self.assertEqual(self._detect()["cleared"], case)

    # --------------------------------------------------- warning before posting

    def test_draft_invoice_warning(self):
        order = self._order([(self.training, 2, 0.0)])
        draft = self._invoice(order, {self.training: {"price_unit": 900.0}}, post=False)
        self.assertIn(
            "Posting this invoice would open a billing case",
            draft.billing_order_mismatch_warning,
        )
        self.assertIn("unit price changed", draft.billing_order_mismatch_warning)
        self.assertIn("billing_order_mismatch", draft.alerts)
        # Nothing is created before posting.
        self.assertFalse(self._detect()["created"])
        draft.action_post()
        self.assertFalse(draft.billing_order_mismatch_warning)
        self.assertEqual(self._detect()["created"].move_ids, draft)

    def test_draft_invoice_no_warning(self):
        draft = self._invoice(self._order([(self.training, 2, 0.0)]), post=False)
        self.assertFalse(draft.billing_order_mismatch_warning)
        self.assertNotIn("billing_order_mismatch", draft.alerts or {})

    # ------------------------------------------------------ pricelist reference

    def test_pricelist_reference(self):
        """The price rules compare with the order's pricelist price, not the list price."""
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Partners -20%",
                "currency_id": self.company.currency_id.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 20.0,
                        }
                    ),
                    Command.create(
                        {
                            "applied_on": "1_product",
                            "product_tmpl_id": self.kit.product_tmpl_id.id,
                            "compute_price": "fixed",
                            "fixed_price": 30.0,
                        }
                    ),
                ],
            }
        )
        order = self._order(
            [(self.training, 1, 0.0), (self.kit, 2, 0.0)], pricelist=pricelist
        )
        order.order_line.filtered(
            lambda line: line.product_id == self.kit
        ).qty_delivered = 2
        lines = order.order_line.sorted(lambda line: line.product_id == self.kit)
        self.assertAlmostEqual(
            lines[0].price_unit * (1 - lines[0].discount / 100), 640.0
        )
        self.assertAlmostEqual(lines[1].price_unit, 30.0)
        self._invoice(order)
        # 640 and 30 are 20 % and 33 % below the list prices, but they are the pricelist's.
        self.assertFalse(self._detect("undercharge")["created"])
        self.assertFalse(self._detect("overcharge")["created"])
        # Billed at list price on an order of that pricelist: above the reference.
        other = self._order([(self.kit, 2, 0.0)], pricelist=pricelist)
        other.order_line.qty_delivered = 2
        invoice = self._invoice(other, {self.kit: {"price_unit": 45.0}})
        case = self._detect("overcharge")["created"]
        self.assertRecordValues(
            case,
            [{"move_ids": invoice.ids, "expected_amount": 60.0, "actual_amount": 90.0}],
        )

    def test_without_order_list_price_reference(self):
        """An invoice line without a sales order keeps the product's list price."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.kit.id,
                            "quantity": 1,
                            "price_unit": 60.0,
                            "tax_ids": False,
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        case = self._detect("overcharge")["created"]
        self.assertRecordValues(
            case, [{"expected_amount": 45.0, "actual_amount": 60.0}]
        )
