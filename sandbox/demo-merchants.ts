/** The demo merchants `npm start` seeds. Their credentials are public demo values, sandbox only. */
import type { MerchantRegistration } from '../shared/adapters/merchant-directory.js';

/** Demo merchants remind 24 h before expiry, for links that live longer than 48 h. */
const DEMO_REMINDERS = { before_expiry: ['PT24H'], min_lifetime: 'PT48H' };

export const DEMO_MERCHANTS: MerchantRegistration[] = [
  {
    merchant: { entity_id: 'demo-entity', display_name: 'Demo Shop', default_expiry_minutes: 24 * 60, reminder_policy: DEMO_REMINDERS, active: true },
    client_id: 'demo-client',
    client_secret: 'demo-secret',
    api_key: 'demo-api-key',
  },
  {
    merchant: { entity_id: 'demo-entity-2', display_name: 'Second Demo Shop', default_expiry_minutes: 24 * 60, reminder_policy: DEMO_REMINDERS, active: true },
    client_id: 'demo-client-2',
    client_secret: 'demo-secret-2',
    api_key: 'demo-api-key-2',
  },
];
