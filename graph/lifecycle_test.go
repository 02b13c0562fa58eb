package graph_test

// Commerce lifecycle: the state machines of orders, returns and order
// subscriptions, the customer status they drive, and deletion rules
// (docs/domain.md). The helpers at the top are shared
// by the other test files of the package.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

var lcEmailSeq atomic.Int64

// lcEnvMu serialises testenv.New: its migration (ent's Schema.Create) writes to
// the package-level table definitions of ent/migrate, so two environments
// created at once crash with "concurrent map writes". Top-level tests of
// this package are therefore not parallel (a parallel top-level test would
// create its environment alongside theirs); their subtests are, and create
// their environments through newEnv.
var lcEnvMu sync.Mutex

// newEnv starts a fresh test environment.
func lcNewEnv(t testing.TB) *testenv.Env {
	t.Helper()
	lcEnvMu.Lock()
	defer lcEnvMu.Unlock()
	return testenv.New(t)
}

// uniqueEmail returns an email no other call returns.
func lcUniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, lcEmailSeq.Add(1))
}

// Field lcSelections of the records the tests compare before and after a
// mutation.
const (
	lcOrderFields = `id number status paymentStatus fulfillmentStatus customerID customerEmail createdAt updatedAt
		placedAt approvedAt cancelledAt fulfillmentUpdatedAt metadata`
	lcReturnFields = `id number status orderID customerID customerEmail createdAt updatedAt
		approvedAt cancelledAt shippedAt rejectedAt receivedAt refundedAt metadata`
	lcSubscriptionFields = `id number status customerID sourceOrderID frequency activateBySourceOrder
		startsAt expiresAt nextRunAt lastRunAt occurrencies createdAt updatedAt`
	lcCustomerFields = `id email status totalOrdersCount hasPassword metadata updatedAt`
)

// payloadField returns the field of a mutation's payload that holds the
// record, e.g. "order" for placeOrder.
func lcPayloadField(mutation string) string {
	switch {
	case strings.Contains(mutation, "PasswordReset") || mutation == "resetCustomerPassword":
		return "customerPasswordReset"
	case strings.Contains(mutation, "OrderSubscription"):
		return "orderSubscription"
	case strings.Contains(mutation, "Return"):
		return "return"
	case strings.Contains(mutation, "CustomerGroup"):
		return "customerGroup"
	case strings.Contains(mutation, "Order"):
		return "order"
	case strings.Contains(mutation, "Customer"):
		return "customer"
	}
	panic("no payload field known for " + mutation)
}

var lcSelections = map[string]string{
	"order":             lcOrderFields,
	"return":            lcReturnFields,
	"orderSubscription": lcSubscriptionFields,
	"customer":          lcCustomerFields,
	"customerGroup":     `id name metadata updatedAt`,
}

// transition runs a mutation that takes only an id (placeOrder,
// approveReturn, …) and returns the response, whatever it is.
func lcTransition(t testing.TB, e *testenv.Env, mutation, id string) *testenv.Response {
	t.Helper()
	pf := lcPayloadField(mutation)
	q := fmt.Sprintf(`mutation($id: ID!) { %s(id: $id) { %s { %s } userErrors { code field } } }`,
		mutation, pf, lcSelections[pf])
	return e.Do(t, q, map[string]any{"id": id})
}

// mustTransition runs a transition mutation that must succeed and returns
// the record after it.
func lcMustTransition(t testing.TB, e *testenv.Env, mutation, id string) map[string]any {
	t.Helper()
	r := lcTransition(t, e, mutation, id)
	require.Empty(t, r.Errors, "%s: %s", mutation, r.Raw)
	require.Empty(t, lcUserErrorsOf(t, r, mutation), "%s: %s", mutation, r.Raw)
	rec, ok := r.Get(mutation + "." + lcPayloadField(mutation)).(map[string]any)
	require.True(t, ok, "%s returned no record: %s", mutation, r.Raw)
	require.Equal(t, id, rec["id"])
	return rec
}

// runSteps applies transition mutations one after another.
func lcRunSteps(t testing.TB, e *testenv.Env, id string, mutations ...string) {
	t.Helper()
	for _, m := range mutations {
		lcMustTransition(t, e, m, id)
	}
}

// The order mutations that lead to each order state from DRAFT.
var (
	lcToPending    = []string{"markOrderPending"}
	lcToPlaced     = []string{"markOrderPending", "placeOrder"}
	lcToApproved   = []string{"markOrderPending", "placeOrder", "approveOrder"}
	lcToInProgress = []string{"markOrderPending", "placeOrder", "approveOrder", "startFulfillingOrder"}
	lcToFulfilled  = []string{"markOrderPending", "placeOrder", "approveOrder", "startFulfillingOrder", "fulfillOrder"}
	lcToCancelled  = []string{"markOrderPending", "placeOrder", "cancelOrder"}
)

// createCustomer creates a customer from the given input and returns its ID.
func lcCreateCustomer(t testing.TB, e *testenv.Env, input map[string]any) string {
	t.Helper()
	r := e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
		map[string]any{"in": input})
	id := r.Str("createCustomer.customer.id")
	require.NotEmpty(t, id, r.Raw)
	return id
}

// newCustomer creates a customer without a password and returns its ID.
func lcNewCustomer(t testing.TB, e *testenv.Env) string {
	t.Helper()
	return lcCreateCustomer(t, e, map[string]any{"email": lcUniqueEmail("customer")})
}

// newOrder creates a DRAFT order of the customer, applies the given
// transitions and returns the order's ID.
func lcNewOrder(t testing.TB, e *testenv.Env, customerID string, mutations ...string) string {
	t.Helper()
	r := e.MustDo(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id status } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": customerID, "currencyCode": "EUR", "totalAmountCents": 1250}})
	id := r.Str("createOrder.order.id")
	require.NotEmpty(t, id, r.Raw)
	require.Equal(t, "DRAFT", r.Str("createOrder.order.status"))
	lcRunSteps(t, e, id, mutations...)
	return id
}

// newReturn creates a DRAFT return of the order, applies the given
// transitions and returns the return's ID.
func lcNewReturn(t testing.TB, e *testenv.Env, orderID string, mutations ...string) string {
	t.Helper()
	r := lcCreateReturn(t, e, orderID)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, lcUserErrorsOf(t, r, "createReturn"), r.Raw)
	id := r.Str("createReturn.return.id")
	require.NotEmpty(t, id, r.Raw)
	lcRunSteps(t, e, id, mutations...)
	return id
}

