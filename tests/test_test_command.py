"""The test command itself: which Odoos it finds, which queue_job it picks, and how
it reports skipped tests. Odoo is faked by a tiny ``odoo.release`` module: only
discovery is exercised here (``scripts/test.sh --list``), never an Odoo run.
"""

import doctest
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_COMMAND = REPO / "scripts" / "test.sh"
LIB = REPO / "scripts" / "lib"


def load(name):
    spec = importlib.util.spec_from_file_location(name, LIB / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_queue_job_choice_follows_the_odoo_api():
    odoo_paths = load("odoo_paths")
    result = doctest.testmod(odoo_paths)
    assert result.attempted >= 4
    assert result.failed == 0
    # An installed release outside the latest range is replaced on a current 18.0.
    assert odoo_paths.queue_job_requirement(True, True, "18.0.3.1.2")[1] is False
    assert odoo_paths.queue_job_requirement(True, True, "18.1.0.0.0")[1] is False


def test_junit_report_names_every_skipped_test(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        textwrap.dedent(
            """\
            <testsuites><testsuite tests="3" failures="1" errors="0" skipped="1">
              <testcase classname="tests.edi.test_sftp" name="test_ok"/>
              <testcase classname="tests.edi.test_sftp" name="test_put">
                <skipped message="no sshd here:&#10; install openssh-server"/>
              </testcase>
              <testcase classname="tests.edi.test_sftp" name="test_bad">
                <failure message="boom"/>
              </testcase>
            </testsuite></testsuites>
            """
        )
    )
    output = subprocess.run(
        [sys.executable, str(LIB / "junit_counts.py"), str(report)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert output == [
        "1 1 1",
        "tests.edi.test_sftp::test_put (no sshd here: install openssh-server)",
    ]


def fake_python(directory, name, major):
    """A "Python" whose ``odoo.release`` says Odoo ``major``."""
    package = directory / f"site-{name}" / "odoo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "release.py").write_text(f"version_info = ({major}, 0, 0, 'final', 0)\n")
    python = directory / name
    python.write_text(
        f'#!/bin/sh\nPYTHONPATH="{package.parent}" exec "{sys.executable}" "$@"\n'
    )
    python.chmod(0o755)
    return python


def launcher(path, python):
    path.write_text(f"#!{python}\nimport odoo.cli\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path):
    """A PATH with two Odoo 18 installations, an Odoo 17 and a stray ``odoo-*``."""
    tools = tmp_path / "python"
    tools.mkdir()
    release, nightly, old = (
        fake_python(tools, "py-release", 18),
        fake_python(tools, "py-nightly", 18),
        fake_python(tools, "py-seventeen", 17),
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher(bin_dir / "odoo", release)
    launcher(bin_dir / "odoo-bin", release)  # the same installation again
    launcher(bin_dir / "odoo-18-nightly", nightly)
    launcher(bin_dir / "odoo-17", old)
    (bin_dir / "odoo-notes.txt").write_text("not a launcher\n")
    return bin_dir


def run_command(bin_dir, *args, **env):
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        **env,
    }
    return subprocess.run(
        ["bash", str(TEST_COMMAND), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_every_odoo_18_on_path_is_one_platform(machine):
    result = run_command(machine, "--list")
    assert result.returncode == 0, result.stdout + result.stderr
    platforms = [line for line in result.stdout.splitlines() if "platform p" in line]
    assert len(platforms) == 2, result.stdout
    assert "platform p1: odoo -> " in platforms[0]
    assert "platform p2: odoo-18-nightly -> " in platforms[1]
    assert "odoo-17" not in result.stdout


def test_odoo_bin_takes_a_list_and_refuses_what_is_not_odoo_18(machine):
    both = f"{machine / 'odoo-18-nightly'}:{machine / 'odoo'}"
    result = run_command(machine, "--list", ODOO_BIN=both)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "platform p2" in result.stdout

    result = run_command(
        machine, "--list", ODOO_BIN=f"{machine / 'odoo'} {machine / 'odoo-17'}"
    )
    assert result.returncode == 1
    assert "cannot import Odoo 18" in result.stdout


def test_without_odoo_the_odoo_suites_are_a_failure_only_when_asked_for(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_command(empty, "--odoo-only")
    assert result.returncode == 1
    assert "Odoo 18 not found" in result.stdout
    assert "odoo           FAILED" in result.stdout
