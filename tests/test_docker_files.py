"""Every file the Docker image copies and compose mounts is part of the repository.

A file that exists only on the author's machine (an ignored ``docker/odoo.conf``
once) builds there and nowhere else.
"""

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"


def dockerfile_sources():
    """Sources of the Dockerfile's COPY/ADD lines (build context: the repository)."""
    sources = []
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = words[1:]
        if any(arg.startswith("--from") for arg in args):
            continue  # from another stage or image, not from the repository
        paths = [arg for arg in args if not arg.startswith("--")]
        sources += paths[:-1]
    return sources


def compose_bind_mounts():
    """Host paths of compose's bind mounts (relative to docker/), as repo paths."""
    text = (DOCKER / "docker-compose.yml").read_text()
    mounts = []
    for match in re.finditer(r"^\s*-\s*(\.{1,2}/[^:\s]*):", text, re.MULTILINE):
        host = (DOCKER / match.group(1)).resolve()
        mounts.append(str(host.relative_to(REPO)) or ".")
    return mounts


def tracked(path):
    """Whether git tracks ``path`` (a file, or a folder holding tracked files)."""
    result = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--", path],
        capture_output=True,
        text=True,
        check=True,
    )
    return bool(result.stdout.strip())


def in_git_checkout():
    return (REPO / ".git").exists()


def test_the_files_are_found():
    assert "docker/odoo.conf" in dockerfile_sources()
    assert "docker/odoo.conf" in compose_bind_mounts()
    assert "addons" in compose_bind_mounts()


@pytest.mark.parametrize(
    "path", sorted(set(dockerfile_sources() + compose_bind_mounts()))
)
def test_each_copied_or_mounted_file_is_in_the_repository(path):
    assert (REPO / path).exists(), f"{path} is copied or mounted but does not exist"
    if in_git_checkout():
        assert tracked(path), f"{path} is copied or mounted but git does not track it"