func lcCreateReturn(t testing.TB, e *testenv.Env, orderID string) *testenv.Response {
	t.Helper()
	return e.Do(t, `mutation($in: CreateReturnInput!) { createReturn(input: $in) { return { `+lcReturnFields+` } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"orderID": orderID, "skusCount": 1, "estimatedRefundAmountCents": 500}})
}

func lcCreateOrderSubscription(t testing.TB, e *testenv.Env, input map[string]any) *testenv.Response {
	t.Helper()
	return e.Do(t, `mutation($in: CreateOrderSubscriptionInput!) { createOrderSubscription(input: $in) { orderSubscription { `+lcSubscriptionFields+` } userErrors { code field } } }`,
		map[string]any{"in": input})
}

// newOrderSubscription creates a subscription that must succeed and returns
// its ID.
func lcNewOrderSubscription(t testing.TB, e *testenv.Env, input map[string]any, mutations ...string) string {
	t.Helper()
	r := lcCreateOrderSubscription(t, e, input)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, lcUserErrorsOf(t, r, "createOrderSubscription"), r.Raw)
	id := r.Str("createOrderSubscription.orderSubscription.id")
	require.NotEmpty(t, id, r.Raw)
	lcRunSteps(t, e, id, mutations...)
	return id
}

// node returns the record with the given ID (all the fields the tests
// compare), or nil when lcNode() finds nothing.
func lcNode(t testing.TB, e *testenv.Env, id string) map[string]any {
	t.Helper()
	fragments := map[string]string{
		"ord": "... on Order { " + lcOrderFields + " }",
		"ret": "... on Return { " + lcReturnFields + " }",
		"osb": "... on OrderSubscription { " + lcSubscriptionFields + " }",
		"cus": "... on Customer { " + lcCustomerFields + " }",
		"cpr": "... on CustomerPasswordReset { customerID customerEmail expiresAt resetPasswordAt updatedAt }",
		"cgr": "... on CustomerGroup { name metadata updatedAt }",
	}
	prefix, _, _ := strings.Cut(id, "_")
	r := e.Do(t, `query($id: ID!) { node(id: $id) { __typename id `+fragments[prefix]+` } }`, map[string]any{"id": id})
	n, _ := r.Get("node").(map[string]any)
	if n == nil {
		require.Contains(t, r.ErrorCodes(), "NOT_FOUND", "a missing node must come with NOT_FOUND: %s", r.Raw)
	} else {
		require.Empty(t, r.Errors, r.Raw)
	}
	return n
}

// mustNode is node for a record that must exist.
func lcMustNode(t testing.TB, e *testenv.Env, id string) map[string]any {
	t.Helper()
	n := lcNode(t, e, id)
	require.NotNil(t, n, "node %s not found", id)
	return n
}

// lcUserError is one entry of a payload's userErrors.
type lcUserError struct {
	Code  string   `json:"code"`
	Field []string `json:"field"`
}

// userErrorsOf returns the user errors of a mutation's payload.
func lcUserErrorsOf(t testing.TB, r *testenv.Response, mutation string) []lcUserError {
	t.Helper()
	raw := r.Get(mutation + ".userErrors")
	if raw == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	require.NoError(t, err)
	var out []lcUserError
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// requireRefused checks that a mutation returned a user error with the given
// code (and, when given, field) and no record: the other payload fields are
// null.
func lcRequireRefused(t testing.TB, r *testenv.Response, mutation, code string, field ...string) {
	t.Helper()
	require.Empty(t, r.Errors, "a refused %s is a user error, not a top-level error: %s", mutation, r.Raw)
	ues := lcUserErrorsOf(t, r, mutation)
	require.NotEmpty(t, ues, "%s must be refused with %s: %s", mutation, code, r.Raw)
	found := false
	for _, ue := range ues {
		if ue.Code == code && (field == nil || lcEqualStrings(ue.Field, field)) {
			found = true
		}
	}
	require.True(t, found, "%s: want user error %s on %v, got %s", mutation, code, field, r.Raw)
	lcRequireNoRecord(t, r, mutation)
}

// requireNotFound checks that a mutation naming an unknown record found
// nothing: NOT_FOUND as a user error (on field, when given) or as a
// top-level error, and no record.
func lcRequireNotFound(t testing.TB, r *testenv.Response, mutation string, field ...string) {
	t.Helper()
	if len(r.Errors) > 0 {
		require.Contains(t, r.ErrorCodes(), "NOT_FOUND", r.Raw)
		lcRequireNoRecord(t, r, mutation)
		return
	}
	lcRequireRefused(t, r, mutation, "NOT_FOUND", field...)
}

// requireNoRecord checks that every field of the payload but userErrors is
// null.
func lcRequireNoRecord(t testing.TB, r *testenv.Response, mutation string) {
	t.Helper()
	p, _ := r.Get(mutation).(map[string]any)
	for k, v := range p {
		if k != "userErrors" {
			require.Nil(t, v, "%s.%s must be null when refused: %s", mutation, k, r.Raw)
		}
	}
}

func lcEqualStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// event is one record of the event log.
type lcEvent struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	ResourceType string         `json:"resourceType"`
	ResourceID   string         `json:"resourceID"`
	Sequence     int64          `json:"sequence"`
	Payload      map[string]any `json:"payload"`
	CreatedAt    string         `json:"createdAt"`
	Mode         string         `json:"mode"`
}

// fetchEvents reads every event matching where (nil: all), oldest first by
// sequence, page by page. It also returns the raw text of every page.
func lcFetchEvents(t testing.TB, e *testenv.Env, where map[string]any) ([]lcEvent, string) {
	t.Helper()
	var out []lcEvent
	var raw strings.Builder
	var after any
	for page := 0; ; page++ {
		require.Less(t, page, 1000, "events pagination does not end")
		r := e.Do(t, `query($after: Cursor, $where: EventWhereInput) {
			events(first: 100, after: $after, where: $where, orderBy: [{field: SEQUENCE, direction: ASC}]) {
				totalCount
				pageInfo { hasNextPage endCursor }
				edges { node { id name resourceType resourceID sequence payload createdAt mode } }
			} }`, map[string]any{"after": after, "where": where})
		require.Empty(t, r.Errors, r.Raw)
		raw.WriteString(r.Raw)
		var conn struct {
			TotalCount int `json:"totalCount"`
			PageInfo   struct {
				HasNextPage bool    `json:"hasNextPage"`
				EndCursor   *string `json:"endCursor"`
			} `json:"pageInfo"`
			Edges []struct {
				Node lcEvent `json:"node"`
			} `json:"edges"`
		}
		b, err := json.Marshal(r.Get("events"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &conn))
		for _, edge := range conn.Edges {
			out = append(out, edge.Node)
		}
		if !conn.PageInfo.HasNextPage {
			require.Len(t, out, conn.TotalCount, "pages must add up to totalCount")
			return out, raw.String()
		}
		require.NotNil(t, conn.PageInfo.EndCursor)
		after = *conn.PageInfo.EndCursor
	}
}

// eventCount returns how many events match where (nil: all).
func lcEventCount(t testing.TB, e *testenv.Env, where map[string]any) int {
	t.Helper()
	r := e.Do(t, `query($where: EventWhereInput) { events(first: 1, where: $where) { totalCount } }`, map[string]any{"where": where})
	require.Empty(t, r.Errors, r.Raw)
	n := r.Int("events.totalCount")
	require.GreaterOrEqual(t, n, 0, r.Raw)
	return n
}

// eventsOf returns the events about one resource, oldest first.
func lcEventsOf(t testing.TB, e *testenv.Env, resourceID string) []lcEvent {
	t.Helper()
	evs, _ := lcFetchEvents(t, e, map[string]any{"resourceID": resourceID})
	return evs
}

// namesOf lists the names of events.
func lcNamesOf(evs []lcEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Name
	}
	return out
}

// countName counts the events with the given name.
func lcCountName(evs []lcEvent, name string) int {
	n := 0
	for _, ev := range evs {
		if ev.Name == name {
			n++
		}
	}
	return n
}

// customerState returns what the customer's status rules govern.
func lcCustomerState(t testing.TB, e *testenv.Env, id string) (status string, count int) {
	t.Helper()
	c := lcMustNode(t, e, id)
	return c["status"].(string), int(c["totalOrdersCount"].(float64))
}

// typeFields lists the field names (or input field names) of a schema type,
// by introspection.
func lcTypeFields(t testing.TB, e *testenv.Env, typeName string) []string {
	t.Helper()
	r := e.MustDo(t, `query($n: String!) { __type(name: $n) { fields { name } inputFields { name } } }`, map[string]any{"n": typeName})
	var out []string
	for _, key := range []string{"fields", "inputFields"} {
		list, _ := r.Get("__type." + key).([]any)
		for _, f := range list {
			out = append(out, f.(map[string]any)["name"].(string))
		}
	}
	require.NotEmpty(t, out, "type %s has no fields: %s", typeName, r.Raw)
	return out
}

// parseTime reads a Time scalar.
func lcParseTime(t testing.TB, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "not a time: %v", v)
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return tm
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

var lcOrderStamps = []string{"placedAt", "approvedAt", "cancelledAt", "fulfillmentUpdatedAt"}

func TestOrderTransitions(t *testing.T) {
	tests := []struct {
		name                         string
		before                       []string
		mutation                     string
		status, payment, fulfillment string
		stamp                        string // the timestamp the move sets, if any
		event                        string
	}{
		{"pending from draft", nil, "markOrderPending", "PENDING", "UNPAID", "UNFULFILLED", "", "orders.pending"},
		{"place a pending order", lcToPending, "placeOrder", "PLACED", "AUTHORIZED", "UNFULFILLED", "placedAt", "orders.place"},
		{"approve a placed order", lcToPlaced, "approveOrder", "APPROVED", "AUTHORIZED", "UNFULFILLED", "approvedAt", "orders.approve"},
		{"cancel a placed order", lcToPlaced, "cancelOrder", "CANCELLED", "VOIDED", "UNFULFILLED", "cancelledAt", "orders.cancel"},
		{"cancel an approved order", lcToApproved, "cancelOrder", "CANCELLED", "VOIDED", "UNFULFILLED", "cancelledAt", "orders.cancel"},
		{"start fulfilling an approved order", lcToApproved, "startFulfillingOrder", "APPROVED", "PAID", "IN_PROGRESS", "fulfillmentUpdatedAt", "orders.start_fulfilling"},
		{"fulfill an order in fulfillment", lcToInProgress, "fulfillOrder", "APPROVED", "PAID", "FULFILLED", "fulfillmentUpdatedAt", "orders.fulfill"},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			id := lcNewOrder(t, e, cus, tc.before...)
			before := lcMustNode(t, e, id)
			eventsBefore := lcEventsOf(t, e, id)

			got := lcMustTransition(t, e, tc.mutation, id)
			require.Equal(t, tc.status, got["status"])
			require.Equal(t, tc.payment, got["paymentStatus"])
			require.Equal(t, tc.fulfillment, got["fulfillmentStatus"])
			for _, s := range lcOrderStamps {
				if s == tc.stamp {
					require.NotNil(t, got[s], "%s must be set", s)
					require.False(t, lcParseTime(t, got[s]).Before(lcParseTime(t, got["createdAt"])), "%s before createdAt", s)
					if before[s] != nil {
						require.False(t, lcParseTime(t, got[s]).Before(lcParseTime(t, before[s])), "%s moved back", s)
					}
				} else {
					require.Equal(t, before[s], got[s], "%s must not change", s)
				}
			}
			// What the mutation returned is what is stored.
			stored := lcMustNode(t, e, id)
			delete(stored, "__typename")
			require.Equal(t, got, stored)

			evs := lcEventsOf(t, e, id)
			require.Len(t, evs, len(eventsBefore)+1, "one event per transition: %v", lcNamesOf(evs))
			last := evs[len(evs)-1]
			require.Equal(t, tc.event, last.Name)
			require.Equal(t, "orders", last.ResourceType)
			require.Equal(t, id, last.ResourceID)
			require.Equal(t, 1, lcCountName(evs, tc.event))
		})
	}
}

func TestOrderTransitionRefusals(t *testing.T) {
	tests := []struct {
		name     string
		before   []string
		mutation string
	}{
		{"place a draft", nil, "placeOrder"},
		{"place a placed order again", lcToPlaced, "placeOrder"},
		{"place an approved order", lcToApproved, "placeOrder"},
		{"place a cancelled order", lcToCancelled, "placeOrder"},
		{"mark a pending order pending again", lcToPending, "markOrderPending"},
		{"mark a placed order pending", lcToPlaced, "markOrderPending"},
		{"approve a draft", nil, "approveOrder"},
		{"approve a pending order", lcToPending, "approveOrder"},
		{"approve an approved order again", lcToApproved, "approveOrder"},
		{"approve a cancelled order", lcToCancelled, "approveOrder"},
		{"cancel a draft", nil, "cancelOrder"},
		{"cancel a pending order", lcToPending, "cancelOrder"},
		{"cancel a cancelled order again", lcToCancelled, "cancelOrder"},
		{"cancel an order in fulfillment", lcToInProgress, "cancelOrder"},
		{"cancel a fulfilled order", lcToFulfilled, "cancelOrder"},
		{"start fulfilling a draft", nil, "startFulfillingOrder"},
		{"start fulfilling a placed, unapproved order", lcToPlaced, "startFulfillingOrder"},
		{"start fulfilling twice", lcToInProgress, "startFulfillingOrder"},
		{"start fulfilling a cancelled order", lcToCancelled, "startFulfillingOrder"},
		{"fulfill before start fulfilling", lcToApproved, "fulfillOrder"},
		{"fulfill a placed order", lcToPlaced, "fulfillOrder"},
		{"fulfill a fulfilled order again", lcToFulfilled, "fulfillOrder"},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			id := lcNewOrder(t, e, cus, tc.before...)
			order := lcMustNode(t, e, id)
			customer := lcMustNode(t, e, cus)
			events := lcEventCount(t, e, nil)

			r := lcTransition(t, e, tc.mutation, id)
			lcRequireRefused(t, r, tc.mutation, "INVALID_TRANSITION")

			require.Equal(t, order, lcMustNode(t, e, id), "a refused transition changes nothing")
			require.Equal(t, customer, lcMustNode(t, e, cus), "a refused transition changes nothing on the customer")
			require.Equal(t, events, lcEventCount(t, e, nil), "a refused transition records no event")
		})
	}
}

func TestOrderMutationsUnknownID(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	ids := map[string]string{
		"unknown order ID":  "ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X",
		"ID of a customer":  cus,
		"malformed ID":      "not-an-id",
		"empty ID":          "",
		"unknown return ID": "ret_01JD3Q8Z1K9Y8F7M6N5B4V3C2X",
	}
	mutations := []string{"markOrderPending", "placeOrder", "approveOrder", "cancelOrder", "startFulfillingOrder", "fulfillOrder", "mergeOrderMetadata"}
	events := lcEventCount(t, e, nil)
	for _, m := range mutations {
		for kind, id := range ids {
			t.Run(m+" with "+kind, func(t *testing.T) {
				var r *testenv.Response
				if m == "mergeOrderMetadata" {
					r = e.Do(t, `mutation($id: ID!) { mergeOrderMetadata(id: $id, metadata: {a: 1}) { order { id } userErrors { code field } } }`, map[string]any{"id": id})
				} else {
					r = lcTransition(t, e, m, id)
				}
				lcRequireNotFound(t, r, m)
			})
		}
	}
	t.Run("deleteOrder", func(t *testing.T) {
		r := e.Do(t, `mutation($id: ID!) { deleteOrder(id: $id) { deletedID userErrors { code field } } }`, map[string]any{"id": ids["unknown order ID"]})
		lcRequireNotFound(t, r, "deleteOrder")
	})
	require.Equal(t, events, lcEventCount(t, e, nil))
}

func TestOrderNumbersAreUniqueAndIncrease(t *testing.T) {
	e := lcNewEnv(t)
	a, b := lcNewCustomer(t, e), lcNewCustomer(t, e)
	var numbers []int
	seen := map[string]bool{}
	for i := 0; i < 6; i++ {
		cus := a
		if i%2 == 1 {
			cus = b
		}
		if i == 2 { // a deleted order's number is not given again
			gone := lcNewOrder(t, e, cus)
			e.MustDo(t, `mutation($id: ID!) { deleteOrder(id: $id) { deletedID userErrors { code } } }`, map[string]any{"id": gone})
		}
		num := lcMustNode(t, e, lcNewOrder(t, e, cus))["number"].(string)
		require.False(t, seen[num], "order number %s given twice", num)
		seen[num] = true
		n, err := strconv.Atoi(num)
		require.NoError(t, err, "order numbers are numeric: %q", num)
		if len(numbers) > 0 {
			require.Greater(t, n, numbers[len(numbers)-1], "order numbers increase")
		}
		numbers = append(numbers, n)
	}
	// The number is the server's: the inputs do not offer it.
	require.NotContains(t, lcTypeFields(t, e, "CreateOrderInput"), "number")
	require.NotContains(t, lcTypeFields(t, e, "UpdateOrderInput"), "number")
}

func TestDeleteOrder(t *testing.T) {
	tests := []struct {
		name   string
		before []string
		locked bool
	}{
		{"draft", nil, false},
		{"pending", lcToPending, false},
		{"placed", lcToPlaced, true},
		{"approved", lcToApproved, true},
		{"cancelled after placement", lcToCancelled, true},
		{"fulfilled", lcToFulfilled, true},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			id := lcNewOrder(t, e, cus, tc.before...)
			order := lcMustNode(t, e, id)
			customer := lcMustNode(t, e, cus)
			events := lcEventCount(t, e, nil)

			r := e.Do(t, `mutation($id: ID!) { deleteOrder(id: $id) { deletedID userErrors { code field } } }`, map[string]any{"id": id})
			if tc.locked {
				lcRequireRefused(t, r, "deleteOrder", "LOCKED")
				require.Equal(t, order, lcMustNode(t, e, id))
				require.Equal(t, customer, lcMustNode(t, e, cus))
				require.Equal(t, events, lcEventCount(t, e, nil))
				return
			}
			require.Empty(t, r.Errors, r.Raw)
			require.Empty(t, lcUserErrorsOf(t, r, "deleteOrder"), r.Raw)
			require.Equal(t, id, r.Str("deleteOrder.deletedID"))
			require.Nil(t, lcNode(t, e, id))
			evs := lcEventsOf(t, e, id)
			require.Equal(t, 1, lcCountName(evs, "orders.destroy"), lcNamesOf(evs))
			require.Equal(t, map[string]any{"id": id}, evs[len(evs)-1].Payload)
			// An unplaced order never counted.
			status, count := lcCustomerState(t, e, cus)
			require.Equal(t, "PROSPECT", status)
			require.Zero(t, count)
		})
	}
}

// ---------------------------------------------------------------------------
// Customer status
// ---------------------------------------------------------------------------

func TestCustomerStatusFollowsPlacedOrders(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	other := lcNewCustomer(t, e)
	check := func(t *testing.T, wantStatus string, wantCount int) {
		t.Helper()
		status, count := lcCustomerState(t, e, cus)
		require.Equal(t, wantStatus, status)
		require.Equal(t, wantCount, count)
	}
	check(t, "PROSPECT", 0)

	// Carts do not count.
	lcNewOrder(t, e, cus)
	pendingA := lcNewOrder(t, e, cus, lcToPending...)
	check(t, "PROSPECT", 0)

	lcMustTransition(t, e, "placeOrder", pendingA)
	check(t, "ACQUIRED", 1)

	// Cancelling after placement never moves the customer back.
	lcMustTransition(t, e, "cancelOrder", pendingA)
	check(t, "ACQUIRED", 1)

	// Another customer's orders are not this customer's.
	lcNewOrder(t, e, other, lcToPlaced...)
	lcNewOrder(t, e, other, lcToPlaced...)
	check(t, "ACQUIRED", 1)
	status, count := lcCustomerState(t, e, other)
	require.Equal(t, "REPEAT", status)
	require.Equal(t, 2, count)

	// A refused placement does not count.
	r := lcTransition(t, e, "placeOrder", pendingA)
	lcRequireRefused(t, r, "placeOrder", "INVALID_TRANSITION")
	check(t, "ACQUIRED", 1)

	pendingB := lcNewOrder(t, e, cus, lcToPending...)
	check(t, "ACQUIRED", 1)
	lcMustTransition(t, e, "placeOrder", pendingB)
	check(t, "REPEAT", 2)

	c := lcNewOrder(t, e, cus, lcToApproved...)
	check(t, "REPEAT", 3)
	// Approval, fulfilment and cancellation of counted orders change nothing.
	lcRunSteps(t, e, c, "startFulfillingOrder", "fulfillOrder")
	lcMustTransition(t, e, "cancelOrder", pendingB)
	check(t, "REPEAT", 3)

	evs := lcEventsOf(t, e, cus)
	require.Equal(t, 1, lcCountName(evs, "customers.acquired"), lcNamesOf(evs))
	require.Equal(t, 1, lcCountName(evs, "customers.repeat"), lcNamesOf(evs))
	for _, ev := range evs {
		if ev.Name == "customers.acquired" || ev.Name == "customers.repeat" {
			require.Equal(t, "customers", ev.ResourceType)
		}
	}
	// acquired comes before repeat.
	names := lcNamesOf(evs)
	require.Less(t, lcIndexOf(names, "customers.acquired"), lcIndexOf(names, "customers.repeat"))

	// The status is the server's: the inputs do not offer it.
	for _, in := range []string{"CreateCustomerInput", "UpdateCustomerInput"} {
		fields := lcTypeFields(t, e, in)
		require.NotContains(t, fields, "status")
		require.NotContains(t, fields, "totalOrdersCount")
	}
}

func lcIndexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// ---------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------

func TestMetadataMergeAndReplace(t *testing.T) {
	initial := map[string]any{"keep": "yes", "change": 1, "drop": true, "nested": map[string]any{"a": 1}}
	tests := []struct {
		typ    string
		create func(t testing.TB, e *testenv.Env) string
		event  string // the event a metadata change records
	}{
		{"Customer", func(t testing.TB, e *testenv.Env) string {
			return lcCreateCustomer(t, e, map[string]any{"email": lcUniqueEmail("meta"), "metadata": initial})
		}, "customers.metadata_update"},
		{"CustomerGroup", func(t testing.TB, e *testenv.Env) string {
			return lcCreate(t, e, "CustomerGroup", map[string]any{"name": "Group", "metadata": initial})
		}, "customer_groups.update"},
		{"Order", func(t testing.TB, e *testenv.Env) string {
			return lcCreate(t, e, "Order", map[string]any{"customerID": lcNewCustomer(t, e), "currencyCode": "EUR", "metadata": initial})
		}, "orders.update"},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			id := tc.create(t, e)
			stored := func() map[string]any {
				t.Helper()
				md, ok := lcMustNode(t, e, id)["metadata"].(map[string]any)
				require.True(t, ok)
				return md
			}
			lastEvent := func() lcEvent {
				t.Helper()
				evs := lcEventsOf(t, e, id)
				require.NotEmpty(t, evs)
				return evs[len(evs)-1]
			}
			require.Equal(t, map[string]any{"keep": "yes", "change": float64(1), "drop": true, "nested": map[string]any{"a": float64(1)}}, stored())

			// Merge: keys set, null deletes, others kept.
			got := lcMerge(t, e, tc.typ, id, map[string]any{"change": 2, "drop": nil, "new": "x"})
			want := map[string]any{"keep": "yes", "change": float64(2), "new": "x", "nested": map[string]any{"a": float64(1)}}
			require.Equal(t, want, got)
			require.Equal(t, want, stored())
			ev := lastEvent()
			require.Equal(t, tc.event, ev.Name)
			require.Equal(t, want, ev.Payload["metadata"], "the event carries the new metadata")

			// Merging nothing, or deleting an absent key, changes nothing.
			require.Equal(t, want, lcMerge(t, e, tc.typ, id, map[string]any{}))
			require.Equal(t, want, lcMerge(t, e, tc.typ, id, map[string]any{"absent": nil}))
			require.Equal(t, want, stored())

			// Update with metadata replaces the whole object.
			lcUpdate(t, e, tc.typ, id, map[string]any{"metadata": map[string]any{"only": 1}})
			require.Equal(t, map[string]any{"only": float64(1)}, stored())
			ev = lastEvent()
			require.Equal(t, tc.event, ev.Name)
			require.Equal(t, map[string]any{"only": float64(1)}, ev.Payload["metadata"])

			// Update without metadata keeps it.
			lcUpdate(t, e, tc.typ, id, map[string]any{"reference": "ref-1"})
			require.Equal(t, map[string]any{"only": float64(1)}, stored())

			// Merging into an unknown record finds nothing and records nothing.
			events := lcEventCount(t, e, nil)
			prefix, _, _ := strings.Cut(id, "_")
			mutation := "merge" + tc.typ + "Metadata"
			r := e.Do(t, fmt.Sprintf(`mutation($id: ID!) { %s(id: $id, metadata: {a: 1}) { %s { id } userErrors { code field } } }`, mutation, lcLowerFirst(tc.typ)),
				map[string]any{"id": prefix + "_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"})
			lcRequireNotFound(t, r, mutation)
			require.Equal(t, events, lcEventCount(t, e, nil))
		})
	}
}

func TestCustomerMetadataEventIsNotAPlainUpdate(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	lcMerge(t, e, "Customer", cus, map[string]any{"a": 1})
	lcUpdate(t, e, "Customer", cus, map[string]any{"metadata": map[string]any{"b": 2}})
	evs := lcEventsOf(t, e, cus)
	require.Equal(t, 2, lcCountName(evs, "customers.metadata_update"), lcNamesOf(evs))
	for _, ev := range evs {
		if ev.Name == "customers.update" {
			require.NotContains(t, ev.Payload, "metadata", "metadata changes are customers.metadata_update")
		}
	}
}

// ---------------------------------------------------------------------------
// Returns
// ---------------------------------------------------------------------------

var lcReturnStamps = []string{"approvedAt", "cancelledAt", "shippedAt", "rejectedAt", "receivedAt", "refundedAt"}

func TestCreateReturn(t *testing.T) {
	e := lcNewEnv(t)
	email := lcUniqueEmail("returner")
	cus := lcCreateCustomer(t, e, map[string]any{"email": email})
	ord := lcNewOrder(t, e, cus, lcToFulfilled...)
	orderNumber := lcMustNode(t, e, ord)["number"].(string)

	r := lcCreateReturn(t, e, ord)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, lcUserErrorsOf(t, r, "createReturn"), r.Raw)
	ret := r.Get("createReturn.return").(map[string]any)
	require.Equal(t, "DRAFT", ret["status"])
	require.Equal(t, ord, ret["orderID"])
	require.Equal(t, cus, ret["customerID"], "the customer comes from the order")
	require.Equal(t, email, ret["customerEmail"])
	require.Equal(t, orderNumber+"/R/001", ret["number"])
	for _, s := range lcReturnStamps {
		require.Nil(t, ret[s], s)
	}
	evs := lcEventsOf(t, e, ret["id"].(string))
	require.Equal(t, []string{"returns.create"}, lcNamesOf(evs))
	require.Equal(t, "returns", evs[0].ResourceType)

	second := lcNewReturn(t, e, ord)
	require.Equal(t, orderNumber+"/R/002", lcMustNode(t, e, second)["number"])

	// Numbering is per order.
	ord2 := lcNewOrder(t, e, cus, lcToFulfilled...)
	third := lcNewReturn(t, e, ord2)
	require.Equal(t, lcMustNode(t, e, ord2)["number"].(string)+"/R/001", lcMustNode(t, e, third)["number"])

	// The order's customer and the return's customer are the same record.
	r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Return { customer { id email } order { id customer { id } } } } }`, map[string]any{"id": second})
	require.Equal(t, cus, r.Str("node.customer.id"))
	require.Equal(t, cus, r.Str("node.order.customer.id"))
	require.NotContains(t, lcTypeFields(t, e, "CreateReturnInput"), "customerID", "the customer is taken from the order, not chosen")
}

