// Package testenv runs clientele end to end for tests: a fresh database per
// test (a SQLite file in a temp dir, or, when TEST_DATABASE_URL is set, a
// fresh schema in that Postgres database), the real GraphQL handler, and a
// counter of the SQL statements it runs.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"clientele/ent"
	"clientele/graph"
	"clientele/internal/auth"
	"clientele/internal/httpapi"
	"clientele/internal/metrics"
	"clientele/internal/rest"
	"clientele/internal/store"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// Env is one test's server.
type Env struct {
	DB      *store.DB
	Handler http.Handler
	// Gqlgen is Handler with the direct path off: every query through
	// gqlgen's executor, on the same database.
	Gqlgen http.Handler
	// Tokens is the real token service; with WithRealAuth it authenticates
	// requests and serves /oauth/token (see Mux).
	Tokens *auth.Service
	// REST is the JSON:API twin (/api/...) behind the same HTTP layer.
	REST http.Handler
	// Mux serves /graphql, /api/ and /oauth/token.
	Mux *http.ServeMux
	// As is the caller every request acts as, unless a request sets one.
	As *viewer.Viewer
	// Now is the clock the server sees; tests move it.
	Now     time.Time
	Metrics *metrics.Registry
}

// Config is what a test environment's handler is built from: the GraphQL
// executor's options and the HTTP layer's.
type Config struct {
	graph.Options
	HTTP httpapi.Options
}

// Option changes the configuration of a test environment.
type Option func(*Config)

// WithRealAuth makes requests authenticate with real bearer tokens (the
// Authorization header) instead of acting as e.As.
func WithRealAuth() Option {
	return func(c *Config) { c.HTTP.Authenticate = nil }
}

// WithLimits sets the query limits.
func WithLimits(l graph.Limits) Option {
	return func(c *Config) { c.Limits = l }
}

// WithRateLimit limits each token to perSecond requests with burst.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *Config) { c.HTTP.RateLimit, c.HTTP.RateBurst = perSecond, burst }
}

// New starts a fresh environment for t.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	e := &Env{As: &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin}, Now: time.Now(), Metrics: metrics.New()}
	url := DatabaseURL(t)
	db, err := store.Open(url, e.Metrics.WrapDriver)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(context.Background()))
	e.DB = db
	now := func() time.Time { return e.Now }
	// Every query a test sends that the direct path answers is also run
	// through gqlgen's executor: the two answers must be the same bytes.
	var mismatchMu sync.Mutex
	var mismatches []string
	t.Cleanup(func() {
		mismatchMu.Lock()
		defer mismatchMu.Unlock()
		for _, m := range mismatches {
			t.Errorf("the direct path and gqlgen's executor answered differently:\n%s", m)
		}
	})
	o := Config{
		Options: graph.Options{
			Client:        db.Client,
			Dialect:       db.Dialect,
			PublicURL:     "https://clientele.test",
			Introspection: true,
			Metrics:       e.Metrics,
			PollInterval:  20 * time.Millisecond,
		},
		HTTP: httpapi.Options{
			Client:       db.Client,
			Now:          now,
			Authenticate: func(r *http.Request) (*viewer.Viewer, error) { return e.As, nil },
		},
	}
	if _, bench := t.(*testing.B); !bench { // benchmarks time what users get
		o.VerifyDirect = func(direct, gqlgen []byte) {
			mismatchMu.Lock()
			defer mismatchMu.Unlock()
			mismatches = append(mismatches, "direct: "+string(direct)+"\ngqlgen: "+string(gqlgen))
		}
	}
	for _, opt := range opts {
		opt(&o)
	}
	key, err := auth.SigningKey(context.Background(), db.Client, "")
	require.NoError(t, err)
	e.Tokens = auth.NewService(db.Client, key)
	e.Tokens.Now = func() time.Time { return e.Now }
	if o.HTTP.Authenticate == nil {
		o.HTTP.Authenticate = e.Tokens.Authenticate
	}
	o.HTTP.Logger = o.Logger
	o.HTTP.MaxBodyBytes = o.Limits.MaxBodyBytes
	o.HTTP.RequestTimeout = time.Duration(o.Limits.RequestTimeout) * time.Second
	e.Handler = o.HTTP.GraphQL(graph.NewServer(o.Options))
	off := o.Options
	off.NoDirect, off.VerifyDirect = true, nil
	e.Gqlgen = o.HTTP.GraphQL(graph.NewServer(off))
	e.REST = o.HTTP.REST(rest.NewHandler(rest.Options{Client: db.Client, Dialect: db.Dialect, PublicURL: o.PublicURL, Logger: o.Logger}), rest.WriteError)
	e.Mux = http.NewServeMux()
	e.Mux.Handle("/graphql", e.Handler)
	e.Mux.Handle("/api/", e.REST)
	e.Mux.Handle("/oauth/token", e.Tokens.TokenHandler())
	return e
}

