#!/usr/bin/env python3
"""accelcert worker template (Python + PyTorch): copy this file to start the driver of your device.

accelcert starts this program and talks to it in the framed protocol of docs/driver-protocol.md: requests arrive on
file descriptor 3, replies leave on file descriptor 4. Stdout and stderr are not part of the protocol (the harness
copies them into its run log), so print whatever you like there.

As shipped, it drives a pretend device, "template:0", whose kernels are PyTorch's own CPU kernels: every ATen op the
suites send is looked up by name (torch.ops.aten.<op>.<overload>), so the template passes the cases PyTorch on CPU
passes. To make it drive your device, change the places marked "VENDOR:":

  1. the fingerprint (vendor, model, driver version ...) and the device names;
  2. the capabilities (the dtypes and ops your device has);
  3. where inputs go onto the device, where the kernel runs, and where outputs come back.

Check it:  accelcert driver-check --driver exec --worker "python3 templates/python/worker.py"
Run it:    accelcert run --driver exec --worker "python3 templates/python/worker.py" --filter 'core/*/aten.add.Tensor/*'

Standard library + torch only (Python 3.7+, PyTorch 1.13 to 2.x).
"""
import ctypes
import json
import os
import platform
import struct
import sys
import time

import torch

# ---------------------------------------------------------------- who we are

PROTOCOL = 1  # the protocol version this worker speaks; the harness stops a worker that speaks another
WORKER = {"name": "template-python-worker", "version": "0.1.0"}  # VENDOR: your worker's name and version

# VENDOR: your device names. One worker process opens at most one device; `discover` lists all of them.
DEVICES = ["template:0"]

# VENDOR: where tensors live. The template computes on the CPU; a device PyTorch can address (a PrivateUse1 backend
# such as "npu:0") only needs its torch.device here.
TORCH_DEVICE = torch.device("cpu")


def fingerprint(device):
    """Ties every result to exact hardware and software; it is recorded in the signed report.
    VENDOR: fill in your vendor, model, memory, driver version and anything else that changes numerics (firmware,
    compute units, numerics switches) as strings in `extra`."""
    return {
        "vendor": "Template Vendor",
        "model": "template device (PyTorch on CPU)",
        "memoryBytes": None,  # the device memory in bytes, or None when unknown
        "driverVersion": "0.1.0",
        "framework": {"name": "torch", "version": torch.__version__},
        "extra": {"python": platform.python_version()},
    }


def frameworks():
    """The software stack, name -> version, recorded in the report. VENDOR: add your runtime and its version."""
    return {"torch": torch.__version__, "python": platform.python_version()}


# The wire names of dtypes (docs/driver-protocol.md §5). Older PyTorch builds lack the float8 types: only those this
# build has are kept, so that a dtype is never listed that could not be rebuilt.
DTYPE_NAMES = ["float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
               "int64", "int32", "int16", "int8", "uint8", "bool"]
TORCH_DTYPES = dict((n, getattr(torch, n)) for n in DTYPE_NAMES if isinstance(getattr(torch, n, None), torch.dtype))
WIRE_NAME = dict((v, k) for k, v in TORCH_DTYPES.items())


def capabilities():
    """What the device can run. The harness does not send a case whose input dtypes are not in `dtypes` (nor, when
    `ops` is a list, an op not in it): it records the case `unsupported` itself, which is faster and clearer.
    VENDOR: list exactly your device's dtypes, and either your ops ("aten.add.Tensor", ...) or None to be asked every
    op and answer `unsupported` per case."""
    return {
        "dtypes": list(TORCH_DTYPES),
        "ops": None,
        # free-form flags recorded in the report: this worker honours input strides and times the device
        "features": ["non_contiguous_inputs", "device_time"],
        "workloads": {"op": 1},  # op requests only (no graph or bench); see docs/driver-protocol.md §4
    }


# ---------------------------------------------------------------- framing (docs/driver-protocol.md §2)

