package graph_test

// Commerce lifecycle: the state machines of orders, returns and order
// subscriptions, the customer status they drive, and deletion rules
// (DESIGN §5, domain notes §3.7–3.9, §4). The helpers at the top are shared
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

var emailSeq atomic.Int64

// envMu serialises testenv.New: its migration (ent's Schema.Create) writes to
// the package-level table definitions of ent/migrate, so two environments
// created at once crash with "concurrent map writes". Top-level tests of
// this package are therefore not parallel (a parallel top-level test would
// create its environment alongside theirs); their subtests are, and create
// their environments through newEnv.
var envMu sync.Mutex

// newEnv starts a fresh test environment.
func newEnv(t testing.TB) *testenv.Env {
	t.Helper()
	envMu.Lock()
	defer envMu.Unlock()
	return testenv.New(t)
}

// uniqueEmail returns an email no other call returns.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, emailSeq.Add(1))
}

// Field selections of the records the tests compare before and after a
// mutation.
const (
	orderFields = `id number status paymentStatus fulfillmentStatus customerID customerEmail createdAt updatedAt
		placedAt approvedAt cancelledAt fulfillmentUpdatedAt metadata`
	returnFields = `id number status orderID customerID customerEmail createdAt updatedAt
		approvedAt cancelledAt shippedAt rejectedAt receivedAt refundedAt metadata`
	subscriptionFields = `id number status customerID sourceOrderID frequency activateBySourceOrder
		startsAt expiresAt nextRunAt lastRunAt occurrencies createdAt updatedAt`
	customerFields = `id email status totalOrdersCount hasPassword metadata updatedAt`
)

// payloadField returns the field of a mutation's payload that holds the
// record, e.g. "order" for placeOrder.
func payloadField(mutation string) string {
	switch {
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

var selections = map[string]string{
	"order":             orderFields,
	"return":            returnFields,
	"orderSubscription": subscriptionFields,
	"customer":          customerFields,
	"customerGroup":     `id name metadata updatedAt`,
}

// transition runs a mutation that takes only an id (placeOrder,
// approveReturn, …) and returns the response, whatever it is.
func transition(t testing.TB, e *testenv.Env, mutation, id string) *testenv.Response {
	t.Helper()
	pf := payloadField(mutation)
	q := fmt.Sprintf(`mutation($id: ID!) { %s(id: $id) { %s { %s } userErrors { code field } } }`,
		mutation, pf, selections[pf])
	return e.Do(t, q, map[string]any{"id": id})
}

// mustTransition runs a transition mutation that must succeed and returns
// the record after it.
func mustTransition(t testing.TB, e *testenv.Env, mutation, id string) map[string]any {
	t.Helper()
	r := transition(t, e, mutation, id)
	require.Empty(t, r.Errors, "%s: %s", mutation, r.Raw)
	require.Empty(t, userErrorsOf(t, r, mutation), "%s: %s", mutation, r.Raw)
	rec, ok := r.Get(mutation + "." + payloadField(mutation)).(map[string]any)
	require.True(t, ok, "%s returned no record: %s", mutation, r.Raw)
	require.Equal(t, id, rec["id"])
	return rec
}

// runSteps applies transition mutations one after another.
func runSteps(t testing.TB, e *testenv.Env, id string, mutations ...string) {
	t.Helper()
	for _, m := range mutations {
		mustTransition(t, e, m, id)
	}
}

// The order mutations that lead to each order state from DRAFT.
var (
	toPending    = []string{"markOrderPending"}
	toPlaced     = []string{"markOrderPending", "placeOrder"}
	toApproved   = []string{"markOrderPending", "placeOrder", "approveOrder"}
	toInProgress = []string{"markOrderPending", "placeOrder", "approveOrder", "startFulfillingOrder"}
	toFulfilled  = []string{"markOrderPending", "placeOrder", "approveOrder", "startFulfillingOrder", "fulfillOrder"}
	toCancelled  = []string{"markOrderPending", "placeOrder", "cancelOrder"}
)

// createCustomer creates a customer from the given input and returns its ID.
func createCustomer(t testing.TB, e *testenv.Env, input map[string]any) string {
	t.Helper()
	r := e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
		map[string]any{"in": input})
	id := r.Str("createCustomer.customer.id")
	require.NotEmpty(t, id, r.Raw)
	return id
}

// newCustomer creates a customer without a password and returns its ID.
func newCustomer(t testing.TB, e *testenv.Env) string {
	t.Helper()
	return createCustomer(t, e, map[string]any{"email": uniqueEmail("customer")})
}

// newOrder creates a DRAFT order of the customer, applies the given
// transitions and returns the order's ID.
func newOrder(t testing.TB, e *testenv.Env, customerID string, mutations ...string) string {
	t.Helper()
	r := e.MustDo(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id status } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": customerID, "currencyCode": "EUR", "totalAmountCents": 1250}})
	id := r.Str("createOrder.order.id")
	require.NotEmpty(t, id, r.Raw)
	require.Equal(t, "DRAFT", r.Str("createOrder.order.status"))
	runSteps(t, e, id, mutations...)
	return id
}

// newReturn creates a DRAFT return of the order, applies the given
// transitions and returns the return's ID.
func newReturn(t testing.TB, e *testenv.Env, orderID string, mutations ...string) string {
	t.Helper()
	r := createReturn(t, e, orderID)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, userErrorsOf(t, r, "createReturn"), r.Raw)
	id := r.Str("createReturn.return.id")
	require.NotEmpty(t, id, r.Raw)
	runSteps(t, e, id, mutations...)
	return id
}

