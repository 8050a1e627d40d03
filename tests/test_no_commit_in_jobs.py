"""No code of the suite commits a transaction itself.

Jobs run in the job runner's transaction: a commit inside one would publish half
an attempt, and release the job lock of queue_job releases that watch for dead
jobs (18.0.4 refuses such commits outright). The suite's writes are committed by
whoever owns the transaction (the request, the cron, the runner).
"""

import ast
from pathlib import Path

ADDONS = Path(__file__).resolve().parent.parent / "addons"


def commit_calls(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_no_addon_code_commits():
    found = {
        str(path.relative_to(ADDONS)): lines
        for path in sorted(ADDONS.rglob("*.py"))
        if (lines := commit_calls(path))
    }
    assert found == {}
