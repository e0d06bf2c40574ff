#!/usr/bin/env python3
"""accelcert pytorch worker: runs ATen ops, and graphs of them, and times them, on any device PyTorch can address.

Speaks the accelcert worker protocol (docs/driver-protocol.md) on fd 3 (requests in) and fd 4 (replies out);
stdout and stderr are free for whatever PyTorch and its plugins print. Standard library + torch only, and
compatible with Python 3.7+ and PyTorch 1.13 through 2.x.
"""
import ctypes
import json
import os
import platform
import queue
import struct
import subprocess
import sys
import threading
import time
import types

# cuBLAS is deterministic only with a fixed workspace; must be set before CUDA initialises
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

try:
    import torch
except ImportError as exc:  # the harness probes for torch first; this is the fallback explanation
    sys.stderr.write("accelcert worker: cannot import torch: %s\n" % exc)
    sys.exit(3)

import bench  # noqa: E402  (this script's folder is on sys.path; needs torch, which is checked above)
import collectives  # noqa: E402

PROTOCOL = 1
WORKER_NAME = "accelcert-pytorch-worker"
WORKER_VERSION = "1"
MAGIC = b"ACRT"
PREFIX = struct.Struct("<4sIQ")
MAX_HEADER = 16 * 1024 * 1024
MAX_BODY = 2 * 1024 * 1024 * 1024
ALIGN = 64
IN_FD = 3
OUT_FD = 4

DTYPE_NAMES = [
    "float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
    "int64", "int32", "int16", "int8", "uint8", "bool",
]
# dtypes this torch build has (torch 1.13 has no float8)
DTYPES = dict((n, getattr(torch, n)) for n in DTYPE_NAMES if isinstance(getattr(torch, n, None), torch.dtype))
DTYPE_OF = dict((v, k) for k, v in DTYPES.items())


class WorkerFailure(Exception):
    """A typed failure that becomes an error reply."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message


# ---------------------------------------------------------------- framing

def read_exact(fd, n):
    """n bytes from fd into a fresh bytearray, or None on a clean EOF before the first byte."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]]) if hasattr(os, "readv") else _read_into(fd, view[got:])
        if k == 0:
            if got == 0:
                return None
            raise EOFError("stream ended inside a frame")
        got += k
    return buf


def _read_into(fd, view):
    data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)


def read_frame(fd):
    prefix = read_exact(fd, PREFIX.size)
    if prefix is None:
        return None
    magic, hlen, blen = PREFIX.unpack(bytes(prefix))
    if magic != MAGIC:
        raise ValueError("not an accelcert frame (bad magic)")
    if hlen < 2 or hlen > MAX_HEADER or blen > MAX_BODY:
        raise ValueError("frame sizes out of bounds")
    header = json.loads(bytes(read_exact(fd, hlen) or b"").decode("utf-8"))
    body = read_exact(fd, blen) if blen else bytearray()
    if body is None:
        raise EOFError("stream ended inside a frame")
    return header, body


def write_all(fd, data):
    view = memoryview(data).cast("B")
    while len(view):
        n = os.write(fd, view)
        view = view[n:]


def send(fd, header, chunks=()):
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    body_len = sum(len(memoryview(c).cast("B")) for c in chunks)
    first = PREFIX.pack(MAGIC, len(head), body_len) + head
    if body_len < 65536:
        # one write for small frames: fewer syscalls per exec
        write_all(fd, b"".join([first] + [bytes(memoryview(c).cast("B")) for c in chunks]))
        return
    write_all(fd, first)
    for c in chunks:
        write_all(fd, c)


# ---------------------------------------------------------------- numerics modes and fingerprints

def set_numerics_modes():
    """Strict IEEE float32 everywhere, deterministic kernels where possible; returns what was set."""
    modes = {}
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        modes["cuda.matmul.allow_tf32"] = str(torch.backends.cuda.matmul.allow_tf32)
    except Exception:
        pass
    try:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        modes["cudnn.allow_tf32"] = str(torch.backends.cudnn.allow_tf32)
        modes["cudnn.deterministic"] = str(torch.backends.cudnn.deterministic)
    except Exception:
        pass
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")
        modes["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    for flag in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        try:  # left at PyTorch's default, but recorded; older builds raise on unknown names
            modes["cuda.matmul." + flag] = str(getattr(torch.backends.cuda.matmul, flag))
        except (AttributeError, AssertionError):
            pass
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        modes["deterministic_algorithms"] = "True (warn_only)"
    except TypeError:  # no warn_only before 1.11
        modes["deterministic_algorithms"] = "False"
    return modes


def run_quiet(argv, timeout=10):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout, check=False)
        return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


