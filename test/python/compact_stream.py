"""The compact form of cleave.v1 on one InferStream, from grpcio (docs/wire-format.md,
"Compact form"): numeric ids, the budget once in metadata, frames of version 2 and 3."""

from __future__ import annotations

from typing import Any

import grpc

from client_support import MODEL_METADATA_KEY, Report, Stubs, rpc_error, softmax_at


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def frame_v3(frame: bytes) -> bytes:
    """A version 2 frame rewritten as version 3: the same fields less the dims."""
    rank, pos = (frame[1] & 3) + 1, 6
    for _ in range(rank):
        while frame[pos] & 0x80:
            pos += 1
        pos += 1
    body = bytes([0xC3]) + frame[1:6] + frame[pos:-4]
    return body + crc32c(body).to_bytes(4, "little")


def check_compact_stream(
    stubs: Stubs,
    client: Any,
    vectors: dict[str, Any],
    expected: dict[str, Any] | None,
    tolerance: float,
    timeout: float,
    report: Report,
) -> None:
    model = vectors["model"]
    metadata = (
        (MODEL_METADATA_KEY, f"{model['name']}@{model['version']}"),
        ("cleave-timeout-ms", str(int(timeout * 1000))),
    )
    sent: dict[int, tuple[str, bytes, bool]] = {}
    requests = []
    for i, vector in enumerate(vectors["vectors"]):
        v2 = bytes.fromhex(vector["frame"])
        for version, frame in ((2, v2), (3, frame_v3(v2))):
            rid = len(requests) + 1
            want_logits = rid % 4 == 0
            sent[rid] = (vector["name"], frame, want_logits)
            req = stubs.cleave.InferRequest(id=rid, frame=frame)
            if want_logits:
                req.want_logits = True
            requests.append(req)
    try:
        responses = list(client.InferStream(iter(requests), metadata=metadata, timeout=timeout * 3))
    except grpc.RpcError as err:
        report.expect(False, f"InferStream (compact): call failed: {rpc_error(err)}")
        return
    at = "InferStream (compact)"
    report.expect(len(responses) == len(requests), f"{at}: {len(responses)} answers to {len(requests)}")
    seen: set[int] = set()
    sizes_plain: list[int] = []
    for n, res in enumerate(responses):
        rid = res.id
        if not report.expect(rid in sent and rid not in seen, f"{at}: answer for id {rid}"):
            continue
        seen.add(rid)
        name, frame, want_logits = sent[rid]
        where = f"{at} id {rid} ({name}, v{frame[0] & 15})"
        report.expect(res.WhichOneof("outcome") is None, f"{where}: {res.WhichOneof('outcome')} set")
        report.expect(res.request_id == "", f"{where}: request_id {res.request_id!r}")
        report.expect(res.server_100us > 0, f"{where}: server_100us {res.server_100us}")
        report.expect(
            (res.model == f"{model['name']}@{model['version']}") == (n == 0),
            f"{where}: model {res.model!r} (named on the first answer only)",
        )
        report.expect((len(res.logits) > 1) == want_logits, f"{where}: {len(res.logits)} logits")
        if expected is not None:
            want = expected["frames"][name]
            report.expect(res.label == want["label"], f"{where}: label {res.label}, expected {want['label']}")
            score = softmax_at(want["logits"], want["label"])
            report.expect(abs(res.score_e4 - score * 10_000) <= 0.5 + tolerance * 10_000,
                          f"{where}: score_e4 {res.score_e4}, softmax {score}")
            if want_logits:
                diff = max(abs(a - b) for a, b in zip(res.logits, want["logits"]))
                report.expect(diff <= tolerance, f"{where}: logits differ by {diff}")
        if not want_logits and n > 0:
            sizes_plain.append(res.ByteSize() + 5)
    overhead = [req.ByteSize() + 5 - len(req.frame) for req in requests if not req.want_logits]
    report.results["compact"] = {
        "answers": len(responses),
        "meanRequestOverheadBytes": sum(overhead) / max(1, len(overhead)),
        "meanAnswerBytes": sum(sizes_plain) / max(1, len(sizes_plain)),
        "maxAnswerBytes": max(sizes_plain, default=0),
    }
