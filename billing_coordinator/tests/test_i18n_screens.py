"""German throughout: what the detection writes and what each screen shows.

German is loaded as a new user loads it (the language activated, the module's de.po
loaded over the terms). "Nothing English left" is checked against the module's own
English: the terms Odoo exports for the module (``TranslationModuleReader``, the source
of the .pot), split at inline tags. A text a German screen shows that is one of those
English terms, and also shows at the same place in English, is English left over.
"""

import re
import warnings
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.tests import tagged
from odoo.tools.translate import TranslationModuleReader, code_translations

from .common import BillingCaseCommon
from .reports_common import PdfTestMixin, XlsxTestMixin

LANG = "de_DE"
MODULES = ("billing_coordinator", "billing_coordinator_sale")
STATEMENT = "billing_coordinator.report_customer_statement_action"
AGING_XLSX = "billing_coordinator.aging_xlsx_action"
# Words that are the same in German and English (or are names, codes and units).
SAME_IN_GERMAN = {
    "DSO",
    "SLA",
    "CEI",
    "E-Mail",
    "Name",
    "Status",
    "Team",
    "Teams",
    "Score",
    "Details",
    "Info",
    "Tier",
    "Standard",
    "Manuell",
    "Start",
    "Text",
    "Log",
    "Workflow",
    "ID",
    "Normal",
}
# Example document numbers in the mail templates' sample texts are data, not English.
REFERENCE = re.compile(r"^\w+/\d{4}/\d+$")
# Sentence fragments of the English rule texts; none may be in a German description.
ENGLISH_FRAGMENTS = (
    "Invoice ",
    " was paid ",
    "probable deduction",
    " is still open",
    " was due on ",
    "days ago",
    "The billing data of",
    "wrong or missing",
    "No invoicing e-mail",
    "Incomplete address",
    "No payment terms",
)


def _has_letters(text):
    return bool(re.search(r"[^\W\d_]{2,}", text))


