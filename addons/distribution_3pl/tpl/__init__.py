"""Plain Python of the 3PL channel (no Odoo import)."""
