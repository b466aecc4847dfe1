#!/usr/bin/python3
"""Run one KMIP operation with PyKMIP's client (a client we did not write) and print JSON.

Usage:
  /usr/bin/python3 pykmip-client.py --port PORT --ca CA.pem --cert CLIENT.pem --key CLIENT.key
      [--host 127.0.0.1] [--kmip-version 1.2] OPERATION

OPERATION: discover_versions | query | steps

discover_versions and query print one JSON object on stdout: {"ok": true, "operation": ...,
...result fields...}, or {"ok": false, "error": <exception class>, "message": ...} with exit
status 1.

steps runs a list of operations over one connection, given as JSON with --steps (or a file
with --steps-file): [{"id": "c1", "op": "create", "name": "K"}, {"id": "g1", "op": "get",
"uid": "@c1"}, ...]. A string "@ID" stands for the unique identifier step ID produced. Every
step runs even when an earlier one failed, so one run reports every failure; it prints
{"ok": true, "operation": "steps", "steps": {ID: {"ok": true, "value": ...} or
{"ok": false, "status": ..., "reason": ..., "message": ...}}} and exits 0 once the connection
was made. Step operations: discover_versions, query, create, get, locate, activate,
get_attributes, get_attribute_list, register, revoke, destroy.

PyKMIP's own logging goes to stderr so stdout stays parseable.
"""
import argparse
import binascii
import json
import logging
import sys
import tempfile

from kmip.core import enums
from kmip.core.factories import attributes as attribute_factories
from kmip.pie import exceptions as pie_exceptions
from kmip.pie import objects as pie_objects
from kmip.pie.client import ProxyKmipClient
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
    # The same two query functions as the captured request in test/fixtures/pykmip/wire.
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

# ---- steps: several operations over one connection through ProxyKmipClient -----------------

QUERY_FUNCTIONS = {
    "operations": enums.QueryFunction.QUERY_OPERATIONS,
    "objects": enums.QueryFunction.QUERY_OBJECTS,
    "server_information": enums.QueryFunction.QUERY_SERVER_INFORMATION,
    "application_namespaces": enums.QueryFunction.QUERY_APPLICATION_NAMESPACES,
}


