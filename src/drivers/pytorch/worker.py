#!/usr/bin/env python3
"""accelcert pytorch worker: runs ATen ops on any device PyTorch can address.

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

# cuBLAS is deterministic only with a fixed workspace; must be set before CUDA initialises
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

try:
    import torch
except ImportError as exc:  # the harness probes for torch first; this is the fallback explanation
    sys.stderr.write("accelcert worker: cannot import torch: %s\n" % exc)
    sys.exit(3)

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


def run_quiet(argv):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10, check=False)
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


def make_arg(arg, inputs):
    kind = arg["kind"]
    if kind == "tensor":
        return inputs[arg["index"]]
    if kind == "tensors":
        return [inputs[i] for i in arg["indices"]]
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


def run_exec(msg, body, device):
    op = lookup_op(msg["op"])
    inputs = [make_input(spec, body, device) for spec in msg["inputs"]]
    args = [make_arg(a, inputs) for a in msg["args"]]
    kwargs = dict((k, make_arg(v, inputs)) for k, v in msg["kwargs"].items())
    # factory ops (full, arange, rand, randperm, empty …) take no tensor to follow: without a device argument they
    # would run on the CPU, whatever device is under test
    if "device" not in kwargs and takes_device(op):
        kwargs["device"] = device
    synchronize(device)
    events = None
    if device.type == "cuda":
        events = (torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
        events[0].record()
    t0 = time.perf_counter_ns()
    try:
        result = op(*args, **kwargs)
        if events is not None:
            events[1].record()
        synchronize(device)
    except WorkerFailure:
        raise
    except Exception as exc:
        kind = classify(exc)
        if kind == "out_of_memory" and device.type == "cuda":
            torch.cuda.empty_cache()  # give the next case the memory this one could not get
        raise WorkerFailure(kind, first_line(exc))
    t1 = time.perf_counter_ns()
    device_ns = int(events[0].elapsed_time(events[1]) * 1e6) if events is not None else t1 - t0
    results = flatten_outputs(result)
    for r in results:
        # a result computed elsewhere proves nothing about the device under test
        if r.device.type != device.type:
            raise WorkerFailure("runtime", "%s returned a tensor on %s, not on %s" % (msg["op"], r.device, device))
    outputs, chunks, keep, pos = [], [], [], 0
    for t in [to_host(t) for t in results]:
        pad = (-pos) % ALIGN
        if pad:
            chunks.append(bytes(pad))
            pos += pad
        nbytes = t.numel() * t.element_size()
        outputs.append(dict(dtype=DTYPE_OF[t.dtype], shape=list(t.shape), byteOffset=pos, byteLength=nbytes))
        if nbytes:
            # a view of the tensor's memory, not a copy; `keep` holds the tensor until the bytes are sent
            chunks.append((ctypes.c_char * nbytes).from_address(t.data_ptr()))
            keep.append(t)
        pos += nbytes
    return outputs, chunks, keep, device_ns


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
WORKLOADS = {"op": 1}


def capabilities(device):
    features = ["non_contiguous_inputs", "device_time", "deterministic"]
    return dict(dtypes=list(DTYPES.keys()), ops=None, features=features, workloads=WORKLOADS)


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
            elif kind == "exec":
                if device is None:
                    raise WorkerFailure("bad_request", "exec before open")
                outputs, chunks, keep, device_ns = run_exec(msg, body, device)
                send(OUT_FD, dict(type="result", id=mid, outputs=outputs, deviceTimeNs=device_ns), chunks)
                del keep
            elif kind in ("graph", "bench"):
                # the harness sends these only to a worker that offers them; say so plainly if one arrives anyway
                raise WorkerFailure("unsupported", "this worker runs %s workloads, not %s" % (", ".join(WORKLOADS), kind))
            elif kind == "close":
                send(OUT_FD, dict(type="closed", id=mid))
                return 0
            else:
                raise WorkerFailure("bad_request", "unknown request type %r" % kind)
        except WorkerFailure as failure:
            send(OUT_FD, dict(type="error", id=mid, kind=failure.kind, message=failure.message))
        except Exception as exc:
            kind_of = classify(exc) if kind == "exec" else "runtime"
            send(OUT_FD, dict(type="error", id=mid, kind=kind_of, message=first_line(exc)))


NUMERICS = set_numerics_modes()

if __name__ == "__main__":
    sys.exit(main())
