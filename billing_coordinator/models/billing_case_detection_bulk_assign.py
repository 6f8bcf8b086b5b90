"""Automatic detection of billing discrepancies: the first assignee and the followers
of the cases a first run creates in bulk, chosen before the INSERT.

After ``create()`` the first assignee is written (``_assign_new_cases``): one ORM write
per coordinator over their cases, and through the chatter one follower record created
by the ORM per case. Here the same picks (``_plan_team_assignment``, the same away,
capacity and load rules and round-robin position) are made on the rows, the rows are
inserted with their assignee, and the creator and the assignees are subscribed with one
INSERT of followers and one of their subtypes, the subtypes the chatter gives them.
Where that could differ from the write (an override of it or of the chatter's
subscription, a subtype following the assignee), ``_assign_new_cases`` runs after the
INSERT as before. tests/test_detection_bulk.py compares both paths, followers and
subtypes included.
"""

from odoo import api, models
from odoo.tools import SQL

from .billing_case_detection_bulk import foreign_override
from .billing_case_detection_bulk_values import _MODULE

# What the write of the first assignee runs in the MRO and the bulk path replicates:
# the ORM's write, the chatter's subscription and ours (no-ops for a write of user_id).
BULK_ASSIGN_OVERRIDES = {
    "write": {
        "odoo.orm.models",
        "odoo.addons.mail.models.mail_thread",
        _MODULE + "billing_case",
        _MODULE + "billing_case_detection",
        _MODULE + "billing_case_followup",
        _MODULE + "billing_case_sla",
    },
    "_write": {"odoo.orm.models"},
    "_message_auto_subscribe": {"odoo.addons.mail.models.mail_thread"},
    "_message_auto_subscribe_followers": {"odoo.addons.mail.models.mail_thread"},
    "_message_auto_subscribe_notify": {"odoo.addons.mail.models.mail_thread"},
    "_assign_new_cases": {_MODULE + "billing_case_assignment"},
    "_assign_to_team_members": {_MODULE + "billing_case_assignment"},
}
# The followers' create, which the INSERT of followers replaces.
FOLLOWERS_OVERRIDES = {
    "create": {"odoo.orm.models", "odoo.addons.mail.models.mail_followers"},
}
# the columns of a follower the INSERT writes (besides its id)
FOLLOWER_COLUMNS = {"res_model", "res_id", "partner_id"}


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _bulk_can_assign_before_insert(self, computed):
        """Whether the first assignees can be chosen on the rows: the assignee, the
        team and the score are computed here (``computed``), and the write and the
        subscription it replaces are the ones replicated (BULK_ASSIGN_OVERRIDES)."""
        if self.env.context.get("billing_no_auto_assign") or not {
            "user_id",
            "team_id",
            "priority_score",
        } <= set(computed):
            return False
        Followers = self.env["mail.followers"]
        if foreign_override(self, BULK_ASSIGN_OVERRIDES) or foreign_override(
            Followers, FOLLOWERS_OVERRIDES
        ):
            return False
        stored = {
            fname
            for fname, field in Followers._fields.items()
            if field.store and field.column_type and fname != "id"
        }
        if stored != FOLLOWER_COLUMNS:
            return False
        # a subtype following the assignee's record would subscribe more partners
        relations = self.env["mail.message.subtype"]._get_auto_subscription_subtypes(
            self._name
        )[4]
        return not any("user_id" in fnames for fnames in relations.values())

    @api.model
    def _bulk_first_assignees(self, rows, computed):
        """The ``user_id`` column of ``rows`` as ``_assign_new_cases`` leaves it: the
        customer's coordinator unless away, else the pick of the case's team; and
        {row index: assignee} of the rows the team's pick assigned (the write the
        chatter subscribes), and the indexes of the rows whose first value was changed
        (written after create()). The rows are in the order of their future ids."""
        users = list(computed["user_id"])
        coordinators = self.env["res.users"].browse(
            {user_id for user_id in users if user_id}
        )
        away = set(self._get_away_users(coordinators).ids)
        written = set()
        for i, user_id in enumerate(users):
            if user_id in away:
                users[i] = None
                written.add(i)
        # the cases kept by their coordinator count in the loads, as they would once
        # inserted (they are new, hence open)
        extra_loads = {}
        for user_id in users:
            if user_id:
                extra_loads[user_id] = extra_loads.get(user_id, 0) + 1
        teams, scores = computed["team_id"], computed["priority_score"]
        candidates = [
            (i, teams[i], scores[i], i)
            for i in range(len(rows))
            if not users[i] and teams[i]
        ]
        # as the write of _assign_new_cases: no tracking of the round-robin position
        plan = self.with_context(mail_notrack=True)._plan_team_assignment(
            candidates, extra_loads=extra_loads
        )
        handed = {}
        for i, user in plan:
            users[i] = user.id
            handed[i] = user
        return users, handed, written | set(handed)

    @api.model
    def _bulk_subscribe(self, cases, handed):
        """Subscribe the creator (unless ``mail_create_nosubscribe``) and the assignees
        ``handed`` ({index in ``cases``: user}) as create() and the write of the first
        assignee do, in one INSERT of followers and one of their subtypes; then the
        assignment notification of the write, if any."""
        subscriptions = {}  # (case id, partner id) -> subtype ids
        user = self.env.user
        if (
            not self.env.context.get("mail_create_nosubscribe")
            and user.active
            and not user.share
        ):
            # as create(): the default subtypes, the creator being no customer
            default = self.env["mail.message.subtype"].default_subtypes(self._name)[0]
            for case_id in cases.ids:
                subscriptions[case_id, user.partner_id.id] = default.ids
        def_ids = self.env["mail.message.subtype"]._get_auto_subscription_subtypes(
            self._name
        )[1]
        by_user = {}
        for i, assignee in handed.items():
            by_user.setdefault(assignee, []).append(cases.ids[i])
        notify = []
        for assignee, case_ids in by_user.items():
            followers = self.browse(case_ids)._message_auto_subscribe_followers(
                {"user_id": assignee.id}, def_ids
            )
            for partner_id, subtype_ids, template in followers:
                for case_id in case_ids:
                    # an existing follower (the creator) keeps their subtypes
                    subscriptions.setdefault((case_id, partner_id), subtype_ids or [])
                if template:
                    notify.append((self.browse(case_ids), partner_id, template))
        self._bulk_insert_followers(subscriptions)
        for records, partner_id, template in notify:
            partner = self.env["res.partner"].browse(partner_id)
            # the language as the chatter's subscription picks it
            lang = partner.lang if partner else None
            records.with_context(lang=lang)._message_auto_subscribe_notify(
                [partner_id], template
            )

    @api.model
    def _bulk_insert_followers(self, subscriptions):
        """Insert the followers {(case id, partner id): subtype ids} of new cases."""
        if not subscriptions:
            return
        Followers = self.env["mail.followers"]
        Followers.flush_model()
        keys = sorted(subscriptions)
        inserted = self.env.execute_query(
            SQL(
                "INSERT INTO mail_followers (res_model, res_id, partner_id)"
                " SELECT %s, * FROM unnest(%s::int[], %s::int[])"
                " RETURNING id, res_id, partner_id",
                self._name,
                [case_id for case_id, _partner in keys],
                [partner_id for _case, partner_id in keys],
            )
        )
        pairs = [
            (follower_id, subtype_id)
            for follower_id, case_id, partner_id in inserted
            for subtype_id in subscriptions[case_id, partner_id]
        ]
        if pairs:
            # the subtype rows reference the followers just inserted
            self._bulk_replan_foreign_key_checks()
            self.env.execute_query(
                SQL(
                    "INSERT INTO mail_followers_mail_message_subtype_rel"
                    " (mail_followers_id, mail_message_subtype_id)"
                    " SELECT * FROM unnest(%s::int[], %s::int[])",
                    [follower for follower, _subtype in pairs],
                    [subtype for _follower, subtype in pairs],
                )
            )
        Followers.invalidate_model()
        self.browse({case_id for case_id, _partner in keys}).invalidate_recordset(
            ["message_follower_ids", "message_partner_ids"]
        )
