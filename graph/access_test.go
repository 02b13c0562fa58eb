package graph_test

// Access control end to end (docs/domain.md, "Access"): who may run which
// operation on whose records, mode isolation, token checks, the privacy
// policy at the ent level, and mass assignment through the generated inputs.
// Every request here authenticates with a real bearer token.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clientele/ent"
	"clientele/ent/order"
	"clientele/graph"
	"clientele/internal/auth"
	"clientele/internal/httpapi"
	"clientele/internal/ids"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// acEnvMu serialises environment creation: ent's migration writes to
// package-level table definitions, so two migrations at once race. Top-level
// tests in this file are not parallel; their subtests are and create their
// environments through acNewEnv.
var acEnvMu sync.Mutex

var acSeq atomic.Int64

// acNewEnv starts a fresh environment that authenticates real tokens.
func acNewEnv(t testing.TB, opts ...testenv.Option) *testenv.Env {
	t.Helper()
	acEnvMu.Lock()
	defer acEnvMu.Unlock()
	return testenv.New(t, append([]testenv.Option{testenv.WithRealAuth()}, opts...)...)
}

// acEmail returns an email no other call returns.
func acEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, acSeq.Add(1))
}

// The callers of the access matrix.
const (
	acAdmin    = "integration admin"
	acReadOnly = "integration read_only"
	acChannel  = "sales channel (anonymous)"
	acCustomer = "customer A"
	acNone     = "no token"
)

var acCallers = []string{acAdmin, acReadOnly, acChannel, acCustomer, acNone}

// acFixture is one environment with two customers, A and B, each with an
// address-book entry and an order (B's is pending, ready to be placed), and
// a token for every caller of the matrix.
type acFixture struct {
	e                     *testenv.Env
	A, B                  string // customer IDs
	emailA, emailB        string
	addrX, entryA, entryB string // an address, A's and B's address-book entries
	orderA, orderB        string // A's draft order, B's pending order
	tokens                map[string]string
	channel               *auth.NewCredential
	adminToken            string
}

// acSetup builds a fixture in a fresh environment. The records are written
// through ent as the system, so that no access rule under test is used to
// build them.
func acSetup(t testing.TB) *acFixture {
	t.Helper()
	e := acNewEnv(t)
	sys := e.Context()
	c := e.Ent()
	fx := &acFixture{e: e, emailA: acEmail("alice"), emailB: acEmail("bob")}
	a, err := c.Customer.Create().SetEmail(fx.emailA).Save(sys)
	require.NoError(t, err)
	b, err := c.Customer.Create().SetEmail(fx.emailB).Save(sys)
	require.NoError(t, err)
	fx.A, fx.B = a.ID, b.ID
	x, err := c.Address.Create().SetFirstName("Ada").SetLastName("Lovelace").SetLine1("1 Main St").
		SetCity("Rome").SetCountryCode("IT").SetPhone("+39 06 000").Save(sys)
	require.NoError(t, err)
	fx.addrX = x.ID
	y, err := c.Address.Create().SetFirstName("Bob").SetLastName("Builder").SetLine1("2 Side St").
		SetCity("Milan").SetCountryCode("IT").SetPhone("+39 02 000").Save(sys)
	require.NoError(t, err)
	ea, err := c.CustomerAddress.Create().SetCustomerID(fx.A).SetAddressID(x.ID).Save(sys)
	require.NoError(t, err)
	eb, err := c.CustomerAddress.Create().SetCustomerID(fx.B).SetAddressID(y.ID).Save(sys)
	require.NoError(t, err)
	fx.entryA, fx.entryB = ea.ID, eb.ID
	oa, err := c.Order.Create().SetCustomerID(fx.A).SetCurrencyCode("EUR").SetTotalAmountCents(1000).Save(sys)
	require.NoError(t, err)
	ob, err := c.Order.Create().SetCustomerID(fx.B).SetCurrencyCode("EUR").SetTotalAmountCents(2000).Save(sys)
	require.NoError(t, err)
	_, err = c.Order.UpdateOneID(ob.ID).SetStatus(order.StatusPENDING).Save(sys)
	require.NoError(t, err)
	fx.orderA, fx.orderB = oa.ID, ob.ID

	fx.channel = e.Credential(t, "sales_channel", "", viewer.Test)
	fx.adminToken = e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	fx.tokens = map[string]string{
		acAdmin:    fx.adminToken,
		acReadOnly: e.Token(t, e.Credential(t, "integration", "read_only", viewer.Test), ""),
		acChannel:  e.Token(t, fx.channel, ""),
		acCustomer: e.Token(t, fx.channel, fx.A),
		acNone:     "",
	}
	return fx
}

// acCustomerState is what the matrix checks of a customer after each call.
type acCustomerState struct {
	Exists      bool
	Email       string
	Reference   string
	OrdersCount int
}

// acSnapshot is the state of the whole database as the matrix sees it: a
// refused call must leave it exactly as it was.
type acSnapshot struct {
	Customers, Addresses, Entries, Subscriptions, Resets, Orders, Events int
	A, B                                                                 acCustomerState
	OrderBStatus                                                         string
}

func acSnap(t testing.TB, fx *acFixture) acSnapshot {
	t.Helper()
	sys, c := fx.e.Context(), fx.e.Ent()
	count := func(n int, err error) int {
		t.Helper()
		require.NoError(t, err)
		return n
	}
	cust := func(id string) acCustomerState {
		t.Helper()
		cu, err := c.Customer.Get(sys, id)
		if ent.IsNotFound(err) {
			return acCustomerState{}
		}
		require.NoError(t, err)
		s := acCustomerState{Exists: true, Email: cu.Email, OrdersCount: cu.TotalOrdersCount}
		if cu.Reference != nil {
			s.Reference = *cu.Reference
		}
		return s
	}
	s := acSnapshot{
		Customers:     count(c.Customer.Query().Count(sys)),
		Addresses:     count(c.Address.Query().Count(sys)),
		Entries:       count(c.CustomerAddress.Query().Count(sys)),
		Subscriptions: count(c.CustomerSubscription.Query().Count(sys)),
		Resets:        count(c.CustomerPasswordReset.Query().Count(sys)),
		Orders:        count(c.Order.Query().Count(sys)),
		Events:        count(c.Event.Query().Count(sys)),
		A:             cust(fx.A),
		B:             cust(fx.B),
	}
	if o, err := c.Order.Get(sys, fx.orderB); err == nil {
		s.OrderBStatus = string(o.Status)
	} else {
		require.True(t, ent.IsNotFound(err), "%v", err)
	}
	return s
}

// acOutcome is what a caller gets for an operation.
type acOutcome int

