package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// ---------------------------------------------------------------------------
// Helpers shared by queries_test, mutations_test, http_test and schema_test.
// ---------------------------------------------------------------------------

// foundationEnvMu serialises testenv.New for the tests of these files: its
// migration (ent's Schema.Create) writes to the package-level table
// definitions of ent/migrate, so environments created at once race (the
// race detector reports it; without it, it can crash with concurrent map
// writes). The tests run in parallel once their environment exists.
var foundationEnvMu sync.Mutex

// newFoundationEnv starts a fresh test environment.
func newFoundationEnv(t testing.TB) *testenv.Env {
	t.Helper()
	foundationEnvMu.Lock()
	defer foundationEnvMu.Unlock()
	return testenv.New(t)
}

// rfc3339MillisUTC is the shape of every Time the API returns: RFC 3339, UTC, ms.
var rfc3339MillisUTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// A valid-looking ULID part that no test ever generates (its timestamp is
// in 2016).
const absentULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

// payloadError is one entry of a payload's userErrors.
type payloadError struct {
	Code  string
	Field []string
}

// payloadErrors returns the userErrors of the payload at path.
func payloadErrors(t testing.TB, r *testenv.Response, path string) []payloadError {
	t.Helper()
	raw, ok := r.Get(path + ".userErrors").([]any)
	require.True(t, ok, "no userErrors list at %s: %s", path, r.Raw)
	out := make([]payloadError, 0, len(raw))
	for _, x := range raw {
		m, ok := x.(map[string]any)
		require.True(t, ok, "userError is not an object: %s", r.Raw)
		ue := payloadError{}
		ue.Code, _ = m["code"].(string)
		if f, ok := m["field"].([]any); ok {
			for _, p := range f {
				s, _ := p.(string)
				ue.Field = append(ue.Field, s)
			}
		}
		out = append(out, ue)
	}
	return out
}

