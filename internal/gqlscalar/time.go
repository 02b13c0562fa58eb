// Package gqlscalar holds the custom GraphQL scalars: Time as RFC 3339 in
// UTC with milliseconds.
package gqlscalar

import (
	"errors"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// TimeLayout is how every Time leaves the server: UTC, millisecond precision.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalTime writes t as RFC 3339 in UTC with milliseconds.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		// Formatted on the stack.
		var b [40]byte
		_, _ = w.Write(AppendTime(b[:0], t))
	})
}

// AppendTime appends t as MarshalTime writes it: quoted by hand, since the
// layout needs no JSON escaping (digits, '-', ':', '.', 'T' and 'Z').
func AppendTime(dst []byte, t time.Time) []byte {
	return append(t.UTC().AppendFormat(append(dst, '"'), TimeLayout), '"')
}

// UnmarshalTime reads an RFC 3339 time.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errors.New("time must be an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("time must be an RFC 3339 string such as 2026-01-02T15:04:05.000Z")
	}
	return t.UTC(), nil
}
