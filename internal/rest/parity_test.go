package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"clientele/ent/customer"
	"clientele/ent/event"
	"clientele/ent/order"
	"clientele/internal/rest"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// world is the data every parity case starts from: Ann with a pending
// order, Bob with a placed one, a group.
type world struct {
	ann, bob, annOrder, bobOrder, group string
}

func seedWorld(t testing.TB, a *api) world {
	t.Helper()
	var w world
	w.group = a.create("customer_groups", map[string]any{"name": "VIP", "code": "vip"}, nil)
	w.ann, w.annOrder = a.customerWithOrder("ann@example.com")
	w.bob, w.bobOrder = a.customerWithOrder("bob@example.com")
	for _, id := range []string{w.annOrder, w.bobOrder} {
		a.must(200, "PATCH", "/api/orders/"+id, doc("orders", id, map[string]any{"_pending": true}, nil))
	}
	a.must(200, "PATCH", "/api/orders/"+w.bobOrder, doc("orders", w.bobOrder, map[string]any{"_place": true}, nil))
	return w
}

// parityCase is one behaviour, asked of GraphQL and of REST.
type parityCase struct {
	name string
	as   func(w world) *viewer.Viewer
	gql  func(w world) (string, map[string]any)
	rest func(w world) (method, path string, body any)
	want string
	// ifMatch is the If-Match header of the REST request, if any.
	ifMatch string
}

var asAdmin = func(world) *viewer.Viewer { return admin }

