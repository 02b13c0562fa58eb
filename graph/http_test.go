package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// postJSON builds a POST /graphql request with the given body.
func postJSON(body, contentType, accept string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req
}

func getQuery(params url.Values) *http.Request {
	return httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func requireClientError(t testing.TB, r *testenv.Response) {
	t.Helper()
	require.GreaterOrEqual(t, r.Status, 400, r.Raw)
	require.Less(t, r.Status, 500, r.Raw)
}

func TestHTTPMalformedBody(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	const marker = "ECHO-MARKER-7f3a9c"
	for _, tc := range []struct{ name, body string }{
		{"truncated JSON", `{"query": "{ __typename }", "variables": {"x": "` + marker + `"`},
		{"not JSON", marker + ` { customers { totalCount } }`},
		{"query of the wrong type", `{"query": ["` + marker + `"]}`},
		{"trailing garbage", `{"query": "{ __typename }"} ` + marker},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.Send(t, postJSON(tc.body, "application/json", ""))
			require.Equal(t, http.StatusBadRequest, r.Status, r.Raw)
			require.NotContains(t, r.Raw, marker, "the body was echoed")
			require.NotEmpty(t, r.Errors)
		})
	}
}

func TestHTTPBodyTooLarge(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	const marker = "BIG-BODY-MARKER-51e2"
	pad := marker + strings.Repeat("x", 1<<20+1024)
	body := mustJSON(t, map[string]any{
		"query":     `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } } }`,
		"variables": map[string]any{"e": "big@example.com", "pad": pad},
	})
	require.Greater(t, len(body), 1<<20)

	t.Run("with a content length", func(t *testing.T) {
		r := e.Send(t, postJSON(body, "application/json", ""))
		requireClientError(t, r)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
		require.NotContains(t, r.Raw, marker)
	})
	t.Run("streamed, without a content length", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", io.MultiReader(strings.NewReader(body)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		r := e.Send(t, req)
		requireClientError(t, r)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
		require.NotContains(t, r.Raw, marker)
	})
	t.Run("nothing was written", func(t *testing.T) {
		r := e.MustDo(t, `{ customers { totalCount } events { totalCount } }`, nil)
		require.Equal(t, 0, r.Int("customers.totalCount"))
		require.Equal(t, 0, r.Int("events.totalCount"))
	})
	t.Run("just under the limit is read", func(t *testing.T) {
		small := mustJSON(t, map[string]any{"query": `{ __typename }`, "variables": map[string]any{"pad": strings.Repeat("x", 1<<20-200)}})
		require.Less(t, len(small), 1<<20)
		r := e.Send(t, postJSON(small, "application/json", ""))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Empty(t, r.Errors)
	})
}

func TestHTTPGet(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	mustCustomer(t, e, "get@example.com")

	t.Run("query", func(t *testing.T) {
		r := e.Send(t, getQuery(url.Values{"query": {`{ customers { totalCount edges { node { email } } } }`}}))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Empty(t, r.Errors)
		require.Equal(t, 1, r.Int("customers.totalCount"))
		require.Equal(t, "get@example.com", r.Str("customers.edges.0.node.email"))
	})
	t.Run("query with variables", func(t *testing.T) {
		r := e.Send(t, getQuery(url.Values{
			"query":     {`query($e: String) { customers(where: {email: $e}) { totalCount } }`},
			"variables": {`{"e": "get@example.com"}`},
		}))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Equal(t, 1, r.Int("customers.totalCount"))
	})

	before := tableCounts(t, e)
	for _, tc := range []struct {
		name   string
		params url.Values
	}{
		{"mutation", url.Values{"query": {`mutation { createCustomer(input: {email: "via-get@example.com"}) { customer { id } } }`}}},
		{"mutation picked by operationName", url.Values{
			"query":         {`query Q { customers { totalCount } } mutation M { createCustomer(input: {email: "via-get2@example.com"}) { customer { id } } }`},
			"operationName": {"M"},
		}},
		{"delete mutation", url.Values{"query": {`mutation { deleteCustomer(id: "cus_` + absentULID + `") { deletedID } }`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Send(t, getQuery(tc.params))
			requireClientError(t, r)
			require.Nil(t, r.Get("createCustomer"))
			require.Equal(t, before, tableCounts(t, e), "a GET mutation wrote")
		})
	}

	t.Run("without a query", func(t *testing.T) {
		r := e.Send(t, httptest.NewRequest(http.MethodGet, "/graphql", nil))
		require.Equal(t, http.StatusBadRequest, r.Status, r.Raw)
		r = e.Send(t, getQuery(url.Values{"query": {""}}))
		require.Equal(t, http.StatusBadRequest, r.Status, r.Raw)
	})
}

func TestHTTPContentTypes(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	query := mustJSON(t, map[string]any{"query": `mutation { createCustomer(input: {email: "ct@example.com"}) { customer { id } } }`})

	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		t.Run(ct, func(t *testing.T) {
			r := e.Send(t, postJSON(query, ct, ""))
			require.Equal(t, http.StatusUnsupportedMediaType, r.Status, r.Raw)
		})
	}
	t.Run("nothing was written", func(t *testing.T) {
		r := e.MustDo(t, `{ customers { totalCount } }`, nil)
		require.Equal(t, 0, r.Int("customers.totalCount"))
	})
	t.Run("application/json with a charset works", func(t *testing.T) {
		r := e.Send(t, postJSON(mustJSON(t, map[string]any{"query": `{ customers { totalCount } }`}), "application/json; charset=utf-8", ""))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Empty(t, r.Errors)
	})
}