const (
	// acAllow: the operation runs; the operation's check verifies its effect.
	acAllow acOutcome = iota
	// acForbidden: a top-level FORBIDDEN error, no data, nothing written.
	acForbidden
	// acUnauthenticated: only UNAUTHENTICATED, no data, nothing written.
	acUnauthenticated
	// acNotFound: a NOT_FOUND user error, nothing written, and a response
	// identical to the one for an ID that does not exist.
	acNotFound
	// acHidden: null data and NOT_FOUND, identical to the response for an ID
	// that does not exist.
	acHidden
	// acDenied: an anonymous read: empty, or refused with FORBIDDEN or
	// NOT_FOUND (never an internal error), and no customer data.
	acDenied
)

func (o acOutcome) String() string {
	return [...]string{"allow", "FORBIDDEN", "UNAUTHENTICATED", "NOT_FOUND user error", "hidden (NOT_FOUND like a missing ID)", "denied read"}[o]
}

// acCall is one cell of the matrix after it ran.
type acCall struct {
	fx            *acFixture
	caller        string
	r             *testenv.Response
	before, after acSnapshot
}

// acOp is one operation family of the matrix.
type acOp struct {
	name   string
	field  string // the root field the operation selects
	query  string
	vars   func(fx *acFixture) map[string]any
	expect map[string]acOutcome
	// check verifies an allowed call's data and effect.
	check func(t *testing.T, c *acCall)
}

func (op acOp) mutation() bool { return strings.HasPrefix(strings.TrimSpace(op.query), "mutation") }

// acIDs returns the ids of a connection's nodes.
func acIDs(r *testenv.Response, path string) []string {
	edges, _ := r.Get(path + ".edges").([]any)
	out := []string{}
	for i := range edges {
		out = append(out, r.Str(fmt.Sprintf("%s.edges.%d.node.id", path, i)))
	}
	return out
}

// acNoProblems requires a response without top-level or user errors.
func acNoProblems(t testing.TB, r *testenv.Response, field string) {
	t.Helper()
	require.Empty(t, r.Errors, r.Raw)
	if ue, ok := r.Get(field + ".userErrors").([]any); ok {
		require.Empty(t, ue, r.Raw)
	}
}

// acUserErrorCodes returns the codes of a payload's user errors.
func acUserErrorCodes(r *testenv.Response, field string) []string {
	ue, _ := r.Get(field + ".userErrors").([]any)
	out := []string{}
	for _, u := range ue {
		m, _ := u.(map[string]any)
		c, _ := m["code"].(string)
		out = append(out, c)
	}
	return out
}

// acEmpty reports whether a denied read returned nothing: null, a
// connection with no rows, or a list of nulls.
func acEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		for _, e := range x {
			if e != nil {
				return false
			}
		}
		return true
	case map[string]any:
		n, ok := x["totalCount"].(float64)
		edges, _ := x["edges"].([]any)
		return ok && n == 0 && len(edges) == 0
	}
	return false
}

