package graph_test

// Hostile input: documents that cost far more to validate or to count than
// their size, paging switched off by a null first, filters too large for
// the database, and introspection with introspection switched off. Each
// must be refused with a client error code and a small answer, before the
// work it would cause.

import (
	"bytes"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"clientele/graph"
	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

// hostileMaxBody is the largest answer a refused document may get.
const hostileMaxBody = 2048

// hostileDoubling returns a document of n fragments on typ, each spreading
// the previous one twice, under the given operation; the last fragment is
// named F<n>, and F0 selects leaf.
func hostileDoubling(op, typ, leaf string, n int) string {
	var sb strings.Builder
	sb.WriteString(strings.ReplaceAll(op, "LAST", fmt.Sprintf("F%d", n)))
	fmt.Fprintf(&sb, "\nfragment F0 on %s { %s }", typ, leaf)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, "\nfragment F%d on %s { ...F%d ...F%d }", i, typ, i-1, i-1)
	}
	return sb.String()
}

// hostileDocuments are documents small enough to send that once took
// seconds to minutes of CPU, or hundreds of megabytes, to refuse.
func hostileDocuments() map[string]string {
	docs := map[string]string{
		"fragments doubling, 30 levels":              hostileDoubling("query { ...LAST }", "Query", "__typename", 30),
		"fragments doubling inside a connection":     hostileDoubling("query { customers(first: 1) { edges { node { ...LAST } } } }", "Customer", "id", 30),
		"fragments doubling, 60 levels":              hostileDoubling("query { ...LAST }", "Query", "__typename", 60),
		"fragments doubling, distinct aliases":       hostileDoubling("query { ...LAST }", "Query", "a: __typename b: __typename", 40),
		"fragments doubling, depth-spread variant":   hostileDoubling("query { customers(first: 1) { edges { node { ...LAST } } } }", "Customer", "orders(first: 1) { totalCount }", 30),
		"a chain of 1,800 fragments":                 "",
		"1,500 overlapping customers fields":         "",
		"140 same-named connections merged":          "",
		"4,900 fields under one alias, no conflicts": "",
		"fragments each spreading 40 others":         "",
	}
	var sb strings.Builder
	sb.WriteString("query { ...F1799 }\nfragment F0 on Query { __typename }")
	for i := 1; i < 1800; i++ {
		fmt.Fprintf(&sb, "\nfragment F%d on Query { ...F%d }", i, i-1)
	}
	docs["a chain of 1,800 fragments"] = sb.String()

	sb.Reset()
	sb.WriteString("{")
	for i := 0; i < 1500; i++ {
		fmt.Fprintf(&sb, " customers(first: %d) { totalCount }", 1+i%2)
	}
	sb.WriteString(" }")
	docs["1,500 overlapping customers fields"] = sb.String()

	docs["140 same-named connections merged"] = "{" + strings.Repeat(" customers { edges { node { a: id a: email } } }", 140) + " }"
	docs["4,900 fields under one alias, no conflicts"] = "{ customers { edges { node {" + strings.Repeat(" a: id", 4900) + " } } } }"

	// Each fragment of a level spreads all 40 of the level below: 40^3
	// expansions from 3,200 spreads.
	sb.Reset()
	sb.WriteString("query { ...L3_0 }\nfragment L0_0 on Query { __typename }")
	for j := 0; j < 40; j++ {
		fmt.Fprintf(&sb, "\nfragment L1_%d on Query { ...L0_0 }", j)
	}
	for k := 2; k <= 3; k++ {
		for j := 0; j < 40; j++ {
			fmt.Fprintf(&sb, "\nfragment L%d_%d on Query {", k, j)
			for i := 0; i < 40; i++ {
				fmt.Fprintf(&sb, " ...L%d_%d", k-1, i)
			}
			sb.WriteString(" }")
		}
	}
	docs["fragments each spreading 40 others"] = sb.String()
	return docs
}