func lowerFirstRune(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// mustCreate runs create<Kind>(input: in), requires success and returns the ID.
func mustCreate(t testing.TB, e *testenv.Env, kind string, in map[string]any) string {
	t.Helper()
	p := lowerFirstRune(kind)
	q := fmt.Sprintf(`mutation($in: Create%sInput!) { create%s(input: $in) { %s { id } userErrors { code field } } }`, kind, kind, p)
	r := e.MustDo(t, q, map[string]any{"in": in})
	id := r.Str("create" + kind + "." + p + ".id")
	require.NotEmpty(t, id, r.Raw)
	return id
}

// mustMove runs a state-machine mutation (placeOrder, fulfillOrder, ...)
// that must succeed. payload is the payload's resource field.
func mustMove(t testing.TB, e *testenv.Env, mutation, payload, id string) {
	t.Helper()
	q := fmt.Sprintf(`mutation($id: ID!) { %s(id: $id) { %s { id } userErrors { code field } } }`, mutation, payload)
	e.MustDo(t, q, map[string]any{"id": id})
}

func mustCustomer(t testing.TB, e *testenv.Env, email string) string {
	t.Helper()
	return mustCreate(t, e, "Customer", map[string]any{"email": email})
}

// mustCustomers creates customers without passwords, many per request
// (aliases), and returns their IDs in order.
func mustCustomers(t testing.TB, e *testenv.Env, emails ...string) []string {
	t.Helper()
	var out []string
	for start := 0; start < len(emails); start += 25 {
		end := min(start+25, len(emails))
		var b strings.Builder
		vars := map[string]any{}
		b.WriteString("mutation(")
		for i := start; i < end; i++ {
			fmt.Fprintf(&b, "$e%d: String! ", i)
			vars[fmt.Sprintf("e%d", i)] = emails[i]
		}
		b.WriteString(") {")
		for i := start; i < end; i++ {
			fmt.Fprintf(&b, " c%d: createCustomer(input: {email: $e%d}) { customer { id } userErrors { code } }", i, i)
		}
		b.WriteString(" }")
		r := e.MustDo(t, b.String(), vars)
		for i := start; i < end; i++ {
			id := r.Str(fmt.Sprintf("c%d.customer.id", i))
			require.NotEmpty(t, id, r.Raw)
			out = append(out, id)
		}
	}
	return out
}

func mustDraftOrder(t testing.TB, e *testenv.Env, customerID string) string {
	t.Helper()
	return mustCreate(t, e, "Order", map[string]any{"customerID": customerID, "currencyCode": "EUR", "totalAmountCents": 1250})
}

// mustPlacedOrder creates an order and places it.
func mustPlacedOrder(t testing.TB, e *testenv.Env, customerID string) string {
	t.Helper()
	id := mustDraftOrder(t, e, customerID)
	mustMove(t, e, "markOrderPending", "order", id)
	mustMove(t, e, "placeOrder", "order", id)
	return id
}

// mustFulfilledOrder creates an order and takes it to approved + fulfilled.
func mustFulfilledOrder(t testing.TB, e *testenv.Env, customerID string) string {
	t.Helper()
	id := mustPlacedOrder(t, e, customerID)
	mustMove(t, e, "approveOrder", "order", id)
	mustMove(t, e, "startFulfillingOrder", "order", id)
	mustMove(t, e, "fulfillOrder", "order", id)
	return id
}

func addressInput(extra map[string]any) map[string]any {
	in := map[string]any{"firstName": "Ada", "lastName": "Lovelace", "line1": "Via Roma 1", "city": "Firenze",
		"zipCode": "50123", "countryCode": "IT", "phone": "+39 055 000000"}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

// seeded are the records of a customer with one of everything.
type seeded struct {
	Password                                   string
	Group, Customer, Address, CustomerAddress  string
	PaymentSource, Subscription, Order, Return string
	OrderSubscription                          string
	AttCustomer, AttGroup, AttOrder, AttReturn string
	OtherCustomer                              string // no group, no password, no metadata
	All                                        []string
}

// seedCustomerGraph creates a customer (with password, group, metadata, reference)
// and one record of every related kind.
func seedCustomerGraph(t testing.TB, e *testenv.Env) seeded {
	t.Helper()
	g := seeded{Password: "Sup3r-Secret-Passw0rd-XYZ"}
	g.Group = mustCreate(t, e, "CustomerGroup", map[string]any{"name": "VIP", "code": "vip"})
	g.Customer = mustCreate(t, e, "Customer", map[string]any{
		"email": "Seed.Customer@Example.com", "password": g.Password, "customerGroupID": g.Group,
		"reference": "ERP-42", "referenceOrigin": "erp", "metadata": map[string]any{"tier": "gold", "score": 5, "vip": true},
	})
	g.OtherCustomer = mustCustomer(t, e, "other@example.com")
	g.Address = mustCreate(t, e, "Address", addressInput(nil))
	g.CustomerAddress = mustCreate(t, e, "CustomerAddress", map[string]any{"customerID": g.Customer, "addressID": g.Address})
	g.PaymentSource = mustCreate(t, e, "CustomerPaymentSource", map[string]any{"customerID": g.Customer, "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"})
	g.Subscription = mustCreate(t, e, "CustomerSubscription", map[string]any{"customerID": g.Customer, "reference": "newsletter"})
	g.Order = mustFulfilledOrder(t, e, g.Customer)
	g.Return = mustCreate(t, e, "Return", map[string]any{"orderID": g.Order, "skusCount": 1})
	g.OrderSubscription = mustCreate(t, e, "OrderSubscription", map[string]any{"sourceOrderID": g.Order, "frequency": "monthly"})
	g.AttCustomer = mustCreate(t, e, "Attachment", map[string]any{"name": "contract", "url": "https://files.example.com/c.pdf", "customerID": g.Customer})
	g.AttGroup = mustCreate(t, e, "Attachment", map[string]any{"name": "price list", "customerGroupID": g.Group})
	g.AttOrder = mustCreate(t, e, "Attachment", map[string]any{"name": "invoice", "orderID": g.Order})
	g.AttReturn = mustCreate(t, e, "Attachment", map[string]any{"name": "label", "returnID": g.Return})
	g.All = []string{g.Group, g.Customer, g.OtherCustomer, g.Address, g.CustomerAddress, g.PaymentSource, g.Subscription,
		g.Order, g.Return, g.OrderSubscription, g.AttCustomer, g.AttGroup, g.AttOrder, g.AttReturn}
	return g
}

// connIDs returns the node IDs of the connection at path.
func connIDs(r *testenv.Response, path string) []string {
	edges, _ := r.Get(path + ".edges").([]any)
	out := []string{}
	for i := range edges {
		out = append(out, r.Str(fmt.Sprintf("%s.edges.%d.node.id", path, i)))
	}
	return out
}

// gqlTypeByPrefix maps an ID prefix to its GraphQL type.
var gqlTypeByPrefix = map[string]string{
	"cus": "Customer", "cgr": "CustomerGroup", "adr": "Address", "cad": "CustomerAddress",
	"cps": "CustomerPaymentSource", "csb": "CustomerSubscription", "ord": "Order",
	"osb": "OrderSubscription", "ret": "Return", "att": "Attachment", "evt": "Event",
	"cpr": "CustomerPasswordReset",
}

func gqlTypeOf(id string) string { p, _, _ := strings.Cut(id, "_"); return gqlTypeByPrefix[p] }

// ---------------------------------------------------------------------------
// 1. The seed's customer object.
// ---------------------------------------------------------------------------

const seedCustomerSelection = `
	__typename id email status hasPassword createdAt updatedAt reference referenceOrigin metadata mode
	links { self }
	customerGroup { id }
	customerAddresses { totalCount edges { node { id } } }
	customerPaymentSources { totalCount edges { node { id } } }
	customerSubscriptions { totalCount edges { node { id } } }
	orders { totalCount edges { node { id } } }
	orderSubscriptions { totalCount edges { node { id } } }
	returns { totalCount edges { node { id } } }
	attachments { totalCount edges { node { id } } }
	events(first: 100) { totalCount edges { node { id name createdAt payload } } }
	totalOrdersCount`

func TestCustomerSeedFields(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	g := seedCustomerGraph(t, e)
	var bodies []string

	byNode := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer {`+seedCustomerSelection+` } } }`, map[string]any{"id": g.Customer})
	bodies = append(bodies, byNode.Raw)
	c := func(p string) any { return byNode.Get("node." + p) }
	s := func(p string) string { return byNode.Str("node." + p) }

	require.Equal(t, "Customer", s("__typename"))
	require.Equal(t, g.Customer, s("id"))
	require.Regexp(t, `^cus_[0-9A-Z]{26}$`, s("id"))
	require.Equal(t, "seed.customer@example.com", s("email"))
	require.Equal(t, "ACQUIRED", s("status"), "one placed order")
	require.Equal(t, 1, byNode.Int("node.totalOrdersCount"))
	require.Equal(t, true, c("hasPassword"))
	require.Regexp(t, rfc3339MillisUTC, s("createdAt"))
	require.Regexp(t, rfc3339MillisUTC, s("updatedAt"))
	require.GreaterOrEqual(t, s("updatedAt"), s("createdAt"))
	require.Equal(t, "ERP-42", s("reference"))
	require.Equal(t, "erp", s("referenceOrigin"))
	md, err := json.Marshal(c("metadata"))
	require.NoError(t, err)
	require.JSONEq(t, `{"tier":"gold","score":5,"vip":true}`, string(md))
	require.Equal(t, "TEST", s("mode"))
	require.Equal(t, "https://clientele.test/api/customers/"+g.Customer, s("links.self"))
	require.Equal(t, g.Group, s("customerGroup.id"))
	for path, want := range map[string]string{
		"customerAddresses":      g.CustomerAddress,
		"customerPaymentSources": g.PaymentSource,
		"customerSubscriptions":  g.Subscription,
		"orders":                 g.Order,
		"orderSubscriptions":     g.OrderSubscription,
		"returns":                g.Return,
		"attachments":            g.AttCustomer,
	} {
		require.Equal(t, 1, byNode.Int("node."+path+".totalCount"), path)
		require.Equal(t, []string{want}, connIDs(byNode, "node."+path), path)
	}
	require.GreaterOrEqual(t, byNode.Int("node.events.totalCount"), 2)
	var names []string
	events, _ := c("events.edges").([]any)
	for i := range events {
		names = append(names, s(fmt.Sprintf("events.edges.%d.node.name", i)))
		require.Regexp(t, rfc3339MillisUTC, s(fmt.Sprintf("events.edges.%d.node.createdAt", i)))
	}
	require.Contains(t, names, "customers.create")
	require.Contains(t, names, "customers.create_password")

	t.Run("list shape returns the same object as node", func(t *testing.T) {
		r := e.MustDo(t, `query($id: ID!) { customers(first: 1, where: {id: $id}) { totalCount edges { node {`+seedCustomerSelection+` } } } }`, map[string]any{"id": g.Customer})
		bodies = append(bodies, r.Raw)
		require.Equal(t, 1, r.Int("customers.totalCount"))
		require.Equal(t, byNode.Get("node"), r.Get("customers.edges.0.node"))
	})

	t.Run("unset optional fields", func(t *testing.T) {
		r := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer {`+seedCustomerSelection+` } } }`, map[string]any{"id": g.OtherCustomer})
		bodies = append(bodies, r.Raw)
		require.Equal(t, false, r.Get("node.hasPassword"))
		require.Equal(t, "PROSPECT", r.Str("node.status"))
		require.Equal(t, 0, r.Int("node.totalOrdersCount"))
		require.Equal(t, map[string]any{}, r.Get("node.metadata"), "metadata is {} when unset")
		require.Contains(t, r.Raw, `"metadata":{}`)
		require.Nil(t, r.Get("node.reference"))
		require.Nil(t, r.Get("node.referenceOrigin"))
		require.Nil(t, r.Get("node.customerGroup"))
		for _, conn := range []string{"customerAddresses", "customerPaymentSources", "customerSubscriptions", "orders", "orderSubscriptions", "returns", "attachments"} {
			require.Equal(t, 0, r.Int("node."+conn+".totalCount"), conn)
			require.Equal(t, []string{}, connIDs(r, "node."+conn), conn)
		}
	})

	t.Run("the password and its hash never appear", func(t *testing.T) {
		r := e.MustDo(t, `{ events(first: 100) { edges { node { name resourceID payload } } } }`, nil)
		bodies = append(bodies, r.Raw)
		for i := range r.Get("events.edges").([]any) {
			p, _ := r.Get(fmt.Sprintf("events.edges.%d.node.payload", i)).(map[string]any)
			require.NotContains(t, p, "password", "event payload carries the password: %v", p)
			require.NotContains(t, p, "password_digest")
		}
		r = e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id email hasPassword metadata } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"email": "pw@example.com", "password": g.Password + "-2"}})
		bodies = append(bodies, r.Raw)
		require.Equal(t, true, r.Get("createCustomer.customer.hasPassword"))
		for _, b := range bodies {
			require.NotContains(t, b, g.Password)
			require.NotContains(t, b, "$argon2")
			require.NotContains(t, b, "password_digest")
			require.NotContains(t, b, "passwordDigest")
		}
	})
}

