package graph_test

// The event log: every create, update, delete and transition records an
// event in the same transaction, with the right resource, a growing
// sequence, a payload in the schema's names and no secrets; refused
// mutations record nothing; events cannot be changed.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"clientele/ent/event"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"
)

// lcLowerFirst turns CustomerGroup into customerGroup.
func lcLowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// lcCreate runs create<typ>(input:) and returns the new record's ID.
func lcCreate(t testing.TB, e *testenv.Env, typ string, input map[string]any) string {
	t.Helper()
	pf := lcLowerFirst(typ)
	r := e.MustDo(t, fmt.Sprintf(`mutation($in: Create%sInput!) { create%s(input: $in) { %s { id } userErrors { code field } } }`, typ, typ, pf),
		map[string]any{"in": input})
	id := r.Str("create" + typ + "." + pf + ".id")
	require.NotEmpty(t, id, r.Raw)
	return id
}

// lcUpdate runs update<typ>(id:, input:), which must succeed.
func lcUpdate(t testing.TB, e *testenv.Env, typ, id string, input map[string]any) *testenv.Response {
	t.Helper()
	pf := lcLowerFirst(typ)
	r := e.MustDo(t, fmt.Sprintf(`mutation($id: ID!, $in: Update%sInput!) { update%s(id: $id, input: $in) { %s { id } userErrors { code field } } }`, typ, typ, pf),
		map[string]any{"id": id, "in": input})
	require.Equal(t, id, r.Str("update"+typ+"."+pf+".id"), r.Raw)
	return r
}

// lcDelete runs delete<typ>(id:), which must succeed.
func lcDelete(t testing.TB, e *testenv.Env, typ, id string) {
	t.Helper()
	r := e.MustDo(t, fmt.Sprintf(`mutation($id: ID!) { delete%s(id: $id) { deletedID userErrors { code field } } }`, typ),
		map[string]any{"id": id})
	require.Equal(t, id, r.Str("delete"+typ+".deletedID"), r.Raw)
}

// lcMerge runs merge<typ>Metadata, which must succeed, and returns the
// metadata after it.
func lcMerge(t testing.TB, e *testenv.Env, typ, id string, metadata map[string]any) map[string]any {
	t.Helper()
	pf := lcLowerFirst(typ)
	r := e.MustDo(t, fmt.Sprintf(`mutation($id: ID!, $m: Map!) { merge%sMetadata(id: $id, metadata: $m) { %s { id metadata } userErrors { code field } } }`, typ, pf),
		map[string]any{"id": id, "m": metadata})
	md, ok := r.Get("merge" + typ + "Metadata." + pf + ".metadata").(map[string]any)
	require.True(t, ok, r.Raw)
	return md
}

// lcAddressInput is a valid personal address.
func lcAddressInput() map[string]any {
	return map[string]any{"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Main St", "city": "Rome", "countryCode": "IT", "phone": "+39 06 000000"}
}

// lcCreateReset starts a password reset and returns its ID and token.
func lcCreateReset(t testing.TB, e *testenv.Env, email string) (id, token string, r *testenv.Response) {
	t.Helper()
	r = e.MustDo(t, `mutation($email: String!) { createCustomerPasswordReset(customerEmail: $email) {
		customerPasswordReset { id customerID customerEmail expiresAt resetPasswordAt createdAt updatedAt }
		resetPasswordToken userErrors { code field } } }`, map[string]any{"email": email})
	id = r.Str("createCustomerPasswordReset.customerPasswordReset.id")
	token = r.Str("createCustomerPasswordReset.resetPasswordToken")
	require.NotEmpty(t, id, r.Raw)
	require.NotEmpty(t, token, r.Raw)
	return id, token, r
}

const lcResetMutation = `mutation($id: ID!, $token: String!, $pw: String!) { resetCustomerPassword(id: $id, token: $token, password: $pw) {
	customerPasswordReset { id customerID resetPasswordAt updatedAt } userErrors { code field } } }`

// lcEventWant is an event a scenario must have recorded.
type lcEventWant struct{ name, resourceType, resourceID string }

// lcScenario is a store in which every mutation of the API has run once.
type lcScenario struct {
	e          *testenv.Env
	want       []lcEventWant
	ids        map[string]string
	secrets    []string // passwords and tokens used
	customerID string   // the customer who owns most records
	otherID    string   // a customer who owns one order
}

