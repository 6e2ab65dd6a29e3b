"""ONNX -> PyTorch: an ONNX graph as a differentiable torch.nn.Module, with the ONNX weights loaded.

`cleave split --learn` trains a bottleneck between the head and the tail that @cleave/graph cut
from a user's ONNX model. Stage 2 back-propagates through the tail, so the tail must be a torch
module; the head runs once to cache the features at the cut. Both come from here.

One small function per ONNX op, found in a registry keyed by op type (as torch.fx keeps one call
per node). An op the registry does not know is refused up front, naming the op type, the node and
the ops it does know: no silent fallback. Float initializers become parameters (frozen unless
asked), the rest (shapes, indices) plain tensors. Shape arithmetic runs eagerly on int64 tensors:
the module is for training and evaluation, never for re-export (the bundle keeps the user's own
ONNX nodes, with the learned encoder and decoder spliced in; see splice.py).
"""
import math

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

OPS = {}


def op(*names):
    def register(fn):
        for name in names:
            OPS[name] = fn
        return fn
    return register


class UnsupportedOpError(ValueError):
    def __init__(self, node):
        self.op_type, self.node = node.op_type, node.name or "(unnamed)"
        domain = f" in domain {node.domain}" if node.domain not in ("", "ai.onnx") else ""
        super().__init__(
            f'op {node.op_type}{domain} (node "{self.node}") is not supported by the ONNX -> PyTorch '
            f"converter; supported ops: {', '.join(sorted([*OPS, 'Constant']))}")


def _ints(v):
    return [int(i) for i in v.tolist()] if isinstance(v, torch.Tensor) else [int(i) for i in v]


def _pads_2d(x, pads, value=0.0):
    """ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end] -> F.pad's last-dim-first order."""
    n = len(pads) // 2
    torch_pads = []
    for i in reversed(range(n)):
        torch_pads += [pads[i], pads[i + n]]
    return F.pad(x, torch_pads, value=value) if any(torch_pads) else x


