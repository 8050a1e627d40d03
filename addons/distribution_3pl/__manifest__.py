{
    "name": "Distribution 3PL Warehouse",
    "summary": "Release deliveries to a third-party warehouse and apply its ship "
    "confirmations (X12 940/945/997) on the kernel's channel layer",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/distribution-integration-suite/odoo-distribution-integration",
    "author": "Distribution Integration Suite",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["distribution_integration_base", "distribution_edi", "stock_delivery"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/tpl_security.xml",
        "security/ir.model.access.csv",
        "data/integration_flow_data.xml",
        "data/ir_cron_data.xml",
        "views/tpl_warehouse_account_views.xml",
        "views/stock_picking_views.xml",
        "views/tpl_overview_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["distribution_3pl/static/tests/tours/*.js"],
    },
    "demo": ["demo/tpl_demo.xml"],
}
