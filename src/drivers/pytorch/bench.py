"""accelcert pytorch worker: timing of `bench` requests (docs/driver-protocol.md, "bench").

Imported by worker.py, which passes in its own helpers (make_input, make_call, lookup_op, graph_ops, run_eagerly,
synchronize, failure_of, WorkerFailure, run_quiet): worker.py runs as __main__, and importing it from here would run
a second copy of it. Standard library + torch only.
"""
import contextlib
import gc
import json
import math
import os
import re
import shutil
import time

import torch

# a hot sample lasts at least this long, so that timer resolution and launch jitter stay small beside it
HOT_SAMPLE_NS = 500000
MAX_CALLS_PER_SAMPLE = 10000
# Triton's do_bench flushes a GPU's L2 with 256 MiB; a CPU gets 4x its largest cache level
GPU_FLUSH_BYTES = 256 * 1024 * 1024
CPU_FLUSH_DEFAULT = 64 * 1024 * 1024
# the spread is checked at minSamples, then after every tenth more samples: sorting stays cheap
MIN_CHECK_STEP = 4
HOST_BOUND_RATIO = 0.9
TELEMETRY_TIMEOUT_S = 3


def run_bench(msg, body, device, h):
    """Times msg["bench"] on the device; the fields of the `timing` reply (without type and id)."""
    spec = msg["bench"]
    if spec["workload"]["kind"] == "collective":
        import collectives  # the rank pool lives there; imported late, as it imports this module
        return collectives.time_collective(msg, body, device, h)
    if spec["cache"] not in ("hot", "cold"):
        raise h.WorkerFailure("bad_request", "unknown cache state %r" % spec["cache"])
    call, where = workload_call(spec["workload"], msg, body, device, h)
    flush = None
    try:
        with math_mode(spec["math"], device, h):
            flush = flush_buffer(device, h) if spec["cache"] == "cold" else None
            with gc_paused():
                try:
                    result = measure(call, device, spec["timing"], flush, h)
                except h.WorkerFailure:
                    raise
                except Exception as exc:  # e.g. an asynchronous device error surfacing at a synchronisation
                    raise h.failure_of(exc, device, where)
        result["cacheFlushBytes"] = flush_bytes(flush)
    finally:
        del call, flush  # the inputs (the call holds them) and the flush buffer go back to the allocator
    result["telemetry"] = telemetry(device, h)
    return result


# ---------------------------------------------------------------- the workload

def workload_call(workload, msg, body, device, h):
    """A no-argument callable running the workload once on inputs made once, and the prefix naming it in errors."""
    kind = workload["kind"]
    if kind == "op":
        op = h.lookup_op(workload["op"])
        inputs = bench_inputs(msg, body, device, h)
        where = workload["op"] + ": "
        try:
            args, kwargs = h.make_call(op, workload["args"], workload["kwargs"], inputs, device)
        except h.WorkerFailure as failure:
            raise h.WorkerFailure(failure.kind, where + failure.message)
        return op_call(op, args, kwargs, device, where, h), where
    if kind == "graph":
        graph = workload["graph"]
        ops = h.graph_ops(graph)  # every node looked up before anything runs
        inputs = bench_inputs(msg, body, device, h)
        # run_eagerly names the failing node itself; the rest (an asynchronous error) is the graph's
        return (lambda: h.run_eagerly(graph, ops, inputs, device)), "graph %s: " % graph["name"]
    raise h.WorkerFailure("bad_request", "unknown bench workload kind %r" % kind)


def bench_inputs(msg, body, device, h):
    """The inputs on the device, each in memory of its own. On the CPU, make_input gives views of the request's buffer,
    whose alignment changes from run to run and moves the figures of alignment-sensitive kernels (oneDNN's)."""
    inputs = [h.make_input(s, body, device) for s in msg["inputs"]]
    return [t.clone() if device.type == "cpu" else t for t in inputs]


def op_call(op, args, kwargs, device, where, h):
    def call():
        try:
            return op(*args, **kwargs)
        except Exception as exc:
            raise h.failure_of(exc, device, where)
    return call


# ---------------------------------------------------------------- math mode

