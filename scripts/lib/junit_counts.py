"""Print "passed failed skipped" counted from one pytest JUnit XML report.

Then one line per skipped test, "<test id> (<reason>)", so that the test
command's summary can name every skip.
"""

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


def skipped_tests(report_path):
    """Yield "<classname>::<name> (<reason>)" for every skipped test case."""
    root = ET.parse(report_path).getroot()
    for case in root.iter("testcase"):
        skip = case.find("skipped")
        if skip is None:
            continue
        name = "::".join(filter(None, (case.get("classname"), case.get("name"))))
        reason = (skip.get("message") or skip.text or "no reason given").strip()
        yield f"{name} ({' '.join(reason.split())})"


if __name__ == "__main__":
    print(*count_results(sys.argv[1]))
    for line in skipped_tests(sys.argv[1]):
        print(line)