def _auto_pads(a, x, kernel, strides, dilations):
    mode = a.get("auto_pad", "NOTSET")
    if mode in ("NOTSET", "VALID"):
        return list(a.get("pads", [0] * (2 * len(kernel)))) if mode == "NOTSET" else [0] * (2 * len(kernel))
    begins, ends = [], []
    for i, (k, s, d) in enumerate(zip(kernel, strides, dilations)):
        size = x.shape[2 + i]
        out = math.ceil(size / s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small, big = total // 2, total - total // 2
        begins.append(big if mode == "SAME_LOWER" else small)
        ends.append(small if mode == "SAME_LOWER" else big)
    return begins + ends


@op("Conv")
def _conv(a, x, w, b=None):
    k = list(w.shape[2:])
    nd = len(k)
    strides, dil = a.get("strides", [1] * nd), a.get("dilations", [1] * nd)
    pads = _auto_pads(a, x, k, strides, dil)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    if pads[:nd] == pads[nd:]:
        return conv(x, w, b, strides, pads[:nd], dil, a.get("group", 1))
    return conv(_pads_2d(x, pads), w, b, strides, 0, dil, a.get("group", 1))


@op("ConvTranspose")
def _conv_transpose(a, x, w, b=None):
    nd = len(w.shape) - 2
    strides, dil = a.get("strides", [1] * nd), a.get("dilations", [1] * nd)
    pads, out_pad = a.get("pads", [0] * 2 * nd), a.get("output_padding", [0] * nd)
    if pads[:nd] != pads[nd:] or a.get("auto_pad", "NOTSET") != "NOTSET" or "output_shape" in a:
        raise ValueError("ConvTranspose with asymmetric pads, auto_pad or output_shape is not supported")
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    return fn(x, w, b, strides, pads[:nd], out_pad, a.get("group", 1), dil)


@op("BatchNormalization")
def _batch_norm(a, x, scale, bias, mean, var):
    return F.batch_norm(x, mean, var, scale, bias, False, 0.0, a.get("epsilon", 1e-5))


def _pool(a, x, kind):
    k = a["kernel_shape"]
    nd = len(k)
    strides, dil = a.get("strides", [1] * nd), a.get("dilations", [1] * nd)
    pads = _auto_pads(a, x, k, strides, dil)
    ceil = bool(a.get("ceil_mode", 0))
    sym = pads[:nd] == pads[nd:] and all(p <= kk // 2 for p, kk in zip(pads[:nd], k))
    if kind == "max":
        fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[nd]
        if sym:
            return fn(x, k, strides, pads[:nd], dil, ceil_mode=ceil)
        return fn(_pads_2d(x, pads, float("-inf")), k, strides, 0, dil, ceil_mode=ceil)
    fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[nd]
    include = bool(a.get("count_include_pad", 0))
    if sym:
        return fn(x, k, strides, pads[:nd], ceil, include)
    if not include:
        raise ValueError("AveragePool with asymmetric pads and count_include_pad=0 is not supported")
    return fn(_pads_2d(x, pads), k, strides, 0, ceil, True)


OPS["MaxPool"] = lambda a, x: _pool(a, x, "max")
OPS["AveragePool"] = lambda a, x: _pool(a, x, "avg")
OPS["GlobalAveragePool"] = lambda a, x: x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
OPS["GlobalMaxPool"] = lambda a, x: x.amax(dim=tuple(range(2, x.dim())), keepdim=True)

OPS["Relu"] = lambda a, x: F.relu(x)
OPS["LeakyRelu"] = lambda a, x: F.leaky_relu(x, a.get("alpha", 0.01))
OPS["Sigmoid"] = lambda a, x: torch.sigmoid(x)
OPS["Tanh"] = lambda a, x: torch.tanh(x)
OPS["Elu"] = lambda a, x: F.elu(x, a.get("alpha", 1.0))
OPS["Softplus"] = lambda a, x: F.softplus(x)
OPS["Erf"] = lambda a, x: torch.erf(x)
OPS["HardSigmoid"] = lambda a, x: torch.clamp(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)
OPS["HardSwish"] = lambda a, x: F.hardswish(x)
OPS["Softmax"] = lambda a, x: F.softmax(x, a.get("axis", -1))
OPS["LogSoftmax"] = lambda a, x: F.log_softmax(x, a.get("axis", -1))
OPS["Identity"] = lambda a, x: x
OPS["Dropout"] = lambda a, x, *rest: x  # inference semantics: the bundle's models run in eval mode


@op("Clip")
def _clip(a, x, lo=None, hi=None):
    lo = a.get("min") if lo is None else float(lo)
    hi = a.get("max") if hi is None else float(hi)
    return torch.clamp(x, lo, hi)


OPS["Add"] = lambda a, x, y: x + y
OPS["Sub"] = lambda a, x, y: x - y
OPS["Mul"] = lambda a, x, y: x * y
OPS["Div"] = lambda a, x, y: torch.div(x, y, rounding_mode="trunc") if not x.is_floating_point() else x / y
OPS["Pow"] = lambda a, x, y: torch.pow(x, y)
OPS["Sqrt"] = lambda a, x: torch.sqrt(x)
OPS["Neg"] = lambda a, x: -x
OPS["Exp"] = lambda a, x: torch.exp(x)
OPS["Log"] = lambda a, x: torch.log(x)
OPS["Abs"] = lambda a, x: torch.abs(x)
OPS["Reciprocal"] = lambda a, x: 1.0 / x
OPS["MatMul"] = lambda a, x, y: torch.matmul(x, y)


@op("Gemm")
def _gemm(a, x, w, c=None):
    x = x.t() if a.get("transA", 0) else x
    w = w.t() if a.get("transB", 0) else w
    y = a.get("alpha", 1.0) * (x @ w)
    return y if c is None else y + a.get("beta", 1.0) * c


OPS["Flatten"] = lambda a, x: x.reshape(int(np.prod(x.shape[:a.get("axis", 1)])), -1)


@op("Reshape")
def _reshape(a, x, shape):
    dims = _ints(shape)
    if not a.get("allowzero", 0):
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return x.reshape(dims)


OPS["Transpose"] = lambda a, x: x.permute(*(a.get("perm") or list(reversed(range(x.dim())))))


@op("Squeeze")
def _squeeze(a, x, axes=None):
    axes = _ints(axes) if axes is not None else a.get("axes")
    if axes is None:
        return x.squeeze()
    for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
        x = x.squeeze(ax)
    return x


@op("Unsqueeze")
def _unsqueeze(a, x, axes=None):
    axes = _ints(axes) if axes is not None else a["axes"]
    rank = x.dim() + len(axes)
    for ax in sorted(ax % rank for ax in axes):
        x = x.unsqueeze(ax)
    return x


OPS["Concat"] = lambda a, *xs: torch.cat(xs, a["axis"])


@op("Shape")
def _shape(a, x):
    dims = list(x.shape)
    return torch.tensor(dims[a.get("start", 0):a.get("end", len(dims))], dtype=torch.int64)


@op("Gather")
def _gather(a, x, idx):
    axis = a.get("axis", 0) % x.dim()
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    return torch.index_select(x, axis, idx.reshape(-1)).reshape(
        x.shape[:axis] + idx.shape + x.shape[axis + 1:])


@op("Slice")
def _slice(a, x, starts, ends, axes=None, steps=None):
    starts, ends = _ints(starts), _ints(ends)
    axes = _ints(axes) if axes is not None else list(range(len(starts)))
    steps = _ints(steps) if steps is not None else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        if st <= 0:
            raise ValueError("Slice with a non-positive step is not supported")
        size = x.shape[ax]
        index[ax] = slice(max(0, min(size, s if s >= 0 else s + size)), max(0, min(size, e if e >= 0 else e + size)), st)
    return x[tuple(index)]


def _reduce(a, x, axes, fn):
    axes = _ints(axes) if axes is not None else a.get("axes")
    keep = bool(a.get("keepdims", 1))
    if axes is None or len(axes) == 0:
        if a.get("noop_with_empty_axes", 0):
            return x
        axes = list(range(x.dim()))
    return fn(x, dim=tuple(ax % x.dim() for ax in axes), keepdim=keep)


OPS["ReduceMean"] = lambda a, x, axes=None: _reduce(a, x, axes, torch.mean)
OPS["ReduceSum"] = lambda a, x, axes=None: _reduce(a, x, axes, torch.sum)
OPS["ReduceMax"] = lambda a, x, axes=None: _reduce(a, x, axes, torch.amax)


@op("Pad")
def _pad(a, x, pads=None, value=None, axes=None):
    if a.get("mode", "constant") != "constant" or axes is not None:
        raise ValueError("Pad is supported in constant mode without axes")
    pads = _ints(pads) if pads is not None else a["pads"]
    return _pads_2d(x, pads, float(value) if value is not None and value.numel() else 0.0)


@op("Cast")
def _cast(a, x):
    to = onnx.helper.tensor_dtype_to_np_dtype(a["to"])
    return x.to(torch.from_numpy(np.zeros(0, dtype=to)).dtype)


OPS["ConstantOfShape"] = lambda a, shape: (
    torch.from_numpy(numpy_helper.to_array(a["value"]).copy()) if "value" in a else torch.zeros(1)
).reshape(-1)[0].expand(_ints(shape)).clone()
OPS["Expand"] = lambda a, x, shape: x * torch.ones(_ints(shape), dtype=x.dtype)


@op("Split")
def _split(a, x, split=None, n_out=1):
    axis = a.get("axis", 0)
    sizes = _ints(split) if split is not None else a.get("split")
    if sizes is None:
        sizes = [x.shape[axis] // n_out] * n_out
    return tuple(torch.split(x, sizes, axis))


def constant_value(attrs):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            v = attrs[key]
            if key == "value":
                return torch.from_numpy(numpy_helper.to_array(v).copy())
            dtype = torch.float32 if "float" in key else torch.int64
            return torch.tensor(v, dtype=dtype)
    raise ValueError(f"Constant with attributes {sorted(attrs)} is not supported")


def _attrs(node):
    return {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}


def _attr_text(v):
    return v.decode() if isinstance(v, bytes) else v


WEIGHTED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization")


class OnnxModule(nn.Module):
    """An ONNX graph as a torch module. forward(*inputs) takes the graph's non-initializer inputs
    in order and returns its outputs (a tensor, or a tuple when there are several)."""

    def __init__(self, model, trainable=False):
        super().__init__()
        graph = model.graph
        unknown = [n for n in graph.node if n.op_type != "Constant" and (n.op_type not in OPS or n.domain not in ("", "ai.onnx"))]
        if unknown:
            raise UnsupportedOpError(unknown[0])
        init_names = {t.name for t in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in init_names]
        self.output_names = [o.name for o in graph.output]
        self.params = nn.ParameterList()
        self.consts = {}
        self._slot = {}
        for t in graph.initializer:
            arr = numpy_helper.to_array(t).copy()
            if arr.dtype.kind == "f":
                self._slot[t.name] = len(self.params)
                self.params.append(nn.Parameter(torch.from_numpy(arr.astype(np.float32)), requires_grad=trainable))
            else:
                self.consts[t.name] = torch.from_numpy(arr)
        self.steps = []
        for node in graph.node:
            attrs = {k: _attr_text(v) for k, v in _attrs(node).items()}
            if node.op_type == "Constant":
                self.consts[node.output[0]] = constant_value(attrs)
                continue
            self.steps.append((node, attrs))

    def weight_names(self):
        """The float initializers that are a layer's weights or biases (Conv, ConvTranspose, Gemm,
        MatMul, and BatchNormalization's scale and bias): what `--tune-tail` fine-tunes. Scalars
        that are arithmetic (HardSwish's 3 and 6, a Div's divisor) and running statistics stay."""
        names = []
        for node, _attrs in self.steps:
            slots = (1, 2) if node.op_type in WEIGHTED_OPS else ()
            for i in slots:
                if i < len(node.input) and node.input[i] in self._slot and node.input[i] not in names:
                    names.append(node.input[i])
        return names

    def weight_parameters(self):
        return [self.params[self._slot[n]] for n in self.weight_names()]

    def write_weights(self, model):
        """`model` (the ONNX graph this module came from) with the initializers of weight_names()
        replaced by this module's current values, in place; every other initializer and every node
        stays byte for byte as it was."""
        tuned = set(self.weight_names())
        for t in model.graph.initializer:
            if t.name in tuned:
                value = self.params[self._slot[t.name]].detach().cpu().numpy()
                t.CopyFrom(numpy_helper.from_array(value.astype(numpy_helper.to_array(t).dtype), t.name))
        return model

    def forward(self, *inputs):
        env = dict(self.consts)
        for name, slot in self._slot.items():
            env[name] = self.params[slot]
        env.update(zip(self.input_names, inputs))
        for node, attrs in self.steps:
            args = [env[n] if n else None for n in node.input]
            while args and args[-1] is None:
                args.pop()
            fn = OPS[node.op_type]
            try:
                out = fn(attrs, *args, n_out=len(node.output)) if node.op_type == "Split" else fn(attrs, *args)
            except Exception as error:
                raise RuntimeError(f'{node.op_type} node "{node.name}": {error}') from error
            outs = out if isinstance(out, tuple) else (out,)
            for name, value in zip(node.output, outs):
                if name:
                    env[name] = value
        result = tuple(env[n] for n in self.output_names)
        return result[0] if len(result) == 1 else result


def load(path, trainable=False):
    """Reads an ONNX file and converts it; raises UnsupportedOpError for an op it does not know."""
    return OnnxModule(onnx.load(path), trainable)
