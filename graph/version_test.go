package graph_test

// Optimistic concurrency (docs/domain.md, "Versions"): every resource but
// the event log has a version, 1 on create and one more per change on every
// path; every mutation that names a record by id takes expectedVersion and
// answers CONFLICT, changing nothing, when the record has another version.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"clientele/ent"
	"clientele/ent/customer"
	"clientele/internal/apperr"
	"clientele/internal/resource"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
)

// vsTypeRef is an introspected type reference.
type vsTypeRef struct {
	Kind   string     `json:"kind"`
	Name   *string    `json:"name"`
	OfType *vsTypeRef `json:"ofType"`
}

// String writes the reference as in SDL (ID!, [String!]).
func (r *vsTypeRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return *r.Name
}

// named returns the named type under NON_NULL and LIST wrappers.
func (r *vsTypeRef) named() *vsTypeRef {
	for r.OfType != nil {
		r = r.OfType
	}
	return r
}

type vsField struct {
	Name string `json:"name"`
	Args []struct {
		Name string    `json:"name"`
		Type vsTypeRef `json:"type"`
	} `json:"args"`
	Type vsTypeRef `json:"type"`
}

type vsType struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Fields      []vsField `json:"fields"`
	InputFields []vsField `json:"inputFields"`
}

const vsTypeRefFragment = `fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

// vsSchema introspects every type of the schema.
func vsSchema(t testing.TB, e *testenv.Env) map[string]*vsType {
	t.Helper()
	r := e.MustDo(t, `{ __schema { types { name kind
		fields { name args { name type { ...R } } type { ...R } }
		inputFields { name type { ...R } } } } } `+vsTypeRefFragment, nil)
	raw, err := json.Marshal(r.Get("__schema.types"))
	require.NoError(t, err)
	var list []*vsType
	require.NoError(t, json.Unmarshal(raw, &list))
	out := map[string]*vsType{}
	for _, typ := range list {
		out[typ.Name] = typ
	}
	return out
}

func (t *vsType) field(name string) *vsField {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return &t.Fields[i]
		}
	}
	return nil
}

func (f *vsField) arg(name string) *vsTypeRef {
	for i := range f.Args {
		if f.Args[i].Name == name {
			return &f.Args[i].Type
		}
	}
	return nil
}

// vsNodeTypes returns the names of the types that implement Node.
func vsNodeTypes(t testing.TB, e *testenv.Env) []string {
	t.Helper()
	r := e.MustDo(t, `{ __type(name: "Node") { possibleTypes { name } } }`, nil)
	var out []string
	for _, p := range r.Get("__type.possibleTypes").([]any) {
		out = append(out, p.(map[string]any)["name"].(string))
	}
	sort.Strings(out)
	require.Greater(t, len(out), 10, r.Raw)
	return out
}

// versionedTypes are the Node types that have a version: all but the event
// log, whose records never change.
func vsVersionedTypes(t testing.TB, e *testenv.Env) []string {
	t.Helper()
	return slices.DeleteFunc(vsNodeTypes(t, e), func(n string) bool { return n == "Event" })
}

// vsVersions returns the version of each record (absent: not found).
func vsVersions(t testing.TB, e *testenv.Env, ids []string) map[string]int {
	t.Helper()
	var frags strings.Builder
	for _, n := range vsVersionedTypes(t, e) {
		fmt.Fprintf(&frags, " ... on %s { version }", n)
	}
	r := e.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id`+frags.String()+` } }`, map[string]any{"ids": ids})
	out := map[string]int{}
	for _, n := range r.Get("nodes").([]any) {
		if m, ok := n.(map[string]any); ok {
			out[m["id"].(string)] = int(m["version"].(float64))
		}
	}
	return out
}

func vsVersion(t testing.TB, e *testenv.Env, id string) int {
	t.Helper()
	v, ok := vsVersions(t, e, []string{id})[id]
	require.True(t, ok, "no record %s", id)
	return v
}

// vsSnapshot is the state the tests compare before and after a refused
// mutation: the id, version and update time of every record of every root
// connection, and the number of events.
func vsSnapshot(t testing.TB, e *testenv.Env, schema map[string]*vsType) string {
	t.Helper()
	var q strings.Builder
	q.WriteString("{ events { totalCount }")
	for _, f := range schema["Query"].Fields {
		conn := f.Type.named()
		node, ok := strings.CutSuffix(*conn.Name, "Connection")
		if !ok || node == "Event" || f.arg("first") == nil {
			continue
		}
		fmt.Fprintf(&q, " %s(first: 100) { pageInfo { hasNextPage } edges { node { id version updatedAt } } }", f.Name)
	}
	q.WriteString(" }")
	r := e.MustDo(t, q.String(), nil)
	require.NotContains(t, r.Raw, `"hasNextPage":true`, "the snapshot must see every record")
	return r.Raw
}

