"""The learned encoder and decoder, exported with torch.onnx.export and spliced into the user's own
head and tail graphs (as @cleave/graph cut them), so the bundle keeps every one of the user's
nodes exactly as it was and only gains the bottleneck:

    head.onnx: input -> [user's head] -> cut features -> [encoder] -> `bottleneck`
    tail.onnx: `bottleneck` -> [decoder] -> cut features -> [user's tail] -> logits

With --tune-tail the tail's weight initializers carry their fine-tuned values; its nodes do not change.
"""
import io

import onnx
import torch
from onnx import helper

BOTTLENECK = "bottleneck"
MAX_EXPORT_OPSET = 17  # python3-torch 1.13's newest


def ai_onnx_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    raise ValueError("the model imports no ai.onnx opset")


def export_module(module, example, in_name, out_name, opset):
    module.eval()
    buf = io.BytesIO()
    torch.onnx.export(module, (example,), buf, input_names=[in_name], output_names=[out_name],
                      dynamic_axes={in_name: {0: "batch"}, out_name: {0: "batch"}},
                      opset_version=max(11, min(MAX_EXPORT_OPSET, opset)), do_constant_folding=True)
    return onnx.load_from_string(buf.getvalue())


def _prefixed(part, prefix, keep):
    """`part`'s nodes and initializers with every tensor name prefixed, except those in `keep`
    (a map from the part's name to the name it takes in the joined graph)."""
    def name(n):
        return "" if n == "" else keep.get(n, prefix + n)

    nodes = []
    for node in part.graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + (node.name or node.op_type)
        del copy.input[:]
        del copy.output[:]
        copy.input.extend(name(n) for n in node.input)
        copy.output.extend(name(n) for n in node.output)
        nodes.append(copy)
    inits = []
    for t in part.graph.initializer:
        copy = onnx.TensorProto()
        copy.CopyFrom(t)
        copy.name = name(t.name)
        inits.append(copy)
    return nodes, inits


def _value_info(name, dims):
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", *dims])


def _model_like(user, graph, opset):
    imports = [helper.make_opsetid(o.domain, max(o.version, opset) if o.domain in ("", "ai.onnx") else o.version)
               for o in user.opset_import]
    model = helper.make_model(graph, opset_imports=imports, producer_name="cleave split --learn")
    model.ir_version = user.ir_version
    onnx.checker.check_model(model)
    return model


def splice_head(head, encoder, features, input_name, input_dims, code_dims):
    """The user's head with the encoder after its `features` output; the only output is BOTTLENECK."""
    nodes, inits = _prefixed(encoder, "cleave_encoder/", {"cut": features, "code": BOTTLENECK})
    g = head.graph
    graph = helper.make_graph(list(g.node) + nodes, "head",
                              [_value_info(input_name, input_dims)], [_value_info(BOTTLENECK, code_dims)],
                              list(g.initializer) + inits)
    return _model_like(head, graph, ai_onnx_opset(encoder))


def splice_tail(tail, decoder, features, logits, code_dims, classes):
    """The decoder writing the user's tail's `features` input, read from BOTTLENECK."""
    nodes, inits = _prefixed(decoder, "cleave_decoder/", {"code": BOTTLENECK, "cut": features})
    g = tail.graph
    graph = helper.make_graph(nodes + list(g.node), "tail",
                              [_value_info(BOTTLENECK, code_dims)], [_value_info(logits, [classes])],
                              inits + list(g.initializer))
    return _model_like(tail, graph, ai_onnx_opset(decoder))


def export_bundle_models(model, head_path, tail_path, io_names, device, tuned_tail=None):
    """The learned head and tail ONNX models. `tuned_tail` (an onnx_torch.OnnxModule of the tail,
    from --tune-tail) gives the tail's weights new values; its nodes stay the user's."""
    head, tail = onnx.load(head_path), onnx.load(tail_path)
    if tuned_tail is not None:
        tuned_tail.write_weights(tail)
    opset = ai_onnx_opset(head)
    shape = model.shape
    code_dims = shape.code_dims()
    enc = export_module(model.encoder.cpu(), torch.zeros(2, *shape.features), "cut", "code", opset)
    dec = export_module(model.decoder.cpu(), torch.zeros(2, *code_dims), "code", "cut", opset)
    model.to(device)
    learned_head = splice_head(head, enc, io_names["features"], io_names["input"], io_names["inputDims"], code_dims)
    learned_tail = splice_tail(tail, dec, io_names["features"], io_names["logits"], code_dims, io_names["classes"])
    return learned_head, learned_tail