IN_FD, OUT_FD = 3, 4
MAGIC = b"ACRT"
PREFIX = struct.Struct("<4sIQ")  # magic, header length (u32 little-endian), body length (u64 little-endian)
MAX_HEADER = 16 * 1024 * 1024
MAX_BODY = 2 * 1024 * 1024 * 1024
ALIGN = 64  # outputs are placed at multiples of 64 bytes in the reply body (any alignment is allowed)


def read_exact(n):
    """n bytes from the request pipe as a fresh bytearray (writable, so torch.frombuffer can use it without a copy),
    or None when the pipe ends before the first byte: the harness is done with us."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        chunk = os.read(IN_FD, min(n - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise EOFError("the request stream ended inside a frame")
        view[got:got + len(chunk)] = chunk
        got += len(chunk)
    return buf


def read_frame():
    """The next request as (header dict, body bytearray), or None at the end of input."""
    prefix = read_exact(PREFIX.size)
    if prefix is None:
        return None
    magic, header_len, body_len = PREFIX.unpack(bytes(prefix))
    # a stream that is not frames cannot be resynchronised: give up rather than guess
    if magic != MAGIC or not 2 <= header_len <= MAX_HEADER or body_len > MAX_BODY:
        raise ValueError("the harness sent something that is not an accelcert frame")
    header = read_exact(header_len)
    body = read_exact(body_len) if body_len else bytearray()
    if header is None or body is None:
        raise EOFError("the request stream ended inside a frame")
    return json.loads(header.decode("utf-8")), body


def write_frame(header, body=b""):
    """One reply: prefix, JSON header, body, written in full (os.write may write less than asked)."""
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    data = memoryview(PREFIX.pack(MAGIC, len(head), len(body)) + head + bytes(body))
    while len(data):
        data = data[os.write(OUT_FD, data):]


class Failure(Exception):
    """A failure with its protocol error kind (docs/driver-protocol.md §7): becomes an `error` reply to the request."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind  # unsupported | runtime | out_of_memory | invalid_device | bad_request


# ---------------------------------------------------------------- tensors (docs/driver-protocol.md §5, §6)

def make_input(spec, body):
    """Rebuilds an input exactly as the harness holds it: the whole storage, bit for bit, then the view on it
    (shape, strides, offset in elements). Never make it contiguous first: strided reads are part of what is
    certified."""
    dtype = TORCH_DTYPES.get(spec["dtype"])
    if dtype is None:
        raise Failure("unsupported", "the template device has no %s" % spec["dtype"])
    start, length = spec["byteOffset"], spec["byteLength"]
    itemsize = torch.empty((), dtype=dtype).element_size()
    if start < 0 or length < 0 or length % itemsize or start + length > len(body):
        # a malformed request costs only its own case: answer it and go on serving
        raise Failure("bad_request", "an input storage lies outside the frame body")
    if length:
        storage = torch.frombuffer(body, dtype=torch.uint8, count=length, offset=start).view(dtype)
    else:
        storage = torch.empty(0, dtype=dtype)
    # VENDOR: allocate a device buffer of the storage's size and copy the bytes there. For a device torch can
    # address, .to() is that copy; otherwise use your runtime's allocation and host-to-device copy here.
    storage = storage.to(TORCH_DEVICE)
    return storage.as_strided(spec["shape"], spec["strides"], spec["offset"])


def make_arg(arg, inputs):
    """The Python value of one argument. The kinds stay distinct (an int and a float scalar promote differently)."""
    kind = arg["kind"]
    if kind == "tensor":
        return input_at(inputs, arg["index"])
    if kind == "tensors":
        return [input_at(inputs, i) for i in arg["indices"]]
    if kind == "int":
        return int(arg["value"])
    if kind == "float":
        return float(arg["value"])  # also reads "inf", "-inf" and "nan", which JSON cannot spell as numbers
    if kind == "bool":
        return bool(arg["value"])
    if kind == "ints":
        return [int(v) for v in arg["value"]]
    if kind == "str":
        return str(arg["value"])
    if kind == "dtype":
        if arg["value"] not in TORCH_DTYPES:
            raise Failure("unsupported", "the template device has no %s" % arg["value"])
        return TORCH_DTYPES[arg["value"]]
    if kind == "none":
        return None
    raise Failure("bad_request", "unknown argument kind %r" % kind)