// vsMutation writes the document of a mutation from the schema: every
// argument as a variable, and the payload's record with its id and version.
func vsMutation(schema map[string]*vsType, name string) string {
	f := schema["Mutation"].field(name)
	var decl, args []string
	for _, a := range f.Args {
		decl = append(decl, "$"+a.Name+": "+a.Type.String())
		args = append(args, a.Name+": $"+a.Name)
	}
	var sel []string
	for _, pf := range schema[*f.Type.named().Name].Fields {
		switch {
		case pf.Name == "userErrors":
			sel = append(sel, "userErrors { code field message }")
		case pf.Type.named().Kind == "OBJECT":
			sel = append(sel, pf.Name+" { id version }")
		default:
			sel = append(sel, pf.Name)
		}
	}
	return fmt.Sprintf("mutation(%s) { %s(%s) { %s } }", strings.Join(decl, ", "), name, strings.Join(args, ", "), strings.Join(sel, " "))
}

// vsFixture makes a record the mutation can succeed on and returns its ID
// and the mutation's other arguments.
type vsFixture func(t testing.TB, e *testenv.Env) (string, map[string]any)

func vsCustomer(t testing.TB, e *testenv.Env) string { return lcNewCustomer(t, e) }

func vsOrder(steps ...string) func(t testing.TB, e *testenv.Env) string {
	return func(t testing.TB, e *testenv.Env) string { return lcNewOrder(t, e, lcNewCustomer(t, e), steps...) }
}

func vsReturn(steps ...string) func(t testing.TB, e *testenv.Env) string {
	return func(t testing.TB, e *testenv.Env) string {
		return lcNewReturn(t, e, vsOrder(lcToFulfilled...)(t, e), steps...)
	}
}

func vsOrderSubscription(steps ...string) func(t testing.TB, e *testenv.Env) string {
	return func(t testing.TB, e *testenv.Env) string {
		return lcNewOrderSubscription(t, e, map[string]any{"sourceOrderID": vsOrder(lcToPlaced...)(t, e), "frequency": "weekly"}, steps...)
	}
}

func vsCreated(typ string, input func(t testing.TB, e *testenv.Env) map[string]any) func(t testing.TB, e *testenv.Env) string {
	return func(t testing.TB, e *testenv.Env) string { return lcCreate(t, e, typ, input(t, e)) }
}

var (
	vsGroup   = vsCreated("CustomerGroup", func(testing.TB, *testenv.Env) map[string]any { return map[string]any{"name": "Group"} })
	vsAddress = vsCreated("Address", func(testing.TB, *testenv.Env) map[string]any { return lcAddressInput() })
	vsEntry   = vsCreated("CustomerAddress", func(t testing.TB, e *testenv.Env) map[string]any {
		return map[string]any{"customerID": vsCustomer(t, e), "addressID": vsAddress(t, e)}
	})
	vsWallet = vsCreated("CustomerPaymentSource", func(t testing.TB, e *testenv.Env) map[string]any {
		return map[string]any{"customerID": vsCustomer(t, e), "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"}
	})
	vsNewsletter = vsCreated("CustomerSubscription", func(t testing.TB, e *testenv.Env) map[string]any {
		return map[string]any{"customerID": vsCustomer(t, e), "reference": "newsletter"}
	})
	vsAttachment = vsCreated("Attachment", func(t testing.TB, e *testenv.Env) map[string]any {
		return map[string]any{"customerID": vsCustomer(t, e), "name": "contract.pdf", "url": "https://example.com/c.pdf"}
	})
)

// vsOn makes a fixture of a record maker and the mutation's other arguments.
func vsOn(record func(t testing.TB, e *testenv.Env) string, args map[string]any) vsFixture {
	return func(t testing.TB, e *testenv.Env) (string, map[string]any) { return record(t, e), args }
}

func vsInput(fields map[string]any) map[string]any { return map[string]any{"input": fields} }

var vsMetadata = map[string]any{"metadata": map[string]any{"tier": "gold"}}

