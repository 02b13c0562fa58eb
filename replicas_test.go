package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// startReplica runs a server on the database and returns its base URL and
// what it printed.
func startReplica(t *testing.T, dbURL string) (string, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = dbURL
	cfg.RateLimit = 0
	addr := make(chan string, 1)
	cfg.OnListen = func(a string) { addr <- a }
	out := &bytes.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, out, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case a := <-addr:
		return "http://" + a, out
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}
	return "", nil
}

func post(t *testing.T, base, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	require.Nil(t, out["errors"], string(raw))
	require.NotContains(t, string(raw), `"userErrors":[{`)
	return out["data"].(map[string]any)
}

// Two server processes on one PostgreSQL database serve the same data: a
// write through one is read through the other at once, and a token issued
// by one works on the other (the signing key is shared in the database).
func TestTwoReplicasShareOnePostgres(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs TEST_DATABASE_URL (PostgreSQL); .ci/run sets it")
	}
	dbURL := testenv.DatabaseURL(t)
	a, outA := startReplica(t, dbURL)
	token := regexp.MustCompile(`CLIENTELE_ADMIN_TOKEN=(\S+)`).FindStringSubmatch(outA.String())
	require.Len(t, token, 2, outA.String())
	b, outB := startReplica(t, dbURL)
	require.NotContains(t, outB.String(), "CLIENTELE_ADMIN_TOKEN", "the second replica must not create another admin")

	cus := post(t, a, token[1], `mutation { createCustomer(input: {email: "r@example.com"}) { customer { id } } }`, nil)
	id := cus["createCustomer"].(map[string]any)["customer"].(map[string]any)["id"].(string)
	got := post(t, b, token[1], `query($id: ID!) { node(id: $id) { ... on Customer { email status } } }`, map[string]any{"id": id})
	require.Equal(t, "r@example.com", got["node"].(map[string]any)["email"])

	for i, base := range []string{a, b} {
		o := post(t, base, token[1], `mutation($c: ID!) { createOrder(input: {customerID: $c, currencyCode: "EUR"}) { order { id } } }`, map[string]any{"c": id})
		oid := o["createOrder"].(map[string]any)["order"].(map[string]any)["id"].(string)
		post(t, base, token[1], `mutation($id: ID!) { markOrderPending(id: $id) { order { id } } }`, map[string]any{"id": oid})
		post(t, []string{b, a}[i], token[1], `mutation($id: ID!) { placeOrder(id: $id) { order { status } } }`, map[string]any{"id": oid})
	}
	for _, base := range []string{a, b} {
		got = post(t, base, token[1], `query($id: ID!) { node(id: $id) { ... on Customer { status totalOrdersCount } } }`, map[string]any{"id": id})
		n := got["node"].(map[string]any)
		require.Equal(t, "REPEAT", n["status"])
		require.EqualValues(t, 2, n["totalOrdersCount"])
	}
	require.True(t, strings.HasPrefix(a, "http://127.0.0.1:"))
}
