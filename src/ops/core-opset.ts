/**
 * The Core ATen opset: the 190 overloads PyTorch tags `core` (aten/src/ATen/native/tags.yaml and
 * native_functions.yaml), the operators left after its aten-to-aten decompositions. A backend that runs them runs
 * every PyTorch 2 program exported or decomposed to core ATen. Coverage in `accelcert suites` and in reports counts
 * against this list; the few overloads that are not device kernels are listed with the reason they are not applicable.
 */
export interface CoreOverload {
  name: string;
  group: string;
  /** why the overload has no cases of its own: it is not a device kernel */
  notApplicable?: string;
}

const SYMBOLIC = 'returns metadata as a Python number (a symbolic size, stride or offset), computed on the host: no device kernel';

function group(name: string, overloads: string): CoreOverload[] {
  return overloads
    .trim()
    .split(/\s+/)
    .map((o) => ({ name: `aten.${o.includes('.') ? o : `${o}.default`}`, group: name }));
}

export const CORE_OPSET: readonly CoreOverload[] = [
  ...group(
    'unary',
    `abs acos acosh asin asinh atan atanh ceil cos cosh erf exp expm1 floor log log10 log1p log2 neg reciprocal round rsqrt
     sigmoid sign sin sinh sqrt tan tanh trunc isinf isnan bitwise_not logical_not`,
  ),
  ...group(
    'binary, comparison, select',
    `add.Scalar add.Tensor sub.Scalar sub.Tensor mul.Scalar mul.Tensor div.Scalar div.Scalar_mode div.Tensor div.Tensor_mode
     pow.Scalar pow.Tensor_Scalar pow.Tensor_Tensor fmod.Scalar fmod.Tensor remainder.Scalar remainder.Tensor atan2 maximum
     minimum bitwise_and.Scalar bitwise_and.Tensor bitwise_or.Scalar bitwise_or.Tensor bitwise_xor.Scalar bitwise_xor.Tensor
     logical_and logical_or logical_xor eq.Scalar eq.Tensor ne.Scalar ne.Tensor ge.Scalar ge.Tensor gt.Scalar gt.Tensor
     le.Scalar le.Tensor lt.Scalar lt.Tensor where.self clamp clamp.Tensor`,
  ),
  {
    name: 'aten.atan2.out',
    group: 'binary, comparison, select',
    notApplicable: 'the out= form of aten.atan2.default: the same kernel, writing into a tensor the caller passes; calls in the accelcert protocol return their outputs',
  },
  ...group(
    'reduction, scan, sort',
    `amax amin any any.dim any.dims argmax argmin max.dim min.dim mean mean.dim sum.dim_IntList prod prod.dim_int
     var.correction var.dim cumsum sort topk`,
  ),
  ...group(
    'indexing, scatter',
    `gather index.Tensor index_put index_select scatter.src scatter.value scatter_add scatter_reduce.two select_scatter
     slice_scatter masked_scatter nonzero embedding embedding_dense_backward _embedding_bag`,
  ),
  ...group(
    'shape, view, copy, pad',
    `alias as_strided cat clone constant_pad_nd copy diagonal expand flip permute repeat select.int slice.Tensor
     split_with_sizes squeeze.dim squeeze.dims unsqueeze view _to_copy resize_ col2im reflection_pad1d reflection_pad2d
     reflection_pad3d replication_pad2d replication_pad3d`,
  ),
  ...group('creation', 'arange.start_step empty.memory_format empty_strided full full_like fill.Scalar scalar_tensor'),
  ...group('random', 'rand randn randperm native_dropout'),
  ...group('matmul, convolution, distance, FFT', 'addmm bmm mm convolution convolution_backward _cdist_forward _pdist_forward _fft_r2c'),
  ...group(
    'normalization',
    `_native_batch_norm_legit _native_batch_norm_legit.no_stats _native_batch_norm_legit_no_training native_layer_norm
     native_layer_norm_backward native_group_norm native_group_norm_backward`,
  ),
  ...group('activation, softmax', 'relu gelu hardtanh leaky_relu _softmax _log_softmax'),
  ...group(
    'pooling, upsampling, sampling',
    `_adaptive_avg_pool2d _adaptive_avg_pool2d_backward _adaptive_avg_pool3d adaptive_avg_pool1d avg_pool1d avg_pool2d
     avg_pool2d_backward avg_pool3d max_pool2d_with_indices max_pool2d_with_indices_backward max_pool3d_with_indices
     upsample_bilinear2d.vec upsample_nearest2d.vec grid_sampler_2d`,
  ),
  ...group('symbolic, scalar', 'sym_numel sym_size.int sym_storage_offset sym_stride.int').map((o) => ({ ...o, notApplicable: SYMBOLIC })),
  {
    name: 'aten._local_scalar_dense.default',
    group: 'symbolic, scalar',
    notApplicable: 'copies one element to the host as a Python number: every output the harness reads back already exercises it',
  },
];
