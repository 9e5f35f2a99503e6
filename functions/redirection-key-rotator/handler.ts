/**
 * Keeps the redirection signing keys: run by a deployment trigger (`ensure`: create the first key)
 * and on a schedule (`rotate`: new key first, previous kept for verification). Logs kids only.
 */
import middy from '@middy/core';
import type { Ambient } from '../../shared/app/ports.js';
import { runKeyRotation, type RotationAction } from '../../shared/domain/auth/key-rotation.js';
import type { KeyRing } from '../../shared/domain/ports.js';

export const makeHandler = <K extends { kid: string }>(deps: { redirectionKeys: KeyRing<K> } & Pick<Ambient, 'logger'>) =>
  middy<{ action?: RotationAction } | undefined, { kids: string[]; changed: boolean }>().handler(async (event) => {
    const action: RotationAction = event?.action === 'rotate' ? 'rotate' : 'ensure';
    const result = await runKeyRotation(action, deps.redirectionKeys);
    deps.logger.info('redirection keys', { action, ...result });
    return result;
  });
