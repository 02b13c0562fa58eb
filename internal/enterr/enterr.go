// Package enterr classifies the errors of the ent client for every
// transport: the coded *apperr.Error an error carries, when it is one the
// caller can act on. Each transport then maps the code to its own answer
// in one table (GraphQL: graph/errors.go; REST: internal/rest).
package enterr

import (
	"context"
	"errors"
	"strings"

	"clientele/ent"
	"clientele/ent/privacy"
	"clientele/internal/apperr"
)

// Classify returns the coded *apperr.Error an error carries, when it is
// one the caller can act on. Errors are coded where they are born
// (validators, hooks, state machines, privacy, the unique-index table of
// the schema); the rest is ent's own typed errors: a validation error
// (INVALID, or the code its validator gave, on the field), a record not
// found, a privacy denial, a constraint violation. It returns false for
// everything else.
func Classify(err error) (*apperr.Error, bool) {
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		field := apperr.FieldName(ve.Name)
		code, msg := apperr.Invalid, "is not valid"
		if e, ok := apperr.As(ve); ok {
			code, msg = e.Code, e.Message
		} else if inner := errors.Unwrap(ve); inner != nil && !strings.Contains(inner.Error(), "\"") {
			msg = inner.Error()
		}
		return apperr.New(code, apperr.Field(field), "%s %s", field, msg), true
	}
	if e, ok := apperr.As(err); ok {
		return e, true
	}
	switch {
	case ent.IsNotFound(err):
		return apperr.New(apperr.NotFound, apperr.Field("id"), "no record with this ID"), true
	case errors.Is(err, privacy.Deny):
		return apperr.New(apperr.Forbidden, nil, "this credential may not read or change these records"), true
	case ent.IsConstraintError(err):
		return apperr.New(apperr.Invalid, nil, "the change conflicts with existing records"), true
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.New(apperr.Timeout, nil, "The request took too long."), true
	}
	return nil, false
}
