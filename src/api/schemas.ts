import { type TSchema, Type } from '@sinclair/typebox';

/** The body of every error response. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. validation_failed' }),
      message: Type.String({ description: 'What went wrong and what to do about it' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);

/** The error responses a protected route may give, for the OpenAPI document. */
export const errorResponses = {
  400: Type.Ref(ErrorResponse),
  401: Type.Ref(ErrorResponse),
  403: Type.Ref(ErrorResponse),
  404: Type.Ref(ErrorResponse),
  409: Type.Ref(ErrorResponse),
} as const;

/** Paging parameters shared by every list endpoint. */
export const PageQuery = {
  limit: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 50,
    description: 'Largest number of items to return',
  }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' }),
  ),
};

/** A page of items with the cursor of the next page. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Optional(
      Type.String({ description: 'Pass as cursor to get the next page; absent on the last page' }),
    ),
  });
}

/** A reference to a resource by id or by name. */
export const Reference = Type.String({ minLength: 1, maxLength: 200, description: 'Id or name' });

/** A request body that must be a JSON object with only the listed properties. */
export function Body<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}