func TestCreateReturnRefusals(t *testing.T) {
	tests := []struct {
		name   string
		before []string
	}{
		{"draft order", nil},
		{"pending order", lcToPending},
		{"placed order", lcToPlaced},
		{"approved order", lcToApproved},
		{"order in fulfillment", lcToInProgress},
		{"cancelled order", lcToCancelled},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			ord := lcNewOrder(t, e, cus, tc.before...)
			order := lcMustNode(t, e, ord)
			events := lcEventCount(t, e, nil)
			r := lcCreateReturn(t, e, ord)
			lcRequireRefused(t, r, "createReturn", "INVALID", "orderID")
			require.Equal(t, order, lcMustNode(t, e, ord))
			require.Equal(t, events, lcEventCount(t, e, nil))
			require.Equal(t, 0, e.MustDo(t, `{ returns { totalCount } }`, nil).Int("returns.totalCount"))
		})
	}
	t.Run("unknown order", func(t *testing.T) {
		t.Parallel()
		e := lcNewEnv(t)
		cus := lcNewCustomer(t, e)
		for _, id := range []string{"ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", cus} {
			r := lcCreateReturn(t, e, id)
			lcRequireNotFound(t, r, "createReturn", "orderID")
		}
		require.Equal(t, 0, e.MustDo(t, `{ returns { totalCount } }`, nil).Int("returns.totalCount"))
	})
}