func TestCustomerPasswordIsNotReadable(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	id := mustCustomer(t, e, "pw-field@example.com")
	for _, tc := range []struct{ name, query string }{
		{"list", `{ customers { edges { node { id password } } } }`},
		{"node", `query($id: ID!) { node(id: $id) { ... on Customer { password } } }`},
		{"payload", `mutation { createCustomer(input: {email: "x@example.com"}) { customer { password } } }`},
		{"digest", `{ customers { edges { node { passwordDigest } } } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Statements()
			body, err := json.Marshal(map[string]any{"query": tc.query, "variables": map[string]any{"id": id}})
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			r := e.Send(t, req)
			require.Equal(t, http.StatusOK, r.Status, "application/json gets 200 for a validation error")
			require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, r.ErrorCodes(), r.Raw)
			require.Nil(t, r.Data)
			require.Equal(t, before, e.Statements(), "an invalid operation ran SQL")
		})
	}
	r := e.MustDo(t, `{ customers { totalCount } }`, nil)
	require.Equal(t, 1, r.Int("customers.totalCount"), "the invalid mutation created a customer")
}

// ---------------------------------------------------------------------------
// 2. Every edge, both ways.
// ---------------------------------------------------------------------------

func TestEdgesBothWays(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	g := seedCustomerGraph(t, e)
	node := func(t *testing.T, id, fragment string) *testenv.Response {
		t.Helper()
		return e.MustDo(t, `query($id: ID!) { node(id: $id) { __typename id `+fragment+` } }`, map[string]any{"id": id})
	}

	t.Run("customer and group", func(t *testing.T) {
		t.Parallel()
		r := node(t, g.Customer, `... on Customer { customerGroup { id customers { edges { node { id } } } } }`)
		require.Equal(t, g.Group, r.Str("node.customerGroup.id"))
		require.Equal(t, []string{g.Customer}, connIDs(r, "node.customerGroup.customers"))
		r = node(t, g.Group, `... on CustomerGroup { customers { totalCount edges { node { id customerGroup { id } } } } }`)
		require.Equal(t, []string{g.Customer}, connIDs(r, "node.customers"))
		require.Equal(t, g.Group, r.Str("node.customers.edges.0.node.customerGroup.id"))
	})

	t.Run("customer, customer address and address", func(t *testing.T) {
		t.Parallel()
		r := node(t, g.Customer, `... on Customer { customerAddresses { edges { node { id customer { id } address { id customerAddresses { edges { node { id customer { id } } } } } } } } }`)
		require.Equal(t, []string{g.CustomerAddress}, connIDs(r, "node.customerAddresses"))
		n := "node.customerAddresses.edges.0.node."
		require.Equal(t, g.Customer, r.Str(n+"customer.id"))
		require.Equal(t, g.Address, r.Str(n+"address.id"))
		require.Equal(t, []string{g.CustomerAddress}, connIDs(r, n+"address.customerAddresses"))
		require.Equal(t, g.Customer, r.Str(n+"address.customerAddresses.edges.0.node.customer.id"))
		r = node(t, g.CustomerAddress, `... on CustomerAddress { customer { id } address { id } customerEmail name }`)
		require.Equal(t, g.Customer, r.Str("node.customer.id"))
		require.Equal(t, g.Address, r.Str("node.address.id"))
		require.Equal(t, "seed.customer@example.com", r.Str("node.customerEmail"))
		require.NotEmpty(t, r.Str("node.name"))
	})

	t.Run("payment source", func(t *testing.T) {
		t.Parallel()
		r := node(t, g.Customer, `... on Customer { customerPaymentSources { edges { node { id customer { id } } } } }`)
		require.Equal(t, []string{g.PaymentSource}, connIDs(r, "node.customerPaymentSources"))
		require.Equal(t, g.Customer, r.Str("node.customerPaymentSources.edges.0.node.customer.id"))
		r = node(t, g.PaymentSource, `... on CustomerPaymentSource { customer { id } }`)
		require.Equal(t, g.Customer, r.Str("node.customer.id"))
	})

	t.Run("subscription", func(t *testing.T) {
		t.Parallel()
		r := node(t, g.Customer, `... on Customer { customerSubscriptions { edges { node { id customer { id } } } } }`)
		require.Equal(t, []string{g.Subscription}, connIDs(r, "node.customerSubscriptions"))
		require.Equal(t, g.Customer, r.Str("node.customerSubscriptions.edges.0.node.customer.id"))
		r = node(t, g.Subscription, `... on CustomerSubscription { customer { id } customerEmail }`)
		require.Equal(t, g.Customer, r.Str("node.customer.id"))
		require.Equal(t, "seed.customer@example.com", r.Str("node.customerEmail"))
	})

	t.Run("order, return and order subscription", func(t *testing.T) {
		t.Parallel()
		r := node(t, g.Customer, `... on Customer {
			orders { edges { node { id customer { id } returns { edges { node { id } } } orderSubscriptions { edges { node { id } } } } } }
			returns { edges { node { id customer { id } order { id } } } }
			orderSubscriptions { edges { node { id customer { id } sourceOrder { id } } } } }`)
		require.Equal(t, []string{g.Order}, connIDs(r, "node.orders"))
		require.Equal(t, g.Customer, r.Str("node.orders.edges.0.node.customer.id"))
		require.Equal(t, []string{g.Return}, connIDs(r, "node.orders.edges.0.node.returns"))
		require.Equal(t, []string{g.OrderSubscription}, connIDs(r, "node.orders.edges.0.node.orderSubscriptions"))
		require.Equal(t, []string{g.Return}, connIDs(r, "node.returns"))
		require.Equal(t, g.Customer, r.Str("node.returns.edges.0.node.customer.id"))
		require.Equal(t, g.Order, r.Str("node.returns.edges.0.node.order.id"))
		require.Equal(t, []string{g.OrderSubscription}, connIDs(r, "node.orderSubscriptions"))
		require.Equal(t, g.Customer, r.Str("node.orderSubscriptions.edges.0.node.customer.id"))
		require.Equal(t, g.Order, r.Str("node.orderSubscriptions.edges.0.node.sourceOrder.id"))
		r = node(t, g.Order, `... on Order { customer { id } customerEmail }`)
		require.Equal(t, g.Customer, r.Str("node.customer.id"))
		require.Equal(t, "seed.customer@example.com", r.Str("node.customerEmail"))
	})

	t.Run("attachment.attachable for each parent kind", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ att, parent, parentField string }{
			{g.AttCustomer, g.Customer, "customer"},
			{g.AttGroup, g.Group, "customerGroup"},
			{g.AttOrder, g.Order, "order"},
			{g.AttReturn, g.Return, "return"},
		} {
			r := node(t, tc.att, `... on Attachment { attachable { __typename id } customer { id } customerGroup { id } order { id } return { id } }`)
			require.Equal(t, tc.parent, r.Str("node.attachable.id"), tc.parentField)
			require.Equal(t, gqlTypeOf(tc.parent), r.Str("node.attachable.__typename"), tc.parentField)
			for _, f := range []string{"customer", "customerGroup", "order", "return"} {
				if f == tc.parentField {
					require.Equal(t, tc.parent, r.Str("node."+f+".id"))
				} else {
					require.Nil(t, r.Get("node."+f), "%s of an attachment of a %s", f, tc.parentField)
				}
			}
			r = node(t, tc.parent, fmt.Sprintf(`... on %s { attachments { edges { node { id attachable { id } } } } }`, gqlTypeOf(tc.parent)))
			require.Equal(t, []string{tc.att}, connIDs(r, "node.attachments"), tc.parentField)
			require.Equal(t, tc.parent, r.Str("node.attachments.edges.0.node.attachable.id"))
		}
	})

	t.Run("event.resource and resource.events", func(t *testing.T) {
		t.Parallel()
		// Every event of the log points at its resource, with the right type.
		seen := map[string][]string{}
		after := any(nil)
		for {
			r := e.MustDo(t, `query($after: Cursor) { events(first: 50, after: $after) { pageInfo { hasNextPage endCursor }
				edges { node { id name resourceType resourceID resource { __typename id } } } } }`, map[string]any{"after": after})
			edges := r.Get("events.edges").([]any)
			for i := range edges {
				n := fmt.Sprintf("events.edges.%d.node.", i)
				rid := r.Str(n + "resourceID")
				require.Equal(t, rid, r.Str(n+"resource.id"), "event %s", r.Str(n+"name"))
				require.Equal(t, gqlTypeOf(rid), r.Str(n+"resource.__typename"))
				require.True(t, strings.HasPrefix(r.Str(n+"name"), r.Str(n+"resourceType")+"."), r.Str(n+"name"))
				seen[rid] = append(seen[rid], r.Str(n+"name"))
			}
			if r.Get("events.pageInfo.hasNextPage") != true {
				break
			}
			after = r.Str("events.pageInfo.endCursor")
		}
		for _, id := range g.All {
			require.NotEmpty(t, seen[id], "no event about %s (%s)", id, gqlTypeOf(id))
		}
		// And from each resource to its events.
		var b strings.Builder
		b.WriteString(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id`)
		for _, typ := range []string{"Customer", "CustomerGroup", "Address", "CustomerAddress", "CustomerPaymentSource", "CustomerSubscription", "Order", "OrderSubscription", "Return", "Attachment"} {
			fmt.Fprintf(&b, ` ... on %s { events { edges { node { name resource { id } } } } }`, typ)
		}
		b.WriteString(` } }`)
		r := e.MustDo(t, b.String(), map[string]any{"ids": g.All})
		for i, id := range g.All {
			require.Equal(t, id, r.Str(fmt.Sprintf("nodes.%d.id", i)))
			require.Equal(t, gqlTypeOf(id), r.Str(fmt.Sprintf("nodes.%d.__typename", i)))
			edges, _ := r.Get(fmt.Sprintf("nodes.%d.events.edges", i)).([]any)
			found := false
			for j := range edges {
				n := fmt.Sprintf("nodes.%d.events.edges.%d.node.", i, j)
				if strings.HasSuffix(r.Str(n+"name"), ".create") && r.Str(n+"resource.id") == id {
					found = true
				}
			}
			require.True(t, found, "%s.events lacks its mustCreate event: %v", id, r.Get(fmt.Sprintf("nodes.%d.events", i)))
		}
	})
}