// vsFixtures has a fixture for every mutation that names a record by id;
// TestExpectedVersionOnEveryMutation fails for a mutation without one.
var vsFixtures = map[string]vsFixture{
	"updateCustomer":              vsOn(vsCustomer, vsInput(map[string]any{"reference": "crm-1"})),
	"deleteCustomer":              vsOn(vsCustomer, nil),
	"mergeCustomerMetadata":       vsOn(vsCustomer, vsMetadata),
	"updateCustomerGroup":         vsOn(vsGroup, vsInput(map[string]any{"name": "Renamed"})),
	"deleteCustomerGroup":         vsOn(vsGroup, nil),
	"mergeCustomerGroupMetadata":  vsOn(vsGroup, vsMetadata),
	"updateAddress":               vsOn(vsAddress, vsInput(map[string]any{"city": "Milan"})),
	"deleteAddress":               vsOn(vsAddress, nil),
	"updateCustomerAddress":       vsOn(vsEntry, vsInput(map[string]any{"reference": "home"})),
	"deleteCustomerAddress":       vsOn(vsEntry, nil),
	"updateCustomerPaymentSource": vsOn(vsWallet, vsInput(map[string]any{"name": "XXXX-XXXX-XXXX-4242"})),
	"deleteCustomerPaymentSource": vsOn(vsWallet, nil),
	"updateCustomerSubscription":  vsOn(vsNewsletter, vsInput(map[string]any{"referenceOrigin": "footer"})),
	"deleteCustomerSubscription":  vsOn(vsNewsletter, nil),
	"updateAttachment":            vsOn(vsAttachment, vsInput(map[string]any{"description": "signed"})),
	"deleteAttachment":            vsOn(vsAttachment, nil),
	"updateOrder":                 vsOn(vsOrder(), vsInput(map[string]any{"reference": "erp-1"})),
	"deleteOrder":                 vsOn(vsOrder(), nil),
	"mergeOrderMetadata":          vsOn(vsOrder(), vsMetadata),
	"markOrderPending":            vsOn(vsOrder(), nil),
	"placeOrder":                  vsOn(vsOrder(lcToPending...), nil),
	"approveOrder":                vsOn(vsOrder(lcToPlaced...), nil),
	"cancelOrder":                 vsOn(vsOrder(lcToPlaced...), nil),
	"startFulfillingOrder":        vsOn(vsOrder(lcToApproved...), nil),
	"fulfillOrder":                vsOn(vsOrder(lcToInProgress...), nil),
	"updateReturn":                vsOn(vsReturn(), vsInput(map[string]any{"reference": "rma-1"})),
	"deleteReturn":                vsOn(vsReturn(), nil),
	"requestReturn":               vsOn(vsReturn(), nil),
	"approveReturn":               vsOn(vsReturn(lcRetRequested...), nil),
	"cancelReturn":                vsOn(vsReturn(lcRetRequested...), nil),
	"shipReturn":                  vsOn(vsReturn(lcRetApproved...), nil),
	"receiveReturn":               vsOn(vsReturn(lcRetShipped...), nil),
	"rejectReturn":                vsOn(vsReturn(lcRetShipped...), nil),
	"refundReturn":                vsOn(vsReturn(lcRetReceived...), nil),
	"updateOrderSubscription":     vsOn(vsOrderSubscription(), vsInput(map[string]any{"frequency": "daily"})),
	"activateOrderSubscription":   vsOn(vsOrderSubscription("deactivateOrderSubscription"), nil),
	"deactivateOrderSubscription": vsOn(vsOrderSubscription(), nil),
	"cancelOrderSubscription":     vsOn(vsOrderSubscription(), nil),
	"resetCustomerPassword": func(t testing.TB, e *testenv.Env) (string, map[string]any) {
		email := lcUniqueEmail("versioned")
		lcCreateCustomer(t, e, map[string]any{"email": email})
		id, token, _ := lcCreateReset(t, e, email)
		return id, map[string]any{"token": token, "password": "a new password"}
	},
}

// vsIDMutations lists the mutations that take an id.
func vsIDMutations(schema map[string]*vsType) []*vsField {
	var out []*vsField
	for i, f := range schema["Mutation"].Fields {
		if f.arg("id") != nil {
			out = append(out, &schema["Mutation"].Fields[i])
		}
	}
	return out
}

