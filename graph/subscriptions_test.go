package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// streamWait bounds how long a test waits for an event that must come; it
// is a liveness bound, not a performance assertion.
const streamWait = 20 * time.Second

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

// dialWS opens a graphql-transport-ws connection and sends connection_init
// with the given payload; it returns after connection_ack.
func dialWS(t *testing.T, srv *httptest.Server, payload map[string]any) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	c := &wsClient{t: t, conn: conn, ctx: ctx}
	c.send(map[string]any{"type": "connection_init", "payload": payload})
	require.Equal(t, "connection_ack", c.read()["type"])
	return c
}

func (c *wsClient) send(msg map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(msg)
	require.NoError(c.t, c.conn.Write(c.ctx, websocket.MessageText, b))
}

// read returns the next message that is not a ping/pong.
func (c *wsClient) read() map[string]any {
	c.t.Helper()
	for {
		_, b, err := c.conn.Read(c.ctx)
		require.NoError(c.t, err)
		var m map[string]any
		require.NoError(c.t, json.Unmarshal(b, &m))
		if m["type"] == "ping" || m["type"] == "pong" {
			continue
		}
		return m
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

const eventsSubscription = `subscription($names: [String!], $after: Int) { events(names: $names, afterSequence: $after) { name resourceID sequence } }`

func TestSubscriptionOverWebSocketDeliversNewEvents(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	srv := httptest.NewServer(e.Mux)
	t.Cleanup(srv.Close)
	ws := dialWS(t, srv, nil)
	ws.subscribe("1", eventsSubscription, map[string]any{"names": []string{"customers.create"}})
	// Wait until the subscription is open, then write.
	require.Eventually(t, func() bool { return e.Metrics.Subscriptions() == 1 }, streamWait, 10*time.Millisecond)
	id := e.MustDo(t, `mutation { createCustomer(input: {email: "live@example.com"}) { customer { id } } }`, nil).Str("createCustomer.customer.id")
	msg := ws.read()
	require.Equal(t, "next", msg["type"], msg)
	ev := msg["payload"].(map[string]any)["data"].(map[string]any)["events"].(map[string]any)
	require.Equal(t, "customers.create", ev["name"])
	require.Equal(t, id, ev["resourceID"])
	ws.send(map[string]any{"id": "1", "type": "complete"})
	require.Eventually(t, func() bool { return e.Metrics.Subscriptions() == 0 }, streamWait, 10*time.Millisecond)
}

func TestSubscriptionReplayIsFilteredByOwnerAndMode(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.WithRealAuth())
	admin := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	mine := e.DoAs(t, admin, `mutation { createCustomer(input: {email: "mine@example.com"}) { customer { id } } }`, nil).Str("createCustomer.customer.id")
	e.DoAs(t, admin, `mutation { createCustomer(input: {email: "other@example.com"}) { customer { id } } }`, nil)
	live := e.Token(t, e.Credential(t, "integration", "admin", viewer.Live), "")
	e.DoAs(t, live, `mutation { createCustomer(input: {email: "mine@example.com"}) { customer { id } } }`, nil)
	customer := e.Token(t, e.Credential(t, "sales_channel", "", viewer.Test), mine)
	srv := httptest.NewServer(e.Mux)
	t.Cleanup(srv.Close)

	ws := dialWS(t, srv, map[string]any{"Authorization": "Bearer " + customer})
	ws.subscribe("r", eventsSubscription, map[string]any{"after": 0})
	msg := ws.read()
	require.Equal(t, "next", msg["type"], msg)
	ev := msg["payload"].(map[string]any)["data"].(map[string]any)["events"].(map[string]any)
	require.Equal(t, mine, ev["resourceID"], "the first visible event is the customer's own")
	// Then a marker event of the customer's own: nothing of the other
	// customer or of live mode may come in between.
	e.DoAs(t, admin, `mutation($id: ID!) { updateCustomer(id: $id, input: {reference: "marker"}) { customer { id } } }`, map[string]any{"id": mine})
	for {
		msg = ws.read()
		require.Equal(t, "next", msg["type"], msg)
		ev = msg["payload"].(map[string]any)["data"].(map[string]any)["events"].(map[string]any)
		require.Equal(t, mine, ev["resourceID"], "only the customer's own events are delivered")
		if ev["name"] == "customers.update" {
			break
		}
	}
}

func TestSubscriptionNeedsAToken(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.WithRealAuth())
	srv := httptest.NewServer(e.Mux)
	t.Cleanup(srv.Close)
	ws := dialWS(t, srv, nil)
	ws.subscribe("1", eventsSubscription, nil)
	msg := ws.read()
	require.Contains(t, []string{"next", "error"}, msg["type"], msg)
	require.Contains(t, wsJSON(t, msg), `"UNAUTHENTICATED"`)
	require.NotContains(t, wsJSON(t, msg), `"events":{`)
	require.Zero(t, e.Metrics.Subscriptions())

	// A bad token in connection_init closes the connection.
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	b, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer nope"}})
	require.NoError(t, conn.Write(ctx, websocket.MessageText, b))
	_, _, err = conn.Read(ctx)
	require.Error(t, err, "the server must not acknowledge a bad token")
}

func TestSubscriptionOverSSE(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	srv := httptest.NewServer(e.Mux)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": eventsSubscription, "variables": map[string]any{"names": []string{"customer_groups.create"}}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, res.Header.Get("Content-Type"), "text/event-stream")
	require.Eventually(t, func() bool { return e.Metrics.Subscriptions() == 1 }, streamWait, 10*time.Millisecond)
	id := e.MustDo(t, `mutation { createCustomerGroup(input: {name: "Live"}) { customerGroup { id } } }`, nil).Str("createCustomerGroup.customerGroup.id")
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data:") {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &m))
		ev := m["data"].(map[string]any)["events"].(map[string]any)
		require.Equal(t, "customer_groups.create", ev["name"])
		require.Equal(t, id, ev["resourceID"])
		return
	}
	t.Fatalf("stream ended without an event: %v", sc.Err())
}

func wsJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