var parityCases = []parityCase{
	{"create a customer", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "New@Example.com", reference: "ERP-9", metadata: {vip: true}}) { customer { id } userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "New@Example.com", "reference": "ERP-9", "metadata": map[string]any{"vip": true}}, nil)
		}, "OK", ""},
	{"duplicate email", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "ANN@example.com"}) { customer { id } userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "ANN@example.com"}, nil)
		}, "TAKEN", ""},
	{"invalid email", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "ann at example"}) { customer { id } userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "ann at example"}, nil)
		}, "INVALID", ""},
	{"missing customer group", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "x@example.com", customerGroupID: "cgr_01ARZ3NDEKTSV4RRFFQ69G5FAV"}) { customer { id } userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "x@example.com"}, map[string]any{"customer_group": ref("customer_groups", "cgr_01ARZ3NDEKTSV4RRFFQ69G5FAV")})
		}, "NOT_FOUND", ""},
	{"update a customer", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!, $g: ID!) { updateCustomer(id: $id, input: {reference: "R-1", metadata: {tier: 2}, customerGroupID: $g}) { customer { id } userErrors { code } } }`, map[string]any{"id": w.ann, "g": w.group}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/customers/" + w.ann, doc("customers", w.ann, map[string]any{"reference": "R-1", "metadata": map[string]any{"tier": 2}}, map[string]any{"customer_group": ref("customer_groups", w.group)})
		}, "OK", ""},
	{"delete a customer", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code } } }`, map[string]any{"id": w.ann}
		},
		func(w world) (string, string, any) { return "DELETE", "/api/customers/" + w.ann, nil }, "OK", ""},
	{"delete a customer with a placed order", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code } } }`, map[string]any{"id": w.bob}
		},
		func(w world) (string, string, any) { return "DELETE", "/api/customers/" + w.bob, nil }, "LOCKED", ""},
	{"place an order", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { placeOrder(id: $id) { order { id } userErrors { code } } }`, map[string]any{"id": w.annOrder}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/orders/" + w.annOrder, doc("orders", w.annOrder, map[string]any{"_place": true}, nil)
		}, "OK", ""},
	{"approve an unplaced order", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { approveOrder(id: $id) { order { id } userErrors { code } } }`, map[string]any{"id": w.annOrder}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/orders/" + w.annOrder, doc("orders", w.annOrder, map[string]any{"_approve": true}, nil)
		}, "INVALID_TRANSITION", ""},
	{"an order for a customer by email", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation { createOrder(input: {currencyCode: "EUR", customerEmail: "Carl@example.com"}) { order { id } userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/orders", doc("orders", "", map[string]any{"currency_code": "EUR", "customer_email": "Carl@example.com"}, nil)
		}, "OK", ""},
	{"a customer places its order", func(w world) *viewer.Viewer { return asCustomer(w.ann) },
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { placeOrder(id: $id) { order { id } userErrors { code } } }`, map[string]any{"id": w.annOrder}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/orders/" + w.annOrder, doc("orders", w.annOrder, map[string]any{"_place": true}, nil)
		}, "OK", ""},
	{"a customer approves its order", func(w world) *viewer.Viewer { return asCustomer(w.ann) },
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { approveOrder(id: $id) { order { id } userErrors { code } } }`, map[string]any{"id": w.annOrder}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/orders/" + w.annOrder, doc("orders", w.annOrder, map[string]any{"_approve": true}, nil)
		}, "FORBIDDEN", ""},
	{"a customer reads another's record", func(w world) *viewer.Viewer { return asCustomer(w.ann) },
		func(w world) (string, map[string]any) {
			return `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.bob}
		},
		func(w world) (string, string, any) { return "GET", "/api/customers/" + w.bob, nil }, "NOT_FOUND", ""},
	{"a customer changes another's record", func(w world) *viewer.Viewer { return asCustomer(w.ann) },
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { updateCustomer(id: $id, input: {reference: "mine"}) { customer { id } userErrors { code } } }`, map[string]any{"id": w.bob}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/customers/" + w.bob, doc("customers", w.bob, map[string]any{"reference": "mine"}, nil)
		}, "NOT_FOUND", ""},
	{"a read-only integration writes", func(world) *viewer.Viewer { return readOnly },
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "new@example.com"}) { customer { id } userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "new@example.com"}, nil)
		}, "FORBIDDEN", ""},
	{"a storefront signs a customer up", func(world) *viewer.Viewer { return shop },
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "new@example.com", password: "correct horse"}) { userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "new@example.com", "password": "correct horse"}, nil)
		}, "OK", ""},
	{"a storefront changes a customer", func(world) *viewer.Viewer { return shop },
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { updateCustomer(id: $id, input: {reference: "x"}) { userErrors { code } } }`, map[string]any{"id": w.ann}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/customers/" + w.ann, doc("customers", w.ann, map[string]any{"reference": "x"}, nil)
		}, "FORBIDDEN", ""},
	{"no credential", func(world) *viewer.Viewer { return nil },
		func(w world) (string, map[string]any) {
			return `mutation { createCustomer(input: {email: "new@example.com"}) { userErrors { code } } }`, nil
		},
		func(w world) (string, string, any) {
			return "POST", "/api/customers", doc("customers", "", map[string]any{"email": "new@example.com"}, nil)
		}, "UNAUTHENTICATED", ""},
	{"update at a stale version", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 7, input: {reference: "R-1"}) { customer { id } userErrors { code } } }`, map[string]any{"id": w.ann}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/customers/" + w.ann, doc("customers", w.ann, map[string]any{"reference": "R-1"}, nil)
		}, "CONFLICT", `"7"`},
	{"place at the current version", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { placeOrder(id: $id, expectedVersion: 2) { order { id } userErrors { code } } }`, map[string]any{"id": w.annOrder}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/orders/" + w.annOrder, doc("orders", w.annOrder, map[string]any{"_place": true}, nil)
		}, "OK", `"2"`},
	{"delete at a stale version", asAdmin,
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { deleteCustomer(id: $id, expectedVersion: 9) { deletedID userErrors { code } } }`, map[string]any{"id": w.ann}
		},
		func(w world) (string, string, any) { return "DELETE", "/api/customers/" + w.ann, nil }, "CONFLICT", `"9"`},
	{"another mode's record", func(world) *viewer.Viewer { return liveAdm },
		func(w world) (string, map[string]any) {
			return `mutation($id: ID!) { placeOrder(id: $id) { order { id } userErrors { code } } }`, map[string]any{"id": w.annOrder}
		},
		func(w world) (string, string, any) {
			return "PATCH", "/api/orders/" + w.annOrder, doc("orders", w.annOrder, map[string]any{"_place": true}, nil)
		}, "NOT_FOUND", ""},
}

// The same behaviour through GraphQL and through REST: the same outcome
// code and the same data afterwards (events included).
func TestParityWithGraphQL(t *testing.T) {
	t.Parallel()
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eg, ag := newAPI(t)
			wg := seedWorld(t, ag)
			er, ar := newAPI(t)
			wr := seedWorld(t, ar)
			require.Equal(t, snapshot(t, eg), snapshot(t, er), "the worlds start equal")

			eg.As = c.as(wg)
			q, vars := c.gql(wg)
			gotG := gqlOutcome(eg.Do(t, q, vars))

			er.As = c.as(wr)
			method, path, body := c.rest(wr)
			req := httptest.NewRequest(method, path, strings.NewReader(mustJSON(t, body)))
			if body != nil {
				req.Header.Set("Content-Type", rest.MediaType)
			}
			if c.ifMatch != "" {
				req.Header.Set("If-Match", c.ifMatch)
			}
			r := ar.send(req)
			gotR := "OK"
			if r.Status >= 300 {
				gotR = r.code()
			}
			require.Equal(t, c.want, gotG, "GraphQL")
			require.Equal(t, c.want, gotR, "REST: %s", r.Raw)
			require.Equal(t, snapshot(t, eg), snapshot(t, er), "the same data afterwards")
			if method != http.MethodGet {
				require.Equal(t, c.want == "OK", r.Status < 300)
			}
		})
	}
}

// gqlOutcome is the code of a GraphQL response: its first top-level
// error's, else its first user error's, else OK.
func gqlOutcome(r *testenv.Response) string {
	if codes := r.ErrorCodes(); len(codes) > 0 {
		return codes[0]
	}
	var find func(v any) string
	find = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if ue, ok := x["userErrors"].([]any); ok && len(ue) > 0 {
				return ue[0].(map[string]any)["code"].(string)
			}
			for _, c := range x {
				if s := find(c); s != "" {
					return s
				}
			}
		case []any:
			for _, c := range x {
				if s := find(c); s != "" {
					return s
				}
			}
		}
		return ""
	}
	if s := find(r.Data); s != "" {
		return s
	}
	return "OK"
}

// snapshot describes a database without its IDs and times: the records
// of every table by count, customers, orders and the event log in order.
func snapshot(t testing.TB, e *testenv.Env) string {
	t.Helper()
	ctx := e.Context()
	c := e.Ent()
	type cust struct {
		Email, Status, Group string
		Orders               int
		Reference            *string
		Metadata             map[string]any
		HasPassword          bool
	}
	var out struct {
		Counts    map[string]int
		Customers []cust
		Orders    []string
		Events    []string
	}
	out.Counts = countAll(t, e)
	for _, mode := range []viewer.Mode{viewer.Test, viewer.Live} {
		mctx := viewer.SystemContext(ctx, mode)
		cs, err := c.Customer.Query().WithCustomerGroup().Order(customer.ByEmail()).All(mctx)
		require.NoError(t, err)
		for _, x := range cs {
			g := ""
			if x.Edges.CustomerGroup != nil {
				g = x.Edges.CustomerGroup.Name
			}
			out.Customers = append(out.Customers, cust{x.Email, string(x.Status), g, x.TotalOrdersCount, x.Reference, x.Metadata, x.Password != nil})
		}
		os, err := c.Order.Query().Order(order.ByNumber()).All(mctx)
		require.NoError(t, err)
		for _, o := range os {
			out.Orders = append(out.Orders, string(mode)+" "+o.Number+" "+o.CustomerEmail+" "+string(o.Status)+" "+string(o.PaymentStatus))
		}
		evs, err := c.Event.Query().Order(event.BySequence()).All(mctx)
		require.NoError(t, err)
		for _, ev := range evs {
			out.Events = append(out.Events, ev.Name)
		}
	}
	b, err := json.MarshalIndent(out, "", " ")
	require.NoError(t, err)
	return string(b)
}
