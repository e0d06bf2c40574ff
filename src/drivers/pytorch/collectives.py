"""accelcert pytorch worker: `collective` requests, torch.distributed collectives across the ranks of this node.

The worker process is the coordinator, not a rank: it keeps a pool of rank processes (this file run as a script),
one per rank of the world size asked for, and talks to each over a socket pair. Each rank imports the plugins of
ACCELCERT_TORCH_PLUGINS, joins a process group and runs the collectives it is sent; every torch.distributed call goes
through the module's attributes at call time, so that a plugin that patches them takes effect.

Imported by worker.py (and by bench.py for timing), which passes its helpers in (make_input, pack_outputs,
WorkerFailure, first_line, run_quiet): worker.py runs as __main__, and importing it from here would run a second copy
of it. Standard library + torch only.
"""
import atexit
import contextlib
import ctypes
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from multiprocessing.connection import Connection, wait as wait_connections

import torch

OPS = ("all_reduce", "all_gather", "reduce_scatter", "broadcast", "all_to_all", "send_recv")
REDUCED = ("all_reduce", "reduce_scatter")
REDUCTIONS = ("sum", "max", "avg")
# X has shape [R, R, ...]: rank r's input holds one chunk per rank
CHUNKED = ("reduce_scatter", "all_to_all")

DEFAULT_CPU_RANKS = 4
PG_TIMEOUT_S = 60
# a rank that has not answered by then is taken for hung; larger than PG_TIMEOUT_S so that a collective that times
# out inside the process group reports its own error first
ANSWER_TIMEOUT_S = float(os.environ.get("ACCELCERT_COLLECTIVE_TIMEOUT_S") or 120)
# starting ranks: importing torch and the plugins, then the rendezvous (which gives up after PG_TIMEOUT_S)
START_TIMEOUT_S = max(ANSWER_TIMEOUT_S, 2 * PG_TIMEOUT_S)
# once one rank has failed, how long the others get to report theirs before the pool is killed
GRACE_S = 2.0
EXIT_WAIT_S = 5.0

# the backends that have no ReduceOp.AVG
NO_AVG = ("gloo", "mpi")
AVG_NOTE = "%s has no ReduceOp.AVG: all_reduce SUM, then each rank divides by the world size"
RS_NOTE = "%s has no reduce_scatter: all_reduce, then each rank keeps its chunk"
# native reduce_scatter entry points, newest first
RS_METHODS = ("reduce_scatter_tensor", "_reduce_scatter_base", "reduce_scatter")


# ---------------------------------------------------------------- plan (coordinator side, no pool needed)

def backend_for(device):
    override = os.environ.get("ACCELCERT_DIST_BACKEND")
    if override:
        return override.strip()
    return {"cpu": "gloo", "cuda": "nccl", "xpu": "xccl", "npu": "hccl"}.get(device.type, "gloo")


def max_ranks(device):
    """(most ranks this node forms for the device's type, what limits it, for messages)."""
    kind = device.type
    if os.environ.get("ACCELCERT_NODE_DEVICE_RUN"):
        # one run of a per-device node run (`run --device X,Y`) holds one device; ranks on the others would share
        # them with those devices' own runs
        return 1, "one device of a per-device node run"
    if kind == "cpu":
        text = os.environ.get("ACCELCERT_CPU_RANKS")
        try:
            count = int(text) if text else DEFAULT_CPU_RANKS
        except ValueError:
            count = DEFAULT_CPU_RANKS
        return max(count, 1), "cpu ranks, ACCELCERT_CPU_RANKS"
    if kind == "mps":
        return 1, "mps devices"
    module = getattr(torch, kind, None)
    count = 1
    if module is not None and hasattr(module, "device_count"):
        try:
            count = int(module.device_count())
        except Exception:
            count = 1
    return count, "%s devices" % kind


def rank_device(device, rank):
    if device.type in ("cpu", "mps"):
        return device.type
    return "%s:%d" % (device.type, rank)


def composes_avg(backend):
    return backend in NO_AVG or not hasattr(torch.distributed.ReduceOp, "AVG")