// lcRunEverything runs every mutation of the API and returns what events
// each must have recorded.
func lcRunEverything(t testing.TB) *lcScenario {
	t.Helper()
	e := lcNewEnv(t)
	s := &lcScenario{e: e, ids: map[string]string{}}
	want := func(name, id string) {
		typ, _, _ := strings.Cut(name, ".")
		s.want = append(s.want, lcEventWant{name, typ, id})
	}
	pw1, pw2 := "first-Secret-9f3a", "second-Secret-7c1e"
	s.secrets = append(s.secrets, pw1, pw2)

	grp := lcCreate(t, e, "CustomerGroup", map[string]any{"name": "VIP", "code": "vip"})
	want("customer_groups.create", grp)
	lcUpdate(t, e, "CustomerGroup", grp, map[string]any{"name": "VIPs"})
	want("customer_groups.update", grp)
	lcMerge(t, e, "CustomerGroup", grp, map[string]any{"tier": "gold"})
	grp2 := lcCreate(t, e, "CustomerGroup", map[string]any{"name": "Temp"})
	lcDelete(t, e, "CustomerGroup", grp2)
	want("customer_groups.destroy", grp2)

	email := lcUniqueEmail("everything")
	cus := lcCreate(t, e, "Customer", map[string]any{"email": email, "password": pw1, "customerGroupID": grp})
	s.customerID = cus
	want("customers.create", cus)
	want("customers.create_password", cus)
	lcUpdate(t, e, "Customer", cus, map[string]any{"reference": "crm-1"})
	want("customers.update", cus)
	lcMerge(t, e, "Customer", cus, map[string]any{"a": 1})
	want("customers.metadata_update", cus)

	addr := lcCreate(t, e, "Address", lcAddressInput())
	want("addresses.create", addr)
	lcUpdate(t, e, "Address", addr, map[string]any{"city": "Milan"})
	want("addresses.update", addr)
	addr2 := lcCreate(t, e, "Address", lcAddressInput())
	lcDelete(t, e, "Address", addr2)
	want("addresses.destroy", addr2)

	cad := lcCreate(t, e, "CustomerAddress", map[string]any{"customerID": cus, "addressID": addr})
	want("customer_addresses.create", cad)
	lcUpdate(t, e, "CustomerAddress", cad, map[string]any{"reference": "home"})
	want("customer_addresses.update", cad)
	lcDelete(t, e, "CustomerAddress", cad)
	want("customer_addresses.destroy", cad)

	cps := lcCreate(t, e, "CustomerPaymentSource", map[string]any{"customerID": cus, "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"})
	want("customer_payment_sources.create", cps)
	lcUpdate(t, e, "CustomerPaymentSource", cps, map[string]any{"name": "XXXX-XXXX-XXXX-4242"})
	want("customer_payment_sources.update", cps)
	lcDelete(t, e, "CustomerPaymentSource", cps)
	want("customer_payment_sources.destroy", cps)

	csb := lcCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "newsletter"})
	want("customer_subscriptions.create", csb)
	lcUpdate(t, e, "CustomerSubscription", csb, map[string]any{"referenceOrigin": "footer"})
	want("customer_subscriptions.update", csb)
	lcDelete(t, e, "CustomerSubscription", csb)
	want("customer_subscriptions.destroy", csb)

	ord := lcNewOrder(t, e, cus)
	s.ids["order"] = ord
	want("orders.create", ord)
	lcUpdate(t, e, "Order", ord, map[string]any{"reference": "erp-1"})
	want("orders.update", ord)
	lcMerge(t, e, "Order", ord, map[string]any{"gift": true})
	for _, m := range lcToFulfilled {
		lcMustTransition(t, e, m, ord)
	}
	for _, a := range []string{"pending", "place", "approve", "start_fulfilling", "fulfill"} {
		want("orders."+a, ord)
	}
	want("customers.acquired", cus)
	ord2 := lcNewOrder(t, e, cus, lcToCancelled...)
	s.ids["order2"] = ord2
	want("orders.cancel", ord2)
	want("customers.repeat", cus)
	ord3 := lcNewOrder(t, e, cus)
	lcDelete(t, e, "Order", ord3)
	want("orders.destroy", ord3)

	ret := lcNewReturn(t, e, ord)
	want("returns.create", ret)
	lcUpdate(t, e, "Return", ret, map[string]any{"reference": "rma-1"})
	want("returns.update", ret)
	lcRunSteps(t, e, ret, lcRetRefunded...)
	for _, a := range []string{"request", "approve", "ship", "receive", "refund"} {
		want("returns."+a, ret)
	}
	ret2 := lcNewReturn(t, e, ord, lcRetCancelled...)
	want("returns.cancel", ret2)
	ret3 := lcNewReturn(t, e, ord, lcRetRejected...)
	want("returns.reject", ret3)
	ret4 := lcNewReturn(t, e, ord)
	lcDelete(t, e, "Return", ret4)
	want("returns.destroy", ret4)

	osb := lcNewOrderSubscription(t, e, map[string]any{"sourceOrderID": ord, "frequency": "weekly"})
	want("order_subscriptions.create", osb)
	lcUpdate(t, e, "OrderSubscription", osb, map[string]any{"frequency": "daily"})
	want("order_subscriptions.update", osb)
	lcRunSteps(t, e, osb, "deactivateOrderSubscription", "activateOrderSubscription", "cancelOrderSubscription")
	for _, a := range []string{"deactivate", "activate", "cancel"} {
		want("order_subscriptions."+a, osb)
	}

	att := lcCreate(t, e, "Attachment", map[string]any{"customerID": cus, "name": "contract.pdf", "url": "https://example.com/c.pdf"})
	want("attachments.create", att)
	lcUpdate(t, e, "Attachment", att, map[string]any{"description": "signed"})
	want("attachments.update", att)
	att2 := lcCreate(t, e, "Attachment", map[string]any{"orderID": ord, "name": "invoice.pdf"})
	lcDelete(t, e, "Attachment", att2)
	want("attachments.destroy", att2)

	reset, token, _ := lcCreateReset(t, e, email)
	s.secrets = append(s.secrets, token)
	want("customer_password_resets.create", reset)
	r := e.MustDo(t, lcResetMutation, map[string]any{"id": reset, "token": token, "pw": pw2})
	require.NotNil(t, r.Get("resetCustomerPassword.customerPasswordReset.resetPasswordAt"), r.Raw)
	want("customer_password_resets.reset_password", reset)
	// A second, unused reset: its token must not leak either.
	_, token2, _ := lcCreateReset(t, e, email)
	s.secrets = append(s.secrets, token2)

	// Metadata set through update is a metadata_update too.
	lcUpdate(t, e, "Customer", cus, map[string]any{"metadata": map[string]any{"b": 2}})

	other := lcNewCustomer(t, e)
	s.otherID = other
	s.ids["otherOrder"] = lcNewOrder(t, e, other, lcToPlaced...)

	gone := lcCreate(t, e, "Customer", map[string]any{"email": lcUniqueEmail("gone")})
	lcDelete(t, e, "Customer", gone)
	want("customers.destroy", gone)

	for k, v := range map[string]string{"group": grp, "customer": cus, "address": addr, "return": ret, "orderSubscription": osb,
		"attachment": att, "reset": reset, "gone": gone, "customerAddress": cad} {
		s.ids[k] = v
	}
	return s
}

