package graph_test

import (
	"fmt"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// q50 is the reference query of the performance issue.
const q50 = `query($n: Int!) { customers(first: $n) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id email status
    customerGroup { name code }
    customerAddresses(first: 5) { totalCount edges { node { name address { city } } } }
    orders(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount edges { node { number status totalAmountCents placedAt } } }
  } } } }`

// seedCustomers creates n customers, each in a group, with 2 addresses and
// 3 orders, through the GraphQL API.
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

// statements runs a query and returns how many SQL statements it took.
func statements(t testing.TB, e *testenv.Env, q string, vars map[string]any) (int64, *testenv.Response) {
	t.Helper()
	before := e.Statements()
	r := e.MustDo(t, q, vars)
	return e.Statements() - before, r
}

func TestQ50StatementCountDoesNotGrowWithRows(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	seedCustomers(t, e, 12)
	one, r1 := statements(t, e, q50, map[string]any{"n": 1})
	many, r := statements(t, e, q50, map[string]any{"n": 12})
	require.Len(t, r1.Get("customers.edges"), 1)
	require.Len(t, r.Get("customers.edges"), 12)
	require.Equal(t, 2, r.Int("customers.edges.11.node.customerAddresses.totalCount"))
	require.Equal(t, 3, r.Int("customers.edges.11.node.orders.totalCount"))
	// The entry's name is the whole address even though the query asked the
	// address for its city only.
	require.Equal(t, "Ann Lee, Via Roma 1, City 0, IT, (+39 555)", r.Str("customers.edges.11.node.customerAddresses.edges.0.node.name"))
	require.Equal(t, "VIP", r.Str("customers.edges.11.node.customerGroup.name"))
	require.Equal(t, one, many, "statements for 1 and 12 customers")
	// customers (with their row counter: ent/template/paginate.tmpl),
	// groups, address-book entries, addresses and orders: the nested
	// totalCounts come from the loaded pages, which are not full
	// (ent/template/load_total.tmpl), and the credential check from its
	// cache (internal/auth/cache.go).
	require.LessOrEqual(t, many, int64(5))
}

// With full nested pages the totals need one grouped count per connection,
// still independent of the number of customers, and still right.
func TestNestedTotalCountWithFullPages(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	seedCustomers(t, e, 5)
	q := `query($n: Int!) { customers(first: $n) { edges { node { orders(first: 2) { totalCount edges { node { id } } } customerAddresses(first: 5) { totalCount } } } } }`
	one, _ := statements(t, e, q, map[string]any{"n": 1})
	many, r := statements(t, e, q, map[string]any{"n": 5})
	require.Equal(t, one, many)
	for i := 0; i < 5; i++ {
		require.Equal(t, 3, r.Int(fmt.Sprintf("customers.edges.%d.node.orders.totalCount", i)))
		require.Len(t, r.Get(fmt.Sprintf("customers.edges.%d.node.orders.edges", i)), 2)
		require.Equal(t, 2, r.Int(fmt.Sprintf("customers.edges.%d.node.customerAddresses.totalCount", i)))
	}
	// With a cursor the page says nothing about the total: it is counted.
	r = e.MustDo(t, `{ customers(first: 1) { edges { node { orders(first: 1) { edges { cursor } pageInfo { endCursor } } } } } }`, nil)
	cur := r.Str("customers.edges.0.node.orders.pageInfo.endCursor")
	require.NotEmpty(t, cur)
	r = e.MustDo(t, `query($c: Cursor) { customers(first: 1) { edges { node { orders(first: 10, after: $c) { totalCount edges { node { id } } } } } } }`, map[string]any{"c": cur})
	require.Len(t, r.Get("customers.edges.0.node.orders.edges"), 2)
	require.Equal(t, 3, r.Int("customers.edges.0.node.orders.totalCount"))
}

func TestOrdersWithCustomerGroupLoadEachCustomerOnce(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	seedCustomers(t, e, 4)
	q := `query($n: Int!) { orders(first: $n) { edges { node { number customer { email customerGroup { name } } } } } }`
	one, _ := statements(t, e, q, map[string]any{"n": 1})
	many, r := statements(t, e, q, map[string]any{"n": 12})
	require.Len(t, r.Get("orders.edges"), 12)
	require.Equal(t, one, many)
	require.LessOrEqual(t, many, int64(4))
}

// An address-book entry's name is a copy of its address's name and follows
// the address when it changes.
func TestCustomerAddressNameFollowsTheAddress(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	seedCustomers(t, e, 1)
	r := e.MustDo(t, `{ customerAddresses(first: 1) { edges { node { id name address { id name fullName fullAddress isLocalized } } } } }`, nil)
	aid := r.Str("customerAddresses.edges.0.node.address.id")
	require.Equal(t, r.Str("customerAddresses.edges.0.node.address.name"), r.Str("customerAddresses.edges.0.node.name"))
	require.Equal(t, "Ann Lee", r.Str("customerAddresses.edges.0.node.address.fullName"))
	require.Equal(t, false, r.Get("customerAddresses.edges.0.node.address.isLocalized"))
	e.MustDo(t, `mutation($id: ID!) { updateAddress(id: $id, input: {business: true, company: "ACME", lat: 45.4, lng: 9.2}) { address { id } } }`, map[string]any{"id": aid})
	r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Address { name isLocalized customerAddresses { edges { node { name } } } } } }`, map[string]any{"id": aid})
	require.Equal(t, "ACME, Via Roma 1, City 0, IT, (+39 555)", r.Str("node.name"))
	require.Equal(t, true, r.Get("node.isLocalized"))
	require.Equal(t, "ACME, Via Roma 1, City 0, IT, (+39 555)", r.Str("node.customerAddresses.edges.0.node.name"))
}

// A nested orderBy written as a single object (GraphQL coerces it to a
// list) must order the eager-loaded page: entgql's eager load reads the
// raw document, and ignored it until the query cache normalised it.
func TestNestedOrderByAsSingleObject(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	seedCustomers(t, e, 1)
	for _, q := range []string{
		`{ customers(first: 1) { edges { node { orders(first: 2, orderBy: {field: NUMBER, direction: DESC}) { edges { node { number } } } } } } }`,
		`{ customers(first: 1) { edges { node { orders(first: 2, orderBy: [{field: NUMBER, direction: DESC}]) { edges { node { number } } } } } } }`,
	} {
		r := e.MustDo(t, q, nil)
		first, second := r.Str("customers.edges.0.node.orders.edges.0.node.number"), r.Str("customers.edges.0.node.orders.edges.1.node.number")
		require.Equal(t, []string{"3", "2"}, []string{first, second}, q)
	}
}
