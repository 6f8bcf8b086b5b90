from odoo import Command, api, models


class BillingTeam(models.Model):
    _inherit = "billing.team"

    @api.model
    def _load_demo_teams(self):
        """Two teams and four coordinators for the demo database: Key Accounts (customers
        tagged "Key Account", round robin, led by the administrator) and Regional (US
        customers, least loaded). Logins and passwords are the first names in lower case."""
        company = self.env.company
        ref = self.env.ref
        group = ref("billing_coordinator.group_billing_user")
        users = self.env["res.users"].create(
            [
                {
                    "name": name,
                    "login": login,
                    "password": login,
                    "email": f"{login}@billing-demo.example.com",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "group_ids": [Command.set(group.ids)],
                }
                for name, login in [
                    ("Anna Keller", "anna"),
                    ("Ben Novak", "ben"),
                    ("Clara Jung", "clara"),
                    ("David Moreau", "david"),
                ]
            ]
        )
        anna, ben, clara, david = users
        key_account = self.env["res.partner.category"].create({"name": "Key Account"})
        admin = ref("base.user_admin")
        teams = self.create(
            [
                {
                    "name": "Key Accounts",
                    "sequence": 1,
                    "leader_id": admin.id,
                    "assignment_method": "round_robin",
                    "partner_category_ids": [Command.set(key_account.ids)],
                    "membership_ids": [
                        Command.create({"user_id": admin.id, "capacity": 0}),
                        Command.create({"user_id": anna.id, "capacity": 25}),
                        Command.create({"user_id": ben.id, "capacity": 25}),
                    ],
                },
                {
                    "name": "Regional",
                    "sequence": 2,
                    "leader_id": admin.id,
                    "assignment_method": "least_loaded",
                    "country_ids": [Command.set(ref("base.us").ids)],
                    "membership_ids": [
                        Command.create({"user_id": clara.id, "capacity": 30}),
                        Command.create({"user_id": david.id, "capacity": 30}),
                    ],
                },
            ]
        )
        return teams, key_account