class GermanCommon(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.modules = [
            name
            for name in MODULES
            if cls.env["ir.module.module"].search_count(
                [("name", "=", name), ("state", "=", "installed")]
            )
        ]
        cls.env["res.lang"]._activate_lang(LANG)
        cls.env["ir.module.module"]._load_module_terms(
            cls.modules, [LANG], overwrite=True
        )
        cls.company.partner_id.lang = LANG
        # The user works in English: what the detection writes follows the company.
        cls.env = cls.env(context=dict(cls.env.context, lang="en_US"))

    @classmethod
    def _english_terms(cls):
        """The module's English texts as exported to the .pot, and each text between
        its inline tags (a report term like ``As of <span/>`` shows ``As of``)."""
        if not hasattr(cls, "_terms_cache"):
            with warnings.catch_warnings():
                # Babel's JS lexer (Odoo's exporter calls it) warns about its own API.
                warnings.simplefilter("ignore", DeprecationWarning)
                reader = list(TranslationModuleReader(cls.env.cr, modules=cls.modules))
            terms = {}
            for _module, _type, name, _res_id, source, _value, _comments in reader:
                for piece in re.split(r"<[^>]*>", source):
                    piece = " ".join(piece.split())
                    if _has_letters(piece) and not REFERENCE.match(piece):
                        terms.setdefault(piece, set()).add(name)
            cls._terms_cache = terms
        return cls._terms_cache

    def _english_left(self, german, english, where):
        """The texts of ``german`` that are module terms shown as in ``english``."""
        terms = self._english_terms()
        left = sorted(
            {
                text
                for text in german
                if text in terms and text in english and text not in SAME_IN_GERMAN
            }
        )
        self.assertFalse(left, f"English left on the German {where}")


@tagged("post_install", "-at_install")
class TestGermanDetection(GermanCommon):
    """The detection writes in the company's language, whatever the user's."""

    def _detect(self, rule):
        Case = self.env["billing.case"]
        self.assertEqual(Case._get_detection_lang(self.company), LANG)
        return Case._detect(self.company, rules=[rule])["created"]

    def _assert_german(self, case, *words):
        self.assertEqual(len(case), 1)
        description = case.description
        for word in words:
            self.assertIn(word, description)
        for fragment in ENGLISH_FRAGMENTS:
            self.assertNotIn(fragment, description)

    def test_short_payment_in_german(self):
        invoice = self._create_invoice(
            amount=1000.0, invoice_date=self.today - timedelta(days=30)
        )
        self._register_payment(invoice, amount=950.0)
        case = self._detect("short_payment")
        self._assert_german(
            case, "Von der Rechnung", "wahrscheinlich ein Abzug", invoice.name
        )
        # German amounts too: 1.000,00 and 50,00.
        self.assertIn("1.000,00", case.description)
        # The chatter note when the deduction is paid after all is German as well.
        self._register_payment(invoice, amount=50.0)
        self.env["billing.case"]._detect(self.company, rules=["short_payment"])
        self.assertEqual(case.state, "resolved")
        self.assertIn("durch die automatische Erkennung erledigt", case.resolution_note)
        self.assertNotIn("Cleared by", case.resolution_note)

    def test_overdue_in_german(self):
        invoice = self._create_invoice(
            amount=1000.0,
            invoice_date=self.today - timedelta(days=60),
            due_date=self.today - timedelta(days=30),
        )
        case = self._detect("overdue")
        self._assert_german(
            case, "Die Rechnung", "fällig", "vor 30 Tagen", invoice.name
        )

    def test_customer_data_in_german(self):
        self.env["billing.detection.rule"]._get_rule(
            self.company, "customer_data"
        ).require_payment_terms = True
        partner = self.env["res.partner"].create(
            {"name": "Schlampig GmbH", "is_company": True, "street": "Hauptstr. 1"}
        )
        self._create_invoice(partner=partner, amount=100.0)
        case = self._detect("customer_data").filtered(lambda c: c.partner_id == partner)
        self._assert_german(
            case,
            "Die Abrechnungsdaten von Schlampig GmbH sind fehlerhaft",
            "Keine E-Mail-Adresse für Rechnungen.",
            "Unvollständige Adresse",
            "Keine Zahlungsbedingungen.",
        )
        # A company without a language of its own: the first active language.
        self.company.partner_id.lang = False
        installed = [code for code, _name in self.env["res.lang"].get_installed()]
        self.assertEqual(
            self.env["billing.case"]._get_detection_lang(self.company), installed[0]
        )

    def test_sla_breach_note_in_german(self):
        """The daily SLA escalation writes its note in the company's language too."""
        case = self._create_case(case_type_id=self.type_short_payment.id)
        self.env.flush_all()
        Cron = self.registry["ir.cron"]
        with (
            freeze_time(self.today + timedelta(days=60)),
            patch.object(Cron, "_commit_progress", return_value=3600.0),
        ):
            self.env["billing.case"].sudo()._cron_escalate_sla_breaches()
        self.assertTrue(case.sla_breached)
        notes = " ".join(case.message_ids.mapped("body"))
        self.assertIn("SLA überschritten: Der Fall war am", notes)
        self.assertNotIn("SLA breached:", notes)


@tagged("post_install", "-at_install")
class TestGermanScreens(XlsxTestMixin, PdfTestMixin, GermanCommon):
    """Per kind of screen, nothing English left once German is loaded."""

    # ------------------------------------------------------------ case form

    def _form_texts(self, lang):
        Case = self.env["billing.case"].with_context(lang=lang)
        views = Case.get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        texts = set()
        for node in arch.iter():
            if not isinstance(node.tag, str):
                continue
            for attr in (
                "string",
                "help",
                "placeholder",
                "title",
                "confirm",
                "aria-label",
            ):
                if node.get(attr):
                    texts.add(" ".join(node.get(attr).split()))
            for text in (node.text, node.tail):
                if text and _has_letters(text):
                    texts.add(" ".join(text.split()))
        for model, description in views["models"].items():
            if not model.startswith("billing."):
                continue
            for field in description["fields"].values():
                texts.add(field["string"])
                texts.update(label for _key, label in field.get("selection") or ())
        return texts

    def test_case_form(self):
        german, english = self._form_texts(LANG), self._form_texts("en_US")
        self.assertIn("Kunde", german)
        self.assertIn("Customer", english)
        self._english_left(german, english, "case form")

    # ------------------------------------------------------- statement PDF

    def _statement_texts(self, lang):
        self.customer.lang = lang
        document = self._render_html(STATEMENT, self.customer.ids)
        return {
            " ".join(text.split())
            for text in document.itertext()
            if text and _has_letters(text)
        }

    def test_statement_pdf(self):
        invoice = self._create_invoice(
            amount=1000.0,
            invoice_date=self.today - timedelta(days=40),
            due_date=self.today - timedelta(days=40),
        )
        self._register_payment(invoice, amount=400.0)
        english = self._statement_texts("en_US")
        german = self._statement_texts(LANG)
        self.assertIn("Offene Posten", german)
        self.assertIn("Open Items", english)
        self._english_left(german, english, "statement")

    # ---------------------------------------------------------- aging XLSX

    def _aging_cells(self, lang):
        """The text cells and sheet names of the aging XLSX rendered in ``lang``, by
        (sheet number, cell)."""
        env = self.env
        self.env = env(context=dict(env.context, lang=lang))
        try:
            wizard = self.env["billing.aging.report"].create(
                {"date_at": self.today, "company_ids": [Command.set(self.company.ids)]}
            )
            book = self._render_xlsx(AGING_XLSX, wizard.ids)
        finally:
            self.env = env
        cells = {}
        for index, sheet in enumerate(book.worksheets):
            cells[(index, "name")] = sheet.title
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and _has_letters(cell.value):
                        cells[(index, cell.coordinate)] = cell.value
        return cells

    def test_aging_xlsx_headers(self):
        self._create_invoice(
            amount=700.0,
            invoice_date=self.today - timedelta(days=50),
            due_date=self.today - timedelta(days=45),
        )
        german, english = self._aging_cells(LANG), self._aging_cells("en_US")
        self.assertEqual(german[(0, "name")], "Übersicht")
        self.assertEqual(english[(0, "name")], "Summary")
        self.assertIn("Kunde", german.values())
        self.assertIn("Customer", english.values())
        # The same cell showing the same English text: not translated.
        same = {text for key, text in german.items() if english.get(key) == text}
        self._english_left(same, set(english.values()), "aging XLSX")

    # ------------------------------------------------------------ dashboard

    def test_dashboard_texts(self):
        """Every text of the dashboard's JS and templates reaches the web client in
        German (the translations ``_t`` reads), and the server's labels are German."""
        terms = self._english_terms()
        dashboard = {
            term
            for term, names in terms.items()
            if any("static/src/dashboard/" in name for name in names)
        }
        self.assertIn("Total Receivable", dashboard)
        self.assertIn("%s days", dashboard)
        messages = {
            message["id"]: message["string"]
            for message in code_translations.get_web_translations(
                "billing_coordinator", LANG
            )["messages"]
        }
        missing = sorted(
            term
            for term in dashboard
            if term not in SAME_IN_GERMAN and messages.get(term, term) == term
        )
        self.assertFalse(missing, "dashboard texts without German")
        self.assertEqual(messages["Total Receivable"], "Forderungen gesamt")
        data = (
            self.env["billing.dashboard"]
            .with_user(self.manager)
            .with_context(lang=LANG)
        ).get_dashboard_data({})
        labels = [bucket["label"] for bucket in data["meta"]["buckets"]]
        self.assertIn("Nicht fällig", labels)

    # ------------------------------------------------ record data in German

    def test_case_types_and_call_outcomes(self):
        for model in ("billing.case.type", "billing.call.outcome"):
            records = self.env[model].with_context(active_test=False).search([])
            ours = records.filtered(
                lambda r: r.get_external_id()[r.id].startswith("billing_coordinator.")
            )
            self.assertTrue(ours, model)
            for record in ours:
                german = record.with_context(lang=LANG).name
                english = record.with_context(lang="en_US").name
                with self.subTest(model=model, name=english):
                    self.assertTrue(german != english or english in SAME_IN_GERMAN)
        self.assertEqual(
            self.env.ref("billing_coordinator.case_type_short_payment")
            .with_context(lang=LANG)
            .name,
            "Minderzahlung",
        )
