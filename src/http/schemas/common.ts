import { FormatRegistry, Type, type TSchema } from '@sinclair/typebox';

/** Longest Subject accepted (a mail subject line is rarely over a few hundred characters). */
export const MAX_SUBJECT_LENGTH = 1_000;
/** Longest Description or note Comment accepted: 1 MB of text, far above any real message body. */
export const MAX_TEXT_LENGTH = 1_000_000;
/** Longest short value (names, ids, tags, property keys). */
export const MAX_SHORT_LENGTH = 320;
/** Most entries in one list field (Tags, Related*, Participants, Properties, recipients). */
export const MAX_LIST_ITEMS = 1_000;

/** `T | null`: the API sends null for empty values, and PUT/PATCH bodies may carry null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ShortString = (options: { description?: string } = {}) => Type.String({ maxLength: MAX_SHORT_LENGTH, ...options });
export const DateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });
export const Email = (description?: string) => Type.String({ format: 'email', maxLength: MAX_SHORT_LENGTH, ...(description ? { description } : {}) });
export const StringList = (description?: string) =>
  Type.Array(Type.String({ maxLength: MAX_SHORT_LENGTH }), { maxItems: MAX_LIST_ITEMS, ...(description ? { description } : {}) });

export const IdParams = Type.Object({ id: Type.String({ description: 'The id (a uuid)', maxLength: 100 }) });

// TypeBox checks formats only when they are registered; these are the ones the API uses.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (v) => EMAIL.test(v));
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
