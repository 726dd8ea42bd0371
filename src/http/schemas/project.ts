import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { PROJECT_SORT_ORDERS, MAX_PROJECT_TAKE } from '../../projects/project-search.js';
import { MAX_PROJECT_LIST_ITEMS, PART_STATUSES } from '../../projects/project.types.js';
import { DateTime, MAX_SHORT_LENGTH, MAX_TEXT_LENGTH, Nullable, ShortString } from './common.js';

// The projects API speaks camelCase, as the reference API's documentation does. Every object refuses unknown fields.

const strict = { additionalProperties: false } as const;
const opt = <T extends TSchema>(s: T) => Type.Optional(Nullable(s));
const NullableString = Nullable(Type.String());
const NullableDate = Nullable(Type.String({ format: 'date-time' }));
const List = <T extends TSchema>(s: T, description?: string) =>
  Type.Array(s, { maxItems: MAX_PROJECT_LIST_ITEMS, ...(description ? { description } : {}) });
const Strings = (description?: string) => List(Type.String({ maxLength: MAX_SHORT_LENGTH }), description);

/**
 * `T | null` of an object in a response, as a type list (`type: ['object', 'null']`) rather than anyOf: the same
 * JSON and the same OpenAPI (`nullable: true`), but fast-json-stringify writes it directly instead of testing each
 * anyOf branch against the value, per project in a page of results (forSerializer does this for primitives).
 */
const NullableObject = <T extends TObject>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: ['object', 'null'] });

/** A decimal in a request: a JSON number or decimal text ("2.5"); answered as text (src/decimal.ts). */
export const DecimalInput = (description: string) =>
  Type.Union([Type.Number(), Type.String({ maxLength: 40, pattern: '^\\s*-?\\d+(\\.\\d+)?\\s*$' })], { description });
/** A decimal in a response: exact decimal text, shortest form. */
const DecimalText = (description: string) => Type.String({ description, pattern: '^-?\\d+(\\.\\d+)?$' });

export const ProjectPropertySchema = Type.Object(
  { key: ShortString(), value: Nullable(Type.String({ maxLength: 10_000 })) },
  { ...strict, title: 'ProjectProperty' },
);

const stepFields = {
  id: Type.String({ description: 'Step id, unique in its workflow' }),
  name: Type.String(),
  index: Type.Integer({ description: 'Position in the workflow, from 0' }),
  description: NullableString,
  hiddenFromCustomer: Type.Boolean(),
  hiddenFromPartner: Type.Boolean(),
};
export const WorkflowStepSchema = Type.Object(stepFields, { ...strict, title: 'WorkflowStep' });
export const ProjectWorkflowStepSchema = Type.Object(
  {
    ...stepFields,
    current: Type.Boolean(),
    startDate: NullableDate,
    dateCompleted: NullableDate,
  },
  { ...strict, title: 'ProjectWorkflowStep' },
);

export const WorkflowStepInputSchema = Type.Object(
  {
    id: opt(ShortString({ description: 'Kept when given; a new uuid otherwise' })),
    name: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH }),
    index: opt(Type.Integer({ minimum: 0, description: 'Order in the workflow; default: the position in the list' })),
    description: opt(Type.String({ maxLength: 10_000 })),
    hiddenFromCustomer: opt(Type.Boolean()),
    hiddenFromPartner: opt(Type.Boolean()),
  },
  { ...strict, title: 'WorkflowStepInput' },
);

export const ProjectTypeSchema = Type.Object(
  {
    projectTypeId: Type.Integer(),
    projectTypeName: Type.String(),
    workflowSteps: Type.Array(WorkflowStepSchema),
    referenceTypes: Type.Array(Type.String()),
    canHaveMultiplePartners: Type.Boolean(),
    finishOnLastStep: Type.Boolean(),
    defaultOrderType: NullableString,
  },
  { ...strict, title: 'ProjectType' },
);

const projectTypeFields = {
  projectTypeName: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH }),
  workflowSteps: opt(List(WorkflowStepInputSchema)),
  referenceTypes: opt(Strings('The referenceType values products of this type may have')),
  canHaveMultiplePartners: opt(Type.Boolean()),
  finishOnLastStep: opt(Type.Boolean({ description: 'Reaching the last step finishes the project' })),
  defaultOrderType: opt(ShortString()),
};
export const ProjectTypeCreateBody = Type.Object(projectTypeFields, { ...strict, title: 'ProjectTypeCreate' });
export const ProjectTypeUpdateBody = Type.Object(
  { projectTypeId: Type.Integer({ minimum: 1 }), ...projectTypeFields },
  { ...strict, title: 'ProjectTypeUpdate' },
);