def composed(backend):
    """What this backend lacks and a run composes, each with the sentence its reply's note carries. reduce_scatter is
    a guess for gloo here (PyTorch 1.13's has none); a pool probes for it when it starts."""
    out = {}
    if composes_avg(backend):
        out["avg"] = AVG_NOTE % backend
    if backend == "gloo" or not any(hasattr(torch.distributed, m) for m in RS_METHODS):
        out["reduce_scatter"] = RS_NOTE % backend
    return out


def backend_missing(backend):
    """Why this torch build has no such backend, where it can tell without starting one; else None."""
    dist = torch.distributed
    if not dist.is_available():
        return "this PyTorch %s has no torch.distributed" % torch.__version__
    check = {"gloo": "is_gloo_available", "nccl": "is_nccl_available", "mpi": "is_mpi_available"}.get(backend)
    if check is not None and hasattr(dist, check) and not getattr(dist, check)():
        return "this PyTorch %s has no %s backend for torch.distributed" % (torch.__version__, backend)
    return None


def capabilities(device):
    if not torch.distributed.is_available():
        return dict(backend=None, maxRanks=0, composed={})
    backend = backend_for(device)
    # no rank can form a group on a backend this build lacks
    ranks = 0 if backend_missing(backend) else max_ranks(device)[0]
    return dict(backend=backend, maxRanks=ranks, composed=composed(backend))


# ---------------------------------------------------------------- wire tensors between coordinator and ranks

def send_tensor(conn, header, t):
    """A header (pickled) and the tensor's bytes; `t` is a contiguous CPU tensor or None."""
    header = dict(header)
    if t is not None:
        header.update(dtype=str(t.dtype).replace("torch.", ""), shape=list(t.shape), nbytes=t.numel() * t.element_size())
    conn.send(header)
    if t is not None and header["nbytes"]:
        conn.send_bytes((ctypes.c_char * header["nbytes"]).from_address(t.data_ptr()))


def recv_tensor(conn, header):
    """The tensor whose bytes follow `header` on the connection, or None when the header carries none."""
    if "nbytes" not in header:
        return None
    dtype = getattr(torch, header["dtype"])
    if not header["nbytes"]:
        return torch.empty(header["shape"], dtype=dtype)
    buf = bytearray(header["nbytes"])
    conn.recv_bytes_into(buf)
    return torch.frombuffer(buf, dtype=torch.uint8).view(dtype).reshape(header["shape"])


# ---------------------------------------------------------------- the pool

class Pool(object):
    def __init__(self, world, backend, device):
        self.world = world
        self.backend = backend
        self.device = device
        self.procs = []
        self.conns = []
        self.rs_native = None  # the native reduce_scatter entry point, from the ranks' probe

    def alive(self):
        return all(p.poll() is None for p in self.procs)


POOL = None
# (backend, op, dtype) → the message of an `unsupported` error the backend raised: not run (and the pool not
# restarted) again for a dtype the backend cannot carry
UNSUPPORTED = {}
_atexit_registered = False


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def start_pool(world, device, h):
    global POOL, _atexit_registered
    backend = backend_for(device)
    pool = Pool(world, backend, device)
    init_method = "tcp://127.0.0.1:%d" % free_port()
    script = os.path.abspath(__file__)
    if script.endswith((".pyc", ".pyo")):
        script = script[:-1]
    try:
        for rank in range(world):
            parent_sock, child_sock = socket.socketpair()
            cfg = dict(rank=rank, world=world, backend=backend, device=rank_device(device, rank),
                       init=init_method, fd=child_sock.fileno(), parent=os.getpid(), timeout=PG_TIMEOUT_S)
            try:
                proc = subprocess.Popen([sys.executable, script, "--rank", json.dumps(cfg)],
                                        pass_fds=[child_sock.fileno()], stdin=subprocess.DEVNULL)
            finally:
                child_sock.close()
            pool.procs.append(proc)
            pool.conns.append(Connection(parent_sock.detach()))
    except OSError as exc:
        kill_pool(pool)
        raise h.WorkerFailure("runtime", "cannot start rank processes: %s" % h.first_line(exc))
    POOL = pool
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered = True
    replies = gather(pool, h, "starting %d ranks (%s on %s)" % (world, backend, device.type), START_TIMEOUT_S)
    pool.rs_native = replies[0].get("rs")
    return pool


