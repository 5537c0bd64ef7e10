/** The part of a zod schema's runtime shape this project walks: objects, arrays, wrappers. */
export interface SchemaNode {
  readonly def?: {
    readonly type?: string;
    readonly innerType?: SchemaNode;
    readonly in?: SchemaNode;
    readonly element?: SchemaNode;
  };
  readonly shape?: Readonly<Record<string, SchemaNode>>;
}

/** Looks through zod's default, optional and transform wrappers to the schema holding the value. */
export function unwrapSchema(schema: SchemaNode): SchemaNode {
  let here = schema;
  while (here.def?.innerType ?? here.def?.in) here = (here.def.innerType ?? here.def.in)!;
  return here;
}
