// Package viewer carries the caller of a request through its context: the
// mode its credential is bound to, what kind of caller it is, its role and,
// for a logged-in customer, the customer it acts as. The ent policies,
// hooks and interceptors read it; transports only put it there.
package viewer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Mode is the environment a record or a caller belongs to.
type Mode string

// The two modes. Records of one mode are never visible from the other.
const (
	Test Mode = "TEST"
	Live Mode = "LIVE"
)

// Values lists the modes; ent uses it for the enum column.
func (Mode) Values() []string { return []string{string(Test), string(Live)} }

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == Test || m == Live }

// Lower returns the mode as the REST API and the CLI spell it.
func (m Mode) Lower() string {
	if m == Live {
		return "live"
	}
	return "test"
}

// ParseMode reads "test"/"live" in any case.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "test", "TEST":
		return Test, nil
	case "live", "LIVE":
		return Live, nil
	}
	return "", fmt.Errorf("unknown mode %q (want test or live)", s)
}

// MarshalGQL writes the mode as a GraphQL enum value.
func (m Mode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(m))) }

// UnmarshalGQL reads the mode from a GraphQL enum value.
func (m *Mode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("mode must be a string")
	}
	if !Mode(s).Valid() {
		return fmt.Errorf("%q is not a valid Mode", s)
	}
	*m = Mode(s)
	return nil
}

// Kind says what sort of caller a viewer is.
type Kind string

// The caller kinds.
const (
	// Integration is a back-office credential with a role.
	Integration Kind = "integration"
	// SalesChannel is a public storefront credential without a customer.
	SalesChannel Kind = "sales_channel"
	// Customer is a sales channel token owned by a logged-in customer.
	Customer Kind = "customer"
	// System is the server itself: migrations, seeding, the CLI.
	System Kind = "system"
)

// Role is an integration's role.
type Role string

// The integration roles.
const (
	Admin    Role = "admin"
	ReadOnly Role = "read_only"
)

// Viewer is the caller of one request.
type Viewer struct {
	Mode         Mode
	Kind         Kind
	Role         Role
	CustomerID   string // set for Kind == Customer
	CredentialID string
	// ExpiresAt is when the token the viewer came from expires (zero for
	// viewers that did not come from a token, e.g. the system).
	ExpiresAt time.Time
	// SessionEpoch is the customer's session epoch the token was issued
	// with (customer tokens only): once the customer's password changes,
	// the customer's epoch moves on and the token stops working.
	SessionEpoch int64
}

// CanWriteAll reports whether the viewer may write any record of its mode.
func (v *Viewer) CanWriteAll() bool {
	return v.Kind == System || (v.Kind == Integration && v.Role == Admin)
}

// CanReadAll reports whether the viewer may read any record of its mode.
func (v *Viewer) CanReadAll() bool {
	return v.Kind == System || v.Kind == Integration
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or nil.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// SystemContext returns ctx acting as the server itself in mode m.
func SystemContext(ctx context.Context, m Mode) context.Context {
	return NewContext(ctx, &Viewer{Mode: m, Kind: System, Role: Admin})
}

// Elevated returns ctx acting as the server itself in the caller's mode, for
// internal reads whose result never reaches the caller (e.g. the customer
// lookup behind a password reset requested by an anonymous storefront).
func Elevated(ctx context.Context) context.Context {
	m := Test
	if v := FromContext(ctx); v != nil {
		m = v.Mode
	}
	return SystemContext(ctx, m)
}
