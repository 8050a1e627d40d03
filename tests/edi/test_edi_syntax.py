"""Separators from ISA/UNA, release characters, composites, repetitions, leniency."""

import io

import edi
import pytest
from edi.syntax import Lexer, Separators, split_released, unescape
from edi.writer import OutboundSet, write_edifact, write_x12
from edi_builders import (
    edifact_document,
    edifact_envelope,
    edifact_order,
    x12_document,
    x12_envelope,
    x12_order,
)


def segments_of(document, **options):
    return [segment.values for segment in Lexer(document, **options).segments()]


def test_x12_separators_come_from_the_isa():
    document = x12_document().replace(b"*", b"|").replace(b"~", b"!")
    document = document.replace(b"|>!", b"|^!")  # ISA16: component separator
    lexer = Lexer(document)
    values = [segment.values for segment in lexer.segments()]
    separators = lexer.syntax.separators
    assert (separators.element, separators.component, separators.segment) == (
        "|",
        "^",
        "!",
    )
    assert values[1][:3] == ["GS", "PO", "BUYER"]
    assert values[-1] == ["IEA", "1", "000000077"]
    [interchange] = edi.read(document)
    assert interchange.status == "A"
    assert [result.status for result in interchange.results] == ["A"]


def test_isa_that_is_not_fixed_width_is_read_and_noted():
    document = x12_document().replace(b"ZZ*BUYER          *", b"ZZ*BUYER*")
    [interchange] = edi.read(document)
    assert interchange.header.sender_id == "BUYER"
    assert interchange.results[0].status == "A"
    assert any("not fixed-width" in note for note in interchange.notes)
    # ISA06 is 15 characters wide: the header is reported, located.
    [finding] = interchange.findings
    assert (finding.tag, finding.element, finding.position) == ("ISA", 6, 1)
    assert finding.kind is edi.ErrorKind.INTERCHANGE_HEADER_INVALID
    assert not interchange.rejected


def test_segment_terminator_is_the_character_after_isa16():
    document = x12_document().replace(b"~\n", b"\n")
    lexer = Lexer(document)
    values = [segment.values for segment in lexer.segments()]
    assert lexer.syntax.separators.segment == "\n"
    assert values[2] == ["ST", "850", "0001"]
    assert edi.read(document)[0].results[0].status == "A"


def test_repetition_separator_is_isa11_from_00501():
    envelope = x12_envelope(version="005010")
    document = write_x12(envelope, [x12_order()])
    assert document[82:83] == b"^" and document[84:89] == b"00501"
    lexer = Lexer(document)
    list(lexer.segments())
    assert lexer.syntax.separators.repetition == "^"
    # In 00401, ISA11 is the standards identifier "U", not a separator.
    lexer = Lexer(x12_document())
    list(lexer.segments())
    assert lexer.syntax.separators.repetition == ""


def test_x12_repetitions_split_only_where_the_dictionary_repeats():
    dictionary = edi.reader.X12_005010.extended(
        segments="ZZR Partner codes: 128 M, 127 M r5"
    )
    dictionaries = {"005010": dictionary}
    body = [*x12_order().segments[:2], ("ZZR", "ZZ", ["A", "B-1", "C"])]
    sets = [OutboundSet("850", "0001", body + x12_order().segments[2:])]
    envelope = x12_envelope(version="005010")
    document = write_x12(envelope, sets, dictionaries=dictionaries, validate=False)
    assert b"ZZR*ZZ*A^B-1^C~" in document
    [interchange] = edi.read(document, x12_dictionaries=dictionaries)
    [transaction_set] = interchange.transaction_sets
    assert transaction_set.find("ZZR").repetitions(2) == ["A", "B-1", "C"]
    # REF02 does not repeat: the separator there stays data.
    document = document.replace(b"REF*DP*038", b"REF*DP*03^8")
    [interchange] = edi.read(document, x12_dictionaries=dictionaries)
    assert interchange.transaction_sets[0].find("REF").get(2) == "03^8"