func TestEventsOfEveryMutation(t *testing.T) {
	s := lcRunEverything(t)
	e := s.e
	all, raw := lcFetchEvents(t, e, nil)

	t.Run("each mutation recorded its event", func(t *testing.T) {
		for _, w := range s.want {
			t.Run(w.name, func(t *testing.T) {
				found := false
				for _, ev := range all {
					if ev.Name == w.name && ev.ResourceID == w.resourceID {
						found = true
						require.Equal(t, w.resourceType, ev.ResourceType)
						require.Equal(t, "TEST", ev.Mode)
						require.NotNil(t, ev.Payload)
					}
				}
				require.True(t, found, "no %s event for %s; have %v", w.name, w.resourceID, lcNamesOf(lcEventsAbout(all, w.resourceID)))
			})
		}
	})

	t.Run("metadata changes of a customer are metadata_update events", func(t *testing.T) {
		evs := lcEventsAbout(all, s.customerID)
		require.Equal(t, 2, lcCountName(evs, "customers.metadata_update"), lcNamesOf(evs))
		var last lcEvent
		for _, ev := range evs {
			if ev.Name == "customers.metadata_update" {
				last = ev
			}
		}
		require.Equal(t, map[string]any{"b": float64(2)}, last.Payload["metadata"], "the payload carries the new metadata")
	})

	t.Run("transitions happened once each and in order", func(t *testing.T) {
		checkOrder := func(t *testing.T, id string, names ...string) {
			t.Helper()
			evs := lcEventsAbout(all, id)
			got := lcNamesOf(evs)
			prev := -1
			for _, n := range names {
				require.Equal(t, 1, lcCountName(evs, n), "%s: %v", n, got)
				i := lcIndexOf(got, n)
				require.Greater(t, i, prev, "%s out of order: %v", n, got)
				prev = i
			}
		}
		checkOrder(t, s.ids["order"], "orders.create", "orders.pending", "orders.place", "orders.approve", "orders.start_fulfilling", "orders.fulfill")
		checkOrder(t, s.ids["return"], "returns.create", "returns.request", "returns.approve", "returns.ship", "returns.receive", "returns.refund")
		checkOrder(t, s.ids["orderSubscription"], "order_subscriptions.create", "order_subscriptions.deactivate", "order_subscriptions.activate", "order_subscriptions.cancel")
		checkOrder(t, s.ids["customer"], "customers.create", "customers.acquired", "customers.repeat")
		checkOrder(t, s.ids["reset"], "customer_password_resets.create", "customer_password_resets.reset_password")
		checkOrder(t, s.ids["gone"], "customers.create", "customers.destroy")
	})

	t.Run("sequence strictly increases", func(t *testing.T) {
		require.NotEmpty(t, all)
		seen := map[string]bool{}
		for i, ev := range all {
			require.False(t, seen[ev.ID], "event %s listed twice", ev.ID)
			seen[ev.ID] = true
			require.True(t, strings.HasPrefix(ev.ID, "evt_"), ev.ID)
			if i > 0 {
				require.Greater(t, ev.Sequence, all[i-1].Sequence, "sequence must strictly increase")
			}
		}
		// Ordered by sequence descending, the log is the exact reverse.
		r := e.MustDo(t, `{ events(first: 100, orderBy: [{field: SEQUENCE, direction: DESC}]) { edges { node { id sequence } } } }`, nil)
		edges := r.Get("events.edges").([]any)
		for i, edge := range edges {
			require.Equal(t, all[len(all)-1-i].ID, edge.(map[string]any)["node"].(map[string]any)["id"])
		}
	})

	t.Run("resource resolves while the record exists, null once deleted", func(t *testing.T) {
		for key, wantNull := range map[string]bool{"customer": false, "order": false, "gone": true, "customerAddress": true} {
			id := s.ids[key]
			r := e.Do(t, `query($id: String!) { events(first: 100, where: {resourceID: $id}) { edges { node { name resource { id } } } } }`,
				map[string]any{"id": id})
			require.Empty(t, r.Errors, "Event.resource of a %s: %s", key, r.Raw)
			edges, _ := r.Get("events.edges").([]any)
			require.NotEmpty(t, edges, key)
			for _, edge := range edges {
				res := edge.(map[string]any)["node"].(map[string]any)["resource"]
				if wantNull {
					require.Nil(t, res, "the resource of a deleted %s is null", key)
				} else {
					require.Equal(t, id, res.(map[string]any)["id"])
				}
			}
		}
		// The whole log at once: live and deleted records of every type mixed.
		r := e.Do(t, `{ events(first: 100, orderBy: [{field: SEQUENCE}]) { edges { node { resourceID resource { id } } } } }`, nil)
		require.Empty(t, r.Errors, "Event.resource over the whole log: %s", r.Raw)
		gone := map[string]bool{}
		for _, ev := range all {
			if strings.HasSuffix(ev.Name, ".destroy") {
				gone[ev.ResourceID] = true
			}
		}
		for _, edge := range r.Get("events.edges").([]any) {
			n := edge.(map[string]any)["node"].(map[string]any)
			id := n["resourceID"].(string)
			if gone[id] {
				require.Nil(t, n["resource"], "deleted %s", id)
			} else {
				require.NotNil(t, n["resource"], "live %s", id)
				require.Equal(t, id, n["resource"].(map[string]any)["id"])
			}
		}
	})

	t.Run("no secret in any payload", func(t *testing.T) {
		lcRequireNoSecrets(t, all, raw, s.secrets)
	})

	t.Run("payloads read like the schema", func(t *testing.T) {
		lcRequireSchemaPayloads(t, e, all)
	})

	t.Run("filter by name", func(t *testing.T) {
		for _, name := range []string{"orders.place", "customers.create", "customers.destroy", "returns.refund"} {
			evs, _ := lcFetchEvents(t, e, map[string]any{"name": name})
			require.NotEmpty(t, evs, name)
			for _, ev := range evs {
				require.Equal(t, name, ev.Name)
			}
			require.Len(t, evs, lcCountName(all, name))
		}
		evs, _ := lcFetchEvents(t, e, map[string]any{"name": "orders.place"})
		require.Len(t, evs, 3, "three orders were placed")
		evs, _ = lcFetchEvents(t, e, map[string]any{"nameHasPrefix": "returns."})
		for _, ev := range evs {
			require.Equal(t, "returns", ev.ResourceType)
		}
		evs, _ = lcFetchEvents(t, e, map[string]any{"name": "no.such_event"})
		require.Empty(t, evs)
	})

	t.Run("filter by resourceID", func(t *testing.T) {
		for _, key := range []string{"order", "customer", "return", "gone"} {
			id := s.ids[key]
			evs, _ := lcFetchEvents(t, e, map[string]any{"resourceID": id})
			require.Equal(t, lcEventsAbout(all, id), evs, key)
		}
		evs, _ := lcFetchEvents(t, e, map[string]any{"resourceID": s.ids["order2"], "name": "orders.cancel"})
		require.Len(t, evs, 1)
		evs, _ = lcFetchEvents(t, e, map[string]any{"resourceID": "ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"})
		require.Empty(t, evs)
	})

	t.Run("filter by createdAt", func(t *testing.T) {
		pivot := all[len(all)/2]
		at := pivot.CreatedAt
		after, _ := lcFetchEvents(t, e, map[string]any{"createdAtGTE": at})
		before, _ := lcFetchEvents(t, e, map[string]any{"createdAtLT": at})
		require.Equal(t, len(all), len(after)+len(before), "GTE and LT split the log")
		require.Contains(t, lcIDsOf(after), pivot.ID)
		require.NotContains(t, lcIDsOf(before), pivot.ID)
		pt := lcParseTime(t, at)
		for _, ev := range after {
			require.False(t, lcParseTime(t, ev.CreatedAt).Before(pt), "%s is before %s", ev.CreatedAt, at)
		}
		for _, ev := range before {
			require.True(t, lcParseTime(t, ev.CreatedAt).Before(pt), "%s is not before %s", ev.CreatedAt, at)
		}
		// createdAt is shown to the millisecond: just after the first event's
		// millisecond is after the first event.
		justAfter := lcParseTime(t, all[0].CreatedAt).Add(time.Millisecond).Format(time.RFC3339Nano)
		first, _ := lcFetchEvents(t, e, map[string]any{"createdAtLT": justAfter})
		require.Contains(t, lcIDsOf(first), all[0].ID)
		none, _ := lcFetchEvents(t, e, map[string]any{"createdAtGT": time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)})
		require.Empty(t, none)
		none, _ = lcFetchEvents(t, e, map[string]any{"createdAtLT": "2000-01-01T00:00:00.000Z"})
		require.Empty(t, none)
		everything, _ := lcFetchEvents(t, e, map[string]any{"createdAtGT": "2000-01-01T00:00:00.000Z"})
		require.Len(t, everything, len(all))
	})

	t.Run("Customer.events lists the customer's and its records' events", func(t *testing.T) {
		evs := lcCustomerEvents(t, e, s.ids["customer"])
		ids := map[string]bool{}
		for _, ev := range evs {
			ids[ev.ResourceID] = true
			require.NotEqual(t, s.otherID, ev.ResourceID, "another customer's event")
			require.NotEqual(t, s.ids["otherOrder"], ev.ResourceID, "another customer's order")
			require.NotEqual(t, s.ids["group"], ev.ResourceID, "a group is not the customer's")
		}
		for _, key := range []string{"customer", "order", "order2", "return", "orderSubscription", "attachment", "reset", "customerAddress"} {
			require.True(t, ids[s.ids[key]], "Customer.events misses the events of the %s", key)
		}
		for _, w := range s.want {
			if w.resourceID == s.ids["customer"] || w.resourceID == s.ids["order"] || w.resourceID == s.ids["return"] {
				require.Contains(t, lcNamesOf(lcEventsAbout(evs, w.resourceID)), w.name)
			}
		}
		other := lcCustomerEvents(t, e, s.otherID)
		for _, ev := range other {
			require.Contains(t, []string{s.otherID, s.ids["otherOrder"]}, ev.ResourceID)
		}
		require.Contains(t, lcNamesOf(other), "orders.place")
		require.Contains(t, lcNamesOf(other), "customers.acquired")
		// The connection filters too.
		r := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { events(first: 100, where: {name: "orders.place"}) { totalCount edges { node { name } } } } } }`,
			map[string]any{"id": s.ids["customer"]})
		require.Equal(t, 2, r.Int("node.events.totalCount"))
	})

	t.Run("a record's events connection lists its events", func(t *testing.T) {
		r := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { events(first: 100) { totalCount edges { node { name resourceID } } } } } }`,
			map[string]any{"id": s.ids["order"]})
		require.Equal(t, len(lcEventsAbout(all, s.ids["order"])), r.Int("node.events.totalCount"))
	})
}