// ---------------------------------------------------------------------------
// 3. Pagination.
// ---------------------------------------------------------------------------

type connPage struct {
	ids                    []string
	cursors                []string
	hasNext, hasPrev       bool
	startCursor, endCursor string
	totalCount             int
}

func fetchCustomerPage(t testing.TB, e *testenv.Env, args map[string]any) connPage {
	t.Helper()
	r := e.MustDo(t, `query($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
		customers(first: $first, after: $after, last: $last, before: $before) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`, args)
	p := connPage{ids: connIDs(r, "customers"), totalCount: r.Int("customers.totalCount")}
	for i := range p.ids {
		p.cursors = append(p.cursors, r.Str(fmt.Sprintf("customers.edges.%d.cursor", i)))
	}
	p.hasNext = r.Get("customers.pageInfo.hasNextPage") == true
	p.hasPrev = r.Get("customers.pageInfo.hasPreviousPage") == true
	p.startCursor = r.Str("customers.pageInfo.startCursor")
	p.endCursor = r.Str("customers.pageInfo.endCursor")
	if len(p.ids) > 0 {
		require.Equal(t, p.cursors[0], p.startCursor, "startCursor is the first edge's cursor")
		require.Equal(t, p.cursors[len(p.cursors)-1], p.endCursor, "endCursor is the last edge's cursor")
	}
	return p
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	var emails []string
	for i := range 7 {
		emails = append(emails, fmt.Sprintf("page%d@example.com", i))
	}
	created := mustCustomers(t, e, emails...)
	all := fetchCustomerPage(t, e, map[string]any{"first": 100})
	require.ElementsMatch(t, created, all.ids)
	require.False(t, all.hasNext)
	require.False(t, all.hasPrev)

	t.Run("forward", func(t *testing.T) {
		t.Parallel()
		p1 := fetchCustomerPage(t, e, map[string]any{"first": 3})
		require.Equal(t, all.ids[0:3], p1.ids)
		require.True(t, p1.hasNext)
		require.False(t, p1.hasPrev)
		require.Equal(t, 7, p1.totalCount)
		p2 := fetchCustomerPage(t, e, map[string]any{"first": 3, "after": p1.endCursor})
		require.Equal(t, all.ids[3:6], p2.ids)
		require.True(t, p2.hasNext)
		require.True(t, p2.hasPrev, "a page after a cursor has a previous page")
		require.Equal(t, 7, p2.totalCount)
		p3 := fetchCustomerPage(t, e, map[string]any{"first": 3, "after": p2.endCursor})
		require.Equal(t, all.ids[6:7], p3.ids)
		require.False(t, p3.hasNext)
		require.True(t, p3.hasPrev)
		p4 := fetchCustomerPage(t, e, map[string]any{"first": 3, "after": p3.endCursor})
		require.Empty(t, p4.ids)
		require.False(t, p4.hasNext)
	})

	t.Run("backward", func(t *testing.T) {
		t.Parallel()
		p1 := fetchCustomerPage(t, e, map[string]any{"last": 3})
		require.Equal(t, all.ids[4:7], p1.ids)
		require.True(t, p1.hasPrev)
		require.False(t, p1.hasNext)
		require.Equal(t, 7, p1.totalCount)
		p2 := fetchCustomerPage(t, e, map[string]any{"last": 3, "before": p1.startCursor})
		require.Equal(t, all.ids[1:4], p2.ids)
		require.True(t, p2.hasPrev)
		require.True(t, p2.hasNext, "a page before a cursor has a next page")
		p3 := fetchCustomerPage(t, e, map[string]any{"last": 3, "before": p2.startCursor})
		require.Equal(t, all.ids[0:1], p3.ids)
		require.False(t, p3.hasPrev)
		require.True(t, p3.hasNext)
	})

	t.Run("cursors round-trip in both directions", func(t *testing.T) {
		t.Parallel()
		// The edge cursors of the full list page from any point.
		for i, c := range all.cursors {
			after := fetchCustomerPage(t, e, map[string]any{"first": 100, "after": c})
			require.Equal(t, all.ids[i+1:], after.ids, "after edge %d", i)
			before := fetchCustomerPage(t, e, map[string]any{"last": 100, "before": c})
			require.Equal(t, all.ids[:i], before.ids, "before edge %d", i)
		}
	})
}

