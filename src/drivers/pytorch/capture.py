#!/usr/bin/env python3
"""accelcert graph capture: traces a user's PyTorch module to an ATen graph and writes an accelcert graph file.

    capture.py SCRIPT OUT [--keep-weights] [--name N] [--dtype D]

SCRIPT is a .py file defining `model()` (returns an nn.Module) and `example_inputs()` (returns a tuple of tensors).
The module is put in eval mode and traced at the ATen level with its parameters, buffers and tensor constants as
explicit graph inputs: with torch.export where its ExportedProgram has run_decompositions (PyTorch 2.2+, decomposed
to Core ATen), else with make_fx over a functional call of the module (functionalized, with a decomposition table that
brings the graph to Core ATen).
OUT is written as the JSON graph file of docs/graphs.md (format "accelcert-graph", version 1).

Without --keep-weights every input (user inputs and weights) becomes a seeded recipe of the same shape and scale;
with it, parameters, buffers and constants keep their exact values (recipe `values`). --dtype converts the module's
floating weights and inputs to that dtype before tracing (default: the dtype of the first floating input).

Standard library + torch only; Python 3.7+ and PyTorch 1.13 through 2.x. Any problem is one line on stderr,
`error: <sentence>`, and exit status 2 (a usage or input problem) or 3 (no torch).
"""
import argparse
import importlib.util
import inspect
import json
import math
import operator
import os
import re
import sys

try:
    import torch
except ImportError as exc:
    sys.stderr.write("error: cannot import torch (%s); name an interpreter that has PyTorch with --python\n" % exc)
    sys.exit(3)

FORMAT = "accelcert-graph"
VERSION = 1
DTYPE_NAMES = [
    "float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
    "int64", "int32", "int16", "int8", "uint8", "bool",
]
DTYPES = dict((n, getattr(torch, n)) for n in DTYPE_NAMES if isinstance(getattr(torch, n, None), torch.dtype))
DTYPE_OF = dict((v, k) for k, v in DTYPES.items())
# the smallest cosine similarity per output slice that the default checks require
COSINE_MIN = {"float32": 0.999999, "float64": 0.999999}
COSINE_MIN_LOW = 0.999
# nodes that compute nothing accelcert compares: identities folded into their input, and assertions dropped
IDENTITY_OPS = ("aten.detach.default", "aten.lift_fresh_copy.default", "aten.lift_fresh.default")
ASSERT_PREFIXES = ("aten._assert", "aten.sym_constrain_range", "aten._functional_assert")
# composite ops PyTorch 1.13 leaves in a make_fx graph, decomposed where it has a decomposition (2.0+ uses
# torch._decomp.core_aten_decompositions() instead)
DECOMPOSE_113 = [
    "t", "transpose", "silu", "hardswish", "hardsigmoid", "mish", "elu", "celu", "selu", "softplus", "hardshrink",
    "softshrink", "glu", "logit", "rsub", "addcmul", "addcdiv", "lerp", "masked_fill", "clamp_min", "clamp_max",
    "expand_as", "stack", "narrow", "unbind", "split", "std", "std_mean", "var_mean", "logsumexp", "norm",
    "linalg_vector_norm", "mv", "dot", "baddbmm", "addmv", "addr", "frac", "deg2rad", "rad2deg", "sgn", "nan_to_num",
    "xlogy", "tril", "triu", "zeros", "zeros_like", "ones", "ones_like", "new_zeros", "new_ones", "new_full",
    "new_empty", "_unsafe_view", "_reshape_alias", "roll", "threshold", "relu6", "im2col", "trace", "diag_embed", "logaddexp", "sinc",
]


class CaptureError(Exception):
    """A problem told to the user in one sentence."""


def fail(message, status=2):
    sys.stderr.write("error: %s\n" % message)
    sys.exit(status)