// acOps are the operation families of the matrix. The query
// variables name customer B's records as the target wherever there is one,
// so that a missing-ID twin of a call can be made by swapping B's IDs.
func acOps() []acOp {
	all := func(o acOutcome) map[string]acOutcome {
		m := map[string]acOutcome{}
		for _, c := range acCallers {
			m[c] = o
		}
		return m
	}
	with := func(base map[string]acOutcome, kv ...any) map[string]acOutcome {
		out := map[string]acOutcome{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1].(acOutcome)
		}
		return out
	}
	// Queries: integrations read everything, the anonymous storefront
	// nothing, the customer its own records.
	reads := with(all(acAllow), acChannel, acDenied, acNone, acUnauthenticated)
	// Writes only an admin may make.
	adminOnly := with(all(acForbidden), acAdmin, acAllow, acNone, acUnauthenticated)
	// Writes on B's records: the customer gets NOT_FOUND, as for a missing ID.
	onB := with(adminOnly, acCustomer, acNotFound)

	return []acOp{
		{
			name: "list customers", field: "customers",
			query:  `query { customers(first: 10) { totalCount edges { node { id email } } } }`,
			vars:   func(*acFixture) map[string]any { return nil },
			expect: reads,
			check: func(t *testing.T, c *acCall) {
				want := []string{c.fx.A, c.fx.B}
				if c.caller == acCustomer {
					want = []string{c.fx.A}
				}
				require.ElementsMatch(t, want, acIDs(c.r, "customers"), c.r.Raw)
				require.Equal(t, len(want), c.r.Int("customers.totalCount"), c.r.Raw)
			},
		},
		{
			name: "node(A)", field: "node",
			query:  `query($id: ID!) { node(id: $id) { __typename id ... on Customer { email } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.A} },
			expect: reads,
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.A, c.r.Str("node.id"), c.r.Raw)
				require.Equal(t, c.fx.emailA, c.r.Str("node.email"), c.r.Raw)
			},
		},
		{
			name: "node(B)", field: "node",
			query:  `query($id: ID!) { node(id: $id) { __typename id ... on Customer { email } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.B} },
			expect: with(reads, acCustomer, acHidden),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.B, c.r.Str("node.id"), c.r.Raw)
				require.Equal(t, c.fx.emailB, c.r.Str("node.email"), c.r.Raw)
			},
		},
		{
			name: "nodes([A,B])", field: "nodes",
			query:  `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Customer { email } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"ids": []string{fx.A, fx.B}} },
			expect: with(reads, acCustomer, acHidden),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.A, c.r.Str("nodes.0.id"), c.r.Raw)
				require.Equal(t, c.fx.B, c.r.Str("nodes.1.id"), c.r.Raw)
			},
		},
		{
			name: "A's edges", field: "node",
			query: `query($id: ID!) { node(id: $id) { id ... on Customer {
				customerAddresses { totalCount edges { node { id } } }
				orders { totalCount edges { node { id } } }
				events { totalCount edges { node { name resourceID } } } } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.A} },
			expect: reads,
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, []string{c.fx.entryA}, acIDs(c.r, "node.customerAddresses"), c.r.Raw)
				require.Equal(t, []string{c.fx.orderA}, acIDs(c.r, "node.orders"), c.r.Raw)
				require.GreaterOrEqual(t, c.r.Int("node.events.totalCount"), 1, c.r.Raw)
				require.NotContains(t, c.r.Raw, c.fx.B, "A's edges must not reach B's records")
				require.NotContains(t, c.r.Raw, c.fx.orderB)
			},
		},
		{
			name: "createCustomer", field: "createCustomer",
			query: `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id email } userErrors { code field } } }`,
			vars: func(fx *acFixture) map[string]any {
				return map[string]any{"in": map[string]any{"email": "signup-" + fx.A[len(fx.A)-6:] + "@example.com"}}
			},
			// Sign-up is the storefront's; a logged-in customer creates no
			// other customers.
			expect: with(adminOnly, acChannel, acAllow),
			check: func(t *testing.T, c *acCall) {
				require.NotEmpty(t, c.r.Str("createCustomer.customer.id"), c.r.Raw)
				require.Equal(t, c.before.Customers+1, c.after.Customers)
			},
		},
		{
			name: "updateCustomer(A)", field: "updateCustomer",
			query:  `mutation($id: ID!) { updateCustomer(id: $id, input: {reference: "changed"}) { customer { id reference } userErrors { code field } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.A} },
			expect: with(adminOnly, acCustomer, acAllow),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.A, c.r.Str("updateCustomer.customer.id"), c.r.Raw)
				require.Equal(t, "changed", c.after.A.Reference)
			},
		},
		{
			name: "updateCustomer(B)", field: "updateCustomer",
			query:  `mutation($id: ID!) { updateCustomer(id: $id, input: {reference: "changed"}) { customer { id reference } userErrors { code field } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.B} },
			expect: onB,
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, "changed", c.after.B.Reference)
			},
		},
		{
			name: "deleteCustomer(B)", field: "deleteCustomer",
			query:  `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code field } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.B} },
			expect: onB,
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.B, c.r.Str("deleteCustomer.deletedID"), c.r.Raw)
				require.False(t, c.after.B.Exists)
				require.True(t, c.after.A.Exists)
			},
		},
		{
			name: "createCustomerSubscription(B)", field: "createCustomerSubscription",
			query: `mutation($in: CreateCustomerSubscriptionInput!) { createCustomerSubscription(input: $in) {
				customerSubscription { id customerID } userErrors { code field } } }`,
			vars: func(fx *acFixture) map[string]any {
				return map[string]any{"in": map[string]any{"customerID": fx.B, "reference": "newsletter"}}
			},
			// A customer token naming another customer gets NOT_FOUND, as
			// for a missing customer (it used to be silently made its own).
			expect: with(adminOnly, acChannel, acAllow, acCustomer, acNotFound),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.B, c.r.Str("createCustomerSubscription.customerSubscription.customerID"), c.r.Raw)
				require.Equal(t, c.before.Subscriptions+1, c.after.Subscriptions)
			},
		},
		{
			name: "createCustomerPasswordReset", field: "createCustomerPasswordReset",
			query: `mutation($email: String!) { createCustomerPasswordReset(customerEmail: $email) {
				customerPasswordReset { id } resetPasswordToken userErrors { code field } } }`,
			vars: func(fx *acFixture) map[string]any { return map[string]any{"email": fx.emailA} },
			// The storefront starts resets; a logged-in customer can do all
			// the anonymous storefront can.
			expect: with(adminOnly, acChannel, acAllow, acCustomer, acAllow),
			check: func(t *testing.T, c *acCall) {
				require.NotEmpty(t, c.r.Str("createCustomerPasswordReset.customerPasswordReset.id"), c.r.Raw)
				require.Equal(t, c.before.Resets+1, c.after.Resets)
				// The single-use token goes to integrations only.
				if c.caller == acAdmin {
					require.NotEmpty(t, c.r.Str("createCustomerPasswordReset.resetPasswordToken"), c.r.Raw)
				} else {
					require.Nil(t, c.r.Get("createCustomerPasswordReset.resetPasswordToken"), c.r.Raw)
				}
			},
		},
		{
			name: "createOrder(B)", field: "createOrder",
			query: `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id customerID customerEmail } userErrors { code field } } }`,
			vars: func(fx *acFixture) map[string]any {
				return map[string]any{"in": map[string]any{"customerID": fx.B, "currencyCode": "EUR"}}
			},
			// A customer token naming another customer gets NOT_FOUND, as
			// for a missing customer (it used to be silently made its own).
			expect: with(adminOnly, acCustomer, acNotFound),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.B, c.r.Str("createOrder.order.customerID"), c.r.Raw)
				require.Equal(t, c.fx.emailB, c.r.Str("createOrder.order.customerEmail"), c.r.Raw)
				require.Equal(t, c.before.Orders+1, c.after.Orders)
			},
		},
		{
			name: "placeOrder(B's order)", field: "placeOrder",
			query:  `mutation($id: ID!) { placeOrder(id: $id) { order { id status } userErrors { code field } } }`,
			vars:   func(fx *acFixture) map[string]any { return map[string]any{"id": fx.orderB} },
			expect: onB,
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, "PLACED", c.r.Str("placeOrder.order.status"), c.r.Raw)
				require.Equal(t, "PLACED", c.after.OrderBStatus)
				require.Equal(t, 1, c.after.B.OrdersCount)
			},
		},
		{
			name: "createCustomerAddress(B)", field: "createCustomerAddress",
			query: `mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) {
				customerAddress { id customerID } userErrors { code field } } }`,
			vars: func(fx *acFixture) map[string]any {
				return map[string]any{"in": map[string]any{"customerID": fx.B, "addressID": fx.addrX}}
			},
			// A customer token naming another customer gets NOT_FOUND, as
			// for a missing customer (it used to be silently made its own).
			expect: with(adminOnly, acCustomer, acNotFound),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, c.fx.B, c.r.Str("createCustomerAddress.customerAddress.customerID"), c.r.Raw)
				require.Equal(t, c.before.Entries+1, c.after.Entries)
			},
		},
		{
			name: "viewer", field: "viewer",
			query:  `query { viewer { id email } }`,
			vars:   func(*acFixture) map[string]any { return nil },
			expect: with(all(acAllow), acNone, acUnauthenticated),
			check: func(t *testing.T, c *acCall) {
				if c.caller == acCustomer {
					require.Equal(t, c.fx.A, c.r.Str("viewer.id"), c.r.Raw)
					return
				}
				require.Contains(t, c.r.Data, "viewer", c.r.Raw)
				require.Nil(t, c.r.Get("viewer"), "viewer is null for callers other than customers: %s", c.r.Raw)
			},
		},
		{
			name: "__typename", field: "__typename",
			query:  `{ __typename }`,
			vars:   func(*acFixture) map[string]any { return nil },
			expect: all(acAllow),
			check: func(t *testing.T, c *acCall) {
				require.Equal(t, "Query", c.r.Str("__typename"), c.r.Raw)
			},
		},
	}
}

// acMissingTwin returns the fixture with B's records (and, if alsoA, A's)
// swapped for IDs that do not exist, and the replacer that maps the real and
// the missing IDs to the same placeholders.
func acMissingTwin(fx *acFixture, alsoA bool) (*acFixture, *strings.Replacer) {
	twin := *fx
	twin.B, twin.orderB = ids.New(ids.Customer), ids.New(ids.Order)
	pairs := []string{fx.B, "<B>", twin.B, "<B>", fx.orderB, "<ORDER_B>", twin.orderB, "<ORDER_B>"}
	if alsoA {
		twin.A = ids.New(ids.Customer)
		pairs = append(pairs, fx.A, "<A>", twin.A, "<A>")
	}
	return &twin, strings.NewReplacer(pairs...)
}

// acRequireLikeMissing runs op again with the customers' IDs swapped for
// missing ones and requires the very same response.
func acRequireLikeMissing(t testing.TB, fx *acFixture, op acOp, caller string, r *testenv.Response, alsoA bool) {
	t.Helper()
	twin, placeholders := acMissingTwin(fx, alsoA)
	missing := fx.e.DoAs(t, fx.tokens[caller], op.query, op.vars(twin))
	require.Equal(t, placeholders.Replace(missing.Raw), placeholders.Replace(r.Raw),
		"%s as %s: existing records must answer exactly as missing ones", op.name, caller)
	require.Equal(t, missing.Status, r.Status)
}

// acRequireBUnchanged reads B and B's order as an integration admin and
// requires them as the fixture made them.
func acRequireBUnchanged(t testing.TB, fx *acFixture) {
	t.Helper()
	r := acMustDoAs(t, fx.e, fx.adminToken, `query($b: ID!, $o: ID!) {
		b: node(id: $b) { id ... on Customer { email reference totalOrdersCount } }
		o: node(id: $o) { id ... on Order { status customerID } } }`, map[string]any{"b": fx.B, "o": fx.orderB})
	require.Equal(t, fx.B, r.Str("b.id"), r.Raw)
	require.Equal(t, fx.emailB, r.Str("b.email"), r.Raw)
	require.Nil(t, r.Get("b.reference"), r.Raw)
	require.Equal(t, 0, r.Int("b.totalOrdersCount"), r.Raw)
	require.Equal(t, "PENDING", r.Str("o.status"), r.Raw)
	require.Equal(t, fx.B, r.Str("o.customerID"), r.Raw)
}

// acNoLeak requires that a caller that may not read a customer's records gets
// none of its IDs or emails back, unless the request itself carried them.
func acNoLeak(t testing.TB, fx *acFixture, caller, request string, r *testenv.Response) {
	t.Helper()
	var secret []string
	switch caller {
	case acChannel, acNone:
		secret = []string{fx.A, fx.emailA, fx.B, fx.emailB, fx.entryA, fx.entryB, fx.orderA, fx.orderB}
	case acCustomer:
		secret = []string{fx.B, fx.emailB, fx.entryB, fx.orderB}
	}
	for _, s := range secret {
		if !strings.Contains(request, s) {
			require.NotContains(t, r.Raw, s, "%s got data it may not read", caller)
		}
	}
}

// TestAccessMatrix runs every operation family as every kind of caller on a
// fresh database and checks the outcome the access model prescribes.
func TestAccessMatrix(t *testing.T) {
	ops := acOps()
	t.Logf("access matrix: %d callers × %d operations = %d cases", len(acCallers), len(ops), len(acCallers)*len(ops))
	for _, op := range ops {
		for _, caller := range acCallers {
			want, ok := op.expect[caller]
			require.True(t, ok, "%s has no expectation for %s", op.name, caller)
			t.Run(op.name+"/"+caller, func(t *testing.T) {
				t.Parallel()
				fx := acSetup(t)
				vars := op.vars(fx)
				reqJSON, err := json.Marshal(map[string]any{"query": op.query, "variables": vars})
				require.NoError(t, err)
				before := acSnap(t, fx)
				r := fx.e.DoAs(t, fx.tokens[caller], op.query, vars)
				after := acSnap(t, fx)
				c := &acCall{fx: fx, caller: caller, r: r, before: before, after: after}
				require.NotContains(t, r.ErrorCodes(), "INTERNAL", "%s as %s: %s", op.name, caller, r.Raw)
				require.Less(t, r.Status, 500, r.Raw)
				acNoLeak(t, fx, caller, string(reqJSON), r)
				if !op.mutation() || want != acAllow {
					require.Equal(t, before, after, "%s as %s changed the database: %s", op.name, caller, r.Raw)
				}
				if op.mutation() && want != acAllow {
					acRequireBUnchanged(t, fx)
				}
				switch want {
				case acAllow:
					acNoProblems(t, r, op.field)
					op.check(t, c)
				case acForbidden:
					require.NotEmpty(t, r.Errors, r.Raw)
					for _, code := range r.ErrorCodes() {
						require.Equal(t, "FORBIDDEN", code, r.Raw)
					}
					require.Nil(t, r.Get(op.field), r.Raw)
				case acUnauthenticated:
					require.Equal(t, []string{"UNAUTHENTICATED"}, r.ErrorCodes(), r.Raw)
					require.Nil(t, r.Data, r.Raw)
				case acNotFound, acHidden:
					if want == acNotFound {
						require.Empty(t, r.Errors, r.Raw)
						require.Equal(t, []string{"NOT_FOUND"}, acUserErrorCodes(r, op.field), r.Raw)
					} else {
						require.NotEmpty(t, r.Errors, r.Raw)
						for _, code := range r.ErrorCodes() {
							require.Equal(t, "NOT_FOUND", code, r.Raw)
						}
					}
					// Someone else's record answers exactly as a missing one.
					acRequireLikeMissing(t, fx, op, caller, r, false)
				case acDenied:
					for _, code := range r.ErrorCodes() {
						require.Contains(t, []string{"FORBIDDEN", "NOT_FOUND"}, code, r.Raw)
					}
					require.True(t, acEmpty(r.Get(op.field)), "an anonymous storefront reads no customers: %s", r.Raw)
					// No existence oracle: records answer as missing ones do.
					acRequireLikeMissing(t, fx, op, caller, r, true)
				}
			})
		}
	}
}

// TestAccessReadOnlyMutationRunsNoResolver checks that a read-only
// integration is refused before any resolver runs: even a mutation that
// would fail anyway gets only FORBIDDEN, with no data at all.
func TestAccessReadOnlyMutationRunsNoResolver(t *testing.T) {
	fx := acSetup(t)
	before := acSnap(t, fx)
	r := fx.e.DoAs(t, fx.tokens[acReadOnly], `mutation($id: ID!) {
		a: deleteCustomer(id: $id) { deletedID userErrors { code } }
		b: createCustomer(input: {email: "ro@example.com"}) { customer { id } userErrors { code } } }`,
		map[string]any{"id": fx.B})
	require.Equal(t, []string{"FORBIDDEN"}, r.ErrorCodes(), r.Raw)
	require.Nil(t, r.Data, r.Raw)
	require.Equal(t, before, acSnap(t, fx))
}

// acMustDoAs runs a request that must succeed without any kind of error.
func acMustDoAs(t testing.TB, e *testenv.Env, token, query string, vars map[string]any) *testenv.Response {
	t.Helper()
	r := e.DoAs(t, token, query, vars)
	require.Empty(t, r.Errors, r.Raw)
	require.NotContains(t, r.Raw, `"userErrors":[{`, r.Raw)
	return r
}

const acCreateCustomer = `mutation($email: String!) { createCustomer(input: {email: $email}) { customer { id email mode } userErrors { code field } } }`

// TestModeIsolation checks that test and live data never see each other,
// both ways, and that uniqueness is per mode.
func TestModeIsolation(t *testing.T) {
	e := acNewEnv(t)
	tokens := map[viewer.Mode]string{
		viewer.Test: e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), ""),
		viewer.Live: e.Token(t, e.Credential(t, "integration", "admin", viewer.Live), ""),
	}
	email := acEmail("twin")
	created := map[viewer.Mode]string{}
	addresses := map[viewer.Mode]string{}
	create := func(mode viewer.Mode) {
		t.Helper()
		r := acMustDoAs(t, e, tokens[mode], acCreateCustomer, map[string]any{"email": email})
		created[mode] = r.Str("createCustomer.customer.id")
		require.Equal(t, string(mode), r.Str("createCustomer.customer.mode"), r.Raw)
		r = acMustDoAs(t, e, tokens[mode], `mutation { createAddress(input: {firstName: "A", lastName: "B", line1: "1 Main St", city: "Rome", countryCode: "IT", phone: "1"}) { address { id } userErrors { code } } }`, nil)
		addresses[mode] = r.Str("createAddress.address.id")
	}

	// Test-mode records are invisible to a live admin that has none.
	create(viewer.Test)
	r := acMustDoAs(t, e, tokens[viewer.Live], `{ customers { totalCount edges { node { id } } } addresses { totalCount } events { totalCount } }`, nil)
	require.Equal(t, 0, r.Int("customers.totalCount"), r.Raw)
	require.Equal(t, 0, r.Int("addresses.totalCount"), r.Raw)
	require.Equal(t, 0, r.Int("events.totalCount"), r.Raw)
	r = e.DoAs(t, tokens[viewer.Live], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": created[viewer.Test]})
	require.Nil(t, r.Get("node"), r.Raw)
	require.Equal(t, []string{"NOT_FOUND"}, r.ErrorCodes(), r.Raw)

	// The same email exists once in each mode.
	create(viewer.Live)
	require.NotEqual(t, created[viewer.Test], created[viewer.Live])

	// Live-mode records are invisible to a test admin that has none.
	r = acMustDoAs(t, e, tokens[viewer.Live], `mutation($c: ID!) { createOrder(input: {customerID: $c, currencyCode: "EUR"}) { order { id } userErrors { code } } }`, map[string]any{"c": created[viewer.Live]})
	liveOrder := r.Str("createOrder.order.id")
	r = acMustDoAs(t, e, tokens[viewer.Test], `{ orders { totalCount } }`, nil)
	require.Equal(t, 0, r.Int("orders.totalCount"), r.Raw)
	r = e.DoAs(t, tokens[viewer.Test], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": liveOrder})
	require.Nil(t, r.Get("node"), r.Raw)
	require.Equal(t, []string{"NOT_FOUND"}, r.ErrorCodes(), r.Raw)

	// ... but only once within a mode: uniqueness is real, per mode.
	for mode, tok := range tokens {
		r := e.DoAs(t, tok, acCreateCustomer, map[string]any{"email": strings.ToUpper(email)})
		require.Empty(t, r.Errors, r.Raw)
		require.Equal(t, []string{"TAKEN"}, acUserErrorCodes(r, "createCustomer"), "mode %s: %s", mode, r.Raw)
	}

	for _, tc := range []struct {
		name        string
		mine, other viewer.Mode
	}{
		{"live admin cannot see test data", viewer.Live, viewer.Test},
		{"test admin cannot see live data", viewer.Test, viewer.Live},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, own, foreign := tokens[tc.mine], created[tc.mine], created[tc.other]

			r := acMustDoAs(t, e, tok, `{ customers(first: 100) { totalCount edges { node { id mode } } } }`, nil)
			require.Equal(t, 1, r.Int("customers.totalCount"), r.Raw)
			require.Equal(t, []string{own}, acIDs(r, "customers"), r.Raw)

			r = acMustDoAs(t, e, tok, `query($email: String!) { customers(where: {email: $email}) { totalCount } }`, map[string]any{"email": email})
			require.Equal(t, 1, r.Int("customers.totalCount"), r.Raw)

			for _, id := range []string{foreign, addresses[tc.other]} {
				r = e.DoAs(t, tok, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
				require.Nil(t, r.Get("node"), r.Raw)
				require.Equal(t, []string{"NOT_FOUND"}, r.ErrorCodes(), r.Raw)
			}
			r = e.DoAs(t, tok, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{own, foreign}})
			require.Equal(t, own, r.Str("nodes.0.id"), r.Raw)
			require.Nil(t, r.Get("nodes.1"), r.Raw)
			require.Contains(t, r.ErrorCodes(), "NOT_FOUND", r.Raw)

			r = acMustDoAs(t, e, tok, `{ events(first: 100) { totalCount edges { node { mode resourceID } } } }`, nil)
			require.Positive(t, r.Int("events.totalCount"), r.Raw)
			require.NotContains(t, r.Raw, foreign, "events of the other mode are visible")
			require.NotContains(t, r.Raw, `"mode":"`+string(tc.other)+`"`, r.Raw)

			// Writes cannot reach the other mode either.
			before := acModeState(t, e, tc.other)
			r = e.DoAs(t, tok, `mutation($id: ID!) { updateCustomer(id: $id, input: {reference: "x"}) { customer { id } userErrors { code } } }`, map[string]any{"id": foreign})
			require.Empty(t, r.Errors, r.Raw)
			require.Equal(t, []string{"NOT_FOUND"}, acUserErrorCodes(r, "updateCustomer"), r.Raw)
			r = e.DoAs(t, tok, `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code } } }`, map[string]any{"id": foreign})
			require.Empty(t, r.Errors, r.Raw)
			require.Equal(t, []string{"NOT_FOUND"}, acUserErrorCodes(r, "deleteCustomer"), r.Raw)

			// A record of the other mode cannot be referenced: NOT_FOUND.
			for _, in := range []map[string]any{
				{"customerID": foreign, "addressID": addresses[tc.mine]},
				{"customerID": own, "addressID": addresses[tc.other]},
			} {
				r = e.DoAs(t, tok, `mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id } userErrors { code field } } }`, map[string]any{"in": in})
				require.Empty(t, r.Errors, r.Raw)
				require.Nil(t, r.Get("createCustomerAddress.customerAddress"), r.Raw)
				require.Equal(t, []string{"NOT_FOUND"}, acUserErrorCodes(r, "createCustomerAddress"), r.Raw)
			}
			r = e.DoAs(t, tok, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } userErrors { code } } }`,
				map[string]any{"in": map[string]any{"customerID": foreign, "currencyCode": "EUR"}})
			require.Empty(t, r.Errors, r.Raw)
			require.Equal(t, []string{"NOT_FOUND"}, acUserErrorCodes(r, "createOrder"), r.Raw)
			require.Equal(t, before, acModeState(t, e, tc.other), "a write from %s changed %s data", tc.mine, tc.other)
		})
	}
}

