package graph_test

// The direct path of queries (internal/gqlexec) must answer what gqlgen's
// executor answers, byte for byte, with the same statements; and where it
// cannot answer, give way without a trace. Every test environment also
// checks each query the direct path answers against gqlgen's executor
// (testenv's VerifyDirect); these tests make sure the direct path does
// answer, across the whole schema, and gives way where it must.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"clientele/graph"
	"clientele/internal/gqlexec"
	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

// dpSelection selects on def every field the direct path covers: its
// scalars and enums, its to-one objects and value objects (their own
// scalars) and, with nested, its connections (their nodes' scalars and
// to-one objects). Fields of an interface or union type, Batched fields and
// fields with required arguments are left out.
func dpSelection(s *ast.Schema, def *ast.Definition, nested bool) string {
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || gnRequiredArgs(f) || gqlexec.Batched[f.Name] {
			continue
		}
		t := s.Types[f.Type.Name()]
		switch {
		case t.Kind == ast.Scalar || t.Kind == ast.Enum:
			parts = append(parts, f.Name)
		case t.Kind != ast.Object:
		case gnIsConnection(s, f):
			if nested {
				parts = append(parts, fmt.Sprintf("%s(first: 3) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { __typename %s } } }",
					f.Name, dpSelection(s, gnNodeType(s, f), false)))
			}
		default:
			parts = append(parts, f.Name+" { __typename "+dpScalars(s, t)+" }")
		}
	}
	return strings.Join(parts, " ")
}

// dpScalars selects the scalar and enum fields of def.
func dpScalars(s *ast.Schema, def *ast.Definition) string {
	var parts []string
	for _, f := range def.Fields {
		if t := s.Types[f.Type.Name()]; !strings.HasPrefix(f.Name, "__") && !gnRequiredArgs(f) && !gqlexec.Batched[f.Name] && (t.Kind == ast.Scalar || t.Kind == ast.Enum) {
			parts = append(parts, f.Name)
		}
	}
	return strings.Join(parts, " ")
}

// dpQuery runs query through both paths: the direct path must answer it,
// with gqlgen's bytes and as many statements.
func dpQuery(t *testing.T, e *testenv.Env, query string, vars map[string]any) *testenv.Response {
	t.Helper()
	answered, before := e.Metrics.Direct(), e.Statements()
	r := e.Do(t, query, vars)
	direct := e.Statements() - before
	require.Equal(t, answered+1, e.Metrics.Direct(), "the direct path did not answer %s: %s", query, r.Raw)
	before = e.Statements()
	g := e.DoGqlgen(t, query, vars)
	require.Equal(t, e.Statements()-before, direct, "statements of %s", query)
	requireSameAnswer(t, g.Raw, r.Raw, query)
	return r
}

// requireSameAnswer checks two answers have the same bytes, but for the
// order of their errors: gqlgen resolves root fields concurrently, so that
// its errors come in no fixed order.
func requireSameAnswer(t *testing.T, want, got, query string) {
	t.Helper()
	type answer struct {
		Errors []json.RawMessage `json:"errors"`
		Data   json.RawMessage   `json:"data"`
	}
	var w, g answer
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g))
	require.Equal(t, string(w.Data), string(g.Data), "%s", query)
	sorted := func(l []json.RawMessage) []string {
		out := make([]string, len(l))
		for i, e := range l {
			out[i] = string(e)
		}
		sort.Strings(out)
		return out
	}
	require.Equal(t, sorted(w.Errors), sorted(g.Errors), "%s", query)
	if len(w.Errors) < 2 {
		require.Equal(t, want, got, "%s", query)
	}
}

