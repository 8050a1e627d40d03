"""EDI codec throughput against pydifact and mock-edi, and memory on 100 MB.

Builds X12 850 (004010) and EDIFACT ORDERS (D.96A) interchanges of 1, 100 and
10,000 transaction sets with the codec's own writer, then times, on the same
bytes and in the same run:

- read: the codec's parse + validate (``edi.read``) against mock-edi's parse
  + validate (``mockedi.x12/edifact.parse`` then ``mockedi.validate.validate``),
  mock-edi's parse alone, and pydifact's parse (EDIFACT; it does not validate);
- write: the codec's writer (with and without its dictionary check) against
  mock-edi's ``render`` and pydifact's ``serialize`` of the same interchange.

A ratio is peer time / codec time: above 1 the codec is faster. The target is
at least 5x the fastest peer. Then a 100 MB X12 interchange is written to a
temporary file and streamed through ``edi.EdiReader`` in a child process,
which reports its peak RSS growth and tracemalloc's peak (target < 100 MB).

Each run times a batch of calls (about 50 ms) after a gc.collect(), and the
best run's time per call counts; ``--cold`` times single calls right after
gc.collect() instead, which adds a cache refill to every peer's call.

Usage: python benchmarks/edi_codec.py [--sizes 1,100,10000] [--repeat 3]
       [--memory-mb 100] [--skip-memory] [--cold]
"""

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "addons" / "distribution_edi"))

import edi  # noqa: E402
from edi.writer import write_edifact, write_x12  # noqa: E402

# The benchmark trades the same documents as the codec's tests.
sys.path.insert(0, str(ROOT / "tests" / "edi"))
import edi_builders  # noqa: E402

LINES_PER_ORDER = 5


def x12_order(number):
    return edi_builders.x12_order(
        control=f"{number:04d}", po=f"PO{number:08d}", lines=LINES_PER_ORDER
    )


def edifact_order(number):
    return edi_builders.edifact_order(
        control=str(number), po=f"PO{number:08d}", lines=LINES_PER_ORDER
    )


def x12_envelope():
    return edi_builders.x12_envelope(control_number=1, group_control_number=1)


def edifact_envelope():
    return edi_builders.edifact_envelope(
        control_number="1", sender_qualifier="", receiver_qualifier=""
    )


def x12_interchange(count):
    return write_x12(x12_envelope(), [x12_order(n) for n in range(1, count + 1)])


def edifact_interchange(count):
    return write_edifact(
        edifact_envelope(), [edifact_order(n) for n in range(1, count + 1)]
    )


# Each timed run is a batch of calls lasting about this long, after one
# gc.collect(). A full collection walks the whole heap and evicts the CPU
# caches, so a single call timed right after it pays a cache refill (measured
# at 50-70 us here, for every peer alike) that has nothing to do with
# throughput and swamps a 1-set interchange (~0.05 ms warm). --cold times
# single calls after gc.collect() instead (the method of the 2026-11-26 rows).
BATCH_SECONDS = 0.05
COLD = False


def best_of(repeat, function):
    """Best time per call of ``function``, over ``repeat`` timed runs."""
    best = float("inf")
    number = 1
    if not COLD:
        gc.collect()
        started = time.perf_counter()
        function()
        once = time.perf_counter() - started
        number = max(1, min(2000, int(BATCH_SECONDS / max(once, 1e-9))))
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - started) / number)
    return best


def peers():
    found = {}
    try:
        from mockedi import edifact as mock_edifact
        from mockedi import validate as mock_validate
        from mockedi import x12 as mock_x12

        found["mock-edi"] = (mock_x12, mock_edifact, mock_validate)
    except ImportError:
        print("mock-edi is not installed: its columns are skipped")
    try:
        from pydifact.segmentcollection import Interchange

        # pydifact ships no XML directory for syntax 3 and says so per segment.
        warnings.filterwarnings("ignore", module="pydifact")
        found["pydifact"] = Interchange
    except ImportError:
        print("pydifact is not installed: its columns are skipped")
    return found


def measure(dialect, count, repeat, found):
    if dialect == "X12":
        data = x12_interchange(count)
        sets = [x12_order(n) for n in range(1, count + 1)]
        envelope = x12_envelope()

        def ours_write(validate):
            return write_x12(envelope, sets, validate=validate)

    else:
        data = edifact_interchange(count)
        sets = [edifact_order(n) for n in range(1, count + 1)]
        envelope = edifact_envelope()

        def ours_write(validate):
            return write_edifact(envelope, sets, validate=validate)

    text = data.decode("latin-1")
    interchanges = edi.read(data)
    assert interchanges[0].status == "A" and all(
        result.status == "A" for result in interchanges[0].results
    ), "the benchmark interchange must be clean"
    row = {"dialect": dialect, "sets": count, "bytes": len(data)}
    row["ours_read"] = best_of(repeat, lambda: edi.read(data))
    row["ours_write"] = best_of(repeat, lambda: ours_write(False))
    row["ours_write_checked"] = best_of(repeat, lambda: ours_write(True))
    if "mock-edi" in found:
        mock_x12, mock_edifact, mock_validate = found["mock-edi"]
        module = mock_x12 if dialect == "X12" else mock_edifact
        parsed = module.parse(text)
        report = mock_validate.validate(parsed)
        assert report.clean, (
            f"mock-edi finds the benchmark interchange unclean: {report}"
        )
        row["mock_parse"] = best_of(repeat, lambda: module.parse(text))
        row["mock_read"] = best_of(
            repeat, lambda: mock_validate.validate(module.parse(text))
        )
        row["mock_write"] = best_of(repeat, lambda: module.render(parsed))
    if "pydifact" in found and dialect == "EDIFACT":
        interchange_class = found["pydifact"]
        parsed = interchange_class.from_str(text)
        row["pydifact_read"] = best_of(repeat, lambda: interchange_class.from_str(text))
        row["pydifact_write"] = best_of(repeat, lambda: parsed.serialize())
    return row


