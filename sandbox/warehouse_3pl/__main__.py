"""Run the SANDBOX 3PL warehouse: ``python -m sandbox.warehouse_3pl --port 8098``."""

import argparse
import logging

from .server import SANDBOX_API_KEY, SANDBOX_SECRET, SandboxWarehouseServer


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="SANDBOX 3PL warehouse (X12 and JSON) - not a real warehouse"
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8098, help="default 8098")
    parser.add_argument(
        "--profile",
        choices=("x12", "json"),
        default="json",
        help="profile of snapshots and adjustments (orders and receipts are "
        "answered in the profile they arrived in); default json",
    )
    parser.add_argument("--api-key", default=SANDBOX_API_KEY)
    parser.add_argument("--secret", default=SANDBOX_SECRET, help="webhook HMAC key")
    parser.add_argument("--callback-url", default="", help="where to push")
    parser.add_argument("--drop-dir", default="", help="folder for X12 documents")
    parser.add_argument(
        "--pickup-dir", default="", help="folder polled for 940/943 interchanges"
    )
    parser.add_argument(
        "--signature-style",
        choices=("body", "timestamped"),
        default="body",
        help="webhook signature: X-Warehouse-Signature over the body, or the "
        "suite gateway's timestamped X-Integration-Signature; default body",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    server = SandboxWarehouseServer(
        args.host,
        args.port,
        profile=args.profile,
        api_key=args.api_key,
        secret=args.secret,
        callback_url=args.callback_url,
        drop_dir=args.drop_dir,
        pickup_dir=args.pickup_dir,
        signature_style=args.signature_style,
    )
    print(
        f"3PL WAREHOUSE SANDBOX (not a real warehouse) on {server.url} "
        f"profile={args.profile}",
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
