"""What the SplitInference checks of cleave_client.py share: the generated stubs, the report that
collects failures, and small helpers."""

from __future__ import annotations

import importlib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

SERVICE_NAME = "cleave.v1.SplitInference"
MODEL_METADATA_KEY = "cleave-model"


@dataclass
class Stubs:
    """The generated modules: messages (pb2) and service stubs (pb2_grpc)."""

    cleave: Any
    cleave_grpc: Any
    health: Any
    health_grpc: Any


@dataclass
class Report:
    """Collects results and failures; a failed check never stops the run."""

    failures: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def expect(self, condition: bool, message: str) -> bool:
        if not condition:
            self.failures.append(message)
        return condition


def load_stubs(stubs_dir: Path) -> Stubs:
    sys.path.insert(0, str(stubs_dir))
    return Stubs(
        cleave=importlib.import_module("cleave.v1.split_inference_pb2"),
        cleave_grpc=importlib.import_module("cleave.v1.split_inference_pb2_grpc"),
        health=importlib.import_module("health.v1.health_pb2"),
        health_grpc=importlib.import_module("health.v1.health_pb2_grpc"),
    )


def rpc_error(err: grpc.RpcError) -> str:
    code = err.code() if isinstance(err, grpc.Call) else None
    details = err.details() if isinstance(err, grpc.Call) else str(err)
    return f"{code.name if code else 'UNKNOWN'}: {details}"


def softmax_at(logits: list[float], index: int) -> float:
    top = max(logits)
    total = sum(math.exp(v - top) for v in logits)
    return math.exp(logits[index] - top) / total


def argmax(values: list[float]) -> int:
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best
