"""Automatic detection of billing discrepancies: the cases of a first run in bulk.

A first run creates hundreds or thousands of cases at once. Through ``create()`` each
costs about 1.5 ms of per-record ORM work (values converted and cached one by one, the
chatter's create, computes and constraints reading each case). ``_bulk_create_cases``
computes this module's stored fields for the batch (billing_case_detection_bulk_values),
inserts the rows in one statement and the many2many rows in one statement per field,
checks the constraints and companies set-wise (billing_case_detection_bulk_checks) and
leaves any other stored computed field to the ORM, which computes it for the whole
batch. The result is the same, field for field (tests/test_detection_bulk.py).

It is used only where it gives what ``create()`` gives (``_get_bulk_create_blocker``);
otherwise the detection calls ``create()``.
"""

import functools

from odoo import api, models
from odoo.fields import Command
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL, float_repr, float_round

# Where the ``create()`` chain of billing.case may be overridden for the bulk path to
# stay equal to it: the ORM, the chatter, and the overrides this module replicates
# (names and commercial partner: billing_case; first assignee: billing_case_assignment;
# SLA pause: billing_case_sla, a no-op for cases created open and not waiting).
BULK_CREATE_OVERRIDES = {
    "create": {
        "odoo.orm.models",
        "odoo.addons.mail.models.mail_thread",
        "odoo.addons.billing_coordinator.models.billing_case",
        "odoo.addons.billing_coordinator.models.billing_case_assignment",
        "odoo.addons.billing_coordinator.models.billing_case_sla",
    },
    "_create": {"odoo.orm.models"},
    "_track_template": {"odoo.addons.mail.models.mail_thread"},
    "_message_auto_subscribe_followers": {"odoo.addons.mail.models.mail_thread"},
}
# Create values that would make create() do more than the bulk path: the SLA pause
# (state), the chatter's subscription of an assignee given in the values (user_id).
BULK_CREATE_REFUSED_KEYS = {"state", "user_id", "id"}
# Field types whose column value depends on the value alone (not on the other values
# of the row): many rows share it (defaults, the company, the type, the state).
BULK_VALUE_ONLY_TYPES = {
    "boolean",
    "char",
    "date",
    "datetime",
    "integer",
    "many2one",
    "selection",
}


