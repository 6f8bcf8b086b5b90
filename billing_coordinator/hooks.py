from odoo.tools import SQL


def uninstall_hook(env):
    """Remove the cases before Odoo removes our data records.

    A case keeps its case type (``ondelete="restrict"``) and a logged call its outcome, so
    Odoo's removal of the module's case types and call outcomes would fail row by row
    (an ERROR per type in the log) until the tables are dropped. The cases go in one
    statement; their calls, promises and links to documents follow by cascade. The
    invoices, credit notes, payments and entries a case links or made are not touched.
    """
    env.flush_all()
    env.cr.execute(SQL("DELETE FROM billing_case_call"))
    env.cr.execute(SQL("DELETE FROM billing_case"))
    env.invalidate_all()
