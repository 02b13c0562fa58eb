package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"clientele/internal/testenv"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// e2eCLI runs a subcommand against the server's database, as an operator
// would while it serves.
func e2eCLI(t testing.TB, dbURL string, args ...string) string {
	t.Helper()
	// the command and its action, then the flags, then the arguments
	n := min(2, len(args))
	full := append(append(append([]string{}, args[:n]...), "--database-url", dbURL), args[n:]...)
	cfg, err := parseConfig(full, func(string) string { return "" })
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), cfg, &out, slog.New(slog.DiscardHandler)))
	return out.String()
}

// token asks /oauth/token for a token with the given form.
func (s *e2eServer) oauthToken(t testing.TB, form url.Values) string {
	t.Helper()
	res, err := http.PostForm(s.base+"/oauth/token", form)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", out)
	return out["access_token"].(string)
}

var clientIDLine = regexp.MustCompile(`client_id=(\S+)\s+client_secret=(\S+)`)

// wsEndsWithUnauthenticated waits for the server to end subscription id with
// an UNAUTHENTICATED error (bounded by the client's context).
func wsEndsWithUnauthenticated(t testing.TB, ws *wsClient, id string) {
	t.Helper()
	for {
		m, err := ws.next()
		require.NoError(t, err, "the stream must end with an error message, not a dropped socket")
		if m.Type == "next" {
			continue
		}
		require.Equal(t, "error", m.Type, "payload: %s", m.Payload)
		require.Equal(t, id, m.ID)
		var errs []struct {
			Extensions map[string]any `json:"extensions"`
		}
		require.NoError(t, json.Unmarshal(m.Payload, &errs))
		require.NotEmpty(t, errs)
		require.Equal(t, "UNAUTHENTICATED", errs[0].Extensions["code"])
		return
	}
}

