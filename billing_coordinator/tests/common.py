from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class BillingCaseCommon(AccountTestInvoicingCommon):
    """Users, customers and factories for billing_coordinator tests (no demo data)."""

    @classmethod
    def get_default_groups(cls):
        # The test user works as a billing manager, like an accountant running the module.
        return super().get_default_groups() | cls.env.ref(
            "billing_coordinator.group_billing_manager"
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.today = fields.Date.context_today(cls.env["billing.case"])
        group = cls.env.ref
        cls.coordinator = cls._create_billing_user(
            "coordinator", [group("billing_coordinator.group_billing_user")]
        )
        cls.manager = cls._create_billing_user(
            "billing_manager", [group("billing_coordinator.group_billing_manager")]
        )
        cls.invoice_user = cls._create_billing_user(
            "invoice_clerk", [group("account.group_account_invoice")]
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Acme Billing Customer",
                "is_company": True,
                "email": "ap@acme.example.com",
            }
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Ann Payable", "parent_id": cls.customer.id, "type": "invoice"}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Customer", "is_company": True}
        )
        cls.type_overcharge = group("billing_coordinator.case_type_overcharge")
        cls.type_short_payment = group("billing_coordinator.case_type_short_payment")

    @classmethod
    def _create_billing_user(cls, login, groups, companies=None):
        companies = companies or cls.company
        return cls.env["res.users"].create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": f"{login}-pass",
                "email": f"{login}@example.com",
                "company_id": companies[0].id,
                "company_ids": [Command.set(companies.ids)],
                "group_ids": [Command.set([g.id for g in groups])],
            }
        )

    @classmethod
    def _create_invoice(
        cls,
        partner=None,
        amount=1000.0,
        move_type="out_invoice",
        currency=None,
        invoice_date=None,
        due_date=None,
        company=None,
        post=True,
    ):
        """A customer invoice with one untaxed line of ``amount``."""
        company = company or cls.company
        invoice_date = invoice_date or cls.today
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": (partner or cls.customer).id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": due_date or invoice_date,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Billing test line",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": False,
                            }
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _register_payment(cls, invoices, amount=None, payment_date=None, currency=None):
        """Pay invoices through Odoo's payment wizard; returns the posted payment."""
        vals = {"payment_date": payment_date or cls.today}
        if amount is not None:
            vals["amount"] = amount
        if currency:
            vals["currency_id"] = currency.id
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(vals)
        )
        if amount is not None and amount < sum(invoices.mapped("amount_residual")):
            wizard.payment_difference_handling = "open"
        return wizard._create_payments()

    @classmethod
    def _create_case(cls, **vals):
        values = {
            "partner_id": cls.customer.id,
            "case_type_id": cls.type_overcharge.id,
        }
        values.update(vals)
        return cls.env["billing.case"].create(values)

    @classmethod
    def _other_company_case(cls, name):
        """A new company ``name`` (``setup_other_company``) and a case of the other
        customer in it: the foreign record of the multi-company tests (its company is
        ``case.company_id``)."""
        other = cls.setup_other_company(name=name)["company"]
        return (
            cls.env["billing.case"]
            .with_company(other)
            .create(
                {
                    "partner_id": cls.other_customer.id,
                    "case_type_id": cls.type_overcharge.id,
                    "company_id": other.id,
                }
            )
        )


class BillingResolutionCommon(BillingCaseCommon):
    """For tests that resolve cases: the company's journals, a write-off account with a
    50.00 coordinator limit, and the case types resolved besides overcharge."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sale_journal = cls.company_data["default_journal_sale"]
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.misc_journal = cls.company_data["default_journal_misc"]
        cls.writeoff_account = cls.company_data["default_account_expense"]
        cls.company.write(
            {
                "billing_writeoff_account_id": cls.writeoff_account.id,
                "billing_writeoff_limit": 50.0,
            }
        )
        ref = cls.env.ref
        cls.type_undercharge = ref("billing_coordinator.case_type_undercharge")
        cls.type_overpayment = ref("billing_coordinator.case_type_overpayment")
        cls.type_overdue = ref("billing_coordinator.case_type_overdue")
        cls.type_customer_data = ref("billing_coordinator.case_type_customer_data")
