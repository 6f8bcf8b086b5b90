"""Sending customer statements: by hand from the customer list (the statement wizard) and
by the monthly run for customers who opted in. Each customer gets its own PDF, attached
to an e-mail from the statement template and kept in the customer's chatter."""

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import split_every

from .billing_cron_concurrency import run_cron_batch

STATEMENT_REPORT = "billing_coordinator.report_customer_statement_action"
STATEMENT_TEMPLATE = "billing_coordinator.mail_template_customer_statement"
# Customers e-mailed per committed batch of the monthly run.
STATEMENT_BATCH_SIZE = 50


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_statement_monthly = fields.Boolean(
        string="Monthly Statement",
        help="E-mail this customer its statement of account at the start of every month.",
    )
    billing_statement_sent_date = fields.Date(
        string="Last Statement Sent",
        readonly=True,
        copy=False,
    )

    @api.private
    def _send_billing_statements(self, options=None):
        """E-mail each commercial partner of ``self`` that has an e-mail address its
        statement; returns the partners that got one. Partners without an address are
        skipped (the wizard tells the user which)."""
        options = self._get_billing_statement_options(options)
        template = self.env.ref(STATEMENT_TEMPLATE)
        Report = self.env["ir.actions.report"]
        report = Report._get_report(STATEMENT_REPORT)
        data = {
            key: fields.Date.to_string(value)
            if key.startswith("date") and value
            else value
            for key, value in options.items()
        }
        sent = self.browse()
        for partner in self.commercial_partner_id.filtered("email"):
            lang_partner = partner.with_context(lang=partner.lang or self.env.lang)
            content, _report_type = Report.with_context(
                lang=lang_partner.env.lang
            )._render_qweb_pdf(report, partner.ids, data=data)
            attachment = self.env["ir.attachment"].create(
                {
                    "name": lang_partner._get_billing_statement_filename(options),
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": partner._name,
                    "res_id": partner.id,
                }
            )
            partner.message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                attachment_ids=attachment.ids,
            )
            sent |= partner
        sent.billing_statement_sent_date = fields.Date.context_today(self)
        return sent

    def _get_billing_statement_filename(self, options):
        self.ensure_one()
        return self.env._(
            "Statement %(customer)s %(date)s.pdf",
            customer=self.name,
            date=fields.Date.to_string(options["date_at"]),
        ).replace("/", "-")

    @api.model
    def _get_billing_statement_run_domain(self):
        """Customers due for this month's statement: opted in, with an e-mail address,
        not yet sent since the first of the month."""
        first_of_month = fields.Date.context_today(self).replace(day=1)
        return (
            Domain("billing_statement_monthly", "=", True)
            & Domain("email", "!=", False)
            & Domain("parent_id", "=", False)
            & (
                Domain("billing_statement_sent_date", "=", False)
                | Domain("billing_statement_sent_date", "<", first_of_month)
            )
        )

    @api.model
    def _cron_send_billing_statements(self, batch_size=STATEMENT_BATCH_SIZE):
        """Monthly: e-mail opted-in customers their statement as of today, per company
        of the customer (its own company, else every company of the run's user), a batch
        at a time with the cron progress API; sent partners are stamped, so a run cut
        short by the time limit goes on where it stopped."""
        domain = self._get_billing_statement_run_domain()
        partner_ids = self.search(domain).ids

        def send(chunk):
            # Searched again: a retried batch skips whom a concurrent run already sent to.
            for company, partners in (
                self.search(domain & Domain("id", "in", chunk))
                .grouped("company_id")
                .items()
            ):
                company = company or self.env.company
                partners.with_company(company)._send_billing_statements(
                    {"company_id": company.id}
                )

        run_cron_batch(self.env, list(split_every(batch_size, partner_ids, list)), send)
