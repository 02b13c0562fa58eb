// GraphiQL for clientele, served by the server itself (internal/graphiql):
// no CDN, every request goes to this origin. A token pasted into the bar
// above GraphiQL is kept in localStorage and sent on every request: as the
// Authorization header over HTTP (introspection included) and in the
// graphql-transport-ws connection_init payload for subscriptions.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import 'graphiql/style.css';
import './app.css';

const TOKEN_KEY = 'clientele:token';
const GRAPHQL_PATH = '/graphql';
const WS_URL = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${GRAPHQL_PATH}`;

const DEFAULT_QUERY = `# Paste a token above, then run this
# with Ctrl-Enter. Docs (the book icon)
# and autocomplete load with the schema
# once the token is accepted.
{
  customers(first: 5) {
    totalCount
    edges {
      node {
        id
        email
      }
    }
  }
}
`;

// normalize accepts a bare token or a whole "Bearer <token>" header value.
function normalize(raw) {
  return raw.trim().replace(/^Bearer\s+/i, '').trim();
}

function readToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

function writeToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lives as long as the page.
  }
}

// One graphql-ws client per token. Replacing the token closes the old
// socket, so the next subscription authenticates with the new one.
let ws = null;
function wsClientFor(token) {
  if (ws && ws.token === token) return ws.client;
  ws?.client.dispose();
  const client = createClient({
    url: WS_URL,
    lazy: true,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    retryAttempts: 2,
  });
  ws = { token, client };
  return client;
}

function errorCode(result) {
  const errors = result && typeof result === 'object' ? result.errors : null;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  return errors[0]?.extensions?.code ?? errors[0]?.message ?? 'error';
}

// makeFetcher returns GraphiQL's fetcher for a token; GraphiQL introspects
// again whenever the fetcher changes, so a new token reloads the schema.
function makeFetcher(token, onSchemaStatus) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const inner = createGraphiQLFetcher({
    url: GRAPHQL_PATH,
    headers,
    enableIncrementalDelivery: false,
    // createGraphiQLFetcher only calls subscribe on it.
    wsClient: { subscribe: (payload, sink) => wsClientFor(token).subscribe(payload, sink) },
  });
  return async (params, opts) => {
    if (params.operationName !== 'IntrospectionQuery') {
      const result = await inner(params, opts);
      // A token that expired or was revoked since the schema loaded.
      if (token && errorCode(result) === 'UNAUTHENTICATED') onSchemaStatus({ state: 'error', code: 'UNAUTHENTICATED' });
      return result;
    }
    onSchemaStatus({ state: 'loading' });
    try {
      const result = await inner(params, opts);
      if (result?.data?.__schema) onSchemaStatus({ state: 'ok' });
      else onSchemaStatus({ state: 'error', code: errorCode(result) });
      return result;
    } catch (err) {
      onSchemaStatus({ state: 'error', code: String(err?.message ?? err) });
      throw err;
    }
  };
}

function Hint({ token, status }) {
  if (status.state === 'ok') return null;
  if (status.state === 'loading') return <span className="cg-hint cg-muted">Loading the schema…</span>;
  if (!token) {
    return (
      <span className="cg-hint cg-warn" role="status">
        No token: the server answers only <code>{'{ __typename }'}</code>. Paste an access token (for example the
        CLIENTELE_ADMIN_TOKEN printed at first start, or one from POST /oauth/token) to load the schema.
      </span>
    );
  }
  if (status.code === 'UNAUTHENTICATED') {
    return (
      <span className="cg-hint cg-warn" role="status">
        The server refused this token (UNAUTHENTICATED): it is expired, revoked or mistyped. Paste a valid token.
      </span>
    );
  }
  if (status.state === 'error') {
    return (
      <span className="cg-hint cg-warn" role="status">
        The schema did not load: {status.code}
      </span>
    );
  }
  return null;
}

function App() {
  const [token, setToken] = useState(readToken);
  const [draft, setDraft] = useState(token);
  const [status, setStatus] = useState({ state: 'idle' });
  const timer = useRef(0);

  const apply = useCallback((raw) => {
    const t = normalize(raw);
    writeToken(t);
    setToken(t);
  }, []);

  // Typing or pasting applies the token after a short pause.
  const onChange = (e) => {
    const v = e.target.value;
    setDraft(v);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => apply(v), 400);
  };
  useEffect(() => () => clearTimeout(timer.current), []);

  // Another tab changed the token.
  useEffect(() => {
    const onStorage = (e) => {
      if (e.key === TOKEN_KEY) {
        const t = e.newValue ?? '';
        setDraft(t);
        setToken(t);
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const fetcher = useMemo(() => makeFetcher(token, setStatus), [token]);

  return (
    <div className="cg-app">
      <form
        className="cg-bar"
        onSubmit={(e) => {
          e.preventDefault();
          clearTimeout(timer.current);
          apply(draft);
        }}
      >
        <label htmlFor="cg-token">Token</label>
        <input
          id="cg-token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="Paste an access token"
          title="Sent as Authorization: Bearer <token>, and in the WebSocket connection_init payload"
          value={draft}
          onChange={onChange}
        />
        {draft && (
          <button
            type="button"
            onClick={() => {
              clearTimeout(timer.current);
              setDraft('');
              apply('');
            }}
          >
            Clear
          </button>
        )}
        <span className={`cg-state cg-${status.state}`} data-state={status.state}>
          {status.state === 'ok' ? 'schema loaded' : ''}
        </span>
        <Hint token={token} status={status} />
      </form>
      <div className="cg-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} shouldPersistHeaders={false} />
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')).render(<App />);