def test_x12_too_many_repetitions_is_located():
    dictionary = edi.reader.X12_005010.extended(
        segments="ZZR Partner codes: 128 M, 127 M r2"
    )
    dictionaries = {"005010": dictionary}
    body = [("ZZR", "ZZ", ["A", "B", "C"]), *x12_order().segments]
    envelope = x12_envelope(version="005010")
    sets = [OutboundSet("850", "0001", body)]
    document = write_x12(envelope, sets, dictionaries=dictionaries, validate=False)
    [interchange] = edi.read(document, x12_dictionaries=dictionaries)
    kinds = {(f.kind, f.tag, f.element) for f in interchange.results[0].findings}
    assert (edi.ErrorKind.TOO_MANY_REPETITIONS, "ZZR", 2) in kinds


def test_edifact_default_separators_without_una():
    document = edifact_document(una=False)
    assert document.startswith(b"UNB+UNOC:3+")
    lexer = Lexer(document)
    values = [segment.values for segment in lexer.segments()]
    assert lexer.syntax.separators == Separators("'", "+", ":", "", "?", ".")
    assert values[0][1] == ("UNOC", "3")
    assert edi.read(document)[0].results[0].status == "A"


def test_edifact_separators_come_from_una():
    separators = Separators(segment="!", element="|", component="^", release="/")
    envelope = edifact_envelope(separators=separators)
    document = write_edifact(envelope, [edifact_order()])
    assert document.startswith(b"UNA^|./ !UNB|UNOC^3|")
    lexer = Lexer(document)
    values = [segment.values for segment in lexer.segments()]
    assert lexer.syntax.una == "UNA^|./ !"
    assert values[2] == ["BGM", "220", "4500000042", "9"]
    assert edi.read(document)[0].results[0].status == "A"


def test_edifact_decimal_comma_from_una_is_accepted_in_numbers():
    document = edifact_document().replace(b"PRI+AAA:12.50", b"PRI+AAA:12,50")
    document = document.replace(b"UNA:+.? '", b"UNA:+,? '")
    [interchange] = edi.read(document)
    assert interchange.header.separators.decimal == ","
    assert interchange.results[0].status == "A"


def test_release_character_escapes_every_separator():
    text = "Widget: 10+ pcs? it's"
    message = edifact_order()
    message.segments.insert(2, ("FTX", "AAI", "", "", (text, "second")))
    document = write_edifact(edifact_envelope(), [message])
    assert b"FTX+AAI+++Widget?: 10?+ pcs?? it?'s:second'" in document
    [interchange] = edi.read(document)
    ftx = interchange.transaction_sets[0].find("FTX")
    assert ftx.get(4, 1) == text and ftx.get(4, 2) == "second"
    assert interchange.results[0].status == "A"


def test_released_terminator_across_block_boundaries():
    message = edifact_order()
    message.segments.insert(2, ("FTX", "AAI", "", "", ("it's ok'", "x")))
    document = write_edifact(edifact_envelope(), [message])
    expected = edi.read(document)[0].transaction_sets[0].find("FTX").values
    for chunk_size in (1, 2, 3, 7, 64):
        reader = edi.EdiReader(io.BytesIO(document), chunk_size=chunk_size)
        [transaction_set] = list(reader)
        assert transaction_set.find("FTX").values == expected
        assert transaction_set.status == "A"


def test_split_released_and_unescape():
    separators = Separators("'", "+", ":", "", "?")
    assert split_released("FTX+a?+b+c?:d:e??", separators) == [
        "FTX",
        "a+b",
        ("c:d", "e?"),
    ]
    assert unescape("a?+b??", "?") == "a+b?"


