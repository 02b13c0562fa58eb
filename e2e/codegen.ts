// graphql-codegen configuration: types for the documents in src/ generated
// from the LIVE server by introspection (not from a file), so a schema change
// that breaks these documents or the code using their types fails here.
//
//   CLIENTELE_URL=http://127.0.0.1:8080/graphql CLIENTELE_TOKEN=<token> npx graphql-codegen --config codegen.ts
import type { CodegenConfig } from '@graphql-codegen/cli';

const url = process.env.CLIENTELE_URL;
const token = process.env.CLIENTELE_TOKEN;
if (!url || !token) {
  throw new Error('codegen.ts: set CLIENTELE_URL (the /graphql endpoint) and CLIENTELE_TOKEN (a bearer token)');
}

// The server's custom scalars and their JSON shapes. strictScalars makes a
// scalar that is not listed here an error, so a new one is noticed.
export const scalars = {
  // RFC 3339 date-time string in UTC, e.g. 2026-01-02T15:04:05.000Z.
  Time: 'string',
  // A JSON object of free key-value pairs.
  Map: 'Record<string, unknown>',
  // An opaque pagination cursor (pageInfo.endCursor, edges.cursor, after/before).
  Cursor: 'string',
};

const config: CodegenConfig = {
  overwrite: true,
  schema: [
    {
      [url]: {
        headers: { Authorization: `Bearer ${token}` },
      },
    },
  ],
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        scalars,
        strictScalars: true,
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: false,
      },
      presetConfig: {
        fragmentMasking: { unmaskFunctionName: 'getFragmentData' },
      },
    },
  },
};

export default config;