func createReturn(t testing.TB, e *testenv.Env, orderID string) *testenv.Response {
	t.Helper()
	return e.Do(t, `mutation($in: CreateReturnInput!) { createReturn(input: $in) { return { `+returnFields+` } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"orderID": orderID, "skusCount": 1, "estimatedRefundAmountCents": 500}})
}

func createOrderSubscription(t testing.TB, e *testenv.Env, input map[string]any) *testenv.Response {
	t.Helper()
	return e.Do(t, `mutation($in: CreateOrderSubscriptionInput!) { createOrderSubscription(input: $in) { orderSubscription { `+subscriptionFields+` } userErrors { code field } } }`,
		map[string]any{"in": input})
}

// newOrderSubscription creates a subscription that must succeed and returns
// its ID.
func newOrderSubscription(t testing.TB, e *testenv.Env, input map[string]any, mutations ...string) string {
	t.Helper()
	r := createOrderSubscription(t, e, input)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, userErrorsOf(t, r, "createOrderSubscription"), r.Raw)
	id := r.Str("createOrderSubscription.orderSubscription.id")
	require.NotEmpty(t, id, r.Raw)
	runSteps(t, e, id, mutations...)
	return id
}

// node returns the record with the given ID (all the fields the tests
// compare), or nil when node() finds nothing.
func node(t testing.TB, e *testenv.Env, id string) map[string]any {
	t.Helper()
	fragments := map[string]string{
		"ord": "... on Order { " + orderFields + " }",
		"ret": "... on Return { " + returnFields + " }",
		"osb": "... on OrderSubscription { " + subscriptionFields + " }",
		"cus": "... on Customer { " + customerFields + " }",
		"cpr": "... on CustomerPasswordReset { customerID customerEmail expiresAt resetPasswordAt updatedAt }",
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
func mustNode(t testing.TB, e *testenv.Env, id string) map[string]any {
	t.Helper()
	n := node(t, e, id)
	require.NotNil(t, n, "node %s not found", id)
	return n
}

// userError is one entry of a payload's userErrors.
type userError struct {
	Code  string   `json:"code"`
	Field []string `json:"field"`
}

// userErrorsOf returns the user errors of a mutation's payload.
func userErrorsOf(t testing.TB, r *testenv.Response, mutation string) []userError {
	t.Helper()
	raw := r.Get(mutation + ".userErrors")
	if raw == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	require.NoError(t, err)
	var out []userError
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// requireRefused checks that a mutation returned a user error with the given
// code (and, when given, field) and no record: the other payload fields are
// null.
func requireRefused(t testing.TB, r *testenv.Response, mutation, code string, field ...string) {
	t.Helper()
	require.Empty(t, r.Errors, "a refused %s is a user error, not a top-level error: %s", mutation, r.Raw)
	ues := userErrorsOf(t, r, mutation)
	require.NotEmpty(t, ues, "%s must be refused with %s: %s", mutation, code, r.Raw)
	found := false
	for _, ue := range ues {
		if ue.Code == code && (field == nil || equalStrings(ue.Field, field)) {
			found = true
		}
	}
	require.True(t, found, "%s: want user error %s on %v, got %s", mutation, code, field, r.Raw)
	requireNoRecord(t, r, mutation)
}

// requireNotFound checks that a mutation naming an unknown record found
// nothing: NOT_FOUND as a user error (on field, when given) or as a
// top-level error, and no record.
func requireNotFound(t testing.TB, r *testenv.Response, mutation string, field ...string) {
	t.Helper()
	if len(r.Errors) > 0 {
		require.Contains(t, r.ErrorCodes(), "NOT_FOUND", r.Raw)
		requireNoRecord(t, r, mutation)
		return
	}
	requireRefused(t, r, mutation, "NOT_FOUND", field...)
}

// requireNoRecord checks that every field of the payload but userErrors is
// null.
func requireNoRecord(t testing.TB, r *testenv.Response, mutation string) {
	t.Helper()
	p, _ := r.Get(mutation).(map[string]any)
	for k, v := range p {
		if k != "userErrors" {
			require.Nil(t, v, "%s.%s must be null when refused: %s", mutation, k, r.Raw)
		}
	}
}

func equalStrings(a, b []string) bool {
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
type event struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	ResourceType string         `json:"resourceType"`
	ResourceID   string         `json:"resourceID"`
	Sequence     int64          `json:"sequence"`
	Payload      map[string]any `json:"payload"`
	CreatedAt    string         `json:"createdAt"`
	Mode         string         `json:"mode"`
	Resource     *struct {
		ID string `json:"id"`
	} `json:"resource"`
}

// fetchEvents reads every event matching where (nil: all), oldest first by
// sequence, page by page. It also returns the raw text of every page.
func fetchEvents(t testing.TB, e *testenv.Env, where map[string]any) ([]event, string) {
	t.Helper()
	var out []event
	var raw strings.Builder
	var after any
	for page := 0; ; page++ {
		require.Less(t, page, 1000, "events pagination does not end")
		r := e.Do(t, `query($after: Cursor, $where: EventWhereInput) {
			events(first: 100, after: $after, where: $where, orderBy: [{field: SEQUENCE, direction: ASC}]) {
				totalCount
				pageInfo { hasNextPage endCursor }
				edges { node { id name resourceType resourceID sequence payload createdAt mode resource { id } } }
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
				Node event `json:"node"`
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
func eventCount(t testing.TB, e *testenv.Env, where map[string]any) int {
	t.Helper()
	r := e.Do(t, `query($where: EventWhereInput) { events(first: 1, where: $where) { totalCount } }`, map[string]any{"where": where})
	require.Empty(t, r.Errors, r.Raw)
	n := r.Int("events.totalCount")
	require.GreaterOrEqual(t, n, 0, r.Raw)
	return n
}

// eventsOf returns the events about one resource, oldest first.
func eventsOf(t testing.TB, e *testenv.Env, resourceID string) []event {
	t.Helper()
	evs, _ := fetchEvents(t, e, map[string]any{"resourceID": resourceID})
	return evs
}

// namesOf lists the names of events.
func namesOf(evs []event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Name
	}
	return out
}

// countName counts the events with the given name.
func countName(evs []event, name string) int {
	n := 0
	for _, ev := range evs {
		if ev.Name == name {
			n++
		}
	}
	return n
}

// customerState returns what the customer's status rules govern.
func customerState(t testing.TB, e *testenv.Env, id string) (status string, count int) {
	t.Helper()
	c := mustNode(t, e, id)
	return c["status"].(string), int(c["totalOrdersCount"].(float64))
}

// typeFields lists the field names (or input field names) of a schema type,
// by introspection.
func typeFields(t testing.TB, e *testenv.Env, typeName string) []string {
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
func parseTime(t testing.TB, v any) time.Time {
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

var orderStamps = []string{"placedAt", "approvedAt", "cancelledAt", "fulfillmentUpdatedAt"}

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
		{"place a pending order", toPending, "placeOrder", "PLACED", "AUTHORIZED", "UNFULFILLED", "placedAt", "orders.place"},
		{"approve a placed order", toPlaced, "approveOrder", "APPROVED", "AUTHORIZED", "UNFULFILLED", "approvedAt", "orders.approve"},
		{"cancel a placed order", toPlaced, "cancelOrder", "CANCELLED", "VOIDED", "UNFULFILLED", "cancelledAt", "orders.cancel"},
		{"cancel an approved order", toApproved, "cancelOrder", "CANCELLED", "VOIDED", "UNFULFILLED", "cancelledAt", "orders.cancel"},
		{"start fulfilling an approved order", toApproved, "startFulfillingOrder", "APPROVED", "PAID", "IN_PROGRESS", "fulfillmentUpdatedAt", "orders.start_fulfilling"},
		{"fulfill an order in fulfillment", toInProgress, "fulfillOrder", "APPROVED", "PAID", "FULFILLED", "fulfillmentUpdatedAt", "orders.fulfill"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			id := newOrder(t, e, cus, tc.before...)
			before := mustNode(t, e, id)
			eventsBefore := eventsOf(t, e, id)

			got := mustTransition(t, e, tc.mutation, id)
			require.Equal(t, tc.status, got["status"])
			require.Equal(t, tc.payment, got["paymentStatus"])
			require.Equal(t, tc.fulfillment, got["fulfillmentStatus"])
			for _, s := range orderStamps {
				if s == tc.stamp {
					require.NotNil(t, got[s], "%s must be set", s)
					require.False(t, parseTime(t, got[s]).Before(parseTime(t, got["createdAt"])), "%s before createdAt", s)
					if before[s] != nil {
						require.False(t, parseTime(t, got[s]).Before(parseTime(t, before[s])), "%s moved back", s)
					}
				} else {
					require.Equal(t, before[s], got[s], "%s must not change", s)
				}
			}
			// What the mutation returned is what is stored.
			stored := mustNode(t, e, id)
			delete(stored, "__typename")
			require.Equal(t, got, stored)

			evs := eventsOf(t, e, id)
			require.Len(t, evs, len(eventsBefore)+1, "one event per transition: %v", namesOf(evs))
			last := evs[len(evs)-1]
			require.Equal(t, tc.event, last.Name)
			require.Equal(t, "orders", last.ResourceType)
			require.Equal(t, id, last.ResourceID)
			require.Equal(t, 1, countName(evs, tc.event))
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
		{"place a placed order again", toPlaced, "placeOrder"},
		{"place an approved order", toApproved, "placeOrder"},
		{"place a cancelled order", toCancelled, "placeOrder"},
		{"mark a pending order pending again", toPending, "markOrderPending"},
		{"mark a placed order pending", toPlaced, "markOrderPending"},
		{"approve a draft", nil, "approveOrder"},
		{"approve a pending order", toPending, "approveOrder"},
		{"approve an approved order again", toApproved, "approveOrder"},
		{"approve a cancelled order", toCancelled, "approveOrder"},
		{"cancel a draft", nil, "cancelOrder"},
		{"cancel a pending order", toPending, "cancelOrder"},
		{"cancel a cancelled order again", toCancelled, "cancelOrder"},
		{"cancel an order in fulfillment", toInProgress, "cancelOrder"},
		{"cancel a fulfilled order", toFulfilled, "cancelOrder"},
		{"start fulfilling a draft", nil, "startFulfillingOrder"},
		{"start fulfilling a placed, unapproved order", toPlaced, "startFulfillingOrder"},
		{"start fulfilling twice", toInProgress, "startFulfillingOrder"},
		{"start fulfilling a cancelled order", toCancelled, "startFulfillingOrder"},
		{"fulfill before start fulfilling", toApproved, "fulfillOrder"},
		{"fulfill a placed order", toPlaced, "fulfillOrder"},
		{"fulfill a fulfilled order again", toFulfilled, "fulfillOrder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			id := newOrder(t, e, cus, tc.before...)
			order := mustNode(t, e, id)
			customer := mustNode(t, e, cus)
			events := eventCount(t, e, nil)

			r := transition(t, e, tc.mutation, id)
			requireRefused(t, r, tc.mutation, "INVALID_TRANSITION")

			require.Equal(t, order, mustNode(t, e, id), "a refused transition changes nothing")
			require.Equal(t, customer, mustNode(t, e, cus), "a refused transition changes nothing on the customer")
			require.Equal(t, events, eventCount(t, e, nil), "a refused transition records no event")
		})
	}
}

func TestOrderMutationsUnknownID(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	ids := map[string]string{
		"unknown order ID":  "ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X",
		"ID of a customer":  cus,
		"malformed ID":      "not-an-id",
		"empty ID":          "",
		"unknown return ID": "ret_01JD3Q8Z1K9Y8F7M6N5B4V3C2X",
	}
	mutations := []string{"markOrderPending", "placeOrder", "approveOrder", "cancelOrder", "startFulfillingOrder", "fulfillOrder", "mergeOrderMetadata"}
	events := eventCount(t, e, nil)
	for _, m := range mutations {
		for kind, id := range ids {
			t.Run(m+" with "+kind, func(t *testing.T) {
				var r *testenv.Response
				if m == "mergeOrderMetadata" {
					r = e.Do(t, `mutation($id: ID!) { mergeOrderMetadata(id: $id, metadata: {a: 1}) { order { id } userErrors { code field } } }`, map[string]any{"id": id})
				} else {
					r = transition(t, e, m, id)
				}
				requireNotFound(t, r, m)
			})
		}
	}
	t.Run("deleteOrder", func(t *testing.T) {
		r := e.Do(t, `mutation($id: ID!) { deleteOrder(id: $id) { deletedId userErrors { code field } } }`, map[string]any{"id": ids["unknown order ID"]})
		requireNotFound(t, r, "deleteOrder")
	})
	require.Equal(t, events, eventCount(t, e, nil))
}

func TestOrderNumbersAreUniqueAndIncrease(t *testing.T) {
	e := newEnv(t)
	a, b := newCustomer(t, e), newCustomer(t, e)
	var numbers []int
	seen := map[string]bool{}
	for i := 0; i < 6; i++ {
		cus := a
		if i%2 == 1 {
			cus = b
		}
		if i == 2 { // a deleted order's number is not given again
			gone := newOrder(t, e, cus)
			e.MustDo(t, `mutation($id: ID!) { deleteOrder(id: $id) { deletedId userErrors { code } } }`, map[string]any{"id": gone})
		}
		num := mustNode(t, e, newOrder(t, e, cus))["number"].(string)
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
	require.NotContains(t, typeFields(t, e, "CreateOrderInput"), "number")
	require.NotContains(t, typeFields(t, e, "UpdateOrderInput"), "number")
}

func TestDeleteOrder(t *testing.T) {
	tests := []struct {
		name   string
		before []string
		locked bool
	}{
		{"draft", nil, false},
		{"pending", toPending, false},
		{"placed", toPlaced, true},
		{"approved", toApproved, true},
		{"cancelled after placement", toCancelled, true},
		{"fulfilled", toFulfilled, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			id := newOrder(t, e, cus, tc.before...)
			order := mustNode(t, e, id)
			customer := mustNode(t, e, cus)
			events := eventCount(t, e, nil)

			r := e.Do(t, `mutation($id: ID!) { deleteOrder(id: $id) { deletedId userErrors { code field } } }`, map[string]any{"id": id})
			if tc.locked {
				requireRefused(t, r, "deleteOrder", "LOCKED")
				require.Equal(t, order, mustNode(t, e, id))
				require.Equal(t, customer, mustNode(t, e, cus))
				require.Equal(t, events, eventCount(t, e, nil))
				return
			}
			require.Empty(t, r.Errors, r.Raw)
			require.Empty(t, userErrorsOf(t, r, "deleteOrder"), r.Raw)
			require.Equal(t, id, r.Str("deleteOrder.deletedId"))
			require.Nil(t, node(t, e, id))
			evs := eventsOf(t, e, id)
			require.Equal(t, 1, countName(evs, "orders.destroy"), namesOf(evs))
			require.Equal(t, map[string]any{"id": id}, evs[len(evs)-1].Payload)
			// An unplaced order never counted.
			status, count := customerState(t, e, cus)
			require.Equal(t, "PROSPECT", status)
			require.Zero(t, count)
		})
	}
}

// ---------------------------------------------------------------------------
// Customer status
// ---------------------------------------------------------------------------

func TestCustomerStatusFollowsPlacedOrders(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	other := newCustomer(t, e)
	check := func(t *testing.T, wantStatus string, wantCount int) {
		t.Helper()
		status, count := customerState(t, e, cus)
		require.Equal(t, wantStatus, status)
		require.Equal(t, wantCount, count)
	}
	check(t, "PROSPECT", 0)

	// Carts do not count.
	newOrder(t, e, cus)
	pendingA := newOrder(t, e, cus, toPending...)
	check(t, "PROSPECT", 0)

	mustTransition(t, e, "placeOrder", pendingA)
	check(t, "ACQUIRED", 1)

	// Cancelling after placement never moves the customer back.
	mustTransition(t, e, "cancelOrder", pendingA)
	check(t, "ACQUIRED", 1)

	// Another customer's orders are not this customer's.
	newOrder(t, e, other, toPlaced...)
	newOrder(t, e, other, toPlaced...)
	check(t, "ACQUIRED", 1)
	status, count := customerState(t, e, other)
	require.Equal(t, "REPEAT", status)
	require.Equal(t, 2, count)

	// A refused placement does not count.
	r := transition(t, e, "placeOrder", pendingA)
	requireRefused(t, r, "placeOrder", "INVALID_TRANSITION")
	check(t, "ACQUIRED", 1)

	pendingB := newOrder(t, e, cus, toPending...)
	check(t, "ACQUIRED", 1)
	mustTransition(t, e, "placeOrder", pendingB)
	check(t, "REPEAT", 2)

	c := newOrder(t, e, cus, toApproved...)
	check(t, "REPEAT", 3)
	// Approval, fulfilment and cancellation of counted orders change nothing.
	runSteps(t, e, c, "startFulfillingOrder", "fulfillOrder")
	mustTransition(t, e, "cancelOrder", pendingB)
	check(t, "REPEAT", 3)

	evs := eventsOf(t, e, cus)
	require.Equal(t, 1, countName(evs, "customers.acquired"), namesOf(evs))
	require.Equal(t, 1, countName(evs, "customers.repeat"), namesOf(evs))
	for _, ev := range evs {
		if ev.Name == "customers.acquired" || ev.Name == "customers.repeat" {
			require.Equal(t, "customers", ev.ResourceType)
		}
	}
	// acquired comes before repeat.
	names := namesOf(evs)
	require.Less(t, indexOf(names, "customers.acquired"), indexOf(names, "customers.repeat"))

	// The status is the server's: the inputs do not offer it.
	for _, in := range []string{"CreateCustomerInput", "UpdateCustomerInput"} {
		fields := typeFields(t, e, in)
		require.NotContains(t, fields, "status")
		require.NotContains(t, fields, "totalOrdersCount")
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// ---------------------------------------------------------------------------
// Returns
// ---------------------------------------------------------------------------

var returnStamps = []string{"approvedAt", "cancelledAt", "shippedAt", "rejectedAt", "receivedAt", "refundedAt"}

func TestCreateReturn(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("returner")
	cus := createCustomer(t, e, map[string]any{"email": email})
	ord := newOrder(t, e, cus, toFulfilled...)
	orderNumber := mustNode(t, e, ord)["number"].(string)

	r := createReturn(t, e, ord)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, userErrorsOf(t, r, "createReturn"), r.Raw)
	ret := r.Get("createReturn.return").(map[string]any)
	require.Equal(t, "DRAFT", ret["status"])
	require.Equal(t, ord, ret["orderID"])
	require.Equal(t, cus, ret["customerID"], "the customer comes from the order")
	require.Equal(t, email, ret["customerEmail"])
	require.Equal(t, orderNumber+"/R/001", ret["number"])
	for _, s := range returnStamps {
		require.Nil(t, ret[s], s)
	}
	evs := eventsOf(t, e, ret["id"].(string))
	require.Equal(t, []string{"returns.create"}, namesOf(evs))
	require.Equal(t, "returns", evs[0].ResourceType)

	second := newReturn(t, e, ord)
	require.Equal(t, orderNumber+"/R/002", mustNode(t, e, second)["number"])

	// Numbering is per order.
	ord2 := newOrder(t, e, cus, toFulfilled...)
	third := newReturn(t, e, ord2)
	require.Equal(t, mustNode(t, e, ord2)["number"].(string)+"/R/001", mustNode(t, e, third)["number"])

	// The order's customer and the return's customer are the same record.
	r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Return { customer { id email } order { id customer { id } } } } }`, map[string]any{"id": second})
	require.Equal(t, cus, r.Str("node.customer.id"))
	require.Equal(t, cus, r.Str("node.order.customer.id"))
	require.NotContains(t, typeFields(t, e, "CreateReturnInput"), "customerID", "the customer is taken from the order, not chosen")
}

func TestCreateReturnRefusals(t *testing.T) {
	tests := []struct {
		name   string
		before []string
	}{
		{"draft order", nil},
		{"pending order", toPending},
		{"placed order", toPlaced},
		{"approved order", toApproved},
		{"order in fulfillment", toInProgress},
		{"cancelled order", toCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			ord := newOrder(t, e, cus, tc.before...)
			order := mustNode(t, e, ord)
			events := eventCount(t, e, nil)
			r := createReturn(t, e, ord)
			requireRefused(t, r, "createReturn", "INVALID", "orderId")
			require.Equal(t, order, mustNode(t, e, ord))
			require.Equal(t, events, eventCount(t, e, nil))
			require.Equal(t, 0, e.MustDo(t, `{ returns { totalCount } }`, nil).Int("returns.totalCount"))
		})
	}
	t.Run("unknown order", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cus := newCustomer(t, e)
		for _, id := range []string{"ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", cus} {
			r := createReturn(t, e, id)
			requireNotFound(t, r, "createReturn", "orderId")
		}
		require.Equal(t, 0, e.MustDo(t, `{ returns { totalCount } }`, nil).Int("returns.totalCount"))
	})
}

var (
	retRequested = []string{"requestReturn"}
	retApproved  = []string{"requestReturn", "approveReturn"}
	retShipped   = []string{"requestReturn", "approveReturn", "shipReturn"}
	retReceived  = []string{"requestReturn", "approveReturn", "shipReturn", "receiveReturn"}
	retRefunded  = []string{"requestReturn", "approveReturn", "shipReturn", "receiveReturn", "refundReturn"}
	retRejected  = []string{"requestReturn", "approveReturn", "shipReturn", "rejectReturn"}
	retCancelled = []string{"requestReturn", "cancelReturn"}
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
		{"approve a requested return", retRequested, "approveReturn", "APPROVED", "approvedAt", "returns.approve"},
		{"cancel a requested return", retRequested, "cancelReturn", "CANCELLED", "cancelledAt", "returns.cancel"},
		{"ship an approved return", retApproved, "shipReturn", "SHIPPED", "shippedAt", "returns.ship"},
		{"receive a shipped return", retShipped, "receiveReturn", "RECEIVED", "receivedAt", "returns.receive"},
		{"reject a shipped return", retShipped, "rejectReturn", "REJECTED", "rejectedAt", "returns.reject"},
		{"refund a received return", retReceived, "refundReturn", "REFUNDED", "refundedAt", "returns.refund"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			ord := newOrder(t, e, cus, toFulfilled...)
			id := newReturn(t, e, ord, tc.before...)
			before := mustNode(t, e, id)
			order := mustNode(t, e, ord)
			eventsBefore := eventsOf(t, e, id)

			got := mustTransition(t, e, tc.mutation, id)
			require.Equal(t, tc.status, got["status"])
			for _, s := range returnStamps {
				if s == tc.stamp {
					require.NotNil(t, got[s], "%s must be set", s)
					require.False(t, parseTime(t, got[s]).Before(parseTime(t, got["createdAt"])))
				} else {
					require.Equal(t, before[s], got[s], "%s must not change", s)
				}
			}
			require.Equal(t, before["number"], got["number"])
			require.Equal(t, before["customerID"], got["customerID"])
			stored := mustNode(t, e, id)
			delete(stored, "__typename")
			require.Equal(t, got, stored)
			// A return, even refunded, leaves its order as it was.
			require.Equal(t, order, mustNode(t, e, ord))

			evs := eventsOf(t, e, id)
			require.Len(t, evs, len(eventsBefore)+1, namesOf(evs))
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
		{"request a requested return again", retRequested, "requestReturn"},
		{"ship a requested return", retRequested, "shipReturn"},
		{"reject a requested return", retRequested, "rejectReturn"},
		{"approve an approved return again", retApproved, "approveReturn"},
		{"cancel an approved return", retApproved, "cancelReturn"},
		{"receive an approved return", retApproved, "receiveReturn"},
		{"reject an approved return", retApproved, "rejectReturn"},
		{"refund a shipped return", retShipped, "refundReturn"},
		{"cancel a shipped return", retShipped, "cancelReturn"},
		{"reject a received return", retReceived, "rejectReturn"},
		{"refund a refunded return again", retRefunded, "refundReturn"},
		{"receive a rejected return", retRejected, "receiveReturn"},
		{"refund a rejected return", retRejected, "refundReturn"},
		{"request a cancelled return", retCancelled, "requestReturn"},
		{"approve a cancelled return", retCancelled, "approveReturn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			ord := newOrder(t, e, cus, toFulfilled...)
			id := newReturn(t, e, ord, tc.before...)
			ret := mustNode(t, e, id)
			events := eventCount(t, e, nil)

			r := transition(t, e, tc.mutation, id)
			requireRefused(t, r, tc.mutation, "INVALID_TRANSITION")
			require.Equal(t, ret, mustNode(t, e, id))
			require.Equal(t, events, eventCount(t, e, nil))
		})
	}
	t.Run("unknown return", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, m := range []string{"requestReturn", "approveReturn", "cancelReturn", "shipReturn", "receiveReturn", "rejectReturn", "refundReturn"} {
			requireNotFound(t, transition(t, e, m, "ret_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"), m)
		}
	})
}

func TestDeleteReturn(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	ord := newOrder(t, e, cus, toFulfilled...)
	draft := newReturn(t, e, ord)
	requested := newReturn(t, e, ord, retRequested...)
	del := `mutation($id: ID!) { deleteReturn(id: $id) { deletedId userErrors { code field } } }`

	events := eventCount(t, e, nil)
	ret := mustNode(t, e, requested)
	r := e.Do(t, del, map[string]any{"id": requested})
	requireRefused(t, r, "deleteReturn", "LOCKED")
	require.Equal(t, ret, mustNode(t, e, requested))
	require.Equal(t, events, eventCount(t, e, nil))

	r = e.MustDo(t, del, map[string]any{"id": draft})
	require.Equal(t, draft, r.Str("deleteReturn.deletedId"))
	require.Nil(t, node(t, e, draft))
	require.Equal(t, 1, countName(eventsOf(t, e, draft), "returns.destroy"))
}

// ---------------------------------------------------------------------------
// Order subscriptions
// ---------------------------------------------------------------------------

func future(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339Nano) }

func TestCreateOrderSubscription(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	placed := newOrder(t, e, cus, toPlaced...)
	approved := newOrder(t, e, cus, toApproved...)

	t.Run("from a placed order, active at once", func(t *testing.T) {
		r := createOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": "monthly"})
		require.Empty(t, r.Errors, r.Raw)
		require.Empty(t, userErrorsOf(t, r, "createOrderSubscription"), r.Raw)
		s := r.Get("createOrderSubscription.orderSubscription").(map[string]any)
		require.Equal(t, "ACTIVE", s["status"])
		require.Equal(t, true, s["activateBySourceOrder"])
		require.Equal(t, cus, s["customerID"], "the customer comes from the source order")
		require.Equal(t, placed, s["sourceOrderID"])
		require.Equal(t, "monthly", s["frequency"])
		require.NotEmpty(t, s["number"])
		evs := eventsOf(t, e, s["id"].(string))
		require.Equal(t, []string{"order_subscriptions.create"}, namesOf(evs))
		require.Equal(t, "order_subscriptions", evs[0].ResourceType)
		require.NotContains(t, typeFields(t, e, "CreateOrderSubscriptionInput"), "customerID")
	})
	t.Run("from an approved order", func(t *testing.T) {
		r := createOrderSubscription(t, e, map[string]any{"sourceOrderID": approved, "frequency": "weekly"})
		require.Empty(t, userErrorsOf(t, r, "createOrderSubscription"), r.Raw)
		require.Equal(t, "ACTIVE", r.Str("createOrderSubscription.orderSubscription.status"))
		require.Equal(t, cus, r.Str("createOrderSubscription.orderSubscription.customerID"))
	})
	t.Run("not activated by the source order: starts DRAFT", func(t *testing.T) {
		r := createOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": "daily", "activateBySourceOrder": false, "startsAt": future(48 * time.Hour)})
		require.Empty(t, userErrorsOf(t, r, "createOrderSubscription"), r.Raw)
		require.Equal(t, "DRAFT", r.Str("createOrderSubscription.orderSubscription.status"))
		require.Equal(t, false, r.Get("createOrderSubscription.orderSubscription.activateBySourceOrder"))
	})
}

func TestCreateOrderSubscriptionRefusals(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	placed := newOrder(t, e, cus, toPlaced...)
	draft := newOrder(t, e, cus)
	pending := newOrder(t, e, cus, toPending...)
	cancelled := newOrder(t, e, cus, toCancelled...)
	tests := []struct {
		name  string
		input map[string]any
		code  string
		field string
	}{
		{"from a draft order", map[string]any{"sourceOrderID": draft, "frequency": "weekly"}, "INVALID", "sourceOrderId"},
		{"from a pending order", map[string]any{"sourceOrderID": pending, "frequency": "weekly"}, "INVALID", "sourceOrderId"},
		{"from a cancelled order", map[string]any{"sourceOrderID": cancelled, "frequency": "weekly"}, "INVALID", "sourceOrderId"},
		{"from an unknown order", map[string]any{"sourceOrderID": "ord_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", "frequency": "weekly"}, "NOT_FOUND", "sourceOrderId"},
		{"frequency every minute (words)", map[string]any{"sourceOrderID": placed, "frequency": "every minute"}, "INVALID", "frequency"},
		{"frequency every five minutes (crontab)", map[string]any{"sourceOrderID": placed, "frequency": "*/5 * * * *"}, "INVALID", "frequency"},
		{"frequency every minute (crontab)", map[string]any{"sourceOrderID": placed, "frequency": "* * * * *"}, "INVALID", "frequency"},
		{"frequency with four fields", map[string]any{"sourceOrderID": placed, "frequency": "0 */2 * *"}, "INVALID", "frequency"},
		{"frequency with hour 25", map[string]any{"sourceOrderID": placed, "frequency": "0 25 * * *"}, "INVALID", "frequency"},
		{"frequency unknown word", map[string]any{"sourceOrderID": placed, "frequency": "fortnightly"}, "INVALID", "frequency"},
		{"frequency empty", map[string]any{"sourceOrderID": placed, "frequency": ""}, "INVALID", "frequency"},
		{"startsAt missing when not activated by the source order", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false}, "INVALID", "startsAt"},
		{"expiresAt before startsAt", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false,
			"startsAt": future(72 * time.Hour), "expiresAt": future(24 * time.Hour)}, "INVALID", "expiresAt"},
		{"expiresAt equal to startsAt", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false,
			"startsAt": "2099-01-01T00:00:00.000Z", "expiresAt": "2099-01-01T00:00:00.000Z"}, "INVALID", "expiresAt"},
		{"expiresAt in the past", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "expiresAt": "2001-01-01T00:00:00.000Z"}, "INVALID", "expiresAt"},
		{"nextRunAt in the past", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "nextRunAt": "2001-01-01T00:00:00.000Z"}, "INVALID", "nextRunAt"},
		{"nextRunAt an hour ago", map[string]any{"sourceOrderID": placed, "frequency": "weekly", "nextRunAt": future(-time.Hour)}, "INVALID", "nextRunAt"},
	}
	events := eventCount(t, e, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := createOrderSubscription(t, e, tc.input)
			if tc.code == "NOT_FOUND" {
				requireNotFound(t, r, "createOrderSubscription", tc.field)
			} else {
				requireRefused(t, r, "createOrderSubscription", tc.code, tc.field)
			}
		})
	}
	require.Equal(t, 0, e.MustDo(t, `{ orderSubscriptions { totalCount } }`, nil).Int("orderSubscriptions.totalCount"))
	require.Equal(t, events, eventCount(t, e, nil))
}

func TestOrderSubscriptionValidFrequencies(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	placed := newOrder(t, e, cus, toPlaced...)
	for _, f := range []string{"hourly", "daily", "weekly", "monthly", "two-month", "three-month", "four-month", "six-month", "yearly",
		"0 */2 * * *", "30 8 * * 1-5", "0 0 1 * *", "15 6,18 * * *"} {
		t.Run(f, func(t *testing.T) {
			r := createOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": f,
				"expiresAt": future(24 * time.Hour * 365), "nextRunAt": future(time.Hour)})
			require.Empty(t, r.Errors, r.Raw)
			require.Empty(t, userErrorsOf(t, r, "createOrderSubscription"), r.Raw)
			require.Equal(t, f, r.Str("createOrderSubscription.orderSubscription.frequency"))
		})
	}
}

func TestUpdateOrderSubscriptionRefusals(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	placed := newOrder(t, e, cus, toPlaced...)
	id := newOrderSubscription(t, e, map[string]any{"sourceOrderID": placed, "frequency": "weekly", "activateBySourceOrder": false,
		"startsAt": future(72 * time.Hour)})
	update := `mutation($id: ID!, $in: UpdateOrderSubscriptionInput!) { updateOrderSubscription(id: $id, input: $in) { orderSubscription { id } userErrors { code field } } }`
	tests := []struct {
		name  string
		input map[string]any
		field string
	}{
		{"frequency every minute", map[string]any{"frequency": "* * * * *"}, "frequency"},
		{"frequency in words", map[string]any{"frequency": "every minute"}, "frequency"},
		{"nextRunAt in the past", map[string]any{"nextRunAt": "2001-01-01T00:00:00.000Z"}, "nextRunAt"},
		{"expiresAt before the stored startsAt", map[string]any{"expiresAt": future(24 * time.Hour)}, "expiresAt"},
	}
	sub := mustNode(t, e, id)
	events := eventCount(t, e, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, update, map[string]any{"id": id, "in": tc.input})
			requireRefused(t, r, "updateOrderSubscription", "INVALID", tc.field)
		})
	}
	require.Equal(t, sub, mustNode(t, e, id))
	require.Equal(t, events, eventCount(t, e, nil))

	// And the valid counterparts are accepted.
	e.MustDo(t, update, map[string]any{"id": id, "in": map[string]any{"frequency": "0 */2 * * *", "nextRunAt": future(time.Hour), "expiresAt": future(96 * time.Hour)}})
	require.Equal(t, "0 */2 * * *", mustNode(t, e, id)["frequency"])
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
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			placed := newOrder(t, e, cus, toPlaced...)
			input := map[string]any{"sourceOrderID": placed, "frequency": "weekly"}
			if tc.draft {
				input["activateBySourceOrder"] = false
				input["startsAt"] = future(48 * time.Hour)
			}
			id := newOrderSubscription(t, e, input, tc.before...)
			before := mustNode(t, e, id)
			evsBefore := eventsOf(t, e, id)
			events := eventCount(t, e, nil)

			if tc.status == "" {
				r := transition(t, e, tc.mutation, id)
				requireRefused(t, r, tc.mutation, "INVALID_TRANSITION")
				require.Equal(t, before, mustNode(t, e, id))
				require.Equal(t, events, eventCount(t, e, nil))
				return
			}
			got := mustTransition(t, e, tc.mutation, id)
			require.Equal(t, tc.status, got["status"])
			require.Equal(t, before["customerID"], got["customerID"])
			require.Equal(t, tc.status, mustNode(t, e, id)["status"])
			evs := eventsOf(t, e, id)
			require.Len(t, evs, len(evsBefore)+1, namesOf(evs))
			require.Equal(t, tc.event, evs[len(evs)-1].Name)
			require.Equal(t, "order_subscriptions", evs[len(evs)-1].ResourceType)
		})
	}
}

// ---------------------------------------------------------------------------
// Customer deletion
// ---------------------------------------------------------------------------

const deleteCustomerQuery = `mutation($id: ID!) { deleteCustomer(id: $id) { deletedId userErrors { code field } } }`

// ownedRecords gives the customer one of each record deletion takes along
// and returns their IDs.
func ownedRecords(t testing.TB, e *testenv.Env, cus string) map[string]string {
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
	email := mustNode(t, e, cus)["email"].(string)
	r = e.MustDo(t, `mutation($email: String!) { createCustomerPasswordReset(customerEmail: $email) { customerPasswordReset { id } userErrors { code field } } }`,
		map[string]any{"email": email})
	out["customerPasswordReset"] = r.Str("createCustomerPasswordReset.customerPasswordReset.id")
	r = e.MustDo(t, `mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"customerID": cus, "name": "contract.pdf", "url": "https://example.com/contract.pdf"}})
	out["attachment"] = r.Str("createAttachment.attachment.id")
	out["draftOrder"] = newOrder(t, e, cus)
	out["pendingOrder"] = newOrder(t, e, cus, toPending...)
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
		{"with a placed order", func(t testing.TB, e *testenv.Env, cus string) { newOrder(t, e, cus, toPlaced...) }},
		{"with an approved order", func(t testing.TB, e *testenv.Env, cus string) { newOrder(t, e, cus, toApproved...) }},
		{"with an order cancelled after placement", func(t testing.TB, e *testenv.Env, cus string) { newOrder(t, e, cus, toCancelled...) }},
		{"with a return", func(t testing.TB, e *testenv.Env, cus string) {
			newReturn(t, e, newOrder(t, e, cus, toFulfilled...), retRequested...)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cus := newCustomer(t, e)
			owned := ownedRecords(t, e, cus)
			tc.setup(t, e, cus)
			customer := mustNode(t, e, cus)
			events := eventCount(t, e, nil)

			r := e.Do(t, deleteCustomerQuery, map[string]any{"id": cus})
			requireRefused(t, r, "deleteCustomer", "LOCKED")
			require.Equal(t, customer, mustNode(t, e, cus))
			for kind, id := range owned {
				require.NotNil(t, node(t, e, id), "%s must survive a refused delete", kind)
			}
			require.Equal(t, events, eventCount(t, e, nil))
		})
	}
}

