{
    "name": "Distribution Carrier",
    "summary": "Rate, book, label, track and prove delivery with carriers (Karrio, "
    "SOAP LTL freight) through Odoo's delivery methods and the integration kernel",
    "version": "18.0.1.2.0",
    "category": "Integration",
    "website": "https://github.com/distribution-integration-suite/odoo-distribution-integration",
    "author": "Distribution Integration Suite",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    # stock_delivery brings delivery (rates, "Add shipping" on the sale order)
    # and the picking side (send_to_shipper, labels, tracking reference).
    "depends": ["distribution_integration_base", "stock_delivery", "delivery_state"],
    "external_dependencies": {"python": ["requests", "zeep"]},
    "data": [
        "security/carrier_security.xml",
        "security/ir.model.access.csv",
        "data/integration_flow_data.xml",
        "views/carrier_account_views.xml",
        "views/delivery_carrier_views.xml",
        "views/stock_picking_views.xml",
        "views/carrier_menus.xml",
    ],
    "demo": ["demo/carrier_demo.xml"],
}
