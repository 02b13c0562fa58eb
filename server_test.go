package main

// The server as an operator runs it: configuration precedence,
// the first-start admin token, health and readiness, GraphiQL, graceful
// shutdown, and the schema command.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// srvSyncBuffer is a bytes.Buffer safe to write from the server's goroutine and
// read from the test's.
type srvSyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *srvSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *srvSyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// srvRunning is one run of the serve command.
type srvRunning struct {
	base   string // http://127.0.0.1:<port>
	stdout *srvSyncBuffer
	cancel context.CancelFunc
	done   chan error
}

// srvStart runs `serve` on a free port against databaseURL and returns
// once it listens.
func srvStart(t testing.TB, databaseURL string) *srvRunning {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = databaseURL
	return srvStartConfig(t, cfg)
}

// srvStartConfig runs `serve` with cfg and returns once it listens.
func srvStartConfig(t testing.TB, cfg Config) *srvRunning {
	t.Helper()
	listening := make(chan string, 1)
	cfg.OnListen = func(addr string) { listening <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	s := &srvRunning{stdout: &srvSyncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, cfg, s.stdout, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(cancel)
	select {
	case addr := <-listening:
		s.base = "http://" + addr
	case err := <-s.done:
		t.Fatalf("run returned before listening: %v", err)
	}
	return s
}

// stop cancels the server's context and requires run to return nil.
func (s *srvRunning) stop(t testing.TB) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		require.NoError(t, err, "run must return nil after a graceful shutdown")
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("run did not return after its context was cancelled")
	}
}

// srvAdminTokens returns the values of the CLIENTELE_ADMIN_TOKEN= lines.
func srvAdminTokens(out string) []string {
	var tokens []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if tok, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "CLIENTELE_ADMIN_TOKEN="); ok {
			tokens = append(tokens, tok)
		}
	}
	return tokens
}

// srvGraphQL posts a query to the running server.
func srvGraphQL(t testing.TB, s *srvRunning, token, query string) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
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
	var out map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return res.StatusCode, out
}

func srvGet(t testing.TB, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(b)
}

func srvErrorCodes(resp map[string]any) []string {
	var out []string
	errs, _ := resp["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		ext, _ := m["extensions"].(map[string]any)
		c, _ := ext["code"].(string)
		out = append(out, c)
	}
	return out
}

func TestServeFirstStartAndRestart(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)

	s := srvStart(t, dbURL)
	t.Run("healthz", func(t *testing.T) {
		status, _, _ := srvGet(t, s.base+"/healthz")
		require.Equal(t, http.StatusOK, status)
	})
	t.Run("readyz", func(t *testing.T) {
		status, _, _ := srvGet(t, s.base+"/readyz")
		require.Equal(t, http.StatusOK, status)
	})
	t.Run("GraphiQL", func(t *testing.T) {
		status, header, body := srvGet(t, s.base+"/")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, header.Get("Content-Type"), "text/html")
		require.Contains(t, strings.ToLower(body), "graphiql")
		require.Contains(t, body, "/graphql")
	})

	tokens := srvAdminTokens(s.stdout.String())
	require.Len(t, tokens, 1, "the first start prints one admin token:\n%s", s.stdout.String())
	token := tokens[0]
	t.Run("the printed token works", func(t *testing.T) {
		status, resp := srvGraphQL(t, s, token, `mutation { createCustomer(input: {email: "first@example.com"}) { customer { id mode } userErrors { code } } }`)
		require.Equal(t, http.StatusOK, status, "%v", resp)
		require.Empty(t, srvErrorCodes(resp), "%v", resp)
		data, _ := resp["data"].(map[string]any)
		payload, _ := data["createCustomer"].(map[string]any)
		customer, _ := payload["customer"].(map[string]any)
		require.Equal(t, "TEST", customer["mode"], "the first-start credential is test-mode: %v", resp)
	})
	t.Run("without a token", func(t *testing.T) {
		_, resp := srvGraphQL(t, s, "", `{ customers { totalCount } }`)
		require.Equal(t, []string{"UNAUTHENTICATED"}, srvErrorCodes(resp))
	})
	s.stop(t)
	_, err := http.Get(s.base + "/healthz")
	require.Error(t, err, "the server still answers after shutdown")

	// A second start on the same database prints no token, and the first
	// one still works (the signing key is kept in the database).
	s2 := srvStart(t, dbURL)
	require.Empty(t, srvAdminTokens(s2.stdout.String()), "a token was printed again:\n%s", s2.stdout.String())
	require.NotContains(t, s2.stdout.String(), "client_secret")
	status, resp := srvGraphQL(t, s2, token, `{ customers { totalCount } }`)
	require.Equal(t, http.StatusOK, status, "%v", resp)
	require.Empty(t, srvErrorCodes(resp), "%v", resp)
	data, _ := resp["data"].(map[string]any)
	customers, _ := data["customers"].(map[string]any)
	require.EqualValues(t, 1, customers["totalCount"], "%v", resp)
	s2.stop(t)
}