// Every mutation that names a record by id accepts expectedVersion: Int,
// and only those; every Node type but Event has version: Int!; no input
// lets a caller set or filter a version.
func TestVersionInTheSchema(t *testing.T) {
	e := lcNewEnv(t)
	schema := vsSchema(t, e)

	ids := vsIDMutations(schema)
	require.Greater(t, len(ids), 30, "too few mutations with an id: the walk reads the wrong shape")
	for _, f := range schema["Mutation"].Fields {
		ev := f.arg("expectedVersion")
		if f.arg("id") == nil {
			require.Nil(t, ev, "%s names no record by id, so it has nothing to expect a version of", f.Name)
			continue
		}
		require.NotNil(t, ev, "Mutation.%s takes an id but no expectedVersion", f.Name)
		require.Equal(t, "Int", ev.String(), "Mutation.%s(expectedVersion:) must be an optional Int", f.Name)
	}

	for _, n := range vsNodeTypes(t, e) {
		v := schema[n].field("version")
		if n == "Event" {
			require.Nil(t, v, "events never change: they have no version")
			continue
		}
		require.NotNil(t, v, "%s has no version", n)
		require.Equal(t, "Int!", v.Type.String(), "%s.version", n)
	}
	for name, typ := range schema {
		if typ.Kind != "INPUT_OBJECT" {
			continue
		}
		for _, f := range typ.InputFields {
			require.False(t, strings.HasPrefix(f.Name, "version"), "%s.%s: the version is the server's", name, f.Name)
		}
	}
	require.Contains(t, vsEnumValues(t, e, "UserErrorCode"), "CONFLICT")
}

func vsEnumValues(t testing.TB, e *testenv.Env, name string) []string {
	t.Helper()
	r := e.MustDo(t, `query($n: String!) { __type(name: $n) { enumValues { name } } }`, map[string]any{"n": name})
	var out []string
	for _, v := range r.Get("__type.enumValues").([]any) {
		out = append(out, v.(map[string]any)["name"].(string))
	}
	return out
}

// Every mutation that names a record: a stale expectedVersion (one more or
// one less than the record's) answers CONFLICT on expectedVersion and
// changes nothing anywhere, events included; the right one succeeds and
// the record's version grows by one.
func TestExpectedVersionOnEveryMutation(t *testing.T) {
	e := lcNewEnv(t)
	schema := vsSchema(t, e)
	for _, f := range vsIDMutations(schema) {
		t.Run(f.Name, func(t *testing.T) {
			fixture, ok := vsFixtures[f.Name]
			require.True(t, ok, "no fixture for Mutation.%s: add one to vsFixtures", f.Name)
			id, args := fixture(t, e)
			doc := vsMutation(schema, f.Name)
			vars := func(expected int) map[string]any {
				v := map[string]any{"id": id, "expectedVersion": expected}
				for k, a := range args {
					v[k] = a
				}
				return v
			}
			v := vsVersion(t, e, id)
			before := vsSnapshot(t, e, schema)
			stale := []int{v + 1}
			if v > 1 {
				stale = append(stale, v-1)
			}
			for _, s := range stale {
				r := e.Do(t, doc, vars(s))
				lcRequireRefused(t, r, f.Name, "CONFLICT", "expectedVersion")
				require.Equal(t, before, vsSnapshot(t, e, schema), "a refused %s changed something", f.Name)
			}

			r := e.Do(t, doc, vars(v))
			require.Empty(t, r.Errors, r.Raw)
			require.Empty(t, lcUserErrorsOf(t, r, f.Name), r.Raw)
			if strings.HasPrefix(f.Name, "delete") {
				require.Equal(t, id, r.Str(f.Name+".deletedID"), r.Raw)
				require.NotContains(t, vsVersions(t, e, []string{id}), id)
				return
			}
			got, ok := r.Get(f.Name + "." + vsPayloadField(schema, f.Name)).(map[string]any)
			require.True(t, ok, r.Raw)
			require.Equal(t, float64(v+1), got["version"], "the payload shows the new version: %s", r.Raw)
			require.Equal(t, v+1, vsVersion(t, e, id))
		})
	}
}

// vsPayloadField returns the field of a mutation's payload holding the
// record.
func vsPayloadField(schema map[string]*vsType, mutation string) string {
	for _, pf := range schema[*schema["Mutation"].field(mutation).Type.named().Name].Fields {
		if pf.Type.named().Kind == "OBJECT" && pf.Name != "userErrors" {
			return pf.Name
		}
	}
	return ""
}

