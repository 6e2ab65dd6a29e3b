"""Cross-language vectors for the feature codec (docs/wire-format.md, frame version 2).

    /usr/bin/python3 training/make_vectors.py            # writes test/vectors/<bundle>.json
    /usr/bin/python3 training/make_vectors.py --check F  # decodes frames another coder wrote

The frames here come from the Python reference coder (cleave_train/rans.py) and the reference
frame writer below; services/codec must decode them to the same codes and encode those codes to
the same bytes. --check runs the other direction: F is a JSON list of
{"bundle": name | null, "shape", "bits", "codes", "frame"} written by the TypeScript codec; every
frame must parse, decode to its codes, and re-encode to the same bytes. Exit status 1 otherwise.

The codes are seeded random draws from each shipped bundle's own tables (so they look like
real traffic to the entropy coder), plus the all-zero tensor and the least likely one (which
entropy-codes worse than bit-packing, so its frame is codec 0). No torch is needed.
"""
import argparse
import json
import os
import sys

import numpy as np

from cleave_train import rans

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
OUT = os.path.join(ROOT, "test", "vectors")

# The vectors are version 2 frames (they carry their dims); --check also reads version 3 frames,
# which leave the dims out: their shape is the bundle's, given with each case.
FRAME_MAGIC, FRAME_VERSION, FRAME_VERSION_V3 = 0xC, 2, 3
BITPACK, RANS_STATIC, RANS_ADAPTIVE = 0, 1, 2
MAX_DIM, MAX_ELEMENTS, MAX_PAYLOAD = 4096, 1 << 20, 1 << 20


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def pack_bits(codes, bits):
    acc, n = 0, 0
    for i, q in enumerate(codes):
        acc |= q << (i * bits)
        n += bits
    return acc.to_bytes((n + 7) // 8, "little")


def unpack_bits(data, bits, count):
    acc = int.from_bytes(data, "little")
    return [(acc >> (i * bits)) & ((1 << bits) - 1) for i in range(count)]


def write_frame(fingerprint, shape, bits, codec, payload, version=FRAME_VERSION):
    head = bytes([(FRAME_MAGIC << 4) | version, (codec << 5) | ((bits - 1) << 2) | (len(shape) - 1)])
    dims = b"".join(varint(d) for d in shape) if version == FRAME_VERSION else b""
    head += fingerprint + dims + varint(len(payload))
    body = head + payload
    return body + crc32c(body).to_bytes(4, "little")


def encode_frame(fingerprint, shape, bits, codes, rt, version=FRAME_VERSION):
    """The smaller of the entropy-coded (codec 1 with tables rt, else 2) and bit-packed codes."""
    packed = pack_bits(codes, bits)
    if rt is not None:
        coded, codec = rans.encode(codes, lambda i: i // (len(codes) // shape[0]), rt), RANS_STATIC
    else:
        coded, codec = rans.adaptive_encode(codes, shape[0], bits), RANS_ADAPTIVE
    if len(coded) < len(packed):
        return write_frame(fingerprint, shape, bits, codec, coded, version)
    return write_frame(fingerprint, shape, bits, BITPACK, packed, version)


def read_varint(data, pos, max_bytes):
    value = 0
    for k in range(max_bytes):
        b = data[pos + k]
        value |= (b & 0x7F) << (7 * k)
        if b < 0x80:
            if b == 0 and k > 0:
                raise ValueError("varint not minimal")
            return value, pos + k + 1
    raise ValueError("varint too long")


def decode_frame(data, rt=None, bundle_shape=None):
    """Parses and checks a frame; returns (fingerprint, shape, bits, codec, codes). A version 3
    frame carries no dims: bundle_shape is the shape of the bundle its fingerprint names."""
    if data[0] >> 4 != FRAME_MAGIC or data[0] & 15 not in (FRAME_VERSION, FRAME_VERSION_V3):
        raise ValueError("bad magic or version")
    fmt = data[1]
    codec, bits, rank = fmt >> 5, ((fmt >> 2) & 7) + 1, (fmt & 3) + 1
    if codec not in (BITPACK, RANS_STATIC, RANS_ADAPTIVE):
        raise ValueError("unknown codec")
    fingerprint, pos = data[2:6], 6
    shape = []
    if data[0] & 15 == FRAME_VERSION_V3:
        if bundle_shape is None or len(bundle_shape) != rank:
            raise ValueError("a version 3 frame needs its bundle's shape, of its rank")
        shape = list(bundle_shape)
    for _ in range(rank if data[0] & 15 == FRAME_VERSION else 0):
        d, pos = read_varint(data, pos, 2)
        if not 1 <= d <= MAX_DIM:
            raise ValueError("bad dim")
        shape.append(d)
    count = int(np.prod(shape))
    if count > MAX_ELEMENTS:
        raise ValueError("too many elements")
    length, pos = read_varint(data, pos, 3)
    packed = (count * bits + 7) // 8
    if length > MAX_PAYLOAD or (codec == BITPACK and length != packed) or \
            (codec != BITPACK and not 4 <= length < packed):
        raise ValueError("bad payload length")
    payload, end = data[pos:pos + length], pos + length + 4
    if len(data) != end or len(payload) != length:
        raise ValueError("frame length does not match its fields")
    if crc32c(data[:pos + length]) != int.from_bytes(data[pos + length:end], "little"):
        raise ValueError("CRC mismatch")
    if codec == BITPACK:
        if pack_bits(unpack_bits(payload, bits, count), bits) != payload:
            raise ValueError("padding bits set")
        codes = unpack_bits(payload, bits, count)
    elif codec == RANS_STATIC:
        if rt is None:
            raise ValueError("codec 1 needs the bundle's tables")
        codes = rans.decode(payload, count, lambda i: i // (count // shape[0]), rt)
    else:
        codes = rans.adaptive_decode(payload, count, shape[0], bits)
    return bytes(fingerprint), shape, bits, codec, codes


def load_bundle(name):
    with open(os.path.join(MODELS, name, "manifest.json")) as f:
        m = json.load(f)
    head = next(x for x in m["files"] if x["role"] == "head")
    e = m["bottleneck"].get("entropy")
    rt = rans.RansTables(e["tables"], e["precisionBits"]) if e else None
    return m, head["sha256"], rt


def draws(m, rng, n):
    """n code tensors drawn channel by channel from the bundle's own tables."""
    bn = m["bottleneck"]
    shape, tables = bn["shape"], bn["entropy"]["tables"]
    plane = int(np.prod(shape[1:]))
    for _ in range(n):
        rows = [rng.choice(len(t), size=plane, p=np.asarray(t) / sum(t)) for t in tables]
        yield np.concatenate(rows).astype(np.int64).tolist()


def vectors_for(name, seed):
    m, sha, rt = load_bundle(name)
    bn = m["bottleneck"]
    shape, bits, fp = bn["shape"], bn["bits"], bytes.fromhex(sha[:8])
    count = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    cases = [(f"draw-{i}", codes) for i, codes in enumerate(draws(m, rng, 6))]
    cases.append(("all-zero", [0] * count))
    rarest = [int(np.argmin(t)) for t in bn["entropy"]["tables"]]
    cases.append(("least-likely", [rarest[i // (count // shape[0])] for i in range(count)]))
    out = []
    for label, codes in cases:
        for model, table in (("static", rt), ("adaptive", None)):
            frame = encode_frame(fp, shape, bits, codes, table)
            assert decode_frame(frame, rt)[4] == codes, (name, label, model)
            out.append({"name": f"{label}/{model}", "codecId": frame[1] >> 5, "codes": codes,
                        "frame": frame.hex()})
    return {
        "generator": "training/make_vectors.py",
        "frameVersion": FRAME_VERSION,
        "bundle": name,
        "model": {"name": m["name"], "version": m["version"]},
        "headSha256": sha,
        "shape": shape,
        "bits": bits,
        "vectors": out,
    }


def check(path):
    with open(path) as f:
        cases = json.load(f)
    bundles = {}
    failures = 0
    for i, case in enumerate(cases):
        name = case.get("bundle")
        if name and name not in bundles:
            bundles[name] = load_bundle(name)[2]
        rt = bundles.get(name) if name else None
        frame = bytes.fromhex(case["frame"])
        version = frame[0] & 15
        try:
            fp, shape, bits, codec, codes = decode_frame(frame, rt, case["shape"])
            ok = codes == case["codes"] and shape == case["shape"] and bits == case["bits"]
            table = rt if codec != RANS_ADAPTIVE else None
            ok = ok and encode_frame(fp, shape, bits, codes, table, version) == frame
        except (ValueError, IndexError) as err:
            ok = False
            print(f"case {i} ({name}): {err}", file=sys.stderr)
        if not ok:
            failures += 1
            print(f"case {i} ({name}, codec {frame[1] >> 5}): mismatch", file=sys.stderr)
    print(f"checked {len(cases)} frames, {failures} failed")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", metavar="FILE", help="decode frames written by another coder")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.check))
    os.makedirs(OUT, exist_ok=True)
    names = sorted(d for d in os.listdir(MODELS) if os.path.isdir(os.path.join(MODELS, d)))
    for seed, name in enumerate(names):
        doc = vectors_for(name, 1000 + seed)
        path = os.path.join(OUT, f"{name}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        codecs = [v["codecId"] for v in doc["vectors"]]
        print(f"{path}: {len(codecs)} frames, codec ids {codecs}")


if __name__ == "__main__":
    main()
