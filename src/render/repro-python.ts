/*
 * The code of a failure kit (`accelcert repro`), between its generated header and its generated data. Python 3.7+, the
 * standard library and torch only: the script is attached to bugs and run where accelcert is not installed.
 *
 * The functions listed in WORKER_FUNCTIONS are read from src/drivers/pytorch/worker.py when a kit is made, so that the
 * kit builds the inputs and makes the call exactly as the run's worker did. The judge below it
 * mirrors src/judge/judge.ts and interval.ts over the acceptance data the generator embeds: the same element
 * decisions, the same worst element, printed as report.json prints it.
 */

/** The worker's definitions the kit carries verbatim, in the order they appear in it. */
export const WORKER_FUNCTIONS: readonly string[] = [
  'WorkerFailure',
  'set_numerics_modes',
  'privateuse1_name',
  'accelerator_backends',
  'device_strings',
  'synchronize',
  'resolve_device',
  'first_line',
  'lookup_op',
  'takes_device',
  'make_input',
  'make_arg',
  'value_at',
  'make_call',
  'flatten_outputs',
  'to_host',
  'check_on_device',
];

export const PYTHON_IMPORTS = String.raw`import argparse
import array
import base64
import ctypes
import decimal
import hashlib
import json
import math
import os
import sys
import traceback
import zlib

# cuBLAS is deterministic only with a fixed workspace; must be set before CUDA initialises (as accelcert's worker does)
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

try:
    import torch
except ImportError as exc:
    sys.stderr.write("repro: this script needs PyTorch, which %s cannot import: %s\n" % (sys.executable, exc))
    sys.exit(2)

DTYPE_NAMES = [
    "float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
    "int64", "int32", "int16", "int8", "uint8", "bool",
]
# dtypes this torch build has (torch 1.13 has no float8)
DTYPES = dict((n, getattr(torch, n)) for n in DTYPE_NAMES if isinstance(getattr(torch, n, None), torch.dtype))
DTYPE_OF = dict((v, k) for k, v in DTYPES.items())
`;

/**
 * The worker's definitions of WORKER_FUNCTIONS, cut from worker.py's source in that order: each top-level `def` or
 * `class` block, up to the next line that starts at column 0. Throws when one is missing (a harness bug).
 */
export function workerDefinitions(source: string): string {
  const blocks = new Map<string, string>();
  for (const block of source.split(/\n(?=\S)/)) {
    const name = /^(?:def|class) (\w+)/.exec(block)?.[1];
    if (name) blocks.set(name, block.trimEnd());
  }
  return WORKER_FUNCTIONS.map((name) => {
    const block = blocks.get(name);
    if (block === undefined) throw new Error(`src/drivers/pytorch/worker.py has no top-level ${name}`);
    return block;
  }).join('\n\n\n');
}

