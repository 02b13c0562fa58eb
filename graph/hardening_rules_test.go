package graph_test

// Hardening rules, end to end with real tokens: a password change or reset
// ends the customer's earlier sessions and a deleted customer's tokens stop
// working; customers cannot set an order's money, nobody changes it once
// the order is placed, and the refunds of an order's open returns never
// exceed its total; a customer token naming another customer answers like a
// missing customer; an anonymous storefront cannot put a new customer in a
// group. Every refusal is checked to change nothing.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"clientele/ent"
	"clientele/internal/auth"
	"clientele/internal/ids"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

var hrSeq atomic.Int64

// hrEnv is a fresh environment that authenticates real tokens, with an
// integration admin and an anonymous sales channel.
type hrEnv struct {
	*testenv.Env
	admin   string // an integration admin's access token
	channel *auth.NewCredential
	anon    string // the sales channel's anonymous access token
}

func hrNew(t *testing.T) *hrEnv {
	t.Helper()
	e := testenv.New(t, testenv.WithRealAuth())
	h := &hrEnv{Env: e, channel: e.Credential(t, "sales_channel", "", viewer.Test)}
	h.admin = e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	h.anon = e.Token(t, h.channel, "")
	return h
}

func hrEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, hrSeq.Add(1))
}

// must runs a request that must succeed without errors or user errors.
func (h *hrEnv) must(t *testing.T, token, query string, vars map[string]any) *testenv.Response {
	t.Helper()
	r := h.DoAs(t, token, query, vars)
	require.Empty(t, r.Errors, r.Raw)
	require.NotContains(t, r.Raw, `"userErrors":[{`, r.Raw)
	return r
}

// hrUserErrors returns a payload's user errors as "CODE field.path".
func hrUserErrors(r *testenv.Response, field string) []string {
	ue, _ := r.Get(field + ".userErrors").([]any)
	out := []string{}
	for _, u := range ue {
		m, _ := u.(map[string]any)
		path := []string{}
		fs, _ := m["field"].([]any)
		for _, f := range fs {
			path = append(path, fmt.Sprint(f))
		}
		out = append(out, strings.TrimSpace(fmt.Sprint(m["code"])+" "+strings.Join(path, ".")))
	}
	return out
}

// requireUserError requires exactly one user error with the code on the
// field, no top-level error and no record in the payload.
func hrRequireUserError(t *testing.T, r *testenv.Response, mutation, record, code, field string) {
	t.Helper()
	require.Empty(t, r.Errors, r.Raw)
	require.Equal(t, []string{code + " " + field}, hrUserErrors(r, mutation), r.Raw)
	require.Nil(t, r.Get(mutation+"."+record), r.Raw)
}

// requireTopLevel requires only top-level errors with the code and no data
// for the mutation.
func hrRequireTopLevel(t *testing.T, r *testenv.Response, mutation, code string) {
	t.Helper()
	require.NotEmpty(t, r.Errors, r.Raw)
	for _, c := range r.ErrorCodes() {
		require.Equal(t, code, c, r.Raw)
	}
	require.Nil(t, r.Get(mutation), r.Raw)
}

// requireUnauthenticated requires a 401 with only UNAUTHENTICATED.
func hrRequireUnauthenticated(t *testing.T, r *testenv.Response) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.Status, r.Raw)
	require.Equal(t, []string{"UNAUTHENTICATED"}, r.ErrorCodes(), r.Raw)
	require.Nil(t, r.Data, r.Raw)
}

