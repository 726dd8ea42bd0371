import { Type, type Static } from '@sinclair/typebox';
import { MAX_TEXT_LENGTH, ShortString } from './common.js';

const StatusSetting = Type.Object(
  {
    Name: Type.String({ minLength: 1, maxLength: 100 }),
    Level: Type.Integer({
      minimum: 0,
      maximum: 1000,
      description: 'Order of progression; the next suggested status is the next level',
    }),
  },
  { additionalProperties: false, title: 'StatusSetting' },
);

const PrioritySetting = Type.Object(
  {
    Name: Type.String({ minLength: 1, maxLength: 100 }),
    Severity: Type.Integer({ minimum: 0, maximum: 1000, description: 'Higher is more severe' }),
  },
  { additionalProperties: false, title: 'PrioritySetting' },
);

const Acknowledgement = Type.Object(
  {
    Enabled: Type.Boolean({ description: 'Send an acknowledgement email for cases created from email' }),
    Subject: Type.String({
      maxLength: 1000,
      description: 'Placeholders: {{CaseNumber}}, {{Subject}}, {{CustomerName}}',
    }),
    Body: Type.String({ maxLength: MAX_TEXT_LENGTH }),
  },
  { additionalProperties: false, title: 'AcknowledgementSetting' },
);

const OrderCaseList = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200, description });

const OrderCases = Type.Object(
  {
    FromEmail: Type.Boolean({
      description: 'A new email whose subject names orders the order store knows becomes a submitted order case',
    }),
    Services: OrderCaseList('The Service of an order case is one of these'),
    DefaultService: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], {
      description: 'Service of order cases from email and of those created without one; null: none',
    }),
    RequestReasonCodes: OrderCaseList('RequestReasonCode of an order case is one of these'),
    ResolutionCodes: OrderCaseList('ResolutionCode of an order case is one of these'),
  },
  { additionalProperties: false, title: 'OrderCaseSettings' },
);

const fields = {
  Enabled: Type.Boolean({ description: 'Whether cases can be created' }),
  Statuses: Type.Array(StatusSetting, { minItems: 1, maxItems: 100 }),
  StatusNew: Type.String({ description: 'Status of every new case' }),
  StatusClosed: Type.String({ description: 'Entering it sets ClosedDate; leaving it clears ClosedDate' }),
  StatusReopen: Type.String({ description: 'Status a reply to a closed case moves it to' }),
  StatusResolved: Type.String({ description: 'Entering it sets ResolvedDate' }),
  Priorities: Type.Array(PrioritySetting, { minItems: 1, maxItems: 100 }),
  DefaultPriority: Type.String(),
  Tags: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000 }),
  Sources: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    maxItems: 100,
    description: 'Suggested sources; others are allowed',
  }),
  NumberPrefix: ShortString({
    description: 'e.g. CS-: a letter, up to 9 letters or digits, then "-"; applies to new cases',
  }),
  Acknowledgement,
};

/** GET /api/cases/settings. */
export const CaseSettingsSchema = Type.Object(
  {
    ...fields,
    OrderCases,
    NextNumber: Type.Integer({ description: 'The number the next case gets (from the case_number_seq sequence)' }),
  },
  { additionalProperties: false, title: 'CaseSettings' },
);

/** PUT /api/cases/settings: the whole document; NextNumber is optional and may only move forward. */
export const CaseSettingsBody = Type.Object(
  {
    ...fields,
    OrderCases: Type.Optional(OrderCases),
    NextNumber: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000_000_000,
        description: 'Omit to keep; only forward: numbers are never reused',
      }),
    ),
  },
  { additionalProperties: false, title: 'CaseSettingsUpdate' },
);
export type CaseSettingsBody = Static<typeof CaseSettingsBody>;
