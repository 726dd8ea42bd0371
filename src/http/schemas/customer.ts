import { Type, type Static } from '@sinclair/typebox';
import { Email, MAX_SHORT_LENGTH } from './common.js';

export const CustomerSchema = Type.Object(
  {
    Id: Type.String(),
    Name: Type.String(),
    Email: Type.String(),
    Created: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, title: 'Customer' },
);

export const CustomerCreateBody = Type.Object(
  {
    Name: Type.Optional(Type.String({ maxLength: MAX_SHORT_LENGTH, description: 'Default empty' })),
    Email: Email('Unique, compared case-insensitively'),
  },
  { additionalProperties: false, title: 'CustomerCreate' },
);
export type CustomerCreateBody = Static<typeof CustomerCreateBody>;

export const CustomerQuery = Type.Object(
  { email: Type.Optional(Type.String({ maxLength: MAX_SHORT_LENGTH, description: 'Exact email, any case' })) },
  { additionalProperties: false },
);
