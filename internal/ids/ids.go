// Package ids makes and reads clientele's identifiers: a short type prefix,
// an underscore and a 26-character ULID (time-ordered, 80 random bits), for
// example cus_01JD3Q8Z1K9Y8F7M6N5B4V3C2X. The prefix alone tells which type
// a record is (package resource maps prefixes to resource types), so
// node(id:) needs no lookup table.
package ids

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Prefix is the type part of an ID.
type Prefix string

// The prefix of each resource type, and of credentials (which are not
// resources: no mode, no node).
const (
	Customer              Prefix = "cus"
	CustomerGroup         Prefix = "cgr"
	Address               Prefix = "adr"
	CustomerAddress       Prefix = "cad"
	CustomerPaymentSource Prefix = "cps"
	CustomerSubscription  Prefix = "csb"
	Order                 Prefix = "ord"
	OrderSubscription     Prefix = "osb"
	Return                Prefix = "ret"
	Attachment            Prefix = "att"
	Event                 Prefix = "evt"
	CustomerPasswordReset Prefix = "cpr"
	Credential            Prefix = "crd"
)

var (
	mu      sync.Mutex
	entropy = ulid.Monotonic(rand.Reader, 0)
)

// New returns a fresh ID with the given prefix.
func New(prefix Prefix) string {
	mu.Lock()
	id := ulid.MustNew(ulid.Timestamp(time.Now()), entropy)
	mu.Unlock()
	return string(prefix) + "_" + id.String()
}

// NewFunc returns a generator of IDs with the given prefix, for ent defaults.
func NewFunc(prefix Prefix) func() string {
	return func() string { return New(prefix) }
}

// Parse returns the prefix of a well-formed ID, and false when the ID is
// malformed.
func Parse(id string) (Prefix, bool) {
	p, rest, ok := strings.Cut(id, "_")
	if !ok || len(rest) != ulid.EncodedSize {
		return "", false
	}
	if _, err := ulid.ParseStrict(rest); err != nil {
		return "", false
	}
	return Prefix(p), true
}

// Valid reports whether id is well-formed and has the given prefix.
func Valid(id string, prefix Prefix) bool {
	p, ok := Parse(id)
	return ok && p == prefix
}
