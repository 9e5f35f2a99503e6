/** The event bus (infra/constructs/event-bus.ts): the paylink bus, its archive and the example rule. */
import { describe, it } from 'vitest';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../shared/domain/link/events.js';
import { synthesised } from './support.js';

describe('event bus', () => {
  it('has the paylink bus, a 90-day archive of paylink events and the PAID example rule on it', () => {
    const { template, stack } = synthesised();
    const busId = stack.getLogicalId(stack.bus.node.defaultChild as never);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'paylink' });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      EventPattern: { source: [EVENT_SOURCE] },
      RetentionDays: 90,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.linkStatusChanged], detail: { status: ['PAID'] } },
    });
  });
});