_driver_version_cache = {}


def gpu_driver_version(hip):
    key = "hip" if hip else "cuda"
    if key not in _driver_version_cache:
        version = None
        if hip:
            out = run_quiet(["rocm-smi", "--showdriverversion"])
            for line in (out or "").splitlines():
                if "version" in line.lower() and ":" in line:
                    version = line.split(":", 1)[1].strip() or None
        else:
            out = run_quiet(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
            lines = [l.strip() for l in (out or "").splitlines() if l.strip()]
            version = lines[0] if lines else None
        _driver_version_cache[key] = version
    return _driver_version_cache[key]


def host_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        out = run_quiet(["sysctl", "-n", "hw.memsize"])
        return int(out.strip()) if out and out.strip().isdigit() else None


def cpu_model():
    vendor, model = None, None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "vendor_id" and vendor is None:
                    vendor = value.strip()
                elif key == "model name" and model is None:
                    model = value.strip()
    except OSError:
        pass
    if model is None and sys.platform == "darwin":
        out = run_quiet(["sysctl", "-n", "machdep.cpu.brand_string"])
        model = out.strip() if out else None
    vendor = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(vendor or "", vendor)
    if vendor is None and model and model.startswith("Apple"):
        vendor = "Apple"
    return vendor or platform.machine() or "unknown", model or platform.processor() or platform.machine() or "unknown"


def cpu_capability():
    """The CPU kernels ATen dispatches to, as torch reports them (torch 2.x has an API; 1.13 only prints it)."""
    getter = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    if getter is not None:
        return str(getter())
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return None


def base_extra():
    extra = dict(NUMERICS)
    extra["python"] = platform.python_version()
    extra["platform"] = platform.platform()
    if getattr(torch.version, "git_version", None):
        extra["torch_git"] = torch.version.git_version
    if getattr(torch.version, "cuda", None):
        extra["cuda_version"] = torch.version.cuda
    if getattr(torch.version, "hip", None):
        extra["hip_version"] = torch.version.hip
    return extra


def framework():
    return {"name": "torch", "version": torch.__version__}


def privateuse1_name():
    getter = getattr(torch._C, "_get_privateuse1_backend_name", None)
    if getter is None:
        return None
    name = getter()
    return None if name in (None, "", "privateuseone") else name


def fingerprint(device):
    """Fingerprint of a torch.device."""
    kind = device.type
    extra = base_extra()
    if kind == "cpu":
        vendor, model = cpu_model()
        extra["threads"] = str(torch.get_num_threads())
        # which vectorised kernels ATen chose (AVX512, AVX2, or NO AVX under ATEN_CPU_CAPABILITY=default)
        capability = cpu_capability()
        if capability:
            extra["cpu_capability"] = capability
        return dict(vendor=vendor, model=model, memoryBytes=host_memory(), driverVersion=None, framework=framework(), extra=extra)
    if kind == "cuda":
        props = torch.cuda.get_device_properties(device)
        hip = bool(getattr(torch.version, "hip", None))
        extra["compute_capability"] = "%d.%d" % (props.major, props.minor)
        extra["multiprocessors"] = str(props.multi_processor_count)
        for attr in ("gcnArchName", "uuid"):
            if getattr(props, attr, None) is not None:
                extra[attr] = str(getattr(props, attr))
        if not hip and torch.backends.cudnn.is_available():
            extra["cudnn_version"] = str(torch.backends.cudnn.version())
        return dict(vendor="AMD" if hip else "NVIDIA", model=props.name, memoryBytes=int(props.total_memory),
                    driverVersion=gpu_driver_version(hip), framework=framework(), extra=extra)
    if kind == "xpu":
        props = torch.xpu.get_device_properties(device)
        driver = getattr(props, "driver_version", None)
        return dict(vendor="Intel", model=getattr(props, "name", "Intel XPU"), memoryBytes=getattr(props, "total_memory", None),
                    driverVersion=str(driver) if driver else None, framework=framework(), extra=extra)
    if kind == "mps":
        _, model = cpu_model()
        return dict(vendor="Apple", model=model, memoryBytes=host_memory(), driverVersion=None, framework=framework(), extra=extra)
    module = getattr(torch, kind, None)
    model, memory = kind, None
    if module is not None:
        index = device.index or 0
        if hasattr(module, "get_device_name"):
            model = str(module.get_device_name(index))
        if hasattr(module, "get_device_properties"):
            memory = getattr(module.get_device_properties(index), "total_memory", None)
    return dict(vendor=kind, model=model, memoryBytes=memory, driverVersion=None, framework=framework(), extra=extra)


def accelerator_backends():
    """(device type, count) for every accelerator backend this torch build can see."""
    found = []
    if torch.cuda.is_available():
        found.append(("cuda", torch.cuda.device_count()))
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and hasattr(xpu, "is_available") and xpu.is_available():
        found.append(("xpu", xpu.device_count()))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(("mps", 1))
    name = privateuse1_name()
    module = getattr(torch, name, None) if name else None
    if module is not None and hasattr(module, "device_count"):
        available = module.is_available() if hasattr(module, "is_available") else True
        if available:
            found.append((name, module.device_count()))
    return found


def device_strings():
    out = []
    for kind, count in accelerator_backends():
        if kind == "mps":
            out.append("mps")
        else:
            out.extend("%s:%d" % (kind, i) for i in range(count))
    out.append("cpu")
    return out


def synchronize(device):
    kind = device.type
    if kind == "cpu":
        return
    if kind == "cuda":
        torch.cuda.synchronize(device)
        return
    if kind == "mps":
        if hasattr(torch, "mps") and hasattr(torch.mps, "synchronize"):
            torch.mps.synchronize()
        return
    module = getattr(torch, kind, None)
    if module is not None and hasattr(module, "synchronize"):
        module.synchronize()


def resolve_device(text):
    """torch.device for a device string, or a WorkerFailure('invalid_device') saying why it cannot be used."""
    if text is None:
        text = device_strings()[0]
    try:
        device = torch.device(text)
    except (RuntimeError, ValueError) as exc:
        raise WorkerFailure("invalid_device", first_line(exc))
    kind = device.type
    if kind != "cpu" and kind != "mps":
        available = dict(accelerator_backends())
        if kind not in available:
            raise WorkerFailure("invalid_device", "this PyTorch %s has no usable %s device" % (torch.__version__, kind))
        count = available[kind]
        index = device.index if device.index is not None else 0
        if index >= count:
            raise WorkerFailure("invalid_device", "%s:%d does not exist (PyTorch sees %d %s device%s)"
                                % (kind, index, count, kind, "" if count == 1 else "s"))
        device = torch.device(kind, index)
    elif kind == "mps" and kind not in dict(accelerator_backends()):
        raise WorkerFailure("invalid_device", "this PyTorch %s has no usable mps device" % torch.__version__)
    try:
        module = getattr(torch, device.type, None)
        if device.index is not None and module is not None and hasattr(module, "set_device"):
            # events, streams and allocations without an explicit device then land on this one
            module.set_device(device)
        torch.empty(1, device=device)
        synchronize(device)
    except Exception as exc:
        raise WorkerFailure("invalid_device", first_line(exc))
    return device


# ---------------------------------------------------------------- exec

def first_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:2000]


