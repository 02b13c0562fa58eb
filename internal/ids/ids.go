// Package ids makes and reads clientele's resource identifiers: a short type
// prefix, an underscore and a 26-character ULID (time-ordered, 80 random bits),
// for example cus_01JD3Q8Z1K9Y8F7M6N5B4V3C2X. The prefix alone tells which
// table a record lives in, so node(id:) needs no lookup table.
package ids

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// The prefix of each resource type.
const (
	Customer              = "cus"
	CustomerGroup         = "cgr"
	Address               = "adr"
	CustomerAddress       = "cad"
	CustomerPaymentSource = "cps"
	CustomerSubscription  = "csb"
	Order                 = "ord"
	OrderSubscription     = "osb"
	Return                = "ret"
	Attachment            = "att"
	Event                 = "evt"
	CustomerPasswordReset = "cpr"
	Credential            = "crd"
)

// prefixes maps each ID prefix to the table, which is also the plural type
// name of the REST shape (links.self).
var prefixes = map[string]string{
	Customer:              "customers",
	CustomerGroup:         "customer_groups",
	Address:               "addresses",
	CustomerAddress:       "customer_addresses",
	CustomerPaymentSource: "customer_payment_sources",
	CustomerSubscription:  "customer_subscriptions",
	Order:                 "orders",
	OrderSubscription:     "order_subscriptions",
	Return:                "returns",
	Attachment:            "attachments",
	Event:                 "events",
	CustomerPasswordReset: "customer_password_resets",
	Credential:            "credentials",
}

var (
	mu      sync.Mutex
	entropy = ulid.Monotonic(rand.Reader, 0)
)

// New returns a fresh ID with the given prefix.
func New(prefix string) string {
	mu.Lock()
	id := ulid.MustNew(ulid.Timestamp(time.Now()), entropy)
	mu.Unlock()
	return prefix + "_" + id.String()
}

// NewFunc returns a generator of IDs with the given prefix, for ent defaults.
func NewFunc(prefix string) func() string {
	return func() string { return New(prefix) }
}

// Table returns the table of the given ID, and false when the ID is
// malformed or its prefix unknown.
func Table(id string) (string, bool) {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok || len(rest) != ulid.EncodedSize {
		return "", false
	}
	if _, err := ulid.ParseStrict(rest); err != nil {
		return "", false
	}
	t, ok := prefixes[prefix]
	return t, ok
}

// Valid reports whether id is well-formed and has the given prefix.
func Valid(id, prefix string) bool {
	p, rest, ok := strings.Cut(id, "_")
	if !ok || p != prefix || len(rest) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(rest)
	return err == nil
}

// TableOf returns the table of IDs with the given prefix.
func TableOf(prefix string) string { return prefixes[prefix] }
