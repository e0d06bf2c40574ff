import { arg } from '../../src/ops/args.js';
import { GraphBuilder, type ModelDefinition, type Value } from '../../src/suite/graph-builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Graph, TaskCheck } from '../../src/workload/graph.js';
import type { InputSpec } from '../../src/tensor/spec.js';
import { add, cat, cosineCheck, dtypeArg, kaimingUniform, linear, mergeHeads, MODEL_DTYPES, MODEL_MODES, mul, normal, permute, select, slice, softmax, toDtype, view } from './layers.js';

const VOCAB = 256;
const DIM = 128;
const HEADS = 4;
const HEAD_DIM = DIM / HEADS;
const HIDDEN = 512;
const LAYERS = 2;
/** prompt length, and greedy decode steps after it */
const PROMPT = 24;
const DECODE_STEPS = 6;
const ROPE_BASE = 10000;
const RMS_EPS = 1e-6;
/**
 * std of the LM head's weights: the final RMSNorm leaves rows of rms ≈ 1, so the logits have std ≈ √128·0.5 ≈ 5.7, and
 * the top two logits of a greedy step are far apart compared with float32's error
 */
const LM_HEAD_STD = 0.5;

interface Layer {
  attnNorm: Value;
  wq: Value;
  wk: Value;
  wv: Value;
  wo: Value;
  mlpNorm: Value;
  w1: Value;
  w3: Value;
  w2: Value;
}

/**
 * A small Llama-style decoder: token embedding (vocab 256, d 128), 2 layers of pre-RMSNorm attention (4 heads of 32,
 * rotary position embeddings, causal) and SwiGLU MLP (hidden 512), a final RMSNorm and an LM head. One graph holds a
 * prefill over a 24-token prompt, which returns the logits of every position and fills the KV cache, and a greedy
 * decode of 6 steps unrolled after it: each step takes the argmax of the last logits, embeds that token, runs the
 * layers with its keys and values appended to the cache (`cat`) and attention over the whole cache, and yields logits.
 *
 * As Hugging Face's LlamaForCausalLM traces: RMSNorm in the model dtype (pow, mean, add eps, rsqrt, mul by the
 * weight); the rotary tables computed in the graph in float32 from the positions (arange, inv_freq = 1/base^(2i/d),
 * cos and sin of cat(freqs, freqs)) and cast to the model dtype; rotate_half by slice, neg and cat; scores q·kᵀ/√d
 * by bmm; the causal mask built in the graph (0 / −inf from arange, gt, where) and added; softmax in float32; SwiGLU
 * with silu spelled x·sigmoid(x) (the catalogue has no aten.silu).
 *
 * Outputs: the prefill logits [24, 256], the decode steps' logits [6, 256], and the 7 greedy tokens (int64: the
 * prefill's next token, then each step's).
 * Multiply-adds: prefill 2 · 24 · (4·128² + 3·128·512) + attention 2 · 2·4·24²·32 + head 24·128·256 = 13.8 M; each decode
 * step about 0.58 M: 17.2 M in all.
 */
export const LLAMA: ModelDefinition = {
  family: 'language',
  name: 'llama-2l-128d',
  dtypes: MODEL_DTYPES,
  modes: MODEL_MODES,
  build: (dtype: DType) => llamaGraph(dtype, 'generate'),
};

/**
 * What a Llama graph holds: `generate`, the models suite's prefill and greedy decode; `prefill`, the prompt's forward
 * pass alone (logits of every position); `decode`, one decode step of one token against a KV cache of the prompt's
 * length given as inputs (random keys and values), as a server's decode loop runs it. The benchmarks time the last two
 * as prefill and decode tokens per second.
 */
export type LlamaVariant = 'generate' | 'prefill' | 'decode';

/** Tokens one run of a variant processes. */
export const LLAMA_TOKENS: Readonly<Record<LlamaVariant, number>> = { generate: PROMPT + DECODE_STEPS, prefill: PROMPT, decode: 1 };