const CustomerRef = Type.Object(
  { id: NullableString, name: NullableString, email: NullableString },
  { ...strict, title: 'ProjectCustomer' },
);
const CustomerRefInput = Type.Object(
  { id: opt(ShortString()), name: opt(ShortString()), email: opt(ShortString()) },
  { ...strict, title: 'ProjectCustomerInput' },
);
const Partner = Type.Object(
  { id: NullableString, name: NullableString, email: NullableString, phone: NullableString, role: NullableString },
  { ...strict, title: 'ProjectPartner' },
);
const PartnerInput = Type.Object(
  {
    id: opt(ShortString()),
    name: opt(ShortString()),
    email: opt(ShortString()),
    phone: opt(ShortString()),
    role: opt(ShortString()),
  },
  { ...strict, title: 'ProjectPartnerInput' },
);

export const ProductSchema = Type.Object(
  {
    name: NullableString,
    skuId: Type.String(),
    productId: NullableString,
    quantity: DecimalText('Exact decimal, as text: "2.5"'),
    status: Type.String({ description: 'e.g. Active, Cancelled' }),
    cancellationCode: NullableString,
    cancellationReason: NullableString,
    properties: Type.Array(ProjectPropertySchema),
    referenceType: NullableString,
    orderType: NullableString,
    orderId: NullableString,
  },
  { ...strict, title: 'ProjectProduct' },
);

export const ProductInputSchema = Type.Object(
  {
    name: opt(ShortString()),
    skuId: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH, description: 'Unique within the project' }),
    productId: opt(ShortString()),
    quantity: DecimalInput('Not negative; up to 18 digits before the point and 6 after'),
    status: opt(ShortString({ description: 'Default Active' })),
    cancellationCode: opt(ShortString()),
    cancellationReason: opt(Type.String({ maxLength: 10_000 })),
    properties: opt(List(ProjectPropertySchema)),
    referenceType: opt(ShortString({ description: "One of the project type's referenceTypes" })),
    orderType: opt(ShortString({ description: "Default: the project type's defaultOrderType" })),
    orderId: opt(ShortString()),
  },
  { ...strict, title: 'ProjectProductInput' },
);

const partFields = {
  id: Type.Integer(),
  title: Type.String(),
  description: NullableString,
  status: Type.String({ description: PART_STATUSES.join(', ') }),
  cartIds: Type.Array(Type.String()),
  properties: Type.Array(ProjectPropertySchema),
  created: Type.String({ format: 'date-time' }),
  modified: Type.String({ format: 'date-time' }),
};
export const ProjectPartSchema = Type.Object(partFields, { ...strict, title: 'ProjectPart' });
export const ChangeOrderSchema = Type.Object(
  { ...partFields, approved: NullableDate, approvedBy: NullableString },
  { ...strict, title: 'ChangeOrder' },
);
const partInputFields = {
  title: Type.String({ minLength: 1, maxLength: 1_000 }),
  description: opt(Type.String({ maxLength: MAX_TEXT_LENGTH })),
  status: opt(
    Type.Union(
      PART_STATUSES.map((s) => Type.Literal(s)),
      { description: 'Default Sent' },
    ),
  ),
  cartIds: opt(Strings()),
  properties: opt(List(ProjectPropertySchema)),
};
export const ProjectPartInput = Type.Object(partInputFields, { ...strict, title: 'ProjectPartInput' });
export const ChangeOrderInput = Type.Object(
  {
    ...partInputFields,
    approvedBy: opt(ShortString({ description: "Who approved (status Approved); default: the API key's name" })),
  },
  { ...strict, title: 'ChangeOrderInput' },
);