// vsTracker follows the versions of records through a scenario: after each
// step, every record it knows must have exactly the version it expects, so
// that a step changing a record it should not, or counting a change twice,
// fails.
type vsTracker struct {
	t    *testing.T
	e    *testenv.Env
	want map[string]int
	seen map[string]bool // types covered
}

// add starts following a new record, at version 1.
func (tr *vsTracker) add(id string) string {
	tr.t.Helper()
	tr.want[id] = 1
	tr.check("create " + id)
	return id
}

// step runs a change and expects the records in changed to have one more
// version each, and every other record the same.
func (tr *vsTracker) step(name string, do func(), changed ...string) {
	tr.t.Helper()
	do()
	for _, id := range changed {
		tr.want[id]++
	}
	tr.check(name)
}

func (tr *vsTracker) check(step string) {
	tr.t.Helper()
	ids := make([]string, 0, len(tr.want))
	for id := range tr.want {
		ids = append(ids, id)
	}
	got := vsVersions(tr.t, tr.e, ids)
	for id, v := range tr.want {
		require.Equal(tr.t, v, got[id], "after %s: version of %s", step, id)
		r, ok := resource.ByID(id)
		require.True(tr.t, ok)
		tr.seen[string(r.Name)] = true
	}
}

// The version starts at 1 and grows by exactly one per change of the
// record, on every type and every path: updates, metadata merges,
// transitions, side effects of other changes (an order's placement on its
// customer, an address's name on its address-book entries, a password reset
// on the customer), the ent client used directly (as the CLI and the seed
// do), bulk updates.
func TestVersionCountsEveryChange(t *testing.T) {
	e := lcNewEnv(t)
	tr := &vsTracker{t: t, e: e, want: map[string]int{}, seen: map[string]bool{}}
	must := func(q string, vars map[string]any) func() {
		return func() { e.MustDo(t, q, vars) }
	}
	update := func(typ, id string, in map[string]any) func() {
		return func() { lcUpdate(t, e, typ, id, in) }
	}
	merge := func(typ, id string) func() {
		return func() { lcMerge(t, e, typ, id, map[string]any{"k": id}) }
	}
	move := func(mutation, id string) func() {
		return func() { lcMustTransition(t, e, mutation, id) }
	}

	grp := tr.add(lcCreate(t, e, "CustomerGroup", map[string]any{"name": "VIP"}))
	email := lcUniqueEmail("versions")
	cus := tr.add(lcCreate(t, e, "Customer", map[string]any{"email": email, "customerGroupID": grp}))
	other := tr.add(lcNewCustomer(t, e))
	tr.step("updateCustomer", update("Customer", cus, map[string]any{"reference": "crm-1"}), cus)
	tr.step("mergeCustomerMetadata", merge("Customer", cus), cus)
	tr.step("updateCustomerGroup", update("CustomerGroup", grp, map[string]any{"name": "VIPs"}), grp)
	tr.step("mergeCustomerGroupMetadata", merge("CustomerGroup", grp), grp)

	addr := tr.add(lcCreate(t, e, "Address", lcAddressInput()))
	cad := tr.add(lcCreate(t, e, "CustomerAddress", map[string]any{"customerID": cus, "addressID": addr}))
	tr.step("updateAddress reference", update("Address", addr, map[string]any{"reference": "a-1"}), addr)
	tr.step("updateAddress firstName (copied into the entry's name)", update("Address", addr, map[string]any{"firstName": "Grace"}), addr, cad)
	tr.step("updateCustomerAddress", update("CustomerAddress", cad, map[string]any{"reference": "home"}), cad)

	cps := tr.add(lcCreate(t, e, "CustomerPaymentSource", map[string]any{"customerID": cus, "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"}))
	tr.step("updateCustomerPaymentSource", update("CustomerPaymentSource", cps, map[string]any{"name": "XXXX-XXXX-XXXX-4242"}), cps)
	csb := tr.add(lcCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "newsletter"}))
	tr.step("updateCustomerSubscription", update("CustomerSubscription", csb, map[string]any{"referenceOrigin": "footer"}), csb)
	att := tr.add(lcCreate(t, e, "Attachment", map[string]any{"customerID": cus, "name": "c.pdf", "url": "https://example.com/c.pdf"}))
	tr.step("updateAttachment", update("Attachment", att, map[string]any{"description": "signed"}), att)

	ord := tr.add(lcNewOrder(t, e, cus))
	tr.step("updateOrder", update("Order", ord, map[string]any{"reference": "erp-1"}), ord)
	tr.step("mergeOrderMetadata", merge("Order", ord), ord)
	tr.step("markOrderPending", move("markOrderPending", ord), ord)
	tr.step("placeOrder (the customer is acquired)", move("placeOrder", ord), ord, cus)
	for _, m := range []string{"approveOrder", "startFulfillingOrder", "fulfillOrder"} {
		tr.step(m, move(m, ord), ord)
	}
	ord2 := tr.add(lcNewOrder(t, e, cus))
	tr.step("markOrderPending", move("markOrderPending", ord2), ord2)
	tr.step("placeOrder (the customer repeats)", move("placeOrder", ord2), ord2, cus)
	ord3 := tr.add(lcNewOrder(t, e, cus))
	tr.step("markOrderPending", move("markOrderPending", ord3), ord3)
	tr.step("placeOrder (only the customer's count moves)", move("placeOrder", ord3), ord3, cus)
	tr.step("cancelOrder", move("cancelOrder", ord2), ord2)

	ret := tr.add(lcNewReturn(t, e, ord))
	tr.step("updateReturn", update("Return", ret, map[string]any{"reference": "rma-1"}), ret)
	for _, m := range lcRetRefunded {
		tr.step(m, move(m, ret), ret)
	}
	osb := tr.add(lcNewOrderSubscription(t, e, map[string]any{"sourceOrderID": ord3, "frequency": "weekly"}))
	tr.step("updateOrderSubscription", update("OrderSubscription", osb, map[string]any{"frequency": "daily"}), osb)
	for _, m := range []string{"deactivateOrderSubscription", "activateOrderSubscription", "cancelOrderSubscription"} {
		tr.step(m, move(m, osb), osb)
	}

	reset, token, _ := lcCreateReset(t, e, email)
	tr.add(reset)
	tr.step("resetCustomerPassword (the customer's password changes)",
		must(lcResetMutation, map[string]any{"id": reset, "token": token, "pw": "a new password"}), reset, cus)

	// createOrder naming a new customer by email creates it at version 1.
	r := e.MustDo(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id customer { id version } } } }`,
		map[string]any{"in": map[string]any{"customerEmail": lcUniqueEmail("by-email"), "currencyCode": "EUR"}})
	require.Equal(t, 1, r.Int("createOrder.order.customer.version"), r.Raw)
	tr.add(r.Str("createOrder.order.id"))
	tr.add(r.Str("createOrder.order.customer.id"))

	// The ent client used directly, as the CLI and the seed do.
	ctx := e.Context()
	tr.step("ent UpdateOne", func() {
		require.NoError(t, e.Ent().CustomerGroup.UpdateOneID(grp).SetName("Direct").Exec(ctx))
	}, grp)
	tr.step("ent bulk update", func() {
		n, err := e.Ent().Customer.Update().Where(customer.IDIn(cus, other)).SetReferenceOrigin("bulk").Save(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)
	}, cus, other)
	require.Error(t, e.Ent().Customer.UpdateOneID(cus).SetVersion(99).Exec(ctx), "nobody sets a version by hand")
	require.Error(t, e.Ent().Customer.UpdateOneID(cus).AddVersion(1).Exec(ctx), "nobody sets a version by hand")
	tr.check("refused hand-set versions")

	for _, r := range resource.All() {
		if !r.Log {
			require.True(t, tr.seen[string(r.Name)], "the scenario follows no %s", r.Name)
		}
	}
}

// N writers send the same change with the same expectedVersion at once:
// exactly one wins, the others get CONFLICT, and only the winner's change
// and event are kept. A transition racing the same way loses with CONFLICT,
// not INVALID_TRANSITION: the caller's version is what is stale.
func TestConcurrentWritesWithOneExpectedVersion(t *testing.T) {
	e := lcNewEnv(t)
	const writers = 8
	t.Run("update", func(t *testing.T) {
		grp := lcCreate(t, e, "CustomerGroup", map[string]any{"name": "Race"})
		res := make([]*testenv.Response, writers)
		lcRace(writers, func(i int) {
			res[i] = e.Do(t, `mutation($id: ID!, $v: Int, $in: UpdateCustomerGroupInput!) {
				updateCustomerGroup(id: $id, expectedVersion: $v, input: $in) { customerGroup { id name version } userErrors { code field } } }`,
				map[string]any{"id": grp, "v": 1, "in": map[string]any{"name": fmt.Sprintf("writer %d", i)}})
		})
		winner := ""
		for _, r := range res {
			if lcSucceeded(t, r, "updateCustomerGroup") {
				require.Empty(t, winner, "two writers won")
				winner = r.Str("updateCustomerGroup.customerGroup.name")
				require.Equal(t, 2, r.Int("updateCustomerGroup.customerGroup.version"))
				continue
			}
			lcRequireRefused(t, r, "updateCustomerGroup", "CONFLICT", "expectedVersion")
		}
		require.NotEmpty(t, winner, "one writer must win")
		require.Equal(t, 2, vsVersion(t, e, grp))
		require.Equal(t, winner, lcMustNode(t, e, grp)["name"])
		require.Equal(t, 1, lcCountName(lcEventsOf(t, e, grp), "customer_groups.update"))
	})
	t.Run("transition", func(t *testing.T) {
		cus := lcNewCustomer(t, e)
		ord := lcNewOrder(t, e, cus, lcToPending...)
		res := make([]*testenv.Response, writers)
		lcRace(writers, func(i int) {
			res[i] = e.Do(t, `mutation($id: ID!, $v: Int) { placeOrder(id: $id, expectedVersion: $v) { order { id } userErrors { code field } } }`,
				map[string]any{"id": ord, "v": 2})
		})
		wins := 0
		for _, r := range res {
			if lcSucceeded(t, r, "placeOrder") {
				wins++
				continue
			}
			lcRequireRefused(t, r, "placeOrder", "CONFLICT", "expectedVersion")
		}
		require.Equal(t, 1, wins)
		require.Equal(t, 3, vsVersion(t, e, ord))
		require.Equal(t, 2, vsVersion(t, e, cus), "the customer changed once")
		status, count := lcCustomerState(t, e, cus)
		require.Equal(t, "ACQUIRED", status)
		require.Equal(t, 1, count)
		require.Equal(t, 1, lcCountName(lcEventsOf(t, e, ord), "orders.place"))
	})
}

// The expectation applies to the record the mutation names, not to the
// records its change touches as a side effect, and a missing record stays
// NOT_FOUND whatever the version.
func TestExpectedVersionScope(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	ord := lcNewOrder(t, e, cus, lcToPending...)
	// The customer is at 1, the order at 2: placing with the order's
	// version changes the customer too, unchecked.
	r := e.Do(t, `mutation($id: ID!) { placeOrder(id: $id, expectedVersion: 2) { order { version } userErrors { code } } }`, map[string]any{"id": ord})
	require.True(t, lcSucceeded(t, r, "placeOrder"), r.Raw)
	require.Equal(t, 2, vsVersion(t, e, cus))

	schema := vsSchema(t, e)
	for _, m := range []string{"updateCustomerGroup", "deleteCustomerGroup", "mergeCustomerGroupMetadata"} {
		_, args := vsFixtures[m](t, e)
		vars := map[string]any{"id": "cgr_01JD3Q0000000000000000000", "expectedVersion": 1}
		for k, a := range args {
			vars[k] = a
		}
		lcRequireNotFound(t, e.Do(t, vsMutation(schema, m), vars), m)
	}
}

// A customer token: its own record at a stale version is CONFLICT; someone
// else's record answers NOT_FOUND whatever the version, exactly like a
// missing one (a version says nothing about records one cannot see).
func TestExpectedVersionAsCustomer(t *testing.T) {
	lcEnvMu.Lock()
	e := testenv.New(t, testenv.WithRealAuth())
	lcEnvMu.Unlock()
	admin := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	create := func(email string) string {
		r := e.DoAs(t, admin, `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } } }`, map[string]any{"e": email})
		id := r.Str("createCustomer.customer.id")
		require.NotEmpty(t, id, r.Raw)
		return id
	}
	ann, bob := create(lcUniqueEmail("ann")), create(lcUniqueEmail("bob"))
	token := e.Token(t, e.Credential(t, "sales_channel", "", viewer.Test), ann)
	const q = `mutation($id: ID!, $v: Int) { updateCustomer(id: $id, expectedVersion: $v, input: {reference: "x"}) { customer { version } userErrors { code field } } }`

	lcRequireRefused(t, e.DoAs(t, token, q, map[string]any{"id": ann, "v": 2}), "updateCustomer", "CONFLICT", "expectedVersion")
	for _, v := range []int{1, 2} {
		lcRequireNotFound(t, e.DoAs(t, token, q, map[string]any{"id": bob, "v": v}), "updateCustomer")
	}
	r := e.DoAs(t, token, q, map[string]any{"id": ann, "v": 1})
	require.Equal(t, 2, r.Int("updateCustomer.customer.version"), r.Raw)
}

// The mechanism is the domain's, not GraphQL's: a write through the ent
// client with resource.ExpectVersion in its context (what the REST twin
// does with If-Match) meets the same check.
func TestExpectVersionWithoutGraphQL(t *testing.T) {
	e := lcNewEnv(t)
	grp := lcCreate(t, e, "CustomerGroup", map[string]any{"name": "Plain"})
	c := e.Ent()

	err := c.CustomerGroup.UpdateOneID(grp).SetName("stale").Exec(resource.ExpectVersion(e.Context(), grp, 7))
	require.True(t, apperr.Is(err, apperr.Conflict), "%v", err)
	err = c.CustomerGroup.DeleteOneID(grp).Exec(resource.ExpectVersion(e.Context(), grp, 7))
	require.True(t, apperr.Is(err, apperr.Conflict), "%v", err)
	require.Equal(t, 1, vsVersion(t, e, grp))

	// Inside a transaction, as a transport runs a request: the write
	// applies at the right version, and a second write of the same record
	// in the same context (a hook's) is not checked again.
	tx, err := c.Tx(e.Context())
	require.NoError(t, err)
	ctx := ent.NewTxContext(resource.ExpectVersion(e.Context(), grp, 1), tx)
	require.NoError(t, tx.CustomerGroup.UpdateOneID(grp).SetName("first").Exec(ctx))
	require.NoError(t, tx.CustomerGroup.UpdateOneID(grp).SetName("second").Exec(ctx))
	require.NoError(t, tx.Commit())
	require.Equal(t, 3, vsVersion(t, e, grp))

	err = c.CustomerGroup.DeleteOneID("cgr_01JD3Q0000000000000000000").Exec(resource.ExpectVersion(e.Context(), "cgr_01JD3Q0000000000000000000", 1))
	require.True(t, ent.IsNotFound(err), "a missing record is not a conflict: %v", err)
}

// The check is atomic with the write: a writer that read the record's
// version before a concurrent change committed, and writes after it, still
// answers CONFLICT (the version is part of its UPDATE's WHERE clause). On
// PostgreSQL the second transaction is caught waiting for the first one's
// row lock, after its own read; on SQLite it waits for the write lock
// before it starts.
func TestExpectedVersionAgainstACommitInBetween(t *testing.T) {
	e := lcNewEnv(t)
	grp := lcCreate(t, e, "CustomerGroup", map[string]any{"name": "Held"})
	c := e.Ent()
	tx1, err := c.Tx(e.Context())
	require.NoError(t, err)
	require.NoError(t, tx1.CustomerGroup.UpdateOneID(grp).SetName("first").Exec(ent.NewTxContext(e.Context(), tx1)))

	pid := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		ctx := resource.ExpectVersion(e.Context(), grp, 1)
		tx2, err := c.Tx(ctx)
		if err != nil {
			pid <- 0
			done <- err
			return
		}
		defer func() { _ = tx2.Rollback() }()
		if e.DB.Dialect == dialect.Postgres {
			rows, err := tx2.Client().QueryContext(ctx, "SELECT pg_backend_pid()")
			if err != nil {
				pid <- 0
				done <- err
				return
			}
			var p int
			for rows.Next() {
				_ = rows.Scan(&p)
			}
			rows.Close()
			pid <- p
		}
		done <- tx2.CustomerGroup.UpdateOneID(grp).SetName("second").Exec(ent.NewTxContext(ctx, tx2))
	}()
	if e.DB.Dialect == dialect.Postgres {
		p := <-pid
		require.NotZero(t, p)
		// Wait until the second transaction has read version 1 and
		// waits in its UPDATE for the first one's row lock.
		require.Eventually(t, func() bool {
			var wait *string
			err := e.DB.SQL.QueryRow("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", p).Scan(&wait)
			return err == nil && wait != nil && *wait == "Lock"
		}, 10*time.Second, 5*time.Millisecond)
	}
	require.NoError(t, tx1.Commit())
	err = <-done
	require.True(t, apperr.Is(err, apperr.Conflict), "%v", err)
	require.Equal(t, 2, vsVersion(t, e, grp))
	require.Equal(t, "first", lcMustNode(t, e, grp)["name"])
}
