/** `npm run events`: writes docs/events.md (the EventBridge event catalogue) from the schemas. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildEventsMarkdown } from './events.js';

const target = fileURLToPath(new URL('./events.md', import.meta.url));
writeFileSync(target, buildEventsMarkdown());
process.stdout.write(`wrote ${target}\n`);
