package rest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCustomerTokenSeesOnlyItsOwn(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	ann, annOrder := a.customerWithOrder("ann@example.com")
	bob, bobOrder := a.customerWithOrder("bob@example.com")

	e.As = asCustomer(ann)
	r := a.must(200, "GET", "/api/customers", nil)
	require.Equal(t, []string{ann}, ids(r))
	require.Equal(t, 1, r.Int("meta.record_count"))
	require.Equal(t, []string{annOrder}, ids(a.must(200, "GET", "/api/orders", nil)))
	a.must(200, "GET", "/api/customers/"+ann+"?include=orders", nil)
	a.must(200, "GET", "/api/customers/"+ann+"/orders", nil)

	// Someone else's record answers exactly like a missing one.
	missing := "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for _, path := range []string{"/api/customers/" + bob, "/api/orders/" + bobOrder, "/api/customers/" + bob + "/orders",
		"/api/customers/" + bob + "/relationships/orders", "/api/orders/" + bobOrder + "/customer", "/api/customers/" + missing} {
		r := a.must(404, "GET", path, nil)
		require.Equal(t, "NOT_FOUND", r.code(), path)
		require.Equal(t, "Could not find a record with this ID.", r.Str("errors.0.title"), path)
	}
	notMine := a.must(404, "PATCH", "/api/customers/"+bob, doc("customers", bob, map[string]any{"reference": "x"}, nil))
	absent := a.must(404, "PATCH", "/api/customers/"+missing, doc("customers", missing, map[string]any{"reference": "x"}, nil))
	require.Equal(t, absent.Body, notMine.Body)
	a.must(404, "DELETE", "/api/customers/"+bob, nil)
	a.must(404, "PATCH", "/api/orders/"+bobOrder, doc("orders", bobOrder, map[string]any{"_pending": true}, nil))
	r = a.must(404, "POST", "/api/orders", doc("orders", "", map[string]any{"currency_code": "EUR"}, map[string]any{"customer": ref("customers", bob)}))
	require.Equal(t, "/data/relationships/customer", r.Str("errors.0.source.pointer"))

	// Its own: update, its moves (pending, place), not the store's.
	a.must(200, "PATCH", "/api/customers/"+ann, doc("customers", ann, map[string]any{"reference": "mine"}, nil))
	a.must(200, "PATCH", "/api/orders/"+annOrder, doc("orders", annOrder, map[string]any{"_pending": true}, nil))
	a.must(200, "PATCH", "/api/orders/"+annOrder, doc("orders", annOrder, map[string]any{"_place": true}, nil))
	r = a.must(403, "PATCH", "/api/orders/"+annOrder, doc("orders", annOrder, map[string]any{"_approve": true}, nil))
	require.Equal(t, "FORBIDDEN", r.code())
	r = a.must(403, "POST", "/api/customer_groups", doc("customer_groups", "", map[string]any{"name": "mine"}, nil))
	require.Equal(t, "FORBIDDEN", r.code())

	e.As = admin
	require.Equal(t, "placed", a.get("/api/orders/"+annOrder).Str("data.attributes.status"))
	require.Equal(t, "acquired", a.get("/api/customers/"+ann).Str("data.attributes.status"))
	require.Equal(t, "prospect", a.get("/api/customers/"+bob).Str("data.attributes.status"))
	require.Equal(t, "draft", a.get("/api/orders/"+bobOrder).Str("data.attributes.status"))
}

func TestCallersByKind(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	cid, _ := a.customerWithOrder("ann@example.com")

	e.As = nil
	for _, req := range [][2]string{{"GET", "/api/customers"}, {"GET", "/api/customers/" + cid}, {"DELETE", "/api/customers/" + cid}} {
		r := a.must(401, req[0], req[1], nil)
		require.Equal(t, "UNAUTHENTICATED", r.code())
	}
	r := a.must(401, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "x@example.com"}, nil))
	require.Equal(t, "UNAUTHENTICATED", r.code())

	e.As = readOnly
	a.must(200, "GET", "/api/customers/"+cid, nil)
	a.must(200, "GET", "/api/customers?include=orders", nil)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/customers", doc("customers", "", map[string]any{"email": "x@example.com"}, nil)},
		{"PATCH", "/api/customers/" + cid, doc("customers", cid, map[string]any{"reference": "x"}, nil)},
		{"DELETE", "/api/customers/" + cid, nil},
		// Refused before the body is even read.
		{"POST", "/api/customers", map[string]any{"junk": true}},
	} {
		r := a.must(403, c.method, c.path, c.body)
		require.Equal(t, "FORBIDDEN", r.code())
		require.Equal(t, "This credential is read-only.", r.Str("errors.0.title"))
	}

	// An anonymous storefront creates customers and reads nothing.
	e.As = shop
	r = a.must(201, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "new@example.com", "password": "correct horse"}, nil))
	require.Equal(t, "new@example.com", r.Str("data.attributes.email"))
	// It may not read what it created: the include is left out.
	r = a.must(201, "POST", "/api/customers?include=orders", doc("customers", "", map[string]any{"email": "new2@example.com"}, nil))
	require.Empty(t, r.Get("included"))
	r = a.must(403, "GET", "/api/customers", nil)
	require.Equal(t, "FORBIDDEN", r.code())
	r = a.must(404, "GET", "/api/customers/"+cid, nil)
	require.Equal(t, "NOT_FOUND", r.code())
	r = a.must(403, "PATCH", "/api/customers/"+cid, doc("customers", cid, map[string]any{"reference": "x"}, nil))
	require.Equal(t, "FORBIDDEN", r.code())
	r = a.must(403, "POST", "/api/customer_groups", doc("customer_groups", "", map[string]any{"name": "x"}, nil))
	require.Equal(t, "FORBIDDEN", r.code())
}

