"""Point the demo endpoints at the compose services (run by `demo-init` through
`odoo shell`; `env` is the shell's environment).

The demo data names 127.0.0.1, right for a developer's machine; inside compose
each sandbox partner is a service of its own.
"""

COMPOSE_URLS = {
    "distribution_edi.endpoint_mock_edi": "http://mock-edi:8080",
    "distribution_carrier.endpoint_ltl_sandbox_demo": "http://ltl-sandbox:8099/ltl",
    "distribution_carrier.endpoint_karrio_demo": "http://karrio:5002",
}

for xmlid, url in COMPOSE_URLS.items():
    endpoint = env.ref(xmlid, raise_if_not_found=False)  # noqa: F821
    if endpoint and endpoint.base_url != url:
        endpoint.base_url = url
        print(f"{endpoint.code}: {url}")
env.cr.commit()  # noqa: F821
