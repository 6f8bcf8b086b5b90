"""Load a language into a database through Odoo's translation update (``./dev run``).

Run by ``BC_LANG=de_DE ./dev run`` as ``odoo shell -d DB < tools/load_language.py``
(``env`` is the shell's). ``--load-language`` is not enough on an existing database:
Odoo applies it while only ``base`` is loaded, so the terms of models of other modules
(case types, call outcomes, mail templates) stay English. Here the registry is complete:
the language is activated and every installed module's terms are loaded with overwrite,
as Settings > Languages > Update does; then the internal users and the companies'
partners get that language (the detection writes its case descriptions in the
company's language). ``BC_LANG=en_US`` switches them back to English.
"""

import hashlib
import os

from odoo.tools.translate import get_po_paths

code = os.environ["BC_LANG"]
lang = env["res.lang"]._activate_lang(code)  # noqa: F821 (the shell's env)
if not lang:
    raise SystemExit(f"[dev] unknown language {code!r} (e.g. de_DE)")
if code != "en_US":
    # Load again only when our translations changed since the last load (a few seconds
    # saved on every start); Odoo reloads the installed languages itself on -u.
    digest = hashlib.sha256()
    for path in get_po_paths("billing_coordinator", code):
        with open(path, "rb") as po:
            digest.update(po.read())
    params = env["ir.config_parameter"].sudo()  # noqa: F821
    key = f"billing_coordinator.dev_loaded_language.{code}"
    if params.get_param(key) != digest.hexdigest():
        print(f"[dev] loading the {code} translations of every installed module")
        modules = env["ir.module.module"].search([("state", "=", "installed")])  # noqa: F821
        modules._update_translations([code], overwrite=True)
        params.set_param(key, digest.hexdigest())
users = env["res.users"].search([("share", "=", False)])  # noqa: F821
users.write({"lang": code})
companies = env["res.company"].search([])  # noqa: F821
companies.partner_id.write({"lang": code})
env.cr.commit()  # noqa: F821 (the shell rolls back otherwise)
print(
    f"[dev] {len(users)} internal users, {len(companies)} companies now in {lang.name}"
)