func TestPaginationDefaultPage(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	group := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "Many", "code": "many"})
	var emails []string
	for i := range 25 {
		emails = append(emails, fmt.Sprintf("many%02d@example.com", i))
	}
	ids := mustCustomers(t, e, emails...)
	// Put all of them in the group, in one request.
	var b strings.Builder
	b.WriteString("mutation($g: ID!) {")
	for i, id := range ids {
		fmt.Fprintf(&b, ` u%d: updateCustomer(id: %q, input: {customerGroupID: $g}) { customer { id } userErrors { code } }`, i, id)
	}
	b.WriteString(" }")
	e.MustDo(t, b.String(), map[string]any{"g": group})
	cust := ids[0]
	for range 25 {
		mustDraftOrder(t, e, cust)
	}

	for _, tc := range []struct{ name, query, path string }{
		{"root", `{ customers { totalCount pageInfo { hasNextPage } edges { node { id } } } }`, "customers"},
		{"nested under node", `query($g: ID!) { node(id: $g) { ... on CustomerGroup { customers { totalCount pageInfo { hasNextPage } edges { node { id } } } } } }`, "node.customers"},
		{"nested under a list", `{ customerGroups { edges { node { customers { totalCount pageInfo { hasNextPage } edges { node { id } } } } } } }`, "customerGroups.edges.0.node.customers"},
		{"customer orders", `query($c: ID!) { node(id: $c) { ... on Customer { orders { totalCount pageInfo { hasNextPage } edges { node { id } } } } } }`, "node.orders"},
		{"customer orders under a list", `query($c: ID!) { customers(where: {id: $c}) { edges { node { orders { totalCount pageInfo { hasNextPage } edges { node { id } } } } } } }`, "customers.edges.0.node.orders"},
		{"root orders", `{ orders { totalCount pageInfo { hasNextPage } edges { node { id } } } }`, "orders"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.MustDo(t, tc.query, map[string]any{"g": group, "c": cust})
			require.Len(t, r.Get(tc.path+".edges"), 20, "default page size")
			require.Equal(t, 25, r.Int(tc.path+".totalCount"))
			require.Equal(t, true, r.Get(tc.path+".pageInfo.hasNextPage"))
		})
	}
}

