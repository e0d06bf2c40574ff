import { embedding, embeddingBag, embeddingDenseBackward } from './indexing-embedding.js';
import { gather, indexSelect, indexTensor, nonzero } from './indexing-gather.js';
import { indexPut, maskedScatter, scatterAdd, scatterReduceTwo, scatterSrc, scatterValue, selectScatter, sliceScatter } from './indexing-scatter.js';
import type { OpDef } from './types.js';

/** The op catalogue's gather, scatter, index, index_put, index_select, masked and embedding ops. */
export const INDEXING_OPS: readonly OpDef[] = [
  gather,
  indexTensor,
  indexPut,
  indexSelect,
  scatterSrc,
  scatterValue,
  scatterAdd,
  scatterReduceTwo,
  selectScatter,
  sliceScatter,
  maskedScatter,
  nonzero,
  embedding,
  embeddingDenseBackward,
  embeddingBag,
];
