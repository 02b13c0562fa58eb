// Micro-benchmarks of the GraphQL handler on a fresh database (SQLite in a
// temp dir, or Postgres when TEST_DATABASE_URL is set), without HTTP,
// authentication or the load driver of bench/run.sh:
//
//	go test ./bench -run xxx -bench . -benchtime 50x
//
// Each reports allocations and SQL statements per operation (stmts/op). The
// timed loop calls the handler with a prepared body and checks the raw
// response, so the numbers are the server's, not the test's JSON decoding.
package bench_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"clientele/graph"
	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// q50 is the reference query of graph/nplus1_test.go (and bench/queries).
const q50 = `query($n: Int!) { customers(first: $n) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id email status
    customerGroup { name code }
    customerAddresses(first: 5) { totalCount edges { node { name address { city } } } }
    orders(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount edges { node { number status totalAmountCents placedAt } } }
  } } } }`

const (
	flatQuery   = `{ customers(first: 50) { edges { node { id email status createdAt } } } }`
	nodeQuery   = `query($id: ID!) { node(id: $id) { id ... on Customer { email status createdAt } } }`
	createQuery = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id email } userErrors { field message code } } }`
)

// newEnv is a fresh environment whose cost limit lets q50 ask for 50
// customers (it costs more than the default 5000).
func newEnv(b *testing.B) *testenv.Env {
	b.Helper()
	l := graph.DefaultLimits()
	l.MaxComplexity = 100000
	return testenv.New(b, testenv.WithLimits(l))
}

// seedCustomers creates n customers, each in a group, with 2 addresses and
// 3 orders, through the GraphQL API (as graph/nplus1_test.go does).
func seedCustomers(t testing.TB, e *testenv.Env, n int) {
	t.Helper()
	g := e.MustDo(t, `mutation { createCustomerGroup(input: {name: "VIP", code: "vip"}) { customerGroup { id } } }`, nil).Str("createCustomerGroup.customerGroup.id")
	for i := 0; i < n; i++ {
		c := e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } } }`,
			map[string]any{"in": map[string]any{"email": fmt.Sprintf("c%d@example.com", i), "customerGroupID": g}}).Str("createCustomer.customer.id")
		for j := 0; j < 2; j++ {
			a := e.MustDo(t, `mutation($in: CreateAddressInput!) { createAddress(input: $in) { address { id } } }`,
				map[string]any{"in": map[string]any{"firstName": "Ann", "lastName": "Lee", "line1": "Via Roma 1", "city": fmt.Sprintf("City %d", j), "countryCode": "IT", "phone": "+39 555"}}).Str("createAddress.address.id")
			e.MustDo(t, `mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id } } }`,
				map[string]any{"in": map[string]any{"customerID": c, "addressID": a}})
		}
		for j := 0; j < 3; j++ {
			e.MustDo(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } } }`,
				map[string]any{"in": map[string]any{"customerID": c, "currencyCode": "EUR", "totalAmountCents": 1000 + j}})
		}
	}
}

// body encodes a GraphQL request.
func body(t testing.TB, query string, vars map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	return b
}

// serve runs one request through the handler and fails on anything but a
// 200 without errors or userErrors.
func serve(b *testing.B, h http.Handler, body []byte) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors":`)) ||
		bytes.Contains(rec.Body.Bytes(), []byte(`"userErrors":[{`)) {
		b.Fatalf("status %d: %.500s", rec.Code, rec.Body.String())
	}
}

// loop times next(i) for every iteration and reports allocations and SQL
// statements per operation.
func loop(b *testing.B, e *testenv.Env, next func(i int) []byte) {
	loopOn(b, e, e.Handler, next)
}

// loopOn is loop through h.
func loopOn(b *testing.B, e *testenv.Env, h http.Handler, next func(i int) []byte) {
	b.ReportAllocs()
	start, n := e.Statements(), 0
	for b.Loop() {
		serve(b, h, next(n))
		n++
	}
	b.ReportMetric(float64(e.Statements()-start)/float64(n), "stmts/op")
}

func BenchmarkQ50(b *testing.B) {
	e := newEnv(b)
	seedCustomers(b, e, 50)
	r := e.MustDo(b, q50, map[string]any{"n": 50})
	require.Len(b, r.Get("customers.edges"), 50)
	require.Equal(b, 3, r.Int("customers.edges.49.node.orders.totalCount"))
	q := body(b, q50, map[string]any{"n": 50})
	paths(b, e, func(int) []byte { return q })
}

// paths times a query answered by the direct path (what users get) and,
// for comparison in the same run, by gqlgen's executor.
func paths(b *testing.B, e *testenv.Env, next func(i int) []byte) {
	b.Run("direct", func(b *testing.B) { loopOn(b, e, e.Handler, next) })
	b.Run("gqlgen", func(b *testing.B) { loopOn(b, e, e.Gqlgen, next) })
}

func BenchmarkCustomersFlat(b *testing.B) {
	e := newEnv(b)
	seedCustomers(b, e, 50)
	r := e.MustDo(b, flatQuery, nil)
	require.Len(b, r.Get("customers.edges"), 50)
	q := body(b, flatQuery, nil)
	paths(b, e, func(int) []byte { return q })
}

func BenchmarkNode(b *testing.B) {
	e := newEnv(b)
	seedCustomers(b, e, 1)
	id := e.MustDo(b, `{ customers(first: 1) { edges { node { id } } } }`, nil).Str("customers.edges.0.node.id")
	r := e.MustDo(b, nodeQuery, map[string]any{"id": id})
	require.Equal(b, "c0@example.com", r.Str("node.email"))
	q := body(b, nodeQuery, map[string]any{"id": id})
	loop(b, e, func(int) []byte { return q })
}

func BenchmarkCreateCustomer(b *testing.B) {
	e := newEnv(b)
	// The body around a unique email, so the loop only concatenates.
	parts := bytes.Split(body(b, createQuery, map[string]any{"in": map[string]any{"email": "@@@@"}}), []byte("@@@@"))
	require.Len(b, parts, 2)
	loop(b, e, func(i int) []byte {
		q := make([]byte, 0, len(parts[0])+len(parts[1])+32)
		q = append(q, parts[0]...)
		q = fmt.Appendf(q, "bench-%d@example.com", i)
		return append(q, parts[1]...)
	})
}