def first_line(exc):
    text = str(exc).strip().split("\n")[0]
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def kebab(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", s)
    s = re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower()
    return s or "model"


def ident(text):
    s = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return s if re.match(r"^[A-Za-z_]", s) else "_" + s


# ---------------------------------------------------------------- the user's script

def load_script(path):
    if not os.path.isfile(path):
        raise CaptureError("%s does not exist" % path)
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location("accelcert_user_model", path)
    if spec is None or spec.loader is None:
        raise CaptureError("%s is not a Python file accelcert can import" % path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the user's code: anything it raises is their problem, told in one line
        raise CaptureError("%s raised %s while being imported" % (path, first_line(exc)))
    for fn in ("model", "example_inputs"):
        if not callable(getattr(module, fn, None)):
            raise CaptureError("%s defines no %s() function (it must define model() and example_inputs())" % (path, fn))
    try:
        net = module.model()
    except BaseException as exc:
        raise CaptureError("%s: model() raised %s" % (path, first_line(exc)))
    if not isinstance(net, torch.nn.Module):
        raise CaptureError("%s: model() returned a %s, not a torch.nn.Module" % (path, type(net).__name__))
    try:
        inputs = module.example_inputs()
    except BaseException as exc:
        raise CaptureError("%s: example_inputs() raised %s" % (path, first_line(exc)))
    if isinstance(inputs, torch.Tensor):
        inputs = (inputs,)
    if not isinstance(inputs, (tuple, list)) or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise CaptureError("%s: example_inputs() must return a tuple of tensors" % path)
    return net, tuple(inputs)


def input_names(net, count):
    try:
        params = [p for p in inspect.signature(net.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:count]]
    return names + ["input_%d" % i for i in range(len(names), count)]


# ---------------------------------------------------------------- tracing

class Traced(object):
    """An FX graph whose placeholders are described: per placeholder node, (kind, name, tensor)."""

    def __init__(self, gm, placeholders, outputs, tracer):
        self.gm = gm
        self.placeholders = placeholders  # dict: placeholder node -> (kind, name, tensor)
        self.outputs = outputs  # flat list of FX nodes (or placeholder nodes) the graph returns
        self.tracer = tracer


def has_export():
    """torch.export with ExportedProgram.run_decompositions (PyTorch 2.2; some 2.1 builds)."""
    export = getattr(torch, "export", None)
    program = getattr(export, "ExportedProgram", None)
    return hasattr(export, "export") and hasattr(program, "run_decompositions")


def trace_export(net, inputs):
    ep = torch.export.export(net, inputs)
    ep = ep.run_decompositions()
    gm = ep.graph_module
    sig = ep.graph_signature
    state = dict(ep.state_dict)
    constants = dict(getattr(ep, "constants", None) or getattr(ep, "tensor_constants", None) or {})
    nodes = [n for n in gm.graph.nodes if n.op == "placeholder"]
    kinds = {}
    if hasattr(sig, "input_specs"):
        for spec in sig.input_specs:
            kinds[spec.arg.name] = (spec.kind.name, spec.target)
    else:  # PyTorch 2.1
        for name, target in sig.inputs_to_parameters.items():
            kinds[name] = ("PARAMETER", target)
        for name, target in sig.inputs_to_buffers.items():
            kinds[name] = ("BUFFER", target)
    names = input_names(net, len(inputs))
    placeholders = {}
    used = 0
    for node in nodes:
        kind, target = kinds.get(node.name, ("USER_INPUT", None))
        if kind == "USER_INPUT":
            if used >= len(inputs):
                raise CaptureError("torch.export gave more user inputs than example_inputs() holds")
            placeholders[node] = ("input", names[used], inputs[used])
            used += 1
        elif kind in ("PARAMETER", "BUFFER", "CONSTANT_TENSOR"):
            value = state.get(target) if target in state else constants.get(target)
            if not isinstance(value, torch.Tensor):
                raise CaptureError("torch.export names %s %s, whose value accelcert cannot find" % (kind.lower(), target))
            short = {"PARAMETER": ("parameter", "p_"), "BUFFER": ("buffer", "b_"), "CONSTANT_TENSOR": ("constant", "c_")}[kind]
            placeholders[node] = (short[0], short[1] + ident(target), value)
        else:
            raise CaptureError("torch.export gave an input of kind %s, which accelcert cannot feed" % kind)
    out_node = next(n for n in gm.graph.nodes if n.op == "output")
    outs = list(out_node.args[0]) if isinstance(out_node.args[0], (tuple, list)) else [out_node.args[0]]
    if hasattr(sig, "output_specs"):
        outs = [o for o, spec in zip(outs, sig.output_specs) if spec.kind.name == "USER_OUTPUT"]
    elif hasattr(sig, "user_outputs"):
        wanted = set(sig.user_outputs)
        outs = [o for o in outs if getattr(o, "name", None) in wanted]
    return Traced(gm, placeholders, outs, "torch.export.export + run_decompositions (torch %s)" % torch.__version__)


def decomposition_table():
    import torch._decomp as decomp

    if hasattr(decomp, "core_aten_decompositions"):
        return decomp.core_aten_decompositions()
    aten = torch.ops.aten
    return decomp.get_decompositions([getattr(aten, n) for n in DECOMPOSE_113 if hasattr(aten, n)])


def functional_call():
    func = getattr(torch, "func", None)
    if func is not None and hasattr(func, "functional_call"):
        return func.functional_call
    from torch.nn.utils import stateless

    return stateless.functional_call


def functionalize():
    func = getattr(torch, "func", None)
    if func is not None and hasattr(func, "functionalize"):
        return func.functionalize
    try:
        from functorch import functionalize as f

        return f
    except ImportError:
        return None


def trace_make_fx(net, inputs):
    from torch.fx.experimental.proxy_tensor import make_fx

    params = list(net.named_parameters())
    buffers = list(net.named_buffers())
    weights = params + buffers
    call = functional_call()

    def forward(*args):
        state = dict((name, t) for (name, _), t in zip(weights, args[: len(weights)]))
        return call(net, state, tuple(args[len(weights):]))

    # floating parameters that require grad, traced with grad enabled: without, modules take inference-only fused
    # kernels (nn.MultiheadAttention's _native_multi_head_attention) that are no Core ATen ops; nothing runs backward.
    # Functionalization hides requires_grad, so it is used only where the plain trace mutates a tensor in place.
    args = [t.detach().requires_grad_(t.is_floating_point()) for _, t in params] + [t for _, t in buffers] + list(inputs)
    table = decomposition_table()
    with torch.enable_grad():
        gm = make_fx(forward, decomposition_table=table)(*args)
    wrap = functionalize() if not functional_inplace(gm) else None
    if wrap is not None:
        with torch.enable_grad():
            gm = make_fx(wrap(forward), decomposition_table=table)(*args)
    gm.graph.eliminate_dead_code()
    nodes = [n for n in gm.graph.nodes if n.op == "placeholder"]
    # make_fx flattens the arguments in order: the weights, then the user inputs
    names = input_names(net, len(inputs))
    kinds = [("parameter", "p_" + ident(n), t) for n, t in params]
    kinds += [("buffer", "b_" + ident(n), t) for n, t in buffers]
    kinds += [("input", names[i], t) for i, t in enumerate(inputs)]
    if len(nodes) != len(kinds):
        raise CaptureError("make_fx gave %d placeholders for %d weights and inputs" % (len(nodes), len(kinds)))
    placeholders = dict(zip(nodes, kinds))
    out_node = next(n for n in gm.graph.nodes if n.op == "output")
    outs = flatten_values(out_node.args[0])
    tracer = "make_fx%s (torch %s)" % (" + functionalize" if wrap is not None else "", torch.__version__)
    return Traced(gm, placeholders, outs, tracer)


def writes(schema):
    return [i for i, a in enumerate(schema.arguments) if a.alias_info is not None and a.alias_info.is_write]


def is_view(node):
    schema = schema_of(node) if node.op == "call_function" else None
    return schema is not None and any(r.alias_info is not None for r in schema.returns)


def functional_inplace(gm):
    """Turns in-place ops into their functional twins where that is plainly the same computation: `relu_(x)` on a
    tensor x that an earlier node made, that is no view and that nothing views, becomes `relu(x)`, read by every later
    reader of x. True when no op that writes into an argument is left (else the graph is left to functionalization)."""
    order = dict((n, i) for i, n in enumerate(gm.graph.nodes))
    for node in list(gm.graph.nodes):
        schema = schema_of(node) if node.op == "call_function" else None
        if schema is None or not writes(schema):
            continue
        src = node.args[0] if node.args else None
        target = node.target
        packet = getattr(torch.ops.aten, target.overloadpacket.__name__.rstrip("_"), None) if writes(schema) == [0] else None
        twin = getattr(packet, target._overloadname, None) if packet is not None else None
        if twin is None or src is None or src.op != "call_function" or is_view(src) or any(is_view(u) for u in src.users if u is not node):
            return False
        node.target = twin
        for user in list(src.users):
            if user is not node and order[user] > order[node]:
                user.replace_input_with(src, node)
    gm.recompile()
    return True


def flatten_values(x):
    """The leaves of nested tuples, lists and dicts, in order: a module's outputs, or the FX output node's nodes."""
    if isinstance(x, (tuple, list)):
        out = []
        for item in x:
            out.extend(flatten_values(item))
        return out
    if isinstance(x, dict):
        out = []
        for key in x:
            out.extend(flatten_values(x[key]))
        return out
    return [x]


# ---------------------------------------------------------------- the graph as accelcert spells it

def op_name(target):
    if target is operator.getitem:
        return "getitem"
    name = str(target)
    return name


def schema_of(node):
    return getattr(node.target, "_schema", None)


def type_kind(t):
    """The schema type's kind, unwrapping Optional: ('List', inner kind) for lists."""
    while t.kind() == "OptionalType":
        t = t.getElementType()
    if t.kind() == "ListType":
        inner = t.getElementType()
        while inner.kind() == "OptionalType":
            inner = inner.getElementType()
        return ("List", inner.kind())
    return (t.kind(), None)


def is_default_kwarg(name, value):
    """device, layout, pin_memory and memory_format arguments that say what the graph would do anyway."""
    if name == "device":
        return value is None or isinstance(value, (torch.device, str))
    if name == "layout":
        return value is None or value == torch.strided
    if name == "pin_memory":
        return value is None or value is False
    if name == "memory_format":
        return value is None or value in (torch.preserve_format, torch.contiguous_format)
    return False


def float_arg(v):
    v = float(v)
    if math.isnan(v):
        return {"kind": "float", "value": "nan"}
    if math.isinf(v):
        return {"kind": "float", "value": "inf" if v > 0 else "-inf"}
    return {"kind": "float", "value": v}


class Converter(object):
    def __init__(self, traced):
        self.traced = traced
        self.value_of = {}  # FX node -> value number (single-tensor nodes and placeholders)
        self.base_of = {}  # FX node -> first value number (tuple-returning nodes, read through getitem)
        self.alias = {}  # FX node -> the node it is an identity of

    def resolve(self, node):
        while node in self.alias:
            node = self.alias[node]
        return node

    def tensor_ref(self, x, where):
        import torch.fx

        if not isinstance(x, torch.fx.Node):
            raise CaptureError("%s passes a %s where a tensor is expected" % (where, type(x).__name__))
        x = self.resolve(x)
        if x.op == "call_function" and x.target is operator.getitem:
            src = self.resolve(x.args[0])
            if src not in self.base_of:
                raise CaptureError("%s reads item %r of %s, which yields no tuple" % (where, x.args[1], src.name))
            return self.base_of[src] + int(x.args[1])
        if x not in self.value_of:
            raise CaptureError("%s reads %s, which yields no tensor accelcert numbers" % (where, x.name))
        return self.value_of[x]

    def arg(self, value, schema_type, where):
        import torch.fx

        kind, inner = type_kind(schema_type) if schema_type is not None else (None, None)
        if isinstance(value, torch.fx.Node):
            return {"kind": "tensor", "index": self.tensor_ref(value, where)}
        if value is None:
            return {"kind": "none"}
        if isinstance(value, bool):
            return {"kind": "bool", "value": value}
        if isinstance(value, torch.dtype):
            if value not in DTYPE_OF:
                raise CaptureError("%s passes dtype %s, which accelcert does not know" % (where, value))
            return {"kind": "dtype", "value": DTYPE_OF[value]}
        if isinstance(value, int):
            if kind == "FloatType":
                return float_arg(value)
            return {"kind": "int", "value": int(value)}
        if isinstance(value, float):
            if kind in ("IntType", "SymIntType") and float(value).is_integer():
                return {"kind": "int", "value": int(value)}
            return float_arg(value)
        if isinstance(value, str):
            return {"kind": "str", "value": value}
        if isinstance(value, (list, tuple, torch.Size)):
            items = list(value)
            if any(isinstance(v, torch.fx.Node) for v in items) or inner == "TensorType":
                if any(v is None for v in items):
                    raise CaptureError("%s passes a list of tensors holding None, which accelcert cannot spell" % where)
                return {"kind": "tensors", "indices": [self.tensor_ref(v, where) for v in items]}
            if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
                return {"kind": "ints", "value": [int(v) for v in items]}
            raise CaptureError("%s passes the list %r, which accelcert cannot spell (only ints and tensors)" % (where, value))
        raise CaptureError("%s passes a %s (%r), which accelcert cannot spell" % (where, type(value).__name__, value))

    def node(self, node, number):
        """The accelcert node of an FX call, and how many values it defines."""
        name = op_name(node.target)
        if not name.startswith("aten."):
            raise CaptureError("node %s calls %s, which is not an ATen operator" % (node.name, name))
        schema = schema_of(node)
        if schema is None:
            raise CaptureError("node %s calls %s, whose schema accelcert cannot read" % (node.name, name))
        arguments = list(schema.arguments)
        args = []
        kwargs = {}
        for i, value in enumerate(node.args):
            a = arguments[i] if i < len(arguments) else None
            where = "node %s (%s) argument %s" % (node.name, name, a.name if a is not None else i)
            if a is not None and a.name in ("device", "layout", "pin_memory", "memory_format"):
                if is_default_kwarg(a.name, value):
                    continue
                raise CaptureError("%s is %r, which accelcert cannot spell" % (where, value))
            args.append(self.arg(value, a.type if a is not None else None, where))
        by_name = dict((a.name, a) for a in arguments)
        for key, value in node.kwargs.items():
            where = "node %s (%s) argument %s" % (node.name, name, key)
            if key in ("device", "layout", "pin_memory", "memory_format"):
                if is_default_kwarg(key, value):
                    continue
                raise CaptureError("%s is %r, which accelcert cannot spell" % (where, value))
            a = by_name.get(key)
            kwargs[key] = self.arg(value, a.type if a is not None else None, where)
        returns = list(schema.returns)
        if len(returns) == 1 and type_kind(returns[0].type)[0] != "List":
            self.value_of[node] = number
            outputs = 1
        else:
            outputs = self.count_outputs(node, returns)
            self.base_of[node] = number
        if outputs < 1:
            raise CaptureError("node %s (%s) yields no tensor" % (node.name, name))
        return {"name": node.name, "op": name, "args": args, "kwargs": kwargs, "outputs": outputs}

    def count_outputs(self, node, returns):
        if not any(type_kind(r.type)[0] == "List" for r in returns):
            return len(returns)
        val = node.meta.get("val", node.meta.get("tensor_meta"))
        if isinstance(val, (list, tuple)):
            return len(flatten_values(val))
        used = [int(u.args[1]) for u in node.users if u.op == "call_function" and u.target is operator.getitem]
        if len(returns) == 1 and used:
            return max(used) + 1
        raise CaptureError("node %s (%s) returns a list whose length accelcert cannot read" % (node.name, op_name(node.target)))


def attribute(gm, node):
    value = gm
    for part in node.target.split("."):
        value = getattr(value, part)
    return value


def rank_of(gm, node):
    """The rank of the tensor an FX node yields, or None where the graph does not say."""
    if node.op == "get_attr":
        value = attribute(gm, node)
        return value.dim() if isinstance(value, torch.Tensor) else None
    meta = node.meta.get("val", node.meta.get("tensor_meta"))
    shape = getattr(meta, "shape", None)
    return None if shape is None else len(shape)


def takes(schema, args):
    """Whether an overload's positional parameters take these values: numbers where it has numbers, FX nodes where
    it has tensors."""
    import torch.fx

    params = list(schema.arguments)
    if len(args) > len(params):
        return False
    for value, a in zip(args, params):
        kind = type_kind(a.type)[0]
        if isinstance(value, torch.fx.Node):
            if kind != "TensorType":
                return False
        elif isinstance(value, (int, float)) and kind == "TensorType":
            return False
    return True


def scalar_overload(node):
    """The overload of the same op that takes a number where the graph passes one to a Tensor parameter (PyTorch wraps
    it; `mul.Tensor(x, 0.5)` is `mul.Scalar(x, 0.5)`), or None when the node needs none or the op has none."""
    schema = schema_of(node)
    if schema is None or takes(schema, node.args):
        return None
    packet = node.target.overloadpacket
    names = packet.overloads() if hasattr(packet, "overloads") else ["Scalar", "Tensor_Scalar", "Scalar_Tensor"]
    for name in names:
        overload = getattr(packet, name, None)
        other = getattr(overload, "_schema", None)
        if other is not None and takes(other, node.args) and not writes(other) and set(node.kwargs) <= set(a.name for a in other.arguments):
            return overload
    return None


def tensor_meta(gm, node):
    """(shape, dtype, contiguous) of the tensor an FX node yields, or None where the trace does not say."""
    if node.op == "get_attr":
        value = attribute(gm, node)
        return (list(value.shape), value.dtype, value.is_contiguous()) if isinstance(value, torch.Tensor) else None
    val = node.meta.get("val")
    if isinstance(val, torch.Tensor):
        return list(val.shape), val.dtype, val.is_contiguous()
    meta = node.meta.get("tensor_meta")
    if meta is None or not hasattr(meta, "stride"):
        return None
    shape = list(meta.shape)
    expected, contiguous = 1, True
    for size, stride in reversed(list(zip(shape, meta.stride))):
        if size != 1 and stride != expected:
            contiguous = False
        expected *= size
    return shape, meta.dtype, contiguous


def contiguous_copies(gm):
    """accelcert's arguments have no memory format. A copy that asks for the contiguous format (what `.contiguous()`
    and `reshape` lower to) of a tensor that is not contiguous is kept as the plain copy, multiplied into a contiguous
    tensor of ones: exactly the same values, laid out contiguously, so that a later view works on any device."""
    import torch.fx

    aten = torch.ops.aten
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node.kwargs.get("memory_format") is not torch.contiguous_format:
            continue
        src = node.args[0] if node.args and isinstance(node.args[0], torch.fx.Node) else None
        if src is None:
            continue  # a factory op: contiguous is its default
        node.kwargs = dict((k, v) for k, v in node.kwargs.items() if k != "memory_format")
        src_meta = tensor_meta(gm, src)
        out_meta = tensor_meta(gm, node)
        if src_meta is not None and src_meta[2]:
            continue
        if out_meta is None:
            raise CaptureError("node %s asks for a contiguous copy of a tensor whose shape the trace does not record" % node.name)
        with gm.graph.inserting_after(node):
            ones = gm.graph.call_function(aten.full.default, (out_meta[0], 1), {"dtype": out_meta[1]})
        with gm.graph.inserting_after(ones):
            dense = gm.graph.call_function(aten.mul.Tensor, (ones, node))
        node.replace_all_uses_with(dense, delete_user_cb=lambda user: user is not dense)


def rewrite(gm):
    """Overloads PyTorch leaves that accelcert spells as another: a number passed to a Tensor parameter takes the op's
    Scalar overload, sum.default is sum.dim_IntList over every dim, and contiguous copies are spelt without a memory
    format (contiguous_copies)."""
    aten = torch.ops.aten
    contiguous_copies(gm)
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and schema_of(node) is not None:
            overload = scalar_overload(node)
            if overload is not None:
                node.target = overload
        if node.op == "call_function" and node.target == aten.sum.default:
            rank = rank_of(gm, node.args[0])
            if rank is None:
                continue
            node.target = aten.sum.dim_IntList
            dtype = node.kwargs.get("dtype")
            node.args = (node.args[0], list(range(rank)), False)
            node.kwargs = {"dtype": dtype} if dtype is not None else {}


def build(traced, keep_weights):
    gm = traced.gm
    rewrite(gm)
    conv = Converter(traced)
    placeholders = []
    specs = []
    number = 0
    # the placeholders in graph order, then the tensor constants make_fx keeps as attributes
    entries = [(n, traced.placeholders[n]) for n in gm.graph.nodes if n.op == "placeholder"]
    for node in gm.graph.nodes:
        if node.op == "get_attr":
            value = attribute(gm, node)
            if not isinstance(value, torch.Tensor):
                raise CaptureError("node %s reads attribute %s, which is not a tensor" % (node.name, node.target))
            entries.append((node, ("constant", "c_" + ident(node.target), value)))
    taken = set(n.name for n in gm.graph.nodes if n.op == "call_function")
    for node, (kind, name, tensor) in entries:
        unique = name
        k = 1
        while unique in taken:
            unique = "%s_%d" % (name, k)
            k += 1
        taken.add(unique)
        placeholders.append({"name": unique, "kind": kind})
        specs.append(input_spec(tensor, keep_weights and kind != "input", "%s %s" % (kind, unique)))
        conv.value_of[node] = number
        number += 1
    nodes = []
    for node in gm.graph.nodes:
        if node.op != "call_function" or node.target is operator.getitem:
            continue
        name = op_name(node.target)
        if name in IDENTITY_OPS:
            conv.alias[node] = node.args[0]
            continue
        if name.startswith(ASSERT_PREFIXES):
            continue
        n = conv.node(node, number)
        nodes.append(n)
        number += n["outputs"]
    outputs = []
    for i, out in enumerate(traced.outputs):
        outputs.append(conv.tensor_ref(out, "output %d of the graph" % i))
    if not nodes:
        raise CaptureError("the traced graph calls no ATen operator (the module returns its inputs unchanged)")
    return placeholders, specs, nodes, outputs


# ---------------------------------------------------------------- inputs as recipes

def dtype_name(t, what):
    name = DTYPE_OF.get(t.dtype)
    if name is None:
        raise CaptureError("%s has dtype %s, which accelcert does not know" % (what, t.dtype))
    return name


def number(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def input_spec(t, keep, what):
    t = t.detach()
    if t.layout != torch.strided:
        raise CaptureError("%s is a %s tensor; accelcert feeds dense tensors only" % (what, t.layout))
    dtype = dtype_name(t, what)
    spec = {"dtype": dtype, "shape": list(t.shape), "layout": {"kind": "contiguous"}}
    flat = t.reshape(-1).cpu()
    if keep:
        if dtype == "bool":
            values = [1 if v else 0 for v in flat.tolist()]
        elif t.is_floating_point():
            values = [number(v) for v in flat.double().tolist()]
        else:
            values = [int(v) for v in flat.tolist()]
            if dtype == "int64" and any(abs(v) > 2 ** 53 - 1 for v in values):
                raise CaptureError("%s holds int64 values beyond 2^53, which accelcert's reference cannot hold" % what)
        spec["recipe"] = {"kind": "values", "values": values}
        return spec
    spec["recipe"] = recipe_like(flat, dtype)
    return spec


def recipe_like(flat, dtype):
    """A seeded recipe of the tensor's scale: normal(mean, std) for floats (uniform over [min, max] for a
    non-negative tensor that a normal draw would take below zero), int(min, max), bool(p)."""
    if dtype == "bool":
        p = float(flat.double().mean()) if flat.numel() else 0.5
        return {"kind": "bool", "p": min(max(p, 0.0), 1.0)}
    if not flat.is_floating_point():
        if flat.numel() == 0:
            return {"kind": "int", "low": 0, "high": 1}
        return {"kind": "int", "low": int(flat.min()), "high": int(flat.max())}
    x = flat.double()
    x = x[torch.isfinite(x)]
    if x.numel() == 0:
        return {"kind": "normal", "mean": 0.0, "std": 1.0}
    mean = float(x.mean())
    std = float(x.std(unbiased=False)) if x.numel() > 1 else 0.0
    lo = float(x.min())
    hi = float(x.max())
    if not std > 0:
        std = 1e-3 * max(1.0, abs(mean))
    if lo >= 0 and mean - 3 * std < 0 and hi > lo:
        return {"kind": "uniform", "low": lo, "high": hi}
    return {"kind": "normal", "mean": mean, "std": std}


def default_checks(outputs, file_dtype):
    checks = []
    for i, t in enumerate(outputs):
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.dim() >= 1 and t.shape[-1] > 1:
            name = DTYPE_OF.get(t.dtype, file_dtype)
            checks.append({"kind": "cosine", "output": i, "min": COSINE_MIN.get(name, COSINE_MIN_LOW)})
    return checks


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(prog="capture.py", description="trace a PyTorch module to an accelcert graph file")
    p.add_argument("script")
    p.add_argument("out")
    p.add_argument("--keep-weights", action="store_true")
    p.add_argument("--name")
    p.add_argument("--dtype")
    return p.parse_args(argv)


def capture(opts):
    net, inputs = load_script(opts.script)
    if opts.name is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", opts.name):
        raise CaptureError("--name %r is not one id segment (letters, digits, ., _ and -)" % opts.name)
    if opts.dtype is not None:
        target = DTYPES.get(opts.dtype)
        if target is None or not target.is_floating_point:
            raise CaptureError("--dtype %s is not a floating dtype this PyTorch has" % opts.dtype)
        net = net.to(target)
        inputs = tuple(t.to(target) if t.is_floating_point() else t for t in inputs)
    net.eval()
    with torch.no_grad():
        try:
            eager = net(*inputs)
        except BaseException as exc:
            raise CaptureError("%s: the module raised %s on example_inputs()" % (opts.script, first_line(exc)))
    eager_outputs = flatten_values(eager)
    for i, t in enumerate(eager_outputs):
        if not isinstance(t, torch.Tensor):
            raise CaptureError("%s: the module's output %d is a %s, not a tensor" % (opts.script, i, type(t).__name__))
    try:
        traced = trace_export(net, inputs) if has_export() else trace_make_fx(net, inputs)
    except CaptureError:
        raise
    except Exception as exc:
        raise CaptureError("%s: PyTorch %s cannot trace the module: %s" % (opts.script, torch.__version__, first_line(exc)))
    placeholders, specs, nodes, outputs = build(traced, opts.keep_weights)
    if len(outputs) != len(eager_outputs):
        raise CaptureError("the traced graph returns %d tensors, the module %d" % (len(outputs), len(eager_outputs)))
    if opts.dtype is not None:
        dtype = opts.dtype
    else:
        floats = [t for t in inputs if t.is_floating_point()] + [p for p in net.parameters() if p.is_floating_point()]
        dtype = DTYPE_OF.get(floats[0].dtype, "float32") if floats else "float32"
    name = opts.name or kebab(type(net).__name__)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "family": "captured",
        "dtype": dtype,
        "graph": {"name": name, "placeholders": placeholders, "nodes": nodes, "outputs": outputs},
        "inputs": specs,
        "checks": default_checks(eager_outputs, dtype),
        "source": {
            "torch": torch.__version__,
            "module": "%s:%s" % (os.path.basename(opts.script), type(net).__name__),
            "tracer": traced.tracer,
            "keptWeights": bool(opts.keep_weights),
        },
    }


def main(argv):
    opts = parse_args(argv)
    try:
        doc = capture(opts)
    except CaptureError as exc:
        fail(str(exc))
    text = json.dumps(doc, indent=1, allow_nan=False)
    try:
        directory = os.path.dirname(os.path.abspath(opts.out))
        if not os.path.isdir(directory):
            os.makedirs(directory)
        tmp = opts.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, opts.out)
    except OSError as exc:
        fail("cannot write %s: %s" % (opts.out, exc.strerror or exc))


if __name__ == "__main__":
    main(sys.argv[1:])
