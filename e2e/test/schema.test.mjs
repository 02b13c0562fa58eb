// The SDL that `clientele schema` prints, as SDL-reading tools take it
// (graphql-js buildSchema: graphql-codegen or graphql-config pointed at a
// .graphql file, eslint-plugin-graphql, schema diff tools), and compared with
// what the running server serves by introspection.
//   CLIENTELE_SCHEMA_FILE  the SDL file (.ci/clients.sh: e2e/schema.graphql)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  GraphQLSchema,
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
  validateSchema,
} from 'graphql';
import { gqlFetch } from '../lib/env.mjs';

const file = process.env.CLIENTELE_SCHEMA_FILE;
if (!file) throw new Error('set CLIENTELE_SCHEMA_FILE to the output of `clientele schema`');
const sdl = readFileSync(file, 'utf8');

// Directives every GraphQL implementation knows (the spec's, and the
// incremental-delivery proposal's @defer/@stream): a server may list them by
// introspection while its SDL leaves them implicit, as gqlgen's does.
const builtIn = new Set(['include', 'skip', 'deprecated', 'specifiedBy', 'oneOf', 'defer', 'stream']);

function print(schema) {
  const config = schema.toConfig();
  const directives = config.directives.filter((d) => !builtIn.has(d.name));
  return printSchema(lexicographicSortSchema(new GraphQLSchema({ ...config, directives })));
}

// The first lines where two printed schemas differ, for the failure message.
function firstDifference(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      return `line ${i + 1}:\n  clientele schema: ${la.slice(Math.max(0, i - 2), i + 3).join('\n                    ')}\n  introspection:    ${lb.slice(Math.max(0, i - 2), i + 3).join('\n                    ')}`;
    }
  }
  return 'none';
}

test('`clientele schema` is valid SDL (graphql-js buildSchema)', () => {
  let fromSDL;
  try {
    fromSDL = buildSchema(sdl);
  } catch (err) {
    // graphql-js reports every problem (e.g. a directive applied but not declared).
    const lines = String(err.message).split('\n').filter(Boolean);
    const counts = new Map();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    assert.fail(
      `buildSchema rejects the SDL (${lines.length} errors):\n` +
        [...counts].map(([l, n]) => `  ${l}${n > 1 ? ` (x${n})` : ''}`).join('\n'),
    );
  }
  assert.deepEqual(validateSchema(fromSDL).map(String), []);
});

test('`clientele schema` describes the schema the server serves (introspection)', { timeout: 30000 }, async () => {
  const query = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    inputValueDeprecation: true,
  });
  const { status, body } = await gqlFetch(query);
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const served = buildClientSchema(body.data);
  assert.deepEqual(validateSchema(served).map(String), []);
  // Compared even when the SDL is not valid (reported by the test above).
  const a = print(buildSchema(sdl, { assumeValidSDL: true }));
  const b = print(served);
  assert.ok(a === b, `the printed SDL and the introspection differ at ${firstDifference(a, b)}`);
});