def test_composites_are_tuples_and_read_by_component():
    [interchange] = edi.read(edifact_document())
    dtm = interchange.transaction_sets[0].find("DTM")
    assert dtm.raw(1) == ("137", "20261126", "102")
    assert dtm.get(1, 2) == "20261126"
    assert dtm.get(1, 4) == ""
    nad = interchange.transaction_sets[0].find("NAD")
    assert nad.get(2) == "BUYER" and nad.get(2, 3) == "92"


def test_edifact_syntax_4_repetitions():
    envelope = edifact_envelope(syntax_version="4", syntax_identifier="UNOC")
    separators = Separators("'", "+", ":", "*", "?", ".")
    envelope.separators = separators
    message = edifact_order()
    message.segments.insert(2, ("FTX", "AAI", "", "", ("a*b", "c")))
    document = write_edifact(envelope, [message])
    assert document.startswith(b"UNA:+.?*'UNB+UNOC:4+")
    assert b"FTX+AAI+++a?*b:c'" in document
    [interchange] = edi.read(document)
    assert interchange.transaction_sets[0].find("FTX").get(4, 1) == "a*b"
    values = segments_of(b"UNA:+.?*'UNB+UNOC:4+A+B+20261126:1030+1'X+a*b:c*d'UNZ+0+1'")
    assert values[1] == ["X", ["a", ("b", "c"), "d"]]


def test_line_breaks_trailing_whitespace_and_missing_final_terminator():
    document = x12_document().replace(b"~\n", b"~\r\n") + b"  \r\n\t"
    [interchange] = edi.read(document)
    assert interchange.status == "A" and interchange.results[0].status == "A"
    assert "line breaks between segments ignored" in interchange.notes
    cut = x12_document().rstrip(b"\n").removesuffix(b"~")
    [interchange] = edi.read(cut)
    assert interchange.complete and interchange.status == "A"
    assert "the last segment (IEA) has no terminator" in interchange.notes


def test_two_interchanges_with_their_own_separators_in_one_file():
    first = x12_document()
    second = edifact_document()
    third = x12_document(control_number=78).replace(b"*", b"|").replace(b"~", b"!")
    interchanges = edi.read(first + b"\n" + second + third)
    assert [i.dialect for i in interchanges] == ["X12", "EDIFACT", "X12"]
    assert [i.header.control_number for i in interchanges] == [
        "000000077",
        "770001",
        "000000078",
    ]
    assert all(i.status == "A" for i in interchanges)
    assert interchanges[2].header.separators.element == "|"


def test_bytes_that_are_no_interchange_are_refused_with_their_offset():
    with pytest.raises(edi.EdiSyntaxError) as caught:
        edi.read(b"\n\nHELLO*WORLD~")
    assert caught.value.offset == 2 and caught.value.interchange == 1
    with pytest.raises(edi.EdiSyntaxError, match="16 elements"):
        edi.read(b"ISA*00*short~")
    # Garbage after a good interchange: the first is kept, the rest refused.
    reader = edi.EdiReader(x12_document() + b"garbage")
    with pytest.raises(edi.EdiSyntaxError) as caught:
        list(reader)
    assert caught.value.interchange == 2
    assert reader.interchanges[0].status == "A"


def test_non_utf8_x12_is_read_as_latin1_and_noted():
    document = x12_document().replace(b"Main warehouse", "Entrepôt".encode("latin-1"))
    [interchange] = edi.read(document)
    assert interchange.transaction_sets[0].find("N1").get(2) == "Entrepôt"
    assert any("Latin-1" in note for note in interchange.notes)


def test_edifact_encoding_follows_the_syntax_identifier():
    message = edifact_order()
    message.segments[2] = ("NAD", "BY", ("BUYER", "", "92"), "", "Łódź Hurt")
    document = write_edifact(edifact_envelope(syntax_identifier="UNOY"), [message])
    assert "Łódź".encode() in document
    [interchange] = edi.read(document)
    assert interchange.header.encoding == "utf-8"
    assert interchange.transaction_sets[0].find("NAD").get(4) == "Łódź Hurt"