def classify(exc):
    """The typed error of an exception an op raised."""
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, MemoryError) or name == "OutOfMemoryError" or "out of memory" in text.lower() \
            or "can't allocate memory" in text:
        return "out_of_memory"
    if isinstance(exc, NotImplementedError) or "not implemented for" in text or "Could not run '" in text:
        return "unsupported"
    return "runtime"


def lookup_op(name):
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "aten":
        raise WorkerFailure("unsupported", "%s is not an ATen overload name (aten.<op>.<overload>)" % name)
    try:  # depending on the version, a missing name raises AttributeError or RuntimeError
        overload = getattr(getattr(torch.ops.aten, parts[1]), parts[2])
    except (AttributeError, RuntimeError):
        overload = None
    if overload is None:
        raise WorkerFailure("unsupported", "PyTorch %s has no operator %s" % (torch.__version__, name))
    return overload


def takes_device(op):
    """Whether the overload's schema has a `device` argument (the factory ops)."""
    try:
        return any(a.name == "device" for a in op._schema.arguments)
    except AttributeError:
        return False


def make_input(spec, body, device):
    """Rebuilds the exact view the harness sent: a storage of the same size, then as_strided on the device."""
    dtype = DTYPES.get(spec["dtype"])
    if dtype is None:
        raise WorkerFailure("unsupported", "PyTorch %s has no dtype %s" % (torch.__version__, spec["dtype"]))
    itemsize = torch.empty((), dtype=dtype).element_size()
    length = spec["byteLength"]
    if length % itemsize or spec["byteOffset"] + length > len(body):
        raise WorkerFailure("bad_request", "input storage lies outside the frame body")
    if length:
        # a view of the request's own buffer (fresh per frame, kept alive by the tensor): no copy on the host
        storage = torch.frombuffer(body, dtype=torch.uint8, count=length, offset=spec["byteOffset"]).view(dtype)
    else:
        storage = torch.empty(0, dtype=dtype)
    if device.type != "cpu":
        storage = storage.to(device)
    return storage.as_strided(spec["shape"], spec["strides"], spec["offset"])


