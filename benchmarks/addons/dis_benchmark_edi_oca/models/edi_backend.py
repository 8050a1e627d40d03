from odoo import fields, models


class EdiBackend(models.Model):
    _inherit = "edi.backend"

    dis_benchmark_url = fields.Char(
        string="Partner URL", help="Where the benchmark's sender posts interchanges."
    )
    dis_benchmark_sender_id = fields.Char(default="BENCHBUYER")
    dis_benchmark_receiver_id = fields.Char(default="BENCHSUPPLIER")
