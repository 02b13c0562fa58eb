package rest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"clientele/ent"
	"clientele/internal/idempotency"
	"clientele/internal/rest"
	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// seedCustomers creates n customers c00…, every third in a VIP group,
// with metadata, a reference and one draft order each.
func seedCustomers(a *api, n int) (group string, customers []string) {
	group = a.create("customer_groups", map[string]any{"name": "VIP", "code": "vip"}, nil)
	for i := 0; i < n; i++ {
		rels := map[string]any{}
		if i%3 == 0 {
			rels["customer_group"] = ref("customer_groups", group)
		}
		id := a.create("customers", map[string]any{"email": fmt.Sprintf("c%02d@example.com", i), "reference": fmt.Sprintf("ERP-%d", i),
			"metadata": map[string]any{"tier": i % 2, "tags": map[string]any{"vip": i%3 == 0}}}, rels)
		a.create("orders", map[string]any{"currency_code": "EUR", "total_amount_cents": 1000 + i}, map[string]any{"customer": ref("customers", id)})
		customers = append(customers, id)
	}
	return group, customers
}

func ids(r *resp) []string {
	var out []string
	for _, d := range r.Get("data").([]any) {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

func emails(r *resp) []string {
	var out []string
	for _, d := range r.Get("data").([]any) {
		out = append(out, d.(map[string]any)["attributes"].(map[string]any)["email"].(string))
	}
	return out
}

func TestListPagingFilteringSorting(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	_, cs := seedCustomers(a, 12)

	r := a.must(200, "GET", "/api/customers", nil)
	require.Len(t, ids(r), rest.DefaultPageSize)
	require.Equal(t, cs[:10], ids(r), "ordered by ID (creation) by default")
	require.Equal(t, 12, r.Int("meta.record_count"))
	require.Equal(t, 2, r.Int("meta.page_count"))
	require.NotEmpty(t, r.Str("links.next"))
	require.Nil(t, r.Get("links.prev"))
	require.Contains(t, r.Str("links.last"), "page%5Bnumber%5D=2")
	r = a.get(strings.TrimPrefix(r.Str("links.next"), base))
	require.Equal(t, cs[10:], ids(r))
	require.NotEmpty(t, r.Str("links.prev"))
	require.Nil(t, r.Get("links.next"))

	r = a.must(200, "GET", "/api/customers?page[size]=25&page[number]=1", nil)
	require.Len(t, ids(r), 12)
	require.Equal(t, 1, r.Int("meta.page_count"))
	for _, bad := range []string{"page[size]=26", "page[size]=0", "page[number]=0", "page[number]=x"} {
		r = a.must(400, "GET", "/api/customers?"+bad, nil)
		require.Equal(t, "INVALID_PAGE_VALUE", r.code(), bad)
		require.NotEmpty(t, r.Str("errors.0.source.parameter"))
	}

	cases := []struct {
		q    string
		want []string
	}{
		{"filter[q][email_eq]=c03@example.com", []string{"c03@example.com"}},
		{"filter[q][email_cont]=C1", []string{"c10@example.com", "c11@example.com"}},
		{"filter[q][email_start]=c0&filter[q][reference_eq]=ERP-4", []string{"c04@example.com"}},
		{"filter[q][email_in]=c01@example.com,c02@example.com,nobody@example.com", []string{"c01@example.com", "c02@example.com"}},
		{"filter[q][status_in]=acquired,repeat", nil},
		{"filter[q][status_eq]=PROSPECT&filter[q][email_end]=11@example.com", []string{"c11@example.com"}},
		{"filter[q][total_orders_count_gteq]=0&filter[q][email_lt]=x", nil},
		{`filter[q][metadata_jcont]={"tier":1,"tags":{"vip":true}}`, []string{"c03@example.com", "c09@example.com"}},
		{"filter[q][reference_null]=true", nil},
		{"filter[q][customer_group_id_eq]=GROUP", []string{"c00@example.com", "c03@example.com", "c06@example.com", "c09@example.com"}},
		{"filter[q][created_at_lteq]=2000-01-01T00:00:00Z", nil},
		{"filter[q][created_at_gt]=2000-01-01", []string{"c00@example.com"}},
	}
	group := a.get("/api/customers/" + cs[0] + "/customer_group").Str("data.id")
	for _, c := range cases {
		q := strings.ReplaceAll(c.q, "GROUP", group)
		r := a.get("/api/customers?page[size]=1&" + q)
		if c.q == "filter[q][total_orders_count_gteq]=0&filter[q][email_lt]=x" {
			require.Equal(t, 400, r.Status, r.Raw) // lt is for numbers and times
			require.Equal(t, "FILTER_NOT_ALLOWED", r.code())
			continue
		}
		require.Equal(t, 200, r.Status, "%s: %s", q, r.Raw)
		if len(c.want) == 1 && c.q == "filter[q][created_at_gt]=2000-01-01" {
			require.Equal(t, 12, r.Int("meta.record_count"))
			continue
		}
		r = a.must(200, "GET", "/api/customers?page[size]=25&"+q, nil)
		if c.want == nil {
			require.Empty(t, r.Get("data"), q)
			continue
		}
		require.Equal(t, c.want, emails(r), q)
	}

	r = a.must(200, "GET", "/api/customers?sort=-email&page[size]=3", nil)
	require.Equal(t, []string{"c11@example.com", "c10@example.com", "c09@example.com"}, emails(r))
	r = a.must(200, "GET", "/api/customers?sort=status,-reference&page[size]=2", nil)
	require.Equal(t, []string{"c09@example.com", "c08@example.com"}, emails(r))

	for q, code := range map[string]string{
		"sort=password":                       "INVALID_SORT_CRITERIA",
		"sort=metadata":                       "INVALID_SORT_CRITERIA",
		"sort=email,email":                    "INVALID_SORT_CRITERIA",
		"filter[q][password_eq]=x":            "FILTER_NOT_ALLOWED",
		"filter[q][session_epoch_eq]=0":       "FILTER_NOT_ALLOWED",
		"filter[q][email]=x":                  "FILTER_NOT_ALLOWED",
		"filter[q][email_jcont]={}":           "FILTER_NOT_ALLOWED",
		"filter[q][metadata_eq]=x":            "FILTER_NOT_ALLOWED",
		"filter[q][metadata_jcont]=[1]":       "INVALID_FILTER_VALUE",
		"filter[q][status_eq]=gone":           "INVALID_FILTER_VALUE",
		"filter[q][created_at_gt]=yesterday":  "INVALID_FILTER_VALUE",
		"filter[q][total_orders_count_eq]=1x": "INVALID_FILTER_VALUE",
		"filter[email_eq]=x":                  "BAD_USER_INPUT",
		"q=ann":                               "BAD_USER_INPUT",
	} {
		r := a.get("/api/customers?" + q)
		require.Equal(t, 400, r.Status, "%s: %s", q, r.Raw)
		require.Equal(t, code, r.code(), q)
		require.Equal(t, "400", r.Str("errors.0.status"))
	}
}

func TestIncludeAndSparseFields(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	group, cs := seedCustomers(a, 4)
	adr := a.create("addresses", map[string]any{"first_name": "Ann", "last_name": "Lee", "line_1": "Via Roma 1", "city": "Milano", "country_code": "IT", "phone": "+39 555"}, nil)
	a.create("customer_addresses", nil, map[string]any{"customer": ref("customers", cs[0]), "address": ref("addresses", adr)})

	r := a.must(200, "GET", "/api/customers?include=customer_group,orders,customer_addresses.address&page[size]=2", nil)
	require.Equal(t, group, r.Str("data.0.relationships.customer_group.data.id"))
	require.Nil(t, r.Get("data.1.relationships.customer_group.data"), "to-one without a record is null")
	require.Equal(t, "orders", r.Str("data.0.relationships.orders.data.0.type"))
	require.Equal(t, 1, r.Len("data.1.relationships.orders.data"))
	require.Equal(t, 1, r.Len("data.0.relationships.customer_addresses.data"))
	require.Equal(t, 0, r.Len("data.1.relationships.customer_addresses.data"))
	require.Nil(t, r.Get("data.0.relationships.events.data"), "not included: links only")
	types := map[string]int{}
	for _, inc := range r.Get("included").([]any) {
		types[inc.(map[string]any)["type"].(string)]++
	}
	require.Equal(t, map[string]int{"customer_groups": 1, "orders": 2, "customer_addresses": 1, "addresses": 1}, types)
	var entry map[string]any
	for _, inc := range r.Get("included").([]any) {
		if inc.(map[string]any)["type"] == "customer_addresses" {
			entry = inc.(map[string]any)
		}
	}
	require.Equal(t, adr, entry["relationships"].(map[string]any)["address"].(map[string]any)["data"].(map[string]any)["id"])
	require.Equal(t, "Ann Lee, Via Roma 1, Milano, IT, (+39 555)", entry["attributes"].(map[string]any)["name"])

	// A record reached twice is included once.
	r = a.must(200, "GET", "/api/orders?include=customer.customer_group&page[size]=4", nil)
	types = map[string]int{}
	for _, inc := range r.Get("included").([]any) {
		types[inc.(map[string]any)["type"].(string)]++
	}
	require.Equal(t, map[string]int{"customers": 4, "customer_groups": 1}, types)

	// Sparse fieldsets, for the primary data and the included records.
	r = a.must(200, "GET", "/api/customers/"+cs[0]+"?include=orders&fields[customers]=email,orders&fields[orders]=number", nil)
	require.Equal(t, map[string]any{"email": "c00@example.com"}, r.Get("data.attributes"))
	require.Len(t, r.Get("data.relationships").(map[string]any), 1)
	require.Equal(t, map[string]any{"number": "1"}, r.Get("included.0.attributes"))
	require.Empty(t, r.Get("included.0.relationships"))
	r = a.must(200, "GET", "/api/customers/"+cs[0]+"?fields[customers]=has_password,status", nil)
	require.Equal(t, map[string]any{"status": "prospect", "has_password": false}, r.Get("data.attributes"))

	for q, code := range map[string]string{
		"include=nope":                  "INVALID_INCLUDE",
		"include=orders.nope":           "INVALID_INCLUDE",
		"fields[customers]=password":    "INVALID_FIELD",
		"fields[nope]=x":                "INVALID_FIELD",
		"sort=email":                    "BAD_USER_INPUT", // not on a single record
		"filter[q][email_eq]=x":         "BAD_USER_INPUT",
		"include=orders&page[number]=1": "BAD_USER_INPUT",
	} {
		r := a.get("/api/customers/" + cs[0] + "?" + q)
		require.Equal(t, 400, r.Status, "%s: %s", q, r.Raw)
		require.Equal(t, code, r.code(), q)
	}
}

func TestCreateRetrieveUpdateDelete(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	group := a.create("customer_groups", map[string]any{"name": "VIP"}, nil)

	r := a.must(201, "POST", "/api/customers?include=customer_group", doc("customers", "", map[string]any{
		"email": " Ann@Example.com ", "password": "correct horse", "reference": "ERP-1", "metadata": map[string]any{"vip": true},
	}, map[string]any{"customer_group": ref("customer_groups", group)}))
	id := r.Str("data.id")
	require.True(t, strings.HasPrefix(id, "cus_"))
	require.Equal(t, base+"/api/customers/"+id, r.Header.Get("Location"))
	require.Equal(t, base+"/api/customers/"+id, r.Str("data.links.self"))
	require.Equal(t, "ann@example.com", r.Str("data.attributes.email"))
	require.Equal(t, true, r.Get("data.attributes.has_password"))
	require.Equal(t, "prospect", r.Str("data.attributes.status"))
	require.Nil(t, r.Get("data.attributes.password"))
	require.NotContains(t, r.Raw, "correct horse")
	require.Equal(t, "test", r.Str("data.meta.mode"))
	require.Equal(t, group, r.Str("data.relationships.customer_group.data.id"))
	require.Equal(t, "VIP", r.Str("included.0.attributes.name"))
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, r.Str("data.attributes.created_at"))

	r = a.must(200, "GET", "/api/customers/"+id, nil)
	require.Equal(t, "ERP-1", r.Str("data.attributes.reference"))
	require.Equal(t, map[string]any{"vip": true}, r.Get("data.attributes.metadata"))

	// PATCH changes what it names; null clears; metadata is replaced.
	r = a.must(200, "PATCH", "/api/customers/"+id, doc("customers", id, map[string]any{"reference": nil, "metadata": map[string]any{"tier": 2}},
		map[string]any{"customer_group": nil}))
	require.Nil(t, r.Get("data.attributes.reference"))
	require.Equal(t, map[string]any{"tier": float64(2)}, r.Get("data.attributes.metadata"))
	require.Equal(t, "ann@example.com", r.Str("data.attributes.email"))
	r = a.must(200, "GET", "/api/customers/"+id+"/customer_group", nil)
	require.Nil(t, r.Get("data"))
	require.Contains(t, r.Raw, `"data":null`)

	// Every write recorded its events, in order.
	r = a.must(200, "GET", "/api/events?filter[q][resource_id_eq]="+id+"&sort=sequence", nil)
	var names []string
	for _, ev := range r.Get("data").([]any) {
		names = append(names, ev.(map[string]any)["attributes"].(map[string]any)["name"].(string))
	}
	require.Equal(t, []string{"customers.create", "customers.create_password", "customers.metadata_update", "customers.update"}, names)

	a.must(204, "DELETE", "/api/customers/"+id, nil)
	r = a.must(404, "GET", "/api/customers/"+id, nil)
	require.Equal(t, "NOT_FOUND", r.code())
	r = a.must(404, "DELETE", "/api/customers/"+id, nil)
	require.Equal(t, "NOT_FOUND", r.code())
	r = a.must(200, "GET", "/api/events?filter[q][resource_id_eq]="+id+"&filter[q][name_eq]=customers.destroy", nil)
	require.Equal(t, 1, r.Int("meta.record_count"))

	// An ID of another type, or no ID at all, names nothing here.
	a.must(404, "GET", "/api/customers/"+group, nil)
	a.must(404, "GET", "/api/customers/nope", nil)
	a.must(404, "PATCH", "/api/customers/"+group, doc("customers", group, nil, nil))
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	cid, oid := a.customerWithOrder("ann@example.com")
	before := countAll(t, e)

	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, pointer      string
	}{
		{"server field", "POST", "/api/customers", doc("customers", "", map[string]any{"email": "b@example.com", "status": "repeat"}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/status"},
		{"computed field", "POST", "/api/customers", doc("customers", "", map[string]any{"email": "b@example.com", "total_orders_count": 9}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/total_orders_count"},
		{"internal column", "PATCH", "/api/customers/" + cid, doc("customers", cid, map[string]any{"session_epoch": 9}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/session_epoch"},
		{"money of an order's number", "PATCH", "/api/orders/" + oid, doc("orders", oid, map[string]any{"number": "77"}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/number"},
		{"status by attribute", "PATCH", "/api/orders/" + oid, doc("orders", oid, map[string]any{"status": "placed"}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/status"},
		{"foreign key as attribute", "POST", "/api/orders", doc("orders", "", map[string]any{"currency_code": "EUR", "customer_id": cid}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/customer_id"},
		{"immutable relationship", "PATCH", "/api/orders/" + oid, doc("orders", oid, nil, map[string]any{"customer": ref("customers", cid)}), 400, "PARAM_NOT_ALLOWED", "/data/relationships/customer"},
		{"wrong relationship type", "POST", "/api/orders", doc("orders", "", map[string]any{"currency_code": "EUR"}, map[string]any{"customer": ref("orders", oid)}), 400, "INVALID_DOCUMENT", "/data/relationships/customer/data/type"},
		{"unknown trigger", "PATCH", "/api/orders/" + oid, doc("orders", oid, map[string]any{"_explode": true}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/_explode"},
		{"two triggers", "PATCH", "/api/orders/" + oid, doc("orders", oid, map[string]any{"_pending": true, "_place": true}, nil), 400, "PARAM_NOT_ALLOWED", "*"},
		{"trigger on a type without", "PATCH", "/api/customers/" + cid, doc("customers", cid, map[string]any{"_acquired": true}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/_acquired"},
		{"client ID", "POST", "/api/customers", doc("customers", "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", map[string]any{"email": "b@example.com"}, nil), 400, "INVALID_DOCUMENT", "/data/id"},
		{"wrong type", "POST", "/api/customers", doc("orders", "", map[string]any{"email": "b@example.com"}, nil), 400, "INVALID_DOCUMENT", "/data/type"},
		{"id mismatch", "PATCH", "/api/customers/" + cid, doc("customers", "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil, nil), 400, "INVALID_DOCUMENT", "/data/id"},
		{"no data", "POST", "/api/customers", map[string]any{"meta": 1}, 400, "INVALID_DOCUMENT", "/data"},
		{"wrong attribute type", "POST", "/api/customers", doc("customers", "", map[string]any{"email": 5}, nil), 422, "INVALID", "/data/attributes/email"},
		{"missing required", "POST", "/api/customer_addresses", doc("customer_addresses", "", nil, map[string]any{"customer": ref("customers", cid)}), 422, "INVALID", "/data/relationships/address"},
		{"null on update", "PATCH", "/api/customers/" + cid, doc("customers", cid, map[string]any{"email": nil}, nil), 422, "INVALID", "/data/attributes/email"},
		{"trigger not boolean", "PATCH", "/api/orders/" + oid, doc("orders", oid, map[string]any{"_place": "yes"}, nil), 422, "INVALID", "/data/attributes/_place"},
		{"unknown type", "GET", "/api/widgets", nil, 404, "NOT_FOUND", ""},
		{"unknown relationship", "GET", "/api/customers/" + cid + "/widgets", nil, 404, "NOT_FOUND", ""},
		{"unknown route", "GET", "/api/customers/" + cid + "/orders/extra", nil, 404, "NOT_FOUND", ""},
		{"PUT", "PUT", "/api/customers/" + cid, doc("customers", cid, nil, nil), 405, "METHOD_NOT_ALLOWED", ""},
		{"POST on a record", "POST", "/api/customers/" + cid, doc("customers", cid, nil, nil), 405, "METHOD_NOT_ALLOWED", ""},
		{"events are immutable", "PATCH", "/api/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", doc("events", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil, nil), 405, "METHOD_NOT_ALLOWED", ""},
		{"no event creation", "POST", "/api/events", doc("events", "", nil, nil), 405, "METHOD_NOT_ALLOWED", ""},
		{"no relationship writes", "PATCH", "/api/customers/" + cid + "/relationships/orders", doc("orders", "", nil, nil), 405, "METHOD_NOT_ALLOWED", ""},
	}
	for _, c := range cases {
		r := a.do(c.method, c.path, c.body)
		require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Raw)
		require.Equal(t, c.code, r.code(), c.name)
		require.Equal(t, fmt.Sprint(c.status), r.Str("errors.0.status"), c.name)
		require.NotEmpty(t, r.Str("errors.0.title"), c.name)
		if c.pointer != "*" {
			require.Equal(t, c.pointer, r.Str("errors.0.source.pointer"), c.name)
		}
		if c.status == 405 {
			require.NotEmpty(t, r.Header.Get("Allow"), c.name)
		}
	}
	r := a.must(405, "DELETE", "/api/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil)
	require.Equal(t, "GET, HEAD", r.Header.Get("Allow"))

	// Bodies must be JSON:API documents.
	for _, c := range []struct {
		ct, body string
		status   int
		code     string
	}{
		{"application/json", `{"data":{"type":"customers","attributes":{"email":"b@example.com"}}}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"", `{"data":{"type":"customers","attributes":{"email":"b@example.com"}}}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{rest.MediaType, `{"data":`, 400, "INVALID_DOCUMENT"},
		{rest.MediaType, `[1]`, 400, "INVALID_DOCUMENT"},
		{rest.MediaType, `{"data":[{"type":"customers"}]}`, 400, "INVALID_DOCUMENT"},
	} {
		req := httptest.NewRequest("POST", "/api/customers", strings.NewReader(c.body))
		if c.ct != "" {
			req.Header.Set("Content-Type", c.ct)
		}
		r := a.send(req)
		require.Equal(t, c.status, r.Status, r.Raw)
		require.Equal(t, c.code, r.code())
	}
	require.Equal(t, before, countAll(t, e), "refused requests wrote nothing")
}

// countAll counts the records of every resource table (events included).
func countAll(t testing.TB, e *testenv.Env) map[string]int {
	t.Helper()
	out := map[string]int{}
	for table := range ent.Tables {
		n, err := e.Ent().CountOf(e.Context(), table)
		require.NoError(t, err)
		out[table] = n
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestDomainErrors(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	cid, oid := a.customerWithOrder("ann@example.com")
	before := countAll(t, e)

	r := a.must(422, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "ANN@example.com"}, nil))
	require.Equal(t, "TAKEN", r.code())
	require.Equal(t, "/data/attributes/email", r.Str("errors.0.source.pointer"))
	require.True(t, strings.HasPrefix(r.Str("errors.0.detail"), "email - "), r.Raw)
	r = a.must(422, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "not an email"}, nil))
	require.Equal(t, "INVALID", r.code())
	require.Equal(t, "/data/attributes/email", r.Str("errors.0.source.pointer"))
	r = a.must(422, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "b@example.com", "reference": strings.Repeat("x", 256)}, nil))
	require.Equal(t, "TOO_LONG", r.code())
	require.Equal(t, "/data/attributes/reference", r.Str("errors.0.source.pointer"))
	r = a.must(422, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "b@example.com", "password": "short"}, nil))
	require.Equal(t, "INVALID", r.code())
	require.Equal(t, "/data/attributes/password", r.Str("errors.0.source.pointer"))
	r = a.must(404, "POST", "/api/customers", doc("customers", "", map[string]any{"email": "b@example.com"},
		map[string]any{"customer_group": ref("customer_groups", "cgr_01ARZ3NDEKTSV4RRFFQ69G5FAV")}))
	require.Equal(t, "NOT_FOUND", r.code())
	require.Equal(t, "/data/relationships/customer_group", r.Str("errors.0.source.pointer"))
	r = a.must(422, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"_approve": true}, nil))
	require.Equal(t, "INVALID_TRANSITION", r.code())
	require.Contains(t, r.Str("errors.0.title"), "DRAFT")
	// Attributes and a refused trigger in one request: nothing is kept.
	r = a.must(422, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"reference": "R-1", "_place": true}, nil))
	require.Equal(t, "INVALID_TRANSITION", r.code())
	require.Nil(t, a.get("/api/orders/"+oid).Get("data.attributes.reference"))
	require.Equal(t, before, countAll(t, e), "refused writes left nothing, events included")

	a.must(200, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"_pending": true}, nil))
	a.must(200, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"_place": true}, nil))
	r = a.must(422, "DELETE", "/api/customers/"+cid, nil)
	require.Equal(t, "LOCKED", r.code())
	r = a.must(422, "DELETE", "/api/orders/"+oid, nil)
	require.Equal(t, "LOCKED", r.code())
	r = a.must(422, "PATCH", "/api/orders/"+oid, doc("orders", oid, map[string]any{"total_amount_cents": 1}, nil))
	require.Equal(t, "LOCKED", r.code())
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	rest.WriteError(rec, http.StatusTooManyRequests, "RATE_LIMITED", "Slow down.")
	require.Equal(t, 429, rec.Code)
	require.Equal(t, rest.MediaType, rec.Header().Get("Content-Type"))
	require.JSONEq(t, `{"errors":[{"status":"429","code":"RATE_LIMITED","title":"Slow down.","detail":"Slow down."}]}`, rec.Body.String())
}

// Behind the HTTP layer, Idempotency-Key keys REST writes: a retried create
// runs once and a retried trigger is answered from the first run.
func TestIdempotencyKeyOnWrites(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	keyed := func(method, path, key string, body any) *resp {
		req := httptest.NewRequest(method, path, strings.NewReader(mustJSON(t, body)))
		req.Header.Set("Content-Type", rest.MediaType)
		req.Header.Set(idempotency.Header, key)
		return a.send(req)
	}
	first := keyed("POST", "/api/customers", "k1", doc("customers", "", map[string]any{"email": "ann@example.com"}, nil))
	again := keyed("POST", "/api/customers", "k1", doc("customers", "", map[string]any{"email": "ann@example.com"}, nil))
	require.Equal(t, 201, again.Status, again.Raw)
	require.Equal(t, first.Raw, again.Raw)
	require.Equal(t, "true", again.Header.Get(idempotency.ReplayedHeader))
	require.Equal(t, 1, a.get("/api/customers").Int("meta.record_count"))

	oid := a.create("orders", map[string]any{"currency_code": "EUR"}, map[string]any{"customer": ref("customers", first.Str("data.id"))})
	p1 := keyed("PATCH", "/api/orders/"+oid, "k2", doc("orders", oid, map[string]any{"_pending": true}, nil))
	p2 := keyed("PATCH", "/api/orders/"+oid, "k2", doc("orders", oid, map[string]any{"_pending": true}, nil))
	require.Equal(t, 200, p1.Status)
	require.Equal(t, 200, p2.Status, "a replay, not a second (invalid) move: %s", p2.Raw)
	r := keyed("PATCH", "/api/orders/"+oid, "k2", doc("orders", oid, map[string]any{"_place": true}, nil))
	require.Equal(t, 422, r.Status)
	require.Equal(t, idempotency.CodeKeyReused, r.code())
}

// Optimistic concurrency: each record's version is its ETag; If-Match
// makes a PATCH or DELETE apply only at that version (409 CONFLICT
// otherwise, nothing written).
func TestETagAndIfMatch(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	cid, oid := a.customerWithOrder("ann@example.com")
	r := a.must(200, "GET", "/api/customers/"+cid, nil)
	require.Equal(t, `"1"`, r.Header.Get("ETag"))
	require.Equal(t, 1, r.Int("data.attributes.version"))

	ifMatch := func(method, path, tag string, body any) *resp {
		req := httptest.NewRequest(method, path, strings.NewReader(mustJSON(t, body)))
		if body != nil {
			req.Header.Set("Content-Type", rest.MediaType)
		}
		req.Header.Set("If-Match", tag)
		return a.send(req)
	}
	r = ifMatch("PATCH", "/api/customers/"+cid, `"1"`, doc("customers", cid, map[string]any{"reference": "R-1"}, nil))
	require.Equal(t, 200, r.Status, r.Raw)
	require.Equal(t, `"2"`, r.Header.Get("ETag"))
	before := countAll(t, e)
	r = ifMatch("PATCH", "/api/customers/"+cid, `"1"`, doc("customers", cid, map[string]any{"reference": "R-2"}, nil))
	require.Equal(t, 409, r.Status, r.Raw)
	require.Equal(t, "CONFLICT", r.code())
	require.Equal(t, "If-Match", r.Str("errors.0.source.header"))
	require.Contains(t, r.Str("errors.0.title"), "version is 2")
	require.Equal(t, "R-1", a.get("/api/customers/"+cid).Str("data.attributes.reference"))
	r = ifMatch("DELETE", "/api/customers/"+cid, `"1"`, nil)
	require.Equal(t, 409, r.Status, r.Raw)
	r = ifMatch("PATCH", "/api/orders/"+oid, `"7"`, doc("orders", oid, map[string]any{"_pending": true}, nil))
	require.Equal(t, 409, r.Status, r.Raw)
	require.Equal(t, "draft", a.get("/api/orders/"+oid).Str("data.attributes.status"))
	require.Equal(t, before, countAll(t, e), "stale writes wrote nothing")

	for _, bad := range []string{`1`, `"x"`, `W/"1"`, `"0"`, `""`} {
		r = ifMatch("PATCH", "/api/customers/"+cid, bad, doc("customers", cid, nil, nil))
		require.Equal(t, 400, r.Status, bad)
		require.Equal(t, "If-Match", r.Str("errors.0.source.header"), bad)
	}
	r = ifMatch("PATCH", "/api/customers/cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", `"1"`, doc("customers", "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil, nil))
	require.Equal(t, 404, r.Status, "a missing record stays NOT_FOUND")
	r = ifMatch("PATCH", "/api/orders/"+oid, `"1"`, doc("orders", oid, map[string]any{"_pending": true}, nil))
	require.Equal(t, 200, r.Status, r.Raw)
	require.Equal(t, "pending", r.Str("data.attributes.status"))
	r = ifMatch("PATCH", "/api/customers/"+cid, `*`, doc("customers", cid, map[string]any{"reference": "R-3"}, nil))
	require.Equal(t, 200, r.Status, r.Raw)
	r = ifMatch("DELETE", "/api/customers/"+cid, r.Header.Get("ETag"), nil)
	require.Equal(t, 204, r.Status, r.Raw)
	require.Empty(t, a.get("/api/events/"+mustEventID(t, a)).Header.Get("ETag"), "the event log has no versions")
}

func mustEventID(t testing.TB, a *api) string {
	t.Helper()
	id := a.get("/api/events?page[size]=1").Str("data.0.id")
	require.NotEmpty(t, id)
	return id
}