var (
	lcRetRequested = []string{"requestReturn"}
	lcRetApproved  = []string{"requestReturn", "approveReturn"}
	lcRetShipped   = []string{"requestReturn", "approveReturn", "shipReturn"}
	lcRetReceived  = []string{"requestReturn", "approveReturn", "shipReturn", "receiveReturn"}
	lcRetRefunded  = []string{"requestReturn", "approveReturn", "shipReturn", "receiveReturn", "refundReturn"}
	lcRetRejected  = []string{"requestReturn", "approveReturn", "shipReturn", "rejectReturn"}
	lcRetCancelled = []string{"requestReturn", "cancelReturn"}
)

func TestReturnTransitions(t *testing.T) {
	tests := []struct {
		name     string
		before   []string
		mutation string
		status   string
		stamp    string
		event    string
	}{
		{"request a draft", nil, "requestReturn", "REQUESTED", "", "returns.request"},
		{"approve a requested return", lcRetRequested, "approveReturn", "APPROVED", "approvedAt", "returns.approve"},
		{"cancel a requested return", lcRetRequested, "cancelReturn", "CANCELLED", "cancelledAt", "returns.cancel"},
		{"ship an approved return", lcRetApproved, "shipReturn", "SHIPPED", "shippedAt", "returns.ship"},
		{"receive a shipped return", lcRetShipped, "receiveReturn", "RECEIVED", "receivedAt", "returns.receive"},
		{"reject a shipped return", lcRetShipped, "rejectReturn", "REJECTED", "rejectedAt", "returns.reject"},
		{"refund a received return", lcRetReceived, "refundReturn", "REFUNDED", "refundedAt", "returns.refund"},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			ord := lcNewOrder(t, e, cus, lcToFulfilled...)
			id := lcNewReturn(t, e, ord, tc.before...)
			before := lcMustNode(t, e, id)
			order := lcMustNode(t, e, ord)
			eventsBefore := lcEventsOf(t, e, id)

			got := lcMustTransition(t, e, tc.mutation, id)
			require.Equal(t, tc.status, got["status"])
			for _, s := range lcReturnStamps {
				if s == tc.stamp {
					require.NotNil(t, got[s], "%s must be set", s)
					require.False(t, lcParseTime(t, got[s]).Before(lcParseTime(t, got["createdAt"])))
				} else {
					require.Equal(t, before[s], got[s], "%s must not change", s)
				}
			}
			require.Equal(t, before["number"], got["number"])
			require.Equal(t, before["customerID"], got["customerID"])
			stored := lcMustNode(t, e, id)
			delete(stored, "__typename")
			require.Equal(t, got, stored)
			// A return, even refunded, leaves its order as it was.
			require.Equal(t, order, lcMustNode(t, e, ord))

			evs := lcEventsOf(t, e, id)
			require.Len(t, evs, len(eventsBefore)+1, lcNamesOf(evs))
			last := evs[len(evs)-1]
			require.Equal(t, tc.event, last.Name)
			require.Equal(t, "returns", last.ResourceType)
			require.Equal(t, id, last.ResourceID)
		})
	}
}

