{
    "name": "Distribution Integration Suite: OCA EDI baseline for benchmarks",
    "summary": "An X12 850 generator and an HTTP sender for OCA's EDI framework, "
    "used by benchmarks/edi_vs_oca.py (not for production)",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "Distribution Integration Suite",
    "category": "Hidden",
    # edi_core_oca and edi_queue_oca are not part of the suite: the benchmark
    # installs them from PyPI into a temporary folder at run time.
    "depends": ["edi_queue_oca", "distribution_edi"],
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
}
