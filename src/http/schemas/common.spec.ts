import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { forSerializer, Nullable } from './common.js';

describe('forSerializer', () => {
  it('writes a nullable primitive as a type list, keeping its keywords and the parent keys', () => {
    const schema = Type.Object(
      {
        Name: Nullable(Type.String({ maxLength: 5, description: 'a name' })),
        When: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
        Count: Type.Integer(),
      },
      { additionalProperties: false, title: 'T' },
    );
    expect(forSerializer(schema)).toEqual({
      type: 'object',
      title: 'T',
      additionalProperties: false,
      required: ['Name', 'Count'],
      properties: {
        Name: { type: ['string', 'null'], maxLength: 5, description: 'a name' },
        When: { type: ['string', 'null'], format: 'date-time' },
        Count: { type: 'integer' },
      },
    });
  });

  it('rewrites nested arrays of objects too, and leaves the original schema untouched', () => {
    const schema = Type.Object({ Items: Type.Array(Type.Object({ Note: Nullable(Type.Number()) })) });
    const out = forSerializer(schema) as unknown as {
      properties: { Items: { items: { properties: { Note: unknown } } } };
    };
    expect(out.properties.Items.items.properties.Note).toEqual({ type: ['number', 'null'] });
    expect(schema.properties.Items.items.properties.Note.anyOf).toHaveLength(2);
  });

  it('keeps unions that are not "primitive or null" as anyOf', () => {
    const objectOrNull = Nullable(Type.Object({ A: Type.String() }));
    const twoTypes = Type.Union([Type.String(), Type.Number()]);
    expect(forSerializer(objectOrNull)).toHaveProperty('anyOf');
    expect(forSerializer(twoTypes)).toHaveProperty('anyOf');
  });
});
