/** `npm run openapi`: writes docs/openapi.json from the schemas. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApi } from './openapi.js';

const target = fileURLToPath(new URL('./openapi.json', import.meta.url));
writeFileSync(target, JSON.stringify(buildOpenApi(), null, 2) + '\n');
process.stdout.write(`wrote ${target}\n`);