// TestHostileDocumentsAreRefusedCheaply sends each hostile document as an
// admin and without a token: each is refused with QUERY_TOO_COMPLEX (or,
// without a token, UNAUTHENTICATED) and an answer under 2 KB, before it is
// validated or executed.
func TestHostileDocumentsAreRefusedCheaply(t *testing.T) {
	admin := limNewEnv(t)
	anonymous := limNewEnv(t, testenv.WithRealAuth())
	docs := hostileDocuments()
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		doc := docs[name]
		t.Run(name, func(t *testing.T) {
			r := admin.Do(t, doc, nil)
			require.Less(t, len(r.Raw), hostileMaxBody, r.Raw)
			require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, r.ErrorCodes(), r.Raw)
			require.Nil(t, r.Data, r.Raw)

			r = anonymous.DoAs(t, "", doc, nil)
			require.Less(t, len(r.Raw), hostileMaxBody, r.Raw)
			require.Len(t, r.Errors, 1, r.Raw)
			require.Contains(t, []string{"QUERY_TOO_COMPLEX", "UNAUTHENTICATED"}, r.ErrorCodes()[0], r.Raw)
			require.Nil(t, r.Data, r.Raw)
		})
	}
}

// TestHostileAnonymousDocumentSize checks that a request without a token,
// which may only ask for __typename, may not send more than a small
// document, however harmless its content.
func TestHostileAnonymousDocumentSize(t *testing.T) {
	e := limNewEnv(t, testenv.WithRealAuth())
	small := "{ __typename" + strings.Repeat(" ", 900) + "}"
	r := e.DoAs(t, "", small, nil)
	require.Empty(t, r.Errors, r.Raw)
	require.Equal(t, "Query", r.Str("__typename"))

	big := "{ __typename" + strings.Repeat(" ", 2000) + "}"
	r = e.DoAs(t, "", big, nil)
	require.Equal(t, []string{"UNAUTHENTICATED"}, r.ErrorCodes(), r.Raw)
	require.Nil(t, r.Data, r.Raw)

	// Under the size bound, fragments doubling __typename are still
	// refused before anything walks them.
	var doc string
	for n := 1; ; n++ {
		d := strings.NewReplacer(" { ", "{", " }", "}").Replace(hostileDoubling("{...LAST}", "Query", "__typename", n))
		if len(d) > 1000 {
			break
		}
		doc = d
	}
	require.Greater(t, strings.Count(doc, "fragment"), 25)
	r = e.DoAs(t, "", doc, nil)
	require.Less(t, len(r.Raw), hostileMaxBody, r.Raw)
	require.Len(t, r.Errors, 1, r.Raw)
	require.Nil(t, r.Data, r.Raw)
}

// TestHostileValidationErrorsAreCapped checks that a document validation
// refuses gets at most ten errors and one saying validation stopped, with
// suggestions on (introspection on) and off.
func TestHostileValidationErrorsAreCapped(t *testing.T) {
	withSuggestions := limNewEnv(t)
	withoutSuggestions := limNewEnv(t, func(o *testenv.Config) { o.Introspection = false })
	var conflicting, unknown, arguments, leaves strings.Builder
	for i := 0; i < 200; i++ {
		conflicting.WriteString([]string{" a: id", " a: email"}[i%2])
	}
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&unknown, " nope%d", i)
	}
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&arguments, " v%d: viewer(x: 1) { id }", i)
		fmt.Fprintf(&leaves, " a%d", i)
	}
	docs := map[string]string{
		"conflicting fields": "{ customers { edges { node {" + conflicting.String() + " } } } }",
		"unknown fields":     "{" + unknown.String() + " }",
		"unknown arguments":  "{" + arguments.String() + " }",
		"fields of leaves":   "{ customers { totalCount {" + leaves.String() + " } } }",
	}
	for name, doc := range docs {
		for env, e := range map[string]*testenv.Env{"suggestions": withSuggestions, "no suggestions": withoutSuggestions} {
			t.Run(name+", "+env, func(t *testing.T) {
				r := e.Do(t, doc, nil)
				require.NotEmpty(t, r.Errors, r.Raw)
				require.LessOrEqual(t, len(r.Errors), 11, r.Raw)
				for _, code := range r.ErrorCodes() {
					require.Equal(t, "GRAPHQL_VALIDATION_FAILED", code, r.Raw)
				}
				require.Less(t, len(r.Raw), 8<<10, r.Raw)
			})
		}
	}
	// A valid document is not affected by the rules being wrapped.
	r := withoutSuggestions.Do(t, `{ customers { totalCount } }`, nil)
	require.Empty(t, r.Errors, r.Raw)
}