func TestModesAreIsolated(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	cid, oid := a.customerWithOrder("ann@example.com")

	e.As = liveAdm
	require.Equal(t, 0, a.must(200, "GET", "/api/customers", nil).Int("meta.record_count"))
	a.must(404, "GET", "/api/customers/"+cid, nil)
	a.must(404, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"_pending": true}, nil))
	a.must(404, "DELETE", "/api/customers/"+cid, nil)
	r := a.must(404, "POST", "/api/orders", doc("orders", "", map[string]any{"currency_code": "EUR"}, map[string]any{"customer": ref("customers", cid)}))
	require.Equal(t, "/data/relationships/customer", r.Str("errors.0.source.pointer"))
	// Uniqueness is per mode.
	r = a.must(201, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "ann@example.com"}, nil))
	require.Equal(t, "live", r.Str("data.meta.mode"))
	require.Equal(t, 0, a.must(200, "GET", "/api/events?filter[q][resource_id_eq]="+cid, nil).Int("meta.record_count"))

	e.As = admin
	require.Equal(t, 1, a.must(200, "GET", "/api/customers", nil).Int("meta.record_count"))
	require.Equal(t, "draft", a.get("/api/orders/"+oid).Str("data.attributes.status"))
}

// Orders, returns and order subscriptions move through their state
// machines by PATCH triggers, each the update GraphQL's mutation makes.
func TestTransitions(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	cid, oid := a.customerWithOrder("ann@example.com")
	patch := func(typ, id string, attrs map[string]any) *resp {
		return a.must(http.StatusOK, "PATCH", "/api/"+typ+"/"+id, doc(typ, id, attrs, nil))
	}
	for _, tr := range []struct{ trigger, field, want string }{
		{"_pending", "status", "pending"}, {"_place", "status", "placed"}, {"_approve", "status", "approved"},
		{"_start_fulfilling", "fulfillment_status", "in_progress"}, {"_fulfill", "fulfillment_status", "fulfilled"},
	} {
		r := patch("orders", oid, map[string]any{tr.trigger: true})
		require.Equal(t, tr.want, r.Str("data.attributes."+tr.field), tr.trigger)
	}
	r := a.get("/api/orders/" + oid)
	require.Equal(t, "paid", r.Str("data.attributes.payment_status"))
	require.NotNil(t, r.Get("data.attributes.placed_at"))
	r = a.must(422, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"_cancel": true}, nil))
	require.Equal(t, "INVALID_TRANSITION", r.code())
	// A false trigger fires nothing; attributes and a trigger go together.
	r = patch("orders", oid, map[string]any{"_cancel": false, "reference": "R-1"})
	require.Equal(t, "approved", r.Str("data.attributes.status"))

	ret := a.create("returns", map[string]any{"skus_count": 1, "estimated_refund_amount_cents": 500}, map[string]any{"order": ref("orders", oid)})
	for _, tr := range []struct{ trigger, want string }{{"_request", "requested"}, {"_approve", "approved"}, {"_ship", "shipped"}, {"_receive", "received"}, {"_refund", "refunded"}} {
		require.Equal(t, tr.want, patch("returns", ret, map[string]any{tr.trigger: true}).Str("data.attributes.status"), tr.trigger)
	}
	r = a.must(422, "PATCH", "/api/returns/"+ret, doc("returns", ret, map[string]any{"_reject": true}, nil))
	require.Equal(t, "INVALID_TRANSITION", r.code())
	r = a.must(422, "POST", "/api/returns", doc("returns", "", map[string]any{"estimated_refund_amount_cents": 600}, map[string]any{"order": ref("orders", oid)}))
	require.Equal(t, "INVALID", r.code(), r.Raw)

	sub := a.create("order_subscriptions", map[string]any{"frequency": "monthly"}, map[string]any{"source_order": ref("orders", oid)})
	r = a.get("/api/order_subscriptions/" + sub + "?include=customer,source_order")
	require.Equal(t, cid, r.Str("data.relationships.customer.data.id"))
	require.Equal(t, oid, r.Str("data.relationships.source_order.data.id"))
	require.Equal(t, "active", r.Str("data.attributes.status"), "activated by its placed source order")
	for _, tr := range []struct{ trigger, want string }{{"_deactivate", "inactive"}, {"_activate", "active"}, {"_cancel", "cancelled"}} {
		require.Equal(t, tr.want, patch("order_subscriptions", sub, map[string]any{tr.trigger: true}).Str("data.attributes.status"), tr.trigger)
	}
	a.must(405, "DELETE", "/api/order_subscriptions/"+sub, nil)

	var names []string
	for _, ev := range a.get("/api/customers/" + cid + "/events?sort=sequence&page[size]=25").Get("data").([]any) {
		names = append(names, ev.(map[string]any)["attributes"].(map[string]any)["name"].(string))
	}
	require.Subset(t, names, []string{"orders.pending", "orders.place", "customers.acquired", "orders.approve", "orders.fulfill", "returns.request", "returns.refund", "order_subscriptions.activate", "order_subscriptions.cancel"})
	require.Less(t, indexOf(names, "orders.place"), indexOf(names, "customers.acquired"))
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	cid := a.create("customers", map[string]any{"email": "ann@example.com"}, nil)

	r := a.must(201, "POST", "/api/customer_password_resets", doc("customer_password_resets", "", map[string]any{"customer_email": "ANN@example.com"}, nil))
	id, token := r.Str("data.id"), r.Str("data.attributes.reset_password_token")
	require.NotEmpty(t, token, "integrations get the token, once")
	require.Equal(t, cid, a.get("/api/customer_password_resets/"+id+"?include=customer").Str("data.relationships.customer.data.id"))
	require.NotContains(t, a.get("/api/customer_password_resets/"+id).Raw, token)
	r = a.must(404, "POST", "/api/customer_password_resets", doc("customer_password_resets", "", map[string]any{"customer_email": "nobody@example.com"}, nil))
	require.Equal(t, "/data/attributes/customer_email", r.Str("errors.0.source.pointer"))
	r = a.must(400, "POST", "/api/customer_password_resets", doc("customer_password_resets", "", map[string]any{"customer_email": "ann@example.com", "reset_password_at": "2020-01-01T00:00:00Z"}, nil))
	require.Equal(t, "PARAM_NOT_ALLOWED", r.code())

	e.As = shop
	r = a.must(201, "POST", "/api/customer_password_resets", doc("customer_password_resets", "", map[string]any{"customer_email": "ann@example.com"}, nil))
	require.Nil(t, r.Get("data.attributes.reset_password_token"), "storefronts never see tokens")
	r = a.must(422, "PATCH", "/api/customer_password_resets/"+id, doc("customer_password_resets", id, map[string]any{"_reset_password_token": "wrong", "customer_password": "new password 1"}, nil))
	require.Equal(t, "INVALID", r.code())
	require.Equal(t, "/data/attributes/_reset_password_token", r.Str("errors.0.source.pointer"))
	r = a.must(422, "PATCH", "/api/customer_password_resets/"+id, doc("customer_password_resets", id, map[string]any{"_reset_password_token": token, "customer_password": "short"}, nil))
	require.Equal(t, "/data/attributes/customer_password", r.Str("errors.0.source.pointer"))
	r = a.must(200, "PATCH", "/api/customer_password_resets/"+id, doc("customer_password_resets", id, map[string]any{"_reset_password_token": token, "customer_password": "new password 1"}, nil))
	require.NotNil(t, r.Get("data.attributes.reset_password_at"))
	a.must(422, "PATCH", "/api/customer_password_resets/"+id, doc("customer_password_resets", id, map[string]any{"_reset_password_token": token, "customer_password": "new password 2"}, nil))

	e.As = admin
	require.Equal(t, true, a.get("/api/customers/"+cid).Get("data.attributes.has_password"))
}