export function llamaGraph(dtype: DType, variant: LlamaVariant): { graph: Graph; inputs: InputSpec[]; checks: TaskCheck[] } {
  const g = new GraphBuilder(variant === 'generate' ? 'llama-2l-128d' : `llama-2l-128d-${variant}`);
  const linearWeight = (name: string, out: number, inp: number) => g.param(name, dtype, [out, inp], kaimingUniform(inp));
  const normWeight = (name: string) => g.param(name, dtype, [DIM], normal(1, 0.1));
  const embedding = g.param('p_model_embed_tokens_weight', dtype, [VOCAB, DIM], normal(0, 1));
  const layers: Layer[] = Array.from({ length: LAYERS }, (_, i) => {
    const p = `p_model_layers_${i}_`;
    return {
      attnNorm: normWeight(`${p}input_layernorm_weight`),
      wq: linearWeight(`${p}self_attn_q_proj_weight`, DIM, DIM),
      wk: linearWeight(`${p}self_attn_k_proj_weight`, DIM, DIM),
      wv: linearWeight(`${p}self_attn_v_proj_weight`, DIM, DIM),
      wo: linearWeight(`${p}self_attn_o_proj_weight`, DIM, DIM),
      mlpNorm: normWeight(`${p}post_attention_layernorm_weight`),
      w1: linearWeight(`${p}mlp_gate_proj_weight`, HIDDEN, DIM),
      w3: linearWeight(`${p}mlp_up_proj_weight`, HIDDEN, DIM),
      w2: linearWeight(`${p}mlp_down_proj_weight`, DIM, HIDDEN),
    };
  });
  const finalNorm = normWeight('p_model_norm_weight');
  const lmHead = g.param('p_lm_head_weight', dtype, [VOCAB, DIM], normal(0, LM_HEAD_STD));
  const tokenInput = (length: number) =>
    g.input('input_ids', { dtype: 'int64', shape: [length], layout: { kind: 'contiguous' }, recipe: { kind: 'int', low: 0, high: VOCAB - 1 } });
  const prompt = tokenInput(variant === 'decode' ? 1 : PROMPT);
  // decode: the KV cache of a prompt, per layer, as inputs
  const cacheInput = (name: string) => g.input(name, { dtype, shape: [HEADS, PROMPT, HEAD_DIM], layout: { kind: 'contiguous' }, recipe: normal(0, 1) });
  const given = variant === 'decode' ? layers.map((_, i) => ({ k: cacheInput(`past_key_${i}`), v: cacheInput(`past_value_${i}`) })) : [];

  // x · rsqrt(mean(x², -1) + eps) · weight, in the model dtype
  const rmsNorm = (x: Value, weight: Value) => {
    const sq = g.call('aten.pow.Tensor_Scalar', [x, arg.int(2)]);
    const mean = g.call('aten.mean.dim', [sq, arg.ints([-1]), arg.bool(true)]);
    const r = g.call('aten.rsqrt.default', [g.call('aten.add.Scalar', [mean, arg.float(RMS_EPS)])]);
    return mul(g, weight, mul(g, x, r));
  };

  // cos and sin [L, d] of positions start … start+L−1, computed in float32 and cast to the model dtype
  const rotary = (start: number, length: number) => {
    const positions = g.call('aten.arange.start_step', [arg.int(start), arg.int(start + length), arg.int(1)], { dtype: dtypeArg('float32') });
    const even = g.call('aten.arange.start_step', [arg.int(0), arg.int(HEAD_DIM), arg.int(2)], { dtype: dtypeArg('int64') });
    const exponent = g.call('aten.div.Scalar', [toDtype(g, even, 'float32'), arg.int(HEAD_DIM)]);
    const invFreq = g.call('aten.reciprocal.default', [g.call('aten.pow.Scalar', [arg.float(ROPE_BASE), exponent])]);
    const freqs = mul(g, g.call('aten.unsqueeze.default', [positions, arg.int(1)]), g.call('aten.unsqueeze.default', [invFreq, arg.int(0)]));
    const emb = cat(g, [freqs, freqs], -1);
    const cast = (t: Value) => (dtype === 'float32' ? t : toDtype(g, t, dtype));
    return { cos: cast(g.call('aten.cos.default', [emb])), sin: cast(g.call('aten.sin.default', [emb])) };
  };

  // x·cos + rotate_half(x)·sin, rotate_half(x) = cat(−x[…, d/2:], x[…, :d/2])
  const applyRotary = (x: Value, rope: { cos: Value; sin: Value }) => {
    const x1 = slice(g, x, -1, 0, HEAD_DIM / 2);
    const x2 = slice(g, x, -1, HEAD_DIM / 2, HEAD_DIM);
    const rotated = cat(g, [g.call('aten.neg.default', [x2]), x1], -1);
    return add(g, mul(g, x, rope.cos), mul(g, rotated, rope.sin));
  };

  // [L, 128] → heads [4, L, 32]
  const heads = (x: Value, length: number) => permute(g, view(g, x, [length, HEADS, HEAD_DIM]), [1, 0, 2]);

  // one decoder layer over L new tokens; returns the hidden states and the layer's KV cache (with the new tokens)
  const layer = (x: Value, l: Layer, length: number, rope: { cos: Value; sin: Value }, cache: { k: Value; v: Value } | null, mask: Value | null) => {
    const h = rmsNorm(x, l.attnNorm);
    const q = applyRotary(heads(linear(g, h, l.wq), length), rope);
    let k = applyRotary(heads(linear(g, h, l.wk), length), rope);
    let v = heads(linear(g, h, l.wv), length);
    if (cache) {
      k = cat(g, [cache.k, k], 1);
      v = cat(g, [cache.v, v], 1);
    }
    let scores = g.call('aten.div.Scalar', [g.call('aten.bmm.default', [q, permute(g, k, [0, 2, 1])]), arg.float(Math.sqrt(HEAD_DIM))]);
    if (mask) scores = add(g, scores, mask);
    // softmax in float32, as Hugging Face's Llama computes it
    const probs = dtype === 'float32' ? softmax(g, scores, -1) : toDtype(g, softmax(g, toDtype(g, scores, 'float32'), -1), dtype);
    const attn = mergeHeads(g, g.call('aten.bmm.default', [probs, v]), HEADS);
    x = add(g, x, linear(g, attn, l.wo));
    const m = rmsNorm(x, l.mlpNorm);
    const gate = linear(g, m, l.w1);
    const silu = mul(g, gate, g.call('aten.sigmoid.default', [gate]));
    x = add(g, x, linear(g, mul(g, silu, linear(g, m, l.w3)), l.w2));
    return { x, cache: { k, v } };
  };

  const forward = (tokens: Value, start: number, length: number, caches: ({ k: Value; v: Value } | null)[], mask: Value | null) => {
    let x = g.call('aten.embedding.default', [embedding, tokens]);
    const rope = rotary(start, length);
    const filled = layers.map((l, i) => {
      const out = layer(x, l, length, rope, caches[i] ?? null, mask);
      x = out.x;
      return out.cache;
    });
    return { logits: linear(g, rmsNorm(x, finalNorm), lmHead), caches: filled };
  };

  if (variant === 'decode') return { ...g.build([forward(prompt, PROMPT, 1, given, null).logits]), checks: [] };

  // the causal mask [T, T]: 0 where key ≤ query, −inf after it
  const index = g.call('aten.arange.start_step', [arg.int(0), arg.int(PROMPT), arg.int(1)], { dtype: dtypeArg('int64') });
  const future = g.call('aten.gt.Tensor', [g.call('aten.unsqueeze.default', [index, arg.int(0)]), g.call('aten.unsqueeze.default', [index, arg.int(1)])]);
  const full = (value: number) => g.call('aten.full.default', [arg.ints([PROMPT, PROMPT]), arg.float(value)], { dtype: dtypeArg(dtype) });
  const mask = g.call('aten.where.self', [future, full(-Infinity), full(0)]);

  const prefill = forward(prompt, 0, PROMPT, [], mask);
  if (variant === 'prefill') return { ...g.build([prefill.logits]), checks: [] };
  // the next token: argmax of the last position's logits, shape [1]
  let token = g.call('aten.argmax.default', [select(g, prefill.logits, 0, PROMPT - 1), arg.int(0), arg.bool(true)]);
  const tokens = [token];
  const stepLogits: Value[] = [];
  let caches = prefill.caches;
  for (let s = 0; s < DECODE_STEPS; s++) {
    const step = forward(token, PROMPT + s, 1, caches, null);
    caches = step.caches;
    stepLogits.push(step.logits);
    token = g.call('aten.argmax.default', [step.logits, arg.int(1), arg.bool(false)]);
    tokens.push(token);
  }
  const decodeLogits = cat(g, stepLogits, 0);
  const decoded = cat(g, tokens, 0);
  const checks: TaskCheck[] = [{ kind: 'top1', output: 0, min: 0.99 }, cosineCheck(dtype, 0)];
  // greedy tokens must match only where the arithmetic is close enough to the reference's to keep every step's choice
  if (dtype === 'float32') checks.push({ kind: 'tokens', output: 2 });
  return { ...g.build([prefill.logits, decodeLogits, decoded]), checks };
}
