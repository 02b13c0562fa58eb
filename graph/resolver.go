// Package graph is clientele's GraphQL layer: thin resolvers over ent, the
// error presenter, the per-mutation transaction, limits and the access
// check. HTTP (transports, CORS, authentication, rate limits, streams) is
// internal/httpapi's; domain rules live in ent/schema and the internal
// packages.
package graph

import (
	"context"
	"time"

	"clientele/ent"
	"clientele/internal/metrics"
	"clientele/internal/viewer"
)

// Resolver is the root of the resolvers and their single dependency root.
type Resolver struct {
	client    *ent.Client
	publicURL string
	dialect   string
	metrics   *metrics.Registry
	// pollInterval is how often subscriptions read the event log.
	pollInterval time.Duration
	// recheck re-validates a subscriber every recheckInterval.
	recheck         func(context.Context, *viewer.Viewer) error
	recheckInterval time.Duration
}

// ent returns the transaction-bound client while a mutation resolver runs,
// otherwise the root client.
func (r *Resolver) ent(ctx context.Context) *ent.Client {
	if c := txClient(ctx); c != nil {
		return c
	}
	return r.client
}
