#!/usr/bin/env python3
"""Independent check of a model signature, written from the OpenSSF model-signing format.

This is NOT the reference verifier (`model_signing`, not installable offline here). It re-implements
its key-based verification steps in Python with the `cryptography` package the reference uses, so
that distill4j's Java signer is checked by a second implementation in another language:

  1. the Sigstore bundle's mediaType is application/vnd.dev.sigstore.bundle.v0.3+json;
  2. verificationMaterial.publicKey.hint, when present, equals sha256(public key PEM);
  3. signatures[0].sig is a DER ECDSA signature over the DSSE PAE, with SHA-256/384/512 for
     P-256/384/521;
  4. the payload is an in-toto Statement v1 with predicateType https://model_signing/signature/v1.0,
     one subject whose sha256 is SHA-256 over the resources' digests in the order listed;
  5. every file under the model directory (pathlib glob "**/*", hidden files included; ignore_paths
     and the signature left out; symlinks refused) matches the resources, and nothing is added.

Usage: verify_model_signature.py MODEL_DIR SIGNATURE PUBLIC_KEY_PEM
Exit 0 and prints "verified N files" on success; exit 1 with the reason otherwise.
"""
import base64
import hashlib
import json
import pathlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def fail(msg):
    print("FAILED: " + msg)
    sys.exit(1)


def main(model_dir, sig_path, pub_path):
    model_dir = pathlib.Path(model_dir).resolve()
    sig_path = pathlib.Path(sig_path)
    text = pathlib.Path(pub_path).read_text()
    pem = text[text.index("-----BEGIN PUBLIC KEY-----"):]
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        fail("not an EC key")
    hash_alg = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(), "secp521r1": hashes.SHA512()}.get(
        key.curve.name)
    if hash_alg is None:
        fail("unsupported curve " + key.curve.name)

    bundle = json.loads(sig_path.read_text(encoding="utf-8"))
    if bundle.get("mediaType") != "application/vnd.dev.sigstore.bundle.v0.3+json":
        fail("mediaType " + str(bundle.get("mediaType")))
    canonical = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hint = bundle["verificationMaterial"].get("publicKey", {}).get("hint")
    if hint and hint != hashlib.sha256(canonical).hexdigest():
        fail("key hint mismatch")
    env = bundle["dsseEnvelope"]
    payload_type = env["payloadType"]
    if payload_type != "application/vnd.in-toto+json":
        fail("payloadType " + payload_type)
    payload = base64.b64decode(env["payload"])
    pae = b"DSSEv1 %d %s %d " % (len(payload_type), payload_type.encode(), len(payload)) + payload
    try:
        key.verify(base64.b64decode(env["signatures"][0]["sig"]), pae, ec.ECDSA(hash_alg))
    except InvalidSignature:
        fail("signature does not verify")

    st = json.loads(payload)
    if st["_type"] != "https://in-toto.io/Statement/v1":
        fail("_type " + st["_type"])
    if st["predicateType"] != "https://model_signing/signature/v1.0":
        fail("predicateType " + st["predicateType"])
    if len(st["subject"]) != 1:
        fail("expected one subject")
    root = hashlib.sha256()
    expected = {}
    for r in st["predicate"]["resources"]:
        if r["algorithm"] != "sha256":
            fail("algorithm " + r["algorithm"])
        root.update(bytes.fromhex(r["digest"]))
        expected[r["name"]] = r["digest"]
    if root.hexdigest() != st["subject"][0]["digest"]["sha256"]:
        fail("root digest mismatch")
    ser = st["predicate"]["serialization"]
    if ser["method"] != "files" or ser["hash_type"] != "sha256":
        fail("serialization " + json.dumps(ser))
    ignore = [model_dir / p for p in ser.get("ignore_paths", [])]
    ignore.append(sig_path.resolve())

    actual = {}
    for path in model_dir.glob("**/*"):
        if any(path == i or i in path.parents for i in ignore):
            continue
        if path.is_symlink():
            fail("symlink " + str(path.relative_to(model_dir)))
        if path.is_file():
            actual[path.relative_to(model_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        diff = sorted(set(actual.items()) ^ set(expected.items()))
        fail("files differ: " + ", ".join(name for name, _ in diff))
    print("verified %d files" % len(expected))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    main(*sys.argv[1:])
