/** What the redirection-key rotator does with the stored key list. Pure apart from key generation. */
import type { KeyRing } from '../ports.js';

export type RotationAction = 'ensure' | 'rotate';

/**
 * `ensure` (run at every deployment) creates the first key only when there is none; `rotate`
 * (scheduled) publishes a new signing key and keeps the previous one for verification.
 */
export async function runKeyRotation<K extends { kid: string }>(action: RotationAction, ring: KeyRing<K>): Promise<{ kids: string[]; changed: boolean }> {
  const current = await ring.read();
  if (action === 'ensure' && current.length > 0) return { kids: current.map((k) => k.kid), changed: false };
  const next = await ring.rotate(current);
  await ring.write(next);
  return { kids: next.map((k) => k.kid), changed: true };
}
