{
    "name": "Distribution EDI",
    "summary": "Procure-to-pay with suppliers over EDI (X12 850/855/856/810/997, "
    "EDIFACT ORDERS/ORDRSP/DESADV/INVOIC/CONTRL) through the integration kernel",
    "version": "18.0.1.2.2",
    "category": "Integration",
    "website": "https://github.com/distribution-integration-suite/odoo-distribution-integration",
    "author": "Distribution Integration Suite",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["distribution_integration_base", "purchase_stock"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/edi_security.xml",
        "security/ir.model.access.csv",
        "data/edi_uom_code_data.xml",
        "data/integration_flow_data.xml",
        "views/edi_interchange_profile_views.xml",
        "views/edi_trading_partner_views.xml",
        "views/edi_document_views.xml",
        "views/purchase_order_views.xml",
        "views/stock_picking_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/edi_menus.xml",
    ],
    "demo": ["demo/edi_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "distribution_edi/static/src/tours/*.js",
        ],
    },
}