// state is everything a refused request must leave as it was: the number of
// records of every type and the full records of every order and return.
func (h *hrEnv) state(t *testing.T) string {
	t.Helper()
	ctx := h.Context()
	c := h.Ent()
	counts := map[string]int{}
	for name, f := range map[string]func() (int, error){
		"customers":     func() (int, error) { return c.Customer.Query().Count(ctx) },
		"addresses":     func() (int, error) { return c.Address.Query().Count(ctx) },
		"entries":       func() (int, error) { return c.CustomerAddress.Query().Count(ctx) },
		"subscriptions": func() (int, error) { return c.CustomerSubscription.Query().Count(ctx) },
		"resets":        func() (int, error) { return c.CustomerPasswordReset.Query().Count(ctx) },
		"events":        func() (int, error) { return c.Event.Query().Count(ctx) },
	} {
		n, err := f()
		require.NoError(t, err)
		counts[name] = n
	}
	orders, err := c.Order.Query().Order(ent.Asc("id")).All(ctx)
	require.NoError(t, err)
	returns, err := c.OrderReturn.Query().Order(ent.Asc("id")).All(ctx)
	require.NoError(t, err)
	customers, err := c.Customer.Query().Order(ent.Asc("id")).All(ctx)
	require.NoError(t, err)
	b, err := json.Marshal(map[string]any{"counts": counts, "orders": orders, "returns": returns, "customers": customers})
	require.NoError(t, err)
	return string(b)
}

// customer creates a customer with a password, as the admin.
func (h *hrEnv) customer(t *testing.T, email, password string) string {
	t.Helper()
	in := map[string]any{"email": email}
	if password != "" {
		in["password"] = password
	}
	r := h.must(t, h.admin, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
		map[string]any{"in": in})
	return r.Str("createCustomer.customer.id")
}

// oauth posts a form to /oauth/token and decodes the answer.
func (h *hrEnv) oauth(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = fmt.Sprintf("192.0.2.%d:1234", hrSeq.Add(1)%250+1)
	rec := httptest.NewRecorder()
	h.Mux.ServeHTTP(rec, req)
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	return rec.Code, body
}

// login runs the password grant and returns the access and refresh tokens.
func (h *hrEnv) login(t *testing.T, email, password string) (access, refresh string) {
	t.Helper()
	status, body := h.oauth(t, url.Values{"grant_type": {"password"}, "client_id": {h.channel.ClientID}, "username": {email}, "password": {password}})
	require.Equal(t, http.StatusOK, status, "%v", body)
	return body["access_token"].(string), body["refresh_token"].(string)
}