export const TransactionSchema = Type.Object(
  {
    id: Type.Integer(),
    description: NullableString,
    cost: DecimalText('Exact decimal text'),
    revenue: DecimalText('Exact decimal text'),
    budgetCost: DecimalText('Exact decimal text'),
    budgetRevenue: DecimalText('Exact decimal text'),
    created: Type.String({ format: 'date-time' }),
  },
  { ...strict, title: 'ProjectTransaction' },
);
export const TransactionInput = Type.Object(
  {
    description: opt(Type.String({ maxLength: 10_000 })),
    cost: opt(DecimalInput('Default 0')),
    revenue: opt(DecimalInput('Default 0')),
    budgetCost: opt(DecimalInput('Default 0')),
    budgetRevenue: opt(DecimalInput('Default 0')),
  },
  { ...strict, title: 'ProjectTransactionInput' },
);
export const TransactionSummarySchema = Type.Object(
  {
    totalCost: DecimalText('Sum of cost'),
    totalRevenue: DecimalText('Sum of revenue'),
    totalBudgetCost: DecimalText('Sum of budgetCost'),
    totalBudgetRevenue: DecimalText('Sum of budgetRevenue'),
    result: DecimalText('totalRevenue - totalCost'),
    budgetResult: DecimalText('totalBudgetRevenue - totalBudgetCost'),
    costDeviationPercent: Nullable(
      DecimalText('(totalCost - totalBudgetCost) / totalBudgetCost * 100, 2 decimals; null when the budget is 0'),
    ),
    revenueDeviationPercent: Nullable(DecimalText('Likewise for revenue')),
    resultDeviationPercent: Nullable(DecimalText('(result - budgetResult) / |budgetResult| * 100')),
  },
  { ...strict, title: 'TransactionSummary', description: 'Computed by intake from the transactions, never sent' },
);

export const WorkflowLogSchema = Type.Object(
  {
    action: Type.String({ description: 'GoToWorkflowStep, Accept, Decline or TypeChanged' }),
    fromStepId: NullableString,
    toStepId: NullableString,
    reason: NullableString,
    createdBy: NullableString,
    timestamp: Type.String({ format: 'date-time' }),
  },
  { ...strict, title: 'WorkflowLogEntry' },
);

const summaryFields = {
  id: Type.Integer(),
  projectNumber: Type.String({ description: 'PR- and an increasing number; never reused' }),
  name: Type.String(),
  type: Type.Integer({ description: 'The projectTypeId' }),
  projectTypeName: Type.String(),
  status: Type.String({ description: 'Active unless set; Finished when the workflow finishes it' }),
  workflowStep: NullableObject(ProjectWorkflowStepSchema),
  workflowSteps: Type.Array(ProjectWorkflowStepSchema),
  customer: NullableObject(CustomerRef),
  partner: NullableObject(Partner),
  partners: Type.Array(Partner),
  storeId: NullableString,
  storeContact: NullableString,
  deadline: NullableDate,
  projectDate: NullableDate,
  projectValue: Nullable(DecimalText('Exact decimal text')),
  projectBudgetValue: Nullable(DecimalText('Exact decimal text')),
  tags: Type.Array(Type.String()),
  comments: Nullable(Type.String({ description: 'Visible to partners' })),
  customerComments: NullableString,
  properties: Type.Array(ProjectPropertySchema),
  relatedOrders: Type.Array(Type.String()),
  relatedCarts: Type.Array(Type.String()),
  relatedCases: Type.Array(Type.String({ description: 'Case ids; kept in step with the cases (case link endpoints)' })),
  created: Type.String({ format: 'date-time' }),
  modified: Type.String({ format: 'date-time' }),
  canceled: Type.Boolean(),
  cancellationCode: NullableString,
  cancellationReason: NullableString,
  deleted: NullableDate,
};
export const ProjectSummarySchema = Type.Object(summaryFields, { ...strict, title: 'ProjectSummary' });
export const ProjectSchema = Type.Object(
  {
    ...summaryFields,
    products: Type.Array(ProductSchema),
    projectParts: Type.Array(ProjectPartSchema),
    changeOrders: Type.Array(ChangeOrderSchema),
    transactions: Type.Array(TransactionSchema),
    transactionSummary: TransactionSummarySchema,
    workflowLog: Type.Array(WorkflowLogSchema),
  },
  { ...strict, title: 'Project' },
);