def ensure_pool(world, device, h):
    global POOL
    pool = POOL
    if pool is not None and (pool.world != world or pool.backend != backend_for(device)
                             or pool.device != device or not pool.alive()):
        shutdown()
        pool = None
    if pool is None:
        pool = start_pool(world, device, h)
    return pool


def kill_pool(pool):
    """Kills and reaps every rank: no zombie, no orphan."""
    for c in pool.conns:
        try:
            c.close()
        except OSError:
            pass
    for p in pool.procs:
        if p.poll() is None:
            try:
                p.kill()
            except OSError:
                pass
    for p in pool.procs:
        try:
            p.wait()
        except Exception:
            pass


def teardown():
    """Kills the pool: after a failure its process group may be poisoned, so the next case starts a fresh one."""
    global POOL
    pool, POOL = POOL, None
    if pool is not None:
        kill_pool(pool)


def shutdown():
    """Stops the pool cleanly (the ranks leave their process group), killing what does not exit in time."""
    global POOL
    pool, POOL = POOL, None
    if pool is None:
        return
    for c in pool.conns:
        try:
            c.send(dict(cmd="exit"))
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + EXIT_WAIT_S
    for p in pool.procs:
        try:
            p.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            pass
    kill_pool(pool)


def exit_status(proc):
    try:
        code = proc.wait(1.0)
    except subprocess.TimeoutExpired:
        return "died"
    if code < 0:
        try:
            return "died (signal %s)" % signal.Signals(-code).name
        except ValueError:
            return "died (signal %d)" % -code
    return "died (exit status %d)" % code


def gather(pool, h, what, limit=None):
    """Every rank's reply (a dict; a tensor that follows it is read into reply["tensor"]). A rank that raised, died or
    did not answer in time fails the whole call, and the pool is killed."""
    world = len(pool.conns)
    replies = [None] * world
    errors = {}
    pending = dict((pool.conns[r], r) for r in range(world))
    deadline = time.monotonic() + (limit or ANSWER_TIMEOUT_S)
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready = wait_connections(list(pending), left)
        for conn in ready:
            r = pending.pop(conn)
            try:
                reply = conn.recv()
                if reply.get("ok"):
                    reply["tensor"] = recv_tensor(conn, reply)
                    replies[r] = reply
                else:
                    errors[r] = (reply.get("kind") or "runtime", reply.get("message") or "failed")
            except (EOFError, OSError):
                errors[r] = ("runtime", "rank %d %s" % (r, exit_status(pool.procs[r])))
        if errors and pending:
            deadline = min(deadline, time.monotonic() + GRACE_S)
    if not errors and not pending:
        return replies
    teardown()
    # a rank that died is the cause: its peers' errors (connection reset) are what its death did to them
    died = [r for r in sorted(errors) if " died" in errors[r][1]]
    if died:
        kind, message = errors[died[0]]
        raise h.WorkerFailure(kind, "%s: %s" % (what, message))
    if errors:
        kind, message = errors[min(errors)]
        raise h.WorkerFailure(kind, message)
    silent = sorted(pending.values())
    raise h.WorkerFailure("runtime", "%s: rank%s %s did not answer within %g s" % (
        what, "s" if len(silent) > 1 else "", ", ".join(str(r) for r in silent), limit or ANSWER_TIMEOUT_S))


def broadcast_cmd(pool, h, cmd, parts=None):
    """Sends the command to every rank, with rank r's input tensor parts[r] where given."""
    for r, conn in enumerate(pool.conns):
        try:
            send_tensor(conn, cmd, parts[r] if parts is not None else None)
        except (OSError, ValueError) as exc:
            status = exit_status(pool.procs[r]) if pool.procs[r].poll() is not None else h.first_line(exc)
            teardown()
            raise h.WorkerFailure("runtime", "rank %d %s" % (r, status))


