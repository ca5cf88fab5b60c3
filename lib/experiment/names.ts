/**
 * One name per model in every legend, table and sentence of the notebooks. Plain names are the
 * textbook algorithms; "(original, with leak)" is the original notebook's code, whose inner
 * backward pass adds the support gradient to the meta-gradient.
 *
 * Used by notebooks 04-11 (legends and tables).
 */
export const NAMES = {
  maml: 'MAML',
  fomaml: 'First-order MAML',
  mamlLeak: 'MAML (original, with leak)',
  fomamlLeak: 'First-order MAML (original, with leak)',
  transfer: 'Transfer',
  random: 'Random',
  reptile: 'Reptile',
  metasgd: 'Meta-SGD',
} as const;

/** The reference's model keys (reference/results.json) under the notebooks' names. */
export const REFERENCE_NAMES = {
  'maml-leak': NAMES.mamlLeak,
  'fomaml-leak': NAMES.fomamlLeak,
  maml: NAMES.maml,
  fomaml: NAMES.fomaml,
  transfer: NAMES.transfer,
  random: NAMES.random,
} as const;