def make_arg(arg, values):
    """The Python value of a wire argument; `tensor`/`tensors` name entries of `values` (an exec's inputs, or the
    values a graph has defined so far)."""
    kind = arg["kind"]
    if kind == "tensor":
        return value_at(values, arg["index"])
    if kind == "tensors":
        return [value_at(values, i) for i in arg["indices"]]
    if kind == "int":
        return int(arg["value"])
    if kind == "float":
        return float(arg["value"])  # float() reads "inf", "-inf" and "nan" too
    if kind == "bool":
        return bool(arg["value"])
    if kind == "ints":
        return [int(v) for v in arg["value"]]
    if kind == "str":
        return str(arg["value"])
    if kind == "dtype":
        dtype = DTYPES.get(arg["value"])
        if dtype is None:
            raise WorkerFailure("unsupported", "PyTorch %s has no dtype %s" % (torch.__version__, arg["value"]))
        return dtype
    if kind == "none":
        return None
    raise WorkerFailure("bad_request", "unknown argument kind %r" % kind)


def value_at(values, index):
    # an index past the values defined so far is a malformed request, not an error of the device
    if not 0 <= index < len(values):
        raise WorkerFailure("bad_request", "an argument names tensor %d, but only %d are defined" % (index, len(values)))
    return values[index]


def make_call(op, arg_specs, kwarg_specs, values, device):
    """Positional and keyword arguments of one ATen call."""
    args = [make_arg(a, values) for a in arg_specs]
    kwargs = dict((k, make_arg(v, values)) for k, v in kwarg_specs.items())
    # factory ops (full, arange, rand, randperm, empty …) take no tensor to follow: without a device argument they
    # would run on the CPU, whatever device is under test
    if "device" not in kwargs and takes_device(op):
        kwargs["device"] = device
    return args, kwargs


def flatten_outputs(result):
    if result is None:
        return []
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(flatten_outputs(r))
        return out
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, bool):
        return [torch.tensor(result, dtype=torch.bool)]
    if isinstance(result, int):
        return [torch.tensor(result, dtype=torch.int64)]
    if isinstance(result, float):
        return [torch.tensor(result, dtype=torch.float64)]
    raise WorkerFailure("runtime", "the op returned a %s, which accelcert cannot compare" % type(result).__name__)


def to_host(t):
    t = t.detach()
    if t.layout != torch.strided:
        raise WorkerFailure("runtime", "the op returned a %s tensor, which accelcert cannot compare" % t.layout)
    if t.is_complex():
        # complex results travel as their real view: float32/float64 with a trailing dim of 2 (real, imaginary)
        t = torch.view_as_real(t.resolve_conj() if hasattr(t, "resolve_conj") else t)
    if t.dtype not in DTYPE_OF:
        raise WorkerFailure("runtime", "the op returned dtype %s, which accelcert does not know" % t.dtype)
    if t.device.type != "cpu":
        t = t.cpu()
    for resolve in ("resolve_conj", "resolve_neg"):
        if hasattr(t, resolve):
            t = getattr(t, resolve)()
    return t.contiguous()


def failure_of(exc, device, where=""):
    """The typed failure of an exception the device raised; `where` ("node x (op): ") goes before its first line."""
    kind = classify(exc)
    if kind == "out_of_memory" and device.type == "cuda":
        torch.cuda.empty_cache()  # give the next case the memory this one could not get
    return WorkerFailure(kind, where + first_line(exc))