# ---------------------------------------------------------------- requests (coordinator side)

def parse_spec(spec, h):
    if not isinstance(spec, dict):
        raise h.WorkerFailure("bad_request", "a collective request needs a `collective` object")
    op = spec.get("op")
    if op not in OPS:
        raise h.WorkerFailure("bad_request", "unknown collective op %r" % (op,))
    reduce = spec.get("reduce")
    if op in REDUCED and reduce not in REDUCTIONS:
        raise h.WorkerFailure("bad_request", "%s needs a reduce of %s, not %r" % (op, "|".join(REDUCTIONS), reduce))
    ranks = spec.get("ranks")
    if not isinstance(ranks, int) or isinstance(ranks, bool) or ranks < 1:
        raise h.WorkerFailure("bad_request", "ranks must be a positive integer, not %r" % (ranks,))
    root = spec.get("root")
    if op == "broadcast" and (not isinstance(root, int) or isinstance(root, bool) or not 0 <= root < ranks):
        raise h.WorkerFailure("bad_request", "broadcast needs a root rank in [0, %d), not %r" % (ranks, root))
    if op == "send_recv" and ranks < 2:
        raise h.WorkerFailure("bad_request", "send_recv needs at least 2 ranks")
    splits = spec.get("splits") if op == "all_to_all" else None
    if splits is not None:
        # rows rank i sends rank j; every rank sends and receives the same total (the harness's rule)
        ok = (isinstance(splits, list) and len(splits) == ranks
              and all(isinstance(row, list) and len(row) == ranks for row in splits)
              and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for row in splits for v in row))
        if not ok:
            raise h.WorkerFailure("bad_request", "all_to_all splits must be %d lists of %d counts" % (ranks, ranks))
    return dict(op=op, reduce=reduce if op in REDUCED else None, ranks=ranks,
                root=root if op == "broadcast" else None, name=spec.get("name") or op, splits=splits)


def prepare(msg, body, spec, device, h):
    """(the parsed spec, the pool, each rank's input, the notes of what is composed) for a collective on the device."""
    c = parse_spec(spec, h)
    world = c["ranks"]
    backend = backend_for(device)
    missing = backend_missing(backend)
    if missing:
        raise h.WorkerFailure("unsupported", missing)
    most, why = max_ranks(device)
    if world > most:
        raise h.WorkerFailure("unsupported", "needs %d ranks; this node forms at most %d (%s)" % (world, most, why))
    inputs = msg.get("inputs") or []
    if len(inputs) != 1:
        raise h.WorkerFailure("bad_request", "a collective takes exactly 1 input, not %d" % len(inputs))
    x = h.make_input(inputs[0], body, torch.device("cpu"))
    # an all_to_all with splits sends each rank's rows in uneven parts: [ranks, rows, ...]
    want = 2 if c["op"] in CHUNKED and c["splits"] is None else 1
    if x.dim() < want or any(x.shape[i] != world for i in range(want)):
        raise h.WorkerFailure("bad_request", "%s over %d ranks needs an input of shape [%s, ...], not %s" % (
            c["op"], world, ", ".join([str(world)] * want), list(x.shape)))
    dtype = str(x.dtype).replace("torch.", "")
    known = UNSUPPORTED.get((backend, c["op"], dtype))
    if known:
        raise h.WorkerFailure("unsupported", known)
    if c["reduce"] == "avg" and composes_avg(backend) and not x.is_floating_point():
        raise h.WorkerFailure("unsupported", "%s has no ReduceOp.AVG, and an average of %s cannot be composed from a sum"
                              % (backend, dtype))
    pool = ensure_pool(world, device, h)
    notes = []
    if c["reduce"] == "avg" and composes_avg(backend):
        notes.append(AVG_NOTE % backend)
    if c["op"] == "reduce_scatter" and pool.rs_native is None:
        notes.append(RS_NOTE % backend)
    c.update(compose_avg=composes_avg(backend), rs=pool.rs_native, backend=backend, dtype=dtype)
    parts = [x[r].contiguous() for r in range(world)]
    return c, pool, parts, "; ".join(notes) or None


