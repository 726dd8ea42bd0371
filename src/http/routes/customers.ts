import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { UUID } from '../../cases/case.repository.js';
import {
  createCustomer,
  customerToJson,
  findCustomerById,
  listCustomers,
} from '../../customers/customer.repository.js';
import { NotFoundError } from '../../errors.js';
import { IdParams } from '../schemas/common.js';
import { CustomerCreateBody, CustomerQuery, CustomerSchema } from '../schemas/customer.js';
import { errorResponses } from '../schemas/error.js';

const tags = ['Customers'];

/** A small customer directory: cases whose CustomerEmail matches one get its CustomerId. */
export function customerRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.post(
      '/customers',
      {
        config: { needs: 'cases' },
        schema: {
          tags,
          summary: 'Create a customer (Email unique, any case; 409 when taken). Needs: cases',
          operationId: 'createCustomer',
          body: CustomerCreateBody,
          response: { 201: CustomerSchema, ...errorResponses(400, 403, 409, 413) },
        },
      },
      async (req, reply) => {
        const row = await createCustomer(ctx.db, { name: req.body.Name ?? '', email: req.body.Email });
        return reply.status(201).send(customerToJson(row));
      },
    );

    r.get(
      '/customers/:id',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Get one customer. Needs: cases:read',
          operationId: 'getCustomer',
          params: IdParams,
          response: { 200: CustomerSchema, ...errorResponses(404) },
        },
      },
      async (req) => {
        const row = UUID.test(req.params.id) ? await findCustomerById(ctx.db, req.params.id) : undefined;
        if (!row) throw new NotFoundError('Customer', req.params.id);
        return customerToJson(row);
      },
    );

    r.get(
      '/customers',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Find customers by email (case-insensitive, exact); without email the 100 newest. Needs: cases:read',
          operationId: 'listCustomers',
          querystring: CustomerQuery,
          response: { 200: Type.Array(CustomerSchema), ...errorResponses(400) },
        },
      },
      async (req) => (await listCustomers(ctx.db, { email: req.query.email })).map(customerToJson),
    );
  };
}