func TestHTTPRequestErrors(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	const gqlResponse = "application/graphql-response+json"
	syntax := mustJSON(t, map[string]any{"query": `{ customers { `})
	invalid := mustJSON(t, map[string]any{"query": `{ customers { nope } }`})

	keys := func(t *testing.T, raw string) map[string]json.RawMessage {
		t.Helper()
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(raw), &m))
		return m
	}

	t.Run("syntax error, graphql-response+json", func(t *testing.T) {
		t.Parallel()
		req := postJSON(syntax, "application/json", gqlResponse)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
		require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), gqlResponse), rec.Header().Get("Content-Type"))
		m := keys(t, rec.Body.String())
		require.NotContains(t, m, "data", "a request error has no data key")
		require.Contains(t, m, "errors")
		r := e.Send(t, postJSON(syntax, "application/json", gqlResponse))
		require.Equal(t, []string{"GRAPHQL_PARSE_FAILED"}, r.ErrorCodes())
	})
	t.Run("validation error, graphql-response+json", func(t *testing.T) {
		t.Parallel()
		r := e.Send(t, postJSON(invalid, "application/json", gqlResponse))
		require.Equal(t, http.StatusBadRequest, r.Status, r.Raw)
		require.NotContains(t, keys(t, r.Raw), "data")
		require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, r.ErrorCodes())
	})
	t.Run("syntax error, application/json", func(t *testing.T) {
		t.Parallel()
		r := e.Send(t, postJSON(syntax, "application/json", "application/json"))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Equal(t, []string{"GRAPHQL_PARSE_FAILED"}, r.ErrorCodes())
		require.Nil(t, r.Data)
	})
	t.Run("syntax error, no accept header", func(t *testing.T) {
		t.Parallel()
		r := e.Send(t, postJSON(syntax, "application/json", ""))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Equal(t, []string{"GRAPHQL_PARSE_FAILED"}, r.ErrorCodes())
	})
	t.Run("success, graphql-response+json", func(t *testing.T) {
		t.Parallel()
		r := e.Send(t, postJSON(mustJSON(t, map[string]any{"query": `{ customers { totalCount } }`}), "application/json", gqlResponse))
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		require.Empty(t, r.Errors)
		require.Equal(t, 0, r.Int("customers.totalCount"))
	})
	for _, body := range []string{`{}`, `{"query": ""}`, `{"query": null}`, `{"variables": {"a": 1}}`, `null`} {
		t.Run("missing query "+body, func(t *testing.T) {
			t.Parallel()
			r := e.Send(t, postJSON(body, "application/json", ""))
			require.Equal(t, http.StatusBadRequest, r.Status, r.Raw)
			require.NotEmpty(t, r.Errors)
		})
	}
}

// leakRE matches what must never reach a client: SQL, driver and database
// text, table and column names, Go source paths and stack traces.
var leakRE = regexp.MustCompile(`(?i)unique constraint|constraint failed|violates|duplicate key|sqlstate|sqlite|pq:|pgx|` +
	`\binsert into\b|\bselect\b.+\bfrom\b|\bupdate\b.+\bset\b|\bdelete from\b|` +
	`\b(customers|orders|customer_groups|customer_subscriptions|events|counters|addresses)\.[a-z_]+|` +
	`customer_groups|customer_subscriptions|customer_addresses|password_digest|` +
	`\.go:\d+|/work/|goroutine|panic|runtime error|\bent: `)

