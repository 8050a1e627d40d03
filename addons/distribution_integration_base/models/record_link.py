"""Messages and exceptions point at a business record by model name and id."""


def linked_record(env, res_model, res_id):
    """The record named by ``res_model`` and ``res_id`` if it still exists."""
    if res_model and res_id and res_model in env:
        return env[res_model].browse(res_id).exists()
    return None


def form_action(record):
    """Open ``record`` in its form, for a caller allowed to read it."""
    record.check_access("read")
    return {
        "type": "ir.actions.act_window",
        "res_model": record._name,
        "res_id": record.id,
        "view_mode": "form",
    }
