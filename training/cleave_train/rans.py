"""Reference rANS coder (32-bit state, byte-wise renormalisation, ryg_rans layout).

This is the Python side of the codec contract (services/codec/src/rans.ts and
adaptive-model.ts are the TypeScript side; docs/wire-format.md the specification): symbols are
coded in row-major [C, ...] order, symbol i of channel c (the first dim) with table c. The
stream is the 4-byte little-endian final state followed by the renormalisation bytes, so a
decoder reads it front to back. A decoder accepts a stream only if it ends with the state back
at RANS_L and every byte consumed.

Codec 1 uses the manifest's static tables (encode/decode); codec 2 the adaptive binary-tree
model (adaptive_encode/adaptive_decode), which needs no tables.
"""
RANS_L = 1 << 23
RANS_STATE_MAX = (1 << 31) - 1


def _starts(table):
    out, acc = [], 0
    for f in table:
        out.append(acc)
        acc += f
    return out


class RansTables:
    def __init__(self, tables, precision_bits):
        self.bits = precision_bits
        self.freqs = [list(t) for t in tables]
        self.starts = [_starts(t) for t in tables]
        self.slots = []
        for t, s in zip(self.freqs, self.starts):
            lut = [0] * (1 << precision_bits)
            for sym, (f, st) in enumerate(zip(t, s)):
                lut[st:st + f] = [sym] * f
            self.slots.append(lut)


def encode(symbols, channel_of, rt):
    """symbols: flat list of ints; channel_of(i) gives the table index of symbol i."""
    x = RANS_L
    out = bytearray()
    scale = rt.bits
    for i in range(len(symbols) - 1, -1, -1):
        c = channel_of(i)
        s = symbols[i]
        f = rt.freqs[c][s]
        x_max = ((RANS_L >> scale) << 8) * f
        while x >= x_max:
            out.append(x & 0xFF)
            x >>= 8
        x = ((x // f) << scale) + (x % f) + rt.starts[c][s]
    out.reverse()
    return x.to_bytes(4, "little") + bytes(out)


def _read_state(data):
    if len(data) < 4:
        raise ValueError("rANS stream shorter than its 4-byte state")
    x = int.from_bytes(data[:4], "little")
    if not RANS_L <= x <= RANS_STATE_MAX:
        raise ValueError("rANS state out of range")
    return x


def _check_end(x, pos, data):
    if x != RANS_L:
        raise ValueError("rANS stream does not end in state RANS_L")
    if pos != len(data):
        raise ValueError("rANS bytes left after the last symbol")


def decode(data, count, channel_of, rt):
    x = _read_state(data)
    pos = 4
    mask = (1 << rt.bits) - 1
    out = []
    for i in range(count):
        c = channel_of(i)
        slot = x & mask
        s = rt.slots[c][slot]
        x = rt.freqs[c][s] * (x >> rt.bits) + slot - rt.starts[c][s]
        while x < RANS_L:
            if pos >= len(data):
                raise ValueError("rANS stream truncated")
            x = (x << 8) | data[pos]
            pos += 1
        out.append(s)
    _check_end(x, pos, data)
    return out


def _plane(shape):
    count = 1
    for d in shape:
        count *= d
    return count, count // shape[0]


def encode_codes(codes_chw, rt):
    """codes_chw: numpy uint8 [C, ...] -> bytes."""
    _, plane = _plane(codes_chw.shape)
    return encode(codes_chw.reshape(-1).tolist(), lambda i: i // plane, rt)


def decode_codes(data, shape, rt):
    count, plane = _plane(shape)
    return decode(data, count, lambda i: i // plane, rt)


# Codec 2: the adaptive model, exactly as services/codec/src/adaptive-model.ts specifies it.
ADAPTIVE_PRECISION_BITS = 12
ADAPTIVE_INITIAL_COUNT = 1
ADAPTIVE_INCREMENT = 1
ADAPTIVE_COUNT_LIMIT = 1024


class _AdaptiveTrees:
    """Per channel, a binary tree over the codes; each node counts (n0, n1)."""

    def __init__(self, channels, bits):
        self.counts = [[[ADAPTIVE_INITIAL_COUNT, ADAPTIVE_INITIAL_COUNT] for _ in range(1 << bits)]
                       for _ in range(channels)]

    def learn(self, c, node, b):
        """f0 of the node before it sees bit b."""
        n = self.counts[c][node]
        f0 = 1 + n[0] * ((1 << ADAPTIVE_PRECISION_BITS) - 2) // (n[0] + n[1])
        n[b] += ADAPTIVE_INCREMENT
        if n[0] + n[1] > ADAPTIVE_COUNT_LIMIT:
            n[0] = (n[0] + 1) >> 1
            n[1] = (n[1] + 1) >> 1
        return f0


def adaptive_encode(symbols, channels, bits):
    """symbols: flat C-order list, channels = first dim -> bytes (codec 2 stream)."""
    plane = len(symbols) // channels
    trees = _AdaptiveTrees(channels, bits)
    decisions = []
    for i, s in enumerate(symbols):
        node = 1
        for k in range(bits - 1, -1, -1):
            b = (s >> k) & 1
            decisions.append((b, trees.learn(i // plane, node, b)))
            node = 2 * node + b
    scale = ADAPTIVE_PRECISION_BITS
    total = 1 << scale
    x = RANS_L
    out = bytearray()
    for b, f0 in reversed(decisions):
        f, start = (total - f0, f0) if b else (f0, 0)
        x_max = ((RANS_L >> scale) << 8) * f
        while x >= x_max:
            out.append(x & 0xFF)
            x >>= 8
        x = ((x // f) << scale) + (x % f) + start
    out.reverse()
    return x.to_bytes(4, "little") + bytes(out)


def adaptive_decode(data, count, channels, bits):
    plane = count // channels
    trees = _AdaptiveTrees(channels, bits)
    scale = ADAPTIVE_PRECISION_BITS
    total, mask = 1 << scale, (1 << scale) - 1
    x = _read_state(data)
    pos = 4
    out = []
    for i in range(count):
        node = 1
        for _ in range(bits):
            n = trees.counts[i // plane][node]
            f0 = 1 + n[0] * (total - 2) // (n[0] + n[1])
            slot = x & mask
            b = 1 if slot >= f0 else 0
            f, start = (total - f0, f0) if b else (f0, 0)
            x = f * (x >> scale) + slot - start
            while x < RANS_L:
                if pos >= len(data):
                    raise ValueError("rANS stream truncated")
                x = (x << 8) | data[pos]
                pos += 1
            trees.learn(i // plane, node, b)
            node = 2 * node + b
        out.append(node - (1 << bits))
    _check_end(x, pos, data)
    return out
