/** Request bodies and events in one place (STYLE.md §8). */
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';

export function createLinkBody(overrides: Record<string, unknown> = {}): CreatePaymentLinkInput & Record<string, unknown> {
  return {
    entity_id: 'demo-entity',
    amount: 12000,
    currency: 'EUR',
    shopper_redirection_url: 'https://example.org/redirect?order_id=123456789',
    order: { reference: 'order_123456' },
    ...overrides,
  } as CreatePaymentLinkInput & Record<string, unknown>;
}

/** The create request example from the Purse reference (003), with our demo entity and no expiry
 * (its 2024 date is past; tests add a relative one). */
export const PURSE_CREATE_EXAMPLE = {
  entity_id: 'demo-entity',
  amount: 12000,
  currency: 'EUR',
  capture_mode: 'MANUAL',
  shopper_redirection_url: 'https://example.org/redirect?order_id=123456789',
  order: {
    reference: 'order_123456',
    net_amount: 12000,
    tax_amount: 2000,
    billing_address: {
      gender: 'FEMALE',
      first_name: 'Jane',
      middle_name: 'Marie',
      last_name: 'Doe',
      address_lines: ['123 Main Street', 'Apartment 4B'],
      city: 'Paris',
      postal_code: '75001',
      country_code: 'FR',
      province_code: 'FR-IDF',
      phone_number: '+33111111111',
      mobile_phone_number: '+33222222222',
      work_phone_number: '+33444444444',
    },
    shipments: [
      {
        net_amount: 12000,
        delivery_type: 'USER_DELIVERY',
        delivery_quickness: 'REGULAR',
        delivery_method_reference: 'DHL-EXPRESS',
        estimated_delivery_date_time: '2024-08-27T15:00:00+02:00',
        shipping_address: {
          gender: 'FEMALE',
          first_name: 'Jane',
          last_name: 'Doe',
          address_lines: ['123 Main Street'],
          city: 'Paris',
          postal_code: '75001',
          country_code: 'FR',
          delivery_point_name: 'home',
        },
        item_lines: [
          {
            type: 'PHYSICAL',
            sku_reference: 'PROD-001',
            name: 'Product name',
            brand: 'Example Brand',
            quantity: 1,
            unit_gross_price: 10000,
            net_amount: 12000,
            tax_amount: 2000,
            tax_rate: 20,
            seller_reference: '#42-ACME',
            seller_name: 'Acme Corp',
            is_marketplace_seller: true,
            categories: ['Electronics', 'Gadgets'],
          },
        ],
      },
    ],
    additional_data: { custom_field1: 'custom value', custom_field2: 123 },
    marketplace_sellers: [
      {
        name: 'Acme Corp',
        reference: '#42-ACME',
        total_sales_count: 10000,
        total_sales_amount: 12000,
        registration_date_time: '2020-01-01T00:00:00+01:00',
        last_update_date_time: '2024-01-01T00:00:00+01:00',
      },
    ],
  },
  customer: {
    reference: 'CUST-12345',
    type: 'PERSON',
    email: 'jane.doe@example.com',
    gender: 'FEMALE',
    first_name: 'Jane',
    middle_name: 'Marie',
    last_name: 'Doe',
    birth_date: '1992-05-20',
    ip_address: '203.0.113.195',
    locale: 'fr-FR',
    account: {
      creation_date_time: '2021-03-10T10:00:00+01:00',
      purchase_count_last_day: 1,
      authentication_method: 'MERCHANT_CREDENTIALS',
      age_indicator: 'MORE_60_DAYS',
    },
  },
  three_ds_authentication_options: { challenge_indicator: 'NO_CHALLENGE_REQUESTED', challenge_exemption: 'LOW_VALUE' },
  webhook: {
    url: 'https://www.example.org/payment-hook',
    headers: [
      { name: 'x-order-id', values: ['123456789'] },
      { name: 'x-api-key', values: ['9bbce5d2-501c-4fba-9442-3181efd2a7a3'] },
    ],
  },
  allow_future_usage: false,
};

/** A stored link as the table holds it, sent by email and SMS (for notifier and renderer tests). */
export function storedLink(overrides: Partial<PaymentLink> = {}): PaymentLink {
  return {
    id: '5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f',
    version: 1,
    entity_id: 'demo-entity',
    status: 'CREATED',
    amount: 12000,
    currency: 'EUR',
    shopper_redirection_url: 'https://example.org/redirect',
    capture_mode: 'AUTOMATIC',
    expires_at: '2025-03-05T14:30:00.000Z',
    customer: { email: 'jane@example.com', first_name: 'Jane', locale: 'en-US', mobile_phone_number: '+33612345678' },
    order: { reference: 'order_123456' },
    allow_future_usage: false,
    send_by_email: true,
    send_by_sms: true,
    payments: [],
    client_sessions: [],
    created_at: '2025-03-01T10:00:00.000Z',
    updated_at: '2025-03-01T10:00:00.000Z',
    ...overrides,
  };
}
