#!/usr/bin/python3
"""Run one KMIP operation with PyKMIP's client (a client we did not write) and print JSON.

Usage:
  /usr/bin/python3 pykmip-client.py --port PORT --ca CA.pem --cert CLIENT.pem --key CLIENT.key
      [--host 127.0.0.1] [--kmip-version 1.2] OPERATION

OPERATION: discover_versions | query

Prints one JSON object on stdout: {"ok": true, "operation": ..., ...result fields...}, or
{"ok": false, "error": <exception class>, "message": ...} with exit status 1. PyKMIP's own
logging goes to stderr so stdout stays parseable.
"""
import argparse
import json
import logging
import sys
import tempfile

from kmip.core import enums
from kmip.services.kmip_client import KMIPProxy

KMIP_VERSIONS = {
    "1.0": enums.KMIPVersion.KMIP_1_0,
    "1.1": enums.KMIPVersion.KMIP_1_1,
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.3": enums.KMIPVersion.KMIP_1_3,
    "1.4": enums.KMIPVersion.KMIP_1_4,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}


def enum_name(value):
    """PyKMIP wraps enums in primitives; reduce to the enum's name for JSON."""
    inner = getattr(value, "value", value)
    return getattr(inner, "name", str(inner))


def named(enum_class, value):
    """Some PyKMIP results carry bare integers; name them with the KMIP enumeration."""
    inner = getattr(value, "value", value)
    if isinstance(inner, int):
        try:
            return enum_class(inner).name
        except ValueError:
            return str(inner)
    return enum_name(inner)


def status_fields(result):
    return {
        "result_status": enum_name(result.result_status),
        "result_reason": enum_name(result.result_reason) if result.result_reason else None,
        "result_message": result.result_message.value if result.result_message else None,
    }


def discover_versions(proxy):
    result = proxy.discover_versions()
    versions = result.protocol_versions or []
    return dict(
        status_fields(result),
        protocol_versions=["{0}.{1}".format(v.major, v.minor) for v in versions],
    )


def query(proxy):
    # The same two query functions as the captured request in shared/interop/pykmip/wire.
    result = proxy.query(query_functions=[
        enums.QueryFunction.QUERY_OPERATIONS,
        enums.QueryFunction.QUERY_OBJECTS,
    ])
    return dict(
        status_fields(result),
        operations=[named(enums.Operation, op) for op in (result.operations or [])],
        object_types=[named(enums.ObjectType, t) for t in (result.object_types or [])],
        vendor_identification=(
            result.vendor_identification.value if result.vendor_identification else None
        ),
    )


OPERATIONS = {"discover_versions": discover_versions, "query": query}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--kmip-version", default="1.2", choices=sorted(KMIP_VERSIONS))
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("operation", choices=sorted(OPERATIONS))
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    # PyKMIP insists on a config file and would otherwise read /etc/pykmip/pykmip.conf;
    # give it an empty [client] section so only the command line counts.
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        conf.write("[client]\n")
        conf.flush()
        return run(args, conf.name)


def run(args, config_file):
    try:
        proxy = make_proxy(args, config_file)
        proxy.open()
        try:
            out = OPERATIONS[args.operation](proxy)
        finally:
            proxy.close()
    except Exception as exc:  # report every failure as JSON for the test to read
        print(json.dumps({"ok": False, "operation": args.operation,
                          "error": type(exc).__name__, "message": str(exc)}))
        return 1
    print(json.dumps(dict(out, ok=True, operation=args.operation)))
    return 0


def make_proxy(args, config_file):
    return KMIPProxy(
        host=args.host,
        port=args.port,
        certfile=args.cert,
        keyfile=args.key,
        ca_certs=args.ca,
        cert_reqs="CERT_REQUIRED",
        # PyKMIP's TLS is fixed at 1.2; say so rather than rely on a config file.
        ssl_version="PROTOCOL_TLSv1_2",
        do_handshake_on_connect=True,
        suppress_ragged_eofs=True,
        timeout=args.timeout,
        config_file=config_file,
        kmip_version=KMIP_VERSIONS[args.kmip_version],
    )


if __name__ == "__main__":
    sys.exit(main())
