import re

import polib

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path

# Python-format placeholders that must survive translation unchanged.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]|%%")
LANG = "de_DE"


@tagged("post_install", "-at_install")
class TestGermanTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.po = polib.pofile(file_path("billing_coordinator/i18n/de.po"))
        cls.pot = polib.pofile(
            file_path("billing_coordinator/i18n/billing_coordinator.pot")
        )

    def _load_german(self):
        self.env["res.lang"]._activate_lang(LANG)
        self.env["ir.module.module"]._load_module_terms(
            ["billing_coordinator"], [LANG], overwrite=True
        )

    def test_po_file_complete_and_consistent(self):
        self.assertEqual(self.po.metadata.get("Language"), "de")
        self.assertFalse(
            [entry.msgid for entry in self.po.untranslated_entries()],
            "de.po has untranslated entries",
        )
        self.assertFalse(
            [entry.msgid for entry in self.po.fuzzy_entries()],
            "de.po has fuzzy entries",
        )
        self.assertFalse(
            [entry.msgid for entry in self.po.obsolete_entries()],
            "de.po has obsolete entries",
        )
        translated = {entry.msgid for entry in self.po}
        missing = [entry.msgid for entry in self.pot if entry.msgid not in translated]
        self.assertFalse(missing, "msgids of the template missing in de.po")
        for entry in self.po:
            with self.subTest(msgid=entry.msgid):
                self.assertTrue(entry.msgstr.strip())
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(entry.msgid)),
                    sorted(PLACEHOLDER.findall(entry.msgstr)),
                    "placeholders differ between msgid and msgstr",
                )

    def test_german_terms_loaded(self):
        self._load_german()
        case_type = self.env.ref("billing_coordinator.case_type_overpayment")
        self.assertEqual(case_type.with_context(lang=LANG).name, "Überzahlung")
        self.assertEqual(case_type.with_context(lang="en_US").name, "Overpayment")

        Case = self.env["billing.case"].with_context(lang=LANG)
        states = dict(Case.fields_get(["state"])["state"]["selection"])
        self.assertEqual(states["waiting_customer"], "Warten auf Kunden")
        self.assertEqual(states["resolved"], "Gelöst")

    def test_german_code_messages(self):
        """Messages raised from Python code come out in the user's language."""
        self._load_german()
        case = (
            self.env["billing.case"]
            .with_context(lang=LANG)
            .create(
                {
                    "partner_id": self.env["res.partner"]
                    .create({"name": "Kunde GmbH"})
                    .id,
                    "case_type_id": self.env.ref(
                        "billing_coordinator.case_type_overpayment"
                    ).id,
                    "currency_id": self.env.company.currency_id.id,
                }
            )
        )
        case.state = "resolved"
        with self.assertRaisesRegex(
            UserError,
            "Nur neue oder auf den Kunden wartende Fälle können gestartet werden",
        ):
            case.action_start()
