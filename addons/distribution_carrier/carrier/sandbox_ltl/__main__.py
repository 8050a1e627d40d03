"""Run the SANDBOX LTL carrier: ``python -m carrier.sandbox_ltl --port 8099``."""

import argparse
import logging

from .server import SANDBOX_PASSWORD, SANDBOX_USERNAME, SandboxLtlServer


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="SANDBOX LTL freight carrier (SOAP 1.1) - not a real carrier"
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="default 8099")
    parser.add_argument("--username", default=SANDBOX_USERNAME)
    parser.add_argument("--password", default=SANDBOX_PASSWORD)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    server = SandboxLtlServer(
        args.host, args.port, username=args.username, password=args.password
    )
    print(
        f"LTL SANDBOX (not a real carrier) serving WSDL at {server.wsdl_url}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
