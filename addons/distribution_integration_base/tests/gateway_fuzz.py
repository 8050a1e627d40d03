"""A bounded, seeded fuzzer for the inbound gateway, over a raw TCP socket.

Plain Python (no Odoo import), shared by the kernel's Odoo test and the
integration test against a multi-process server. A raw socket, because HTTP
client libraries refuse to send what an attacker sends: NUL bytes and other
control characters in header values, bytes that are not UTF-8, odd methods.

Each case starts from a valid, signed request and applies one to three
mutations to its URL, headers, body, encoding, size or nesting; about half of
the cases are signed again after mutating, so that they get past
authentication and reach the checks behind it.
"""

import concurrent.futures
import hashlib
import hmac
import json
import random
import socket
import time


def sign(secret, raw, timestamp=None):
    timestamp = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    return {
        b"X-Integration-Timestamp": timestamp.encode(),
        b"X-Integration-Signature": b"sha256=" + digest.encode(),
    }


class Case:
    """One request: method, target (raw bytes), headers (list of byte pairs), body."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.mutations = []
        self.resign = False

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))

    def describe(self):
        return f"{self.method!r} {self.target[:80]!r} mutations={self.mutations}"


def _nest(depth, kind="list"):
    if kind == "list":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


NASTY = [
    b"\x00",
    b"a\x00b",
    b"\r\nX-Injected: 1",
    b"\n2026-11-29 00:00:00,000 1 CRITICAL db odoo: forged",
    b"\x1b[31mred",
    b"\xff\xfe",
    "é€😀".encode(),
    "\u2028".encode(),
    b"%00",
    b"..",
    b"' OR 1=1 --",
    b"A" * 300,
    b"",
    b" ",
]


class GatewayFuzzer:
    """Generate ``count`` mutated requests for ``/integration/inbound/<e>/<f>``."""

    def __init__(self, endpoint, flow, secret, seed=13, other_codes=()):
        self.endpoint = endpoint.encode()
        self.flow = flow.encode()
        self.secret = secret
        self.rng = random.Random(seed)
        self.other_codes = [code.encode() for code in other_codes]
        self.serial = 0

    # -- building ------------------------------------------------------------

    def base_case(self):
        self.serial += 1
        body = json.dumps(
            {"ref": f"FUZZ-{self.serial}", "name": "Fuzz", "email": "f@example.com"}
        ).encode()
        headers = [
            (b"Host", b"127.0.0.1"),
            (b"Content-Type", b"application/json"),
            (b"Idempotency-Key", f"fuzz-{self.serial}".encode()),
            (b"X-Correlation-Id", f"corr-{self.serial}".encode()),
        ]
        headers.extend(sign(self.secret, body).items())
        target = b"/integration/inbound/" + self.endpoint + b"/" + self.flow
        return Case(b"POST", target, headers, body)

    def cases(self, count):
        mutators = [
            getattr(self, name) for name in sorted(dir(self)) if name.startswith("m_")
        ]
        for _index in range(count):
            case = self.base_case()
            case.resign = self.rng.random() < 0.5
            for mutator in self.rng.sample(mutators, self.rng.randint(1, 3)):
                mutator(case)
                case.mutations.append(mutator.__name__[2:])
            if case.resign:
                for name, value in sign(self.secret, case.body).items():
                    case.set_header(name, value)
            yield case

    # -- mutations: URL --------------------------------------------------------

    def _code(self):
        choice = self.rng.random()
        if choice < 0.5:
            return self.rng.choice(NASTY).replace(b"/", b"")
        if choice < 0.6 and self.other_codes:
            return self.rng.choice(self.other_codes)
        if choice < 0.7:
            return b"x" * self.rng.choice((64, 500, 4000))
        return (
            bytes(self.rng.randrange(0x21, 0x7F) for _ in range(8))
            .replace(b"/", b"_")
            .replace(b"?", b"_")
            .replace(b"#", b"_")
        )

    def _quote(self, raw):
        # The request line cannot carry raw control bytes or spaces; encode
        # them as a client would (the server decodes them back).
        return b"".join(
            bytes([c]) if 0x21 <= c < 0x7F and c not in b"%" else b"%%%02X" % c
            for c in raw
        )

    def m_endpoint_code(self, case):
        code = self._quote(self._code())
        case.target = b"/integration/inbound/" + code + b"/" + self.flow

    def m_flow_code(self, case):
        code = self._quote(self._code())
        case.target = b"/integration/inbound/" + self.endpoint + b"/" + code

    def m_path_shape(self, case):
        case.target = self.rng.choice(
            [
                b"/integration/inbound/" + self.endpoint,
                b"/integration/inbound/",
                b"/integration/inbound/" + self.endpoint + b"/" + self.flow + b"/x",
                b"/integration/inbound/" + self.endpoint + b"/" + self.flow + b"/",
                b"/integration/inbound/%2e%2e/" + self.flow,
                b"/integration/inbound/" + self.endpoint + b"%2F" + self.flow,
            ]
        )

    def m_query_string(self, case):
        case.target += self.rng.choice(
            [
                b"?self=1",
                b"?endpoint_code=x&flow_code=y",
                b"?a=%00&b=%ff",
                b"?" + b"q=" * 500,
                b"?debug=assets",
            ]
        )

    def m_method(self, case):
        case.method = self.rng.choice([b"GET", b"PUT", b"DELETE", b"PATCH", b"OPTIONS"])

    # -- mutations: headers ----------------------------------------------------

    def m_idempotency_key(self, case):
        case.set_header(
            self.rng.choice([b"Idempotency-Key", b"X-Idempotency-Key"]),
            self.rng.choice(NASTY + [b"k" * 256, b"k" * 5000]).replace(b"\r\n", b""),
        )

    def m_correlation_id(self, case):
        case.set_header(
            b"X-Correlation-Id",
            self.rng.choice(NASTY + [b"c" * 3000]).replace(b"\r\n", b""),
        )

    def m_content_type(self, case):
        case.set_header(
            b"Content-Type",
            self.rng.choice(
                [
                    b"text/plain",
                    b"application/xml",
                    b"application/json; charset=utf-16",
                    b"application/json; charset=\x00",
                    b"application/x-www-form-urlencoded",
                    b"multipart/form-data; boundary=xyz",
                    b"application/vnd.api+json",
                    b"*/*",
                    b"json",
                    b"",
                    b"\x00",
                    b"application/json" + b";a=b" * 400,
                ]
            ),
        )

    def m_drop_header(self, case):
        name = self.rng.choice(
            [b"Content-Type", b"X-Integration-Signature", b"X-Integration-Timestamp"]
        )
        case.headers = [(k, v) for k, v in case.headers if k != name]
        if name != b"Content-Type":
            case.resign = False

    def m_signature(self, case):
        case.resign = False
        value = self.rng.choice(
            [
                b"sha256=" + b"0" * 64,
                b"sha256=\x00",
                b"md5=abc",
                b"sha256=" + b"g" * 64,
                b"=" * 100,
                b"sha256=" + b"a" * 5000,
            ]
        )
        case.set_header(b"X-Integration-Signature", value)

    def m_timestamp(self, case):
        case.set_header(
            b"X-Integration-Timestamp",
            self.rng.choice(
                [b"0", b"-1", b"9" * 12, b"9" * 40, b"1e10", b"\x00", b"12 34", b""]
            ),
        )

    def m_huge_header(self, case):
        size = self.rng.choice((1024, 8 * 1024, 16 * 1024, 60 * 1024))
        case.set_header(b"X-Filler", b"f" * size)

    def m_many_headers(self, case):
        for index in range(self.rng.choice((20, 80))):
            case.headers.append((b"X-Many-%d" % index, b"v"))

    def m_raw_bytes_in_header(self, case):
        case.set_header(
            self.rng.choice([b"Idempotency-Key", b"X-Correlation-Id", b"User-Agent"]),
            bytes(self.rng.randrange(0x80, 0x100) for _ in range(16)),
        )

    def m_cookie(self, case):
        case.set_header(
            b"Cookie",
            self.rng.choice([b"session_id=\x00", b"session_id=" + b"z" * 400, b"=;;="]),
        )

    def m_chunked(self, case):
        case.set_header(b"Transfer-Encoding", b"chunked")

    # -- mutations: body ---------------------------------------------------------

    def m_nesting(self, case):
        depth = self.rng.choice((65, 500, 5000, 100_000))
        case.body = _nest(depth, self.rng.choice(("list", "dict")))

    def m_encoding(self, case):
        text = '{"ref": "ENC", "name": "Zoë ✓"}'
        case.body = self.rng.choice(
            [
                text.encode("utf-16"),
                text.encode("utf-32"),
                text.encode("latin-1", "replace"),
                b"\xef\xbb\xbf" + text.encode(),
                b'{"ref": "\xff\xfe"}',
                b'{"ref": "\\ud800"}',
                b'{"ref": "ok\x00"}',
            ]
        )

    def m_json_values(self, case):
        case.body = self.rng.choice(
            [
                b"NaN",
                b'{"a": Infinity}',
                b"1" * 5000,
                b'{"ref": 1e999}',
                b"[]",
                b"null",
                b'"just a string"',
                b"{not json",
                b'{"a":1,"a":2}',
                b"",
                b" ",
            ]
        )

    def m_size(self, case):
        size = self.rng.choice((0, 1, 1024, 100 * 1024, 600 * 1024))
        case.body = b'{"ref": "' + b"s" * size + b'"}'

    def m_binary(self, case):
        case.body = bytes(
            self.rng.randrange(256) for _ in range(self.rng.randrange(1, 400))
        )

    def m_form_body(self, case):
        case.body = self.rng.choice(
            [
                b"a=1&b=%ff&self=1",
                b"--xyz\r\nContent-Disposition: form-data; "
                b'name="f"\r\n\r\nv\r\n--xyz--\r\n',
                b"--broken",
            ]
        )


def send(host, port, case, timeout=30, source=None):
    """Send ``case`` on a new connection (from address ``source`` if given);
    return ``(status, headers, body)``."""
    lines = [case.method + b" " + case.target + b" HTTP/1.1"]
    headers = list(case.headers) + [(b"Connection", b"close")]
    chunked = any(
        k.lower() == b"transfer-encoding" and b"chunked" in v.lower()
        for k, v in headers
    )
    if chunked:
        body = (
            b"%x\r\n" % len(case.body) + case.body + b"\r\n0\r\n\r\n"
            if case.body
            else b"0\r\n\r\n"
        )
    else:
        headers.append((b"Content-Length", str(len(case.body)).encode()))
        body = case.body
    lines.extend(k + b": " + v for k, v in headers)
    request = b"\r\n".join(lines) + b"\r\n\r\n" + body
    with socket.create_connection(
        (host, port), timeout=timeout, source_address=(source, 0) if source else None
    ) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    head_lines = head.split(b"\r\n")
    try:
        status = int(head_lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, raw
    response_headers = {}
    for line in head_lines[1:]:
        name, _sep, value = line.partition(b":")
        response_headers[name.strip().lower().decode("latin-1")] = value.strip().decode(
            "latin-1"
        )
    return status, response_headers, payload


def check_answer(status, headers, body):
    """``None`` when the answer is acceptable, else what is wrong with it."""
    if status is None:
        return "no HTTP answer"
    if status >= 500:
        return f"answered {status}"
    if 400 <= status < 500:
        if not headers.get("content-type", "").startswith("application/json"):
            return f"{status} without a JSON body ({headers.get('content-type')})"
        try:
            document = json.loads(body)
        except ValueError:
            return f"{status} with a body that is not JSON"
        if not isinstance(document, dict) or not document.get("error"):
            return f"{status} without an 'error' member"
    return None


def run(host, port, fuzzer, count, deadline_seconds=110, threads=1):
    """Send ``count`` cases on ``threads`` connections at a time, stopping at
    the deadline; return ``(sent, status counts, problems)``."""
    started = time.monotonic()
    statuses, problems = {}, []

    def one(case):
        if time.monotonic() - started > deadline_seconds:
            return None
        status, headers, body = send(host, port, case)
        problem = check_answer(status, headers, body)
        if problem:
            problem = f"{problem}: {case.describe()} -> {body[:200]!r}"
        return status, problem

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = [r for r in pool.map(one, fuzzer.cases(count)) if r is not None]
    for status, problem in results:
        statuses[status] = statuses.get(status, 0) + 1
        if problem:
            problems.append(problem)
    return len(results), statuses, problems