func TestDeleteCustomerCascades(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e)
	owned := ownedRecords(t, e, cus)
	bystander := newCustomer(t, e)
	theirs := ownedRecords(t, e, bystander)

	r := e.MustDo(t, deleteCustomerQuery, map[string]any{"id": cus})
	require.Equal(t, cus, r.Str("deleteCustomer.deletedId"))
	require.Nil(t, node(t, e, cus))
	for kind, id := range owned {
		require.Nil(t, node(t, e, id), "the customer's %s must go with it", kind)
	}
	for kind, id := range theirs {
		require.NotNil(t, node(t, e, id), "another customer's %s must stay", kind)
	}
	r = e.MustDo(t, `query($id: ID!) { customerAddresses(where: {customerID: $id}) { totalCount } }`, map[string]any{"id": cus})
	require.Equal(t, 0, r.Int("customerAddresses.totalCount"))

	evs := eventsOf(t, e, cus)
	require.Equal(t, 1, countName(evs, "customers.destroy"), namesOf(evs))
	last := evs[len(evs)-1]
	require.Equal(t, "customers.destroy", last.Name)
	require.Equal(t, "customers", last.ResourceType)
	require.Equal(t, map[string]any{"id": cus}, last.Payload, "a destroy event carries the id only")
	require.Nil(t, last.Resource, "the event's resource is gone")

	// Deleting again finds nothing.
	requireNotFound(t, e.Do(t, deleteCustomerQuery, map[string]any{"id": cus}), "deleteCustomer")
}