// Every link a response carries resolves: links.self of each record,
// each relationship's self and related link, and the pages of lists.
func TestEveryLinkResolves(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	seedFull(t, a)
	walked := 0
	for _, start := range []string{
		"/api/customers?include=customer_group,customer_addresses.address,orders.returns,order_subscriptions&page[size]=2",
		"/api/attachments?include=customer,order", "/api/events?page[size]=3", "/api/customer_password_resets", "/api/customer_subscriptions",
		"/api/customer_payment_sources", "/api/returns?include=order", "/api/addresses",
	} {
		walked += walkLinks(t, a, start)
	}
	require.Greater(t, walked, 200)

	// And for a customer token, within what it may read.
	cid := a.get("/api/customers?page[size]=1").Str("data.0.id")
	e.As = asCustomer(cid)
	require.Greater(t, walkLinks(t, a, "/api/customers/"+cid+"?include=orders,customer_addresses,customer_group"), 20)
}

// walkLinks GETs a document and every link in it, once each.
func walkLinks(t *testing.T, a *api, start string) int {
	t.Helper()
	seen := map[string]bool{}
	r := a.must(200, "GET", start, nil)
	var links []string
	collectLinks(r.Body, &links)
	for _, l := range links {
		require.True(t, strings.HasPrefix(l, base+"/api/"), l)
		if seen[l] {
			continue
		}
		seen[l] = true
		got := a.get(strings.TrimPrefix(l, base))
		require.Equal(t, 200, got.Status, "%s: %s", l, got.Raw)
	}
	return len(seen)
}