def tf32_missing(device):
    """Why the device cannot run float32 on TF32 tensor cores, or None when it can."""
    if device.type != "cuda":
        return "%s has no TF32 mode" % device
    index = device.index or 0
    if getattr(torch.version, "hip", None):
        # ROCm: only PyTorch knows which AMD GPUs (and builds) have an XF32/TF32 path
        check = getattr(torch.cuda, "is_tf32_supported", None)
        if check is not None and check():
            return None
        arch = getattr(torch.cuda.get_device_properties(index), "gcnArchName", "ROCm")
        return "%s (%s) has no TF32 mode this PyTorch can use" % (device, arch)
    major, minor = torch.cuda.get_device_capability(index)
    if major < 8:
        return "%s (compute capability %d.%d) has no TF32 tensor cores" % (device, major, minor)
    return None


@contextlib.contextmanager
def math_mode(math_name, device, h):
    """`strict`: the worker's defaults (TF32 off). `tf32`: TF32 allowed for this request only."""
    if math_name == "strict":
        yield
        return
    if math_name != "tf32":
        raise h.WorkerFailure("bad_request", "unknown math mode %r" % math_name)
    reason = tf32_missing(device)
    if reason is not None:
        raise h.WorkerFailure("unsupported", reason)
    precision = getattr(torch, "get_float32_matmul_precision", None)
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, precision() if precision else None)
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[0], saved[1]
        if saved[2] is not None:  # allow_tf32 also moves the matmul precision on PyTorch 2.x
            torch.set_float32_matmul_precision(saved[2])


@contextlib.contextmanager
def gc_paused():
    """No garbage-collector pauses inside the timed runs (what timeit does too)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- cache flush

def largest_cpu_cache():
    """Bytes of the largest cache level of cpu0, or None where sysfs does not say."""
    sizes = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        names = [n for n in os.listdir(base) if n.startswith("index")]
    except OSError:
        return None
    for name in names:
        try:
            with open(os.path.join(base, name, "size")) as f:
                sizes.append(parse_size(f.read()))
        except (OSError, ValueError):
            pass
    sizes = [s for s in sizes if s]
    return max(sizes) if sizes else None


def parse_size(text):
    """"32K", "1024K", "36M" (sysfs cache sizes) → bytes."""
    text = text.strip().upper()
    scale = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(text[-1:], 1)
    return int(text.rstrip("KMG") or "0") * scale


def flush_buffer(device, h):
    """The buffer written before each cold sample."""
    if device.type == "cpu":
        largest = largest_cpu_cache()
        nbytes = 4 * largest if largest else CPU_FLUSH_DEFAULT
    else:
        nbytes = GPU_FLUSH_BYTES
    try:
        return torch.empty(nbytes, dtype=torch.int8, device=device)
    except Exception as exc:
        raise h.failure_of(exc, device, "cache flush buffer (%d bytes): " % nbytes)


def flush_caches(buf):
    if buf.device.type == "cpu":
        # read-modify-write: every line passes through the caches (a large fill may use non-temporal stores)
        buf.add_(1)
    else:
        buf.zero_()  # as Triton's do_bench


def flush_bytes(buf):
    return 0 if buf is None else buf.numel() * buf.element_size()


# ---------------------------------------------------------------- clocks

class HostClock(object):
    """Synchronise, host clock around the calls, synchronise: for devices without timing events."""
    name = "host-clock"

    def __init__(self, device, h):
        self.device = device
        self.sync = h.synchronize

    def measure(self, call, n, flush):
        """(ns the n calls took on the device, ns the host took to issue them or None); `flush` (or None) runs first,
        outside the timing."""
        if flush is not None:
            flush_caches(flush)
        self.sync(self.device)
        t0 = time.perf_counter_ns()
        for _ in range(n):
            call()
        self.sync(self.device)
        return time.perf_counter_ns() - t0, None


class EventClock(object):
    """Device timing events around the calls; the host's launch time is measured too, to tell host-bound calls."""

    def __init__(self, device, module, h):
        self.name = "%s-event" % device.type
        self.device = device
        self.sync = h.synchronize
        self.start = module.Event(enable_timing=True)
        self.end = module.Event(enable_timing=True)

    def measure(self, call, n, flush):
        self.sync(self.device)
        # queued before the start event without a synchronisation (as Triton's do_bench): the device is still busy with
        # it while the host records the start and launches the first timed call, so that launch's latency is not timed.
        # Hot samples of short calls get one untimed call for the same reason (beside a call of 0.5 ms or more, the
        # launch latency is lost in the noise)
        if flush is not None:
            flush_caches(flush)
        elif n > 1:
            call()
        self.start.record()
        h0 = time.perf_counter_ns()
        for _ in range(n):
            call()
        h1 = time.perf_counter_ns()
        self.end.record()
        self.sync(self.device)
        return self.start.elapsed_time(self.end) * 1e6, h1 - h0


