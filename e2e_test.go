package main

// End-to-end tests through the server exactly as main assembles it: run()
// on a free loopback port, the same middleware stack, and real clients
// (net/http, a WebSocket client speaking graphql-transport-ws, an SSE
// reader). Handler-level tests cannot see what a wrapper in between hides.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"clientele/internal/testenv"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"
)

// e2eServer is one served binary's worth of server with its admin token.
type e2eServer struct {
	*srvRunning
	token string
}

// e2eStart runs `serve` on a fresh database with the given flags and returns
// it with the first-start admin token.
func e2eStart(t testing.TB, flags ...string) *e2eServer {
	t.Helper()
	return e2eStartURL(t, testenv.DatabaseURL(t), flags...)
}

func e2eStartURL(t testing.TB, dbURL string, flags ...string) *e2eServer {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database-url", dbURL}, flags...)
	cfg, err := parseConfig(args, func(string) string { return "" })
	require.NoError(t, err)
	s := srvStartConfig(t, cfg)
	toks := srvAdminTokens(s.stdout.String())
	require.NotEmpty(t, toks, "the first start prints an admin token")
	return &e2eServer{srvRunning: s, token: toks[0]}
}

// post sends a GraphQL request over HTTP and decodes the answer.
func (s *e2eServer) post(t testing.TB, token, query string, vars map[string]any) (*http.Response, map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return res, out
}

// mustPost is post for requests that must succeed without errors.
func (s *e2eServer) mustPost(t testing.TB, query string, vars map[string]any) map[string]any {
	t.Helper()
	res, out := s.post(t, s.token, query, vars)
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", out)
	require.Nil(t, out["errors"], "%v", out)
	return out["data"].(map[string]any)
}

func (s *e2eServer) createCustomer(t testing.TB, email string) string {
	t.Helper()
	d := s.mustPost(t, `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } userErrors { code } } }`,
		map[string]any{"e": email})
	p := d["createCustomer"].(map[string]any)
	require.Empty(t, p["userErrors"])
	return p["customer"].(map[string]any)["id"].(string)
}

// wsMsg is a graphql-transport-ws message.
type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient is a graphql-transport-ws client on a real WebSocket.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
	ctx  context.Context
}

// wsDial opens a WebSocket to /graphql with the graphql-transport-ws
// subprotocol and sends connection_init with the token (if any).
func (s *e2eServer) wsDial(t testing.TB, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err, "the served binary must upgrade WebSocket requests")
	require.Equal(t, http.StatusSwitchingProtocols, res.StatusCode)
	require.Equal(t, "graphql-transport-ws", conn.Subprotocol())
	t.Cleanup(func() { _ = conn.CloseNow() })
	c := &wsClient{t: t, conn: conn, ctx: ctx}
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	c.send("", "connection_init", payload)
	return c
}

func (c *wsClient) send(id, typ string, payload any) {
	c.t.Helper()
	var raw json.RawMessage
	if payload != nil {
		b, err := json.Marshal(payload)
		require.NoError(c.t, err)
		raw = b
	}
	require.NoError(c.t, wsjson.Write(c.ctx, c.conn, wsMsg{ID: id, Type: typ, Payload: raw}))
}

// next reads the next message other than ping/pong, or returns the close
// error.
func (c *wsClient) next() (wsMsg, error) {
	for {
		var m wsMsg
		if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
			return m, err
		}
		switch m.Type {
		case "ping":
			_ = wsjson.Write(c.ctx, c.conn, wsMsg{Type: "pong"})
			continue
		case "pong", "ka":
			continue
		}
		return m, nil
	}
}

func (c *wsClient) expect(typ string) wsMsg {
	c.t.Helper()
	m, err := c.next()
	require.NoError(c.t, err)
	require.Equal(c.t, typ, m.Type, "payload: %s", m.Payload)
	return m
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.send(id, "subscribe", map[string]any{"query": query, "variables": vars})
}

