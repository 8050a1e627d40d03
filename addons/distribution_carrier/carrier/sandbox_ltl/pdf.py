"""A one-page PDF of text lines, written by hand (no PDF library needed).

Enough for the sandbox's bill of lading, proof of delivery and handling-unit
labels: a valid PDF 1.4 file (correct cross-reference table) that any viewer
and parser opens.
"""


def _pdf_string(text):
    # PDF literal strings escape backslash and parentheses; Helvetica's
    # standard encoding covers Latin-1, anything else becomes "?".
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return text.encode("latin-1", "replace")


def text_pdf(lines, *, title="", page_size=(612, 792)):
    """Return the bytes of a one-page PDF showing ``lines`` in Helvetica.

    The first line is set larger, as a heading.

    >>> text_pdf(["SANDBOX"])[:8]
    b'%PDF-1.4'
    """
    width, height = page_size
    content = [b"BT", b"/F1 16 Tf", b"18 TL", f"50 {height - 60} Td".encode()]
    for number, line in enumerate(lines):
        if number == 1:
            content += [b"/F1 11 Tf", b"15 TL"]
        content.append(b"(" + _pdf_string(str(line)) + b") Tj T*")
    content.append(b"ET")
    stream = b"\n".join(content)

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + _pdf_string(title) + b") /Producer (DIS LTL sandbox) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref_at)
    )
    return bytes(out)
