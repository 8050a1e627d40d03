"""Print "passed failed skipped" counted from one pytest JUnit XML report."""

import sys
import xml.etree.ElementTree as ET


def count_results(report_path):
    """Return (passed, failed, skipped) for a JUnit XML file; errors count as failed."""
    root = ET.parse(report_path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


if __name__ == "__main__":
    print(*count_results(sys.argv[1]))
