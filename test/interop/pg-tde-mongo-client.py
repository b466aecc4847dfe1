#!/usr/bin/python3
"""Speak raw TTLV to a KMIP server the way two database clients do, and print what happened.

Usage:
  /usr/bin/python3 pg-tde-mongo-client.py --port PORT --ca CA.pem --cert CLIENT.pem --key CLIENT.key
      [--host 127.0.0.1]

Written from a reading of those projects' public source (no code of theirs is here):

- PostgreSQL's pg_tde (its KMIP keyring, through libkmip): Register a 128-bit AES key in
  Raw format with a Template-Attribute of Cryptographic Algorithm, Cryptographic Length,
  Cryptographic Usage Mask (Encrypt | Decrypt) and a Name (uninterpreted text string);
  later Locate it by Object Type and that Name, and Get it by the identifier found. Done at
  KMIP 1.4 (libkmip's Register) and 2.0 (its attributes then travel in an Attributes
  structure).
- MongoDB's libmongocrypt (kms-message's KMIP requests): Register a 96-byte Secret Data of
  type Seed, Key Format Type Raw, with an empty Template-Attribute and a Unique Batch Item
  ID; Activate it in a request of its own; Get it with no Key Format Type. Done at 1.4 (as
  kms-message writes it), 1.2 and 1.0.

Each check is one entry of the JSON object printed on the last line: {"NAME": {"ok": true}
or {"ok": false, "why": ...}}. Exit status 0 once the checks ran, whatever they found.
"""
import argparse
import json
import os
import socket
import ssl
import struct

STRUCTURE, INTEGER, ENUMERATION, TEXT, BYTES = 0x01, 0x02, 0x05, 0x07, 0x08

# Tags, from the KMIP specification's Tag table.
ATTRIBUTE = 0x420008
ATTRIBUTE_NAME = 0x42000A
ATTRIBUTE_VALUE = 0x42000B
ATTRIBUTES = 0x420125
BATCH_COUNT = 0x42000D
BATCH_ITEM = 0x42000F
CRYPTOGRAPHIC_ALGORITHM = 0x420028
CRYPTOGRAPHIC_LENGTH = 0x42002A
CRYPTOGRAPHIC_USAGE_MASK = 0x42002C
KEY_BLOCK = 0x420040
KEY_FORMAT_TYPE = 0x420042
KEY_MATERIAL = 0x420043
KEY_VALUE = 0x420045
NAME = 0x420053
NAME_TYPE = 0x420054
NAME_VALUE = 0x420055
OBJECT_TYPE = 0x420057
OPERATION = 0x42005C
PROTOCOL_VERSION = 0x420069
PROTOCOL_VERSION_MAJOR = 0x42006A
PROTOCOL_VERSION_MINOR = 0x42006B
REQUEST_HEADER = 0x420077
REQUEST_MESSAGE = 0x420078
REQUEST_PAYLOAD = 0x420079
RESPONSE_PAYLOAD = 0x42007C
RESULT_MESSAGE = 0x42007D
RESULT_REASON = 0x42007E
RESULT_STATUS = 0x42007F
SECRET_DATA = 0x420085
SECRET_DATA_TYPE = 0x420086
SYMMETRIC_KEY = 0x42008F
TEMPLATE_ATTRIBUTE = 0x420091
UNIQUE_BATCH_ITEM_ID = 0x420093
UNIQUE_IDENTIFIER = 0x420094

REGISTER, LOCATE, GET, ACTIVATE = 0x03, 0x08, 0x0A, 0x12
OBJECT_SYMMETRIC_KEY, OBJECT_SECRET_DATA = 0x02, 0x07
AES = 0x03
RAW = 0x01
SEED = 0x02
UNINTERPRETED_TEXT = 0x01
ENCRYPT_DECRYPT = 0x04 | 0x08


def item(tag, kind, body):
    """Tag (3 bytes), type, length, value padded to a multiple of 8."""
    pad = (8 - len(body) % 8) % 8
    return struct.pack(">I", tag)[1:] + bytes([kind]) + struct.pack(">I", len(body)) + body + b"\0" * pad


def struct_(tag, *children):
    return item(tag, STRUCTURE, b"".join(children))


def integer(tag, value):
    return item(tag, INTEGER, struct.pack(">i", value))


def enum(tag, value):
    return item(tag, ENUMERATION, struct.pack(">I", value))


def text(tag, value):
    return item(tag, TEXT, value.encode())


