package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// A database that accepts TCP connections but never answers must not hang
// the start: serve gives up after --connect-timeout with a clear error.
func TestServeGivesUpOnASilentDatabase(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	cfg, err := parseConfig([]string{"serve", "--addr", "127.0.0.1:0", "--connect-timeout", "1s",
		"--database-url", "postgres://u:p@" + ln.Addr().String() + "/db?sslmode=disable"}, func(string) string { return "" })
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), cfg, io.Discard, slog.New(slog.DiscardHandler)) }()
	select {
	case err := <-done:
		require.Error(t, err)
		require.Contains(t, err.Error(), "--connect-timeout", "the error names the setting to change")
		require.NotContains(t, err.Error(), ":p@", "the password is redacted")
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("serve hung on a database that never answers")
	}
}

// proxy is a loopback TCP proxy to a database that a test can cut.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			down := p.down
			p.mu.Unlock()
			if down {
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

// cut drops every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// With the database down, requests get 503 UNAVAILABLE (retryable), not
// 401 "revoked"; /readyz says 503; once it is back, everything works again.
func TestServedDatabaseOutageIsUnavailable(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs TEST_DATABASE_URL (a Postgres to put a cuttable proxy in front of)")
	}
	dbURL := testenv.DatabaseURL(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	s := e2eStartURL(t, u.String())
	s.mustPost(t, `{ customers(first: 1) { totalCount } }`, nil)

	p.cut()
	res, out := s.post(t, s.token, `{ customers(first: 1) { totalCount } }`, nil)
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "%v", out)
	require.Equal(t, []string{"UNAVAILABLE"}, srvErrorCodes(out))
	require.NotEmpty(t, res.Header.Get("Retry-After"))
	code, _, _ := srvGet(t, s.base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)

	p.restore()
	require.Eventually(t, func() bool {
		res, out := s.post(t, s.token, `{ customers(first: 1) { totalCount } }`, nil)
		return res.StatusCode == http.StatusOK && out["errors"] == nil
	}, 30*time.Second, 200*time.Millisecond)
}

// SIGTERM drain: a request in flight when the stop begins finishes; a
// keep-alive connection used during the drain gets its answer with
// Connection: close instead of being reset; /readyz fails meanwhile.
func TestServedDrainFinishesKeepAliveRequests(t *testing.T) {
	cfg, err := parseConfig([]string{"serve", "--addr", "127.0.0.1:0", "--drain-delay", "2s",
		"--database-url", testenv.DatabaseURL(t)}, func(string) string { return "" })
	require.NoError(t, err)
	s := srvStartConfig(t, cfg)
	tok := srvAdminTokens(s.stdout.String())[0]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	ask := func() (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql",
			strings.NewReader(`{"query":"{ customers(first: 1) { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return res, err
	}
	res, err := ask() // opens the keep-alive connection
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.False(t, res.Close)

	s.cancel() // what SIGTERM does
	time.Sleep(200 * time.Millisecond)
	res, err = ask() // reuses the idle connection during the drain
	require.NoError(t, err, "a keep-alive request during the drain must be answered, not reset")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.True(t, res.Close, "responses during the drain close their connection")
	code, _, _ := srvGet(t, s.base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)

	select {
	case err := <-s.done:
		require.NoError(t, err)
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("the server did not stop")
	}
}