func TestServedRevocationEndsOpenStreams(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	s := e2eStartURL(t, dbURL)
	m := clientIDLine.FindStringSubmatch(s.stdout.String())
	require.Len(t, m, 3)
	tok := s.oauthToken(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {m[1]}, "client_secret": {m[2]}})

	ws := s.wsDial(t, tok)
	ws.expect("connection_ack")
	ws.subscribe("1", e2eEventsSub, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, r := s.sseStream(t, ctx, tok, e2eEventsSub, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	time.Sleep(300 * time.Millisecond)

	e2eCLI(t, dbURL, "credentials", "revoke", m[1])

	// WebSocket: an error for the subscription, within the client's
	// 30 s guard (the server rechecks every 2 s).
	wsEndsWithUnauthenticated(t, ws, "1")
	// SSE: the stream completes and the response ends.
	for {
		typ, _, err := sseNext(r)
		if err != nil || typ == "complete" {
			break
		}
	}
	require.NoError(t, ctx.Err(), "the SSE stream must end before the guard")

	// The same token no longer opens anything.
	ws2 := s.wsDial(t, tok)
	_, err := ws2.next()
	require.Equal(t, websocket.StatusCode(4403), closeStatus(err))
}

func TestServedDeletedCustomerLosesItsStreams(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	s := e2eStartURL(t, dbURL)
	out := e2eCLI(t, dbURL, "credentials", "create", "--kind", "sales_channel", "--mode", "test", "--json")
	var sc struct {
		ClientID string `json:"client_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sc))
	d := s.mustPost(t, `mutation { createCustomer(input: {email: "gone@example.com", password: "correct horse"}) { customer { id } userErrors { code } } }`, nil)
	id := d["createCustomer"].(map[string]any)["customer"].(map[string]any)["id"].(string)
	tok := s.oauthToken(t, url.Values{"grant_type": {"password"}, "client_id": {sc.ClientID},
		"username": {"gone@example.com"}, "password": {"correct horse"}})

	ws := s.wsDial(t, tok)
	ws.expect("connection_ack")
	ws.subscribe("c", e2eEventsSub, nil)
	time.Sleep(300 * time.Millisecond)
	s.mustPost(t, `mutation($id: ID!) { deleteCustomer(id: $id) { userErrors { code } } }`, map[string]any{"id": id})
	wsEndsWithUnauthenticated(t, ws, "c")
}

func TestServedStreamCaps(t *testing.T) {
	s := e2eStart(t, "--max-subscriptions-per-connection", "2", "--max-streams-per-credential", "2")

	// Subscriptions per connection: of three started at once, one is
	// refused (they start concurrently, so any one), two run.
	ws := s.wsDial(t, s.token)
	ws.expect("connection_ack")
	for _, id := range []string{"a", "b", "c"} {
		ws.subscribe(id, e2eEventsSub, nil)
	}
	m := ws.expect("next")
	require.Contains(t, string(m.Payload), "RATE_LIMITED")
	done := ws.expect("complete")
	require.Equal(t, m.ID, done.ID)
	// The connection stays at its cap: of two more, the one over it is refused.
	ws.subscribe("d", e2eEventsSub, nil)
	ws.subscribe("e", e2eEventsSub, nil)
	m = ws.expect("next")
	require.Contains(t, string(m.Payload), "RATE_LIMITED")

	// Streams per credential: this WebSocket holds one, an SSE stream the
	// second; a third stream of either kind is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, _ := s.sseStream(t, ctx, s.token, e2eEventsSub, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	res2, _ := s.sseStream(t, sctx, s.token, e2eEventsSub, nil)
	require.Equal(t, http.StatusTooManyRequests, res2.StatusCode)
	ws3 := s.wsDial(t, s.token)
	_, err := ws3.next()
	require.Equal(t, websocket.StatusCode(4429), closeStatus(err))

	// WebSockets that never send connection_init count against their
	// address: with two waiting, a third upgrade is refused.
	// (The refused connection above gives its waiting slot back a moment
	// after its close reached us: retry until two are waiting.)
	var waiting []*websocket.Conn
	require.Eventually(t, func() bool {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err == nil {
			waiting = append(waiting, c)
		}
		return len(waiting) == 2
	}, 10*time.Second, 50*time.Millisecond)
	_, res3, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.Error(t, err)
	require.Equal(t, http.StatusTooManyRequests, res3.StatusCode)
	for _, c := range waiting {
		_ = c.CloseNow()
	}

	// Closing a stream gives its slot back (the server notices the closed
	// sockets, waiting ones included, a moment later: until then an
	// upgrade may still be refused).
	require.NoError(t, ws.conn.Close(websocket.StatusNormalClosure, ""))
	require.Eventually(t, func() bool {
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			return false
		}
		defer conn.CloseNow()
		c := &wsClient{t: t, conn: conn, ctx: ctx}
		c.send("", "connection_init", map[string]any{"Authorization": "Bearer " + s.token})
		m, err := c.next()
		return err == nil && m.Type == "connection_ack"
	}, 10*time.Second, 100*time.Millisecond)
}

func TestServedMetricsNeedTheirToken(t *testing.T) {
	s := e2eStart(t)
	code, _, _ := srvGet(t, s.base+"/metrics")
	require.Equal(t, http.StatusNotFound, code, "no /metrics on the public address by default")

	s2 := e2eStart(t, "--metrics-token", "m3tr1cs")
	code, _, _ = srvGet(t, s2.base+"/metrics")
	require.Equal(t, http.StatusUnauthorized, code)
	req, _ := http.NewRequest(http.MethodGet, s2.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer m3tr1cs")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

func TestServedContentTypeIsCaseInsensitive(t *testing.T) {
	s := e2eStart(t)
	for _, ct := range []string{"APPLICATION/JSON", "Application/Json; Charset=UTF-8", "application/graphql-response+JSON"} {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", ct)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, ct)
	}
}

func TestServedCORSExposesHeaders(t *testing.T) {
	s := e2eStart(t, "--cors-origins", "https://shop.example")
	req, _ := http.NewRequest(http.MethodOptions, s.base+"/graphql", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, idempotency-key")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	require.Contains(t, strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "idempotency-key")
	expose := strings.ToLower(res.Header.Get("Access-Control-Expose-Headers"))
	require.Contains(t, expose, "retry-after")
	require.Contains(t, expose, "x-request-id")

	s2 := e2eStart(t, "--cors-origins", "https://shop.example", "--cors-allow-headers", "*")
	req, _ = http.NewRequest(http.MethodOptions, s2.base+"/graphql", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "x-custom-trace")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "x-custom-trace", res.Header.Get("Access-Control-Allow-Headers"))
}

// Queries and mutations do not run over streams (they would escape the
// HTTP path's timeout, admission bound, rate limit and idempotency, and
// keep running after the client left): only subscriptions do.
func TestServedStreamsRunOnlySubscriptions(t *testing.T) {
	s := e2eStart(t)
	ws := s.wsDial(t, s.token)
	ws.expect("connection_ack")
	for id, doc := range map[string]string{
		"q": `{ __schema { types { name } } }`,
		"m": `mutation { createCustomerGroup(input: {name: "x"}) { customerGroup { id } } }`,
	} {
		ws.subscribe(id, doc, nil)
		m := ws.expect("next")
		require.Equal(t, id, m.ID)
		require.Contains(t, string(m.Payload), "BAD_USER_INPUT")
		require.Equal(t, id, ws.expect("complete").ID)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, r := s.sseStream(t, ctx, s.token, `{ customers(first: 1) { totalCount } }`, nil)
	var data string
	for {
		typ, d, err := sseNext(r)
		require.NoError(t, err)
		if typ == "next" {
			data = d
			break
		}
	}
	require.Contains(t, data, "BAD_USER_INPUT")
	d := s.mustPost(t, `{ customerGroups(first: 5) { totalCount } }`, nil)
	require.EqualValues(t, 0, d["customerGroups"].(map[string]any)["totalCount"], "the refused mutation wrote nothing")
}
