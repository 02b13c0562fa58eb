package graph_test

// Limits and hardening: depth, complexity, aliases, parser
// tokens, page size, nodes, the per-credential rate limit, CSRF, CORS, and
// error bodies that never carry SQL, driver text or stack traces.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"clientele/ent"
	"clientele/graph"
	"clientele/internal/httpapi"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
)

// limNewEnv starts a fresh environment in which requests act as a test-mode
// integration admin (no token needed).
func limNewEnv(t testing.TB, opts ...testenv.Option) *testenv.Env {
	t.Helper()
	acEnvMu.Lock()
	defer acEnvMu.Unlock()
	return testenv.New(t, opts...)
}

// limLimits returns the default limits changed by f.
func limLimits(f func(*graph.Limits)) testenv.Option {
	l := graph.DefaultLimits()
	f(&l)
	return testenv.WithLimits(l)
}

// limCounts returns how many customers and events exist, read as the system.
func limCounts(t testing.TB, e *testenv.Env) [2]int {
	t.Helper()
	c, err := e.Ent().Customer.Query().Count(e.Context())
	require.NoError(t, err)
	ev, err := e.Ent().Event.Query().Count(e.Context())
	require.NoError(t, err)
	return [2]int{c, ev}
}

// limCase is a request and whether the limit lets it through.
type limCase struct {
	name  string
	query string
	vars  map[string]any
	pass  bool
	code  string // the refusal's code when !pass
	// writes is how many customers the request creates when it passes.
	writes int
}

// limRun runs the cases on e: passing requests run without errors (and
// write what they should), refused ones get only the code, no data, and
// write nothing — the limit is checked before any resolver runs.
func limRun(t *testing.T, e *testenv.Env, cases []limCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := limCounts(t, e)
			r := e.Do(t, tc.query, tc.vars)
			require.Less(t, r.Status, 500, r.Raw)
			after := limCounts(t, e)
			if tc.pass {
				require.Empty(t, r.Errors, r.Raw)
				require.NotNil(t, r.Data, r.Raw)
				require.Equal(t, before[0]+tc.writes, after[0], r.Raw)
				return
			}
			require.NotEmpty(t, r.Errors, r.Raw)
			for _, code := range r.ErrorCodes() {
				require.Equal(t, tc.code, code, r.Raw)
			}
			require.Nil(t, r.Data, r.Raw)
			require.Equal(t, before, after, "a refused operation wrote something")
		})
	}
}

func limVarsEmail() map[string]any { return map[string]any{"e": acEmail("limit")} }