// refresh runs the refresh_token grant.
func (h *hrEnv) refresh(t *testing.T, token string) (int, map[string]any) {
	t.Helper()
	return h.oauth(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
}

// requireSession requires the token to act as the customer.
func (h *hrEnv) requireSession(t *testing.T, token, customerID string) {
	t.Helper()
	r := h.must(t, token, `{ viewer { id } }`, nil)
	require.Equal(t, customerID, r.Str("viewer.id"), r.Raw)
}

// requireEnded requires the access token to be refused and the refresh
// token (if any) to be refused by the token endpoint.
func (h *hrEnv) requireEnded(t *testing.T, access, refresh string) {
	t.Helper()
	hrRequireUnauthenticated(t, h.DoAs(t, access, `{ viewer { id } }`, nil))
	if refresh != "" {
		status, body := h.refresh(t, refresh)
		require.Equal(t, http.StatusUnauthorized, status, "%v", body)
		require.Equal(t, "invalid_grant", body["error"], "%v", body)
		require.NotContains(t, body, "access_token")
	}
}

const (
	hrStartReset = `mutation($email: String!) { createCustomerPasswordReset(customerEmail: $email) {
		customerPasswordReset { id } resetPasswordToken userErrors { code field } } }`
	hrReset = `mutation($id: ID!, $token: String!, $pw: String!) { resetCustomerPassword(id: $id, token: $token, password: $pw) {
		customerPasswordReset { id resetPasswordAt } userErrors { code field } } }`
	hrUpdateCustomer = `mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) {
		customer { id hasPassword } userErrors { code field } } }`
)

// A password reset ends every earlier session of the customer: access and
// refresh tokens stop working at once, whoever holds them; the new password
// opens a new session. Other customers and the storefront are unaffected.
func TestHardeningPasswordResetEndsEarlierSessions(t *testing.T) {
	h := hrNew(t)
	email, other := hrEmail("reset"), hrEmail("bystander")
	cus := h.customer(t, email, "first password 1")
	by := h.customer(t, other, "bystander password")
	access, refresh := h.login(t, email, "first password 1")
	access2, refresh2 := h.login(t, email, "first password 1") // a second device
	byAccess, byRefresh := h.login(t, other, "bystander password")
	h.requireSession(t, access, cus)
	h.requireSession(t, access2, cus)

	// The storefront starts the reset; the admin delivers the token; the
	// storefront spends it.
	r := h.must(t, h.admin, hrStartReset, map[string]any{"email": email})
	id, token := r.Str("createCustomerPasswordReset.customerPasswordReset.id"), r.Str("createCustomerPasswordReset.resetPasswordToken")
	require.NotEmpty(t, token, r.Raw)
	h.must(t, h.anon, hrReset, map[string]any{"id": id, "token": token, "pw": "second password 2"})

	h.requireEnded(t, access, refresh)
	h.requireEnded(t, access2, refresh2)

	// Refusals changed nothing, and the ended session cannot write.
	before := h.state(t)
	hrRequireUnauthenticated(t, h.DoAs(t, access, `mutation($c: ID!) { createOrder(input: {customerID: $c, currencyCode: "EUR"}) { order { id } userErrors { code } } }`, map[string]any{"c": cus}))
	require.Equal(t, before, h.state(t))

	// The old password no longer logs in; the new one does, and its session
	// works, refresh included.
	status, body := h.oauth(t, url.Values{"grant_type": {"password"}, "client_id": {h.channel.ClientID}, "username": {email}, "password": {"first password 1"}})
	require.Equal(t, http.StatusUnauthorized, status, "%v", body)
	access, refresh = h.login(t, email, "second password 2")
	h.requireSession(t, access, cus)
	status, body = h.refresh(t, refresh)
	require.Equal(t, http.StatusOK, status, "%v", body)
	h.requireSession(t, body["access_token"].(string), cus)

	// Someone else's sessions and the anonymous storefront are untouched.
	h.requireSession(t, byAccess, by)
	status, body = h.refresh(t, byRefresh)
	require.Equal(t, http.StatusOK, status, "%v", body)
	r = h.must(t, h.anon, `{ __typename }`, nil)
	require.Equal(t, "Query", r.Str("__typename"))
}

// An integration admin changing or clearing a customer's password ends the
// customer's earlier sessions too.
func TestHardeningAdminPasswordChangeEndsEarlierSessions(t *testing.T) {
	h := hrNew(t)
	email := hrEmail("changed")
	cus := h.customer(t, email, "first password 1")
	access, refresh := h.login(t, email, "first password 1")
	h.requireSession(t, access, cus)

	h.must(t, h.admin, hrUpdateCustomer, map[string]any{"id": cus, "in": map[string]any{"password": "second password 2"}})
	h.requireEnded(t, access, refresh)

	access, refresh = h.login(t, email, "second password 2")
	h.requireSession(t, access, cus)
	r := h.must(t, h.admin, hrUpdateCustomer, map[string]any{"id": cus, "in": map[string]any{"clearPassword": true}})
	require.Equal(t, false, r.Get("updateCustomer.customer.hasPassword"), r.Raw)
	h.requireEnded(t, access, refresh)

	// Changes that do not touch the password keep sessions alive.
	h.must(t, h.admin, hrUpdateCustomer, map[string]any{"id": cus, "in": map[string]any{"password": "third password 3"}})
	access, refresh = h.login(t, email, "third password 3")
	h.must(t, h.admin, hrUpdateCustomer, map[string]any{"id": cus, "in": map[string]any{"reference": "crm-1", "metadata": map[string]any{"a": 1}}})
	h.must(t, access, hrUpdateCustomer, map[string]any{"id": cus, "in": map[string]any{"reference": "crm-2"}})
	h.requireSession(t, access, cus)
	status, body := h.refresh(t, refresh)
	require.Equal(t, http.StatusOK, status, "%v", body)
}

// A customer cannot replace or clear its existing password itself (it would
// bypass the reset flow): FORBIDDEN, nothing changes and its session goes
// on.
func TestHardeningCustomerCannotClearOrReplaceItsPassword(t *testing.T) {
	h := hrNew(t)
	email := hrEmail("keeper")
	cus := h.customer(t, email, "first password 1")
	access, refresh := h.login(t, email, "first password 1")
	before := h.state(t)
	for _, in := range []map[string]any{{"clearPassword": true}, {"password": "my new password"}} {
		r := h.DoAs(t, access, hrUpdateCustomer, map[string]any{"id": cus, "in": in})
		hrRequireTopLevel(t, r, "updateCustomer", "FORBIDDEN")
		require.Equal(t, before, h.state(t))
	}
	h.requireSession(t, access, cus)
	status, body := h.refresh(t, refresh)
	require.Equal(t, http.StatusOK, status, "%v", body)
	h.login(t, email, "first password 1")
}

// A deleted customer's tokens stop working: they can neither read nor
// create records pointing at the customer that is gone.
func TestHardeningDeletedCustomerTokensStopWorking(t *testing.T) {
	h := hrNew(t)
	email := hrEmail("leaver")
	cus := h.customer(t, email, "first password 1")
	access, refresh := h.login(t, email, "first password 1")
	h.requireSession(t, access, cus)
	r := h.must(t, h.admin, `mutation { createAddress(input: {firstName: "A", lastName: "B", line1: "1 Main St", city: "Rome", countryCode: "IT", phone: "1"}) { address { id } userErrors { code } } }`, nil)
	addr := r.Str("createAddress.address.id")

	h.must(t, h.admin, `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code } } }`, map[string]any{"id": cus})
	before := h.state(t)
	h.requireEnded(t, access, refresh)
	hrRequireUnauthenticated(t, h.DoAs(t, access, `mutation($c: ID!, $a: ID!) { createCustomerAddress(input: {customerID: $c, addressID: $a}) { customerAddress { id } userErrors { code } } }`,
		map[string]any{"c": cus, "a": addr}))
	hrRequireUnauthenticated(t, h.DoAs(t, access, `mutation { createAddress(input: {firstName: "A", lastName: "B", line1: "1 Main St", city: "Rome", countryCode: "IT", phone: "1"}) { address { id } userErrors { code } } }`, nil))
	require.Equal(t, before, h.state(t))
}

// hrOrderInput is a draft order's input.
func hrOrderInput(customerID string, extra map[string]any) map[string]any {
	in := map[string]any{"currencyCode": "EUR"}
	if customerID != "" {
		in["customerID"] = customerID
	}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

const (
	hrCreateOrder = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id customerID status currencyCode
		subtotalAmountCents shippingAmountCents discountAmountCents totalTaxAmountCents totalAmountCents } userErrors { code field } } }`
	hrUpdateOrder = `mutation($id: ID!, $in: UpdateOrderInput!) { updateOrder(id: $id, input: $in) { order { id currencyCode
		totalAmountCents reference } userErrors { code field } } }`
	hrCreateReturn = `mutation($in: CreateReturnInput!) { createReturn(input: $in) { return { id estimatedRefundAmountCents } userErrors { code field } } }`
	hrUpdateReturn = `mutation($id: ID!, $in: UpdateReturnInput!) { updateReturn(id: $id, input: $in) { return { id estimatedRefundAmountCents } userErrors { code field } } }`
)

// hrMoneyFields are the order's money inputs, each with a new value.
var hrMoneyFields = map[string]any{
	"currencyCode": "USD", "subtotalAmountCents": 1, "shippingAmountCents": 2, "discountAmountCents": 3,
	"totalTaxAmountCents": 4, "totalAmountCents": 99999,
}

// order creates an order as the admin and moves it through the given steps.
func (h *hrEnv) order(t *testing.T, customerID string, total int, steps ...string) string {
	t.Helper()
	r := h.must(t, h.admin, hrCreateOrder, map[string]any{"in": hrOrderInput(customerID, map[string]any{"totalAmountCents": total})})
	id := r.Str("createOrder.order.id")
	for _, s := range steps {
		h.must(t, h.admin, `mutation($id: ID!) { `+s+`(id: $id) { userErrors { code field } } }`, map[string]any{"id": id})
	}
	return id
}

var hrFulfill = []string{"markOrderPending", "placeOrder", "approveOrder", "startFulfillingOrder", "fulfillOrder"}

// Customers cannot set or change an order's money: amounts are the store's.
// A customer picks the currency when it creates an order, and a new order
// may name zero amounts (their default); anything else is FORBIDDEN and
// changes nothing.
func TestHardeningCustomersCannotSetOrderMoney(t *testing.T) {
	h := hrNew(t)
	email := hrEmail("shopper")
	cus := h.customer(t, email, "first password 1")
	access, _ := h.login(t, email, "first password 1")

	r := h.must(t, access, hrCreateOrder, map[string]any{"in": hrOrderInput("", map[string]any{"totalAmountCents": 0})})
	own := r.Str("createOrder.order.id")
	require.Equal(t, cus, r.Str("createOrder.order.customerID"), r.Raw)
	require.Equal(t, "EUR", r.Str("createOrder.order.currencyCode"), r.Raw)
	placed := h.order(t, cus, 1250, "markOrderPending", "placeOrder")

	for field, value := range hrMoneyFields {
		t.Run(field, func(t *testing.T) {
			before := h.state(t)
			if field != "currencyCode" {
				r := h.DoAs(t, access, hrCreateOrder, map[string]any{"in": hrOrderInput(cus, map[string]any{field: value})})
				hrRequireTopLevel(t, r, "createOrder", "FORBIDDEN")
				require.Equal(t, before, h.state(t))
			}
			for _, id := range []string{own, placed} {
				r := h.DoAs(t, access, hrUpdateOrder, map[string]any{"id": id, "in": map[string]any{field: value}})
				hrRequireTopLevel(t, r, "updateOrder", "FORBIDDEN")
				require.Equal(t, before, h.state(t))
			}
		})
	}
	// What customers may change on their orders still works.
	r = h.must(t, access, hrUpdateOrder, map[string]any{"id": own, "in": map[string]any{"reference": "gift"}})
	require.Equal(t, "gift", r.Str("updateOrder.order.reference"), r.Raw)
}

// Once an order is placed nobody changes its money, not even an integration
// admin: LOCKED on the field, nothing changes. Sending the current value is
// not a change, and other fields stay editable. Before placement the admin
// may change everything.
func TestHardeningPlacedOrderMoneyIsLocked(t *testing.T) {
	h := hrNew(t)
	cus := h.customer(t, hrEmail("locked"), "")
	draft := h.order(t, cus, 1250)
	pending := h.order(t, cus, 1250, "markOrderPending")
	placed := h.order(t, cus, 1250, "markOrderPending", "placeOrder")
	approved := h.order(t, cus, 1250, "markOrderPending", "placeOrder", "approveOrder")
	cancelled := h.order(t, cus, 1250, "markOrderPending", "placeOrder", "cancelOrder")
	fulfilled := h.order(t, cus, 1250, hrFulfill...)

	for field, value := range hrMoneyFields {
		for _, id := range []string{placed, approved, cancelled, fulfilled} {
			before := h.state(t)
			r := h.DoAs(t, h.admin, hrUpdateOrder, map[string]any{"id": id, "in": map[string]any{field: value, "reference": "x"}})
			hrRequireUserError(t, r, "updateOrder", "order", "LOCKED", field)
			require.Equal(t, before, h.state(t), "%s of %s", field, id)
		}
	}
	r := h.must(t, h.admin, hrUpdateOrder, map[string]any{"id": placed, "in": map[string]any{"totalAmountCents": 1250, "currencyCode": "EUR", "reference": "same"}})
	require.Equal(t, "same", r.Str("updateOrder.order.reference"), r.Raw)
	require.Equal(t, 1250, r.Int("updateOrder.order.totalAmountCents"))

	for _, id := range []string{draft, pending} {
		r := h.must(t, h.admin, hrUpdateOrder, map[string]any{"id": id, "in": hrMoneyFields})
		require.Equal(t, 99999, r.Int("updateOrder.order.totalAmountCents"), r.Raw)
		require.Equal(t, "USD", r.Str("updateOrder.order.currencyCode"), r.Raw)
	}
}

// The estimated refunds of an order's open returns (all but cancelled and
// rejected ones) never exceed the order's total, whoever creates or updates
// the returns: INVALID on estimatedRefundAmountCents, nothing changes.
func TestHardeningReturnRefundsAreCappedAtTheOrderTotal(t *testing.T) {
	h := hrNew(t)
	email := hrEmail("returner")
	cus := h.customer(t, email, "first password 1")
	access, _ := h.login(t, email, "first password 1")
	ord := h.order(t, cus, 1250, hrFulfill...)

	refused := func(token, query string, vars map[string]any, mutation string) {
		t.Helper()
		before := h.state(t)
		r := h.DoAs(t, token, query, vars)
		hrRequireUserError(t, r, mutation, "return", "INVALID", "estimatedRefundAmountCents")
		require.Equal(t, before, h.state(t))
	}
	create := func(token string, cents int) *testenv.Response {
		t.Helper()
		return h.DoAs(t, token, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "skusCount": 1, "estimatedRefundAmountCents": cents}})
	}

	// Far above the total, from the customer or the admin.
	refused(access, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "estimatedRefundAmountCents": 1_000_000}}, "createReturn")
	refused(h.admin, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "estimatedRefundAmountCents": 1251}}, "createReturn")

	// A first return claims 1000; a second one for the same money is
	// refused; the remaining 250 can still be claimed.
	r := create(access, 1000)
	require.Empty(t, hrUserErrors(r, "createReturn"), r.Raw)
	first := r.Str("createReturn.return.id")
	refused(access, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "estimatedRefundAmountCents": 1000}}, "createReturn")
	refused(h.admin, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "estimatedRefundAmountCents": 251}}, "createReturn")
	r = create(h.admin, 250)
	require.Empty(t, hrUserErrors(r, "createReturn"), r.Raw)
	second := r.Str("createReturn.return.id")

	// Raising an estimate over the total is refused; lowering it frees money.
	refused(access, hrUpdateReturn, map[string]any{"id": first, "in": map[string]any{"estimatedRefundAmountCents": 1001}}, "updateReturn")
	refused(h.admin, hrUpdateReturn, map[string]any{"id": second, "in": map[string]any{"estimatedRefundAmountCents": 1_000_000}}, "updateReturn")
	h.must(t, access, hrUpdateReturn, map[string]any{"id": first, "in": map[string]any{"estimatedRefundAmountCents": 900}})
	h.must(t, h.admin, hrUpdateReturn, map[string]any{"id": second, "in": map[string]any{"estimatedRefundAmountCents": 350}})
	h.must(t, access, hrUpdateReturn, map[string]any{"id": second, "in": map[string]any{"estimatedRefundAmountCents": 350, "skusCount": 2}})

	// A cancelled return no longer counts.
	h.must(t, access, `mutation($id: ID!) { requestReturn(id: $id) { userErrors { code } } }`, map[string]any{"id": first})
	h.must(t, h.admin, `mutation($id: ID!) { cancelReturn(id: $id) { userErrors { code } } }`, map[string]any{"id": first})
	r = create(access, 900)
	require.Empty(t, hrUserErrors(r, "createReturn"), r.Raw)
	refused(access, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "estimatedRefundAmountCents": 1}}, "createReturn")

	// Returns without an estimate stay possible.
	r = create(access, 0)
	require.Empty(t, hrUserErrors(r, "createReturn"), r.Raw)
}

// Returns created at once for the same order never claim more than its
// total together: the check and the insert are serialised per order.
func TestHardeningConcurrentReturnsRespectTheCap(t *testing.T) {
	h := hrNew(t)
	cus := h.customer(t, hrEmail("racer"), "")
	ord := h.order(t, cus, 1250, hrFulfill...)
	const n = 8
	var wg sync.WaitGroup
	var ok, invalid atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.DoAs(t, h.admin, hrCreateReturn, map[string]any{"in": map[string]any{"orderID": ord, "estimatedRefundAmountCents": 500}})
			switch codes := hrUserErrors(r, "createReturn"); {
			case len(r.Errors) == 0 && len(codes) == 0:
				ok.Add(1)
			case len(r.Errors) == 0 && len(codes) == 1 && codes[0] == "INVALID estimatedRefundAmountCents":
				invalid.Add(1)
			default:
				t.Errorf("unexpected answer: %s", r.Raw)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 2, ok.Load(), "two returns of 500 fit in 1250")
	require.EqualValues(t, n-2, invalid.Load())
	r := h.must(t, h.admin, `query($id: ID!) { node(id: $id) { ... on Order { returns(first: 100) { totalCount edges { node { estimatedRefundAmountCents } } } } } }`, map[string]any{"id": ord})
	require.Equal(t, 2, r.Int("node.returns.totalCount"), r.Raw)
}

// A customer token naming another customer (or a missing one) in an input
// gets NOT_FOUND on customerID, the very same answer for both, and nothing
// is created; its own ID (or none, where the input allows it) is fine.
func TestHardeningCustomerCannotActForAnotherCustomer(t *testing.T) {
	h := hrNew(t)
	email := hrEmail("alice")
	alice := h.customer(t, email, "first password 1")
	bobEmail := hrEmail("bob")
	bob := h.customer(t, bobEmail, "")
	missing := ids.New(ids.Customer)
	access, _ := h.login(t, email, "first password 1")
	r := h.must(t, access, `mutation { createAddress(input: {firstName: "A", lastName: "B", line1: "1 Main St", city: "Rome", countryCode: "IT", phone: "1"}) { address { id } userErrors { code } } }`, nil)
	addr := r.Str("createAddress.address.id")

	cases := []struct {
		mutation, record, query string
		input                   func(customerID string) map[string]any
	}{
		{"createCustomerAddress", "customerAddress",
			`mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id customerID } userErrors { code field } } }`,
			func(c string) map[string]any { return map[string]any{"customerID": c, "addressID": addr} }},
		{"createOrder", "order",
			`mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id customerID } userErrors { code field } } }`,
			func(c string) map[string]any { return map[string]any{"customerID": c, "currencyCode": "EUR"} }},
		{"createCustomerSubscription", "customerSubscription",
			`mutation($in: CreateCustomerSubscriptionInput!) { createCustomerSubscription(input: $in) { customerSubscription { id customerID } userErrors { code field } } }`,
			func(c string) map[string]any { return map[string]any{"customerID": c, "reference": "newsletter-" + c} }},
	}
	for _, tc := range cases {
		t.Run(tc.mutation, func(t *testing.T) {
			before := h.state(t)
			someone := h.DoAs(t, access, tc.query, map[string]any{"in": tc.input(bob)})
			hrRequireUserError(t, someone, tc.mutation, tc.record, "NOT_FOUND", "customerID")
			require.Equal(t, before, h.state(t))
			nobody := h.DoAs(t, access, tc.query, map[string]any{"in": tc.input(missing)})
			require.Equal(t, strings.ReplaceAll(nobody.Raw, missing, "<ID>"), strings.ReplaceAll(someone.Raw, bob, "<ID>"),
				"someone else's customer answers exactly like a missing one")
			require.Equal(t, before, h.state(t))

			r := h.must(t, access, tc.query, map[string]any{"in": tc.input(alice)})
			require.Equal(t, alice, r.Str(tc.mutation+"."+tc.record+".customerID"), r.Raw)
		})
	}
	r = h.must(t, access, `mutation { createOrder(input: {currencyCode: "EUR"}) { order { customerID } userErrors { code field } } }`, nil)
	require.Equal(t, alice, r.Str("createOrder.order.customerID"), r.Raw)

	// By email: someone else's email answers like an unknown one (and
	// creates no customer); its own email is fine. The order's create hook
	// applies the rule, so the answer is a user error like any refused
	// create.
	const byEmail = `mutation($e: String!) { createOrder(input: {customerEmail: $e, currencyCode: "EUR"}) { order { customerID } userErrors { code field } } }`
	before := h.state(t)
	someone := h.DoAs(t, access, byEmail, map[string]any{"e": bobEmail})
	hrRequireUserError(t, someone, "createOrder", "order", "NOT_FOUND", "customerEmail")
	nobody := h.DoAs(t, access, byEmail, map[string]any{"e": bobEmail + ".missing"})
	require.Equal(t, nobody.Raw, someone.Raw)
	require.Equal(t, before, h.state(t))
	r = h.must(t, access, byEmail, map[string]any{"e": email})
	require.Equal(t, alice, r.Str("createOrder.order.customerID"), r.Raw)

	// An integration admin still creates records for any customer.
	r = h.must(t, h.admin, cases[1].query, map[string]any{"in": cases[1].input(bob)})
	require.Equal(t, bob, r.Str("createOrder.order.customerID"), r.Raw)
}

// An anonymous storefront signing a customer up cannot put it in a group:
// an existing group answers NOT_FOUND on customerGroupID exactly like a
// missing one, and no customer is created. An integration admin can.
func TestHardeningStorefrontCannotJoinCustomerGroups(t *testing.T) {
	h := hrNew(t)
	r := h.must(t, h.admin, `mutation { createCustomerGroup(input: {name: "VIP", code: "vip"}) { customerGroup { id } userErrors { code field } } }`, nil)
	group := r.Str("createCustomerGroup.customerGroup.id")
	missing := ids.New(ids.CustomerGroup)
	const q = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id customerGroup { id } } userErrors { code field } } }`

	before := h.state(t)
	existing := h.DoAs(t, h.anon, q, map[string]any{"in": map[string]any{"email": "joiner@example.com", "customerGroupID": group}})
	hrRequireUserError(t, existing, "createCustomer", "customer", "NOT_FOUND", "customerGroupID")
	absent := h.DoAs(t, h.anon, q, map[string]any{"in": map[string]any{"email": "joiner@example.com", "customerGroupID": missing}})
	require.Equal(t, strings.ReplaceAll(absent.Raw, missing, "<ID>"), strings.ReplaceAll(existing.Raw, group, "<ID>"))
	require.Equal(t, before, h.state(t))

	r = h.must(t, h.anon, `mutation { createCustomer(input: {email: "joiner@example.com"}) { customer { id } userErrors { code field } } }`, nil)
	require.NotEmpty(t, r.Str("createCustomer.customer.id"), r.Raw)
	r = h.must(t, h.admin, q, map[string]any{"in": map[string]any{"email": "member@example.com", "customerGroupID": group}})
	require.Equal(t, group, r.Str("createCustomer.customer.customerGroup.id"), r.Raw)
}
