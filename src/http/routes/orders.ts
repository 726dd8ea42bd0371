import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { staffUserName } from '../../auth/staff-users.js';
import { caseIdOf } from '../../cases/case.service.js';
import {
  cancelOrderCase,
  editCaseLine,
  editOrderCase,
  removeCaseLine,
  submitOrderCase,
} from '../../cases/case-lines.service.js';
import { addCaseLines, createOrderCase } from '../../orders/order-case.service.js';
import { getOrderJson, importOrder, importOrders, searchOrders } from '../../orders/order.service.js';
import { MAX_REQUEST_BODY_BYTES } from '../json-body.js';
import { CaseSchema } from '../schemas/case.js';
import {
  CaseLineAssignBody,
  CaseLineEditBody,
  CaseLinesAddBody,
  LineParams,
  OrderCaseEditBody,
} from '../schemas/case-line.js';
import { forSerializer, IdParams } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';
import {
  OrderBulkImportBody,
  OrderBulkImportResult,
  OrderCaseChangeSchema,
  OrderCaseFromOrderBody,
  OrderImportBody,
  OrderNumberParams,
  OrderSchema,
  OrderSearchBody,
  OrderSearchResult,
} from '../schemas/order.js';

const orderTags = ['Orders'];
const caseTags = ['Order cases'];
const CaseResponse = forSerializer(CaseSchema);
const ChangeResponse = forSerializer(OrderCaseChangeSchema);

