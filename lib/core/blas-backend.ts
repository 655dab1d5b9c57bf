/**
 * The `blas` tfjs backend: tfjs's cpu backend with matrix products and
 * convolutions on the system BLAS through the native add-on (native/).
 * (Being written under issue 4; until the add-on exists this reports why it is unavailable.)
 */
export interface BlasBackendStatus {
  ok: boolean;
  reason?: string;
  detail?: string;
}

export function registerBlasBackend(): BlasBackendStatus {
  return { ok: false, reason: 'native add-on not built (run npm run setup)' };
}