// closeStatus returns the WebSocket close code the server ended with.
func closeStatus(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

const e2eEventsSub = `subscription($names: [String!]) { events(names: $names) { name resourceID sequence } }`

func TestServedWebSocketSubscription(t *testing.T) {
	s := e2eStart(t)
	ws := s.wsDial(t, s.token)
	ws.expect("connection_ack")
	ws.subscribe("1", e2eEventsSub, map[string]any{"names": []string{"customers.create"}})
	time.Sleep(200 * time.Millisecond) // let the stream take its starting sequence
	id := s.createCustomer(t, "ws@example.com")

	m := ws.expect("next")
	require.Equal(t, "1", m.ID)
	var got struct {
		Data struct {
			Events struct{ Name, ResourceID string } `json:"events"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(m.Payload, &got))
	require.Equal(t, "customers.create", got.Data.Events.Name)
	require.Equal(t, id, got.Data.Events.ResourceID)

	ws.send("1", "complete", nil)
	require.NoError(t, ws.conn.Close(websocket.StatusNormalClosure, "bye"))
}

func TestServedWebSocketRefusesBadTokensWith4403(t *testing.T) {
	s := e2eStart(t)
	for name, token := range map[string]string{
		"garbage":  "not-a-token",
		"tampered": s.token[:len(s.token)-2] + "xx",
	} {
		t.Run(name, func(t *testing.T) {
			ws := s.wsDial(t, token)
			var err error
			for err == nil {
				var m wsMsg
				m, err = ws.next()
				require.NotEqual(t, "connection_ack", m.Type, "a bad token must not be acknowledged")
			}
			require.Equal(t, websocket.StatusCode(4403), closeStatus(err),
				"graphql-transport-ws: Forbidden, so clients do not reconnect in a loop")
		})
	}
}

// sseStream opens a subscription over Server-Sent Events.
func (s *e2eServer) sseStream(t testing.TB, ctx context.Context, token, query string, vars map[string]any) (*http.Response, *bufio.Reader) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	return res, bufio.NewReader(res.Body)
}

// sseNext returns the next event's type and data.
func sseNext(r *bufio.Reader) (string, string, error) {
	var typ, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return typ, data, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if typ != "" || data != "" {
				return typ, data, nil
			}
		case strings.HasPrefix(line, "event:"):
			typ = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		}
	}
}

func TestServedSSESubscription(t *testing.T) {
	s := e2eStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, r := s.sseStream(t, ctx, s.token, e2eEventsSub, map[string]any{"names": []string{"customers.create"}})
	require.Equal(t, http.StatusOK, res.StatusCode, "the served binary must stream SSE")
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream"))
	time.Sleep(200 * time.Millisecond)
	id := s.createCustomer(t, "sse@example.com")
	for {
		typ, data, err := sseNext(r)
		require.NoError(t, err)
		if typ != "next" {
			continue
		}
		require.Contains(t, data, id)
		require.Contains(t, data, "customers.create")
		break
	}
}

func TestServedPlainHTTPHasRequestIDs(t *testing.T) {
	s := e2eStart(t)
	res, out := s.post(t, s.token, `{ customers(first: 1) { totalCount } }`, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Nil(t, out["errors"])
	require.NotEmpty(t, res.Header.Get("X-Request-Id"))
	require.Equal(t, fmt.Sprint(0), fmt.Sprint(out["data"].(map[string]any)["customers"].(map[string]any)["totalCount"]))
}

// Answers go out with their length, not chunked, and the length is the
// body's: for data, for a request error turned 200 (application/json) and
// for one whose body the GraphQL-over-HTTP layer rewrites (4xx
// application/graphql-response+json, without its data key).
func TestServedAnswersCarryTheirLength(t *testing.T) {
	s := e2eStart(t)
	for _, tc := range []struct {
		accept, query string
		status        int
	}{
		// Larger than net/http's buffer, which would find a small
		// answer's length by itself.
		{"application/json", `{ __schema { types { name fields { name } } } }`, http.StatusOK},
		{"application/json", `{ customers(first: 1) { nope } }`, http.StatusOK},
		{"application/graphql-response+json", `{ customers(first: 1) { nope } }`, http.StatusBadRequest},
	} {
		body, err := json.Marshal(map[string]any{"query": tc.query})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", tc.accept)
		req.Header.Set("Authorization", "Bearer "+s.token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		require.Equal(t, tc.status, res.StatusCode, "%s", raw)
		require.Equal(t, int64(len(raw)), res.ContentLength, "%s %s", tc.accept, tc.query)
		require.Empty(t, res.TransferEncoding, tc.query)
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	}
}

// The timeout through the served stack: with the one execution slot held
// by a request whose body never arrives, the next request is answered
// TIMEOUT at its deadline. The answer is whole (Content-Length, flushed
// through every wrapper) and closes the connection, while the stuck
// request is still running; that one gets the same answer.
func TestServedTimeoutAnswersWholeAndClosesTheConnection(t *testing.T) {
	s := e2eStart(t, "--max-in-flight", "1", "--request-timeout", "1")
	stuck, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	require.NoError(t, err)
	defer stuck.Close()
	_, err = fmt.Fprintf(stuck, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Authorization: Bearer %s\r\nContent-Length: 100\r\n\r\n{\"query\":", s.token)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond) // the stuck request takes the slot first

	client := &http.Client{Timeout: 10 * time.Second}
	body := strings.NewReader(`{"query":"{ customers(first: 1) { totalCount } }"}`)
	req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := client.Do(req)
	require.NoError(t, err)
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "%s", raw)
	require.True(t, res.Close, "Connection: close")
	require.Equal(t, int64(len(raw)), res.ContentLength)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	require.Equal(t, []string{"TIMEOUT"}, srvErrorCodes(out))

	// The stuck request's own answer, read while its body is still owed.
	require.NoError(t, stuck.SetReadDeadline(time.Now().Add(10*time.Second)))
	sr, err := http.ReadResponse(bufio.NewReader(stuck), nil)
	require.NoError(t, err)
	raw, err = io.ReadAll(sr.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, sr.StatusCode, "%s", raw)
	require.NoError(t, json.Unmarshal(raw, &out))
	require.Equal(t, []string{"TIMEOUT"}, srvErrorCodes(out))
	require.NoError(t, stuck.Close())

	// With the slot free again, requests run.
	require.Eventually(t, func() bool {
		res, out := s.post(t, s.token, `{ customers(first: 1) { totalCount } }`, nil)
		return res.StatusCode == http.StatusOK && out["errors"] == nil
	}, 10*time.Second, 50*time.Millisecond)
}

// Nested pages through the served binary: customers with fewer orders than
// the page, as many and more each get their own latest orders, the same as
// each customer's orders read on their own (on SQLite, a sorted read kept
// to each parent's page; on Postgres, a window per parent).
func TestServedNestedPagesHoldEachParentsOwnPage(t *testing.T) {
	s := e2eStart(t)
	var ids []string
	for i, n := range []int{0, 2, 3, 5} {
		id := s.createCustomer(t, fmt.Sprintf("nested%d@example.com", i))
		ids = append(ids, id)
		for j := 0; j < n; j++ {
			s.mustPost(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } } }`,
				map[string]any{"in": map[string]any{"customerID": id, "currencyCode": "EUR", "totalAmountCents": 100 * j}})
		}
	}
	page := `(first: 2, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }`
	nested := s.mustPost(t, `{ customers(first: 10) { edges { node { id orders`+page+` } } } }`, nil)
	edges := nested["customers"].(map[string]any)["edges"].([]any)
	require.Len(t, edges, len(ids))
	for _, e := range edges {
		node := e.(map[string]any)["node"].(map[string]any)
		own := s.mustPost(t, `query($c: ID!) { orders(where: {customerID: $c}, `+page[1:]+` }`, map[string]any{"c": node["id"]})
		require.Equal(t, own["orders"], node["orders"], "customer %s", node["id"])
		require.LessOrEqual(t, len(node["orders"].(map[string]any)["edges"].([]any)), 2)
	}
}

