/** The ambient ports every function gets without listing them: the system clock, random ids, the logger. */
import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../domain/ports.js';

export const systemClock: Clock = { now: () => new Date() };

export const randomIds: IdGenerator = { newId: () => randomUUID() };
