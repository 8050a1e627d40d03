{
    "name": "Distribution Channel Skeleton (tests only)",
    "summary": "The smallest real channel on the kernel's channel layer: the "
    "skeleton CHANNELS.md walks through, installed and tested by the test command",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://github.com/distribution-integration-suite/odoo-distribution-integration",
    "author": "Distribution Integration Suite",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["distribution_integration_base"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/skeleton_security.xml",
        "security/ir.model.access.csv",
        "data/integration_flow_data.xml",
        "views/skeleton_account_views.xml",
    ],
    "demo": ["demo/skeleton_demo.xml"],
}
