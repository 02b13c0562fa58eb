// Package apperr is clientele's one error type: a code from a small set, the
// input field it concerns and a message written for the caller. Errors are
// coded where they are born (validators, hooks, state machines, privacy);
// errors without a code are internal: the caller sees "internal error" and
// the operator sees the detail in the log. Each transport maps the codes to
// its own answers in one table (GraphQL: graph/errors.go).
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error.
type Code string

// The error codes. The first seven are problems with the caller's input
// (GraphQL user errors); the others concern the request as a whole.
const (
	Invalid           Code = "INVALID"
	Taken             Code = "TAKEN"
	NotFound          Code = "NOT_FOUND"
	InvalidTransition Code = "INVALID_TRANSITION"
	Locked            Code = "LOCKED"
	TooLong           Code = "TOO_LONG"
	// Conflict: the write named the version of the record it was based on
	// (resource.ExpectVersion) and the record has another one now; nothing
	// was written.
	Conflict        Code = "CONFLICT"
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	// Timeout: the request ran out of time; nothing was written.
	Timeout Code = "TIMEOUT"
	// Unavailable: the database is unreachable, shutting down or full;
	// retry later.
	Unavailable Code = "UNAVAILABLE"
	// BadRequest: the request as a whole is malformed (not JSON, no
	// query, a body too large, an unknown parameter).
	BadRequest Code = "BAD_USER_INPUT"
	// RateLimited: too many requests or streams; retry later.
	RateLimited Code = "RATE_LIMITED"
	// Internal: a failure of ours; the log has the detail.
	Internal Code = "INTERNAL"
)

// Error is a coded error.
type Error struct {
	Code    Code
	Field   []string
	Message string
}

func (e *Error) Error() string {
	if len(e.Field) > 0 {
		return fmt.Sprintf("%s: %v: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// New returns an error with the given code, field path and message.
func New(code Code, field []string, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// FieldName turns a column or edge name into its GraphQL field name
// (customer_group_id into customerGroupID, reset_password_at into
// resetPasswordAt; the schema spells IDs "ID"), so that errors point at
// what the caller sent and event payloads read like the schema.
func FieldName(column string) string {
	parts := strings.Split(column, "_")
	for i := 1; i < len(parts); i++ {
		switch {
		case parts[i] == "id":
			parts[i] = "ID"
		case parts[i] != "":
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// Field is a shorthand for a one-element field path.
func Field(name string) []string { return []string{name} }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
