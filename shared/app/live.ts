/**
 * The live wiring on Lambda: builds, once per cold start, exactly the ports the manifest lists for a
 * function, from factories its index.ts imports one by one (shared/app/live/*). A function therefore
 * bundles only the adapters and SDK clients of its own ports. The types make the index name every
 * port of its manifest entry and nothing else:
 *
 *   export const handler = makeHandler(await live('<name>', { links, merchants, tokens, ... }));
 */
import { createLogger, type LogLevel } from '../logger.js';
import { systemClock } from './ambient.js';
import { ENV } from './env.js';
import { FUNCTIONS, type FunctionName, type PortsOf } from './functions.js';
import type { DepsOf, Ports } from './ports.js';

export type LiveFactories<N extends FunctionName> = { [P in PortsOf<N>]: () => Ports[P] | Promise<Ports[P]> };

export async function live<N extends FunctionName>(name: N, factories: LiveFactories<N>): Promise<DepsOf<PortsOf<N>>> {
  const logger = createLogger({ level: (process.env[ENV.logLevel] as LogLevel | undefined) ?? 'info', bindings: { service: 'paylink', function: name } });
  const deps: Record<string, unknown> = { clock: systemClock, logger };
  const ports: readonly PortsOf<N>[] = FUNCTIONS[name].ports;
  for (const port of ports) deps[port] = await factories[port]();
  return deps as DepsOf<PortsOf<N>>;
}