def foreign_override(model, overrides):
    """``(method, module)`` of the first definition in ``model``'s class hierarchy of a
    method of ``overrides`` ({method: modules allowed to define it}) by another module,
    or None: where a bulk path replicates what these methods do, another module's
    override must be run instead."""
    for method, allowed in overrides.items():
        for cls in type(model).__mro__:
            if method in vars(cls) and cls.__module__ not in allowed:
                return method, cls.__module__
    return None


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _get_bulk_create_blocker(self, vals_list):
        """Why ``_bulk_create_cases`` would not give what ``create(vals_list)`` gives,
        or None. Checked: the context (creation message, subscription of the creator,
        defaults and imports), the overrides of ``create()`` and of the chatter hooks it
        calls in the MRO (another module's ``create()`` override makes the detection
        fall back to ``create()``), and the values (only stored plain fields and
        many2many set/link commands; no precomputed, inherited or inverse fields)."""
        context = self.env.context
        if not context.get("mail_create_nolog"):
            return "a creation message is logged per case"
        if any(key.startswith("default_") for key in context) or context.get(
            "_import_current_module"
        ):
            return "defaults or an import in the context"
        if self._inherits or self._parent_store:
            return "inherited or hierarchical model"
        override = foreign_override(self, BULK_CREATE_OVERRIDES)
        if override:
            return "{}() overridden in {}".format(*override)
        if any(field.precompute for field in self._fields.values()):
            return "precomputed fields"
        for fname in {fname for vals in vals_list for fname in vals}:
            field = self._fields.get(fname)
            if field is None or fname in BULK_CREATE_REFUSED_KEYS:
                return f"value for {fname}"
            if not field.store or field.inverse or field.translate or field.compute:
                return f"value for {fname}"
            if field.type == "one2many" or field.type == "properties":
                return f"value for {fname}"
        for vals in vals_list:
            for fname, value in vals.items():
                if self._fields[fname].type == "many2many" and any(
                    command[0] not in (Command.SET, Command.LINK) for command in value
                ):
                    return f"commands for {fname}"
        return None

    @api.model
    def _bulk_create_cases(self, company, vals_list):
        """Create the cases of ``vals_list`` (all of ``company``, see
        ``_get_bulk_create_blocker``) as ``create()`` does, set-wise:

        - access: the model's create right and the write right of each given field,
          then the record rules on the new cases;
        - values: the commercial partner, the references (in the order of
          ``vals_list``), the defaults (one ``default_get``), the magic fields, each
          value converted as the field converts it (HTML sanitized, amounts rounded in
          the case currency); one INSERT, one INSERT per many2many field;
        - the stored computed fields of this module computed for the batch before
          the INSERT (``_get_bulk_computed_values``, while their computes are still
          ours); any other stored computed field (another module's, or ours once
          overridden) computed by the ORM for the whole batch after it; then the
          constraints and the company check (``_bulk_validate_cases``,
          ``_bulk_check_company``);
        - the first assignee chosen on the rows before the INSERT, as
          ``_assign_new_cases`` would after ``create()`` (see
          billing_case_detection_bulk_assign.py), else ``_assign_new_cases`` after it;
        - chatter: no creation message (``mail_create_nolog`` is required), the
          creator subscribed unless ``mail_create_nosubscribe`` and the assignees as
          the write of the first assignee subscribes them.

        Raises what the INSERT raises (e.g. the unique index of open detected cases):
        the caller falls back to ``create()``."""
        self = self.browse()
        self.check_access("create")
        given = {fname for vals in vals_list for fname in vals}
        for fname in given:
            self._check_field_access(self._fields[fname], "write")
        self._prefetch_commercial_partners(vals_list)
        for vals in vals_list:
            self._normalize_partner(vals)
        # As create() does, in place: a fallback after a failed batch keeps the numbers.
        new = self.env._("New")
        unnamed = [vals for vals in vals_list if vals.get("name", new) == new]
        names = self._next_case_references(company, len(unnamed)) if unnamed else []
        for vals, name in zip(unnamed, names, strict=True):
            vals["name"] = name

        defaults = self._get_bulk_create_defaults(given | {"name"})
        now = self.env.cr.now()
        magic = {
            "create_uid": self.env.uid,
            "create_date": now,
            "write_uid": self.env.uid,
            "write_date": now,
        }
        rows = [{**defaults, **vals, **magic} for vals in vals_list]
        computed = self._get_bulk_computed_values(company, rows)
        assign_before = self._bulk_can_assign_before_insert(computed)
        if assign_before:
            computed["user_id"], handed, written = self._bulk_first_assignees(
                rows, computed
            )
        for fname, column in computed.items():
            for row, value in zip(rows, column, strict=True):
                row[fname] = value
        columns = sorted(
            {fname for row in rows for fname in row if self._fields[fname].column_type}
        )
        relations = sorted(given - set(columns))
        sanitized = self._bulk_sanitize_html_columns(columns, rows)
        convert = self._get_bulk_column_converters(columns, sanitized)
        # One array per column, unnested: the rows in their order (ids ascending,
        # checked), without quoting a tuple per row.
        ids = [
            id_
            for (id_,) in self.env.execute_query(
                SQL(
                    'INSERT INTO %s (%s) SELECT * FROM unnest(%s) RETURNING "id"',
                    SQL.identifier(self._table),
                    SQL(", ").join(map(SQL.identifier, columns)),
                    SQL(", ").join(
                        SQL(
                            "%s::%s[]",
                            [convert[fname](row.get(fname), row) for row in rows],
                            SQL(self._fields[fname].column_type[1]),
                        )
                        for fname in columns
                    ),
                )
            )
        ]
        if len(ids) != len(rows) or ids != sorted(ids):
            raise ValueError("billing.case bulk insert: rows returned out of order")
        cases = self.browse(ids)
        # As the chatter's create: what the computes below set is not tracked.
        cases._track_discard()
        for fname in relations:
            self._bulk_insert_many2many(self._fields[fname], ids, vals_list)
        self._bulk_invalidate_inverses(columns + relations)
        # Like _create: every stored computed field not computed above is now to
        # compute, by the ORM, for the whole batch.
        with self.env.protecting([self._fields[fname] for fname in computed], cases):
            cases.modified(self._fields, create=True)
        self._bulk_validate_cases(cases, columns + relations)
        cases.check_access("create")
        if self._check_company_auto:
            self._bulk_check_company(cases, rows)
        if assign_before:
            if written:
                # the write of the first assignee checks it may change these cases
                self._check_field_access(self._fields["user_id"], "write")
                self.browse(cases.ids[i] for i in sorted(written)).check_access("write")
            self._bulk_subscribe(cases, handed)
            return cases
        if (
            not self.env.context.get("mail_create_nosubscribe")
            and self.env.user.active
            and not self.env.user.share
        ):
            self.env["mail.followers"]._insert_followers(
                self._name,
                cases.ids,
                self.env.user.partner_id.ids,
                subtypes=None,
                customer_ids=[],
                check_existing=False,
            )
        if not self.env.context.get("billing_no_auto_assign"):
            cases._assign_new_cases(vals_list)
        return cases

    @api.model
    def _get_bulk_create_defaults(self, given):
        """The defaults of the stored fields no value gives, read once for the batch
        (create() reads the same ones for each record)."""
        missing = [
            fname
            for fname, field in self._fields.items()
            if field.store
            and fname not in given
            and field.column_type
            and (field.default is not None or self.env.context.get(f"default_{fname}"))
        ]
        defaults = self.default_get(missing) if missing else {}
        return {fname: value for fname, value in defaults.items() if fname in missing}

    @api.model
    def _get_bulk_column_converters(self, columns, sanitized=()):
        """{field name: function(value, row) -> column value}: the field's own
        conversion, except amounts, rounded per currency as Monetary does without
        building a record per value, and the HTML fields in ``sanitized``, whose
        values are sanitized already."""
        converters = {}
        currencies = {}
        for fname in columns:
            field = self._fields[fname]
            if fname in LOG_ACCESS_COLUMNS:
                # set by us: the user id and the transaction's timestamp
                converters[fname] = self._bulk_convert_magic
                continue
            currency_field = (
                field.get_currency_field(self) if field.type == "monetary" else None
            )
            if currency_field in columns:
                converters[fname] = functools.partial(
                    self._bulk_convert_monetary, currency_field, currencies
                )
            elif field.type in BULK_VALUE_ONLY_TYPES and not field.translate:
                converters[fname] = functools.partial(
                    self._bulk_convert_field_memo, field, {}
                )
            else:
                converters[fname] = functools.partial(
                    self._bulk_convert_field, field, fname not in sanitized
                )
        return converters

    @staticmethod
    def _bulk_convert_magic(value, row):
        return value

    def _bulk_convert_field(self, field, validate, value, row):
        return field.convert_to_column_insert(value, self, row, validate=validate)

    def _bulk_convert_field_memo(self, field, memo, value, row):
        """The field's conversion of ``value``, once per distinct value of the column
        (the types of BULK_VALUE_ONLY_TYPES convert the value alone)."""
        key = (type(value), value)  # False and 0 are equal keys, not equal values
        try:
            return memo[key]
        except KeyError:
            converted = memo[key] = field.convert_to_column_insert(value, self, row)
            return converted
        except TypeError:  # not hashable
            return field.convert_to_column_insert(value, self, row)

    def _bulk_convert_monetary(self, currency_field, currencies, value, row):
        currency_id = row.get(currency_field)
        if currency_id not in currencies:
            currency = self.env["res.currency"].browse(currency_id)
            currencies[currency_id] = (
                (currency.rounding, currency.decimal_places) if currency else None
            )
        figures = currencies[currency_id]
        value = float(value or 0.0)
        if figures:
            # currency.round(), the same call without the record lookups
            rounding, digits = figures
            return float_repr(float_round(value, precision_rounding=rounding), digits)
        return value

    @api.model
    def _bulk_insert_many2many(self, field, ids, vals_list):
        """The rows of ``field`` (set or link commands) for the new cases, one INSERT."""
        pairs = set()
        for case_id, vals in zip(ids, vals_list, strict=True):
            for command in vals.get(field.name) or ():
                if command[0] == Command.SET:
                    pairs.update((case_id, other) for other in command[2])
                else:
                    pairs.add((case_id, command[1]))
        if not pairs:
            return
        case_ids, other_ids = zip(*sorted(pairs), strict=True)
        self._bulk_replan_foreign_key_checks()
        self.env.execute_query(
            SQL(
                "INSERT INTO %s (%s, %s) SELECT * FROM unnest(%s::int[], %s::int[])"
                " ON CONFLICT DO NOTHING",
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                SQL.identifier(field.column2),
                list(case_ids),
                list(other_ids),
            )
        )

    @api.model
    def _bulk_replan_foreign_key_checks(self):
        """Before inserting rows that reference rows just inserted (the relation rows of
        new cases, the subtypes of new followers): PostgreSQL
        checks each row's foreign keys with a plan it caches per connection, made on
        the table as it was then. Made while ``billing_case`` held a few rows (the
        first rule of a first run on a new database), that plan scans the whole table
        for each row, and a run's next thousands of rows take seconds each batch
        (5.5 s instead of 0.08 s for 5,809 rows at S). DISCARD PLANS drops the cached
        plans of this connection (not any data or setting): the checks are planned
        again on the table as it is now."""
        self.env.execute_query(SQL("DISCARD PLANS"))

    @api.model
    def _bulk_invalidate_inverses(self, fnames):
        """The other side of the relations written (e.g. an invoice's cases) may be in
        cache: it is read again."""
        for fname in fnames:
            field = self._fields[fname]
            for inverse in self.pool.field_inverses[field]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
