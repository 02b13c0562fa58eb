// Package clock is clientele's one clock. It travels in the context, like
// the caller (package viewer): a transport puts its clock there, and every
// rule that needs the time (creation and update times, transition stamps,
// "must be in the future", token expiry) reads it with Now. Tests inject a
// clock they move; seeding injects the historical time of each change. A
// context without a clock reads the wall clock.
package clock

import (
	"context"
	"time"
)

type ctxKey struct{}

// NewContext returns ctx whose clock is now.
func NewContext(ctx context.Context, now func() time.Time) context.Context {
	if now == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, now)
}

// At returns ctx whose clock stands still at t.
func At(ctx context.Context, t time.Time) context.Context {
	return NewContext(ctx, func() time.Time { return t })
}

// Now returns the time of ctx's clock, or the wall clock's.
func Now(ctx context.Context) time.Time {
	if now, ok := ctx.Value(ctxKey{}).(func() time.Time); ok {
		return now()
	}
	return time.Now()
}