def plain(value):
    """A PyKMIP attribute value (primitive, enum, Name structure, list) as JSON."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return binascii.hexlify(value).decode()
    if hasattr(value, "name") and hasattr(value, "value") and isinstance(value.value, int) \
            and type(value).__module__ == "kmip.core.enums":
        return value.name
    name_value = getattr(value, "name_value", None)
    if name_value is not None:  # a Name structure
        return {"name_value": plain(name_value),
                "name_type": plain(getattr(value, "name_type", None))}
    inner = getattr(value, "value", None)
    if inner is not None and inner is not value:
        return plain(inner)
    return str(value)


def attribute_map(attrs):
    out = {}
    for attr in attrs or []:
        name = attr.attribute_name.value
        out.setdefault(name, []).append(plain(attr.attribute_value))
    return {k: (v[0] if len(v) == 1 else v) for k, v in out.items()}


def name_attribute(name):
    return attribute_factories.AttributeFactory().create_attribute(enums.AttributeType.NAME, name)


def step_discover_versions(client, step):
    return discover_versions(client.proxy)


def step_query(client, step):
    functions = [QUERY_FUNCTIONS[f] for f in step.get("functions", ["operations", "objects"])]
    result = client.proxy.query(query_functions=functions)
    raise_on_failure(result)
    vendor = result.vendor_identification
    return dict(
        status_fields(result),
        operations=[named(enums.Operation, op) for op in (result.operations or [])],
        object_types=[named(enums.ObjectType, t) for t in (result.object_types or [])],
        vendor_identification=getattr(vendor, "value", vendor),
        server_information=result.server_information is not None,
    )


def step_create(client, step):
    algorithm = getattr(enums.CryptographicAlgorithm, step.get("algorithm", "AES"))
    uid = client.create(algorithm, step.get("length", 256), name=step.get("name"))
    return {"uid": uid}


def raise_on_failure(result):
    if result.result_status.value != enums.ResultStatus.SUCCESS:
        raise pie_exceptions.KmipOperationFailure(
            result.result_status.value, result.result_reason.value,
            result.result_message.value if result.result_message else None)


def step_get(client, step):
    # Through the proxy rather than ProxyKmipClient.get, which drops the Unique Identifier
    # the server answered with.
    result = client.proxy.get(step["uid"])
    raise_on_failure(result)
    obj = client.object_factory.convert(result.secret)
    out = {
        "uid": plain(result.uuid),
        "object_type": plain(obj.object_type),
    }
    for field in ("cryptographic_algorithm", "cryptographic_length", "key_format_type"):
        if hasattr(obj, field):
            out[field] = plain(getattr(obj, field))
    if hasattr(obj, "value"):
        out["material"] = plain(obj.value)
        out["material_bytes"] = len(obj.value)
    return out


def step_locate(client, step):
    attrs = [name_attribute(step["name"])] if "name" in step else None
    uids = client.locate(maximum_items=step.get("maximum_items"), attributes=attrs)
    return {"uids": list(uids or [])}


def step_activate(client, step):
    client.activate(step["uid"])
    return {"uid": step["uid"]}


def step_get_attributes(client, step):
    uid, attrs = client.get_attributes(step["uid"], step.get("names"))
    return {"uid": uid, "attributes": attribute_map(attrs)}


def step_get_attribute_list(client, step):
    return {"uid": step["uid"], "names": client.get_attribute_list(step["uid"])}


def step_register(client, step):
    material = binascii.unhexlify(step["material"])
    masks = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]
    if step.get("secret"):
        # Secret Data (a password or seed), as databases keep their master keys.
        obj = pie_objects.SecretData(
            material, enums.SecretDataType.SEED, masks=masks, name=step.get("name", "Secret Data"))
    else:
        algorithm = getattr(enums.CryptographicAlgorithm, step.get("algorithm", "AES"))
        obj = pie_objects.SymmetricKey(
            algorithm, step.get("length", len(material) * 8), material, masks=masks,
            name=step.get("name", "Symmetric Key"))
    return {"uid": client.register(obj)}


def step_revoke(client, step):
    reason = getattr(enums.RevocationReasonCode, step.get("reason", "CESSATION_OF_OPERATION"))
    client.revoke(reason, step["uid"], revocation_message=step.get("message"))
    return {"uid": step["uid"]}


def step_destroy(client, step):
    client.destroy(step["uid"])
    return {"uid": step["uid"]}


STEP_OPERATIONS = {
    "discover_versions": step_discover_versions,
    "query": step_query,
    "create": step_create,
    "get": step_get,
    "locate": step_locate,
    "activate": step_activate,
    "get_attributes": step_get_attributes,
    "get_attribute_list": step_get_attribute_list,
    "register": step_register,
    "revoke": step_revoke,
    "destroy": step_destroy,
}


def resolve(value, results):
    """"@ID" is the unique identifier step ID produced (None when that step failed)."""
    if isinstance(value, str) and value.startswith("@"):
        done = results.get(value[1:])
        if not done or not done.get("ok"):
            return None
        return done["value"].get("uid")
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    return value


def failure(exc):
    if isinstance(exc, pie_exceptions.KmipOperationFailure):
        return {"ok": False, "status": named(enums.ResultStatus, exc.status),
                "reason": named(enums.ResultReason, exc.reason), "message": exc.message}
    return {"ok": False, "error": type(exc).__name__, "message": str(exc)}


def run_steps(args, config_file):
    steps = json.loads(open(args.steps_file).read() if args.steps_file else args.steps)
    client = ProxyKmipClient(
        hostname=args.host, port=args.port, cert=args.cert, key=args.key, ca=args.ca,
        ssl_version="PROTOCOL_TLSv1_2", config="client", config_file=config_file,
        kmip_version=KMIP_VERSIONS[args.kmip_version])
    client.proxy.timeout = int(args.timeout)
    try:
        client.open()
    except Exception as exc:
        print(json.dumps(dict(failure(exc), operation="steps")))
        return 1
    results = {}
    try:
        for step in steps:
            resolved = {k: resolve(v, results) for k, v in step.items() if k not in ("id", "op")}
            if "uid" in step and resolved["uid"] is None:
                results[step["id"]] = {"ok": False, "error": "Skipped",
                                       "message": "its uid comes from a step that failed"}
                continue
            try:
                results[step["id"]] = {"ok": True, "value": STEP_OPERATIONS[step["op"]](client, resolved)}
            except pie_exceptions.KmipOperationFailure as exc:
                results[step["id"]] = failure(exc)
            except Exception as exc:
                # Not a KMIP answer (a broken connection, a response PyKMIP cannot parse):
                # the stream may be out of step, so start the next step on a fresh connection.
                results[step["id"]] = failure(exc)
                try:
                    client.close()
                except Exception:
                    pass
                client.open()
    finally:
        try:
            client.close()
        except Exception:
            pass
    print(json.dumps({"ok": True, "operation": "steps", "steps": results}))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--kmip-version", default="1.2", choices=sorted(KMIP_VERSIONS))
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--steps", help="JSON list of steps (operation steps)")
    parser.add_argument("--steps-file", help="file holding the JSON list of steps")
    parser.add_argument("operation", choices=sorted(list(OPERATIONS) + ["steps"]))
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    # PyKMIP insists on a config file and would otherwise read /etc/pykmip/pykmip.conf;
    # give it an empty [client] section so only the command line counts.
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        conf.write("[client]\n")
        conf.flush()
        if args.operation == "steps":
            return run_steps(args, conf.name)
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
