/**
 * The table of layer kinds: a layer object from its serialisable spec.
 * Private to lib/rules; `layerFromSpec` is exported through index.ts. The
 * kinds of layers.ts are built there; a kind in a file of its own (batch
 * norm, residual blocks, the transformer layers, the locally connected layer) is one case here, so layers.ts imports none of
 * them and no import circle forms (a residual block builds its body through
 * the function passed to it).
 */
import { ArgumentError } from '../core';
import { BatchNorm } from './batch-norm';
import { layerFromSpec as coreLayerFromSpec, type Layer, type LayerSpec } from './layers';
import { LocallyConnected2d } from './locally-connected';
import { GaussianNoise } from './noise';
import { Residual } from './residual';
import { Attention, Gelu, LayerNorm, PatchEmbedding, TokenMean } from './transformer';

/** A layer object from its spec (any kind of LayerSpec). */
export function layerFromSpec(spec: LayerSpec): Layer {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('layer spec', 'an object with a kind', spec);
  switch (spec.kind) {
    case 'batchnorm':
      return new BatchNorm(spec);
    case 'residual':
      return new Residual(spec, layerFromSpec);
    case 'locally-connected':
      return new LocallyConnected2d(spec);
    case 'patch-embedding':
      return new PatchEmbedding(spec);
    case 'layer-norm':
      return new LayerNorm(spec);
    case 'gelu':
      return new Gelu(spec);
    case 'attention':
      return new Attention(spec);
    case 'token-mean':
      return new TokenMean(spec);
    case 'gaussian-noise':
      return new GaussianNoise(spec);
    default:
      return coreLayerFromSpec(spec);
  }
}