func TestHTTPErrorsLeakNothing(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "leak@example.com")
	mustCreate(t, e, "CustomerGroup", map[string]any{"name": "G", "code": "g1"})
	mustCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "news"})
	draft := mustDraftOrder(t, e, cus)
	other := mustCustomer(t, e, "other@example.com")

	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		userCode    string // expected user error code, or "" for a top-level error
	}{
		{"duplicate email", `mutation { createCustomer(input: {email: "LEAK@example.com"}) { userErrors { code field message } } }`, nil, "TAKEN"},
		{"duplicate email on update", `mutation($id: ID!) { updateCustomer(id: $id, input: {email: "leak@example.com", reference: "x"}) { userErrors { code field message } } }`, map[string]any{"id": other}, "TAKEN"},
		{"duplicate group code", `mutation { createCustomerGroup(input: {name: "H", code: "g1"}) { userErrors { code field message } } }`, nil, "TAKEN"},
		{"duplicate subscription", `mutation($c: ID!) { createCustomerSubscription(input: {customerID: $c, reference: "news"}) { userErrors { code field message } } }`, map[string]any{"c": cus}, "TAKEN"},
		{"invalid transition", `mutation($o: ID!) { placeOrder(id: $o) { userErrors { code field message } } }`, map[string]any{"o": draft}, "INVALID_TRANSITION"},
		{"invalid transition approve", `mutation($o: ID!) { approveOrder(id: $o) { userErrors { code field message } } }`, map[string]any{"o": draft}, "INVALID_TRANSITION"},
		{"unknown order", `mutation { placeOrder(id: "ord_` + absentULID + `") { userErrors { code field message } } }`, nil, "NOT_FOUND"},
		{"unknown node", `{ node(id: "cus_` + absentULID + `") { id } }`, nil, ""},
		{"malformed time", `{ customers(where: {createdAtGT: "yesterday"}) { totalCount } }`, nil, ""},
		{"metadata key", `{ customers(where: {metadataContains: {"bad key": 1}}) { totalCount } }`, nil, ""},
		{"bad cursor", `{ customers(after: "bm90LWEtY3Vyc29y") { totalCount } }`, nil, ""},
		{"garbage cursor", `{ customers(after: "%%%") { totalCount } }`, nil, ""},
		{"wrong variable type", `query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": "many"}, ""},
		{"customer id of another type", `mutation($o: ID!) { createCustomerAddress(input: {customerID: $o, addressID: $o}) { userErrors { code field message } } }`, map[string]any{"o": draft}, "NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, tc.query, tc.vars)
			require.Less(t, r.Status, 500, r.Raw)
			require.NotContains(t, r.ErrorCodes(), "INTERNAL", r.Raw)
			if tc.userCode != "" {
				require.Empty(t, r.Errors, r.Raw)
				require.Contains(t, r.Raw, `"code":"`+tc.userCode+`"`, r.Raw)
			} else {
				require.NotEmpty(t, r.Errors, r.Raw)
			}
			require.False(t, leakRE.MatchString(r.Raw), "the response leaks internals: %s (matched %q)", r.Raw, leakRE.FindString(r.Raw))
		})
	}
}

// nestedSelection returns a selection set of the given depth (the field at
// the top counts as 1) that walks customers → edges → node → customerGroup →
// customers … with first: 1 everywhere, starting at position i of the cycle.
func nestedSelection(i, depth int) string {
	cycle := []string{"customers(first: 1)", "edges", "node", "customerGroup"}
	leaf := []string{"totalCount", "cursor", "id", "id"} // a scalar of each
	if depth == 1 {
		if i == 0 {
			return "__typename"
		}
		return leaf[(i-1)%4]
	}
	return cycle[i%4] + " { " + nestedSelection(i+1, depth-1) + " }"
}

func TestLimits(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	g := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "G"})
	seedDeepCustomer(t, e, g)

	refused := func(t *testing.T, query, code string) {
		t.Helper()
		before := e.Statements()
		r := e.Do(t, query, nil)
		require.Less(t, r.Status, 500, r.Raw)
		require.Equal(t, []string{code}, r.ErrorCodes(), r.Raw)
		require.Nil(t, r.Data, r.Raw)
		require.Equal(t, before, e.Statements(), "a refused operation ran SQL")
	}

	t.Run("depth 12 passes", func(t *testing.T) {
		q := "{ " + nestedSelection(0, 12) + " }"
		require.Equal(t, 11, strings.Count(q, "{")-1)
		r := e.MustDo(t, q, nil)
		// The data really goes 12 levels down.
		require.NotEmpty(t, r.Str("customers.edges.0.node.customerGroup.customers.edges.0.node.customerGroup.customers.edges.0.node.id"))
	})
	t.Run("depth 13 is refused", func(t *testing.T) {
		refused(t, "{ "+nestedSelection(0, 13)+" }", "QUERY_TOO_COMPLEX")
	})
	t.Run("depth 13 through a fragment is refused", func(t *testing.T) {
		refused(t, "{ customers(first: 1) { ...C } } fragment C on CustomerConnection { "+nestedSelection(1, 12)+" }", "QUERY_TOO_COMPLEX")
	})
	t.Run("depth 12 through a fragment passes", func(t *testing.T) {
		e.MustDo(t, "{ customers(first: 1) { ...C } } fragment C on CustomerConnection { "+nestedSelection(1, 11)+" }", nil)
	})
	t.Run("depth 13 through an inline fragment is refused", func(t *testing.T) {
		refused(t, "{ ... on Query { "+nestedSelection(0, 13)+" } }", "QUERY_TOO_COMPLEX")
	})

	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a%d: customers(first: 1) { totalCount }", i)
		}
		b.WriteString(" }")
		return b.String()
	}
	t.Run("30 aliases pass", func(t *testing.T) {
		r := e.MustDo(t, aliases(30), nil)
		require.Equal(t, 1, r.Int("a29.totalCount"))
	})
	t.Run("31 aliases are refused", func(t *testing.T) {
		refused(t, aliases(31), "QUERY_TOO_COMPLEX")
	})
	t.Run("31 aliases of a scalar are refused", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("{")
		for i := range 31 {
			fmt.Fprintf(&b, " t%d: __typename", i)
		}
		b.WriteString(" }")
		refused(t, b.String(), "QUERY_TOO_COMPLEX")
	})

	t.Run("cost over 5000 is refused", func(t *testing.T) {
		refused(t, `{ customers(first: 100) { edges { node { orders(first: 100) { edges { node { id } } } } } } }`, "QUERY_TOO_COMPLEX")
	})
	t.Run("cost over 5000 with default pages is refused", func(t *testing.T) {
		// 20 × 20 × 20 nodes with a few fields each.
		refused(t, `{ customerGroups { edges { node { customers { edges { node { orders { edges { node { id number status } } } } } } } } } }`, "QUERY_TOO_COMPLEX")
	})
	t.Run("cost over 5000 via a variable is refused", func(t *testing.T) {
		before := e.Statements()
		r := e.Do(t, `query($n: Int) { customers(first: $n) { edges { node { orders(first: $n) { edges { node { id } } } } } } }`, map[string]any{"n": 100})
		require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, r.ErrorCodes(), r.Raw)
		require.Equal(t, before, e.Statements())
	})
	t.Run("cost under 5000 passes", func(t *testing.T) {
		e.MustDo(t, `{ customers(first: 100) { edges { node { id email orders(first: 10) { edges { node { id } } } } } } }`, nil)
	})
	t.Run("introspection passes", func(t *testing.T) {
		r := e.MustDo(t, `{ __schema { types { name fields { name } } } }`, nil)
		types, _ := r.Get("__schema.types").([]any)
		require.Greater(t, len(types), 50)
	})
	t.Run("introspection of a type passes", func(t *testing.T) {
		r := e.MustDo(t, `{ __type(name: "Customer") { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } }`, nil)
		require.Equal(t, "Customer", r.Str("__type.name"))
	})
}

// seedDeepCustomer puts one customer with one order into group g.
func seedDeepCustomer(t testing.TB, e *testenv.Env, g string) {
	t.Helper()
	c := mustCreate(t, e, "Customer", map[string]any{"email": "deep@example.com", "customerGroupID": g})
	mustDraftOrder(t, e, c)
}