// The direct path through the binary as main assembles it: a page of
// customers with their group, address book and orders, as a frontend asks
// for it, is answered by the direct path (its counter on /metrics) with the
// bytes that gqlgen's executor gives for the same database (a second
// server with --direct-reads=false, whose counter stays at 0).
func TestServedQueriesTakeTheDirectPath(t *testing.T) {
	url := testenv.DatabaseURL(t)
	s := e2eStartURL(t, url, "--metrics-token", "m3tr1cs")
	grp := s.mustPost(t, `mutation { createCustomerGroup(input: {name: "VIP", code: "vip"}) { customerGroup { id } } }`, nil)["createCustomerGroup"].(map[string]any)["customerGroup"].(map[string]any)["id"]
	for i, n := range []int{0, 1, 3} {
		id := s.createCustomer(t, fmt.Sprintf("direct%d@example.com", i))
		if i > 0 {
			s.mustPost(t, `mutation($id: ID!, $g: ID!) { updateCustomer(id: $id, input: {customerGroupID: $g}) { customer { id } } }`, map[string]any{"id": id, "g": grp})
		}
		for j := range n {
			s.mustPost(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } } }`,
				map[string]any{"in": map[string]any{"customerID": id, "currencyCode": "EUR", "totalAmountCents": 100 * j}})
		}
	}
	cfg, err := parseConfig([]string{"serve", "--addr", "127.0.0.1:0", "--database-url", url, "--metrics-token", "m3tr1cs", "--direct-reads=false"},
		func(string) string { return "" })
	require.NoError(t, err)
	off := srvStartConfig(t, cfg)

	const query = `query($n: Int!) { customers(first: $n) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id email status customerGroup { name code }
    customerAddresses(first: 5) { totalCount edges { node { name } } }
    orders(first: 2, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount pageInfo { hasNextPage } edges { node { number status totalAmountCents placedAt } } } } } } }`
	answer := func(base string) string {
		body, err := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"n": 10}})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", raw)
		require.NotContains(t, string(raw), `"errors"`)
		return string(raw)
	}
	direct := func(base string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer m3tr1cs")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "clientele_graphql_direct_total "); ok {
				n, err := strconv.Atoi(v)
				require.NoError(t, err)
				return n
			}
		}
		t.Fatalf("no clientele_graphql_direct_total on /metrics: %s", raw)
		return 0
	}
	before := direct(s.base)
	got := answer(s.base)
	require.Equal(t, before+1, direct(s.base), "the direct path answered")
	require.Equal(t, answer(off.base), got, "the same bytes as gqlgen's executor")
	require.Zero(t, direct(off.base), "--direct-reads=false sends every query through gqlgen's executor")
	require.Contains(t, got, `"totalCount":3`)
}