// DatabaseURL returns a fresh database URL for t.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Client returns an ent client acting as the system in test mode.
func (e *Env) Context() context.Context {
	return viewer.SystemContext(context.Background(), viewer.Test)
}

// Ent returns the ent client.
func (e *Env) Ent() *ent.Client { return e.DB.Client }

// Statements returns how many SQL statements have run so far.
func (e *Env) Statements() int64 { return e.Metrics.Statements() }

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
	Raw string
}

// ErrorCodes lists the extensions.code of every top-level error.
func (r *Response) ErrorCodes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// Get follows a dotted path (numbers index lists) into the data.
func (r *Response) Get(path string) any {
	var cur any = r.Data
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i := 0
			for _, ch := range p {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// Str returns the string at path, or "".
func (r *Response) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// Int returns the number at path, or -1.
func (r *Response) Int(path string) int {
	f, ok := r.Get(path).(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// Do runs a GraphQL request and decodes the response.
func (e *Env) Do(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	return e.Send(t, graphQLRequest(t, query, vars))
}

// DoGqlgen is Do through gqlgen's executor (the direct path off).
func (e *Env) DoGqlgen(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	return e.send(t, e.Gqlgen, graphQLRequest(t, query, vars))
}

// graphQLRequest is a POST of query and vars to /graphql.
func graphQLRequest(t testing.TB, query string, vars map[string]any) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Send runs an HTTP request against the handler and decodes the response.
func (e *Env) Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	return e.send(t, e.Handler, req)
}

func (e *Env) send(t testing.TB, h http.Handler, req *http.Request) *Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := &Response{Status: rec.Code, Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), res); err != nil {
		t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body.String())
	}
	return res
}

// MustDo runs a request that must succeed without errors of any kind,
// including user errors in any payload.
func (e *Env) MustDo(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	r := e.Do(t, query, vars)
	require.Empty(t, r.Errors, "errors: %s", r.Raw)
	require.NotContains(t, r.Raw, `"userErrors":[{`, "user errors: %s", r.Raw)
	return r
}

// Credential creates a credential and returns it with its secret.
func (e *Env) Credential(t testing.TB, kind, role string, mode viewer.Mode) *auth.NewCredential {
	t.Helper()
	c, err := auth.CreateCredential(context.Background(), e.DB.Client, kind, role, mode, "")
	require.NoError(t, err)
	return c
}

// Token returns an access token for a credential, owned by customerID if
// that is not empty (a logged-in customer).
func (e *Env) Token(t testing.TB, c *auth.NewCredential, customerID string) string {
	t.Helper()
	row, err := e.DB.Client.Credential.Get(context.Background(), c.ID)
	require.NoError(t, err)
	tok, _, err := e.Tokens.Issue(row, customerID, "access")
	require.NoError(t, err)
	return tok
}

// DoAs runs a GraphQL request with a bearer token (empty: none).
func (e *Env) DoAs(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(t, req)
}