def input_at(inputs, index):
    if not 0 <= index < len(inputs):
        raise Failure("bad_request", "an argument names input %d, but the request has %d" % (index, len(inputs)))
    return inputs[index]


def flatten(result):
    """Every tensor the op returned, in order: a tuple gives one per item, a list one per element, None none, and a
    number becomes a 0-dimensional tensor (int -> int64, float -> float64, bool -> bool)."""
    if result is None:
        return []
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in flatten(r)]
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, bool):  # before int: bool is a subclass of int
        return [torch.tensor(result, dtype=torch.bool)]
    if isinstance(result, int):
        return [torch.tensor(result, dtype=torch.int64)]
    if isinstance(result, float):
        return [torch.tensor(result, dtype=torch.float64)]
    raise Failure("runtime", "the op returned a %s, which accelcert cannot compare" % type(result).__name__)


def to_host(t):
    """An output as the protocol carries it: on the host, contiguous (row-major), storage offset 0."""
    t = t.detach()
    if t.is_complex():
        t = torch.view_as_real(t.resolve_conj())  # complex travels as (real, imaginary) pairs in a trailing dim of 2
    if t.dtype not in WIRE_NAME:
        raise Failure("runtime", "the op returned dtype %s, which the protocol cannot carry" % t.dtype)
    # VENDOR: copy the result from your device back to the host here (for a device torch can address, .cpu()).
    t = t.cpu()
    if hasattr(t, "resolve_neg"):  # a lazily negated view must be materialised before its bytes are read
        t = t.resolve_neg()
    return t.contiguous()


def pack_outputs(results):
    """The reply's output descriptors and its body: each output's bytes at a multiple of ALIGN."""
    outputs, body = [], bytearray()
    for t in (to_host(r) for r in results):
        body += bytes((-len(body)) % ALIGN)
        nbytes = t.numel() * t.element_size()
        outputs.append({"dtype": WIRE_NAME[t.dtype], "shape": list(t.shape), "byteOffset": len(body), "byteLength": nbytes})
        if nbytes:
            body += ctypes.string_at(t.data_ptr(), nbytes)
    return outputs, body


# ---------------------------------------------------------------- the device

def lookup_op(name):
    """The ATen overload named `aten.<op>.<overload>`, looked up generically: any op the suites send is tried."""
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "aten":
        raise Failure("unsupported", "%s is not an ATen overload name (aten.<op>.<overload>)" % name)
    try:  # a missing name raises AttributeError or RuntimeError, depending on the PyTorch version
        return getattr(getattr(torch.ops.aten, parts[1]), parts[2])
    except (AttributeError, RuntimeError):
        raise Failure("unsupported", "the template device has no %s" % name)


def takes_device(op):
    """Whether the overload has a `device` argument: factory ops (full, arange, rand ...) have no input tensor to
    follow, and without one would create their result on the CPU, whatever device is under test."""
    try:
        return any(a.name == "device" for a in op._schema.arguments)
    except AttributeError:
        return False


def synchronize():
    """Waits until the device has finished everything queued. VENDOR: your runtime's synchronisation (e.g.
    torch.cuda.synchronize()); without it an asynchronous device is timed at its launch, not its work."""


def run_kernel(op, args, kwargs):
    """VENDOR: this is where your device computes. The template calls PyTorch's CPU kernel for the overload; replace
    the call with your device's kernel (or keep it when `op` already dispatches to your device). Raise
    Failure("unsupported", "...") for what the device cannot run: an op, a dtype, an argument form."""
    return op(*args, **kwargs)


def classify(exc):
    """The protocol error kind of an exception the kernel raised."""
    text = str(exc)
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or "out of memory" in text.lower():
        return "out_of_memory"
    # PyTorch's ways of saying that a kernel does not exist for this dtype or backend
    if isinstance(exc, NotImplementedError) or "not implemented for" in text or "Could not run '" in text:
        return "unsupported"
    return "runtime"