def pick_clock(device, h):
    """CUDA (and ROCm) or XPU events where they work; otherwise the synchronised host clock."""
    module = {"cuda": getattr(torch, "cuda", None), "xpu": getattr(torch, "xpu", None)}.get(device.type)
    if module is not None and hasattr(module, "Event"):
        try:
            clock = EventClock(device, module, h)
            clock.measure(lambda: None, 1, None)  # older XPU builds have events that cannot time
            return clock
        except Exception:
            pass
    return HostClock(device, h)


# ---------------------------------------------------------------- measurement

def warm_up(call, device, warmup_ms, h):
    """Runs the call, synchronised, until warmup_ms elapsed (at least once): (runs, ns, one call's estimated ns)."""
    deadline = warmup_ms * 1e6
    times = []
    t0 = time.perf_counter_ns()
    now = t0
    while not times or now - t0 < deadline:
        start = now
        call()
        h.synchronize(device)
        now = time.perf_counter_ns()
        times.append(now - start)
    # the first run pays for compilation and allocations: the estimate comes from the others where there are any
    steady = sorted(times[1:] or times)
    return len(times), now - t0, max(steady[len(steady) // 2], 1)


def calls_per_sample(cache, estimate_ns):
    if cache == "cold":
        return 1  # each call must meet flushed caches
    return int(min(MAX_CALLS_PER_SAMPLE, max(1, math.ceil(HOT_SAMPLE_NS / estimate_ns))))


def quantile(ordered, q):
    """Linear interpolation between closest ranks, as numpy's default."""
    pos = (len(ordered) - 1) * q
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def relative_iqr(samples):
    ordered = sorted(samples)
    median = quantile(ordered, 0.5)
    return (quantile(ordered, 0.75) - quantile(ordered, 0.25)) / median if median > 0 else float("inf")


def median(values):
    return quantile(sorted(values), 0.5)


class Stopper(object):
    """When to stop sampling: maxSamples; or minSamples and (a small spread or the budget spent); or, for a very slow
    call, 3 samples and three times the budget."""

    def __init__(self, timing):
        self.min = timing["minSamples"]
        self.max = timing["maxSamples"]
        self.budget_ns = timing["budgetMs"] * 1e6
        self.target = timing["targetRelativeIqr"]
        self.next_check = self.min

    def done(self, samples, elapsed_ns):
        count = len(samples)
        if count >= self.max:
            return True
        if count >= 3 and elapsed_ns >= 3 * self.budget_ns:
            return True
        if count < self.min:
            return False
        if elapsed_ns >= self.budget_ns:
            return True
        if count < self.next_check:
            return False
        self.next_check = count + max(MIN_CHECK_STEP, count // 10)
        return relative_iqr(samples) <= self.target


def sample(call, timing, n, clock, flush):
    """Timed samples (ns per call) and host launch times (ns per call, or None) until the stopper says enough."""
    stopper = Stopper(timing)
    samples, launches = [], []
    t0 = time.perf_counter_ns()
    while True:
        device_ns, host_ns = clock.measure(call, n, flush)
        samples.append(max(float(device_ns) / n, 1.0))
        if host_ns is not None:
            launches.append(float(host_ns) / n)
        if stopper.done(samples, time.perf_counter_ns() - t0):
            return samples, launches


def measure(call, device, timing, flush, h):
    """Warm-up, then adaptive samples: the timing fields of the reply except cacheFlushBytes and telemetry."""
    runs, warm_ns, estimate = warm_up(call, device, timing["warmupMs"], h)
    n = calls_per_sample("cold" if flush is not None else "hot", estimate)
    clock = pick_clock(device, h)
    samples, launches = sample(call, timing, n, clock, flush)
    # host-bound: issuing a call took the host about as long as the device took to run it
    host_bound = median(launches) >= HOST_BOUND_RATIO * median(samples) if launches else None
    return dict(timer=clock.name, samplesNs=samples, callsPerSample=n, warmup=dict(runs=runs, ns=int(warm_ns)),
                hostBound=host_bound)


# ---------------------------------------------------------------- telemetry (read after the timed runs)

def telemetry(device, h):
    """Clocks, power, temperature and throttle state where the platform tells them; absent keys are unknown."""
    out = {"threads": torch.get_num_threads()}
    try:
        if device.type == "cuda" and getattr(torch.version, "hip", None):
            out.update(rocm_smi(device, h))
        elif device.type == "cuda":
            out.update(nvidia_smi(device, h))
        elif device.type == "cpu":
            mhz = cpu_mhz()
            if mhz is not None:
                out["cpu_mhz"] = mhz
    except Exception:
        pass  # telemetry is best effort: never a reason to lose the samples
    return out


NVIDIA_FIELDS = (("clocks.sm", "sm_clock_mhz"), ("clocks.mem", "mem_clock_mhz"), ("power.draw", "power_w"),
                 ("temperature.gpu", "temperature_c"), ("clocks_throttle_reasons.active", "throttle_reasons"))


def nvidia_smi(device, h):
    if shutil.which("nvidia-smi") is None:
        return {}
    query = "--query-gpu=" + ",".join(f for f, _ in NVIDIA_FIELDS)
    for ident in nvidia_ids(device):
        text = h.run_quiet(["nvidia-smi", query, "--format=csv,noheader,nounits", "-i", ident],
                           timeout=TELEMETRY_TIMEOUT_S)
        lines = [l for l in (text or "").splitlines() if l.strip()]
        if lines:
            return parse_nvidia(lines[0])
    return {}


def nvidia_ids(device):
    """What nvidia-smi -i may call this device: its UUID, then its entry of CUDA_VISIBLE_DEVICES or its index (torch's
    numbering differs from nvidia-smi's when devices are hidden or reordered)."""
    index = device.index or 0
    ids = []
    uuid = getattr(torch.cuda.get_device_properties(index), "uuid", None)
    if uuid is not None:
        text = str(uuid)
        ids.append(text if text.startswith(("GPU-", "MIG-")) else "GPU-" + text)
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    if index < len(visible):
        ids.append(visible[index])
    elif "CUDA_VISIBLE_DEVICES" not in os.environ:
        ids.append(str(index))
    return ids


def parse_nvidia(line):
    out = {}
    for (_, key), value in zip(NVIDIA_FIELDS, [v.strip() for v in line.split(",")]):
        if not value or value.startswith("[") or value == "N/A":  # [N/A], [Not Supported]
            continue
        if key == "throttle_reasons":
            out[key] = value
            continue
        try:
            out[key] = float(value)
        except ValueError:
            pass
    return out


def rocm_smi(device, h):
    """Best effort: rocm-smi's JSON key names differ between ROCm releases."""
    if shutil.which("rocm-smi") is None:
        return {}
    text = h.run_quiet(["rocm-smi", "-d", str(device.index or 0), "--showclocks", "--showpower", "--showtemp",
                        "--json"], timeout=TELEMETRY_TIMEOUT_S)
    try:
        cards = json.loads(text or "{}")
    except ValueError:
        return {}
    card = next((v for k, v in sorted(cards.items()) if k.startswith("card") and isinstance(v, dict)), {})
    return parse_rocm(card)


def parse_rocm(card):
    out = {}
    for key, value in card.items():
        low, number = key.lower(), first_number(str(value))
        if number is None:
            continue
        if "sclk" in low:
            out.setdefault("sm_clock_mhz", number)
        elif "mclk" in low:
            out.setdefault("mem_clock_mhz", number)
        elif "power" in low and "(w)" in low:
            out.setdefault("power_w", number)
        elif "temperature" in low and ("junction" in low or "edge" in low):
            # the junction (hotspot) sensor where there is one: it is what throttles
            if "junction" in low or "temperature_c" not in out:
                out["temperature_c"] = number
    return out


def first_number(text):
    match = re.search(r"-?\d+(\.\d+)?", text)
    return float(match.group(0)) if match else None


def cpu_mhz():
    """Mean current clock of the CPUs in /proc/cpuinfo (x86 Linux), or None."""
    values = []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "cpu MHz":
                    values.append(float(value))
    except (OSError, ValueError):
        return None
    return sum(values) / len(values) if values else None
