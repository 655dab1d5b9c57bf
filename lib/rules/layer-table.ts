/**
 * The table of layer kinds: a layer object from its serialisable spec.
 * Private to lib/rules; `layerFromSpec` is exported through index.ts. The
 * kinds of layers.ts are built there; a kind in a file of its own (batch
 * norm, residual blocks) is one case here, so layers.ts imports none of
 * them and no import circle forms (a residual block builds its body through
 * the function passed to it).
 */
import { ArgumentError } from '../core';
import { BatchNorm } from './batch-norm';
import { layerFromSpec as coreLayerFromSpec, type Layer, type LayerSpec } from './layers';
import { Residual } from './residual';

/** A layer object from its spec (any kind of LayerSpec). */
export function layerFromSpec(spec: LayerSpec): Layer {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('layer spec', 'an object with a kind', spec);
  switch (spec.kind) {
    case 'batchnorm':
      return new BatchNorm(spec);
    case 'residual':
      return new Residual(spec, layerFromSpec);
    default:
      return coreLayerFromSpec(spec);
  }
}