def first_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:2000]


def execute(msg, body):
    """An `exec` request: one ATen call on the request's inputs. Computed anew every time: the harness sends each case
    twice and fails an answer that differs, so a cache would hide exactly what that check looks for."""
    op = lookup_op(msg["op"])
    inputs = [make_input(spec, body) for spec in msg["inputs"]]
    args = [make_arg(a, inputs) for a in msg["args"]]
    kwargs = dict((k, make_arg(v, inputs)) for k, v in msg["kwargs"].items())
    if "device" not in kwargs and takes_device(op):
        kwargs["device"] = TORCH_DEVICE
    synchronize()
    start = time.perf_counter_ns()
    try:
        result = run_kernel(op, args, kwargs)
        synchronize()
    except Failure:
        raise
    except Exception as exc:  # the op raised: this case's error, not the worker's end
        raise Failure(classify(exc), first_line(exc))
    elapsed = time.perf_counter_ns() - start
    outputs, data = pack_outputs(flatten(result))
    return {"type": "result", "id": msg["id"], "outputs": outputs, "deviceTimeNs": elapsed}, data


# ---------------------------------------------------------------- the conversation (docs/driver-protocol.md §3, §4)

def open_device(name):
    """`open`: the device string the user passed to --device, or None for the default. VENDOR: claim your device here
    and not earlier: the harness keeps a spare worker waiting after its hello, and only one process may hold the
    device."""
    if name is None:
        name = DEVICES[0]
    if name not in DEVICES:
        raise Failure("invalid_device", "%s does not exist (the template worker has %s)" % (name, ", ".join(DEVICES)))
    return name


def handle(msg, body, state):
    """The reply (header, body) to one request."""
    kind = msg.get("type")
    if kind == "hello":
        return {"type": "hello", "id": msg["id"], "protocol": PROTOCOL, "worker": WORKER, "frameworks": frameworks()}, b""
    if kind == "discover":
        devices = [{"device": d, "fingerprint": fingerprint(d)} for d in DEVICES]
        return {"type": "devices", "id": msg["id"], "devices": devices}, b""
    if kind == "open":
        state["device"] = open_device(msg.get("device"))
        device = {"device": state["device"], "fingerprint": fingerprint(state["device"])}
        return {"type": "opened", "id": msg["id"], "device": device, "capabilities": capabilities()}, b""
    if kind == "exec":
        if state["device"] is None:
            raise Failure("bad_request", "exec before open")
        return execute(msg, body)
    if kind == "close":
        # VENDOR: release the device here, so that the next worker can open it
        return {"type": "closed", "id": msg["id"]}, b""
    # graph, bench (not offered in capabilities) and request types of later protocol versions
    raise Failure("unsupported", "the template worker does not handle %r requests" % kind)


def main():
    try:
        os.fstat(IN_FD)
        os.fstat(OUT_FD)
    except OSError:  # started from a shell: there are no pipes to serve
        sys.stderr.write("this is an accelcert worker: run it through accelcert driver-check or run --driver exec --worker\n")
        return 2
    state = {"device": None}
    while True:
        frame = read_frame()
        if frame is None:
            return 0  # end of input: the harness closed fd 3 (or died), so we exit
        msg, body = frame
        try:
            reply, data = handle(msg, body, state)
        except Failure as failure:
            reply, data = {"type": "error", "id": msg.get("id", 0), "kind": failure.kind, "message": str(failure)}, b""
        except Exception as exc:  # a bug in the worker costs one case, never the run
            reply, data = {"type": "error", "id": msg.get("id", 0), "kind": "runtime", "message": first_line(exc)}, b""
        # replies go out in arrival order: the harness pipelines requests and charges a crash to the oldest one
        write_frame(reply, data)
        if msg.get("type") == "close":
            return 0


if __name__ == "__main__":
    sys.exit(main())
