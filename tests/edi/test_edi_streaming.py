"""Streaming: a large generated interchange read set by set with bounded memory."""

import gc
import tracemalloc

import edi
from edi.ack import build_997
from edi.writer import write_x12
from edi_builders import x12_envelope, x12_order
from test_edi_ack import our_x12_envelope

SETS = 8000
LINES = 20


def write_large_interchange(path, sets):
    """An 850 interchange of ``sets`` sets, written without holding it whole."""
    template = write_x12(x12_envelope(), [x12_order(lines=LINES)]).decode().split("~")
    isa, gs, body = template[0], template[1], template[3:-4]
    with open(path, "w", encoding="ascii") as out:
        out.write(f"{isa}~\n{gs}~\n")
        for number in range(1, sets + 1):
            control = f"{number:05d}"
            segments = [f"ST*850*{control}", *body, f"SE*{len(body) + 2}*{control}"]
            out.write("~\n".join(segments) + "~\n")
        out.write(f"GE*{sets}*5~\nIEA*1*000000077~\n")


def test_many_sets_stream_with_bounded_memory(tmp_path, assert_mock_clean):
    path = tmp_path / "large.edi"
    write_large_interchange(path, SETS)
    size = path.stat().st_size
    assert size > 10_000_000, size
    gc.collect()
    tracemalloc.start()
    try:
        count = 0
        with open(path, "rb") as stream:
            reader = edi.EdiReader(stream, chunk_size=1 << 16)
            for transaction_set in reader:
                count += 1
                assert transaction_set.accepted, transaction_set.findings
                if count == 1:
                    first = transaction_set
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == SETS
    [interchange] = reader.interchanges
    assert interchange.status == "A" and interchange.groups[0].status == "A"
    assert first.interchange.control_number == "000000077"
    assert first.group.control_number == "5"
    # Reading holds one set and a small verdict (~250 bytes) per set, never
    # the file.
    assert peak < size / 4, f"peak {peak} bytes for a {size} byte file"
    assert peak < 1_000_000 + 300 * SETS
    ack = build_997(interchange, our_x12_envelope(interchange))
    assert ack.count(b"AK5*A~") == SETS
    assert_mock_clean(ack)


def test_streaming_yields_each_set_before_reading_the_next(tmp_path):
    path = tmp_path / "two.edi"
    write_large_interchange(path, 3)
    with open(path, "rb") as stream:
        reader = edi.EdiReader(stream, chunk_size=128)
        iterator = iter(reader)
        first = next(iterator)
        position = stream.tell()
        assert first.control_number == "00001"
        assert position < path.stat().st_size
        assert [ts.control_number for ts in iterator] == ["00002", "00003"]


def test_verdicts_of_clean_sets_need_not_be_kept(tmp_path, assert_mock_clean):
    path = tmp_path / "clean.edi"
    write_large_interchange(path, 2000)
    with open(path, "rb") as stream:
        gc.collect()
        tracemalloc.start()
        try:
            reader = edi.EdiReader(stream, chunk_size=1 << 16, keep_results=False)
            assert sum(1 for _set in reader) == 2000
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    [interchange] = reader.interchanges
    group = interchange.groups[0]
    assert group.results == [] and group.received_count == 2000
    assert group.status == "A" and group.accepted_count == 2000
    assert peak < 1_000_000, peak  # the block, one set, and counters
    ack = build_997(interchange, our_x12_envelope(interchange))
    assert b"AK2" not in ack and b"AK9*A*2000*2000*2000~" in ack
    assert_mock_clean(ack)


def test_sets_with_findings_are_kept_when_the_others_are_not(tmp_path):
    path = tmp_path / "mixed.edi"
    write_large_interchange(path, 50)
    data = path.read_bytes().replace(
        b"ST*850*00007~\nBEG*00*SA*4500000042**20261126",
        b"ST*850*00007~\nBEG*00*SA*4500000042**20261199",
    )
    reader = edi.EdiReader(data, keep_results=False)
    list(reader)
    group = reader.interchanges[0].groups[0]
    assert [result.control_number for result in group.results] == ["00007"]
    assert (group.received_count, group.accepted_count, group.status) == (50, 50, "E")
