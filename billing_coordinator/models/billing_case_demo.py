from datetime import timedelta

from odoo import api, fields, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _load_demo_data(self):
        """Believable receivables for a new user: customers, posted invoices, partial and
        full payments, and cases in every state. Called from demo/billing_demo.xml."""
        company = self.env.company
        if not self.env["account.journal"].search_count(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        ):
            self.env["account.chart.template"].try_loading(
                "generic_coa", company, install_demo=False
            )
        if not company.billing_writeoff_account_id:
            Account = self.env["account.account"]
            company.billing_writeoff_account_id = Account.search(
                [
                    *Account._check_company_domain(company),
                    ("account_type", "=", "expense"),
                ],
                limit=1,
            )
        today = fields.Date.context_today(self)
        ref = self.env.ref
        coordinator = ref("base.user_admin")
        _teams, key_account = self.env["billing.team"]._load_demo_teams()
        Partner = self.env["res.partner"]
        customers = Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "email": email,
                    "street": street,
                    "city": city,
                    "zip": zip_code,
                    "country_id": ref("base.us").id,
                }
                for name, email, street, city, zip_code in [
                    (
                        "Harbor Logistics Inc.",
                        "ap@harbor-logistics.example.com",
                        "12 Pier Road",
                        "Boston",
                        "02110",
                    ),
                    (
                        "Northwind Traders",
                        "billing@northwind.example.com",
                        "400 Market St",
                        "Seattle",
                        "98101",
                    ),
                    (
                        "Blue Ridge Clinics",
                        "accounts@blueridge.example.com",
                        "9 Valley Ave",
                        "Asheville",
                        "28801",
                    ),
                    ("Copperfield Retail", "", "", "", ""),
                ]
            ]
        )
        harbor, northwind, blueridge, copperfield = customers
        # Harbor and Northwind are key accounts (routed to that team by their tag); the
        # administrator looks after Harbor personally. The others go to Regional (US).
        (harbor | northwind).category_id = key_account
        harbor.billing_coordinator_id = coordinator

        invoice, pay = self._demo_invoice, self._demo_pay

        inv_overcharged = invoice(
            harbor,
            20,
            [("Freight handling, March", 10, 120.0), ("Storage fee", 1, 450.0)],
        )
        inv_short = invoice(harbor, 45, [("Container transport", 4, 875.0)])
        pay_short = pay(inv_short, 3200.0, 10)
        inv_overdue = invoice(northwind, 75, [("Consulting hours", 16, 150.0)])
        inv_paid = invoice(northwind, 40, [("Annual support plan", 1, 1800.0)])
        pay_paid = pay(inv_paid, 1800.0, 15)
        inv_dispute = invoice(blueridge, 30, [("Medical supplies, lot 44", 200, 12.5)])
        inv_data = invoice(copperfield, 12, [("Shelving units", 6, 310.0)])
        inv_resolved = invoice(blueridge, 60, [("Lab equipment rental", 2, 640.0)])
        pay(inv_resolved, 1280.0, 30)

        types = {
            code: ref(f"billing_coordinator.case_type_{code}")
            for code in (
                "overcharge",
                "short_payment",
                "overdue",
                "customer_data",
                "other",
                "undercharge",
            )
        }
        Case = self.env["billing.case"]
        cases = Case.create(
            [
                {
                    "partner_id": harbor.id,
                    "case_type_id": types["overcharge"].id,
                    "move_ids": [fields.Command.set(inv_overcharged.ids)],
                    "expected_amount": 1500.0,
                    "actual_amount": inv_overcharged.amount_total,
                    "root_cause": "pricing_error",
                    "description": "<p>Customer says the agreed freight rate is 105.00 "
                    "per unit, not 120.00.</p>",
                },
                {
                    "partner_id": harbor.id,
                    "case_type_id": types["short_payment"].id,
                    "move_ids": [fields.Command.set(inv_short.ids)],
                    "payment_ids": [fields.Command.set(pay_short.ids)],
                    "expected_amount": inv_short.amount_total,
                    "actual_amount": 3200.0,
                    "root_cause": "customer_paid_wrong",
                },
                {
                    "partner_id": northwind.id,
                    "case_type_id": types["overdue"].id,
                    "move_ids": [fields.Command.set(inv_overdue.ids)],
                    "expected_amount": inv_overdue.amount_total,
                    "actual_amount": 0.0,
                    "root_cause": "late_payment",
                },
                {
                    "partner_id": blueridge.id,
                    "case_type_id": types["overcharge"].id,
                    "move_ids": [fields.Command.set(inv_dispute.ids)],
                    "expected_amount": 2250.0,
                    "actual_amount": inv_dispute.amount_total,
                    "root_cause": "quantity_error",
                    "description": "<p>Only 180 units were delivered; 200 were billed.</p>",
                },
                {
                    "partner_id": copperfield.id,
                    "case_type_id": types["customer_data"].id,
                    "move_ids": [fields.Command.set(inv_data.ids)],
                    "description": "<p>No invoicing e-mail and no address on file.</p>",
                    "root_cause": "master_data",
                },
                {
                    "partner_id": northwind.id,
                    "case_type_id": types["other"].id,
                    "move_ids": [fields.Command.set(inv_paid.ids)],
                    "payment_ids": [fields.Command.set(pay_paid.ids)],
                    "expected_amount": 1800.0,
                    "actual_amount": 1800.0,
                    "resolution_note": "Customer asked for a copy of the invoice; sent.",
                },
                {
                    "partner_id": blueridge.id,
                    "case_type_id": types["undercharge"].id,
                    "move_ids": [fields.Command.set(inv_resolved.ids)],
                    "expected_amount": 1280.0,
                    "actual_amount": 1280.0,
                    "root_cause": "other",
                },
            ]
        )
        overcharge, short, overdue, dispute, data_case, info_case, checked_case = cases
        short.action_start()
        overdue.action_wait_customer()
        dispute.action_start()
        dispute.user_id = False
        info_case.action_cancel()
        checked_case.action_start()
        checked_case._mark_resolved(
            "no_action", note="Price list checked: the invoice was right."
        )
        # A queue as it looks on a working day: one case past its SLA (escalated by the
        # daily cron), one due today, one due this week.
        short.deadline = today - timedelta(days=2)
        overcharge.deadline = today
        dispute.deadline = today + timedelta(days=2)
        short._escalate_sla_breach(short._get_sla_due_dates(today))
        overcharge.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=today + timedelta(days=1),
            summary="Call Harbor about the freight rate",
            user_id=coordinator.id,
        )
        # A dispute accepted and settled with a credit note through the resolution wizard.
        inv_training = invoice(northwind, 8, [("On-site training day", 1, 900.0)])
        accepted = Case.create(
            {
                "partner_id": northwind.id,
                "case_type_id": types["overcharge"].id,
                "move_ids": [fields.Command.set(inv_training.ids)],
                "expected_amount": 750.0,
                "actual_amount": 900.0,
                "root_cause": "pricing_error",
                "description": "<p>The training was quoted at 750.00.</p>",
            }
        )
        accepted.action_start()
        self.env["billing.case.resolve"].create(
            {"case_id": accepted.id, "resolution_type": "credit_note", "amount": 150.0}
        ).action_apply()
        # Whom to call and what to expect (the customer context panel): Harbor's
        # accounts payable contact, money received on account and a promise to pay.
        harbor.phone = "+1 617 555 0100"
        Partner.create(
            {
                "name": "Dana Whitfield",
                "parent_id": harbor.id,
                "type": "invoice",
                "phone": "+1 617 555 0142",
                "email": "dana.whitfield@harbor-logistics.example.com",
            }
        )
        on_account = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": harbor.id,
                "amount": 500.0,
                "date": today - timedelta(days=2),
                "memo": "Payment on account",
            }
        )
        on_account.action_post()
        self.env["billing.case.promise"].create(
            {
                "case_id": short.id,
                "date": today + timedelta(days=5),
                "amount": 300.0,
                "target_residual": 0.0,
            }
        )
        self._load_detection_demo_data(customers)
        self._run_detection()
        return cases

    @api.private
    def _demo_invoice(self, partner, days_ago, lines, term_days=30):
        """A posted demo invoice; ``lines`` are (label, quantity, price[, product])."""
        today = fields.Date.context_today(self)
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": today - timedelta(days=days_ago),
                "invoice_date_due": today - timedelta(days=days_ago - term_days),
                "invoice_line_ids": [
                    fields.Command.create(
                        {
                            "name": line[0],
                            "quantity": line[1],
                            "price_unit": line[2],
                            "product_id": line[3].id if len(line) > 3 else False,
                            "tax_ids": False,
                        }
                    )
                    for line in lines
                ],
            }
        )
        move.action_post()
        return move

    @api.private
    def _demo_pay(self, move, amount, days_ago):
        """Pay a demo invoice through Odoo's payment wizard, leaving any rest open."""
        today = fields.Date.context_today(self)
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create(
                {"amount": amount, "payment_date": today - timedelta(days=days_ago)}
            )
        )
        if amount < move.amount_residual:
            wizard.payment_difference_handling = "open"
        return wizard._create_payments()
