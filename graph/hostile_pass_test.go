package graph_test

// Regression tests for what a hostile pass against the served binary found.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"clientele/ent"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// Introspection is exempt from the cost, so its count is bounded: one full
// introspection is fine, thirty aliased copies are refused.
func TestIntrospectionFieldsAreBounded(t *testing.T) {
	e := testenv.New(t)
	e.MustDo(t, `{ __schema { types { name fields { name args { name } } } } }`, nil)
	var b strings.Builder
	b.WriteString("{")
	for i := range 11 {
		fmt.Fprintf(&b, " s%d: __schema { types { name } }", i)
	}
	b.WriteString(" }")
	r := e.Do(t, b.String(), nil)
	require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, r.ErrorCodes())
	require.Nil(t, r.Data)
}

func hpCursor(t testing.TB, id string, value any) string {
	t.Helper()
	var buf bytes.Buffer
	ent.Cursor{ID: id, Value: value}.MarshalGQL(&buf)
	var s string
	require.NoError(t, json.Unmarshal(buf.Bytes(), &s))
	return s
}

// A forged or foreign cursor is the caller's mistake on every root
// connection: BAD_USER_INPUT, never INTERNAL.
func TestForgedCursorsAreBadInput(t *testing.T) {
	e := testenv.New(t)
	forged := []string{
		"gqFppWN1c194oXahYQ", // {"i":"cus_x","v":"a"}: a scalar where a list belongs
		hpCursor(t, "x_1", map[string]any{"a": 1}),
		hpCursor(t, "x_1", []any{"a", "b", "c", "d"}),
		hpCursor(t, "x_1", []any{map[string]any{"k": "v"}}),
		"not base64 !!",
		hpCursor(t, "", nil),
	}
	for _, root := range hpRootConnections(t) {
		for i, c := range forged {
			for _, arg := range []string{"after", "before"} {
				q := fmt.Sprintf(`query($c: Cursor) { %s(first: 2, %s: $c) { edges { node { id } } } }`, root, arg)
				if arg == "before" {
					q = strings.Replace(q, "first", "last", 1)
				}
				r := e.Do(t, q, map[string]any{"c": c})
				require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), "%s %s forged #%d: %s", root, arg, i, r.Raw)
			}
		}
	}
	// A real cursor still pages, with and without orderBy.
	for i := range 3 {
		e.MustDo(t, `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } } }`, map[string]any{"e": fmt.Sprintf("c%d@example.com", i)})
	}
	for _, order := range []string{"", `, orderBy: {field: CREATED_AT, direction: DESC}`, `, orderBy: [{field: EMAIL}, {field: CREATED_AT}]`} {
		r := e.MustDo(t, `{ customers(first: 1`+order+`) { edges { cursor } pageInfo { endCursor } } }`, nil)
		end := r.Str("customers.pageInfo.endCursor")
		require.NotEmpty(t, end)
		r = e.MustDo(t, `query($c: Cursor) { customers(first: 5, after: $c`+order+`) { edges { node { id } } } }`, map[string]any{"c": end})
		require.Len(t, r.Get("customers.edges"), 2, order)
	}
}

// hpRootConnections lists the root fields that return a connection.
func hpRootConnections(t testing.TB) []string {
	t.Helper()
	e := testenv.New(t)
	r := e.MustDo(t, `{ __schema { queryType { fields { name args { name } type { kind name ofType { name } } } } } }`, nil)
	var out []string
	for _, f := range r.Get("__schema.queryType.fields").([]any) {
		m := f.(map[string]any)
		typ := m["type"].(map[string]any)
		name, _ := typ["name"].(string)
		if of, ok := typ["ofType"].(map[string]any); ok && name == "" {
			name, _ = of["name"].(string)
		}
		if strings.HasSuffix(name, "Connection") {
			out = append(out, m["name"].(string))
		}
	}
	require.GreaterOrEqual(t, len(out), 10)
	return out
}

// A filter string longer than the bound is refused before SQL sees it
// (SQLite: "LIKE or GLOB pattern too complex").
func TestLongFilterStringsAreBadInput(t *testing.T) {
	e := testenv.New(t)
	long := strings.Repeat("a", 50_000)
	for _, q := range []string{
		`query($s: String) { customers(where: {search: $s}) { totalCount } }`,
		`query($s: String) { customers(where: {emailContains: $s}) { totalCount } }`,
		`query($s: String) { orders(where: {hasCustomerWith: {emailContainsFold: $s}}) { totalCount } }`,
	} {
		r := e.Do(t, q, map[string]any{"s": long})
		require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), q)
	}
	e.MustDo(t, `query($s: String) { customers(where: {search: $s}) { totalCount } }`, map[string]any{"s": strings.Repeat("a", 1000)})
}

// An anonymous storefront token is shared by all its visitors: one visitor
// exhausting the rate limit does not lock the others out.
func TestAnonymousStorefrontRateLimitIsPerVisitor(t *testing.T) {
	e := testenv.New(t, testenv.WithRealAuth(), testenv.WithRateLimit(1, 3))
	tok := e.Token(t, e.Credential(t, "sales_channel", "", viewer.Test), "")
	send := func(ip string) int {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.RemoteAddr = ip + ":4242"
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		return rec.Code
	}
	limited := false
	for range 10 {
		if send("10.0.0.1") == http.StatusTooManyRequests {
			limited = true
		}
	}
	require.True(t, limited, "the first visitor is limited")
	require.Equal(t, http.StatusOK, send("10.0.0.2"), "another visitor of the same storefront is not")
}