func TestPaginationLimits(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cust := mustCustomer(t, e, "limits@example.com")

	t.Run("first 100 is allowed", func(t *testing.T) {
		r := e.MustDo(t, `{ customers(first: 100) { totalCount edges { node { id orders(first: 10) { totalCount } } } } }`, nil)
		require.Equal(t, 1, r.Int("customers.totalCount"))
		r = e.MustDo(t, `{ customers(last: 100) { totalCount } }`, nil)
		require.Equal(t, 1, r.Int("customers.totalCount"))
	})

	for _, tc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"first 101", `{ customers(first: 101) { totalCount } }`, nil},
		{"last 101", `{ customers(last: 101) { totalCount } }`, nil},
		{"negative first", `{ customers(first: -1) { totalCount } }`, nil},
		{"negative last", `{ customers(last: -1) { totalCount } }`, nil},
		{"nested first 101", `{ customers(first: 1) { edges { node { orders(first: 101) { totalCount } } } } }`, nil},
		{"nested under node", `query($id: ID!) { node(id: $id) { ... on Customer { orders(last: 101) { totalCount } } } }`, map[string]any{"id": cust}},
		{"via a variable", `query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": 101}},
		{"nested via a variable", `query($n: Int) { customers { edges { node { events(first: $n) { totalCount } } } } }`, map[string]any{"n": 1000}},
		{"in a fragment", `{ customers { ...F } } fragment F on CustomerConnection { edges { node { orders(first: 101) { totalCount } } } }`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Statements()
			r := e.Do(t, tc.query, tc.vars)
			require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
			require.Nil(t, r.Data, "data must be null: %s", r.Raw)
			require.Less(t, r.Status, 500)
			require.Equal(t, before, e.Statements(), "a refused operation ran SQL")
		})
	}

	t.Run("a refused mutation writes nothing", func(t *testing.T) {
		r := e.Do(t, `mutation { createCustomer(input: {email: "new@example.com"}) { customer { id orders(first: 101) { totalCount } } } }`, nil)
		require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
		require.Nil(t, r.Data)
		r = e.MustDo(t, `{ customers { totalCount } }`, nil)
		require.Equal(t, 1, r.Int("customers.totalCount"))
	})

	t.Run("variable of 100 passes", func(t *testing.T) {
		e.MustDo(t, `query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": 100})
	})
}

// ---------------------------------------------------------------------------
// 4. Filters and ordering.
// ---------------------------------------------------------------------------

