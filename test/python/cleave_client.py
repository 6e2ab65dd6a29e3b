#!/usr/bin/python3
"""A SplitInference client written against Python's grpcio, not grpc-js.

It drives a running Cleave tail server with the test vectors of one bundle and checks
every answer. Stubs are not checked in: generate them from the repository's proto/
(and grpc-health-check's health.proto) into a folder and pass it as --stubs:

    /usr/bin/python3 -m grpc_tools.protoc -I proto \\
        --python_out=STUBS --grpc_python_out=STUBS cleave/v1/split_inference.proto
    /usr/bin/python3 -m grpc_tools.protoc -I node_modules/grpc-health-check/proto \\
        --python_out=STUBS --grpc_python_out=STUBS health/v1/health.proto

Checks, in order:
  1. grpc.health.v1.Health/Check is SERVING for "" and for cleave.v1.SplitInference;
  2. GetModelMetadata describes the vector file's model as the vector file and the
     bundle manifest do (name, version, labels, bottleneck shape and bits, head sha256);
  3. Infer answers every frame of the vector file with that model: one logit per label,
     label = argmax, score = softmax of the label, equal logits for frames with equal
     codes, and, with --expected, the expected logits within --tolerance;
  4. malformed frames get INVALID_ARGUMENT, an unknown model NOT_FOUND;
  5. the compact form on one InferStream (docs/wire-format.md): numeric ids, the budget once in
     metadata, each frame sent as the vector (version 2) and rewritten as version 3 (no dims);
     each answer is id, label, score_e4 and server_100us, logits only where want_logits asked,
     the model named on the first answer only; request and answer sizes are reported.

Prints one JSON object to stdout. Exits 1 if any check fails (each failure is also
printed to stderr), 2 on bad arguments or stubs that do not import.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import __version__ as protobuf_version
from google.protobuf.internal import api_implementation

from client_support import (
    MODEL_METADATA_KEY,
    SERVICE_NAME,
    Report,
    Stubs,
    argmax,
    load_stubs,
    rpc_error,
    softmax_at,
)
from compact_stream import check_compact_stream


def check_health(stubs: Stubs, channel: grpc.Channel, timeout: float, report: Report) -> None:
    health = stubs.health_grpc.HealthStub(channel)
    serving = stubs.health.HealthCheckResponse.SERVING
    statuses: dict[str, str] = {}
    for service in ("", SERVICE_NAME):
        try:
            res = health.Check(stubs.health.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as err:
            statuses[service] = rpc_error(err)
            report.expect(False, f"health {service!r}: call failed: {rpc_error(err)}")
            continue
        name = stubs.health.HealthCheckResponse.ServingStatus.Name(res.status)
        statuses[service] = name
        report.expect(res.status == serving, f"health {service!r}: {name}, expected SERVING")
    report.results["health"] = statuses


def check_metadata(
    stubs: Stubs,
    client: Any,
    vectors: dict[str, Any],
    manifest: dict[str, Any] | None,
    timeout: float,
    report: Report,
) -> None:
    model = vectors["model"]
    try:
        md = client.GetModelMetadata(
            stubs.cleave.ModelMetadataRequest(name=model["name"]), timeout=timeout
        )
    except grpc.RpcError as err:
        report.expect(False, f"GetModelMetadata {model['name']}: call failed: {rpc_error(err)}")
        return
    got = {
        "name": md.name,
        "versions": list(md.versions),
        "labels": list(md.labels),
        "bottleneck": {"shape": list(md.bottleneck.shape), "bits": md.bottleneck.bits},
        "headSha256": md.head_sha256,
        "platform": md.platform,
        "inputs": [{"name": t.name, "shape": list(t.shape)} for t in md.inputs],
        "outputs": [{"name": t.name, "shape": list(t.shape)} for t in md.outputs],
    }
    report.results["metadata"] = got
    at = f"GetModelMetadata {model['name']}"
    report.expect(md.name == model["name"], f"{at}: name {md.name!r}, expected {model['name']!r}")
    report.expect(
        model["version"] in md.versions,
        f"{at}: versions {list(md.versions)} lack {model['version']!r}",
    )
    report.expect(
        list(md.bottleneck.shape) == vectors["shape"],
        f"{at}: bottleneck shape {list(md.bottleneck.shape)}, expected {vectors['shape']}",
    )
    report.expect(
        md.bottleneck.bits == vectors["bits"],
        f"{at}: bottleneck bits {md.bottleneck.bits}, expected {vectors['bits']}",
    )
    report.expect(
        md.head_sha256 == vectors["headSha256"],
        f"{at}: head sha256 {md.head_sha256}, expected {vectors['headSha256']}",
    )
    report.expect(md.platform == "onnxruntime", f"{at}: platform {md.platform!r}")
    if manifest is not None:
        labels = manifest["labels"]
        report.expect(
            list(md.labels) == labels, f"{at}: labels {list(md.labels)}, expected {labels}"
        )
        head = [f["sha256"] for f in manifest["files"] if f["role"] == "head"]
        report.expect(
            [md.head_sha256] == head, f"{at}: head sha256 {md.head_sha256}, manifest {head}"
        )
        bottleneck = manifest["bottleneck"]
        report.expect(
            list(md.bottleneck.shape) == bottleneck["shape"]
            and md.bottleneck.bits == bottleneck["bits"],
            f"{at}: bottleneck {got['bottleneck']}, manifest {bottleneck['shape']} "
            f"at {bottleneck['bits']} bits",
        )
    else:
        report.expect(len(md.labels) > 1, f"{at}: {len(md.labels)} labels")
    try:
        client.GetModelMetadata(
            stubs.cleave.ModelMetadataRequest(name="no-such-model"), timeout=timeout
        )
        report.expect(False, "GetModelMetadata no-such-model: answered, expected NOT_FOUND")
    except grpc.RpcError as err:
        report.expect(
            err.code() == grpc.StatusCode.NOT_FOUND,
            f"GetModelMetadata no-such-model: {rpc_error(err)}, expected NOT_FOUND",
        )


def check_infer(
    stubs: Stubs,
    client: Any,
    vectors: dict[str, Any],
    expected: dict[str, Any] | None,
    tolerance: float,
    timeout: float,
    report: Report,
) -> None:
    model = vectors["model"]
    metadata = ((MODEL_METADATA_KEY, f"{model['name']}@{model['version']}"),)
    labels = report.results.get("metadata", {}).get("labels", [])
    answers: list[dict[str, Any]] = []
    by_codes: dict[tuple[int, ...], tuple[str, list[float]]] = {}
    for i, vector in enumerate(vectors["vectors"]):
        name = vector["name"]
        frame = bytes.fromhex(vector["frame"])
        request = stubs.cleave.InferRequest(request_id=f"py-{i}", frame=frame)
        try:
            res = client.Infer(request, metadata=metadata, timeout=timeout)
        except grpc.RpcError as err:
            report.expect(False, f"Infer {name}: call failed: {rpc_error(err)}")
            continue
        at = f"Infer {name}"
        report.expect(res.request_id == request.request_id, f"{at}: request_id {res.request_id!r}")
        if not report.expect(res.WhichOneof("outcome") == "result", f"{at}: no result: {res}"):
            continue
        result = res.result
        logits = list(result.logits)
        answer: dict[str, Any] = {
            "vector": name,
            "codecId": vector["codecId"],
            "frameBytes": len(frame),
            "modelName": result.model_name,
            "modelVersion": result.model_version,
            "label": result.label,
            "score": result.score,
            "logits": logits,
            "batchSize": result.batch_size,
        }
        answers.append(answer)
        report.expect(
            result.model_name == model["name"] and result.model_version == model["version"],
            f"{at}: served by {result.model_name}@{result.model_version}",
        )
        count = len(labels) if labels else len(logits)
        if not report.expect(
            len(logits) == count and count > 1, f"{at}: {len(logits)} logits for {count} labels"
        ):
            continue
        report.expect(
            all(math.isfinite(v) for v in logits), f"{at}: non-finite logits {logits}"
        )
        report.expect(
            result.label == argmax(logits), f"{at}: label {result.label} is not the argmax"
        )
        softmax = softmax_at(logits, result.label)
        report.expect(
            abs(result.score - softmax) <= tolerance,
            f"{at}: score {result.score}, softmax of the logits gives {softmax}",
        )
        report.expect(result.batch_size >= 1, f"{at}: batch size {result.batch_size}")
        # Static, adaptive and bit-packed frames of the same codes must give the same answer.
        codes = tuple(vector["codes"])
        if codes in by_codes:
            other, other_logits = by_codes[codes]
            diff = max(abs(a - b) for a, b in zip(logits, other_logits))
            report.expect(
                diff <= tolerance, f"{at}: logits differ from {other} (same codes) by {diff}"
            )
        else:
            by_codes[codes] = (name, logits)
        if expected is not None:
            want = expected["frames"].get(name)
            if not report.expect(want is not None, f"{at}: no expected answer"):
                continue
            diff = max((abs(a - b) for a, b in zip(logits, want["logits"])), default=math.inf)
            answer["maxAbsDiff"] = diff
            report.expect(
                len(logits) == len(want["logits"]) and diff <= tolerance,
                f"{at}: logits {logits} differ from the expected {want['logits']} by {diff}",
            )
            report.expect(
                result.label == want["label"],
                f"{at}: label {result.label}, expected {want['label']}",
            )
    report.expect(
        len(answers) == len(vectors["vectors"]),
        f"Infer: {len(answers)} of {len(vectors['vectors'])} frames answered",
    )
    report.results["infer"] = answers


def malformed_frames(frame: bytes) -> list[tuple[str, bytes]]:
    flipped_crc = frame[:-1] + bytes([frame[-1] ^ 0xFF])
    return [
        ("garbage", bytes([1, 2, 3])),
        ("empty", b""),
        ("truncated", frame[:-5]),
        ("bad-crc", flipped_crc),
        ("version-1", b"CV" + frame[2:]),
        ("trailing-byte", frame + b"\x00"),
    ]


def check_refusals(
    stubs: Stubs, client: Any, vectors: dict[str, Any], timeout: float, report: Report
) -> None:
    model = vectors["model"]
    metadata = ((MODEL_METADATA_KEY, f"{model['name']}@{model['version']}"),)
    frame = bytes.fromhex(vectors["vectors"][0]["frame"])
    cases = [(name, bad, metadata, "INVALID_ARGUMENT") for name, bad in malformed_frames(frame)]
    cases.append(("garbage-without-model", bytes([1, 2, 3]), (), "INVALID_ARGUMENT"))
    cases.append(("unknown-model", frame, ((MODEL_METADATA_KEY, "no-such-model"),), "NOT_FOUND"))
    refusals: list[dict[str, str]] = []
    for name, bad, md, want in cases:
        request = stubs.cleave.InferRequest(request_id=f"bad-{name}", frame=bad)
        try:
            client.Infer(request, metadata=md, timeout=timeout)
            got, details = "OK", ""
        except grpc.RpcError as err:
            code = err.code()
            got, details = (code.name if code else "UNKNOWN"), err.details() or ""
        refusals.append({"case": name, "code": got, "details": details})
        report.expect(got == want, f"Infer {name}: {got} ({details}), expected {want}")
    report.results["refusals"] = refusals


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="server address, e.g. 127.0.0.1:50051")
    parser.add_argument("--vectors", required=True, type=Path, help="test/vectors/<bundle>.json")
    parser.add_argument("--stubs", required=True, type=Path, help="folder of generated stubs")
    parser.add_argument("--manifest", type=Path, help="the bundle's manifest.json")
    parser.add_argument("--expected", type=Path, help='{"frames": {name: {logits, label}}}')
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    args = parser.parse_args(argv)

    try:
        stubs = load_stubs(args.stubs)
    except Exception as err:  # noqa: BLE001 - any import problem means unusable stubs
        print(f"cleave_client: cannot import the stubs in {args.stubs}: {err!r}", file=sys.stderr)
        return 2
    vectors = json.loads(args.vectors.read_text())
    manifest = json.loads(args.manifest.read_text()) if args.manifest else None
    expected = json.loads(args.expected.read_text()) if args.expected else None

    report = Report()
    report.results["client"] = {
        "grpcio": grpc.__version__,
        "protobuf": protobuf_version,
        "protobufImplementation": api_implementation.Type(),
        "python": sys.version.split()[0],
    }
    report.results["bundle"] = vectors["bundle"]
    # No proxy: the target is a loopback address and must be reached directly.
    with grpc.insecure_channel(args.target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=args.timeout)
        except grpc.FutureTimeoutError:
            print(f"cleave_client: {args.target} not reachable", file=sys.stderr)
            report.failures.append(f"channel to {args.target} not ready in {args.timeout} s")
        else:
            client = stubs.cleave_grpc.SplitInferenceStub(channel)
            check_health(stubs, channel, args.timeout, report)
            check_metadata(stubs, client, vectors, manifest, args.timeout, report)
            check_infer(stubs, client, vectors, expected, args.tolerance, args.timeout, report)
            check_refusals(stubs, client, vectors, args.timeout, report)
            check_compact_stream(
                stubs, client, vectors, expected, args.tolerance, args.timeout, report
            )

    report.results["failures"] = report.failures
    report.results["ok"] = not report.failures
    print(json.dumps(report.results))
    for failure in report.failures:
        print(f"cleave_client: FAIL {failure}", file=sys.stderr)
    return 0 if not report.failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