// hostileSchema is the served schema.
func hostileSchema() *ast.Schema {
	return graph.NewExecutableSchema(graph.Config{}).Schema()
}

// hostileConnections returns the root connection fields, and the
// connection fields of each root connection's node type.
func hostileConnections(s *ast.Schema) (roots []*ast.FieldDefinition, nested map[string][]*ast.FieldDefinition, nodes map[string]string) {
	isConn := func(f *ast.FieldDefinition) bool {
		return f.Arguments.ForName("first") != nil && f.Arguments.ForName("last") != nil && strings.HasSuffix(f.Type.Name(), "Connection")
	}
	nested, nodes = map[string][]*ast.FieldDefinition{}, map[string]string{}
	for _, f := range s.Query.Fields {
		if !isConn(f) {
			continue
		}
		roots = append(roots, f)
		edge := s.Types[s.Types[f.Type.Name()].Fields.ForName("edges").Type.Name()]
		node := s.Types[edge.Fields.ForName("node").Type.Name()]
		nodes[f.Name] = node.Name
		for _, nf := range node.Fields {
			if isConn(nf) {
				nested[f.Name] = append(nested[f.Name], nf)
			}
		}
	}
	return roots, nested, nodes
}

// hostileSeed creates more than a default page of every kind of record,
// and parents with more than a default page of children: the first
// customer (of every kind its connections list), the first customer group
// (customers), a fulfilled order (returns) and a placed one (order
// subscriptions).
func hostileSeed(t *testing.T, e *testenv.Env, n int) {
	t.Helper()
	do := func(q string, vars map[string]any) *testenv.Response { return e.MustDo(t, q, vars) }
	var groups []string
	for i := 0; i < n; i++ {
		groups = append(groups, do(`mutation($in: CreateCustomerGroupInput!) { createCustomerGroup(input: $in) { customerGroup { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("Group %d", i), "code": fmt.Sprintf("g%d", i)}}).Str("createCustomerGroup.customerGroup.id"))
	}
	var customers []string
	for i := 0; i < n; i++ {
		customers = append(customers, do(`mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"email": fmt.Sprintf("page-%d@example.com", i), "customerGroupID": groups[0]}}).Str("createCustomer.customer.id"))
	}
	c := customers[0]
	fulfilled := lcNewOrder(t, e, c, lcToFulfilled...)
	placed := lcNewOrder(t, e, c, lcToPlaced...)
	for i := 0; i < n; i++ {
		a := do(`mutation($in: CreateAddressInput!) { createAddress(input: $in) { address { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"firstName": "Ann", "lastName": "Lee", "line1": "Via Roma 1", "city": fmt.Sprintf("City %d", i), "countryCode": "IT", "phone": "+39 555"}}).Str("createAddress.address.id")
		do(`mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": c, "addressID": a}})
		do(`mutation($in: CreateCustomerPaymentSourceInput!) { createCustomerPaymentSource(input: $in) { customerPaymentSource { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": c, "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"}})
		do(`mutation($in: CreateCustomerSubscriptionInput!) { createCustomerSubscription(input: $in) { customerSubscription { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": c, "reference": fmt.Sprintf("list-%d", i)}})
		do(`mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": c, "name": "contract.pdf", "url": "https://example.com/contract.pdf"}})
		do(`mutation($e: String!) { createCustomerPasswordReset(customerEmail: $e) { customerPasswordReset { id } userErrors { code field } } }`,
			map[string]any{"e": "page-0@example.com"})
		do(`mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": c, "currencyCode": "EUR", "totalAmountCents": 1000 + i}})
		do(`mutation($in: CreateReturnInput!) { createReturn(input: $in) { return { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"orderID": fulfilled, "skusCount": 1, "estimatedRefundAmountCents": 10}})
		do(`mutation($in: CreateOrderSubscriptionInput!) { createOrderSubscription(input: $in) { orderSubscription { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"sourceOrderID": placed, "frequency": "weekly"}})
		do(`mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"id": c, "in": map[string]any{"reference": fmt.Sprintf("ref-%d", i)}})
	}
}

// hostilePageForms are the ways of leaving a connection's page size unset:
// the document's connection field is written `CONN(ARGS)`.
var hostilePageForms = []struct {
	name, vars, args string
	values           map[string]any
	last             bool // the page is counted from the end
}{
	{"no first", "", "", nil, false},
	{"first: null", "", "first: null", nil, false},
	{"last: null", "", "last: null", nil, false},
	{"first and last null", "", "first: null, last: null", nil, false},
	{"first from a null variable", "($n: Int)", "first: $n", map[string]any{"n": nil}, false},
	{"first from an unset variable", "($n: Int)", "first: $n", map[string]any{}, false},
	{"first from a variable defaulting to null", "($n: Int = null)", "first: $n", map[string]any{}, false},
	{"first and last from unset variables", "($n: Int, $m: Int)", "first: $n, last: $m", map[string]any{}, false},
	{"last from an unset variable", "($n: Int)", "last: $n", map[string]any{}, true},
}

// TestPageDefaultsOnEveryConnection walks the schema: every root
// connection, and every connection of their nodes, returns at most the
// default page whatever form the missing page size takes, and says there
// is more.
func TestPageDefaultsOnEveryConnection(t *testing.T) {
	page := graph.DefaultLimits().DefaultPage
	e := limNewEnv(t)
	hostileSeed(t, e, page+1)
	roots, nested, nodes := hostileConnections(hostileSchema())
	require.NotEmpty(t, roots)

	// checkPage checks one connection's answer and returns its total.
	checkPage := func(t *testing.T, r *testenv.Response, path string, last bool) int {
		t.Helper()
		edges, _ := r.Get(path + ".edges").([]any)
		total := r.Int(path + ".totalCount")
		require.GreaterOrEqual(t, total, 0, "%s: %s", path, r.Raw)
		require.LessOrEqual(t, len(edges), page, "%s returned more than a default page", path)
		require.Equal(t, min(total, page), len(edges), "%s", path)
		more := "hasNextPage"
		if last {
			more = "hasPreviousPage"
		}
		require.Equal(t, total > page, r.Get(path+".pageInfo."+more), "%s.pageInfo.%s with %d rows", path, more, total)
		return total
	}
	const sel = `totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor }`
	for _, root := range roots {
		for _, form := range hostilePageForms {
			call := root.Name
			if form.args != "" {
				call += "(" + form.args + ")"
			}
			last := form.last
			t.Run(root.Name+"/"+form.name, func(t *testing.T) {
				r := e.Do(t, "query"+form.vars+" { "+call+" { "+sel+" } }", form.values)
				require.Empty(t, r.Errors, r.Raw)
				require.Greater(t, checkPage(t, r, root.Name, last), page, "the seed must give %s more than a page", root.Name)
			})
		}
		for _, conn := range nested[root.Name] {
			for _, form := range hostilePageForms {
				call := conn.Name
				if form.args != "" {
					call += "(" + form.args + ")"
				}
				last := form.last
				t.Run(root.Name+"."+conn.Name+"/"+form.name, func(t *testing.T) {
					r := e.Do(t, "query"+form.vars+" { "+root.Name+"(first: 100) { edges { node { "+call+" { "+sel+" } } } } }", form.values)
					require.Empty(t, r.Errors, r.Raw)
					parents, _ := r.Get(root.Name + ".edges").([]any)
					require.NotEmpty(t, parents, "no %s to look into", nodes[root.Name])
					most := 0
					for i := range parents {
						most = max(most, checkPage(t, r, fmt.Sprintf("%s.edges.%d.node.%s", root.Name, i, conn.Name), last))
					}
					if hostileRich[nodes[root.Name]+"."+conn.Name] || nodes[root.Name] == "Customer" {
						require.Greater(t, most, page, "the seed must give a %s more than a page of %s", nodes[root.Name], conn.Name)
					}
				})
			}
		}
	}
}

// hostileRich are the nested connections, besides the customer's, the seed
// gives more than a page to.
var hostileRich = map[string]bool{"CustomerGroup.customers": true, "Order.returns": true, "Order.orderSubscriptions": true}

// TestPageVariables checks what a page size from a variable may do: a
// variable default applies, a page over the maximum is refused however it
// comes, and a null variable that would get the default page may not also
// be used where its null means something else.
func TestPageVariables(t *testing.T) {
	e := limNewEnv(t)
	for i := 0; i < 6; i++ {
		e.MustDo(t, `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } } }`, map[string]any{"e": acEmail("pv")})
	}
	r := e.Do(t, `query($n: Int = 5) { customers(first: $n) { edges { cursor } } }`, nil)
	require.Empty(t, r.Errors, r.Raw)
	require.Len(t, r.Get("customers.edges"), 5)
	r = e.Do(t, `query($n: Int) { customers(first: $n) { edges { cursor } } }`, map[string]any{"n": 2})
	require.Empty(t, r.Errors, r.Raw)
	require.Len(t, r.Get("customers.edges"), 2)
	// The same document with the variable unset gets the default page: the
	// page given to one request does not stick to the cached document.
	r = e.Do(t, `query($n: Int) { customers(first: $n) { edges { cursor } } }`, nil)
	require.Empty(t, r.Errors, r.Raw)
	require.Len(t, r.Get("customers.edges"), 6)

	limRun(t, e, []limCase{
		{name: "root first 101 from a variable", query: `query($n: Int) { customers(first: $n) { totalCount } }`, vars: map[string]any{"n": 101}, code: "BAD_USER_INPUT"},
		{name: "root last 101 from a variable", query: `query($n: Int) { customers(last: $n) { totalCount } }`, vars: map[string]any{"n": 101}, code: "BAD_USER_INPUT"},
		{name: "first 101 from a variable default", query: `query($n: Int = 101) { customers(first: $n) { totalCount } }`, code: "BAD_USER_INPUT"},
		{name: "nested first 101 from a variable", query: `query($n: Int) { customers(first: 1) { edges { node { orders(first: $n) { totalCount } } } } }`, vars: map[string]any{"n": 101}, code: "BAD_USER_INPUT"},
		{name: "nested first 101 in a fragment", query: `query($n: Int) { customers(first: 1) { edges { node { ...O } } } } fragment O on Customer { orders(first: $n) { totalCount } }`, vars: map[string]any{"n": 101}, code: "BAD_USER_INPUT"},
		{name: "a null page variable also used in a filter", query: `query($n: Int) { customers(first: $n) { totalCount } orders(first: 5, where: {totalAmountCentsGT: $n}) { totalCount } }`, vars: map[string]any{"n": nil}, code: "BAD_USER_INPUT"},
		{name: "a null page variable also used as another connection's last", query: `query($n: Int) { customers(first: $n) { totalCount } orders(first: 5, last: $n) { totalCount } }`, code: "BAD_USER_INPUT"},
		{name: "a page variable used twice", query: `query($n: Int) { customers(first: $n) { totalCount } orders(first: $n) { totalCount } }`, pass: true},
		{name: "a page variable with a value also used in a filter", query: `query($n: Int) { customers(first: $n) { totalCount } orders(first: 5, where: {totalAmountCentsGT: $n}) { totalCount } }`, vars: map[string]any{"n": 5}, pass: true},
	})
}

// hostileWhereRoots returns the root connections with a where argument,
// and its input type.
func hostileWhereRoots(s *ast.Schema) map[string]*ast.Definition {
	out := map[string]*ast.Definition{}
	for _, f := range s.Query.Fields {
		if a := f.Arguments.ForName("where"); a != nil && strings.HasSuffix(a.Type.Name(), "WhereInput") {
			out[f.Name] = s.Types[a.Type.Name()]
		}
	}
	return out
}

// TestFilterSizeIsBounded walks every root connection with a where
// argument: filters with too many terms or metadata keys are the caller's
// input (BAD_USER_INPUT), refused before the database sees them; filters
// at the limit run.
func TestFilterSizeIsBounded(t *testing.T) {
	l := graph.DefaultLimits()
	e := limNewEnv(t)
	e.MustDo(t, `mutation { createCustomer(input: {email: "filter@example.com", metadata: {a: 1}}) { customer { id } } }`, nil)
	ids := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("x%d", i)
		}
		return out
	}
	ors := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"idNEQ": fmt.Sprintf("x%d", i)}
		}
		return out
	}
	nots := func(n int) map[string]any {
		w := map[string]any{"idNEQ": "x"}
		for i := 0; i < n; i++ {
			w = map[string]any{"not": w}
		}
		return w
	}
	metadata := func(n int) map[string]any {
		m := map[string]any{}
		for i := 0; i < n; i++ {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		return m
	}
	roots := hostileWhereRoots(hostileSchema())
	require.NotEmpty(t, roots)
	for root, where := range roots {
		query := fmt.Sprintf(`query($w: %s) { %s(where: $w) { totalCount } }`, where.Name, root)
		cases := []struct {
			name  string
			where map[string]any
			pass  bool
		}{
			{"in at the limit", map[string]any{"idIn": ids(l.MaxFilterTerms)}, true},
			{"in one over", map[string]any{"idIn": ids(l.MaxFilterTerms + 1)}, false},
			{"3,000 or items", map[string]any{"or": ors(3000)}, false},
			{"3,000 and items", map[string]any{"and": ors(3000)}, false},
			{"1,000 nested nots", nots(1000), false},
		}
		if where.Fields.ForName("metadataContains") != nil {
			cases = append(cases,
				struct {
					name  string
					where map[string]any
					pass  bool
				}{"metadata at the limit", map[string]any{"metadataContains": metadata(l.MaxMetadataKeys)}, true},
				struct {
					name  string
					where map[string]any
					pass  bool
				}{"metadata one over", map[string]any{"metadataContains": metadata(l.MaxMetadataKeys + 1)}, false},
				struct {
					name  string
					where map[string]any
					pass  bool
				}{"5,000 metadata keys", map[string]any{"metadataContains": metadata(5000)}, false})
		}
		if where.Fields.ForName("hasCustomerWith") != nil {
			cases = append(cases, struct {
				name  string
				where map[string]any
				pass  bool
			}{"5,000 metadata keys through hasCustomerWith", map[string]any{"hasCustomerWith": []any{map[string]any{"metadataContains": metadata(5000)}}}, false})
		}
		for _, tc := range cases {
			t.Run(root+"/"+tc.name, func(t *testing.T) {
				r := e.Do(t, query, map[string]any{"w": tc.where})
				if tc.pass {
					require.Empty(t, r.Errors, r.Raw)
					require.GreaterOrEqual(t, r.Int(root+".totalCount"), 0, r.Raw)
					return
				}
				require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
				require.Nil(t, r.Data, r.Raw)
				require.Less(t, len(r.Raw), hostileMaxBody, r.Raw)
			})
		}
	}

	// Written in the document, and on a nested connection, the same bound.
	limRun(t, e, []limCase{
		{name: "inline in one over", query: `{ customers(where: {idIn: [` + strings.Repeat(`"x", `, l.MaxFilterTerms+1) + `]}) { totalCount } }`, code: "BAD_USER_INPUT"},
		{name: "nested or one over", query: `query($w: OrderWhereInput) { customers(first: 1) { edges { node { orders(where: $w) { totalCount } } } } }`,
			vars: map[string]any{"w": map[string]any{"or": ors(l.MaxFilterTerms)}}, code: "BAD_USER_INPUT"},
		{name: "nested in at the limit", query: `query($w: OrderWhereInput) { customers(first: 1) { edges { node { orders(where: $w) { totalCount } } } } }`,
			vars: map[string]any{"w": map[string]any{"idIn": ids(l.MaxFilterTerms)}}, pass: true},
	})
}

// hostileLog collects log lines.
type hostileLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *hostileLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *hostileLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestIntrospectionSwitchedOff checks that with introspection off, asking
// for the schema in any form is refused as the caller's problem
// (FORBIDDEN), before anything runs, and logs no error; __typename still
// answers.
func TestIntrospectionSwitchedOff(t *testing.T) {
	log := &hostileLog{}
	e := limNewEnv(t, func(o *testenv.Config) {
		o.Introspection = false
		o.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, q := range []string{
		`{ __schema { types { name } } }`,
		`{ __type(name: "Customer") { name } }`,
		limIntrospectionQuery,
		`{ ...F } fragment F on Query { __schema { queryType { name } } }`,
		`{ ... on Query { __type(name: "Query") { name } } }`,
		`{ customers { totalCount } __schema { queryType { name } } }`,
	} {
		r := e.Do(t, q, nil)
		require.Equal(t, []string{"FORBIDDEN"}, r.ErrorCodes(), r.Raw)
		require.Nil(t, r.Data, r.Raw)
	}
	r := e.Do(t, `{ __typename customers { totalCount } }`, nil)
	require.Empty(t, r.Errors, r.Raw)
	require.Equal(t, "Query", r.Str("__typename"))
	require.NotContains(t, log.String(), "level=ERROR", log.String())
}

// TestOrderByIsBounded walks every root connection with an orderBy: one
// ordering per field runs; more orderings than fields (thousands of them
// failed in the database) are the caller's input, BAD_USER_INPUT.
func TestOrderByIsBounded(t *testing.T) {
	s := hostileSchema()
	e := limNewEnv(t)
	e.MustDo(t, `mutation { createCustomer(input: {email: "order@example.com"}) { customer { id } } }`, nil)
	checked := 0
	for _, f := range s.Query.Fields {
		a := f.Arguments.ForName("orderBy")
		if a == nil || a.Type.Elem == nil {
			continue
		}
		enum := s.Types[s.Types[a.Type.Name()].Fields.ForName("field").Type.Name()]
		require.NotEmpty(t, enum.EnumValues, f.Name)
		var all []any
		for _, v := range enum.EnumValues {
			all = append(all, map[string]any{"field": v.Name, "direction": "DESC"})
		}
		many := make([]any, 3000)
		for i := range many {
			many[i] = all[i%len(all)]
		}
		query := fmt.Sprintf(`query($o: %s) { %s(orderBy: $o) { totalCount edges { node { id } } } }`, a.Type.String(), f.Name)
		t.Run(f.Name, func(t *testing.T) {
			r := e.Do(t, query, map[string]any{"o": all})
			require.Empty(t, r.Errors, r.Raw)
			r = e.Do(t, query, map[string]any{"o": append(all, all[0])})
			require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
			r = e.Do(t, query, map[string]any{"o": many})
			require.Equal(t, []string{"BAD_USER_INPUT"}, r.ErrorCodes(), r.Raw)
			require.Nil(t, r.Data, r.Raw)
		})
		checked++
	}
	require.NotZero(t, checked)
}