// acModeState summarises one mode's data, read as the system of that mode.
func acModeState(t testing.TB, e *testenv.Env, mode viewer.Mode) string {
	t.Helper()
	ctx := viewer.SystemContext(context.Background(), mode)
	cs, err := e.Ent().Customer.Query().All(ctx)
	require.NoError(t, err)
	n, err := e.Ent().CustomerAddress.Query().Count(ctx)
	require.NoError(t, err)
	o, err := e.Ent().Order.Query().Count(ctx)
	require.NoError(t, err)
	ev, err := e.Ent().Event.Query().Count(ctx)
	require.NoError(t, err)
	out := fmt.Sprintf("entries=%d orders=%d events=%d", n, o, ev)
	for _, c := range cs {
		ref := ""
		if c.Reference != nil {
			ref = *c.Reference
		}
		out += fmt.Sprintf(" %s/%s/%q/%s", c.ID, c.Email, ref, c.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	return out
}

func acPost(query string) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// acRequireUnauthenticated requires an HTTP 401 with only UNAUTHENTICATED
// and no data.
func acRequireUnauthenticated(t testing.TB, r *testenv.Response) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.Status, r.Raw)
	require.Equal(t, []string{"UNAUTHENTICATED"}, r.ErrorCodes(), r.Raw)
	require.Nil(t, r.Data, r.Raw)
}