func TestReturnTransitionRefusals(t *testing.T) {
	tests := []struct {
		name     string
		before   []string
		mutation string
	}{
		{"approve a draft", nil, "approveReturn"},
		{"cancel a draft", nil, "cancelReturn"},
		{"ship a draft", nil, "shipReturn"},
		{"refund a draft", nil, "refundReturn"},
		{"request a requested return again", lcRetRequested, "requestReturn"},
		{"ship a requested return", lcRetRequested, "shipReturn"},
		{"reject a requested return", lcRetRequested, "rejectReturn"},
		{"approve an approved return again", lcRetApproved, "approveReturn"},
		{"cancel an approved return", lcRetApproved, "cancelReturn"},
		{"receive an approved return", lcRetApproved, "receiveReturn"},
		{"reject an approved return", lcRetApproved, "rejectReturn"},
		{"refund a shipped return", lcRetShipped, "refundReturn"},
		{"cancel a shipped return", lcRetShipped, "cancelReturn"},
		{"reject a received return", lcRetReceived, "rejectReturn"},
		{"refund a refunded return again", lcRetRefunded, "refundReturn"},
		{"receive a rejected return", lcRetRejected, "receiveReturn"},
		{"refund a rejected return", lcRetRejected, "refundReturn"},
		{"request a cancelled return", lcRetCancelled, "requestReturn"},
		{"approve a cancelled return", lcRetCancelled, "approveReturn"},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			ord := lcNewOrder(t, e, cus, lcToFulfilled...)
			id := lcNewReturn(t, e, ord, tc.before...)
			ret := lcMustNode(t, e, id)
			events := lcEventCount(t, e, nil)

			r := lcTransition(t, e, tc.mutation, id)
			lcRequireRefused(t, r, tc.mutation, "INVALID_TRANSITION")
			require.Equal(t, ret, lcMustNode(t, e, id))
			require.Equal(t, events, lcEventCount(t, e, nil))
		})
	}
	t.Run("unknown return", func(t *testing.T) {
		t.Parallel()
		e := lcNewEnv(t)
		for _, m := range []string{"requestReturn", "approveReturn", "cancelReturn", "shipReturn", "receiveReturn", "rejectReturn", "refundReturn"} {
			lcRequireNotFound(t, lcTransition(t, e, m, "ret_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"), m)
		}
	})
}