def remember_unsupported(c, failure):
    # "Invalid scalar type": the backend cannot carry this dtype in this collective, whatever the values
    if failure.kind == "unsupported" and "scalar type" in failure.message:
        UNSUPPORTED[(c["backend"], c["op"], c["dtype"])] = failure.message


@contextlib.contextmanager
def guarded(c, h):
    """Around talking to the pool: an unsupported collective is remembered; an unexpected error kills the pool, whose
    ranks may be half way through a command."""
    try:
        yield
    except h.WorkerFailure as failure:
        remember_unsupported(c, failure)
        raise
    except Exception:
        teardown()
        raise


def run_collective(msg, body, device, h):
    """One collective: (outputs, chunks, keep, deviceTimeNs, note) for the `result` reply."""
    c, pool, parts, note = prepare(msg, body, msg.get("collective"), device, h)
    broadcast_cmd(pool, h, dict(cmd="run", spec=c), parts)
    del parts
    with guarded(c, h):
        replies = gather(pool, h, c["name"])
    device_ns = max(r["ns"] for r in replies)
    outputs, chunks, keep = h.pack_outputs([r["tensor"] for r in replies])
    return outputs, chunks, keep, int(device_ns), note


def time_collective(msg, body, device, h):
    """Times a collective as nccl-tests does: per sample every rank passes a barrier, then runs `calls` collectives
    back to back on its device; the sample is the slowest rank's time per call. The coordinator decides the number of
    calls and when to stop, with bench.py's rules. The fields of the `timing` reply (without type and id)."""
    import bench

    spec = msg["bench"]
    if spec.get("cache", "hot") not in ("hot", "cold"):
        raise h.WorkerFailure("bad_request", "unknown cache state %r" % spec["cache"])
    if spec.get("math", "strict") not in ("strict", "tf32"):
        raise h.WorkerFailure("bad_request", "unknown math mode %r" % spec["math"])
    timing = spec["timing"]
    c, pool, parts, _ = prepare(msg, body, spec["workload"].get("collective"), device, h)
    broadcast_cmd(pool, h, dict(cmd="bench", spec=c), parts)
    del parts
    with guarded(c, h):
        replies = gather(pool, h, c["name"])
        timer = replies[0]["timer"]

        def step(n):
            broadcast_cmd(pool, h, dict(cmd="sample", n=n))
            return max(r["ns"] for r in gather(pool, h, c["name"]))

        # warm-up: synchronised single calls until warmupMs have passed (at least one)
        times = []
        t0 = time.perf_counter_ns()
        while not times or time.perf_counter_ns() - t0 < timing["warmupMs"] * 1e6:
            times.append(step(1))
        warm_ns = time.perf_counter_ns() - t0
        steady = sorted(times[1:] or times)
        estimate = max(steady[len(steady) // 2], 1)
        n = bench.calls_per_sample("hot", estimate)
        stopper = bench.Stopper(timing)
        samples = []
        t0 = time.perf_counter_ns()
        while True:
            samples.append(max(float(step(n)) / n, 1.0))
            if stopper.done(samples, time.perf_counter_ns() - t0):
                break
        broadcast_cmd(pool, h, dict(cmd="bench_end"))
        gather(pool, h, c["name"])
    return dict(timer=timer, samplesNs=samples, callsPerSample=n, warmup=dict(runs=len(times), ns=int(warm_ns)),
                hostBound=None, cacheFlushBytes=0, telemetry=bench.telemetry(device, h))


# ---------------------------------------------------------------- rank side (this file run as a script)

def die_with_parent(parent):
    """The rank dies with the worker, even a SIGKILLed one: PR_SET_PDEATHSIG on Linux, and everywhere a watchdog
    that exits once the parent is gone (the rank is then re-parented)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except Exception:
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def sync(device):
    if device.type == "cpu":
        return
    module = getattr(torch, device.type, None)
    if device.type == "mps":
        module = getattr(torch, "mps", None)
        if module is not None and hasattr(module, "synchronize"):
            module.synchronize()
        return
    if module is not None and hasattr(module, "synchronize"):
        try:
            module.synchronize(device)
        except TypeError:
            module.synchronize()


def classify_rank_error(exc):
    name = type(exc).__name__
    text = str(exc)
    low = text.lower()
    if isinstance(exc, MemoryError) or name == "OutOfMemoryError" or "out of memory" in low:
        return "out_of_memory"
    if isinstance(exc, NotImplementedError) or "does not support" in low or "not supported" in low \
            or "invalid scalar type" in low or "unsupported" in low or "cannot use reduceop" in low \
            or "doesn't have" in low or "not built" in low:
        return "unsupported"
    return "runtime"


def reduce_op(name, dist):
    # AVG only where the backend has it; a composed avg runs as SUM
    return {"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX}[name] if name != "avg" else dist.ReduceOp.AVG


def collective_call(c, t, rank, device):
    """A no-argument callable running the collective once on rank `rank`'s input `t` (a buffer in-place collectives
    overwrite), returning the rank's output."""
    import torch.distributed as dist

    op, world = c["op"], c["ranks"]
    composed_avg = c["reduce"] == "avg" and c["compose_avg"]
    rop = None
    if c["reduce"] is not None:
        rop = dist.ReduceOp.SUM if composed_avg else reduce_op(c["reduce"], dist)

    if op == "all_reduce":
        def call():
            dist.all_reduce(t, op=rop)
            if composed_avg:
                t.div_(world)
            return t
        return call
    if op == "all_gather":
        parts = [torch.empty_like(t) for _ in range(world)]

        def call():
            dist.all_gather(parts, t)
            return torch.stack(parts)
        return call
    if op == "reduce_scatter":
        if c["rs"] is None:
            def call():
                dist.all_reduce(t, op=rop)
                mine = t[rank]
                if composed_avg:
                    mine.div_(world)
                return mine
            return call
        out = torch.empty(t.shape[1:], dtype=t.dtype, device=device)
        method = c["rs"]

        def call():
            if method == "reduce_scatter":
                dist.reduce_scatter(out, list(t.unbind(0)), op=rop)
            else:
                getattr(dist, method)(out.view(-1), t.view(-1), op=rop)
            if composed_avg:
                out.div_(world)
            return out
        return call
    if op == "broadcast":
        root = c["root"]

        def call():
            dist.broadcast(t, src=root)
            return t
        return call
    if op == "all_to_all":
        out = torch.empty_like(t)
        splits = c.get("splits")
        if splits is not None:
            # uneven parts, as expert-parallel (MoE) dispatch sends them: rank i sends splits[i][j] rows to rank j
            send = [int(n) for n in splits[rank]]
            receive = [int(splits[i][rank]) for i in range(world)]

            def call():
                dist.all_to_all_single(out, t, output_split_sizes=receive, input_split_sizes=send)
                return out
            return call

        def call():
            dist.all_to_all_single(out, t)
            return out
        return call
    if op == "send_recv":
        recv = torch.empty_like(t)
        dst, src = (rank + 1) % world, (rank - 1) % world
        batched = c["backend"] != "gloo" and hasattr(dist, "batch_isend_irecv")

        def call():
            if batched:
                # one group call: pairwise communicators created lazily by separate isend/irecv calls would wait for
                # each other around the ring (NCCL)
                works = dist.batch_isend_irecv([dist.P2POp(dist.irecv, recv, src), dist.P2POp(dist.isend, t, dst)])
            else:
                # both posted before either is waited on: no rank blocks in a send its peer has not posted a receive for
                works = [dist.irecv(recv, src), dist.isend(t, dst)]
            for w in works or []:
                w.wait()
            return recv
        return call
    raise ValueError("unknown collective op %r" % op)


class Timer(object):
    """Synchronised device time of calls: device events where the device has timing events, else the host clock."""

    def __init__(self, device):
        self.device = device
        self.events = None
        if device.type == "cuda":
            self.events = (torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
        self.name = "cuda-event" if self.events else "host-clock"

    def time(self, call, n):
        """(ns for n calls, the last call's result)."""
        import torch.distributed as dist

        sync(self.device)
        dist.barrier()  # every rank starts together: skew is not timed
        sync(self.device)
        result = None
        if self.events is not None:
            self.events[0].record()
            for _ in range(n):
                result = call()
            self.events[1].record()
            sync(self.device)
            return self.events[0].elapsed_time(self.events[1]) * 1e6, result
        t0 = time.perf_counter_ns()
        for _ in range(n):
            result = call()
        sync(self.device)
        return time.perf_counter_ns() - t0, result


def probe_reduce_scatter(device, world):
    """The first native reduce_scatter entry point that works on this process group, or None. A backend without one
    raises before communicating (the same on every rank), which leaves the group usable."""
    import torch.distributed as dist

    for method in RS_METHODS:
        if not hasattr(dist, method):
            continue
        try:
            warnings.filterwarnings("ignore", message=".*_reduce_scatter_base is a private function.*")
            x = torch.ones(world, dtype=torch.float32, device=device)
            out = torch.zeros(1, dtype=torch.float32, device=device)
            if method == "reduce_scatter":
                dist.reduce_scatter(out, list(x.unbind(0)))
            else:
                getattr(dist, method)(out, x)
            sync(device)
            if float(out.cpu()[0]) == float(world):
                return method
        except Exception:
            pass
    return None


def rank_main(cfg):
    conn = Connection(cfg["fd"])
    die_with_parent(cfg["parent"])
    rank = cfg["rank"]
    try:
        for plugin in filter(None, os.environ.get("ACCELCERT_TORCH_PLUGINS", "").split(",")):
            __import__(plugin.strip())
        import torch.distributed as dist

        device = torch.device(cfg["device"])
        module = getattr(torch, device.type, None)
        if device.index is not None and module is not None and hasattr(module, "set_device"):
            module.set_device(device)
        dist.init_process_group(cfg["backend"], init_method=cfg["init"], rank=rank, world_size=cfg["world"],
                                timeout=datetime.timedelta(seconds=cfg["timeout"]))
        rs = probe_reduce_scatter(device, cfg["world"])
        dist.barrier()
    except Exception as exc:
        conn.send(dict(ok=False, kind=classify_rank_error(exc),
                       message="rank %d: cannot join the %s process group: %s" % (rank, cfg["backend"], line_of(exc))))
        return 1
    conn.send(dict(ok=True, rs=rs, pid=os.getpid()))
    timer = Timer(device)
    call = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return 0
        cmd = msg.get("cmd")
        if cmd == "exit":
            try:
                dist.destroy_process_group()
            except Exception:
                pass
            return 0
        try:
            x = recv_tensor(conn, msg)
            if cmd in ("run", "bench"):
                t = x.to(device) if device.type != "cpu" else x
                call = collective_call(msg["spec"], t, rank, device)
                if cmd == "bench":
                    send_tensor(conn, dict(ok=True, timer=timer.name), None)
                    continue
                ns, out = timer.time(call, 1)
                call = None
                send_tensor(conn, dict(ok=True, ns=ns), out.detach().to("cpu").contiguous())
            elif cmd == "sample":
                ns, _ = timer.time(call, msg["n"])
                send_tensor(conn, dict(ok=True, ns=ns), None)
            elif cmd == "bench_end":
                call = None
                send_tensor(conn, dict(ok=True), None)
            else:
                raise ValueError("unknown command %r" % cmd)
        except Exception as exc:
            call = None
            kind = classify_rank_error(exc)
            message = "rank %d: %s" % (rank, line_of(exc))
            if "scalar type" in message.lower():
                # the backend's, not this rank's: every rank raises it
                spec = msg.get("spec") or {}
                message = "%s (PyTorch %s) cannot carry %s in %s: %s" % (
                    cfg["backend"], torch.__version__, spec.get("dtype"), spec.get("op"), line_of(exc))
            try:
                conn.send(dict(ok=False, kind=kind, message=message))
            except OSError:
                return 1


def line_of(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:2000]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rank":
        sys.exit(rank_main(json.loads(sys.argv[2])))
    sys.stderr.write("usage: collectives.py --rank CONFIG (started by the accelcert worker)\n")
    sys.exit(2)