def octets(tag, value):
    return item(tag, BYTES, value)


def parse(data):
    """TTLV bytes to a list of (tag, type, value); a structure's value is its list."""
    out, at = [], 0
    while at < len(data):
        tag = int.from_bytes(data[at:at + 3], "big")
        kind = data[at + 3]
        length = struct.unpack(">I", data[at + 4:at + 8])[0]
        body = data[at + 8:at + 8 + length]
        at += 8 + length + (8 - length % 8) % 8
        if kind == STRUCTURE:
            value = parse(body)
        elif kind in (INTEGER, ENUMERATION):
            value = struct.unpack(">I", body)[0]
        elif kind == TEXT:
            value = body.decode()
        else:
            value = body
        out.append((tag, kind, value))
    return out


def child(items, tag):
    for t, _, v in items:
        if t == tag:
            return v
    return None


def children(items, tag):
    return [v for t, _, v in items if t == tag]


class Connection:
    def __init__(self, args):
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
        context.load_cert_chain(args.cert, args.key)
        context.check_hostname = False
        raw = socket.create_connection((args.host, args.port), timeout=30)
        self.tls = context.wrap_socket(raw)

    def exchange(self, version, *batch_items):
        """One request message; returns each batch item's (status, reason, message, payload)."""
        header = struct_(REQUEST_HEADER,
                         struct_(PROTOCOL_VERSION, integer(PROTOCOL_VERSION_MAJOR, version[0]),
                                 integer(PROTOCOL_VERSION_MINOR, version[1])),
                         integer(BATCH_COUNT, len(batch_items)))
        self.tls.sendall(struct_(REQUEST_MESSAGE, header, *batch_items))
        head = self.read(8)
        body = self.read(struct.unpack(">I", head[4:8])[0])
        message = parse(head + body)[0][2]
        answers = []
        for batch in children(message, BATCH_ITEM):
            answers.append((child(batch, RESULT_STATUS), child(batch, RESULT_REASON),
                            child(batch, RESULT_MESSAGE), child(batch, RESPONSE_PAYLOAD) or []))
        return answers

    def read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.tls.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    def close(self):
        self.tls.close()


def batch(operation, *payload, batch_id=None):
    extra = [octets(UNIQUE_BATCH_ITEM_ID, batch_id)] if batch_id is not None else []
    return struct_(BATCH_ITEM, enum(OPERATION, operation), *extra, struct_(REQUEST_PAYLOAD, *payload))


def succeeded(answer, what):
    status, reason, message, payload = answer
    if status != 0:
        raise RuntimeError("{} failed: status {}, reason {}, {}".format(what, status, reason, message))
    return payload


def pg_tde_attributes(version, name):
    """Algorithm, length, usage mask and name, as pg_tde's keyring gives them."""
    if version[0] >= 2:
        return struct_(ATTRIBUTES,
                       enum(CRYPTOGRAPHIC_ALGORITHM, AES),
                       integer(CRYPTOGRAPHIC_LENGTH, 128),
                       integer(CRYPTOGRAPHIC_USAGE_MASK, ENCRYPT_DECRYPT),
                       struct_(NAME, text(NAME_VALUE, name), enum(NAME_TYPE, UNINTERPRETED_TEXT)))

    def attribute(attribute_name, value):
        return struct_(ATTRIBUTE, text(ATTRIBUTE_NAME, attribute_name), value)
    return struct_(TEMPLATE_ATTRIBUTE,
                   attribute("Cryptographic Algorithm", enum(ATTRIBUTE_VALUE, AES)),
                   attribute("Cryptographic Length", integer(ATTRIBUTE_VALUE, 128)),
                   attribute("Cryptographic Usage Mask", integer(ATTRIBUTE_VALUE, ENCRYPT_DECRYPT)),
                   attribute("Name", struct_(ATTRIBUTE_VALUE, text(NAME_VALUE, name), enum(NAME_TYPE, UNINTERPRETED_TEXT))))


def locate_by_name(version, name):
    if version[0] >= 2:
        return struct_(ATTRIBUTES, enum(OBJECT_TYPE, OBJECT_SYMMETRIC_KEY),
                       struct_(NAME, text(NAME_VALUE, name), enum(NAME_TYPE, UNINTERPRETED_TEXT)))
    return b"".join([
        struct_(ATTRIBUTE, text(ATTRIBUTE_NAME, "Object Type"), enum(ATTRIBUTE_VALUE, OBJECT_SYMMETRIC_KEY)),
        struct_(ATTRIBUTE, text(ATTRIBUTE_NAME, "Name"),
                struct_(ATTRIBUTE_VALUE, text(NAME_VALUE, name), enum(NAME_TYPE, UNINTERPRETED_TEXT))),
    ])


