"""Plain-Python side of the skeleton channel (no Odoo import): its client."""