const editable = {
  name: opt(Type.String({ maxLength: 1_000 })),
  type: opt(Type.Integer({ minimum: 1, description: 'The projectTypeId' })),
  status: opt(ShortString({ description: 'Default Active' })),
  customer: opt(CustomerRefInput),
  partner: opt(PartnerInput),
  partners: opt(List(PartnerInput, 'More than one only when the type canHaveMultiplePartners')),
  storeId: opt(ShortString()),
  storeContact: opt(ShortString()),
  deadline: opt(DateTime()),
  projectDate: opt(DateTime()),
  projectValue: opt(DecimalInput('Exact decimal')),
  projectBudgetValue: opt(DecimalInput('Exact decimal')),
  tags: opt(Strings()),
  comments: opt(Type.String({ maxLength: MAX_TEXT_LENGTH })),
  customerComments: opt(Type.String({ maxLength: MAX_TEXT_LENGTH })),
  properties: opt(List(ProjectPropertySchema)),
  relatedOrders: opt(Strings()),
  relatedCarts: opt(Strings()),
  canceled: opt(Type.Boolean()),
  cancellationCode: opt(ShortString()),
  cancellationReason: opt(Type.String({ maxLength: 10_000 })),
  products: opt(List(ProductInputSchema, 'On PATCH, a list given replaces the whole product list')),
};
/** Server-owned fields a PUT/PATCH body may carry (GET-modify-PUT) and that are ignored. */
const ignored = Object.fromEntries(
  [
    'projectNumber',
    'projectTypeName',
    'workflowStep',
    'workflowSteps',
    'relatedCases',
    'created',
    'modified',
    'deleted',
    'projectParts',
    'changeOrders',
    'transactions',
    'transactionSummary',
    'workflowLog',
  ].map((k) => [k, Type.Optional(Type.Unknown({ description: 'Ignored (server-owned)' }))]),
);
export const IGNORED_PROJECT_FIELDS = Object.keys(ignored);

export const ProjectCreateBody = Type.Object(
  { ...editable, type: Type.Integer({ minimum: 1, description: 'The projectTypeId' }) },
  { ...strict, title: 'ProjectCreate' },
);
export const ProjectUpdateBody = Type.Object(
  { id: Type.Integer({ minimum: 1 }), ...editable, ...ignored },
  { ...strict, title: 'ProjectUpdate' },
);
export type ProjectUpdateBody = Static<typeof ProjectUpdateBody>;

export const ProductStatusUpdateBody = Type.Object(
  {
    projectId: Type.Integer({ minimum: 1 }),
    productStatusUpdates: Type.Array(
      Type.Object(
        {
          skuId: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH }),
          status: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH }),
          cancellationCode: opt(ShortString()),
          cancellationReason: opt(Type.String({ maxLength: 10_000 })),
        },
        { ...strict, title: 'ProductStatusUpdate' },
      ),
      { minItems: 1, maxItems: MAX_PROJECT_LIST_ITEMS },
    ),
  },
  { ...strict, title: 'UpdateProjectProductStatus' },
);

export const ProjectSearchBody = Type.Object(
  {
    query: opt(Type.String({ maxLength: 1_000, description: 'Words that must all match (as prefixes), or PR-1234' })),
    take: opt(Type.Integer({ minimum: 1, description: `Default 20, at most ${MAX_PROJECT_TAKE} (more: 400)` })),
    page: opt(Type.Integer({ minimum: 1, description: 'From 1; page * take at most 10,000' })),
    type: opt(Type.Integer({ minimum: 1, description: 'projectTypeId' })),
    status: opt(ShortString()),
    workflowStepId: opt(ShortString({ description: 'The current step' })),
    customerId: opt(ShortString()),
    partnerId: opt(ShortString({ description: 'Any of the partners' })),
    storeId: opt(ShortString()),
    tag: opt(ShortString()),
    relatedOrder: opt(ShortString()),
    relatedCase: opt(ShortString({ description: 'A case id' })),
    includeDeleted: opt(Type.Boolean()),
    sortOrder: opt(
      Type.Union(
        PROJECT_SORT_ORDERS.map((s) => Type.Literal(s)),
        { description: 'Default: id order. Empty values last in both directions; ties by id ascending' },
      ),
    ),
  },
  { ...strict, title: 'ProjectSearch' },
);

export const ProjectSearchResponse = Type.Object(
  {
    result: Type.Array(ProjectSummarySchema),
    totalHits: Type.Integer({ description: 'Exact up to 1,000; see totalHitsExact' }),
    totalHitsExact: Type.Boolean({ description: 'false: more than 1,000 hits, totalHits is 1,000' }),
    page: Type.Integer(),
    take: Type.Integer(),
  },
  { ...strict, title: 'ProjectSearchResult' },
);

export const ProjectFromCaseBody = Type.Object(
  {
    projectTypeId: Type.Integer({ minimum: 1 }),
    name: opt(Type.String({ maxLength: 1_000, description: "Default: the case's subject" })),
  },
  { ...strict, title: 'ProjectFromCase' },
);

export const ProjectIdParams = Type.Object({
  id: Type.String({ maxLength: 100, description: 'The project id or its number (PR-1001)' }),
});