def pg_tde(conn, version):
    """Register an AES-128 principal key under a name, find it again by that name, read it."""
    key = os.urandom(16)
    name = "pg_tde_principal_{}_{}".format("".join(map(str, version)), os.urandom(4).hex())
    block = struct_(KEY_BLOCK, enum(KEY_FORMAT_TYPE, RAW), struct_(KEY_VALUE, octets(KEY_MATERIAL, key)),
                    enum(CRYPTOGRAPHIC_ALGORITHM, AES), integer(CRYPTOGRAPHIC_LENGTH, 128))
    payload = succeeded(conn.exchange(version, batch(
        REGISTER, enum(OBJECT_TYPE, OBJECT_SYMMETRIC_KEY), pg_tde_attributes(version, name),
        struct_(SYMMETRIC_KEY, block)))[0], "Register")
    registered = child(payload, UNIQUE_IDENTIFIER)
    found = children(succeeded(conn.exchange(version, batch(LOCATE, locate_by_name(version, name)))[0], "Locate"),
                     UNIQUE_IDENTIFIER)
    if found != [registered]:
        raise RuntimeError("Locate by name found {} instead of [{}]".format(found, registered))
    got = succeeded(conn.exchange(version, batch(GET, text(UNIQUE_IDENTIFIER, registered)))[0], "Get")
    got_block = child(child(got, SYMMETRIC_KEY) or [], KEY_BLOCK) or []
    material = child(child(got_block, KEY_VALUE) or [], KEY_MATERIAL)
    if child(got_block, KEY_FORMAT_TYPE) != RAW or material != key:
        raise RuntimeError("Get did not return the registered 16-byte key in Raw format")
    if child(got_block, CRYPTOGRAPHIC_LENGTH) != 128:
        raise RuntimeError("Get said the key has {} bits, not 128".format(child(got_block, CRYPTOGRAPHIC_LENGTH)))


def libmongocrypt(conn, version):
    """Register a 96-byte Secret Data (Seed, Raw), Activate it on its own, Get it with no format asked."""
    secret = os.urandom(96)
    payload = succeeded(conn.exchange(version, batch(
        REGISTER, enum(OBJECT_TYPE, OBJECT_SECRET_DATA), struct_(TEMPLATE_ATTRIBUTE),
        struct_(SECRET_DATA, enum(SECRET_DATA_TYPE, SEED),
                struct_(KEY_BLOCK, enum(KEY_FORMAT_TYPE, RAW), struct_(KEY_VALUE, octets(KEY_MATERIAL, secret)))),
        batch_id=b"A"))[0], "Register")
    uid = child(payload, UNIQUE_IDENTIFIER)
    succeeded(conn.exchange(version, batch(ACTIVATE, text(UNIQUE_IDENTIFIER, uid), batch_id=b"B"))[0], "Activate")
    got = succeeded(conn.exchange(version, batch(GET, text(UNIQUE_IDENTIFIER, uid)))[0], "Get")
    data = child(got, SECRET_DATA) or []
    block = child(data, KEY_BLOCK) or []
    if child(got, OBJECT_TYPE) != OBJECT_SECRET_DATA or child(data, SECRET_DATA_TYPE) != SEED:
        raise RuntimeError("Get did not answer a Secret Data of type Seed")
    if child(child(block, KEY_VALUE) or [], KEY_MATERIAL) != secret:
        raise RuntimeError("Get did not return the 96 bytes registered")


CHECKS = [
    ("pg_tde 1.4", pg_tde, (1, 4)),
    ("pg_tde 2.0", pg_tde, (2, 0)),
    ("libmongocrypt 1.4", libmongocrypt, (1, 4)),
    ("libmongocrypt 1.2", libmongocrypt, (1, 2)),
    ("libmongocrypt 1.0", libmongocrypt, (1, 0)),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    results = {}
    for label, check, version in CHECKS:
        conn = Connection(args)
        try:
            check(conn, version)
            results[label] = {"ok": True}
        except Exception as exc:  # each check reports its own failure; the others still run
            results[label] = {"ok": False, "why": "{}: {}".format(type(exc).__name__, exc)}
        finally:
            conn.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