// lcCustomerEvents reads Customer.events.
func lcCustomerEvents(t testing.TB, e *testenv.Env, id string) []lcEvent {
	t.Helper()
	r := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { events(first: 100) { totalCount edges { node { id name resourceID resourceType sequence } } } } } }`,
		map[string]any{"id": id})
	edges, _ := r.Get("node.events.edges").([]any)
	require.Len(t, edges, r.Int("node.events.totalCount"), "the test expects one page")
	var out []lcEvent
	for _, edge := range edges {
		n := edge.(map[string]any)["node"].(map[string]any)
		out = append(out, lcEvent{ID: n["id"].(string), Name: n["name"].(string), ResourceID: n["resourceID"].(string), ResourceType: n["resourceType"].(string)})
	}
	return out
}

func lcEventsAbout(all []lcEvent, resourceID string) []lcEvent {
	var out []lcEvent
	for _, ev := range all {
		if ev.ResourceID == resourceID {
			out = append(out, ev)
		}
	}
	return out
}

func lcIDsOf(evs []lcEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// lcRequireNoSecrets checks that no event carries a password, a password
// hash, a reset token or a token's hash.
func lcRequireNoSecrets(t testing.TB, all []lcEvent, raw string, secrets []string) {
	t.Helper()
	forbidden := []string{"$argon2id$", "argon2id", "$2a$", "$2b$"}
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		forbidden = append(forbidden, s, hex.EncodeToString(sum[:]))
	}
	for _, f := range forbidden {
		require.NotContains(t, raw, f, "the event log leaks a secret")
	}
	require.NotEmpty(t, all)
}

// lcGraphQLTypes maps the plural resource types to their GraphQL types.
var lcGraphQLTypes = map[string]string{
	"customers": "Customer", "customer_groups": "CustomerGroup", "addresses": "Address",
	"customer_addresses": "CustomerAddress", "customer_payment_sources": "CustomerPaymentSource",
	"customer_subscriptions": "CustomerSubscription", "orders": "Order", "order_subscriptions": "OrderSubscription",
	"returns": "Return", "attachments": "Attachment", "customer_password_resets": "CustomerPasswordReset",
}

// lcTimeFormat is how the Time scalar writes times: UTC, milliseconds.
var lcTimeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// lcRequireSchemaPayloads checks that every payload key is a field of the
// resource's GraphQL type (customerGroupID, totalOrdersCount: no column
// names) and every time in a payload is written as the Time scalar writes
// it.
func lcRequireSchemaPayloads(t *testing.T, e *testenv.Env, all []lcEvent) {
	t.Helper()
	types := map[string]map[string]string{}
	fieldsOf := func(typ string) map[string]string {
		if f, ok := types[typ]; ok {
			return f
		}
		r := e.MustDo(t, `query($n: String!) { __type(name: $n) { fields { name type { name kind ofType { name kind ofType { name } } } } } }`,
			map[string]any{"n": typ})
		f := map[string]string{}
		for _, x := range r.Get("__type.fields").([]any) {
			m := x.(map[string]any)
			// The named type under NON_NULL and LIST wrappers.
			tp := m["type"].(map[string]any)
			for tp["name"] == nil && tp["ofType"] != nil {
				tp = tp["ofType"].(map[string]any)
			}
			name, _ := tp["name"].(string)
			f[m["name"].(string)] = name
		}
		types[typ] = f
		return f
	}
	checked := map[string]bool{}
	for _, ev := range all {
		typ, ok := lcGraphQLTypes[ev.ResourceType]
		require.True(t, ok, "unknown resource type %s", ev.ResourceType)
		fields := fieldsOf(typ)
		for k, v := range ev.Payload {
			require.Contains(t, fields, k, "%s: payload key %q is not a field of %s", ev.Name, k, typ)
			checked[fields[k]] = true
			if fields[k] == "Time" && v != nil {
				s, ok := v.(string)
				require.True(t, ok && lcTimeFormat.MatchString(s), "%s: %s is %v, not a Time", ev.Name, k, v)
			}
		}
	}
	require.True(t, checked["Time"], "the scenario sets times (an expiry, stamps)")
	require.True(t, checked["ID"], "the scenario sets references to other records")
}

func TestNoEventAfterRefusedMutation(t *testing.T) {
	e := lcNewEnv(t)
	taken := lcUniqueEmail("taken")
	cus := lcCreate(t, e, "Customer", map[string]any{"email": taken})
	other := lcNewCustomer(t, e)
	draft := lcNewOrder(t, e, cus)
	placed := lcNewOrder(t, e, cus, lcToPlaced...)
	lcCreate(t, e, "CustomerGroup", map[string]any{"name": "VIP", "code": "vip"})
	reset, token, _ := lcCreateReset(t, e, taken)

	tests := []struct {
		name, mutation, query string
		vars                  map[string]any
		code                  string
	}{
		{"createCustomer with an invalid email", "createCustomer", `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"email": "not-an-email"}}, "INVALID"},
		{"createCustomer with a taken email", "createCustomer", `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"email": " " + strings.ToUpper(taken)}}, "TAKEN"},
		{"createCustomer with a short password", "createCustomer", `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"email": lcUniqueEmail("short"), "password": "short"}}, "INVALID"},
		{"updateCustomer to a taken email", "updateCustomer", `mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"id": other, "in": map[string]any{"email": taken}}, "TAKEN"},
		{"updateCustomer of an unknown customer", "updateCustomer", `mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) { customer { id } userErrors { code field } } }`,
			map[string]any{"id": "cus_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", "in": map[string]any{"reference": "x"}}, "NOT_FOUND"},
		{"mergeCustomerMetadata of an unknown customer", "mergeCustomerMetadata", `mutation($id: ID!) { mergeCustomerMetadata(id: $id, metadata: {a: 1}) { customer { id } userErrors { code field } } }`,
			map[string]any{"id": "cus_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"}, "NOT_FOUND"},
		{"createCustomerGroup with a taken code", "createCustomerGroup", `mutation($in: CreateCustomerGroupInput!) { createCustomerGroup(input: $in) { customerGroup { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"name": "Other", "code": "vip"}}, "TAKEN"},
		{"createOrder for an unknown customer", "createOrder", `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": "cus_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", "currencyCode": "EUR"}}, "NOT_FOUND"},
		{"placeOrder of a draft", "placeOrder", `mutation($id: ID!) { placeOrder(id: $id) { order { id } userErrors { code field } } }`,
			map[string]any{"id": draft}, "INVALID_TRANSITION"},
		{"placeOrder of a placed order", "placeOrder", `mutation($id: ID!) { placeOrder(id: $id) { order { id } userErrors { code field } } }`,
			map[string]any{"id": placed}, "INVALID_TRANSITION"},
		{"deleteOrder of a placed order", "deleteOrder", `mutation($id: ID!) { deleteOrder(id: $id) { deletedID userErrors { code field } } }`,
			map[string]any{"id": placed}, "LOCKED"},
		{"deleteCustomer with a placed order", "deleteCustomer", `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code field } } }`,
			map[string]any{"id": cus}, "LOCKED"},
		{"createReturn for an unfulfilled order", "createReturn", `mutation($in: CreateReturnInput!) { createReturn(input: $in) { return { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"orderID": placed}}, "INVALID"},
		{"createOrderSubscription with a per-minute frequency", "createOrderSubscription", `mutation($in: CreateOrderSubscriptionInput!) { createOrderSubscription(input: $in) { orderSubscription { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"sourceOrderID": placed, "frequency": "*/5 * * * *"}}, "INVALID"},
		{"createCustomerAddress with an unknown address", "createCustomerAddress", `mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"customerID": cus, "addressID": "adr_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"}}, "NOT_FOUND"},
		{"createAttachment without a parent", "createAttachment", `mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"name": "orphan.pdf"}}, "INVALID"},
		{"createCustomerPasswordReset for an unknown email", "createCustomerPasswordReset", `mutation { createCustomerPasswordReset(customerEmail: "nobody@example.com") { customerPasswordReset { id } resetPasswordToken userErrors { code field } } }`,
			nil, "NOT_FOUND"},
		{"resetCustomerPassword with a wrong token", "resetCustomerPassword", lcResetMutation,
			map[string]any{"id": reset, "token": "wrong-" + token, "pw": "a-good-password"}, "INVALID"},
		{"resetCustomerPassword with a short password", "resetCustomerPassword", lcResetMutation,
			map[string]any{"id": reset, "token": token, "pw": "short"}, "INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := lcEventCount(t, e, nil)
			last := lcLastSequence(t, e)
			r := e.Do(t, tc.query, tc.vars)
			if tc.code == "NOT_FOUND" {
				lcRequireNotFound(t, r, tc.mutation)
			} else {
				lcRequireRefused(t, r, tc.mutation, tc.code)
			}
			require.Equal(t, before, lcEventCount(t, e, nil), "a refused mutation records no event")
			require.Equal(t, last, lcLastSequence(t, e))
		})
	}
	// The next accepted mutation records its event as usual.
	lcMustTransition(t, e, "markOrderPending", draft)
	require.Equal(t, "orders.pending", lcLastEvent(t, e).Name)
}

// lcLastEvent returns the newest event.
func lcLastEvent(t testing.TB, e *testenv.Env) lcEvent {
	t.Helper()
	r := e.MustDo(t, `{ events(first: 1, orderBy: [{field: SEQUENCE, direction: DESC}]) { edges { node { id name sequence } } } }`, nil)
	n, _ := r.Get("events.edges.0.node").(map[string]any)
	require.NotNil(t, n, r.Raw)
	return lcEvent{ID: n["id"].(string), Name: n["name"].(string), Sequence: int64(n["sequence"].(float64))}
}

func lcLastSequence(t testing.TB, e *testenv.Env) int64 {
	t.Helper()
	return lcLastEvent(t, e).Sequence
}

func TestEventsAreImmutable(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	ev := lcEventsOf(t, e, cus)[0]

	t.Run("the API has no mutation for events", func(t *testing.T) {
		for _, f := range lcTypeFields(t, e, "Mutation") {
			require.NotContains(t, strings.ToLower(f), "event", "mutation %s touches events", f)
		}
		for _, typ := range []string{"CreateEventInput", "UpdateEventInput"} {
			r := e.MustDo(t, `query($n: String!) { __type(name: $n) { name } }`, map[string]any{"n": typ})
			require.Nil(t, r.Get("__type"), "%s must not exist", typ)
		}
		r := e.Do(t, `mutation($id: ID!) { deleteEvent(id: $id) { deletedID } }`, map[string]any{"id": ev.ID})
		require.Contains(t, r.ErrorCodes(), "GRAPHQL_VALIDATION_FAILED")
	})

	t.Run("the data layer refuses to change or delete an event", func(t *testing.T) {
		ctx := e.Context()
		err := e.Ent().Event.UpdateOneID(ev.ID).SetUpdatedAt(time.Now().Add(time.Hour)).
			Modify(func(u *sql.UpdateBuilder) { u.Set("name", "tampered.name") }).Exec(ctx)
		require.Error(t, err)
		err = e.Ent().Event.DeleteOneID(ev.ID).Exec(ctx)
		require.Error(t, err)
		_, err = e.Ent().Event.Delete().Exec(ctx)
		require.Error(t, err)
		got := lcEventsOf(t, e, cus)
		require.NotEmpty(t, got)
		require.Equal(t, ev, got[0], "the event is unchanged")
	})
}

// A record's events connection, read in a batch for a whole list, answers
// exactly as the root events connection filtered to that record: the same
// edges, cursors, pageInfo and totalCount, for every kind of argument.
func TestRecordEventsMatchTheLog(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	var orders []string
	for i, steps := range [][]string{lcToFulfilled, lcToCancelled, {"markOrderPending"}, nil} {
		ord := lcNewOrder(t, e, cus, steps...)
		for j := 0; j < i; j++ {
			lcMerge(t, e, "Order", ord, map[string]any{"n": j})
		}
		orders = append(orders, ord)
	}
	const conn = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name sequence resourceID } }`
	// A cursor in the middle of the first order's events.
	r := e.MustDo(t, `query($id: String!) { events(first: 3, where: {resourceID: $id}) { edges { cursor } } }`, map[string]any{"id": orders[0]})
	mid := r.Str("events.edges.2.cursor")
	require.NotEmpty(t, mid)
	for _, tc := range []struct {
		name string
		args map[string]any
	}{
		{"first", map[string]any{"first": 2}},
		{"first, more than there are", map[string]any{"first": 100}},
		{"first 0", map[string]any{"first": 0}},
		{"last", map[string]any{"last": 2}},
		{"after", map[string]any{"first": 2, "after": mid}},
		{"before", map[string]any{"last": 2, "before": mid}},
		{"by sequence, descending", map[string]any{"first": 3, "orderBy": []any{map[string]any{"field": "SEQUENCE", "direction": "DESC"}}}},
		{"by name then createdAt", map[string]any{"first": 4, "orderBy": []any{map[string]any{"field": "NAME"}, map[string]any{"field": "CREATED_AT", "direction": "DESC"}}}},
		{"last by name", map[string]any{"last": 2, "orderBy": []any{map[string]any{"field": "NAME", "direction": "DESC"}}}},
		{"where", map[string]any{"first": 5, "where": map[string]any{"nameHasPrefix": "orders.m"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any{"ids": orders}
			for k, v := range tc.args {
				vars[k] = v
			}
			q := `query($ids: [ID!]!, $first: Int, $last: Int, $after: Cursor, $before: Cursor, $orderBy: [EventOrder!], $where: EventWhereInput) {
				nodes(ids: $ids) { id ... on Order { events(first: $first, last: $last, after: $after, before: $before, orderBy: $orderBy, where: $where) { ` + conn + ` } } } }`
			if tc.args["first"] == nil && tc.args["last"] == nil {
				q = strings.Replace(q, "first: $first, last: $last, ", "", 1)
			}
			batched := e.MustDo(t, q, vars)
			for i, ord := range orders {
				where := map[string]any{"resourceID": ord}
				if w, ok := tc.args["where"].(map[string]any); ok {
					where = map[string]any{"and": []any{where, w}}
				}
				v := map[string]any{"where": where}
				for _, k := range []string{"first", "last", "after", "before", "orderBy"} {
					if x, ok := tc.args[k]; ok {
						v[k] = x
					}
				}
				root := e.MustDo(t, `query($first: Int, $last: Int, $after: Cursor, $before: Cursor, $orderBy: [EventOrder!], $where: EventWhereInput) {
					events(first: $first, last: $last, after: $after, before: $before, orderBy: $orderBy, where: $where) { `+conn+` } }`, v)
				require.Equal(t, root.Get("events"), batched.Get(fmt.Sprintf("nodes.%d.events", i)), "order %d", i)
			}
		})
	}
}

// TestEdgeChangesAreRecorded checks that changing an edge without a field
// of its own (a customer's group) records an update whose payload names
// the edge, with the new ID or null, and that deleting a group records the
// change of each member.
func TestEdgeChangesAreRecorded(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	grp := vsGroup(t, e)
	payload := func() (string, map[string]any) {
		r := e.MustDo(t, `{ events(first: 1, orderBy: [{field: SEQUENCE, direction: DESC}]) { edges { node { name resourceID payload } } } }`, nil)
		n := r.Get("events.edges.0.node").(map[string]any)
		require.Equal(t, cus, n["resourceID"], r.Raw)
		p, _ := n["payload"].(map[string]any)
		return n["name"].(string), p
	}
	lcUpdate(t, e, "Customer", cus, map[string]any{"customerGroupID": grp})
	name, p := payload()
	require.Equal(t, "customers.update", name)
	require.Equal(t, map[string]any{"customerGroup": grp}, p)

	lcUpdate(t, e, "Customer", cus, map[string]any{"clearCustomerGroup": true})
	name, p = payload()
	require.Equal(t, "customers.update", name)
	require.Equal(t, map[string]any{"customerGroup": nil}, p)

	lcUpdate(t, e, "Customer", cus, map[string]any{"customerGroupID": grp})
	lcDelete(t, e, "CustomerGroup", grp)
	evs, err := e.Ent().Event.Query().Where(event.ResourceID(cus)).Order(event.BySequence()).All(viewer.Elevated(t.Context()))
	require.NoError(t, err)
	last := evs[len(evs)-1]
	require.Equal(t, "customers.update", last.Name)
	require.Equal(t, map[string]any{"customerGroup": nil}, presentedPayload(t, e, last.ID))
}

func presentedPayload(t testing.TB, e *testenv.Env, id string) map[string]any {
	t.Helper()
	r := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Event { payload } } }`, map[string]any{"id": id})
	p, _ := r.Get("node.payload").(map[string]any)
	return p
}
