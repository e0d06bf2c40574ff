import { arg } from '../../src/ops/args.js';
import { GraphBuilder, type ModelDefinition, type Value } from '../../src/suite/graph-builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import { add, cat, cosineCheck, kaimingUniform, linear, logitChecks, MODEL_DTYPES, MODEL_MODES, normal, permute, select, slice, softmax, view } from './layers.js';

const BATCH = 2;
const IMAGE = 32;
const PATCH = 4;
const PATCHES = (IMAGE / PATCH) ** 2;
/** the class token and the patches */
const TOKENS = PATCHES + 1;
const DIM = 128;
const HEADS = 4;
const HEAD_DIM = DIM / HEADS;
const HIDDEN = 512;
const CLASSES = 10;
const LN_EPS = 1e-6;

/**
 * A ViT-style encoder (timm's VisionTransformer, one block): patch embedding by a convolution with kernel = stride =
 * 4 over a 32×32 image (64 patches of dim 128), flattened and permuted to tokens, a class token concatenated and a
 * position embedding added; one pre-LN block: layer norm, multi-head attention (4 heads of 32), residual, layer norm,
 * GELU MLP (hidden 512), residual; then the final layer norm and a linear head on the class token. Outputs: the
 * block's token features [2, 65, 128] and the class logits [2, 10].
 *
 * Attention runs head by head on column slices of the q, k, v projections viewed as [B, 65, 32] (a view PyTorch
 * allows of a slice), scores by bmm scaled by 1/√32, softmax in the model dtype, and the heads concatenated.
 *
 * `qkScale` multiplies the initial range of the q and k projection weights, so attention logits grow by its square.
 * Multiply-adds: patch embedding 2·64·128·48 = 0.8 M, q/k/v/proj 4·130·128² = 8.5 M, attention 2·2·4·65²·32 = 2.2 M,
 * MLP 2·130·128·512 = 17.0 M: 28.5 M in all.
 */
function vit(name: string, dtypes: DType[], qkScale: number): ModelDefinition {
  return {
    family: 'vision',
    name,
    dtypes,
    modes: MODEL_MODES,
    build(dtype: DType) {
      const g = new GraphBuilder(name);
      const lin = (n: string, out: number, inp: number, scale = 1) => ({
        weight: g.param(`p_${n}_weight`, dtype, [out, inp], kaimingUniform(inp, scale)),
        bias: g.param(`p_${n}_bias`, dtype, [out], kaimingUniform(inp)),
      });
      const norm = (n: string) => ({ weight: g.param(`p_${n}_weight`, dtype, [DIM], normal(1, 0.1)), bias: g.param(`p_${n}_bias`, dtype, [DIM], normal(0, 0.1)) });
      const clsToken = g.param('p_cls_token', dtype, [1, 1, DIM], normal(0, 0.02));
      const posEmbed = g.param('p_pos_embed', dtype, [1, TOKENS, DIM], normal(0, 0.02));
      const patchWeight = g.param('p_patch_embed_proj_weight', dtype, [DIM, 3, PATCH, PATCH], kaimingUniform(3 * PATCH * PATCH));
      const patchBias = g.param('p_patch_embed_proj_bias', dtype, [DIM], kaimingUniform(3 * PATCH * PATCH));
      const norm1 = norm('blocks_0_norm1');
      const q = lin('blocks_0_attn_q', DIM, DIM, qkScale);
      const k = lin('blocks_0_attn_k', DIM, DIM, qkScale);
      const v = lin('blocks_0_attn_v', DIM, DIM);
      const proj = lin('blocks_0_attn_proj', DIM, DIM);
      const norm2 = norm('blocks_0_norm2');
      const fc1 = lin('blocks_0_mlp_fc1', HIDDEN, DIM);
      const fc2 = lin('blocks_0_mlp_fc2', DIM, HIDDEN);
      const normFinal = norm('norm');
      const head = lin('head', CLASSES, DIM);
      const image = g.input('x', { dtype, shape: [BATCH, 3, IMAGE, IMAGE], layout: { kind: 'contiguous' }, recipe: normal(0, 1) });

      const layerNorm = (x: Value, p: { weight: Value; bias: Value }) =>
        g.callMany('aten.native_layer_norm.default', 3, [x, arg.ints([DIM]), p.weight, p.bias, arg.float(LN_EPS)])[0] as Value;
      const rows = (x: Value) => view(g, x, [BATCH * TOKENS, DIM]);
      const tokens = (x: Value, width: number) => view(g, x, [BATCH, TOKENS, width]);

      // patch embedding → [B, 64, 128] tokens; class token first; position embedding
      const patches = g.call('aten.convolution.default', [
        image,
        patchWeight,
        patchBias,
        arg.ints([PATCH, PATCH]),
        arg.ints([0, 0]),
        arg.ints([1, 1]),
        arg.bool(false),
        arg.ints([0, 0]),
        arg.int(1),
      ]);
      const flat = permute(g, view(g, patches, [BATCH, DIM, PATCHES]), [0, 2, 1]);
      const cls = g.call('aten.expand.default', [clsToken, arg.ints([BATCH, -1, -1])]);
      let x = add(g, cat(g, [cls, flat], 1), posEmbed);

      // attention
      const h = rows(layerNorm(x, norm1));
      const qs = linear(g, h, q.weight, q.bias);
      const ks = linear(g, h, k.weight, k.bias);
      const vs = linear(g, h, v.weight, v.bias);
      const headOf = (t: Value, i: number) => view(g, slice(g, t, 1, i * HEAD_DIM, (i + 1) * HEAD_DIM), [BATCH, TOKENS, HEAD_DIM]);
      const outs = Array.from({ length: HEADS }, (_, i) => {
        const scores = g.call('aten.mul.Scalar', [g.call('aten.bmm.default', [headOf(qs, i), permute(g, headOf(ks, i), [0, 2, 1])]), arg.float(HEAD_DIM ** -0.5)]);
        return g.call('aten.bmm.default', [softmax(g, scores, -1), headOf(vs, i)]);
      });
      const attn = linear(g, rows(cat(g, outs, 2)), proj.weight, proj.bias);
      x = add(g, x, tokens(attn, DIM));

      // MLP
      const m = g.call('aten.gelu.default', [linear(g, rows(layerNorm(x, norm2)), fc1.weight, fc1.bias)]);
      x = add(g, x, tokens(linear(g, m, fc2.weight, fc2.bias), DIM));

      // head on the class token
      const logits = linear(g, select(g, layerNorm(x, normFinal), 1, 0), head.weight, head.bias);
      return { ...g.build([x, logits]), checks: [cosineCheck(dtype, 0), ...logitChecks(dtype, 1)] };
    },
  };
}

export const VIT = vit('vit-block-128d-p4', MODEL_DTYPES, 1);

/**
 * The same block with attention logits in the hundreds: the q and k projections' weights drawn 16× wider, so the
 * logits grow 256× and reach a few hundred. ViT-22B saw this regime without QK normalisation: attention logits that
 * grow without bound during training and give almost one-hot attention weights ("attention logit growth"; Dehghani
 * et al. 2023, "Scaling Vision Transformers to 22 Billion Parameters", ICML 2023, section "QK Normalization"). A
 * softmax that does not subtract the row maximum first overflows once a logit exceeds ln(float32 max) ≈ 88.7 and
 * fails this model; a correct one returns near one-hot rows. float32 only.
 */
export const VIT_LOGIT_GROWTH = vit('vit-block-logit-growth', ['float32'], 16);
