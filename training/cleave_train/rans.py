"""Reference rANS coder (32-bit state, byte-wise renormalisation, ryg_rans layout).

This is the Python side of the codec contract: symbols are coded in row-major [C, H, W]
order, symbol i of channel c with table c. The stream is the 4-byte little-endian final state
followed by the renormalisation bytes, so a decoder reads it front to back.
"""
RANS_L = 1 << 23


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


def decode(data, count, channel_of, rt):
    if len(data) < 4:
        raise ValueError("rANS stream shorter than its 4-byte state")
    x = int.from_bytes(data[:4], "little")
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
    return out


def encode_codes(codes_chw, rt):
    """codes_chw: numpy uint8 [C, H, W] -> bytes."""
    c, h, w = codes_chw.shape
    plane = h * w
    return encode(codes_chw.reshape(-1).tolist(), lambda i: i // plane, rt)


def decode_codes(data, shape, rt):
    c, h, w = shape
    plane = h * w
    return decode(data, c * plane, lambda i: i // plane, rt)