func TestDeleteReturn(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	ord := lcNewOrder(t, e, cus, lcToFulfilled...)
	draft := lcNewReturn(t, e, ord)
	requested := lcNewReturn(t, e, ord, lcRetRequested...)
	del := `mutation($id: ID!) { deleteReturn(id: $id) { deletedID userErrors { code field } } }`

	events := lcEventCount(t, e, nil)
	ret := lcMustNode(t, e, requested)
	r := e.Do(t, del, map[string]any{"id": requested})
	lcRequireRefused(t, r, "deleteReturn", "LOCKED")
	require.Equal(t, ret, lcMustNode(t, e, requested))
	require.Equal(t, events, lcEventCount(t, e, nil))

	r = e.MustDo(t, del, map[string]any{"id": draft})
	require.Equal(t, draft, r.Str("deleteReturn.deletedID"))
	require.Nil(t, lcNode(t, e, draft))
	require.Equal(t, 1, lcCountName(lcEventsOf(t, e, draft), "returns.destroy"))
}

// ---------------------------------------------------------------------------
// Order subscriptions
// ---------------------------------------------------------------------------

func lcFuture(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339Nano) }

func TestCreateOrderSubscription(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	placed := lcNewOrder(t, e, cus, lcToPlaced...)
	approved := lcNewOrder(t, e, cus, lcToApproved...)

	t.Run("from a placed order, active at once", func(t *testing.T) {
		r := lcCreateOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": "monthly"})
		require.Empty(t, r.Errors, r.Raw)
		require.Empty(t, lcUserErrorsOf(t, r, "createOrderSubscription"), r.Raw)
		s := r.Get("createOrderSubscription.orderSubscription").(map[string]any)
		require.Equal(t, "ACTIVE", s["status"])
		require.Equal(t, true, s["activateBySourceOrder"])
		require.Equal(t, cus, s["customerID"], "the customer comes from the source order")
		require.Equal(t, placed, s["sourceOrderID"])
		require.Equal(t, "monthly", s["frequency"])
		require.NotEmpty(t, s["number"])
		evs := lcEventsOf(t, e, s["id"].(string))
		require.Equal(t, []string{"order_subscriptions.create"}, lcNamesOf(evs))
		require.Equal(t, "order_subscriptions", evs[0].ResourceType)
		require.NotContains(t, lcTypeFields(t, e, "CreateOrderSubscriptionInput"), "customerID")
	})
	t.Run("from an approved order", func(t *testing.T) {
		r := lcCreateOrderSubscription(t, e, map[string]any{"sourceOrderID": approved, "frequency": "weekly"})
		require.Empty(t, lcUserErrorsOf(t, r, "createOrderSubscription"), r.Raw)
		require.Equal(t, "ACTIVE", r.Str("createOrderSubscription.orderSubscription.status"))
		require.Equal(t, cus, r.Str("createOrderSubscription.orderSubscription.customerID"))
	})
	t.Run("not activated by the source order: starts DRAFT", func(t *testing.T) {
		r := lcCreateOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": "daily", "activateBySourceOrder": false, "startsAt": lcFuture(48 * time.Hour)})
		require.Empty(t, lcUserErrorsOf(t, r, "createOrderSubscription"), r.Raw)
		require.Equal(t, "DRAFT", r.Str("createOrderSubscription.orderSubscription.status"))
		require.Equal(t, false, r.Get("createOrderSubscription.orderSubscription.activateBySourceOrder"))
	})
}