const acProbe = `{ customers { totalCount } }`

// TestTokenRejections checks that only a valid, unexpired, unrevoked access
// token signed by the server, sent in the Authorization header, is accepted.
func TestTokenRejections(t *testing.T) {
	t.Run("expiry", func(t *testing.T) {
		e := acNewEnv(t)
		tok := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
		start := e.Now
		e.Now = start.Add(auth.AccessTTL - time.Minute)
		acMustDoAs(t, e, tok, acProbe, nil)
		e.Now = start.Add(auth.AccessTTL + time.Second)
		acRequireUnauthenticated(t, e.DoAs(t, tok, acProbe, nil))
	})

	t.Run("revoked credential", func(t *testing.T) {
		e := acNewEnv(t)
		cred := e.Credential(t, "integration", "admin", viewer.Test)
		tok := e.Token(t, cred, "")
		other := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
		acMustDoAs(t, e, tok, acProbe, nil)
		require.NoError(t, auth.Revoke(context.Background(), e.Ent(), cred.ID, e.Now))
		// At once: the very next request with the same token.
		acRequireUnauthenticated(t, e.DoAs(t, tok, acProbe, nil))
		acMustDoAs(t, e, other, acProbe, nil)
	})

	t.Run("revoked customer token", func(t *testing.T) {
		e := acNewEnv(t)
		cred := e.Credential(t, "sales_channel", "", viewer.Test)
		cu, err := e.Ent().Customer.Create().SetEmail(acEmail("rev")).Save(e.Context())
		require.NoError(t, err)
		tok := e.Token(t, cred, cu.ID)
		acMustDoAs(t, e, tok, `{ viewer { id } }`, nil)
		require.NoError(t, auth.Revoke(context.Background(), e.Ent(), cred.ClientID, e.Now))
		acRequireUnauthenticated(t, e.DoAs(t, tok, `{ viewer { id } }`, nil))
	})

	t.Run("malformed", func(t *testing.T) {
		e := acNewEnv(t)
		tok := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
		parts := strings.Split(tok, ".")
		require.Len(t, parts, 3)
		for name, header := range map[string]string{
			"bearer garbage":       "Bearer abc",
			"basic":                "Basic dXNlcjpwYXNzd29yZA==",
			"basic with token":     "Basic " + tok,
			"empty bearer":         "Bearer ",
			"scheme only":          "Bearer",
			"token without scheme": tok,
			"truncated signature":  "Bearer " + tok[:len(tok)-4],
			"tampered claims":      "Bearer " + parts[0] + "." + parts[1] + "x." + parts[2],
			"unsigned (alg none)":  "Bearer " + acUnsigned(t, parts[1]),
		} {
			t.Run(name, func(t *testing.T) {
				req := acPost(acProbe)
				req.Header.Set("Authorization", header)
				acRequireUnauthenticated(t, e.Send(t, req))
			})
		}
	})

	t.Run("signed with another key", func(t *testing.T) {
		e := acNewEnv(t)
		cred := e.Credential(t, "integration", "admin", viewer.Test)
		row, err := e.Ent().Credential.Get(context.Background(), cred.ID)
		require.NoError(t, err)
		forger := auth.NewService(e.Ent(), []byte(strings.Repeat("k", 32)))
		forger.Now = func() time.Time { return e.Now }
		forged, _, err := forger.Issue(row, "", "access")
		require.NoError(t, err)
		acRequireUnauthenticated(t, e.DoAs(t, forged, acProbe, nil))
		acMustDoAs(t, e, e.Token(t, cred, ""), acProbe, nil)
	})

	t.Run("refresh token used as an access token", func(t *testing.T) {
		e := acNewEnv(t)
		cred := e.Credential(t, "integration", "admin", viewer.Test)
		row, err := e.Ent().Credential.Get(context.Background(), cred.ID)
		require.NoError(t, err)
		refresh, _, err := e.Tokens.Issue(row, "", "refresh")
		require.NoError(t, err)
		acRequireUnauthenticated(t, e.DoAs(t, refresh, acProbe, nil))
	})

	t.Run("token in the query string", func(t *testing.T) {
		e := acNewEnv(t)
		tok := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
		for _, param := range []string{"access_token", "token"} {
			t.Run(param+" alone", func(t *testing.T) {
				req := acPost(acProbe)
				req.URL.RawQuery = param + "=" + tok
				acRequireUnauthenticated(t, e.Send(t, req))
			})
			t.Run(param+" with a valid header", func(t *testing.T) {
				req := acPost(acProbe)
				req.URL.RawQuery = param + "=" + tok
				req.Header.Set("Authorization", "Bearer "+tok)
				acRequireUnauthenticated(t, e.Send(t, req))
			})
			t.Run(param+" on GET", func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, "/graphql?query="+strings.ReplaceAll(acProbe, " ", "+")+"&"+param+"="+tok, nil)
				acRequireUnauthenticated(t, e.Send(t, req))
			})
		}
	})

	t.Run("no token reaches only __typename", func(t *testing.T) {
		e := acNewEnv(t)
		r := e.DoAs(t, "", `{ __typename }`, nil)
		require.Empty(t, r.Errors, r.Raw)
		require.Equal(t, "Query", r.Str("__typename"))
		r = e.DoAs(t, "", `query Q { ...F } fragment F on Query { __typename viewer { id } }`, nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, r.ErrorCodes(), r.Raw)
		r = e.DoAs(t, "", `{ __schema { queryType { name } } }`, nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, r.ErrorCodes(), r.Raw)
	})
}