func TestCustomerWhereAndOrderBy(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	gold := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "Gold", "code": "gold"})
	silver := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "Silver", "code": "silver"})
	alice := mustCreate(t, e, "Customer", map[string]any{"email": "alice@example.com", "reference": "ERP-001", "customerGroupID": gold,
		"metadata": map[string]any{"tier": "gold", "score": 5, "vip": true}})
	bob := mustCreate(t, e, "Customer", map[string]any{"email": "bob@example.org", "reference": "crm-042",
		"metadata": map[string]any{"tier": "silver", "score": 3, "vip": false}})
	// Creation times come from the server's clock, which the test moves:
	// the customers below are created after bob.
	e.Now = e.Now.Add(time.Second)
	carol := mustCreate(t, e, "Customer", map[string]any{"email": "carol@shop.example.com", "customerGroupID": silver})
	dave := mustCustomer(t, e, "dave@example.com")
	erin := mustCreate(t, e, "Customer", map[string]any{"email": "erin@test.io", "reference": "ERP-002", "metadata": map[string]any{"tier": "Gold"}})
	mustPlacedOrder(t, e, bob)
	mustPlacedOrder(t, e, carol)
	mustPlacedOrder(t, e, carol)
	mustDraftOrder(t, e, dave) // a draft: hasOrders, but not counted
	_, _ = alice, erin

	// createdAtGT with bob's exact creation time, read from the database.
	rows, err := e.Ent().Customer.Query().All(e.Context())
	require.NoError(t, err)
	var bobCreated time.Time
	for _, c := range rows {
		if c.ID == bob {
			bobCreated = c.CreatedAt
		}
	}
	require.False(t, bobCreated.IsZero())
	var createdAfterBob []string
	for _, c := range rows {
		if c.CreatedAt.After(bobCreated) {
			createdAfterBob = append(createdAfterBob, c.Email)
		}
	}
	require.NotEmpty(t, createdAfterBob)

	const q = `query($w: CustomerWhereInput) { customers(first: 100, where: $w) { totalCount edges { node { email } } } }`
	emails := func(t *testing.T, where map[string]any) []string {
		t.Helper()
		r := e.MustDo(t, q, map[string]any{"w": where})
		var out []string
		for i := range r.Get("customers.edges").([]any) {
			out = append(out, r.Str(fmt.Sprintf("customers.edges.%d.node.email", i)))
		}
		require.Equal(t, len(out), r.Int("customers.totalCount"))
		return out
	}
	const (
		a = "alice@example.com"
		b = "bob@example.org"
		c = "carol@shop.example.com"
		d = "dave@example.com"
		x = "erin@test.io"
	)
	for _, tc := range []struct {
		name  string
		where map[string]any
		want  []string
	}{
		{"email eq", map[string]any{"email": a}, []string{a}},
		{"email neq", map[string]any{"emailNEQ": a}, []string{b, c, d, x}},
		{"email in", map[string]any{"emailIn": []string{a, b, "nobody@example.com"}}, []string{a, b}},
		{"email not in", map[string]any{"emailNotIn": []string{a, b}}, []string{c, d, x}},
		{"email contains", map[string]any{"emailContains": "example"}, []string{a, b, c, d}},
		{"email has prefix", map[string]any{"emailHasPrefix": "bo"}, []string{b}},
		{"email has suffix", map[string]any{"emailHasSuffix": ".io"}, []string{x}},
		{"email equal fold", map[string]any{"emailEqualFold": "ALICE@Example.COM"}, []string{a}},
		{"email contains fold", map[string]any{"emailContainsFold": "EXAMPLE.ORG"}, []string{b}},
		{"status", map[string]any{"status": "ACQUIRED"}, []string{b}},
		{"status in", map[string]any{"statusIn": []string{"ACQUIRED", "REPEAT"}}, []string{b, c}},
		{"status neq", map[string]any{"statusNEQ": "PROSPECT"}, []string{b, c}},
		{"total orders count gt", map[string]any{"totalOrdersCountGT": 0}, []string{b, c}},
		{"total orders count lt", map[string]any{"totalOrdersCountLT": 2}, []string{a, b, d, x}},
		{"created at gt", map[string]any{"createdAtGT": bobCreated.UTC().Format(time.RFC3339Nano)}, createdAfterBob},
		{"created at gt far future", map[string]any{"createdAtGT": "2999-01-01T00:00:00.000Z"}, nil},
		{"reference is nil", map[string]any{"referenceIsNil": true}, []string{c, d}},
		{"reference not nil", map[string]any{"referenceNotNil": true}, []string{a, b, x}},
		{"and", map[string]any{"and": []any{map[string]any{"emailContains": "example"}, map[string]any{"referenceNotNil": true}}}, []string{a, b}},
		{"or", map[string]any{"or": []any{map[string]any{"emailHasPrefix": "alice"}, map[string]any{"emailHasSuffix": ".io"}}}, []string{a, x}},
		{"not", map[string]any{"not": map[string]any{"emailContains": "example"}}, []string{x}},
		{"has customer group", map[string]any{"hasCustomerGroup": true}, []string{a, c}},
		{"has no customer group", map[string]any{"hasCustomerGroup": false}, []string{b, d, x}},
		{"has customer group with", map[string]any{"hasCustomerGroupWith": []any{map[string]any{"code": "gold"}}}, []string{a}},
		{"has orders", map[string]any{"hasOrders": true}, []string{b, c, d}},
		{"has no orders", map[string]any{"hasOrders": false}, []string{a, x}},
		{"has orders with", map[string]any{"hasOrdersWith": []any{map[string]any{"status": "DRAFT"}}}, []string{d}},
		{"search email", map[string]any{"search": "EXAMPLE.ORG"}, []string{b}},
		{"search reference", map[string]any{"search": "erp"}, []string{a, x}},
		{"search reference case-insensitive", map[string]any{"search": "CRM-0"}, []string{b}},
		{"search no match", map[string]any{"search": "zzz"}, nil},
		{"search combined with a filter", map[string]any{"search": "erp", "hasCustomerGroup": true}, []string{a}},
		{"metadata string", map[string]any{"metadataContains": map[string]any{"tier": "gold"}}, []string{a}},
		{"metadata number", map[string]any{"metadataContains": map[string]any{"score": 3}}, []string{b}},
		{"metadata bool true", map[string]any{"metadataContains": map[string]any{"vip": true}}, []string{a}},
		{"metadata bool false", map[string]any{"metadataContains": map[string]any{"vip": false}}, []string{b}},
		{"metadata several keys", map[string]any{"metadataContains": map[string]any{"tier": "gold", "score": 5}}, []string{a}},
		{"metadata no match", map[string]any{"metadataContains": map[string]any{"tier": "gold", "vip": false}}, nil},
		{"metadata missing key", map[string]any{"metadataContains": map[string]any{"nope": "x"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ElementsMatch(t, tc.want, emails(t, tc.where))
		})
	}

	t.Run("metadata literal in the query", func(t *testing.T) {
		t.Parallel()
		r := e.MustDo(t, `{ customers(where: {metadataContains: {score: 5, vip: true}}) { edges { node { email } } } }`, nil)
		require.Equal(t, a, r.Str("customers.edges.0.node.email"))
		require.Len(t, r.Get("customers.edges"), 1)
	})

	t.Run("metadata invalid key", func(t *testing.T) {
		t.Parallel()
		for _, key := range []string{"bad key", "", "a'b", strings.Repeat("k", 65), "x') OR 1=1 --"} {
			r := e.Do(t, q, map[string]any{"w": map[string]any{"metadataContains": map[string]any{key: "x"}}})
			require.Less(t, r.Status, 500)
			require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), "key %q: %s", key, r.Raw)
			require.Nil(t, r.Get("customers"))
		}
	})

	t.Run("metadata non-scalar value", func(t *testing.T) {
		t.Parallel()
		r := e.Do(t, q, map[string]any{"w": map[string]any{"metadataContains": map[string]any{"tier": map[string]any{"a": 1}}}})
		require.Less(t, r.Status, 500)
		require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
	})

	orderQ := `query($o: [CustomerOrder!], $first: Int, $after: Cursor) { customers(first: $first, after: $after, orderBy: $o) {
		pageInfo { hasNextPage endCursor } edges { node { id email status } } } }`
	type row struct{ id, email, status string }
	list := func(t *testing.T, order []any, pageSize int) []row {
		t.Helper()
		var out []row
		var after any
		for range 20 {
			r := e.MustDo(t, orderQ, map[string]any{"o": order, "first": pageSize, "after": after})
			for i := range r.Get("customers.edges").([]any) {
				n := fmt.Sprintf("customers.edges.%d.node.", i)
				out = append(out, row{r.Str(n + "id"), r.Str(n + "email"), r.Str(n + "status")})
			}
			if r.Get("customers.pageInfo.hasNextPage") != true {
				return out
			}
			after = r.Str("customers.pageInfo.endCursor")
		}
		t.Fatal("pagination did not end")
		return nil
	}

	t.Run("order by several fields", func(t *testing.T) {
		t.Parallel()
		byStatus := []any{map[string]any{"field": "STATUS"}}
		multi := []any{map[string]any{"field": "STATUS"}, map[string]any{"field": "EMAIL", "direction": "DESC"}}
		full := list(t, multi, 100)
		require.Len(t, full, 5)
		// Grouped by status in the order STATUS alone gives, emails
		// descending within a status.
		var statusOrder []string
		for _, r := range list(t, byStatus, 100) {
			if len(statusOrder) == 0 || statusOrder[len(statusOrder)-1] != r.status {
				statusOrder = append(statusOrder, r.status)
			}
		}
		require.Len(t, statusOrder, 3, "STATUS alone groups the statuses")
		want := slices.Clone(full)
		sort.SliceStable(want, func(i, j int) bool {
			si, sj := slices.Index(statusOrder, want[i].status), slices.Index(statusOrder, want[j].status)
			if si != sj {
				return si < sj
			}
			return want[i].email > want[j].email
		})
		require.Equal(t, want, full)
		// Descending status reverses the groups.
		desc := list(t, []any{map[string]any{"field": "STATUS", "direction": "DESC"}}, 100)
		require.Equal(t, statusOrder[len(statusOrder)-1], desc[0].status)
		require.Equal(t, statusOrder[0], desc[len(desc)-1].status)
		// Stable: the same order every time and across pages.
		require.Equal(t, full, list(t, multi, 100))
		require.Equal(t, full, list(t, multi, 2))
	})

	t.Run("ties are broken by id, across pages", func(t *testing.T) {
		t.Parallel()
		byStatus := []any{map[string]any{"field": "STATUS"}}
		full := list(t, byStatus, 100)
		require.Len(t, full, 5)
		for i := 1; i < len(full); i++ {
			if full[i].status == full[i-1].status {
				require.Less(t, full[i-1].id, full[i].id, "ties on status are ordered by id")
			}
		}
		require.Equal(t, full, list(t, byStatus, 1))
		require.Equal(t, full, list(t, byStatus, 2))
		byEmail := list(t, []any{map[string]any{"field": "EMAIL", "direction": "DESC"}}, 2)
		require.Equal(t, []string{x, d, c, b, a}, []string{byEmail[0].email, byEmail[1].email, byEmail[2].email, byEmail[3].email, byEmail[4].email})
	})
}

