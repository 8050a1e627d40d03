{
    "name": "Distribution Integration Suite: benchmark fixtures",
    "summary": "Trivial handler, bare job and no-op route used by benchmarks/ "
    "(not for production)",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "Distribution Integration Suite",
    "category": "Hidden",
    "depends": ["distribution_integration_base"],
    "installable": True,
}
