// Subscriptions the way JavaScript clients receive them: graphql-ws over a
// WebSocket (the `ws` package) and graphql-sse over Server-Sent Events
// ("distinct connections" mode: one POST with Accept: text/event-stream per
// subscription). An event is triggered by a createCustomer over HTTP.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { ApolloClient, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { url, wsUrl, token, runID, withTimeout, createCustomer, sleep } from '../lib/env.mjs';

const EVENTS = 'subscription { events(names: ["customers.create"]) { name resourceID sequence } }';

// Creates customers until the subscription delivers the event of one of them.
// A subscription starts "from now on" once the server has set it up, and a
// client cannot tell when that is, so the first customer may come too early;
// a later one then proves delivery.
async function triggerUntilDelivered(t, events, label) {
  const created = new Set();
  for (let attempt = 1; attempt <= 6; attempt++) {
    created.add(await createCustomer(`${label}-${runID}-${attempt}@example.com`));
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      const hit = events.find((e) => created.has(e.resourceID));
      if (hit) {
        t.diagnostic(`${label}: event ${hit.sequence} after ${attempt} customer(s)`);
        return { hit, created };
      }
      await sleep(50);
    }
  }
  throw new Error(`${label}: no customers.create event for ${[...created].join(', ')}; got ${JSON.stringify(events)}`);
}

function checkEvent(hit, events) {
  assert.equal(hit.name, 'customers.create');
  assert.equal(typeof hit.sequence, 'number');
  assert.ok(Number.isInteger(hit.sequence) && hit.sequence > 0);
  for (const e of events) assert.equal(e.name, 'customers.create', 'only the names asked for');
  const seqs = events.map((e) => e.sequence);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in sequence order');
}

describe('graphql-ws', () => {
  test('events subscription receives customers.create', { timeout: 45000 }, async (t) => {
    const client = createWsClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
      connectionAckWaitTimeout: 10000,
    });
    const events = [];
    let failed = null;
    let completed = false;
    const unsubscribe = client.subscribe(
      { query: EVENTS },
      {
        next: (r) => {
          if (r.errors) failed = new Error(`errors: ${JSON.stringify(r.errors)}`);
          else events.push(r.data.events);
        },
        error: (e) => (failed = e),
        complete: () => (completed = true),
      },
    );
    try {
      await withTimeout(
        new Promise((resolve, reject) => {
          const off = client.on('connected', () => (off(), resolve()));
          const off2 = client.on('closed', (e) => (off2(), reject(new Error(`closed before ack: ${e?.code} ${e?.reason}`))));
        }),
        15000,
        'connection_ack',
      );
      const { hit } = await triggerUntilDelivered(t, events, 'ws');
      assert.equal(failed, null);
      assert.equal(completed, false, 'the subscription stays open');
      checkEvent(hit, events);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });

  test('a bad token is refused with close code 4403', { timeout: 30000 }, async () => {
    const client = createWsClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: 'Bearer not-a-token' },
      retryAttempts: 0,
      connectionAckWaitTimeout: 10000,
    });
    try {
      const outcome = await withTimeout(
        new Promise((resolve) => {
          client.subscribe(
            { query: EVENTS },
            {
              next: (r) => resolve({ next: r }),
              error: (e) => resolve({ error: e }),
              complete: () => resolve({ complete: true }),
            },
          );
        }),
        15000,
        'refusal of a bad token',
      );
      assert.ok(outcome.error, `an error, got ${JSON.stringify(outcome)}`);
      assert.equal(outcome.error.code, 4403, `close code (reason: ${outcome.error.reason})`);
    } finally {
      await client.dispose();
    }
  });
});

describe('Apollo Client over graphql-ws', () => {
  test('client.subscribe through GraphQLWsLink receives customers.create', { timeout: 45000 }, async (t) => {
    const wsClient = createWsClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
      connectionAckWaitTimeout: 10000,
    });
    const client = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
    const events = [];
    let failed = null;
    const connected = new Promise((resolve) => wsClient.on('connected', resolve));
    const sub = client.subscribe({ query: gql(EVENTS) }).subscribe({
      next: (r) => {
        if (r.error) failed = r.error;
        else if (r.data) events.push(r.data.events);
      },
      error: (e) => (failed = e),
    });
    try {
      await withTimeout(connected, 15000, 'connection_ack');
      const { hit } = await triggerUntilDelivered(t, events, 'apollo-ws');
      assert.equal(failed, null, `no error (${failed})`);
      assert.equal(hit.__typename, 'Event', 'Apollo adds __typename to the selection');
      checkEvent(hit, events);
    } finally {
      sub.unsubscribe();
      client.stop();
      await wsClient.dispose();
    }
  });
});

describe('graphql-sse', () => {
  test('events subscription over text/event-stream receives customers.create', { timeout: 45000 }, async (t) => {
    let requests = 0;
    const client = createSseClient({
      url,
      singleConnection: false, // "distinct connections" mode
      headers: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
      fetchFn: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const events = [];
    let failed = null;
    const unsubscribe = client.subscribe(
      { query: EVENTS },
      {
        next: (r) => {
          if (r.errors) failed = new Error(`errors: ${JSON.stringify(r.errors)}`);
          else events.push(r.data.events);
        },
        error: (e) => (failed = e),
        complete: () => {},
      },
    );
    try {
      const { hit } = await triggerUntilDelivered(t, events, 'sse');
      assert.equal(failed, null, `no error (${failed})`);
      checkEvent(hit, events);
      assert.equal(requests, 1, 'one streaming request');
    } finally {
      unsubscribe();
      client.dispose();
    }
  });

  test('plain fetch: POST /graphql with Accept: text/event-stream', { timeout: 30000 }, async (t) => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 20000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query: EVENTS }),
        signal: ac.signal,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = [];
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      // Read the stream in the background, parsing "event: next" messages.
      const pump = (async () => {
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const lines = block.split('\n');
            const ev = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
            const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
            if (ev === 'next') events.push(JSON.parse(data).data.events);
          }
        }
      })().catch(() => {});
      const { hit } = await triggerUntilDelivered(t, events, 'fetch-sse');
      checkEvent(hit, events);
      ac.abort();
      await pump;
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  });
});