def ratio(peer, ours):
    return f"{peer / ours:6.1f}x" if peer else "     -"


def report(rows):
    print()
    print("Read = parse + validate; ratio = peer time / codec time (>1: codec faster)")
    header = (
        f"{'dialect':8} {'sets':>6} {'MB':>6} {'codec ms':>9} "
        f"{'vs mock p+v':>11} {'vs mock parse':>13} {'vs pydifact':>11}"
    )
    print(header)
    for row in rows:
        print(
            f"{row['dialect']:8} {row['sets']:>6} {row['bytes'] / 1e6:6.2f} "
            f"{row['ours_read'] * 1000:9.2f} "
            f"{ratio(row.get('mock_read'), row['ours_read']):>11} "
            f"{ratio(row.get('mock_parse'), row['ours_read']):>13} "
            f"{ratio(row.get('pydifact_read'), row['ours_read']):>11}"
        )
    print()
    print("Write; ratios for the unchecked writer (checked writer in brackets)")
    print(
        f"{'dialect':8} {'sets':>6} {'codec ms':>9} "
        f"{'vs mock render':>22} {'vs pydifact':>22}"
    )
    for row in rows:
        mock = row.get("mock_write")
        py = row.get("pydifact_write")
        cells = []
        for peer in (mock, py):
            if peer:
                cells.append(
                    f"{peer / row['ours_write']:6.1f}x "
                    f"({peer / row['ours_write_checked']:.1f}x)"
                )
            else:
                cells.append("-")
        print(
            f"{row['dialect']:8} {row['sets']:>6} {row['ours_write'] * 1000:9.2f} "
            f"{cells[0]:>22} {cells[1]:>22}"
        )


def write_big_interchange(path, megabytes):
    """An X12 850 interchange of about ``megabytes`` MB, written set by set."""
    template = x12_interchange(1).decode("ascii").split("~")
    isa, gs = template[0], template[1]
    body = template[3:-4]  # between ST and SE
    count = 0
    with open(path, "w", encoding="ascii") as out:
        out.write(f"{isa}~\n{gs}~\n")
        while out.tell() < megabytes * 1_000_000:
            count += 1
            control = f"{count:09d}"
            segments = [f"ST*850*{control}", *body, f"SE*{len(body) + 2}*{control}"]
            out.write("~\n".join(segments) + "~\n")
        out.write(f"GE*{count}*1~\nIEA*1*000000001~\n")
    return count


# ru_maxrss survives exec (a child starts with its parent's peak): read the
# child's own high-water mark from /proc where there is one.
CHILD = """
import resource, sys, time, tracemalloc
sys.path.insert(0, {addon!r})
import edi

def peak_rss_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

path, use_tracemalloc = sys.argv[1], sys.argv[2] == "1"
keep_results = sys.argv[3] == "1"
before = peak_rss_kib()
if use_tracemalloc:
    tracemalloc.start()
started = time.perf_counter()
count = accepted = 0
with open(path, "rb") as stream:
    reader = edi.EdiReader(stream, keep_results=keep_results)
    for transaction_set in reader:
        count += 1
        accepted += transaction_set.accepted
elapsed = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if use_tracemalloc else 0
after = peak_rss_kib()
status = reader.interchanges[0].status
print(count, accepted, status, elapsed, (after - before) * 1024, peak)
"""


def memory_check(megabytes):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.edi")
        sets = write_big_interchange(path, megabytes)
        size = os.path.getsize(path)
        script = CHILD.format(addon=str(ROOT / "addons" / "distribution_edi"))
        print()
        print(f"Streaming {size / 1e6:.0f} MB ({sets} sets of 850) through EdiReader:")
        for keep in ("1", "0"):
            results = {}
            for label, flag in (("rss", "0"), ("tracemalloc", "1")):
                results[label] = subprocess.run(
                    [sys.executable, "-c", script, path, flag, keep],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
            count, accepted, status, elapsed, rss, _ = results["rss"]
            rss_mb = int(rss) / 1e6
            traced_mb = int(results["tracemalloc"][5]) / 1e6
            met = "met" if max(rss_mb, traced_mb) < 100 else "NOT met"
            mode = "every verdict kept" if keep == "1" else "keep_results=False"
            print(
                f"  {mode:20}: read {count}, accepted {accepted}, interchange "
                f"{status}, {float(elapsed):.1f} s ({size / 1e6 / float(elapsed):.1f} "
                f"MB/s); peak RSS growth {rss_mb:.1f} MB, tracemalloc peak "
                f"{traced_mb:.1f} MB (target < 100 MB: {met})"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-mb", type=int, default=100)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="time single calls right after gc.collect() (no batches)",
    )
    options = parser.parse_args()
    global COLD
    COLD = options.cold
    found = peers()
    rows = []
    for dialect in ("X12", "EDIFACT"):
        for count in (int(size) for size in options.sizes.split(",")):
            repeat = options.repeat if count >= 1000 else max(options.repeat, 20)
            rows.append(measure(dialect, count, repeat, found))
    report(rows)
    if not options.skip_memory:
        memory_check(options.memory_mb)


if __name__ == "__main__":
    main()