// acUnsigned returns a JWT with the given payload and "alg": "none".
func acUnsigned(t testing.TB, payload string) string {
	t.Helper()
	header, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(header) + "." + payload + "."
}

// TestPrivacyEmptyContextDenies checks that privacy holds although ent
// privacy fails open unless every policy ends in deny and ent/runtime is
// imported: a query or a write with no caller in the context must fail.
func TestPrivacyEmptyContextDenies(t *testing.T) {
	e := acNewEnv(t)
	_, err := e.Ent().Customer.Create().SetEmail(acEmail("seed")).Save(e.Context())
	require.NoError(t, err)

	ctx := context.Background()
	list, err := e.Ent().Customer.Query().All(ctx)
	require.Error(t, err, "a query without a caller returned %d customers", len(list))
	_, err = e.Ent().Customer.Query().Count(ctx)
	require.Error(t, err)
	_, err = e.Ent().Event.Query().All(ctx)
	require.Error(t, err)
	_, err = e.Ent().Customer.Create().SetEmail(acEmail("nobody")).Save(ctx)
	require.Error(t, err)
	_, err = e.Ent().Order.Delete().Exec(ctx)
	require.Error(t, err)

	n, err := e.Ent().Customer.Query().Count(e.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n, "a write without a caller went through")
}

