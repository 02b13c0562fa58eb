package graph

import (
	"context"
	"errors"
	"log/slog"

	"clientele/graph/model"
	"clientele/internal/apperr"
	"clientele/internal/enterr"
	"clientele/internal/reqctx"
	"clientele/internal/store"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The extensions.code values of top-level errors: apperr's codes, plus
// QUERY_TOO_COMPLEX, which only GraphQL documents can be.
const (
	CodeUnauthenticated = string(apperr.Unauthenticated)
	CodeForbidden       = string(apperr.Forbidden)
	CodeNotFound        = string(apperr.NotFound)
	CodeBadUserInput    = string(apperr.BadRequest)
	CodeQueryTooComplex = "QUERY_TOO_COMPLEX"
	CodeRateLimited     = string(apperr.RateLimited)
	CodeInternal        = string(apperr.Internal)
	// CodeUnavailable: the database is unreachable, shutting down or out
	// of space; retry later (HTTP 503 with Retry-After where the request
	// failed as a whole).
	CodeUnavailable = string(apperr.Unavailable)
	// CodeTimeout: the request ran out of time.
	CodeTimeout = string(apperr.Timeout)
)

// userCodes maps the codes that are the caller's input problems to user
// error codes; this is the one table between domain errors and GraphQL.
var userCodes = map[apperr.Code]model.UserErrorCode{
	apperr.Invalid:           model.UserErrorCodeInvalid,
	apperr.Taken:             model.UserErrorCodeTaken,
	apperr.NotFound:          model.UserErrorCodeNotFound,
	apperr.InvalidTransition: model.UserErrorCodeInvalidTransition,
	apperr.Locked:            model.UserErrorCodeLocked,
	apperr.TooLong:           model.UserErrorCodeTooLong,
	apperr.Conflict:          model.UserErrorCodeConflict,
}

// topCodes maps the codes to top-level extensions.code values (codes not
// listed are BAD_USER_INPUT).
var topCodes = map[apperr.Code]string{
	apperr.Unauthenticated: CodeUnauthenticated,
	apperr.Forbidden:       CodeForbidden,
	apperr.NotFound:        CodeNotFound,
	apperr.Invalid:         CodeBadUserInput,
	apperr.TooLong:         CodeBadUserInput,
	apperr.Timeout:         CodeTimeout,
	apperr.Unavailable:     CodeUnavailable,
}

// respond finishes a mutation resolver. A nil error gives the payload with
// no user errors. An error the caller can act on becomes user errors and
// marks the mutation's transaction for rollback, so nothing it wrote
// (events included) survives. Anything else is a top-level error.
func respond[P any](ctx context.Context, p *P, userErrors *[]*model.UserError, err error) (*P, error) {
	*userErrors = []*model.UserError{}
	if err == nil {
		return p, nil
	}
	e, ok := enterr.Classify(err)
	if !ok {
		return nil, err
	}
	code, ok := userCodes[e.Code]
	if !ok {
		return nil, err // FORBIDDEN, UNAUTHENTICATED: top-level
	}
	rollbackOnly(ctx)
	*userErrors = append(*userErrors, &model.UserError{Field: e.Field, Message: e.Message, Code: code})
	return p, nil
}

// presenter turns every error into one with an extensions.code. Internal
// errors say only "internal error" and a request ID; the detail goes to the
// log.
func presenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			// Parser, validation and limit errors gqlgen made itself.
			if gerr.Extensions == nil || gerr.Extensions["code"] == nil {
				gerr.Extensions = withCode(gerr.Extensions, CodeBadUserInput)
			}
			return gerr
		}
		path := graphql.GetPath(ctx)
		if gerr != nil && gerr.Err != nil {
			err = gerr.Err
			if len(gerr.Path) > 0 {
				path = gerr.Path
			}
			// gqlgen reports a field argument it could not coerce (a bad
			// time, cursor or enum) on a path below the field: the
			// caller's input, not a failure of ours.
			if fc := graphql.GetFieldContext(ctx); fc != nil && len(gerr.Path) > len(fc.Path()) {
				if _, coded := enterr.Classify(err); !coded {
					return &gqlerror.Error{Message: "Invalid value: " + gerr.Err.Error(), Path: path,
						Extensions: map[string]any{"code": CodeBadUserInput}}
				}
			}
		}
		if e, ok := enterr.Classify(err); ok {
			code := topCodes[e.Code]
			if code == "" {
				code = CodeBadUserInput
			}
			msg := e.Message
			if code == CodeNotFound {
				msg = "Could not find a record with this ID."
			}
			return &gqlerror.Error{Message: msg, Path: path, Extensions: map[string]any{"code": code}}
		}
		var coded interface{ ExtensionCode() string }
		if errors.As(err, &coded) {
			return &gqlerror.Error{Message: err.Error(), Path: path, Extensions: map[string]any{"code": coded.ExtensionCode()}}
		}
		if store.Unavailable(err) {
			log.WarnContext(ctx, "database unavailable", "request_id", reqctx.ID(ctx), "path", path.String(), "error", err.Error())
			msg := "The service is unavailable; retry later."
			if store.DiskFull(err) {
				msg = "The database is out of space; nothing was written. Retry later."
			}
			return &gqlerror.Error{Message: msg, Path: path, Extensions: map[string]any{"code": topCodes[apperr.Unavailable]}}
		}
		id := reqctx.ID(ctx)
		log.ErrorContext(ctx, "internal error", "request_id", id, "path", path.String(), "error", err.Error())
		return &gqlerror.Error{Message: "internal error", Path: path, Extensions: map[string]any{"code": CodeInternal, "requestId": id}}
	}
}

func withCode(ext map[string]any, code string) map[string]any {
	if ext == nil {
		ext = map[string]any{}
	}
	ext["code"] = code
	return ext
}

// addNotFound records a NOT_FOUND error for one element of a list field.
func addNotFound(ctx context.Context, index int) {
	path := append(ast.Path{}, graphql.GetPath(ctx)...)
	path = append(path, ast.PathIndex(index))
	graphql.AddError(ctx, &gqlerror.Error{
		Message:    "Could not find a record with this ID.",
		Path:       path,
		Extensions: map[string]any{"code": CodeNotFound},
	})
}

// codedError is an error with a fixed extensions.code.
type codedError struct {
	code, msg string
}

func (e *codedError) Error() string         { return e.msg }
func (e *codedError) ExtensionCode() string { return e.code }
