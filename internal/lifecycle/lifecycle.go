// Package lifecycle holds clientele's state machines as data: which status
// moves are allowed for orders, returns, order subscriptions and customers,
// what each move is called (the event action) and which timestamps and
// sibling fields it sets. The ent hooks apply these tables to every
// mutation, so every entry point obeys the same rules. It also holds the
// rules derived from them: which orders count as placed, and the customer
// status their number gives.
package lifecycle

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"clientele/internal/apperr"
)

// Transition is one allowed move of one field.
type Transition struct {
	// Action names the move; the event is <plural_type>.<Action>.
	Action string
	// Field is the status field that moves, From its allowed current
	// values and To its new value.
	Field string
	From  []string
	To    string
	// Guard lists other fields that must hold one of the given values.
	Guard map[string][]string
	// Stamp names a time field set to the time of the move.
	Stamp []string
	// Set lists sibling fields the move sets (e.g. the payment status).
	Set map[string]string
}

// Machine is the set of transitions of one resource type.
type Machine struct {
	Transitions []Transition
}

// Fields returns the fields the machine governs.
func (m *Machine) Fields() []string {
	var fs []string
	for _, t := range m.Transitions {
		if !slices.Contains(fs, t.Field) {
			fs = append(fs, t.Field)
		}
	}
	return fs
}

// Action returns the transition a move is called by (its event action,
// e.g. "place"): transports that name moves rather than target values (the
// REST triggers, _place: true) find the field and value to set here. Every
// action of a machine moves one field to one value.
func (m *Machine) Action(name string) (*Transition, bool) {
	for i := range m.Transitions {
		if m.Transitions[i].Action == name {
			return &m.Transitions[i], true
		}
	}
	return nil, false
}

// Find returns the transition that moves field from `from` to `to`, given the
// current values of the guard fields. A move the machine does not allow is
// an INVALID_TRANSITION error about the noun ("the order cannot move from
// DRAFT to APPROVED").
func (m *Machine) Find(noun, field, from, to string, current func(field string) string) (*Transition, error) {
	for i := range m.Transitions {
		t := &m.Transitions[i]
		if t.Field != field || t.To != to || !slices.Contains(t.From, from) {
			continue
		}
		ok := true
		for gf, allowed := range t.Guard {
			if !slices.Contains(allowed, current(gf)) {
				ok = false
				break
			}
		}
		if ok {
			return t, nil
		}
	}
	return nil, Refused(noun, field, from, to)
}

// Refused is the INVALID_TRANSITION error of a move of field from `from` to
// `to` that is not allowed, or that lost a race (the record moved first).
func Refused(noun, field, from, to string) *apperr.Error {
	subject := "the " + noun
	if field != "status" {
		subject += "'s " + strings.ReplaceAll(field, "_", " ")
	}
	return apperr.New(apperr.InvalidTransition, nil, "%s cannot move from %s to %s", subject, from, to)
}

// Reachable returns `from` and every value of field that some sequence of
// transitions leads to from it, guards aside.
func (m *Machine) Reachable(field, from string) []string {
	out := []string{from}
	for i := 0; i < len(out); i++ {
		for _, t := range m.Transitions {
			if t.Field == field && slices.Contains(t.From, out[i]) && !slices.Contains(out, t.To) {
				out = append(out, t.To)
			}
		}
	}
	return out
}

// Orders: draft → pending → placed → approved, placed|approved → cancelled;
// fulfillment unfulfilled → in_progress → fulfilled once approved.
var Orders = &Machine{Transitions: []Transition{
	{Action: "pending", Field: "status", From: []string{"DRAFT"}, To: "PENDING"},
	{Action: "place", Field: "status", From: []string{"PENDING"}, To: "PLACED",
		Stamp: []string{"placed_at"}, Set: map[string]string{"payment_status": "AUTHORIZED"}},
	{Action: "approve", Field: "status", From: []string{"PLACED"}, To: "APPROVED",
		Stamp: []string{"approved_at"}},
	{Action: "cancel", Field: "status", From: []string{"PLACED", "APPROVED"}, To: "CANCELLED",
		Guard: map[string][]string{"fulfillment_status": {"UNFULFILLED"}},
		Stamp: []string{"cancelled_at"}, Set: map[string]string{"payment_status": "VOIDED"}},
	{Action: "start_fulfilling", Field: "fulfillment_status", From: []string{"UNFULFILLED"}, To: "IN_PROGRESS",
		Guard: map[string][]string{"status": {"APPROVED"}},
		Stamp: []string{"fulfillment_updated_at"}, Set: map[string]string{"payment_status": "PAID"}},
	{Action: "fulfill", Field: "fulfillment_status", From: []string{"IN_PROGRESS"}, To: "FULFILLED",
		Guard: map[string][]string{"status": {"APPROVED"}},
		Stamp: []string{"fulfillment_updated_at"}},
}}