// TestPrivacyPolicyRunsThroughEnt checks that the policies are registered
// (ent/runtime imported by the store package): used directly through ent,
// a read-only integration reads but cannot write, and a customer reads only
// itself.
func TestPrivacyPolicyRunsThroughEnt(t *testing.T) {
	e := acNewEnv(t)
	sys := e.Context()
	a, err := e.Ent().Customer.Create().SetEmail(acEmail("a")).Save(sys)
	require.NoError(t, err)
	_, err = e.Ent().Customer.Create().SetEmail(acEmail("b")).Save(sys)
	require.NoError(t, err)

	ro := viewer.NewContext(context.Background(), &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.ReadOnly})
	n, err := e.Ent().Customer.Query().Count(ro)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	_, err = e.Ent().Customer.Create().SetEmail(acEmail("ro")).Save(ro)
	require.Error(t, err, "a read-only viewer created a customer through ent")
	err = e.Ent().Customer.UpdateOneID(a.ID).SetReference("ro").Exec(ro)
	require.Error(t, err, "a read-only viewer updated a customer through ent")

	cust := viewer.NewContext(context.Background(), &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Customer, CustomerID: a.ID})
	seen, err := e.Ent().Customer.Query().IDs(cust)
	require.NoError(t, err)
	require.Equal(t, []string{a.ID}, seen)

	live := viewer.NewContext(context.Background(), &viewer.Viewer{Mode: viewer.Live, Kind: viewer.Integration, Role: viewer.Admin})
	n, err = e.Ent().Customer.Query().Count(live)
	require.NoError(t, err)
	require.Zero(t, n, "a live viewer sees test customers through ent")

	n, err = e.Ent().Customer.Query().Count(sys)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	got, err := e.Ent().Customer.Get(sys, a.ID)
	require.NoError(t, err)
	require.Nil(t, got.Reference)
}

// TestPrivacyStoreImportsEntRuntime fails if the package that opens the
// database stops importing clientele/ent/runtime, without which no policy,
// hook or interceptor is registered (nothing else would warn).
func TestPrivacyStoreImportsEntRuntime(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "internal", "store", "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	found := false
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range pf.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "clientele/ent/runtime" {
				found = true
			}
		}
	}
	require.True(t, found, "internal/store must import clientele/ent/runtime")
}

// acServerSet are the fields only the server sets: no generated input may
// offer them (no mass assignment).
var acServerSet = []string{"id", "mode", "status", "paymentStatus", "fulfillmentStatus", "totalOrdersCount",
	"number", "createdAt", "updatedAt", "placedAt", "approvedAt", "cancelledAt", "hasPassword"}

