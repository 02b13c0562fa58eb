// Shared settings and helpers for the node --test suites.
//   CLIENTELE_URL    the GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql
//   CLIENTELE_TOKEN  a bearer token of an integration admin (test mode)
export const url = process.env.CLIENTELE_URL;
export const token = process.env.CLIENTELE_TOKEN;
if (!url || !token) {
  throw new Error('set CLIENTELE_URL and CLIENTELE_TOKEN');
}
export const wsUrl = url.replace(/^http/, 'ws');

// A tag unique to this run, so runs against the same database do not mix.
export const runID = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A plain POST /graphql, outside any client library.
export async function gqlFetch(query, variables = {}, { auth = token } = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (auth) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15000),
  });
  const body = await res.json();
  return { status: res.status, body };
}

// Creates a customer over plain HTTP and returns its ID.
export async function createCustomer(email) {
  const { status, body } = await gqlFetch(
    'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code message } } }',
    { input: { email } },
  );
  if (status !== 200 || body.errors || body.data.createCustomer.userErrors.length > 0) {
    throw new Error(`createCustomer ${email}: HTTP ${status} ${JSON.stringify(body)}`);
  }
  return body.data.createCustomer.customer.id;
}
