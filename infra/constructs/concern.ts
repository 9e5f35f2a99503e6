/**
 * A concern of the stack (the data, the API, the notifications…): a construct that groups its
 * resources in the construct tree, and in cdk-nag's report, without renaming them in the template.
 *
 * CloudFormation knows a resource by its logical id, which CDK derives from the construct path.
 * Putting the table, a queue, a secret or the API under a new construct would give it a new logical
 * id, and a new logical id is a replacement on the next deployment: a new, empty table (the old one
 * retained, orphaned), queues and their messages gone, a new API id in every URL, and a failed
 * deployment for the resources with a fixed name (bus, configuration set, topic, log group, SES
 * identity). PaylinkStack therefore allocates logical ids from the path without the concerns' ids,
 * so a resource keeps the logical id it had when it was created directly in the stack.
 *
 * CDK also names a few constructs after another construct's unique id (an event source mapping
 * after its queue or table, an API Gateway permission after the API, a usage-plan key after its API
 * key, an SNS subscription after its topic, an EventBridge permission after its target). Those ids
 * are rewritten the same way, because replacing these resources is worse than a rename: Lambda
 * refuses a second mapping of the same queue or stream to the same function, API Gateway a second
 * usage-plan key for the same key, and SNS hands back the existing subscription, which the deletion
 * of the old resource then removes.
 *
 * The price: construct ids must be unique across the concerns (CDK refuses a template in which two
 * resources get the same logical id). Physical names CDK derives from the path (none are used here
 * but the example log group policy's name) still follow the construct tree.
 */
import { createHash } from 'node:crypto';
import { Names, type CfnElement } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';

export abstract class Concern extends Construct {}

/**
 * The logical id of `element` as if the concerns were not in the construct tree, or undefined when
 * that changes nothing (the stack then allocates it as CDK always does).
 */
export function logicalIdWithoutConcerns(element: CfnElement): string | undefined {
  const scopes = element.node.scopes;
  const stack = element.stack;
  const inStack = scopes.slice(scopes.indexOf(stack) + 1);
  const path = inStack
    .filter((scope) => !(scope instanceof Concern))
    .map((scope) => (EMBEDS_UNIQUE_ID.test(scope.node.id) ? withUniqueIdsRenamed(scope.node.id, stack) : scope.node.id));
  const unchanged = path.length === inStack.length && path.every((id, i) => id === inStack[i]!.node.id);
  return unchanged ? undefined : makeUniqueId(path);
}

/** A unique id ends with the 8 hex digits of its path's hash. */
const EMBEDS_UNIQUE_ID = /[0-9A-F]{8}/;
const uniqueIds = new WeakMap<IConstruct, readonly [string, string] | null>();

/** `id` with the unique id (Names.nodeUniqueId) of any construct under a concern replaced by the one it had without concerns. */
function withUniqueIdsRenamed(id: string, stack: IConstruct): string {
  let renamed = id;
  for (const construct of stack.node.findAll()) {
    let pair = uniqueIds.get(construct);
    if (pair === undefined) {
      const path = construct.node.scopes.slice(1);
      const underConcern = !(construct instanceof Concern) && path.some((scope) => scope instanceof Concern);
      pair = underConcern ? [Names.nodeUniqueId(construct.node), makeUniqueId(path.filter((scope) => !(scope instanceof Concern)).map((scope) => scope.node.id))] : null;
      uniqueIds.set(construct, pair);
    }
    if (pair && renamed.includes(pair[0])) renamed = renamed.split(pair[0]).join(pair[1]);
  }
  return renamed;
}

// CDK's own allocation (aws-cdk-lib core/lib/private/uniqueid.ts, not exported), applied to the path
// without concerns. test/infra/logical-ids.test.ts pins the deployed ids it must keep producing.
const HIDDEN_ID = 'Default';
const HIDDEN_FROM_HUMAN_ID = 'Resource';
const HASH_LEN = 8;
const MAX_HUMAN_LEN = 240;
const MAX_ID_LEN = 255;

function makeUniqueId(path: string[]): string {
  const components = path.filter((c) => c !== HIDDEN_ID);
  if (components.length === 0) throw new Error('cannot allocate a logical id for an empty path');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (components.length === 1) {
    const candidate = alphanumeric(components[0]!);
    if (candidate.length <= MAX_ID_LEN) return candidate;
  }
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, HASH_LEN).toUpperCase();
  const human = withoutRepeats(components)
    .filter((c) => c !== HIDDEN_FROM_HUMAN_ID)
    .map(alphanumeric)
    .join('')
    .slice(0, MAX_HUMAN_LEN);
  return human + hash;
}

/** Drops a component that the previous one ends with (`Bus/Bus` reads `Bus`). */
function withoutRepeats(path: string[]): string[] {
  const kept: string[] = [];
  for (const component of path) if (kept.length === 0 || !kept[kept.length - 1]!.endsWith(component)) kept.push(component);
  return kept;
}