// TestMassAssignmentInputs checks, by introspection, that no create or
// update input offers a server-set field, and that sending one anyway is a
// validation error that writes nothing.
func TestMassAssignmentInputs(t *testing.T) {
	e := acNewEnv(t)
	admin := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	r := acMustDoAs(t, e, admin, `{ __schema { types { name kind inputFields { name } } } }`, nil)
	var schema struct {
		Schema struct {
			Types []struct {
				Name, Kind  string
				InputFields []struct{ Name string }
			}
		} `json:"__schema"`
	}
	b, err := json.Marshal(r.Data)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &schema))
	var inputs []string
	for _, ty := range schema.Schema.Types {
		if ty.Kind != "INPUT_OBJECT" || !(strings.HasPrefix(ty.Name, "Create") || strings.HasPrefix(ty.Name, "Update")) {
			continue
		}
		inputs = append(inputs, ty.Name)
		t.Run(ty.Name, func(t *testing.T) {
			for _, f := range ty.InputFields {
				require.NotContains(t, acServerSet, f.Name, "%s offers the server-set field %s", ty.Name, f.Name)
			}
		})
	}
	for _, want := range []string{"CreateCustomerInput", "UpdateCustomerInput", "CreateOrderInput", "UpdateOrderInput",
		"CreateReturnInput", "UpdateReturnInput", "CreateCustomerAddressInput", "CreateCustomerSubscriptionInput",
		"CreateOrderSubscriptionInput", "UpdateOrderSubscriptionInput"} {
		require.Contains(t, inputs, want)
	}

	cu := acMustDoAs(t, e, admin, acCreateCustomer, map[string]any{"email": acEmail("target")})
	cid := cu.Str("createCustomer.customer.id")
	ord := acMustDoAs(t, e, admin, `mutation($c: ID!) { createOrder(input: {customerID: $c, currencyCode: "EUR"}) { order { id } userErrors { code } } }`, map[string]any{"c": cid})
	oid := ord.Str("createOrder.order.id")

	cases := []struct {
		name, mutation, input, field string
		value                        any
		vars                         map[string]any
	}{
		{"createCustomer mode", "createCustomer(input: $in) { customer { id } }", "CreateCustomerInput!", "mode", "LIVE", map[string]any{"email": acEmail("m")}},
		{"createCustomer status", "createCustomer(input: $in) { customer { id } }", "CreateCustomerInput!", "status", "REPEAT", map[string]any{"email": acEmail("m")}},
		{"createCustomer totalOrdersCount", "createCustomer(input: $in) { customer { id } }", "CreateCustomerInput!", "totalOrdersCount", 5, map[string]any{"email": acEmail("m")}},
		{"createCustomer createdAt", "createCustomer(input: $in) { customer { id } }", "CreateCustomerInput!", "createdAt", "2000-01-01T00:00:00.000Z", map[string]any{"email": acEmail("m")}},
		{"createCustomer id", "createCustomer(input: $in) { customer { id } }", "CreateCustomerInput!", "id", "cus_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", map[string]any{"email": acEmail("m")}},
		{"updateCustomer status", "updateCustomer(id: \"" + cid + "\", input: $in) { customer { id } }", "UpdateCustomerInput!", "status", "REPEAT", map[string]any{}},
		{"updateCustomer updatedAt", "updateCustomer(id: \"" + cid + "\", input: $in) { customer { id } }", "UpdateCustomerInput!", "updatedAt", "2000-01-01T00:00:00.000Z", map[string]any{}},
		{"createOrder number", "createOrder(input: $in) { order { id } }", "CreateOrderInput!", "number", "1", map[string]any{"customerID": cid, "currencyCode": "EUR"}},
		{"createOrder status", "createOrder(input: $in) { order { id } }", "CreateOrderInput!", "status", "PLACED", map[string]any{"customerID": cid, "currencyCode": "EUR"}},
		{"createOrder paymentStatus", "createOrder(input: $in) { order { id } }", "CreateOrderInput!", "paymentStatus", "PAID", map[string]any{"customerID": cid, "currencyCode": "EUR"}},
		{"createOrder placedAt", "createOrder(input: $in) { order { id } }", "CreateOrderInput!", "placedAt", "2000-01-01T00:00:00.000Z", map[string]any{"customerID": cid, "currencyCode": "EUR"}},
		{"updateOrder fulfillmentStatus", "updateOrder(id: \"" + oid + "\", input: $in) { order { id } }", "UpdateOrderInput!", "fulfillmentStatus", "FULFILLED", map[string]any{}},
		{"updateOrder status", "updateOrder(id: \"" + oid + "\", input: $in) { order { id } }", "UpdateOrderInput!", "status", "PLACED", map[string]any{}},
		{"createReturn status", "createReturn(input: $in) { return { id } }", "CreateReturnInput!", "status", "REFUNDED", map[string]any{"orderID": oid}},
		{"createReturn number", "createReturn(input: $in) { return { id } }", "CreateReturnInput!", "number", "1", map[string]any{"orderID": oid}},
	}
	for _, tc := range cases {
		t.Run("send "+tc.name, func(t *testing.T) {
			before := acModeState(t, e, viewer.Test)
			in := map[string]any{tc.field: tc.value}
			for k, v := range tc.vars {
				in[k] = v
			}
			// As a variable: input coercion refuses the unknown field.
			withVar := "mutation($in: " + tc.input + ") { " + tc.mutation + " }"
			r := e.DoAs(t, admin, withVar, map[string]any{"in": in})
			acRequireValidationError(t, r)
			require.Equal(t, tc.field, r.Errors[0].Path[len(r.Errors[0].Path)-1], r.Raw)
			// Inline: document validation refuses it.
			lit, err := json.Marshal(tc.value)
			require.NoError(t, err)
			value := string(lit)
			if s, ok := tc.value.(string); ok && strings.ToUpper(s) == s && !strings.ContainsAny(s, "-:_0123456789") {
				value = s // an enum literal
			}
			inline := "mutation { " + tc.mutation + " }"
			r = e.DoAs(t, admin, strings.Replace(inline, "$in", acInputLiteral(t, tc.vars, tc.field, value), 1), nil)
			acRequireValidationError(t, r)
			require.Equal(t, before, acModeState(t, e, viewer.Test), "a refused input wrote something")

			// Control: the same requests without the field pass validation,
			// so the refusals above are about the field alone.
			for _, ok := range []*testenv.Response{
				e.DoAs(t, admin, withVar, map[string]any{"in": tc.vars}),
				e.DoAs(t, admin, strings.Replace(inline, "$in", acInputLiteral(t, tc.vars, "", ""), 1), nil),
			} {
				require.Empty(t, ok.Errors, ok.Raw)
			}
		})
	}
}

// acInputLiteral renders an input object literal, with one extra raw field
// unless field is empty.
func acInputLiteral(t testing.TB, vars map[string]any, field, raw string) string {
	t.Helper()
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := []string{}
	if field != "" {
		parts = append(parts, field+": "+raw)
	}
	for _, k := range keys {
		b, err := json.Marshal(vars[k])
		require.NoError(t, err)
		parts = append(parts, k+": "+string(b))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// acRequireValidationError requires a request-level validation error and no
// data.
func acRequireValidationError(t testing.TB, r *testenv.Response) {
	t.Helper()
	require.NotEmpty(t, r.Errors, r.Raw)
	require.Less(t, r.Status, 500, r.Raw)
	require.Nil(t, r.Data, r.Raw)
	for _, code := range r.ErrorCodes() {
		require.Contains(t, []string{"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}, code, r.Raw)
	}
}

// A customer token may place its own pending order but not approve, cancel
// or fulfill it: those moves stay with integrations.
func TestCustomerTokenMovesOnlyItsOwnOrderForward(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.WithRealAuth())
	admin := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	cus := e.DoAs(t, admin, `mutation { createCustomer(input: {email: "own@example.com"}) { customer { id } } }`, nil).Str("createCustomer.customer.id")
	ord := e.DoAs(t, admin, `mutation($c: ID!) { createOrder(input: {customerID: $c, currencyCode: "EUR"}) { order { id } } }`, map[string]any{"c": cus}).Str("createOrder.order.id")
	me := e.Token(t, e.Credential(t, "sales_channel", "", viewer.Test), cus)
	for _, m := range []string{"markOrderPending", "placeOrder"} {
		r := e.DoAs(t, me, `mutation($id: ID!) { `+m+`(id: $id) { order { status } userErrors { code } } }`, map[string]any{"id": ord})
		require.Empty(t, r.Errors, r.Raw)
		require.Empty(t, r.Get(m+".userErrors"), r.Raw)
	}
	for _, m := range []string{"approveOrder", "cancelOrder"} {
		r := e.DoAs(t, me, `mutation($id: ID!) { `+m+`(id: $id) { order { status } userErrors { code } } }`, map[string]any{"id": ord})
		require.Equal(t, []string{"FORBIDDEN"}, r.ErrorCodes(), r.Raw)
	}
	r := e.DoAs(t, admin, `query($id: ID!) { node(id: $id) { ... on Order { status } } }`, map[string]any{"id": ord})
	require.Equal(t, "PLACED", r.Str("node.status"))
}

// A handler built without an authenticator fails closed: every caller is
// anonymous.
func TestHandlerWithoutAuthenticatorIsClosed(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := (&httpapi.Options{}).GraphQL(graph.NewServer(graph.Options{Client: e.Ent(), Dialect: e.DB.Dialect}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ customers { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res testenv.Response
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res), rec.Body.String())
	require.Equal(t, []string{"UNAUTHENTICATED"}, res.ErrorCodes(), rec.Body.String())
}