/** The order store (PUT/GET/search orders) and the work on order cases: lines, submit, cancel (docs/order-cases.md). */
export function orderRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.put(
      '/orders',
      {
        config: { needs: 'admin' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags: orderTags,
          summary: 'Import or update one order with its lines (lines matched by LineNumber). Needs: admin',
          description:
            'A known OrderNumber is updated: its lines are matched by LineNumber, and lines the import no longer lists are removed (the import is the order as it is now). Quantities and prices are stored exactly. 201 when the order was new, 200 when it was updated.',
          operationId: 'importOrder',
          body: OrderImportBody,
          response: { 200: OrderSchema, 201: OrderSchema, ...errorResponses(400, 403, 413) },
        },
      },
      async (req, reply) => {
        const { created, order } = await importOrder(ctx.db, req.body);
        return reply.status(created ? 201 : 200).send(order);
      },
    );

    r.put(
      '/orders/bulk',
      {
        config: { needs: 'admin' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags: orderTags,
          summary: 'Import or update up to 10,000 orders in one request, all or nothing. Needs: admin',
          description: 'Each order as PUT /api/orders takes it. An OrderNumber twice in one request is a 400.',
          operationId: 'importOrders',
          body: OrderBulkImportBody,
          response: { 200: OrderBulkImportResult, ...errorResponses(400, 403, 413) },
        },
      },
      async (req) => importOrders(ctx.db, req.body.Orders),
    );

    r.get(
      '/orders/:orderNumber',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags: orderTags,
          summary: 'Get one order of the order store with its lines. Needs: cases:read',
          operationId: 'getOrder',
          params: OrderNumberParams,
          response: { 200: OrderSchema, ...errorResponses(404) },
        },
      },
      async (req) => getOrderJson(ctx.db, req.params.orderNumber),
    );

    r.post(
      '/orders/search',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags: orderTags,
          summary: 'Find orders by customer id, customer email or text; newest order first. Needs: cases:read',
          operationId: 'searchOrders',
          body: OrderSearchBody,
          response: { 200: OrderSearchResult, ...errorResponses(400) },
        },
      },
      async (req) => searchOrders(ctx.db, req.body),
    );

    r.post(
      '/orders/:orderNumber/case',
      {
        config: { needs: 'cases' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags: orderTags,
          summary:
            'Create an order case (a draft) from an order: MultipleOrders with the order as line item, or with Lines a SpecificLineItems case. Needs: cases',
          operationId: 'createOrderCaseFromOrder',
          params: OrderNumberParams,
          body: OrderCaseFromOrderBody,
          response: { 201: CaseResponse, ...errorResponses(400, 403, 413) },
        },
      },
      async (req, reply) => {
        const { Lines, ...body } = req.body;
        const input = Lines?.length
          ? { ...body, Scope: 'SpecificLineItems' as const, OrderNumber: req.params.orderNumber, Lines }
          : { ...body, Scope: 'MultipleOrders' as const, Orders: [req.params.orderNumber] };
        return reply.status(201).send(await createOrderCase(ctx.db, input));
      },
    );

    r.post(
      '/cases/:id/submit',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary:
            'Submit a draft order case: Status New and every Draft line New, in one transaction; idempotent. Needs: cases',
          description:
            'A second submit changes nothing and answers Changed false with a message. A cancelled case or one without lines is a 409.',
          operationId: 'submitOrderCase',
          params: IdParams,
          response: { 200: ChangeResponse, ...errorResponses(403, 404, 409) },
        },
      },
      async (req) => submitOrderCase(ctx.db, await caseIdOf(ctx.db, req.params.id)),
    );

    r.post(
      '/cases/:id/cancel',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary:
            'Cancel a draft order case: its lines Cancelled, the case closed. A submitted case: 409. Needs: cases',
          operationId: 'cancelOrderCase',
          params: IdParams,
          response: { 200: ChangeResponse, ...errorResponses(403, 404, 409) },
        },
      },
      async (req) => cancelOrderCase(ctx.db, await caseIdOf(ctx.db, req.params.id)),
    );

    r.patch(
      '/cases/:id/order',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary:
            "Change an order case's Service, RequestReasonCode or ResolutionCode (from the case settings lists). Needs: cases",
          operationId: 'editOrderCase',
          params: IdParams,
          body: OrderCaseEditBody,
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) => editOrderCase(ctx.db, await caseIdOf(ctx.db, req.params.id), req.body),
    );

    r.post(
      '/cases/:id/lines',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary:
            "Add line items: whole Orders (MultipleOrders) or Lines of the case's order (SpecificLineItems). Needs: cases",
          description:
            "A line of another order, an unknown order or line, or an item already on the case is a 400 that says why. A draft's new lines are Draft, a submitted case's New; a cancelled or closed case: 409.",
          operationId: 'addCaseLines',
          params: IdParams,
          body: CaseLinesAddBody,
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) => addCaseLines(ctx.db, await caseIdOf(ctx.db, req.params.id), req.body),
    );

    r.patch(
      '/cases/:id/lines/:lineNumber',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary: 'Edit a line item: quantities, dates, addresses, notes, assignee, State (logged). Needs: cases',
          description:
            'Absent fields keep their value; null clears one. Draft lines keep Draft until the case is submitted; the lines of a cancelled or closed case are not changed (409).',
          operationId: 'editCaseLine',
          params: LineParams,
          body: CaseLineEditBody,
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) => editCaseLine(ctx.db, await caseIdOf(ctx.db, req.params.id), req.params.lineNumber, req.body),
    );

    r.post(
      '/cases/:id/lines/:lineNumber/assign',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary: 'Assign a line item to an agent ("assign to me"): a New line moves to WorkInProgress. Needs: cases',
          description:
            "Send the agent as AssignedToUserId (a staff user's Id: GET /api/users; without AssignedToName the user's name is recorded) / AssignedToName. Both empty: unassign (the state stays).",
          operationId: 'assignCaseLine',
          params: LineParams,
          body: CaseLineAssignBody,
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) =>
        editCaseLine(
          ctx.db,
          await caseIdOf(ctx.db, req.params.id),
          req.params.lineNumber,
          {
            AssignedToUserId: req.body.AssignedToUserId ?? null,
            // A staff user's id without a name: the user's name, as for a case's assignment.
            AssignedToName:
              req.body.AssignedToName ??
              (req.body.AssignedToUserId ? await staffUserName(ctx.db, req.body.AssignedToUserId) : undefined) ??
              null,
          },
          { assign: true },
        ),
    );

    r.delete(
      '/cases/:id/lines/:lineNumber',
      {
        config: { needs: 'cases' },
        schema: {
          tags: caseTags,
          summary:
            'Remove a line item of a draft; a submitted case keeps its lines (set State Cancelled). Needs: cases',
          operationId: 'removeCaseLine',
          params: LineParams,
          response: { 200: CaseResponse, ...errorResponses(403, 404, 409) },
        },
      },
      async (req) => removeCaseLine(ctx.db, await caseIdOf(ctx.db, req.params.id), req.params.lineNumber),
    );
  };
}
