{
    "name": "Billing Coordinator - Sales",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Check customer invoices against their sales orders: pricelist prices, "
    "quantities, discounts, lines invoiced twice",
    "author": "billing_coordinator developers",
    "website": "https://github.com/billing-coordinator/billing_coordinator",
    "maintainers": ["billing-coordinator"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["sale", "billing_coordinator"],
    "data": [
        "views/billing_case_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [
        "demo/billing_sale_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
}
