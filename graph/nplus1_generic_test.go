package graph_test

// No N+1, for every root connection at once: the test builds, from the
// executable schema, one query per root connection that selects every
// scalar field of its nodes, every to-one edge (an interface or union, such
// as Event.resource or Attachment.attachable, by __typename and
// `... on Node { id }`) and every nested connection one level deep, and
// checks that the query takes as many SQL statements with one record of
// each kind in the database as with fifteen, each with its children. A new
// edge or field that reads once per record fails it.

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"clientele/graph"
	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

const (
	gnRootPage   = 50 // more than the records of a kind in the larger store
	gnNestedPage = 10 // more than the children of any record
	gnUnits      = 15 // records of each kind in the larger store
)

// gnRootConnections returns the root connection fields of the query type
// and, for each, the query that selects everything on its nodes.
func gnRootConnections(t testing.TB) map[string]string {
	t.Helper()
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	out := map[string]string{}
	for _, f := range s.Query.Fields {
		if !gnIsConnection(s, f) {
			continue
		}
		node := gnNodeType(s, f)
		var b strings.Builder
		fmt.Fprintf(&b, "{ %s(first: %d) { totalCount pageInfo { hasNextPage } edges { cursor node { %s } } } }",
			f.Name, gnRootPage, gnSelection(s, node, true))
		out[f.Name] = b.String()
	}
	require.NotEmpty(t, out)
	return out
}

// gnIsConnection reports whether a field is a Relay connection.
func gnIsConnection(s *ast.Schema, f *ast.FieldDefinition) bool {
	def := s.Types[f.Type.Name()]
	return def != nil && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("edges") != nil &&
		f.Arguments.ForName("first") != nil
}

// gnNodeType is the node type of a connection field.
func gnNodeType(s *ast.Schema, f *ast.FieldDefinition) *ast.Definition {
	edge := s.Types[s.Types[f.Type.Name()].Fields.ForName("edges").Type.Name()]
	return s.Types[edge.Fields.ForName("node").Type.Name()]
}

// gnRequiredArgs reports whether a field cannot be selected without
// arguments.
func gnRequiredArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// gnSelection selects every scalar field of an object type; with deep, also
// every to-one edge (by id) and every connection (one level).
func gnSelection(s *ast.Schema, def *ast.Definition, deep bool) string {
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || gnRequiredArgs(f) {
			continue
		}
		t := s.Types[f.Type.Name()]
		switch {
		case t.Kind == ast.Scalar || t.Kind == ast.Enum:
			parts = append(parts, f.Name)
		case !deep:
		case gnIsConnection(s, f):
			parts = append(parts, fmt.Sprintf("%s(first: %d) { totalCount pageInfo { hasNextPage } edges { node { id } } }", f.Name, gnNestedPage))
		case t.Kind == ast.Interface || t.Kind == ast.Union:
			parts = append(parts, f.Name+" { __typename ... on Node { id } }")
		case t.Fields.ForName("id") != nil:
			parts = append(parts, f.Name+" { __typename id }")
		default: // a value object such as links
			parts = append(parts, f.Name+" { "+gnSelection(s, t, false)+" }")
		}
	}
	return strings.Join(parts, " ")
}

// gnSeedUnit creates one record of every kind, each with children: a group,
// a customer in it with a password, an address in its address book, a
// payment source, a newsletter subscription, a fulfilled order with a
// requested return and a subscription, attachments on the customer, the
// group, the order and the return, and a password reset.
func gnSeedUnit(t testing.TB, e *testenv.Env, i int) {
	t.Helper()
	grp := lcCreate(t, e, "CustomerGroup", map[string]any{"name": fmt.Sprintf("Group %d", i), "code": fmt.Sprintf("g%d", i)})
	email := lcUniqueEmail("nplus1")
	cus := lcCreate(t, e, "Customer", map[string]any{"email": email, "password": "a-good-password", "customerGroupID": grp})
	addr := lcCreate(t, e, "Address", lcAddressInput())
	lcCreate(t, e, "CustomerAddress", map[string]any{"customerID": cus, "addressID": addr})
	lcCreate(t, e, "CustomerPaymentSource", map[string]any{"customerID": cus, "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"})
	lcCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "newsletter"})
	ord := lcNewOrder(t, e, cus, lcToFulfilled...)
	ret := lcNewReturn(t, e, ord, "requestReturn")
	lcNewOrderSubscription(t, e, map[string]any{"sourceOrderID": ord, "frequency": "weekly"})
	for _, parent := range []map[string]any{{"customerID": cus}, {"customerGroupID": grp}, {"orderID": ord}, {"returnID": ret}} {
		parent["name"] = "file.pdf"
		lcCreate(t, e, "Attachment", parent)
	}
	lcCreateReset(t, e, email)
}

func TestNoNPlusOneOnAnyRootConnection(t *testing.T) {
	queries := gnRootConnections(t)
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	sort.Strings(names)

	limits := graph.DefaultLimits()
	limits.MaxComplexity = 1 << 30 // the queries are wide on purpose
	lcEnvMu.Lock()
	e := testenv.New(t, testenv.WithLimits(limits))
	lcEnvMu.Unlock()

	measure := func() (map[string]int64, map[string]int) {
		counts, rows := map[string]int64{}, map[string]int{}
		for _, n := range names {
			before := e.Statements()
			r := e.Do(t, queries[n], nil)
			require.Empty(t, r.Errors, "%s: %s", n, r.Raw)
			counts[n] = e.Statements() - before
			edges, _ := r.Get(n + ".edges").([]any)
			rows[n] = len(edges)
		}
		return counts, rows
	}

	gnSeedUnit(t, e, 0)
	one, oneRows := measure()
	for i := 1; i < gnUnits; i++ {
		gnSeedUnit(t, e, i)
	}
	many, manyRows := measure()

	t.Logf("%-24s %12s %12s", "root connection", "statements", "statements")
	for _, n := range names {
		t.Logf("%-24s %5d (%2d rows) %5d (%2d rows)", n, one[n], oneRows[n], many[n], manyRows[n])
	}
	for _, n := range names {
		require.Greater(t, manyRows[n], oneRows[n], "%s: the larger store must list more rows", n)
		require.Equal(t, one[n], many[n], "%s: statements with %d rows and with %d rows", n, oneRows[n], manyRows[n])
	}
}