def timed(device, call):
    """Runs call() between two synchronisations of the device: (its result, the device time in ns)."""
    synchronize(device)
    events = None
    if device.type == "cuda":
        events = (torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
        events[0].record()
    t0 = time.perf_counter_ns()
    try:
        result = call()
        if events is not None:
            events[1].record()
        synchronize(device)
    except WorkerFailure:
        raise
    except Exception as exc:
        raise failure_of(exc, device)
    t1 = time.perf_counter_ns()
    device_ns = int(events[0].elapsed_time(events[1]) * 1e6) if events is not None else t1 - t0
    return result, device_ns


def check_on_device(t, device, who):
    # a result computed elsewhere proves nothing about the device under test
    if t.device.type != device.type:
        raise WorkerFailure("runtime", "%s returned a tensor on %s, not on %s" % (who, t.device, device))


def pack_outputs(results):
    """The reply's output descriptors and body chunks; `keep` holds the host tensors until the bytes are sent."""
    outputs, chunks, keep, pos = [], [], [], 0
    for t in [to_host(t) for t in results]:
        pad = (-pos) % ALIGN
        if pad:
            chunks.append(bytes(pad))
            pos += pad
        nbytes = t.numel() * t.element_size()
        outputs.append(dict(dtype=DTYPE_OF[t.dtype], shape=list(t.shape), byteOffset=pos, byteLength=nbytes))
        if nbytes:
            # a view of the tensor's memory, not a copy
            chunks.append((ctypes.c_char * nbytes).from_address(t.data_ptr()))
            keep.append(t)
        pos += nbytes
    return outputs, chunks, keep


def run_exec(msg, body, device):
    op = lookup_op(msg["op"])
    inputs = [make_input(spec, body, device) for spec in msg["inputs"]]
    args, kwargs = make_call(op, msg["args"], msg["kwargs"], inputs, device)
    result, device_ns = timed(device, lambda: op(*args, **kwargs))
    results = flatten_outputs(result)
    for r in results:
        check_on_device(r, device, msg["op"])
    outputs, chunks, keep = pack_outputs(results)
    return outputs, chunks, keep, device_ns


# ---------------------------------------------------------------- graph

def node_label(node):
    return "node %s (%s)" % (node["name"], node["op"])


def tensors_word(n):
    return "%d tensor%s" % (n, "" if n == 1 else "s")


def graph_ops(graph):
    """The overload of every node, looked up before anything runs: one missing op makes the graph unsupported."""
    ops = []
    for node in graph["nodes"]:
        try:
            ops.append(lookup_op(node["op"]))
        except WorkerFailure as failure:
            # lookup_op's message names the op already
            raise WorkerFailure(failure.kind, "node %s: %s" % (node["name"], failure.message))
    return ops


def call_node(node, op, values, device):
    """Runs one node eagerly on the values defined before it; its flattened outputs."""
    where = node_label(node)
    try:
        args, kwargs = make_call(op, node["args"], node["kwargs"], values, device)
        results = flatten_outputs(op(*args, **kwargs))
    except WorkerFailure as failure:
        raise WorkerFailure(failure.kind, "%s: %s" % (where, failure.message))
    except Exception as exc:
        raise failure_of(exc, device, where + ": ")
    if len(results) != node["outputs"]:
        # the value numbering of every later node depends on this count
        raise WorkerFailure("runtime", "%s returned %s, the graph says %d" % (where, tensors_word(len(results)), node["outputs"]))
    return results


def run_eagerly(graph, ops, inputs, device):
    """Every value of the graph: the inputs, then each node's outputs, node by node."""
    values = list(inputs)
    for node, op in zip(graph["nodes"], ops):
        values.extend(call_node(node, op, values, device))
    return values


def value_producers(graph, n_inputs):
    """Who defines each value, for messages: the inputs, then one label per node output."""
    who = ["input %d" % i for i in range(n_inputs)]
    for node in graph["nodes"]:
        who.extend([node_label(node)] * node["outputs"])
    return who


def wanted_values(msg, n_values, n_inputs):
    """The value numbers the reply carries: the graph's outputs, or with intermediates every node value."""
    if msg["intermediates"]:
        return list(range(n_inputs, n_values))
    for v in msg["graph"]["outputs"]:
        if not 0 <= v < n_values:
            raise WorkerFailure("bad_request", "the graph returns value %d, but only %d values are defined" % (v, n_values))
    return list(msg["graph"]["outputs"])


def run_graph(msg, body, device):
    graph = msg["graph"]
    if msg["mode"] == "compiled" and not hasattr(torch, "compile"):
        raise WorkerFailure("unsupported", "PyTorch %s has no torch.compile" % torch.__version__)
    if msg["mode"] not in ("eager", "compiled"):
        raise WorkerFailure("bad_request", "unknown graph mode %r" % msg["mode"])
    ops = graph_ops(graph)
    inputs = [make_input(spec, body, device) for spec in msg["inputs"]]
    n_inputs = len(inputs)
    n_values = n_inputs + sum(node["outputs"] for node in graph["nodes"])
    wanted = wanted_values(msg, n_values, n_inputs)
    if msg["mode"] == "eager":
        values, device_ns = timed(device, lambda: run_eagerly(graph, ops, inputs, device))
    else:
        values, device_ns = run_compiled(msg, body, ops, inputs, device)
    who = value_producers(graph, n_inputs)
    results = []
    for v in wanted:
        check_on_device(values[v], device, who[v])
        results.append(values[v])
    outputs, chunks, keep = pack_outputs(results)
    return outputs, chunks, keep, device_ns


# ---------------------------------------------------------------- compiled graphs (torch.compile, PyTorch ≥ 2.0)

# compiled graphs by (graph, intermediates, input layouts): a repeated request runs without compiling again. The
# layouts are part of the key because torch.compile(dynamic=False) specialises on them: each entry then compiles
# exactly once, in its warm-up, never inside a timed run.
COMPILED = {}
COMPILED_MAX = 256


def value_paths(node, op):
    """Where each of a node's values lies in what its overload returns, as getitem index paths, read from the schema
    (a lone Tensor: the result itself; a tuple: its items; a Tensor[]: as many items as the graph says)."""
    returns = list(op._schema.returns)
    lists = [i for i, r in enumerate(returns) if isinstance(r.type, torch._C.ListType)]
    where = node_label(node)
    if len(lists) > 1:
        raise WorkerFailure("unsupported", "%s returns %d lists, which a compiled graph cannot number" % (where, len(lists)))
    list_len = node["outputs"] - (len(returns) - len(lists))
    if (not lists and list_len != 0) or list_len < 0:
        raise WorkerFailure("runtime", "%s returns %s, the graph says %d" % (where, tensors_word(len(returns)), node["outputs"]))
    if len(returns) == 1:
        return [()] if not lists else [(i,) for i in range(list_len)]
    paths = []
    for j in range(len(returns)):
        paths.extend([(j, i) for i in range(list_len)] if j in lists else [(j,)])
    return paths


def build_module(msg, ops, device):
    """An FX GraphModule of the graph: one placeholder per input, one call_function per node calling its overload.
    It returns one item per replied node (the node's whole result, flattened and counted after the run as in eager
    mode) or input; also returns, per item, the first value number it holds."""
    import operator
    import torch.fx

    graph = msg["graph"]
    fx = torch.fx.Graph()
    # FX's own names, not the graph's: FX writes placeholder names verbatim into the generated forward's signature,
    # where a placeholder or node called `torch` or `self` would shadow what the code needs
    values = [fx.placeholder("input_%d" % i) for i in range(len(msg["inputs"]))]
    calls, firsts = [], []
    for node, op in zip(graph["nodes"], ops):
        try:
            args, kwargs = make_call(op, node["args"], node["kwargs"], values, device)
        except WorkerFailure as failure:
            raise WorkerFailure(failure.kind, "%s: %s" % (node_label(node), failure.message))
        paths = value_paths(node, op)
        call = fx.call_function(op, tuple(args), kwargs)
        calls.append(call)
        firsts.append(len(values))
        for path in paths:
            value = call
            for i in path:
                value = fx.call_function(operator.getitem, (value, i))
            values.append(value)
    n_inputs = len(msg["inputs"])
    items = []
    if msg["intermediates"]:
        items = [(call, first) for call, first in zip(calls, firsts)]
    else:
        for v in msg["graph"]["outputs"]:
            if v < n_inputs:
                items.append((values[v], v))
            else:
                k = max(i for i, first in enumerate(firsts) if first <= v)
                if (calls[k], firsts[k]) not in items:
                    items.append((calls[k], firsts[k]))
    fx.output(tuple(item for item, _ in items))
    return torch.fx.GraphModule(torch.nn.Module(), fx), [first for _, first in items]


def compile_failure(exc, device):
    """The typed failure of an exception raised by a call of a compiled graph: Dynamo's and the backend's errors are
    the compiler's (unsupported); an op's error is classified as usual."""
    try:
        import torch._dynamo.exc as dynamo_exc
    except ImportError:
        return failure_of(exc, device)
    if isinstance(exc, dynamo_exc.TorchRuntimeError):
        # an op of the graph raised while Dynamo ran it on fake tensors: the graph's own error, as eager mode
        # would raise it, so it is classified like one (by the exception Dynamo wrapped)
        return failure_of(innermost(exc), device)
    if isinstance(exc, dynamo_exc.TorchDynamoException):
        inner = getattr(exc, "inner_exception", None) or exc  # BackendCompilerFailed wraps the backend's error
        return WorkerFailure("unsupported", "torch.compile cannot compile this graph: %s" % first_line(inner))
    return failure_of(exc, device)


def innermost(exc):
    """The exception under Dynamo's wrappers: their causes, and the context one hides with `raise … from None`."""
    for _ in range(8):
        nxt = exc.__cause__ or (exc.__context__ if exc.__suppress_context__ else None)
        if nxt is None:
            break
        exc = nxt
    return exc


def compiled_graph(msg, body, ops, device):
    """The compiled callable of the graph and the first value number of each item it returns, compiling it (through a
    warm-up run on a copy of the inputs) on the first request."""
    key = (json.dumps(msg["graph"], sort_keys=True), bool(msg["intermediates"]),
           json.dumps([[s["dtype"], s["shape"], s["strides"], s["offset"]] for s in msg["inputs"]]))
    entry = COMPILED.get(key)
    if isinstance(entry, WorkerFailure):
        raise entry
    if entry is not None:
        return entry
    gm, firsts = build_module(msg, ops, device)
    backend = os.environ.get("ACCELCERT_COMPILE_BACKEND") or "inductor"
    try:
        # the module's own forward, not the module: Dynamo caches per code object, and every nn.Module shares
        # Module.__call__'s, whose recompilation limit would turn later graphs silently eager. fullgraph: a graph
        # break would run part of the graph eagerly, which is not what a compiled case certifies
        fn = torch.compile(gm.forward, backend=backend, dynamic=False, fullgraph=True)
    except Exception as exc:  # e.g. a Python version this PyTorch's compiler does not support
        raise WorkerFailure("unsupported", "torch.compile cannot compile this graph: %s" % first_line(exc))
    # the warm-up runs on a copy of the request body: a graph with in-place nodes must not change the timed run's inputs
    copy = bytearray(body)
    warm = [make_input(spec, copy, device) for spec in msg["inputs"]]
    try:
        run_compiled_fn(fn, warm, device)
        synchronize(device)
    except WorkerFailure as failure:
        if failure.kind == "unsupported":
            remember(key, failure)  # the same graph fails to compile the same way: not again on the repeat
        raise
    return remember(key, (fn, firsts))


def run_compiled_fn(fn, inputs, device):
    try:
        return fn(*inputs)
    except Exception as exc:
        raise compile_failure(exc, device)


def remember(key, entry):
    if len(COMPILED) >= COMPILED_MAX:
        del COMPILED[next(iter(COMPILED))]  # the oldest
    COMPILED[key] = entry
    return entry


def run_compiled(msg, body, ops, inputs, device):
    """Every value of the graph the reply may need, from one timed run of the compiled graph; None for the others."""
    graph = msg["graph"]
    fn, firsts = compiled_graph(msg, body, ops, device)
    items, device_ns = timed(device, lambda: run_compiled_fn(fn, inputs, device))
    n_inputs = len(inputs)
    n_values = n_inputs + sum(node["outputs"] for node in graph["nodes"])
    values = [None] * n_values
    values[:n_inputs] = inputs
    starts = [n_inputs]
    for node in graph["nodes"]:
        starts.append(starts[-1] + node["outputs"])
    for item, first in zip(items, firsts):
        if first < n_inputs:
            values[first] = item
            continue
        node = graph["nodes"][starts.index(first)]
        results = flatten_outputs(item)
        if len(results) != node["outputs"]:
            raise WorkerFailure("runtime", "%s returned %s, the graph says %d"
                                % (node_label(node), tensors_word(len(results)), node["outputs"]))
        values[first:first + len(results)] = results
    return values, device_ns


# ---------------------------------------------------------------- bench (bench.py)

def bench_helpers():
    """What bench.py borrows from this script: it cannot import a script that runs as __main__ without running a
    second copy of it."""
    return types.SimpleNamespace(make_input=make_input, make_call=make_call, lookup_op=lookup_op, graph_ops=graph_ops,
                                 run_eagerly=run_eagerly, synchronize=synchronize, failure_of=failure_of,
                                 WorkerFailure=WorkerFailure, run_quiet=run_quiet, first_line=first_line,
                                 pack_outputs=pack_outputs)


# ---------------------------------------------------------------- main loop

def hello_reply(msg):
    frameworks = {"torch": torch.__version__, "python": platform.python_version()}
    if getattr(torch.version, "cuda", None):
        frameworks["cuda"] = torch.version.cuda
    if getattr(torch.version, "hip", None):
        frameworks["hip"] = torch.version.hip
    return dict(type="hello", id=msg["id"], protocol=PROTOCOL,
                worker=dict(name=WORKER_NAME, version=WORKER_VERSION), frameworks=frameworks)


# the workload kinds this worker runs, each with the version of its request (docs/driver-protocol.md)
WORKLOADS = {"op": 1, "graph": 1, "bench": 1, "collective": 1}


def capabilities(device):
    features = ["non_contiguous_inputs", "device_time", "deterministic"]
    return dict(dtypes=list(DTYPES.keys()), ops=None, features=features, workloads=WORKLOADS,
                collectives=collectives.capabilities(device))


def reader(fd, inbox):
    """Reads frames ahead into a queue so the next request is decoded while the device computes."""
    try:
        while True:
            frame = read_frame(fd)
            inbox.put(frame)
            if frame is None:
                return
    except Exception as exc:
        sys.stderr.write("accelcert worker: cannot read requests: %s\n" % exc)
        inbox.put(None)


def main():
    try:
        return serve()
    finally:
        collectives.shutdown()  # the rank processes go with the worker


def serve():
    for plugin in filter(None, os.environ.get("ACCELCERT_TORCH_PLUGINS", "").split(",")):
        __import__(plugin.strip())  # out-of-tree backends (e.g. torch_npu) register on import
    inbox = queue.Queue(maxsize=64)
    thread = threading.Thread(target=reader, args=(IN_FD, inbox), daemon=True)
    thread.start()
    device = None
    while True:
        frame = inbox.get()
        if frame is None:
            return 0
        msg, body = frame
        mid = msg.get("id", 0)
        kind = msg.get("type")
        try:
            if kind == "hello":
                send(OUT_FD, hello_reply(msg))
            elif kind == "discover":
                devices = [dict(device=d, fingerprint=fingerprint(torch.device(d))) for d in device_strings()]
                send(OUT_FD, dict(type="devices", id=mid, devices=devices))
            elif kind == "open":
                device = resolve_device(msg.get("device"))
                name = str(device) if device.type != "mps" else "mps"
                send(OUT_FD, dict(type="opened", id=mid, device=dict(device=name, fingerprint=fingerprint(device)),
                                  capabilities=capabilities(device)))
            elif kind in ("exec", "graph"):
                if device is None:
                    raise WorkerFailure("bad_request", "%s before open" % kind)
                run = run_exec if kind == "exec" else run_graph
                outputs, chunks, keep, device_ns = run(msg, body, device)
                send(OUT_FD, dict(type="result", id=mid, outputs=outputs, deviceTimeNs=device_ns), chunks)
                del keep
            elif kind == "bench":
                if device is None:
                    raise WorkerFailure("bad_request", "bench before open")
                timing = bench.run_bench(msg, body, device, bench_helpers())
                send(OUT_FD, dict(type="timing", id=mid, **timing))
            elif kind == "collective":
                if device is None:
                    raise WorkerFailure("bad_request", "collective before open")
                outputs, chunks, keep, device_ns, note = collectives.run_collective(msg, body, device, bench_helpers())
                reply = dict(type="result", id=mid, outputs=outputs, deviceTimeNs=device_ns)
                if note:
                    reply["note"] = note
                send(OUT_FD, reply, chunks)
                del keep
            elif kind == "close":
                collectives.shutdown()
                send(OUT_FD, dict(type="closed", id=mid))
                return 0
            else:
                raise WorkerFailure("bad_request", "unknown request type %r" % kind)
        except WorkerFailure as failure:
            send(OUT_FD, dict(type="error", id=mid, kind=failure.kind, message=failure.message))
        except Exception as exc:
            kind_of = classify(exc) if kind in ("exec", "graph", "bench", "collective") else "runtime"
            send(OUT_FD, dict(type="error", id=mid, kind=kind_of, message=first_line(exc)))


NUMERICS = set_numerics_modes()

if __name__ == "__main__":
    sys.exit(main())