// Every root connection, selecting everything the direct path covers on its
// nodes and one level of nested connections below, on a store with
// records of every kind.
func TestDirectPathAnswersEveryRootConnection(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	var names []string
	for _, f := range s.Query.Fields {
		if gnIsConnection(s, f) {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	require.NotEmpty(t, names)

	limits := graph.DefaultLimits()
	limits.MaxComplexity = 1 << 30 // the queries are wide on purpose
	lcEnvMu.Lock()
	e := testenv.New(t, testenv.WithLimits(limits))
	lcEnvMu.Unlock()
	for i := range 2 {
		gnSeedUnit(t, e, i)
	}
	for _, n := range names {
		f := s.Query.Fields.ForName(n)
		q := fmt.Sprintf("{ %s(first: 10) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { __typename %s } } } }",
			n, dpSelection(s, gnNodeType(s, f), true))
		r := dpQuery(t, e, q, nil)
		require.Empty(t, r.Errors, "%s: %s", n, r.Raw)
		require.NotEmpty(t, r.Get(n+".edges"), "%s lists nothing: the comparison would be empty", n)
	}
}

// The shapes of a query that the direct path writes itself: aliases,
// fragments, type conditions, @skip and @include, __typename, arguments
// from variables, paging backwards, a null to-one edge, an empty nested
// connection, a field selected twice.
func TestDirectPathAnswersEveryShapeOfSelection(t *testing.T) {
	lcEnvMu.Lock()
	e := testenv.New(t)
	lcEnvMu.Unlock()
	grp := lcCreate(t, e, "CustomerGroup", map[string]any{"name": "VIP", "code": "vip"})
	with := lcCreate(t, e, "Customer", map[string]any{"email": lcUniqueEmail("dp"), "customerGroupID": grp})
	lcCreate(t, e, "Customer", map[string]any{"email": lcUniqueEmail("dp")}) // no group, no orders
	for range 3 {
		lcNewOrder(t, e, with)
	}
	for _, c := range []struct {
		query string
		vars  map[string]any
	}{
		{`{ a: customers(first: 5) { n: totalCount edges { node { e: email email id } } } b: customers(last: 1) { edges { cursor } } }`, nil},
		{`query($skip: Boolean!, $inc: Boolean!) { customers(first: 5) { edges { node { id email @skip(if: $skip) status @include(if: $inc) } } } }`,
			map[string]any{"skip": true, "inc": false}},
		{`query($skip: Boolean!) { customers(first: 5) { edges { node { id email @skip(if: $skip) } } } }`, map[string]any{"skip": false}},
		{`{ customers(first: 5) { ...page } } fragment page on CustomerConnection { totalCount edges { node { ...who } } } fragment who on Customer { id email customerGroup { name } }`, nil},
		{`{ customers(first: 5) { edges { node { ... on Customer { id } ... { email } __typename } } } __typename }`, nil},
		{`query($n: Int!, $dir: OrderDirection!) { customers(first: $n, orderBy: {field: EMAIL, direction: $dir}) { edges { node { email orders(last: 2, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { number status totalAmountCents placedAt customer { email } } } } } } } }`,
			map[string]any{"n": 5, "dir": "DESC"}},
		{`query($g: ID!) { customers(first: 5, where: {hasCustomerGroupWith: {id: $g}}) { totalCount edges { node { id customerGroup { id name code customers(first: 1) { totalCount } } } } } }`,
			map[string]any{"g": grp}},
		{`{ customers(first: 5, where: {emailHasPrefix: "nobody-at-all"}) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`, nil},
		{`{ customers(first: 5) { edges { node { id customerGroup { name } orders(first: 5) { totalCount edges { node { id } } } } } } }`, nil},
		{`query($id: ID!) { node(id: $id) { __typename id ... on Customer { email orders(first: 2) { totalCount } } ... on Order { number } } }`, map[string]any{"id": with}},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on CustomerGroup { name } ... on Customer { email } } }`, map[string]any{"ids": []any{with, grp}}},
	} {
		r := dpQuery(t, e, c.query, c.vars)
		require.Empty(t, r.Errors, "%s: %s", c.query, r.Raw)
	}
}

// Where the direct path cannot answer, it gives way before loading
// anything: gqlgen's executor answers with the same bytes and statements
// as with the direct path off. Where it finds out only while writing (an
// error), gqlgen's executor answers just the same.
func TestDirectPathGivesWayWithoutATrace(t *testing.T) {
	lcEnvMu.Lock()
	e := testenv.New(t)
	lcEnvMu.Unlock()
	cus := lcCreate(t, e, "Customer", map[string]any{"email": lcUniqueEmail("dp")})
	lcNewOrder(t, e, cus)
	lcCreate(t, e, "CustomerAddress", map[string]any{"customerID": cus, "addressID": lcCreate(t, e, "Address", lcAddressInput())})
	for _, c := range []struct {
		name, query string
		vars        map[string]any
		loaded      bool // the direct path gives way only once it has loaded
	}{
		{name: "batched field", query: `{ customerAddresses(first: 5) { edges { node { id events(first: 5) { totalCount } } } } }`},
		{name: "introspection", query: `{ __schema { queryType { name } } customers(first: 1) { totalCount } }`},
		{name: "deferred", query: `{ customers(first: 5) { edges { node { id ... @defer { email } } } } }`},
		{name: "error in a nested field", query: `{ customers(first: 5) { edges { node { id orders(first: 5, after: "not-a-cursor") { totalCount } } } } }`, loaded: true},
		{name: "error in a non-null root field", query: `{ customers(first: 5, where: {idIn: ["x"]}, after: "gaFpvmN1c18w") { totalCount } }`, loaded: true},
		{name: "error at the root", query: `{ customers(first: 5, after: "not-a-cursor") { totalCount } }`, loaded: true},
	} {
		answered, before := e.Metrics.Direct(), e.Statements()
		r := e.Do(t, c.query, c.vars)
		direct := e.Statements() - before
		require.Equal(t, answered, e.Metrics.Direct(), "%s: the direct path answered: %s", c.name, r.Raw)
		before = e.Statements()
		g := e.DoGqlgen(t, c.query, c.vars)
		requireSameAnswer(t, g.Raw, r.Raw, c.name)
		if !c.loaded {
			require.Equal(t, e.Statements()-before, direct, "%s: statements", c.name)
		}
	}
}

// A root field that fails (a node the caller cannot see, IDs that do not
// exist) is answered by the direct path as gqlgen answers it: null and the
// error on the field's path, the other root fields loaded once. A query
// cannot make the server load it twice by asking for a missing node too.
func TestDirectPathAnswersRootErrorsLikeGqlgen(t *testing.T) {
	lcEnvMu.Lock()
	e := testenv.New(t)
	lcEnvMu.Unlock()
	cus := lcCreate(t, e, "Customer", map[string]any{"email": lcUniqueEmail("dp")})
	lcNewOrder(t, e, cus)
	const missing = "cus_00000000000000000000000000"
	for _, c := range []struct {
		query string
		vars  map[string]any
		codes []string
	}{
		{`query($id: ID!) { node(id: $id) { id ... on Customer { email } } }`, map[string]any{"id": missing}, []string{"NOT_FOUND"}},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { email } } }`, map[string]any{"ids": []any{cus, missing}}, []string{"NOT_FOUND"}},
		{`query($id: ID!) { customers(first: 5) { edges { node { id orders(first: 5) { totalCount edges { node { number } } } } } } z: node(id: $id) { id } }`,
			map[string]any{"id": missing}, []string{"NOT_FOUND"}},
		{`query($id: ID!) { a: node(id: $id) { id } customers(first: 5) { totalCount } b: node(id: "not-an-id") { id } }`,
			map[string]any{"id": missing}, nil},
	} {
		r := dpQuery(t, e, c.query, c.vars)
		require.NotEmpty(t, r.Errors, "%s: %s", c.query, r.Raw)
		if c.codes != nil {
			require.Equal(t, c.codes, r.ErrorCodes(), "%s", r.Raw)
		}
	}
}