func collectLinks(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "links" {
				if m, ok := c.(map[string]any); ok {
					for _, l := range m {
						if s, ok := l.(string); ok {
							*out = append(*out, s)
						}
					}
				}
				continue
			}
			collectLinks(c, out)
		}
	case []any:
		for _, c := range x {
			collectLinks(c, out)
		}
	}
}

// seedFull creates records of every type, through the REST API.
func seedFull(t testing.TB, a *api) {
	t.Helper()
	group := a.create("customer_groups", map[string]any{"name": "VIP"}, nil)
	for i, email := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		rels := map[string]any{}
		if i == 0 {
			rels["customer_group"] = ref("customer_groups", group)
		}
		cid := a.create("customers", map[string]any{"email": email}, rels)
		adr := a.create("addresses", map[string]any{"first_name": "Ann", "last_name": "Lee", "line_1": "Via Roma 1", "city": "Milano", "country_code": "IT", "phone": "+39 555"}, nil)
		a.create("customer_addresses", nil, map[string]any{"customer": ref("customers", cid), "address": ref("addresses", adr)})
		a.create("customer_payment_sources", map[string]any{"name": "Visa"}, map[string]any{"customer": ref("customers", cid)})
		a.create("customer_subscriptions", map[string]any{"reference": "newsletter"}, map[string]any{"customer": ref("customers", cid)})
		oid := a.create("orders", map[string]any{"currency_code": "EUR", "total_amount_cents": 1000}, map[string]any{"customer": ref("customers", cid)})
		for _, tr := range []string{"_pending", "_place", "_approve", "_start_fulfilling", "_fulfill"} {
			a.must(200, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{tr: true}, nil))
		}
		a.create("returns", map[string]any{"skus_count": 1}, map[string]any{"order": ref("orders", oid)})
		a.create("order_subscriptions", map[string]any{"frequency": "weekly"}, map[string]any{"source_order": ref("orders", oid)})
		a.create("attachments", map[string]any{"name": "invoice", "url": "https://example.com/i.pdf"}, map[string]any{"order": ref("orders", oid)})
		a.create("attachments", map[string]any{"name": "contract"}, map[string]any{"customer": ref("customers", cid)})
		a.must(201, "POST", "/api/customer_password_resets", doc("customer_password_resets", "", map[string]any{"customer_email": email}, nil))
	}
}

// Lists with includes take as many statements for one record as for many:
// one query per included relationship and level.
func TestIncludesDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	seedFull(t, a)
	for i := 0; i < 8; i++ {
		cid := a.create("customers", map[string]any{"email": "more" + string(rune('a'+i)) + "@example.com"}, nil)
		a.create("orders", map[string]any{"currency_code": "EUR"}, map[string]any{"customer": ref("customers", cid)})
	}
	statements := func(path string) (int64, *resp) {
		before := e.Statements()
		r := a.must(200, "GET", path, nil)
		return e.Statements() - before, r
	}
	q := "/api/customers?include=customer_group,customer_addresses.address,orders.returns,orders.attachments,events&page[size]="
	one, r1 := statements(q + "1")
	many, r := statements(q + "11")
	require.Len(t, r1.Get("data"), 1)
	require.Len(t, r.Get("data"), 11)
	require.Equal(t, one, many, "statements for 1 and 11 customers")
	// count, customers, and one per relationship and level: group,
	// address-book entries, addresses, orders, returns, attachments, events.
	require.Equal(t, int64(9), many)

	one, _ = statements("/api/orders?include=customer.customer_group&page[size]=1")
	many, _ = statements("/api/orders?include=customer.customer_group&page[size]=11")
	require.Equal(t, one, many)
}
