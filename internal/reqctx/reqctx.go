// Package reqctx carries the facts about a request that the HTTP layer
// learns and the API layers below it report: the request's ID (logs,
// internal errors) and whether an operation runs on a WebSocket connection
// (which can be told why a subscription ended).
package reqctx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

type idKey struct{}

// NewID returns a random request ID.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WithID returns ctx carrying the request ID id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// ID returns the request ID ctx carries, or "".
func ID(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

type webSocketKey struct{}

// WithWebSocket marks ctx as belonging to a WebSocket connection.
func WithWebSocket(ctx context.Context) context.Context {
	return context.WithValue(ctx, webSocketKey{}, true)
}

// WebSocket reports whether ctx belongs to a WebSocket connection.
func WebSocket(ctx context.Context) bool {
	return ctx.Value(webSocketKey{}) != nil
}