// ---------------------------------------------------------------------------
// 7. Unknown and malformed IDs.
// ---------------------------------------------------------------------------

func TestNodeUnknownIDs(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	existing := mustCustomer(t, e, "node@example.com")
	for _, tc := range []struct{ name, id string }{
		{"garbage", "garbage"},
		{"unknown customer", "cus_" + absentULID},
		{"unknown order", "ord_" + absentULID},
		{"unknown group", "cgr_" + absentULID},
		{"unknown prefix", "zzz_" + absentULID},
		{"existing ULID with another prefix", "ord_" + strings.TrimPrefix(existing, "cus_")},
		{"empty", ""},
		{"prefix only", "cus_"},
		{"lower-case ULID", "cus_" + strings.ToLower(absentULID)},
		{"sql", "cus_' OR '1'='1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": tc.id})
			require.Equal(t, 200, r.Status)
			require.Contains(t, r.Data, "node", r.Raw)
			require.Nil(t, r.Data["node"])
			require.Equal(t, []string{"NOT_FOUND"}, r.ErrorCodes(), r.Raw)
			require.Equal(t, []any{"node"}, r.Errors[0].Path)
		})
	}

	t.Run("existing", func(t *testing.T) {
		t.Parallel()
		r := e.MustDo(t, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": existing})
		require.Equal(t, existing, r.Str("node.id"))
		require.Equal(t, "Customer", r.Str("node.__typename"))
	})

	t.Run("nodes with a missing one", func(t *testing.T) {
		t.Parallel()
		r := e.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{existing, "garbage"}})
		require.Equal(t, 200, r.Status)
		require.Equal(t, existing, r.Str("nodes.0.id"))
		require.Len(t, r.Get("nodes"), 2)
		require.Nil(t, r.Get("nodes.1"))
		require.Equal(t, []string{"NOT_FOUND"}, r.ErrorCodes(), r.Raw)
		require.Equal(t, []any{"nodes", float64(1)}, r.Errors[0].Path)
	})

	t.Run("nodes with several missing ones", func(t *testing.T) {
		t.Parallel()
		ids := []string{"cus_" + absentULID, existing, "", "ord_" + absentULID, existing}
		r := e.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		require.Equal(t, 200, r.Status)
		require.Equal(t, []string{"NOT_FOUND", "NOT_FOUND", "NOT_FOUND"}, r.ErrorCodes(), r.Raw)
		var paths []any
		for _, er := range r.Errors {
			paths = append(paths, er.Path)
		}
		require.ElementsMatch(t, []any{[]any{"nodes", float64(0)}, []any{"nodes", float64(2)}, []any{"nodes", float64(3)}}, paths)
		require.Nil(t, r.Get("nodes.0"))
		require.Equal(t, existing, r.Str("nodes.1.id"))
		require.Nil(t, r.Get("nodes.2"))
		require.Nil(t, r.Get("nodes.3"))
		require.Equal(t, existing, r.Str("nodes.4.id"))
	})

	t.Run("nodes errors carry the index in the request", func(t *testing.T) {
		t.Parallel()
		// The missing customer is the second customer ID but the third ID.
		ids := []string{"ord_" + absentULID, existing, "cus_" + absentULID}
		r := e.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		require.Nil(t, r.Get("nodes.0"))
		require.Equal(t, existing, r.Str("nodes.1.id"))
		require.Nil(t, r.Get("nodes.2"))
		var paths []any
		for _, er := range r.Errors {
			paths = append(paths, er.Path)
		}
		require.ElementsMatch(t, []any{[]any{"nodes", float64(0)}, []any{"nodes", float64(2)}}, paths, r.Raw)
		require.Equal(t, []string{"NOT_FOUND", "NOT_FOUND"}, r.ErrorCodes())
	})

	t.Run("nodes with 100 ids", func(t *testing.T) {
		t.Parallel()
		ids := make([]string, 100)
		for i := range ids {
			ids[i] = existing
		}
		r := e.MustDo(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		require.Len(t, r.Get("nodes"), 100)
		require.Equal(t, existing, r.Str("nodes.99.id"))
	})

	t.Run("nodes with 101 ids", func(t *testing.T) {
		t.Parallel()
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = existing
		}
		r := e.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		require.Less(t, r.Status, 500)
		require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
		require.Nil(t, r.Data)
	})
}
