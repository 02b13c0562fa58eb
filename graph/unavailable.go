package graph

import (
	"errors"

	"clientele/internal/auth"
	"clientele/internal/store"
)

// unavailable reports whether err means the service cannot answer right now
// (the database is unreachable, shutting down or full): the caller gets the
// retryable UNAVAILABLE code, never INTERNAL or UNAUTHENTICATED.
func unavailable(err error) bool {
	return errors.Is(err, auth.ErrUnavailable) || store.Unavailable(err)
}