func TestLimitDepth(t *testing.T) {
	e := limNewEnv(t, limLimits(func(l *graph.Limits) { l.MaxDepth = 4 }))
	limRun(t, e, []limCase{
		{name: "query at the limit", query: `{ customers { edges { node { id } } } }`, pass: true},
		{name: "query one over", query: `{ customers { edges { node { customerGroup { id } } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "one over through a fragment", query: `{ ...F } fragment F on Query { customers { edges { node { customerGroup { id } } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "one over through nested fragments", query: `{ customers { ...C } } fragment C on CustomerConnection { edges { ...N } } fragment N on CustomerEdge { node { customerGroup { id } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "one over through an inline fragment", query: `{ customers { edges { node { ... on Customer { customerGroup { id } } } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "mutation at the limit", query: `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { customerGroup { id } } } }`, vars: limVarsEmail(), pass: true, writes: 1},
		{name: "mutation one over", query: `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { customerGroup { customers { totalCount } } } } }`, vars: limVarsEmail(), code: "QUERY_TOO_COMPLEX"},
	})
}

// limBoundary returns the largest first (1 to 100) for which the query
// format passes the complexity limit; larger ones must be refused with
// QUERY_TOO_COMPLEX.
func limBoundary(t testing.TB, e *testenv.Env, format string) int {
	t.Helper()
	pass := func(n int) bool {
		r := e.Do(t, fmt.Sprintf(format, n), nil)
		for _, code := range r.ErrorCodes() {
			require.Equal(t, "QUERY_TOO_COMPLEX", code, r.Raw)
		}
		return len(r.Errors) == 0
	}
	require.True(t, pass(1), "first: 1 must pass")
	if pass(100) {
		return 100
	}
	lo, hi := 1, 100 // pass(lo), !pass(hi)
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; pass(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// TestLimitComplexity checks the cost rule: connections multiply by
// first (or last, or the default page). The exact weights are the server's,
// so the boundaries are found by asking it, then checked for what the rule
// implies: the same few fields are refused once the page is large enough,
// wider selections and nesting lower the allowed page, and a refused
// operation runs nothing.
func TestLimitComplexity(t *testing.T) {
	const limit = 50
	e := limNewEnv(t, limLimits(func(l *graph.Limits) { l.MaxComplexity = limit }))
	const (
		narrow = `{ customers(first: %d) { edges { node { id email } } } }`
		wide   = `{ customers(first: %d) { edges { node { id email reference referenceOrigin createdAt updatedAt } } } }`
	)
	n := limBoundary(t, e, narrow)
	require.Less(t, n, limit, "two fields per row must cost more as first grows")
	w := limBoundary(t, e, wide)
	require.Less(t, w, n, "a wider selection must lower the page the limit allows")
	require.Less(t, w, graph.DefaultLimits().DefaultPage)
	withoutFirst := strings.Replace(wide, "(first: %d)", "", 1)

	over := func(format string, n int) string { return fmt.Sprintf(format, n+1) }
	limRun(t, e, []limCase{
		{name: "just under", query: fmt.Sprintf(narrow, n), pass: true},
		{name: "just over", query: over(narrow, n), code: "QUERY_TOO_COMPLEX"},
		{name: "last just under", query: strings.Replace(fmt.Sprintf(narrow, n), "first", "last", 1), pass: true},
		{name: "last just over", query: strings.Replace(over(narrow, n), "first", "last", 1), code: "QUERY_TOO_COMPLEX"},
		{name: "first from a variable", query: `query($n: Int) { customers(first: $n) { edges { node { id email } } } }`, vars: map[string]any{"n": n + 1}, code: "QUERY_TOO_COMPLEX"},
		{name: "the default page counts", query: withoutFirst, code: "QUERY_TOO_COMPLEX"},
		{name: "side by side, the costs add up under the limit", query: `{ a: customers(first: 5) { edges { node { id } } } b: orders(first: 10) { edges { node { id } } } }`, pass: true},
		{name: "nested, they multiply over it", query: `{ customers(first: 5) { edges { node { orders(first: 10) { edges { node { id } } } } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "mutation under", query: `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { orders(first: 1) { edges { node { id number status currencyCode customerEmail } } } } } }`, vars: limVarsEmail(), pass: true, writes: 1},
		{name: "mutation over", query: `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { orders(first: 20) { edges { node { id number status currencyCode customerEmail } } } } } }`, vars: limVarsEmail(), code: "QUERY_TOO_COMPLEX"},
	})
}

func TestLimitAliases(t *testing.T) {
	e := limNewEnv(t, limLimits(func(l *graph.Limits) { l.MaxAliases = 3 }))
	aliased := func(n int, field string) string {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, " a%d: %s", i, strings.ReplaceAll(field, "$i", strconv.Itoa(i)))
		}
		return sb.String()
	}
	create := `createCustomer(input: {email: "alias-$i-` + acEmail("x") + `"}) { customer { id } }`
	limRun(t, e, []limCase{
		{name: "query at the limit", query: "{" + aliased(3, "viewer { id }") + " }", pass: true},
		{name: "query one over", query: "{" + aliased(4, "viewer { id }") + " }", code: "QUERY_TOO_COMPLEX"},
		{name: "nested aliases count", query: `{ a: customers { b: edges { c: node { d: id } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "mutation at the limit", query: "mutation {" + aliased(3, create) + " }", pass: true, writes: 3},
		{name: "mutation one over", query: "mutation {" + strings.ReplaceAll(aliased(4, create), "alias-", "other-") + " }", code: "QUERY_TOO_COMPLEX"},
	})
}

func TestLimitParserTokens(t *testing.T) {
	const limit = 40
	e := limNewEnv(t, limLimits(func(l *graph.Limits) { l.MaxTokens = limit }))
	// { __typename × n } is n + 2 tokens.
	fields := func(n int) string { return "{" + strings.Repeat(" __typename", n) + " }" }
	limRun(t, e, []limCase{
		{name: "under", query: fields(limit - 3), pass: true},
		{name: "just over", query: fields(limit), code: "GRAPHQL_PARSE_FAILED"},
		{name: "far over", query: fields(100 * limit), code: "GRAPHQL_PARSE_FAILED"},
	})
}

func TestLimitPageSize(t *testing.T) {
	e := limNewEnv(t)
	limRun(t, e, []limCase{
		{name: "first 100", query: `{ customers(first: 100) { totalCount edges { node { id } } } }`, pass: true},
		{name: "last 100", query: `{ customers(last: 100) { totalCount } }`, pass: true},
		{name: "first 101", query: `{ customers(first: 101) { totalCount } }`, code: "BAD_USER_INPUT"},
		{name: "last 101", query: `{ customers(last: 101) { totalCount } }`, code: "BAD_USER_INPUT"},
		{name: "first -1", query: `{ customers(first: -1) { totalCount } }`, code: "BAD_USER_INPUT"},
		{name: "first 101 from a variable", query: `query($n: Int) { customers(first: $n) { totalCount } }`, vars: map[string]any{"n": 101}, code: "BAD_USER_INPUT"},
		{name: "nested first 100", query: `{ customers(first: 1) { edges { node { orders(first: 100) { totalCount } } } } }`, pass: true},
		{name: "nested first 101", query: `{ customers(first: 1) { edges { node { orders(first: 101) { totalCount } } } } }`, code: "BAD_USER_INPUT"},
		{name: "other root connection", query: `{ events(first: 101) { totalCount } }`, code: "BAD_USER_INPUT"},
	})
}

func TestLimitNodesIDs(t *testing.T) {
	e := limNewEnv(t)
	r := e.MustDo(t, `mutation { createCustomer(input: {email: "nodes@example.com"}) { customer { id } userErrors { code } } }`, nil)
	id := r.Str("createCustomer.customer.id")
	repeat := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id
		}
		return out
	}
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
	r = e.Do(t, q, map[string]any{"ids": repeat(100)})
	require.Empty(t, r.Errors, r.Raw)
	nodes, _ := r.Get("nodes").([]any)
	require.Len(t, nodes, 100)
	require.Equal(t, id, r.Str("nodes.99.id"))

	limRun(t, e, []limCase{
		{name: "101 ids", query: q, vars: map[string]any{"ids": repeat(101)}, code: "BAD_USER_INPUT"},
		{name: "101 inline ids", query: `{ nodes(ids: ["` + strings.Join(repeat(101), `","`) + `"]) { id } }`, code: "BAD_USER_INPUT"},
	})
}

// TestLimitRate checks the per-credential rate limit: with 1 request per
// second and a burst of 3, a token's fourth request at the same instant is
// refused with 429, RATE_LIMITED and Retry-After; other tokens are not
// affected. The server's clock is moved, never waited for.
func TestLimitRate(t *testing.T) {
	e := acNewEnv(t, testenv.WithRateLimit(1, 3))
	one := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	two := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	for i := 0; i < 3; i++ {
		r := e.DoAs(t, one, `{ customers { totalCount } }`, nil)
		require.Equal(t, http.StatusOK, r.Status, "request %d: %s", i+1, r.Raw)
		require.Empty(t, r.Errors, r.Raw)
	}

	body, err := json.Marshal(map[string]any{"query": `mutation { createCustomer(input: {email: "rate@example.com"}) { customer { id } } }`})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+one)
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, rec.Body.String())
	var res testenv.Response
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
	require.Equal(t, []string{"RATE_LIMITED"}, res.ErrorCodes(), rec.Body.String())
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	require.NoError(t, err, "Retry-After: %q", rec.Header().Get("Retry-After"))
	require.Positive(t, retry)
	require.Zero(t, limCounts(t, e)[0], "a rate-limited mutation ran")

	r := e.DoAs(t, two, `{ customers { totalCount } }`, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Raw)
	require.Empty(t, r.Errors, r.Raw)

	e.Now = e.Now.Add(time.Duration(retry) * time.Second)
	r = e.DoAs(t, one, `{ customers { totalCount } }`, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Raw)
}

// limIntrospectionQuery is the query GraphiQL and code generators send.
const limIntrospectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// TestLimitIntrospectionIsExempt checks that the tools' introspection query
// passes however small the limits, while the same limits still refuse
// ordinary fields, including ones sent alongside introspection.
func TestLimitIntrospectionIsExempt(t *testing.T) {
	e := limNewEnv(t, limLimits(func(l *graph.Limits) { l.MaxComplexity = 50; l.MaxDepth = 4 }))
	r := e.Do(t, limIntrospectionQuery, nil)
	require.Empty(t, r.Errors, r.Raw)
	types, _ := r.Get("__schema.types").([]any)
	require.Greater(t, len(types), 50, "introspection returned %d types", len(types))
	r = e.Do(t, `{ __type(name: "Customer") { name fields { name type { name ofType { name ofType { name } } } } } }`, nil)
	require.Empty(t, r.Errors, r.Raw)

	limRun(t, e, []limCase{
		{name: "ordinary fields still limited", query: `{ customers(first: 100) { edges { node { id email } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "ordinary fields next to introspection", query: `{ __schema { types { name } } customers(first: 100) { edges { node { id email } } } }`, code: "QUERY_TOO_COMPLEX"},
		{name: "__typename is not a way around depth", query: `{ customers { edges { node { customerGroup { __typename } } } } }`, code: "QUERY_TOO_COMPLEX"},
	})
}

// limPostRaw sends a POST with the given content type and body.
func limPostRaw(e *testenv.Env, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	return rec
}

const limCSRFMutation = `mutation { createCustomer(input: {email: "csrf@example.com"}) { customer { id } } }`

// TestCSRFRefusesMutationsBrowsersCanForge checks that the requests a page on
// another site can make without a preflight (GET, and POST with a form or
// text content type) cannot run a mutation.
func TestCSRFRefusesMutationsBrowsersCanForge(t *testing.T) {
	e := limNewEnv(t)

	t.Run("GET with a query works", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`{ customers { totalCount } }`), nil)
		r := e.Send(t, req)
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Empty(t, r.Errors, r.Raw)
	})
	t.Run("GET with a mutation", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(limCSRFMutation), nil)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		require.GreaterOrEqual(t, rec.Code, 400, rec.Body.String())
		require.Less(t, rec.Code, 500, rec.Body.String())
		require.Zero(t, limCounts(t, e)[0])
	})
	t.Run("GET with a mutation among named operations", func(t *testing.T) {
		q := `query Q { __typename } ` + strings.Replace(limCSRFMutation, "mutation", "mutation M", 1)
		req := httptest.NewRequest(http.MethodGet, "/graphql?operationName=M&query="+url.QueryEscape(q), nil)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		require.GreaterOrEqual(t, rec.Code, 400, rec.Body.String())
		require.Less(t, rec.Code, 500, rec.Body.String())
		require.Zero(t, limCounts(t, e)[0])
	})

	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	require.NoError(t, mw.WriteField("query", limCSRFMutation))
	require.NoError(t, mw.Close())
	jsonBody, err := json.Marshal(map[string]any{"query": limCSRFMutation})
	require.NoError(t, err)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"form", "application/x-www-form-urlencoded", []byte(url.Values{"query": {limCSRFMutation}}.Encode())},
		{"multipart", mw.FormDataContentType(), multi.Bytes()},
		{"text/plain carrying JSON", "text/plain", jsonBody},
		{"form type carrying JSON", "application/x-www-form-urlencoded", jsonBody},
	} {
		t.Run("POST "+tc.name, func(t *testing.T) {
			rec := limPostRaw(e, tc.contentType, tc.body)
			require.Equal(t, http.StatusUnsupportedMediaType, rec.Code, rec.Body.String())
			require.Zero(t, limCounts(t, e)[0], "the mutation ran")
		})
	}
}

// limCORS sends a request with an Origin header and returns the response.
func limCORS(h http.Handler, method, origin string) *httptest.ResponseRecorder {
	var req *http.Request
	if method == http.MethodOptions {
		req = httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	} else {
		req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", origin)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCORSClosedByDefault(t *testing.T) {
	e := limNewEnv(t)
	for _, method := range []string{http.MethodPost, http.MethodOptions} {
		for _, origin := range []string{"https://evil.example", "null", "https://clientele.test"} {
			rec := limCORS(e.Handler, method, origin)
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "%s from %s", method, origin)
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"), "%s from %s", method, origin)
		}
	}
}

func TestCORSAllowsConfiguredOrigins(t *testing.T) {
	e := limNewEnv(t)
	h := (&httpapi.Options{CORSOrigins: []string{"https://shop.example"}, Authenticate: limAdmin}).
		GraphQL(graph.NewServer(graph.Options{Client: e.Ent(), Dialect: e.DB.Dialect, PublicURL: "https://clientele.test", Introspection: true}))
	const shop = "https://shop.example"

	rec := limCORS(h, http.MethodPost, shop)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, shop, rec.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, rec.Header().Values("Vary"), "Origin")

	rec = limCORS(h, http.MethodOptions, shop)
	require.Less(t, rec.Code, 300, rec.Body.String())
	require.Equal(t, shop, rec.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "authorization")
	require.Contains(t, rec.Header().Get("Access-Control-Allow-Methods"), "POST")

	for _, origin := range []string{"https://evil.example", "https://shop.example.evil.example", "http://shop.example", "null"} {
		for _, method := range []string{http.MethodPost, http.MethodOptions} {
			rec := limCORS(h, method, origin)
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "%s from %s", method, origin)
		}
	}
}

// limLeaks are what an error body must never contain: SQL, table names,
// driver and database text, file paths, stack traces.
var limLeaks = []string{"sqlite", "postgres", "pgx", "sqlstate", "syntax error", "constraint", "duplicate key",
	"no such table", "does not exist", "select ", "insert ", "update ", "delete from", "customers.email",
	"customer_groups", "customer_subscriptions", "goroutine", ".go:", "panic", "boom", "database is", "sql:"}

// limRequireNoLeak requires that a response body carries none of limLeaks
// (case-insensitively) nor "UNIQUE".
func limRequireNoLeak(t testing.TB, raw string) {
	t.Helper()
	lower := strings.ToLower(raw)
	for _, s := range limLeaks {
		require.NotContains(t, lower, s, "the error body leaks %q: %s", s, raw)
	}
	require.NotContains(t, raw, "UNIQUE", raw)
}

// TestLimitErrorBodiesLeakNothing forces unique violations, a database
// failure and a panic, and checks that clients get codes, never SQL, table
// names, driver text, paths or stack traces.
func TestLimitErrorBodiesLeakNothing(t *testing.T) {
	e := limNewEnv(t)
	email := acEmail("dup")
	r := e.MustDo(t, `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } userErrors { code } } }`, map[string]any{"e": email})
	cid := r.Str("createCustomer.customer.id")
	e.MustDo(t, `mutation { createCustomerGroup(input: {name: "VIP", code: "vip"}) { customerGroup { id } userErrors { code } } }`, nil)
	e.MustDo(t, `mutation($c: ID!) { createCustomerSubscription(input: {customerID: $c, reference: "news"}) { customerSubscription { id } userErrors { code } } }`, map[string]any{"c": cid})

	t.Run("unique violations", func(t *testing.T) {
		for _, tc := range []struct {
			name, query, field string
			vars               map[string]any
		}{
			{"email", `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } userErrors { code field message } } }`, "createCustomer", map[string]any{"e": "  " + strings.ToUpper(email)}},
			{"group code", `mutation { createCustomerGroup(input: {name: "Other", code: "vip"}) { customerGroup { id } userErrors { code field message } } }`, "createCustomerGroup", nil},
			{"subscription per customer", `mutation($c: ID!) { createCustomerSubscription(input: {customerID: $c, reference: "news"}) { customerSubscription { id } userErrors { code field message } } }`, "createCustomerSubscription", map[string]any{"c": cid}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Do(t, tc.query, tc.vars)
				require.Empty(t, r.Errors, r.Raw)
				require.Equal(t, []string{"TAKEN"}, acUserErrorCodes(r, tc.field), r.Raw)
				limRequireNoLeak(t, r.Raw)
			})
		}
	})

	t.Run("malformed bodies are not echoed", func(t *testing.T) {
		for _, body := range []string{`{"query": "{ customers { totalCount } }", "variables": SELECT sqlite UNIQUE`, `not json at all: goroutine panic`} {
			rec := limPostRaw(e, "application/json", []byte(body))
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			limRequireNoLeak(t, rec.Body.String())
		}
	})

	t.Run("database failure", func(t *testing.T) {
		// A table the query needs is gone: the driver's error names it.
		_, err := e.DB.SQL.ExecContext(context.Background(), "ALTER TABLE customer_groups RENAME TO zz_gone")
		require.NoError(t, err)
		r := e.Do(t, `{ customerGroups { totalCount edges { node { id name } } } }`, nil)
		require.Less(t, r.Status, 500, r.Raw)
		require.Equal(t, []string{"INTERNAL"}, r.ErrorCodes(), r.Raw)
		require.Contains(t, r.Errors[0].Extensions, "requestId", r.Raw)
		limRequireNoLeak(t, r.Raw)
		require.NotContains(t, r.Raw, "zz_gone")
	})

	t.Run("panic", func(t *testing.T) {
		// No request can make the real server panic, so the handler is built
		// over a driver that panics with a message full of secrets.
		h := (&httpapi.Options{Authenticate: limAdmin}).GraphQL(graph.NewServer(graph.Options{
			Client:  ent.NewClient(ent.Driver(limPanicDriver{dialect: e.DB.Dialect})),
			Dialect: e.DB.Dialect,
		}))
		body, err := json.Marshal(map[string]any{"query": `{ customers { totalCount } }`})
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var res testenv.Response
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res), rec.Body.String())
		require.Less(t, rec.Code, 500, rec.Body.String())
		require.Equal(t, []string{"INTERNAL"}, res.ErrorCodes(), rec.Body.String())
		limRequireNoLeak(t, rec.Body.String())
	})
}

// limPanicDriver is a database driver that panics on every statement.
type limPanicDriver struct{ dialect string }

const limPanicText = "boom: SELECT password FROM customers WHERE UNIQUE at /src/internal/store/store.go:42 goroutine 7"

func (limPanicDriver) Exec(context.Context, string, any, any) error  { panic(limPanicText) }
func (limPanicDriver) Query(context.Context, string, any, any) error { panic(limPanicText) }
func (limPanicDriver) Tx(context.Context) (dialect.Tx, error)        { panic(limPanicText) }
func (limPanicDriver) Close() error                                  { return nil }
func (d limPanicDriver) Dialect() string                             { return d.dialect }

// limAdmin authenticates every request as a test-mode integration admin.
func limAdmin(*http.Request) (*viewer.Viewer, error) {
	return &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin}, nil
}