func TestCreateOrderSubscriptionRefusals(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	placed := lcNewOrder(t, e, cus, lcToPlaced...)
	draft := lcNewOrder(t, e, cus)
	pending := lcNewOrder(t, e, cus, lcToPending...)
	cancelled := lcNewOrder(t, e, cus, lcToCancelled...)
	tests := []struct {
		name  string
		input map[string]any
		code  string
		field string
	}{
		{"from a draft order", map[string]any{"sourceOrderID": draft, "frequency": "weekly"}, "INVALID", "sourceOrderID"},
		{"from a pending order", map[string]any{"sourceOrderID": pending, "frequency": "weekly"}, "INVALID", "sourceOrderID"},
		{"from a cancelled order", map[string]any{"sourceOrderID": cancelled, "frequency": "weekly"}, "INVALID", "sourceOrderID"},
		{"from an unknown order", map[string]any{"sourceOrderID": "ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", "frequency": "weekly"}, "NOT_FOUND", "sourceOrderID"},
		{"frequency every minute (words)", map[string]any{"sourceOrderID": placed, "frequency": "every minute"}, "INVALID", "frequency"},
		{"frequency every five minutes (crontab)", map[string]any{"sourceOrderID": placed, "frequency": "*/5 * * * *"}, "INVALID", "frequency"},
		{"frequency every minute (crontab)", map[string]any{"sourceOrderID": placed, "frequency": "* * * * *"}, "INVALID", "frequency"},
		{"frequency with four fields", map[string]any{"sourceOrderID": placed, "frequency": "0 */2 * *"}, "INVALID", "frequency"},
		{"frequency with hour 25", map[string]any{"sourceOrderID": placed, "frequency": "0 25 * * *"}, "INVALID", "frequency"},
		{"frequency unknown word", map[string]any{"sourceOrderID": placed, "frequency": "fortnightly"}, "INVALID", "frequency"},
		{"frequency empty", map[string]any{"sourceOrderID": placed, "frequency": ""}, "INVALID", "frequency"},
		{"startsAt missing when not activated by the source order", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false}, "INVALID", "startsAt"},
		{"expiresAt before startsAt", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false,
			"startsAt": lcFuture(72 * time.Hour), "expiresAt": lcFuture(24 * time.Hour)}, "INVALID", "expiresAt"},
		{"expiresAt equal to startsAt", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false,
			"startsAt": "2099-01-01T00:00:00.000Z", "expiresAt": "2099-01-01T00:00:00.000Z"}, "INVALID", "expiresAt"},
		{"expiresAt in the past", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "expiresAt": "2001-01-01T00:00:00.000Z"}, "INVALID", "expiresAt"},
		{"nextRunAt in the past", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "nextRunAt": "2001-01-01T00:00:00.000Z"}, "INVALID", "nextRunAt"},
		{"nextRunAt an hour ago", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "nextRunAt": lcFuture(-time.Hour)}, "INVALID", "nextRunAt"},
	}
	events := lcEventCount(t, e, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := lcCreateOrderSubscription(t, e, tc.input)
			if tc.code == "NOT_FOUND" {
				lcRequireNotFound(t, r, "createOrderSubscription", tc.field)
			} else {
				lcRequireRefused(t, r, "createOrderSubscription", tc.code, tc.field)
			}
		})
	}
	require.Equal(t, 0, e.MustDo(t, `{ orderSubscriptions { totalCount } }`, nil).Int("orderSubscriptions.totalCount"))
	require.Equal(t, events, lcEventCount(t, e, nil))
}

func TestOrderSubscriptionValidFrequencies(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	placed := lcNewOrder(t, e, cus, lcToPlaced...)
	for _, f := range []string{"hourly", "daily", "weekly", "monthly", "two-month", "three-month", "four-month", "six-month", "yearly",
		"0 */2 * * *", "30 8 * * 1-5", "0 0 1 * *", "15 6,18 * * *"} {
		t.Run(f, func(t *testing.T) {
			r := lcCreateOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": f,
				"expiresAt": lcFuture(24 * time.Hour * 365), "nextRunAt": lcFuture(time.Hour)})
			require.Empty(t, r.Errors, r.Raw)
			require.Empty(t, lcUserErrorsOf(t, r, "createOrderSubscription"), r.Raw)
			require.Equal(t, f, r.Str("createOrderSubscription.orderSubscription.frequency"))
		})
	}
}

func TestUpdateOrderSubscriptionRefusals(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	placed := lcNewOrder(t, e, cus, lcToPlaced...)
	id := lcNewOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false,
		"startsAt": lcFuture(72 * time.Hour)})
	update := `mutation($id: ID!, $in: UpdateOrderSubscriptionInput!) { updateOrderSubscription(id: $id, input: $in) { orderSubscription { id } userErrors { code field } } }`
	tests := []struct {
		name  string
		input map[string]any
		field string
	}{
		{"frequency every minute", map[string]any{"frequency": "* * * * *"}, "frequency"},
		{"frequency in words", map[string]any{"frequency": "every minute"}, "frequency"},
		{"nextRunAt in the past", map[string]any{"nextRunAt": "2001-01-01T00:00:00.000Z"}, "nextRunAt"},
		{"expiresAt before the stored startsAt", map[string]any{"expiresAt": lcFuture(24 * time.Hour)}, "expiresAt"},
	}
	sub := lcMustNode(t, e, id)
	events := lcEventCount(t, e, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, update, map[string]any{"id": id, "in": tc.input})
			lcRequireRefused(t, r, "updateOrderSubscription", "INVALID", tc.field)
		})
	}
	require.Equal(t, sub, lcMustNode(t, e, id))
	require.Equal(t, events, lcEventCount(t, e, nil))

	// And the valid counterparts are accepted.
	e.MustDo(t, update, map[string]any{"id": id, "in": map[string]any{"frequency": "0 */2 * * *", "nextRunAt": lcFuture(time.Hour), "expiresAt": lcFuture(96 * time.Hour)}})
	require.Equal(t, "0 */2 * * *", lcMustNode(t, e, id)["frequency"])
}