// Returns: draft → requested → approved → shipped → received → refunded,
// requested → cancelled, shipped → rejected.
var Returns = &Machine{Transitions: []Transition{
	{Action: "request", Field: "status", From: []string{"DRAFT"}, To: "REQUESTED"},
	{Action: "approve", Field: "status", From: []string{"REQUESTED"}, To: "APPROVED", Stamp: []string{"approved_at"}},
	{Action: "cancel", Field: "status", From: []string{"REQUESTED"}, To: "CANCELLED", Stamp: []string{"cancelled_at"}},
	{Action: "ship", Field: "status", From: []string{"APPROVED"}, To: "SHIPPED", Stamp: []string{"shipped_at"}},
	{Action: "receive", Field: "status", From: []string{"SHIPPED"}, To: "RECEIVED", Stamp: []string{"received_at"}},
	{Action: "reject", Field: "status", From: []string{"SHIPPED"}, To: "REJECTED", Stamp: []string{"rejected_at"}},
	{Action: "refund", Field: "status", From: []string{"RECEIVED"}, To: "REFUNDED", Stamp: []string{"refunded_at"}},
}}

// OrderSubscriptions: draft → active ↔ inactive, any → cancelled.
var OrderSubscriptions = &Machine{Transitions: []Transition{
	{Action: "activate", Field: "status", From: []string{"DRAFT", "INACTIVE"}, To: "ACTIVE"},
	{Action: "deactivate", Field: "status", From: []string{"ACTIVE"}, To: "INACTIVE"},
	{Action: "cancel", Field: "status", From: []string{"DRAFT", "ACTIVE", "INACTIVE"}, To: "CANCELLED"},
}}

// Customers: prospect → acquired → repeat, never back. The status is
// computed from the placed-orders count by CustomerStatus.
var Customers = &Machine{Transitions: []Transition{
	{Action: "acquired", Field: "status", From: []string{"PROSPECT"}, To: "ACQUIRED"},
	{Action: "repeat", Field: "status", From: []string{"PROSPECT", "ACQUIRED"}, To: "REPEAT"},
}}

// PlacedOrderStatuses are the statuses of an order that counts as placed:
// an order counts from the moment it is placed, so these are PLACED and
// every status reachable from it (approved, cancelled after placement).
var PlacedOrderStatuses = Orders.Reachable("status", "PLACED")

// OrderPlaced reports whether an order with the given status counts as
// placed: it drives the customer's status, locks the order's money and
// keeps the order and its customer from being deleted.
func OrderPlaced(status string) bool {
	return slices.Contains(PlacedOrderStatuses, status)
}

// CustomerStatus returns the status a customer with n placed orders has.
func CustomerStatus(n int) string {
	switch {
	case n >= 2:
		return "REPEAT"
	case n == 1:
		return "ACQUIRED"
	}
	return "PROSPECT"
}

// Frequencies are the named recurrences an order subscription accepts.
var Frequencies = []string{"hourly", "daily", "weekly", "monthly", "two-month", "three-month", "four-month", "six-month", "yearly"}

// ValidateFrequency accepts a named frequency or a five-field crontab whose
// minute field is a single number (so it runs at most once an hour).
// Errors: INVALID.
func ValidateFrequency(s string) error {
	if slices.Contains(Frequencies, s) {
		return nil
	}
	f := strings.Fields(s)
	if len(f) != 5 {
		return apperr.New(apperr.Invalid, nil, "must be one of %s or a five-field crontab", strings.Join(Frequencies, ", "))
	}
	if m, err := strconv.Atoi(f[0]); err != nil || m < 0 || m > 59 {
		return apperr.New(apperr.Invalid, nil, "crontab minute must be a single number from 0 to 59: the smallest unit is one hour")
	}
	limits := [][2]int{{0, 23}, {1, 31}, {1, 12}, {0, 7}}
	for i, part := range f[1:] {
		if !cronField(part, limits[i][0], limits[i][1]) {
			return apperr.New(apperr.Invalid, nil, "crontab field %d (%s) is not valid", i+2, fmt.Sprintf("%q", part))
		}
	}
	return nil
}

// cronField accepts *, */n, n, n-m, and comma lists of those.
func cronField(s string, lo, hi int) bool {
	for _, item := range strings.Split(s, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 || n > hi {
				return false
			}
		}
		if base == "*" {
			continue
		}
		a, b, isRange := strings.Cut(base, "-")
		for _, v := range []string{a, b} {
			if v == "" && !isRange && v == b {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				return false
			}
		}
	}
	return true
}
