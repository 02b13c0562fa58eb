// Apollo Client (4.x, core entry point, no React) against a running clientele
// server: normalised cache, relayStylePagination on customers, a mutation, and
// error codes as Apollo surfaces them.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, InMemoryCache, HttpLink, gql, CombinedGraphQLErrors } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { url, token, runID, withTimeout } from '../lib/env.mjs';

const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function newClient({ auth = token } = {}) {
  return new ApolloClient({
    link: new HttpLink({
      uri: url,
      headers: auth ? { authorization: `Bearer ${auth}` } : {},
      // Node's global fetch, with a per-request time limit.
      fetch: (input, init = {}) => {
        const limit = AbortSignal.timeout(15000);
        return fetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, limit]) : limit });
      },
    }),
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            // Pages of one list (same where/orderBy) are merged; `after`,
            // `first` etc. are the pagination arguments.
            customers: relayStylePagination(['where', 'orderBy']),
          },
        },
      },
    }),
  });
}

const CREATE = gql`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      customer {
        id
        email
        metadata
        createdAt
        status
        mode
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

const UPDATE = gql`
  mutation UpdateCustomer($id: ID!, $input: UpdateCustomerInput!) {
    updateCustomer(id: $id, input: $input) {
      customer {
        id
        reference
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

const BY_ID = gql`
  query CustomerById($id: ID!) {
    node(id: $id) {
      id
      ... on Customer {
        email
        reference
      }
    }
  }
`;

const PAGE = gql`
  query CustomersPage($first: Int!, $after: Cursor, $where: CustomerWhereInput) {
    customers(first: $first, after: $after, where: $where) {
      totalCount
      edges {
        cursor
        node {
          id
          email
          metadata
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

const client = newClient();
after(() => client.stop());

// Subscribes to an ObservableQuery; waitFor resolves with the first result
// (already seen or still to come) that satisfies pred. Apollo delivers cache
// updates to watchers asynchronously, so tests wait for them.
function watch(obs) {
  const results = [];
  const waiters = new Set();
  const sub = obs.subscribe((r) => {
    results.push(r);
    for (const w of waiters) w();
  });
  return {
    waitFor(pred, what, ms = 15000) {
      let check;
      return withTimeout(
        new Promise((resolve) => {
          check = () => {
            const hit = results.findLast((r) => !r.loading && r.data && pred(r.data));
            if (hit) resolve(hit.data);
          };
          waiters.add(check);
          check();
        }),
        ms,
        what,
      ).finally(() => waiters.delete(check));
    },
    stop: () => sub.unsubscribe(),
  };
}

async function create(email, metadata = {}) {
  const { data } = await withTimeout(
    client.mutate({ mutation: CREATE, variables: { input: { email, metadata } } }),
    15000,
    `createCustomer ${email}`,
  );
  assert.deepEqual(data.createCustomer.userErrors, []);
  return data.createCustomer.customer;
}

describe('Apollo Client', () => {
  test('mutation createCustomer: payload, scalars and user errors', { timeout: 30000 }, async () => {
    const email = `Apollo-${runID}@Example.COM`;
    const c = await create(`  ${email} `, { source: 'e2e', n: 1, nested: { ok: true } });
    assert.equal(c.__typename, 'Customer');
    assert.match(c.id, /\S/);
    assert.equal(c.email, email.toLowerCase(), 'email is trimmed and lower-cased');
    assert.deepEqual(c.metadata, { source: 'e2e', n: 1, nested: { ok: true } }, 'Map scalar round-trips a JSON object');
    assert.match(c.createdAt, TIME_RE, 'Time scalar is RFC 3339 UTC with milliseconds');
    assert.equal(c.status, 'PROSPECT');
    assert.equal(c.mode, 'TEST');
    // The created customer is normalised into the cache.
    const cached = client.cache.extract()[client.cache.identify(c)];
    assert.equal(cached?.email, email.toLowerCase());

    // The same email again: a user error, not a GraphQL error.
    const { data } = await client.mutate({ mutation: CREATE, variables: { input: { email } } });
    assert.equal(data.createCustomer.customer, null);
    assert.equal(data.createCustomer.userErrors.length, 1);
    assert.equal(data.createCustomer.userErrors[0].code, 'TAKEN');
    assert.deepEqual(data.createCustomer.userErrors[0].field, ['email']);
  });

  test('normalised cache: one Customer entry shared by node and customers, updated by a mutation', { timeout: 30000 }, async () => {
    const email = `cache-${runID}@example.com`;
    const created = await create(email, { k: 'v' });
    const key = client.cache.identify({ __typename: 'Customer', id: created.id });
    assert.equal(key, `Customer:${created.id}`);

    // Watch the customer through node(id:), from the network.
    const watched = watch(client.watchQuery({ query: BY_ID, variables: { id: created.id }, fetchPolicy: 'network-only' }));
    try {
      const first = (await watched.waitFor((d) => d.node?.id === created.id, 'node(id:) result')).node;
      assert.equal(first.__typename, 'Customer');
      assert.equal(first.reference, null);

      // Fetch it again through another query, the customers connection.
      const { data } = await client.query({
        query: PAGE,
        variables: { first: 10, where: { search: `cache-${runID}` } },
        fetchPolicy: 'network-only',
      });
      assert.equal(data.customers.totalCount, 1);
      assert.equal(data.customers.edges[0].node.id, created.id);

      // One entry, with the fields of both queries merged.
      const store = client.cache.extract();
      const entry = store[key];
      assert.ok(entry, `${key} in the cache`);
      assert.equal(entry.email, email);
      assert.equal(entry.reference, null, 'field from node(id:)');
      assert.deepEqual(entry.metadata, { k: 'v' }, 'field from customers');
      assert.deepEqual(store.ROOT_QUERY[`node({"id":"${created.id}"})`], { __ref: key });
      const refs = JSON.stringify(store.ROOT_QUERY).split(`"__ref":"${key}"`).length - 1;
      assert.ok(refs >= 2, `ROOT_QUERY references ${key} from both fields (${refs})`);

      // A mutation returning {id, reference} updates the watched node query
      // through the cache, without it asking the server.
      const ref = `ref-${runID}`;
      const upd = await client.mutate({ mutation: UPDATE, variables: { id: created.id, input: { reference: ref } } });
      assert.deepEqual(upd.data.updateCustomer.userErrors, []);
      const updated = await watched.waitFor((d) => d.node?.reference === ref, 'watched node(id:) sees the new reference');
      assert.equal(updated.node.email, email);
      const fromCache = client.readQuery({ query: PAGE, variables: { first: 10, where: { search: `cache-${runID}` } } });
      assert.equal(fromCache.customers.edges[0].node.id, created.id);
      assert.equal(client.cache.extract()[key].reference, ref);
    } finally {
      watched.stop();
    }
  });

  test('relayStylePagination: fetchMore with after: endCursor merges the pages', { timeout: 60000 }, async () => {
    const tag = `page-${runID}`;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await create(`${tag}-${i}@example.com`)).id);
    const where = { search: tag };

    // The whole list in one request, as the reference order.
    const all = await newClient().query({ query: PAGE, variables: { first: 10, where } });
    const expected = all.data.customers.edges.map((e) => e.node.id);
    assert.deepEqual([...expected].sort(), [...ids].sort());

    const obs = client.watchQuery({ query: PAGE, variables: { first: 2, where } });
    const w = watch(obs);
    try {
      let data = await w.waitFor((d) => d.customers, 'first page');
      assert.equal(data.customers.edges.length, 2);
      assert.equal(data.customers.totalCount, 5);
      let pages = 1;
      while (data.customers.pageInfo.hasNextPage) {
        assert.ok(pages < 5, 'at most 3 pages of 2 for 5 customers');
        const { endCursor } = data.customers.pageInfo;
        assert.equal(typeof endCursor, 'string');
        const have = data.customers.edges.length;
        const more = await withTimeout(obs.fetchMore({ variables: { after: endCursor } }), 15000, 'fetchMore');
        pages++;
        // fetchMore resolves with the page alone...
        assert.ok(more.data.customers.edges.length > 0 && more.data.customers.edges.length <= 2, 'a further page of 1-2');
        assert.equal(more.data.customers.edges[0].node.id, expected[have], 'the page starts after endCursor');
        // ...and the watcher then sees the merged list.
        data = await w.waitFor((d) => d.customers.edges.length > have, `merged list after page ${pages}`);
      }
      assert.equal(pages, 3);
      assert.deepEqual(
        data.customers.edges.map((e) => e.node.id),
        expected,
        'merged edges are every page in order, without duplicates',
      );
      assert.equal(data.customers.pageInfo.hasNextPage, false);
      assert.equal(data.customers.totalCount, 5);
      // The merged list is what the cache returns for the first-page variables.
      const cached = client.readQuery({ query: PAGE, variables: { first: 2, where } });
      assert.deepEqual(
        cached.customers.edges.map((e) => e.node.id),
        expected,
      );
    } finally {
      w.stop();
    }
  });

  test('errors: UNAUTHENTICATED without a token, BAD_USER_INPUT for first: 101', { timeout: 30000 }, async () => {
    const anonymous = newClient({ auth: '' });
    try {
      await assert.rejects(
        anonymous.query({ query: PAGE, variables: { first: 1 }, fetchPolicy: 'network-only' }),
        (err) => {
          assert.ok(CombinedGraphQLErrors.is(err), `CombinedGraphQLErrors, got ${err?.constructor?.name}: ${err}`);
          assert.equal(err.errors[0].extensions?.code, 'UNAUTHENTICATED');
          return true;
        },
      );
      // errorPolicy "all": the errors come back with the (null) data.
      const r = await anonymous.query({ query: PAGE, variables: { first: 1 }, errorPolicy: 'all', fetchPolicy: 'network-only' });
      assert.equal(r.error?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    } finally {
      anonymous.stop();
    }

    await assert.rejects(
      client.query({ query: PAGE, variables: { first: 101 }, fetchPolicy: 'network-only' }),
      (err) => {
        assert.ok(CombinedGraphQLErrors.is(err), `CombinedGraphQLErrors, got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.errors[0].extensions?.code, 'BAD_USER_INPUT');
        assert.match(err.errors[0].message, /first/);
        return true;
      },
    );
  });
});
