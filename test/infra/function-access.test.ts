/**
 * The rules infra/constructs/function-access.ts holds a manifest entry to, checked where a function
 * is created, so a wrong entry fails synthesis with a message that names it: a port in the table
 * needs a table access and a table access needs a port in the table, every function needs its
 * functions/<name>/index.ts, a port's resource must exist before the function, and every manifest
 * function must be created by some concern.
 */
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { Data } from '../../infra/constructs/data.js';
import { FunctionAccess } from '../../infra/constructs/function-access.js';
import { FUNCTIONS, type FunctionSpec } from '../../shared/app/functions.js';
import { NO_BUNDLING } from './support.js';

/** A stack holding the data concern only, and the access its functions would be created with. */
function withData() {
  const stack = new Stack(new App({ context: NO_BUNDLING }), 'Test');
  const access = new FunctionAccess();
  new Data(stack, 'Data', { access });
  return { stack, access };
}

describe('function access', () => {
  it('refuses a function with ports in the table and no table access in the manifest', () => {
    const { stack, access } = withData();
    const spec: FunctionSpec = { ...FUNCTIONS['workflow-expire'], table: undefined };
    expect(() => access.addFunction(stack, { name: 'workflow-expire', spec })).toThrow(
      'function workflow-expire has ports in the table (links) but no table access in the manifest (shared/app/functions.ts)',
    );
  });

  it('refuses a table access in the manifest for a function with no port in the table', () => {
    const { stack, access } = withData();
    const spec: FunctionSpec = { ...FUNCTIONS.jwks, table: { sid: 'TableLinkReads', actions: ['GetItem'] } };
    expect(() => access.addFunction(stack, { name: 'jwks', spec })).toThrow(/^function jwks has a table access \(TableLinkReads\) in the manifest but no port in the table/);
  });

  it('refuses a manifest function without its functions/<name>/index.ts', () => {
    const { stack, access } = withData();
    expect(() => access.addFunction(stack, { name: 'no-such-function', spec: FUNCTIONS.jwks })).toThrow(
      /^function no-such-function is in the manifest \(shared\/app\/functions.ts\) but has no entry: .*functions\/no-such-function\/index.ts is missing$/,
    );
  });

  it('refuses a function whose ports need a resource its concern has not created yet', () => {
    const { stack, access } = withData();
    expect(() => access.addFunction(stack, { name: 'workflow-reminder', spec: FUNCTIONS['workflow-reminder'] })).toThrow(
      'function workflow-reminder sends to the queue notifications, which is not created yet: create its concern first',
    );
  });

  it('fails when a manifest function is created by no concern, and when one is created twice', () => {
    const { stack, access } = withData();
    const rotator = { name: 'redirection-key-rotator', spec: FUNCTIONS['redirection-key-rotator'] };
    access.addFunction(stack, rotator);
    expect(() => access.checkAllCreated()).toThrow(/^no construct creates these manifest functions: oauth-token, create-payment-link, /);
    expect(() => access.addFunction(stack, rotator)).toThrow('function redirection-key-rotator is created twice');
  });
});