export const PYTHON_KIT = String.raw`
# ---------------------------------------------------------------- reading the data blobs

def unpack(codec, text):
    """The bytes of a data blob below: base64 text, zlib-compressed when the codec says so."""
    raw = base64.b64decode("".join(text.split()))
    return zlib.decompress(raw) if codec == "zlib" else raw


def floats(codec, text):
    """A blob of little-endian float64 values, as a list."""
    values = array.array("d")
    values.frombytes(unpack(codec, text))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


# ---------------------------------------------------------------- numbers as accelcert writes them

def js_number(x):
    """x as report.json writes values: the shortest text that reads back as x, in JavaScript's notation (1e-7,
    123.5, 1e+21), and nan, inf, -inf, -0."""
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign = "-" if x < 0 else ""
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(x))).as_tuple()
    digits = "".join(str(d) for d in digit_tuple)
    s = digits.rstrip("0")
    k = len(s)
    n = exponent + len(digits)  # x = 0.s × 10^n
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + s
    e = n - 1
    mantissa = s if k == 1 else s[0] + "." + s[1:]
    return "%s%se%s%d" % (sign, mantissa, "+" if e >= 0 else "-", abs(e))


def js_precision(x, p):
    """x.toPrecision(p) as JavaScript writes it (how accelcert writes a margin)."""
    text = "%.*e" % (p - 1, x)
    mantissa, _, exp = text.partition("e")
    e = int(exp)
    if e < -6 or e >= p:
        return "%se%s%d" % (mantissa, "+" if e >= 0 else "-", abs(e))
    return "%.*f" % (p - 1 - e, x)


def margin_text(m):
    if m is None:
        return "unbounded"
    return js_number(m) if m.is_integer() else js_precision(m, 3)


def finite(x):
    return x - x == 0


def unravel(flat, shape):
    """The row-major multi-index of a flat index."""
    index = [0] * len(shape)
    for d in range(len(shape) - 1, -1, -1):
        n = shape[d] or 1
        index[d] = flat % n
        flat //= n
    return index


def shape_text(shape):
    return "[%s]" % ", ".join(str(d) for d in shape)


def index_text(index):
    return "[%s]" % ",".join(str(d) for d in index)


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# ---------------------------------------------------------------- the acceptance rules (src/judge/interval.ts)

IN, OUT, UNBOUNDED, PLACEMENT = 0, 1, 2, 3
# elements printed per output without --all
SHOWN = 12


class Exact(object):
    """exact: only the reference rounded to the output dtype, which the generator stored per element (with the
    sign of zero when signedZero); where PyTorch leaves open which of several writes or source elements lands
    (any-write, any-index), any of the element's choices, rounded likewise."""

    def __init__(self, meta, data):
        self.signed_zero = meta["signedZero"]
        self.expected = data["expected"]
        self.starts = data.get("choiceStarts")
        self.choices = data.get("choices")
        self.choice_casts = data.get("choiceCasts")

    def expected_at(self, i, a):
        """The value the rule expects at element i: the choice the device made, if it made one (judge.ts chosen)."""
        if self.starts is not None:
            for j in range(int(self.starts[i]), int(self.starts[i + 1])):
                c = self.choices[j]
                if (c == a and (c != 0 or math.copysign(1.0, c) == math.copysign(1.0, a))) or (c != c and a != a):
                    return self.choice_casts[j]
        return self.expected[i]

    def assess(self, i, a):
        """(verdict, |error| for the ratio, allowed, expected) of element i, as interval.ts assess does."""
        c = self.expected_at(i, a)
        if c != c:
            return (IN if a != a else PLACEMENT), 0.0, 0.0, c
        if a == c and (not self.signed_zero or c != 0 or math.copysign(1.0, a) == math.copysign(1.0, c)):
            return IN, 0.0, 0.0, c
        return (UNBOUNDED if finite(a) and finite(c) else PLACEMENT), 0.0, 0.0, c

    def ratio(self, i, a):
        """(verdict, ratio of the error to the allowed error) as judge.ts's loop counts it."""
        verdict = self.assess(i, a)[0]
        return verdict, (0.0 if verdict == IN else math.inf)

    def allowed_text(self, i, a):
        c = self.expected_at(i, a)
        if c != c:
            return "NaN only (any payload)"
        if c == 0 and self.signed_zero:
            return "exactly %s (the sign of zero counts)" % js_number(c)
        if c == 0:
            return "exactly 0 (either sign)"
        return "exactly %s" % js_number(c)


class Tolerance(object):
    """ulp, accumulation and bound rules: |actual − reference| ≤ half-width, per element. The generator stored each
    element's float64 reference and its half-width as accelcert's judge computes it: on the side away from zero, toward
    zero where that differs (a correctly rounded power of two), and as the judge's element loop sums it where that
    differs in the last bit (its decisions use that sum, its printed worst element the other)."""

    def __init__(self, meta, data):
        self.reference = data["reference"]
        self.away = data["halfWidth"]
        self.toward = data.get("halfWidthTowardZero")
        self.loop = data.get("loopHalfWidth")
        self.overflow_at = float(meta["overflowAt"])
        self.has_infinity = meta["hasInfinity"]
        self.may_overflow = data.get("mayOverflow")

    def half_width(self, i, a):
        """The half-width of element i's interval on the side of a (interval.ts halfWidth)."""
        if self.toward is not None and abs(a) < abs(self.reference[i]):
            return self.toward[i]
        return self.away[i]

    def loop_half_width(self, i, a):
        """The same half-width as judge.ts's element loop sums it."""
        if self.toward is not None and abs(a) < abs(self.reference[i]):
            return self.toward[i]
        return self.loop[i] if self.loop is not None else self.away[i]

    def overflow_distance(self, r, a):
        up = max(self.overflow_at - r, 0.0)
        down = max(r + self.overflow_at, 0.0)
        if a == math.inf:
            return up
        if a == -math.inf:
            return down
        return min(up, down)

    def assess(self, i, a):
        r = self.reference[i]
        if r != r:
            return (IN if a != a else PLACEMENT), 0.0, 0.0, r
        if self.may_overflow is not None and self.may_overflow[i] == 1 and not finite(a):
            return IN, 0.0, 0.0, r
        if not finite(r):
            want = r if self.has_infinity else math.nan
            ok = a == want or (want != want and a != a)
            return (IN if ok else PLACEMENT), 0.0, 0.0, r
        hw = self.half_width(i, a)
        if finite(a):
            err = abs(a - r)
            if err <= hw:
                return IN, err, hw, r
            return (OUT if hw > 0 else UNBOUNDED), err, hw, r
        overflow = a in (math.inf, -math.inf) if self.has_infinity else a != a
        if overflow:
            err = self.overflow_distance(r, a)
            if err <= hw:
                return IN, err, hw, r
        return PLACEMENT, 0.0, hw, r

    def ratio(self, i, a):
        r = self.reference[i]
        if finite(r) and finite(a):
            hw = self.loop_half_width(i, a)
            err = a - r if a > r else r - a
            verdict = IN if err <= hw else OUT
            if err == 0 or hw == math.inf:
                return verdict, 0.0
            return verdict, (err / hw if hw != 0 else math.inf)
        verdict, err, allowed, _ = self.assess(i, a)
        if verdict == UNBOUNDED or verdict == PLACEMENT:
            return verdict, math.inf
        if err == 0 or allowed == math.inf:
            return verdict, 0.0
        return verdict, (err / allowed if allowed != 0 else math.inf)

    def allowed_text(self, i, a):
        r = self.reference[i]
        overflow = self.may_overflow is not None and self.may_overflow[i] == 1
        if r != r:
            return "NaN only (any payload)"
        if not finite(r):
            return "%s only" % js_number(r if self.has_infinity else math.nan)
        below = self.toward[i] if self.toward is not None and r > 0 else self.away[i]
        above = self.toward[i] if self.toward is not None and r < 0 else self.away[i]
        width = "±" + js_number(above) if below == above else "-%s/+%s" % (js_number(below), js_number(above))
        text = "%s → [%s, %s]" % (width, js_number(r - below), js_number(r + above))
        if r + above >= self.overflow_at or r - below <= -self.overflow_at:
            text += ", overflow accepted"
        return text + (", or ±inf/NaN (a partial sum may overflow)" if overflow else "")


def judge_values(rule, spec, actual):
    """judge.ts judgeOutput for a value rule: the elements outside, the margin, the worst element and the first
    misplaced NaN/inf, over the device's values (decoded exactly, as accelcert decodes them); and, to print, the first
    few elements outside."""
    mismatches, unbounded, worst_ratio, worst_at, first_placement = 0, False, 0.0, -1, -1
    outside = []
    for i, a in enumerate(actual):
        verdict, ratio = rule.ratio(i, a)
        if verdict != IN and len(outside) < SHOWN:
            outside.append(i)
        if verdict == PLACEMENT:
            mismatches += 1
            unbounded = True
            if first_placement < 0:
                first_placement = i
            if worst_ratio != math.inf:
                worst_ratio, worst_at = math.inf, i
            continue
        if verdict != IN:
            mismatches += 1
            if not ratio < math.inf:
                ratio = math.inf
        if ratio == math.inf:
            unbounded = True
        if ratio > worst_ratio:
            worst_ratio, worst_at = ratio, i
    worst = None
    if worst_at >= 0:
        a = actual[worst_at]
        _, _, allowed, expected = rule.assess(worst_at, a)
        worst = dict(index=unravel(worst_at, spec["shape"]), actual=js_number(a), expected=js_number(expected),
                     allowed=js_number(allowed))
    problem = None
    if first_placement >= 0:
        a = actual[first_placement]
        expected = rule.assess(first_placement, a)[3]
        problem = "%s at %s where the reference is %s" % (js_number(a), shape_text(unravel(first_placement, spec["shape"])),
                                                          js_number(expected))
    return dict(mismatches=mismatches, margin=None if unbounded else worst_ratio, worst=worst, problem=problem,
                _outside=outside, _worst_at=worst_at, _row=lambda i: element_row(rule, spec, i, actual[i]))


def judge_extreme(acc, spec, actual, inputs):
    """extreme.ts: an argmax/argmin-style index passes when the input holds its slice's extreme there (NaN, if the
    slice holds one)."""
    shape, x = inputs[acc["input"]]
    rank = len(shape)
    if acc["dim"] is None:
        outer, n, inner = 1, numel(shape), 1
    else:
        d = acc["dim"] + max(rank, 1) if acc["dim"] < 0 else acc["dim"]
        n = 1 if rank == 0 else shape[d]
        outer, inner = numel(shape[:d]), numel(shape[d + 1:])
    is_max = acc["extreme"] == "max"
    mismatches, worst = 0, None
    for o, idx in enumerate(actual):
        base = (o // inner) * n * inner + (o % inner)
        column = [x[base + j * inner] for j in range(n)]
        has_nan = any(v != v for v in column)
        ext = math.nan if has_nan else (max(column, default=-math.inf) if is_max else min(column, default=math.inf))
        in_range = idx.is_integer() and 0 <= idx < n
        held = x[base + int(idx) * inner] if in_range else math.nan
        if in_range and ((held != held) if has_nan else held == ext):
            continue
        mismatches += 1
        if worst is None:
            shown = ("index %d (value %s)" % (int(idx), js_number(held))) if in_range else \
                ("index %s (out of range 0..%d)" % (js_number(idx), n - 1))
            worst = dict(index=unravel(o, spec["shape"]), actual=shown, expected="%s %s" % (acc["extreme"], js_number(ext)),
                         allowed="any index holding the %s" % acc["extreme"])
    return dict(mismatches=mismatches, margin=None if mismatches else 0.0, worst=worst, problem=None)


RULES = {"exact": Exact, "tolerance": Tolerance}


# ---------------------------------------------------------------- running the case

def decode(t):
    """A contiguous host tensor's values as floats, exactly as accelcert decodes them (bool as its byte value)."""
    if t.dtype == torch.bool:
        return [float(v) for v in t.view(torch.uint8).reshape(-1).tolist()]
    if t.is_floating_point():
        return t.to(torch.float64).reshape(-1).tolist()
    return [float(v) for v in t.reshape(-1).tolist()]


def raw_bytes(t):
    """A contiguous host tensor's bytes (what the output digest hashes)."""
    return ctypes.string_at(t.data_ptr(), t.numel() * t.element_size()) if t.numel() else b""


def input_specs():
    """The inputs as accelcert's request describes them, each storage at the start of its own buffer."""
    return [dict(spec, byteOffset=0) for spec in CASE["inputs"]]


def build_inputs(device):
    """The case's inputs on the device, from fresh copies of the storages: an in-place op must not change the next
    run's inputs (each request of the run got its own)."""
    return [make_input(spec, bytearray(storage), device) for spec, storage in zip(input_specs(), STORAGES)]


def run_once(op, device):
    """One call, as accelcert's worker makes it: the outputs as host tensors."""
    inputs = build_inputs(device)
    args, kwargs = make_call(op, CASE["args"], CASE["kwargs"], inputs, device)
    synchronize(device)
    results = flatten_outputs(op(*args, **kwargs))
    synchronize(device)
    for r in results:
        check_on_device(r, device, CASE["op"])
    return [to_host(r) for r in results]


def input_values():
    """Each input's (shape, logical values), as the oracle read them (property rules such as index-of-extreme look)."""
    cpu = torch.device("cpu")
    return [(list(spec["shape"]), decode(t.contiguous())) for spec, t in zip(CASE["inputs"], build_inputs(cpu))]


# ---------------------------------------------------------------- judging the device's answer (src/judge/judge.ts)

def structural(index, spec, rule, problem):
    return dict(index=index, dtype=spec["dtype"], shape=spec["shape"], rule=rule, elements=numel(spec["shape"]),
                mismatches=0, margin=None, worst=None, problem=problem, judged=True)


def judge_output(index, spec, t, inputs):
    """The metrics of one output, as report.json records them, plus whether this script judged its values."""
    returned = DTYPE_OF[t.dtype]
    meta = spec["rules"].get(returned)
    if meta is None:
        meta = spec["rules"][spec["dtype"]]
        return structural(index, spec, meta["rule"], "returned dtype %s, expected %s" % (returned, spec["dtype"]))
    judged = dict(spec, dtype=returned)
    shape = list(t.shape)
    if shape != spec["shape"]:
        return structural(index, judged, meta["rule"], "returned shape %s, expected %s" % (shape_text(shape), shape_text(spec["shape"])))
    actual = decode(t)
    base = dict(index=index, dtype=returned, shape=spec["shape"], rule=meta["rule"], elements=len(actual), judged=True)
    kind = meta["kind"]
    if kind in RULES:
        rule = RULES[kind](meta, DATA[(index, returned)])
        base.update(judge_values(rule, spec, actual))
    elif kind == "index-of-extreme":
        base.update(judge_extreme(meta, spec, actual, inputs))
    elif kind == "unspecified":
        base.update(mismatches=0, margin=0.0, worst=None, problem=None)
    else:
        # index-of-values, unordered and the random laws need accelcert's own judge
        base.update(mismatches=0, margin=0.0, worst=None, problem=None, judged=False)
    return base


def element_row(rule, spec, i, a):
    verdict, _, _, expected = rule.assess(i, a)
    return [shape_text(unravel(i, spec["shape"])), js_number(a), js_number(expected), rule.allowed_text(i, a),
            "ok" if verdict == IN else "OUTSIDE"]


def compare_repeat(outputs, first, again):
    """Numerics policy 6: the case run again must give the same bytes (random outputs are judged by their law)."""
    for o, a, b in zip(outputs, first, again):
        if o["problem"] is not None or CASE["outputs"][o["index"]].get("random"):
            continue
        x, y = raw_bytes(a), raw_bytes(b)
        if x == y:
            continue
        size = max(1, a.element_size())
        differ = sum(1 for k in range(0, len(x), size) if x[k:k + size] != y[k:k + size]) if len(x) == len(y) else o["elements"]
        o["problem"] = "not bit-identical when the case ran again: %d of %d elements differ" % (differ, o["elements"])
        o["margin"] = None
    if len(again) < len(first):
        for o in outputs[len(again):]:
            if o["problem"] is None:
                o["problem"], o["margin"] = "the repeated run returned fewer outputs", None


def judge_case(first, again, inputs):
    outputs = []
    for i, spec in enumerate(CASE["outputs"]):
        if i < len(first):
            outputs.append(judge_output(i, spec, first[i], inputs))
        else:
            outputs.append(structural(i, spec, spec["rules"][spec["dtype"]]["rule"], "output missing"))
    for i in range(len(CASE["outputs"]), len(first)):
        t = first[i]
        outputs.append(structural(i, dict(dtype=DTYPE_OF[t.dtype], shape=list(t.shape)), "none", "unexpected output"))
    if again is not None:
        compare_repeat(outputs, first, again)
    return outputs


def failed(o):
    """judge/result.ts outputFailed."""
    return o["problem"] is not None or o["mismatches"] > 0 or o["margin"] is None or not o["margin"] <= 1


def describe(o):
    """judge/describe.ts describeOutput, without the largest errors: the line report.json's message starts with."""
    head = "output %d (%s[%s], %s)" % (o["index"], o["dtype"], ",".join(str(d) for d in o["shape"]), o["rule"])
    if o["problem"] is not None:
        return "%s: %s" % (head, o["problem"])
    line = "%s: %d of %d elements outside the acceptance interval, margin %s" % (head, o["mismatches"], o["elements"],
                                                                               margin_text(o["margin"]))
    w = o["worst"]
    if w is None:
        return line
    return "%s; worst at %s: actual %s, expected %s, allowed %s" % (line, index_text(w["index"]), w["actual"],
                                                                    w["expected"], w["allowed"])


# ---------------------------------------------------------------- printing

def table(rows):
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return [("  " + "  ".join(c.ljust(widths[k]) if k < len(r) - 1 else c for k, c in enumerate(r))).rstrip() for r in rows]


def shown_elements(o, every):
    """Which elements to print: every one with --all; else the worst, then the others outside, then the first ones."""
    n = o["elements"]
    if every or n <= SHOWN:
        return list(range(n))
    picked = [o["_worst_at"]] if o["_worst_at"] >= 0 else []
    for i in o["_outside"] + list(range(SHOWN)):
        if len(picked) < SHOWN and i not in picked:
            picked.append(i)
    return picked


def print_output(o, spec, every):
    print("")
    meta = spec["rules"].get(o["dtype"]) or spec["rules"][spec["dtype"]]
    print("output %d: %s%s under %s: %s" % (o["index"], o["dtype"], shape_text(o["shape"]), o["rule"], meta["means"]))
    if "_row" in o and o["problem"] is None and o["elements"]:
        picked = shown_elements(o, every)
        rows = [["index", "actual", "expected", "allowed", ""]] + [o["_row"](i) for i in picked]
        print("\n".join(table(rows)))
        if len(picked) < o["elements"]:
            print("  (%d of %d elements shown; --all prints every one)" % (len(picked), o["elements"]))
    if not o["judged"]:
        print("  not judged by this script: %s outputs are judged by accelcert itself (the rerun command above)" % o["rule"])
        return
    print("  " + describe(o).split(": ", 1)[1])
    recorded = [r for r in REPORT["outputs"] if r["index"] == o["index"]]
    if recorded:
        same = recorded[0].get("worst") == (o["worst"] and dict(o["worst"], index=list(o["worst"]["index"])))
        print("  the report: %s%s" % (describe(dict(recorded[0], judged=True)).split(": ", 1)[1],
                                      " (the same worst element)" if same and o["worst"] else ""))


def call_text():
    def arg_text(a):
        if a["kind"] == "tensor":
            return "input %d" % a["index"]
        if a["kind"] == "tensors":
            return "[%s]" % ", ".join("input %d" % i for i in a["indices"])
        if a["kind"] == "none":
            return "None"
        if a["kind"] == "dtype":
            return "torch." + a["value"]
        return repr(make_arg(a, []))
    parts = [arg_text(a) for a in CASE["args"]] + ["%s=%s" % (k, arg_text(v)) for k, v in CASE["kwargs"].items()]
    return "torch.ops.%s(%s)" % (CASE["op"], ", ".join(parts))


def device_text(device):
    name = str(device)
    try:
        if device.type == "cuda":
            name += " (%s)" % torch.cuda.get_device_name(device)
    except Exception:
        pass
    return "%s, torch %s" % (name, torch.__version__)


# ---------------------------------------------------------------- main

def parse_args(argv):
    parser = argparse.ArgumentParser(description="accelcert failure kit for %s: runs the case on a device and judges "
                                                 "the answer as accelcert does" % CASE["id"])
    parser.add_argument("--device", default="cpu", help="any device string PyTorch takes: cpu (default), cuda:0, xpu:0, mps, ...")
    parser.add_argument("--all", action="store_true", help="print every element, not only the worst")
    parser.add_argument("--json", action="store_true", help="print the verdict and the metrics as JSON on stdout")
    parser.add_argument("--outputs", metavar="FILE", help="judge the tensors saved in FILE (torch.save of a list, in output "
                                                          "order) instead of running the op; the repeated run is not checked")
    return parser.parse_args(argv)


def import_plugins():
    """Out-of-tree backends (e.g. torch_npu) register on import: ACCELCERT_TORCH_PLUGINS, as accelcert's worker reads it."""
    names = [p.strip() for p in os.environ.get("ACCELCERT_TORCH_PLUGINS", "").split(",") if p.strip()]
    for name in names:
        __import__(name)
    return names


def cannot_run(message):
    sys.stderr.write("repro: %s\n" % message)
    return 2


def storage_digest():
    h = hashlib.sha256()
    for storage in STORAGES:
        h.update(storage)
    return h.hexdigest()


def verdict_line(outputs, count, raised):
    if raised is not None:
        return "FAIL", "%s: %s" % (CASE["id"], raised)
    bad = [o for o in outputs if o["judged"] and failed(o)]
    counts = "returned %d outputs, expected %d; " % (count, len(CASE["outputs"])) if count != len(CASE["outputs"]) else ""
    if bad or counts:
        return "FAIL", "%s: %s%s" % (CASE["id"], counts, describe(bad[0]) if bad else "failed")
    unjudged = [o for o in outputs if not o["judged"]]
    note = "" if not unjudged else " (output %s judged by accelcert only)" % ", ".join(str(o["index"]) for o in unjudged)
    return "PASS", "%s: every output within its acceptance interval%s" % (CASE["id"], note)


def threads_note(device):
    """On a CPU, reductions may round differently with another number of threads than the run had."""
    ran = REPORT["fingerprint"]["extra"].get("threads")
    if device is None or device.type != "cpu" or ran is None or ran == str(torch.get_num_threads()):
        return None
    return "note: the run used %s CPU threads, this process %d (torch.set_num_threads or OMP_NUM_THREADS=%s match it)" % (
        ran, torch.get_num_threads(), ran)


def answer(args, device):
    """The device's outputs, and those of the repeated run (None when the op is nondeterministic or read from a file)."""
    if args.outputs is not None:
        return [to_host(t) for t in flatten_outputs(torch.load(args.outputs, map_location="cpu"))], None
    op = lookup_op(CASE["op"])
    first = run_once(op, device)
    return first, (run_once(op, device) if CASE["repeat"] else None)


def prepare(args):
    """Plugins, the inputs' digest and the device, or the exit code of a kit that cannot run here."""
    try:
        plugins = import_plugins()
    except Exception as exc:
        return cannot_run("cannot import a module of ACCELCERT_TORCH_PLUGINS: %s" % first_line(exc))
    digest = storage_digest()
    if digest != CASE["inputDigest"]:
        return cannot_run("the embedded inputs hash to %s, not %s: this script was altered" % (digest, CASE["inputDigest"]))
    if args.outputs is not None:
        if not os.path.isfile(args.outputs):
            return cannot_run("--outputs %s: no such file" % args.outputs)
        return plugins, digest, None
    try:
        return plugins, digest, resolve_device(args.device)
    except WorkerFailure as failure:
        return cannot_run("cannot use device %r: %s" % (args.device, failure.message))


def print_case(digest, where, plugins, device):
    print("accelcert repro of %s" % CASE["id"])
    print("  call:    %s" % call_text())
    recorded = "the report's inputDigest" if digest == REPORT["inputDigest"] else \
        "the report recorded %s" % (REPORT["inputDigest"] or "no input digest")
    print("  inputs:  sha256 %s (%s)" % (digest, recorded))
    for i, spec in enumerate(CASE["inputs"]):
        print("           input %d: %s%s, strides %s, offset %d, storage of %d bytes" % (
            i, spec["dtype"], shape_text(spec["shape"]), shape_text(spec["strides"]), spec["offset"], spec["byteLength"]))
    print("  device:  %s%s" % (where, "; plugins: " + ", ".join(plugins) if plugins else ""))
    print("  report:  %s on %s" % (REPORT["status"], REPORT["device"]))
    note = threads_note(device)
    if note:
        print("  " + note)


def run_and_judge(args, device):
    """The metrics of every output, the number of outputs returned, and what the op raised (None when it answered)."""
    try:
        first, again = answer(args, device)
    except Exception as exc:
        if not args.json:
            traceback.print_exc()
        # the worker's own failures say what they are (unsupported: an op or dtype this PyTorch lacks)
        if isinstance(exc, WorkerFailure):
            return [], 0, "%s (%s)" % (exc.message, exc.kind)
        return [], 0, "the op raised %s: %s" % (type(exc).__name__, first_line(exc))
    reads_inputs = any(r["kind"] == "index-of-extreme" for spec in CASE["outputs"] for r in spec["rules"].values())
    return judge_case(first, again, input_values() if reads_inputs else []), len(first), None


def main(argv=None):
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    set_numerics_modes()
    prepared = prepare(args)
    if not isinstance(prepared, tuple):
        return prepared
    plugins, digest, device = prepared
    where = "the outputs saved in %s" % args.outputs if device is None else device_text(device)
    if not args.json:
        print_case(digest, where, plugins, device)
    outputs, count, raised = run_and_judge(args, device)
    word, text = verdict_line(outputs, count, raised)
    if args.json:
        metrics = [dict((k, v) for k, v in o.items() if not k.startswith("_")) for o in outputs]
        print(json.dumps(dict(case=CASE["id"], op=CASE["op"], device=where, torch=torch.__version__, plugins=plugins,
                              inputDigest=digest, reportInputDigest=REPORT["inputDigest"], status=word.lower(),
                              message=text, raised=raised, outputs=metrics), indent=2))
        return 0 if word == "PASS" else 1
    for o in outputs:
        if o["index"] < len(CASE["outputs"]):
            print_output(o, CASE["outputs"][o["index"]], args.all)
    print("")
    print("%s %s" % (word, text))
    return 0 if word == "PASS" else 1
`;
