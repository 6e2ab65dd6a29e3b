"""ONNX export and manifest writing. The manifest shape is documented in docs/bundle-format.md."""
import hashlib
import json
import os

import torch

from . import data

OPSET = 13


class _HeadExport(torch.nn.Module):
    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, x):
        return self.head(x)


def export_onnx(module, example, path, input_names, output_names):
    module.eval()
    axes = {n: {0: "batch"} for n in input_names + output_names}
    torch.onnx.export(module, (example,), path, input_names=input_names, output_names=output_names,
                      dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def tensor_spec(name, shape):
    return {"name": name, "shape": [-1] + list(shape), "dtype": "float32"}


def file_entry(role, out_dir, fname, macs, inputs, outputs):
    path = os.path.join(out_dir, fname)
    return {"role": role, "path": fname, "sha256": sha256_file(path), "bytes": os.path.getsize(path),
            "macs": int(macs), "inputs": inputs, "outputs": outputs}


def input_block():
    return {
        "name": "input", "shape": [1, 28, 28], "dtype": "float32", "layout": "NCHW",
        "source": {"width": 28, "height": 28, "channels": 1},
        "normalization": {"scale": 1 / 255, "mean": [data.MEAN], "std": [data.STD]},
    }


def write_manifest(out_dir, manifest):
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def export_bundle(out_dir, op, teacher, head, tail, dual_a, dual_b, quant, macs, extra):
    """Writes head/tail/full/dual-a/dual-b ONNX files and the manifest for one operating point."""
    os.makedirs(out_dir, exist_ok=True)
    c = op["channels"]
    x = torch.zeros(2, 1, 28, 28)
    z = torch.zeros(2, c, 7, 7)
    img_in = [tensor_spec("input", [1, 28, 28])]
    logits_out = [tensor_spec("logits", [10])]
    export_onnx(_HeadExport(head), x, os.path.join(out_dir, "head.onnx"), ["input"], ["exit_logits", "features"])
    export_onnx(tail, z, os.path.join(out_dir, "tail.onnx"), ["features"], ["logits"])
    export_onnx(teacher, x, os.path.join(out_dir, "full.onnx"), ["input"], ["logits"])
    export_onnx(dual_a, x, os.path.join(out_dir, "dual-a.onnx"), ["input"], ["logits"])
    export_onnx(dual_b, x, os.path.join(out_dir, "dual-b.onnx"), ["input"], ["logits"])
    files = [
        file_entry("head", out_dir, "head.onnx", macs["head"], img_in,
                   [tensor_spec("exit_logits", [10]), tensor_spec("features", [c, 7, 7])]),
        file_entry("tail", out_dir, "tail.onnx", macs["tail"], [tensor_spec("features", [c, 7, 7])], logits_out),
        file_entry("full", out_dir, "full.onnx", macs["full"], img_in, logits_out),
        file_entry("dual-a", out_dir, "dual-a.onnx", macs["dual-a"], img_in, logits_out),
        file_entry("dual-b", out_dir, "dual-b.onnx", macs["dual-b"], img_in, logits_out),
    ]
    manifest = {
        "schemaVersion": 1,
        "name": op["name"],
        "version": extra["version"],
        "description": op["description"],
        "task": "image-classification",
        "labels": data.LABELS,
        "input": input_block(),
        "files": files,
        "bottleneck": {
            "tensor": "features",
            "shape": [c, 7, 7],
            "bits": op["bits"],
            "quantization": {"scheme": "uniform-affine", "granularity": "per-channel",
                             "min": [float(v) for v in quant.lo], "max": [float(v) for v in quant.hi]},
            "entropy": {"model": "static-frequency", "precisionBits": extra["precisionBits"], "tables": extra["tables"]},
        },
        "gates": extra["gates"],
        "calibration": extra["calibration"],
        "metrics": extra["metrics"],
    }
    write_manifest(out_dir, manifest)
    return manifest
