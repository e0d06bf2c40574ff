import { CaseGroup } from '../../src/suite/builder.js';
import { F, I, unary, regimes, SQUARE } from './common.js';

/** The core suite's unary cases. */
export const UNARY: CaseGroup[] = [
  unary('aten.neg.default', [...F, 'int64', 'int32', 'int16', 'int8'], 'uniform', 'special', 'subnormal'),
  unary('aten.abs.default', [...F, ...I], 'uniform', 'special', 'subnormal'),
  unary('aten.exp.default', F, 'uniform', 'special', 'subnormal'),
  unary('aten.log.default', F, 'positive', 'special'),
  unary('aten.sqrt.default', F, 'positive', 'special', 'subnormal'),
  unary('aten.rsqrt.default', F, 'positive', 'special'),
  unary('aten.tanh.default', F, 'uniform', 'special', 'subnormal'),
  unary('aten.sigmoid.default', F, 'uniform', 'special'),
  ...['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid'].map((name) => regimes(`aten.${name}.default`, SQUARE)),

  //
];