func TestOrderSubscriptionTransitions(t *testing.T) {
	tests := []struct {
		name     string
		draft    bool // created DRAFT (activateBySourceOrder false) rather than ACTIVE
		before   []string
		mutation string
		status   string // "" = refused
		event    string
	}{
		{"activate a draft", true, nil, "activateOrderSubscription", "ACTIVE", "order_subscriptions.activate"},
		{"deactivate an active one", false, nil, "deactivateOrderSubscription", "INACTIVE", "order_subscriptions.deactivate"},
		{"activate an inactive one", false, []string{"deactivateOrderSubscription"}, "activateOrderSubscription", "ACTIVE", "order_subscriptions.activate"},
		{"cancel a draft", true, nil, "cancelOrderSubscription", "CANCELLED", "order_subscriptions.cancel"},
		{"cancel an active one", false, nil, "cancelOrderSubscription", "CANCELLED", "order_subscriptions.cancel"},
		{"cancel an inactive one", false, []string{"deactivateOrderSubscription"}, "cancelOrderSubscription", "CANCELLED", "order_subscriptions.cancel"},
		{"deactivate a draft", true, nil, "deactivateOrderSubscription", "", ""},
		{"activate an active one", false, nil, "activateOrderSubscription", "", ""},
		{"deactivate an inactive one", false, []string{"deactivateOrderSubscription"}, "deactivateOrderSubscription", "", ""},
		{"cancel twice", false, []string{"cancelOrderSubscription"}, "cancelOrderSubscription", "", ""},
		{"activate a cancelled one", false, []string{"cancelOrderSubscription"}, "activateOrderSubscription", "", ""},
		{"deactivate a cancelled one", true, []string{"cancelOrderSubscription"}, "deactivateOrderSubscription", "", ""},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			placed := lcNewOrder(t, e, cus, lcToPlaced...)
			input := map[string]any{"sourceOrderID": placed, "frequency": "weekly"}
			if tc.draft {
				input["activateBySourceOrder"] = false
				input["startsAt"] = lcFuture(48 * time.Hour)
			}
			id := lcNewOrderSubscription(t, e, input, tc.before...)
			before := lcMustNode(t, e, id)
			evsBefore := lcEventsOf(t, e, id)
			events := lcEventCount(t, e, nil)

			if tc.status == "" {
				r := lcTransition(t, e, tc.mutation, id)
				lcRequireRefused(t, r, tc.mutation, "INVALID_TRANSITION")
				require.Equal(t, before, lcMustNode(t, e, id))
				require.Equal(t, events, lcEventCount(t, e, nil))
				return
			}
			got := lcMustTransition(t, e, tc.mutation, id)
			require.Equal(t, tc.status, got["status"])
			require.Equal(t, before["customerID"], got["customerID"])
			require.Equal(t, tc.status, lcMustNode(t, e, id)["status"])
			evs := lcEventsOf(t, e, id)
			require.Len(t, evs, len(evsBefore)+1, lcNamesOf(evs))
			require.Equal(t, tc.event, evs[len(evs)-1].Name)
			require.Equal(t, "order_subscriptions", evs[len(evs)-1].ResourceType)
		})
	}
}

// ---------------------------------------------------------------------------
// Customer deletion
// ---------------------------------------------------------------------------

const lcDeleteCustomerQuery = `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code field } } }`

// ownedRecords gives the customer one of each record deletion takes along
// and returns their IDs.
func lcOwnedRecords(t testing.TB, e *testenv.Env, cus string) map[string]string {
	t.Helper()
	out := map[string]string{}
	r := e.MustDo(t, `mutation($in: CreateAddressInput!) { createAddress(input: $in) { address { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Main St", "city": "Rome", "countryCode": "IT", "phone": "+39 06 000000"}})
	addr := r.Str("createAddress.address.id")
	r = e.MustDo(t, `mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": cus, "addressID": addr}})
	out["customerAddress"] = r.Str("createCustomerAddress.customerAddress.id")
	r = e.MustDo(t, `mutation($in: CreateCustomerPaymentSourceInput!) { createCustomerPaymentSource(input: $in) { customerPaymentSource { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": cus, "name": "XXXX-XXXX-XXXX-1111", "paymentMethodType": "stripe_payments"}})
	out["customerPaymentSource"] = r.Str("createCustomerPaymentSource.customerPaymentSource.id")
	r = e.MustDo(t, `mutation($in: CreateCustomerSubscriptionInput!) { createCustomerSubscription(input: $in) { customerSubscription { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": cus, "reference": "newsletter"}})
	out["customerSubscription"] = r.Str("createCustomerSubscription.customerSubscription.id")
	email := lcMustNode(t, e, cus)["email"].(string)
	r = e.MustDo(t, `mutation($email: String!) { createCustomerPasswordReset(customerEmail: $email) { customerPasswordReset { id } userErrors { code field } } }`,
		map[string]any{"email": email})
	out["customerPasswordReset"] = r.Str("createCustomerPasswordReset.customerPasswordReset.id")
	r = e.MustDo(t, `mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": cus, "name": "contract.pdf", "url": "https://example.com/contract.pdf"}})
	out["attachment"] = r.Str("createAttachment.attachment.id")
	out["draftOrder"] = lcNewOrder(t, e, cus)
	out["pendingOrder"] = lcNewOrder(t, e, cus, lcToPending...)
	for k, v := range out {
		require.NotEmpty(t, v, k)
	}
	return out
}

func TestDeleteCustomerLocked(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t testing.TB, e *testenv.Env, cus string)
	}{
		{"with a placed order", func(t testing.TB, e *testenv.Env, cus string) { lcNewOrder(t, e, cus, lcToPlaced...) }},
		{"with an approved order", func(t testing.TB, e *testenv.Env, cus string) { lcNewOrder(t, e, cus, lcToApproved...) }},
		{"with an order cancelled after placement", func(t testing.TB, e *testenv.Env, cus string) { lcNewOrder(t, e, cus, lcToCancelled...) }},
		{"with a return", func(t testing.TB, e *testenv.Env, cus string) {
			lcNewReturn(t, e, lcNewOrder(t, e, cus, lcToFulfilled...), lcRetRequested...)
		}},
	}
	e := lcNewEnv(t) // shared: subtests run one after another, each on its own records
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			owned := lcOwnedRecords(t, e, cus)
			tc.setup(t, e, cus)
			customer := lcMustNode(t, e, cus)
			events := lcEventCount(t, e, nil)

			r := e.Do(t, lcDeleteCustomerQuery, map[string]any{"id": cus})
			lcRequireRefused(t, r, "deleteCustomer", "LOCKED")
			require.Equal(t, customer, lcMustNode(t, e, cus))
			for kind, id := range owned {
				require.NotNil(t, lcNode(t, e, id), "%s must survive a refused delete", kind)
			}
			require.Equal(t, events, lcEventCount(t, e, nil))
		})
	}
}

func TestDeleteCustomerCascades(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	owned := lcOwnedRecords(t, e, cus)
	bystander := lcNewCustomer(t, e)
	theirs := lcOwnedRecords(t, e, bystander)

	r := e.MustDo(t, lcDeleteCustomerQuery, map[string]any{"id": cus})
	require.Equal(t, cus, r.Str("deleteCustomer.deletedID"))
	require.Nil(t, lcNode(t, e, cus))
	for kind, id := range owned {
		require.Nil(t, lcNode(t, e, id), "the customer's %s must go with it", kind)
	}
	for kind, id := range theirs {
		require.NotNil(t, lcNode(t, e, id), "another customer's %s must stay", kind)
	}
	r = e.MustDo(t, `query($id: ID!) { customerAddresses(where: {customerID: $id}) { totalCount } }`, map[string]any{"id": cus})
	require.Equal(t, 0, r.Int("customerAddresses.totalCount"))

	evs := lcEventsOf(t, e, cus)
	require.Equal(t, 1, lcCountName(evs, "customers.destroy"), lcNamesOf(evs))
	last := evs[len(evs)-1]
	require.Equal(t, "customers.destroy", last.Name)
	require.Equal(t, "customers", last.ResourceType)
	require.Equal(t, map[string]any{"id": cus}, last.Payload, "a destroy event carries the id only")

	// Deleting again finds nothing.
	lcRequireNotFound(t, e.Do(t, lcDeleteCustomerQuery, map[string]any{"id": cus}), "deleteCustomer")
}