func TestParseConfigPrecedence(t *testing.T) {
	defaults := DefaultConfig()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config)
	}{
		{name: "defaults", want: func(*Config) {}},
		{name: "env beats default", env: map[string]string{"CLIENTELE_ADDR": ":9000"}, want: func(c *Config) { c.Addr = ":9000" }},
		{name: "flag beats env", args: []string{"--addr", ":9100"}, env: map[string]string{"CLIENTELE_ADDR": ":9000"}, want: func(c *Config) { c.Addr = ":9100" }},
		{name: "flag beats default", args: []string{"-addr=:9200"}, want: func(c *Config) { c.Addr = ":9200" }},
		{name: "database url from env", env: map[string]string{"DATABASE_URL": "postgres://db/x"}, want: func(c *Config) { c.DatabaseURL = "postgres://db/x" }},
		{name: "database url flag beats env", args: []string{"--database-url", "sqlite:flag.db"}, env: map[string]string{"DATABASE_URL": "postgres://db/x"}, want: func(c *Config) { c.DatabaseURL = "sqlite:flag.db" }},
		{name: "public url", args: []string{"--public-url", "https://api.example"}, env: map[string]string{"CLIENTELE_PUBLIC_URL": "https://env.example"}, want: func(c *Config) { c.PublicURL = "https://api.example" }},
		{name: "limit from env", env: map[string]string{"CLIENTELE_MAX_DEPTH": "7"}, want: func(c *Config) { c.Limits.MaxDepth = 7 }},
		{name: "limit flag beats env", args: []string{"--max-depth", "9"}, env: map[string]string{"CLIENTELE_MAX_DEPTH": "7"}, want: func(c *Config) { c.Limits.MaxDepth = 9 }},
		{name: "introspection off by env, on by flag", args: []string{"--introspection=true"}, env: map[string]string{"CLIENTELE_INTROSPECTION": "false"}, want: func(c *Config) { c.Introspection = true }},
		{name: "introspection off by env", env: map[string]string{"CLIENTELE_INTROSPECTION": "false"}, want: func(c *Config) { c.Introspection = false }},
		{name: "command", args: []string{"schema"}, want: func(c *Config) { c.Command = "schema" }},
		{name: "command with flags", args: []string{"migrate", "--database-url", "sqlite:m.db"}, want: func(c *Config) { c.Command, c.DatabaseURL = "migrate", "sqlite:m.db" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(tc.args, func(k string) string { return tc.env[k] })
			require.NoError(t, err)
			want := defaults
			tc.want(&want)
			require.Equal(t, want.Command, got.Command)
			require.Equal(t, want.Addr, got.Addr)
			require.Equal(t, want.DatabaseURL, got.DatabaseURL)
			require.Equal(t, want.PublicURL, got.PublicURL)
			require.Equal(t, want.Introspection, got.Introspection)
			require.Equal(t, want.Limits, got.Limits)
		})
	}
	require.Equal(t, ":8080", defaults.Addr)
	require.Equal(t, "sqlite:clientele.db", defaults.DatabaseURL)
	require.Equal(t, "serve", defaults.Command)

	t.Run("bad values are errors", func(t *testing.T) {
		_, err := parseConfig(nil, func(k string) string {
			return map[string]string{"CLIENTELE_MAX_DEPTH": "deep"}[k]
		})
		require.Error(t, err)
		_, err = parseConfig([]string{"--no-such-flag"}, func(string) string { return "" })
		require.Error(t, err)
	})
}

func TestRunSchemaPrintsSDL(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Command = "schema"
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), cfg, &out, slog.New(slog.DiscardHandler)))
	sdl := out.String()
	for _, want := range []string{"type Customer ", "type Query", "type Mutation", "input CreateCustomerInput"} {
		require.Contains(t, sdl, want)
	}
}
