package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"clientele/internal/reqctx"
	"clientele/internal/store"
	"clientele/internal/viewer"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// WebSocket close codes of graphql-transport-ws (and RFC 6455) the server
// ends a connection with.
const (
	// closeForbidden ends a connection whose connection_init carried a bad,
	// expired or revoked token. Clients must not reconnect with it.
	closeForbidden = 4403
	// closeTooMany ends a connection over its credential's stream cap.
	closeTooMany = 4429
	// closeTryAgain (RFC 6455 "Try Again Later") ends a connection the
	// server could not authenticate because the database is unreachable.
	closeTryAgain = 1013
)

// streamLimits caps the long-lived streams (WebSocket connections and SSE
// subscriptions) each principal (credential, and customer for customer
// tokens; anonymous callers by client IP) may hold open in this process,
// and the subscriptions one WebSocket connection may run at once.
type streamLimits struct {
	perPrincipal  int
	perConnection int

	mu   sync.Mutex
	open map[string]int
}

func newStreamLimits(perPrincipal, perConnection int) *streamLimits {
	return &streamLimits{perPrincipal: perPrincipal, perConnection: perConnection, open: map[string]int{}}
}

// acquire takes one stream for key, or reports that its quota is used up.
// The returned release is safe to call more than once.
func (l *streamLimits) acquire(key string) (release func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perPrincipal > 0 && l.open[key] >= l.perPrincipal {
		return nil, false
	}
	l.open[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.open[key]--; l.open[key] <= 0 {
				delete(l.open, key)
			}
		})
	}, true
}

// streamSlot carries, through a WebSocket upgrade request's context, the
// slots the connection holds: from the upgrade until connection_init, one
// of its client IP's slots for connections not yet initialised (so that
// sockets that never authenticate are capped too); from connection_init on,
// one of its principal's. The handler gives back whatever it holds when the
// connection ends, however it ends.
type streamSlot struct {
	mu      sync.Mutex
	pending func()
	release func()
}

func (s *streamSlot) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release = f
	if s.pending != nil {
		s.pending()
		s.pending = nil
	}
}

func (s *streamSlot) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range []*func(){&s.pending, &s.release} {
		if *f != nil {
			(*f)()
			*f = nil
		}
	}
}

type streamSlotKey struct{}

// connSubscriptions counts the subscriptions running on one WebSocket
// connection.
type connSubscriptions struct {
	n atomic.Int32
}

type connSubscriptionsKey struct{}

// countSubscriptions counts each subscription a WebSocket connection starts
// against the connection's cap, until the subscription's context ends (SSE
// requests carry one subscription each and have no counter). One over the
// cap is answered RATE_LIMITED and runs nothing.
func (l *streamLimits) countSubscriptions(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	c, _ := ctx.Value(connSubscriptionsKey{}).(*connSubscriptions)
	oc := graphql.GetOperationContext(ctx)
	if c == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	if n := c.n.Add(1); l.perConnection > 0 && int(n) > l.perConnection {
		c.n.Add(-1)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "This connection already runs the most subscriptions allowed; complete one first.",
			Extensions: map[string]any{"code": codeRateLimited},
		}}})
	}
	context.AfterFunc(ctx, func() { c.n.Add(-1) })
	return next(ctx)
}

// websocketInit authenticates a WebSocket from its connection_init payload
// ({"Authorization": "Bearer <token>"}), since browsers cannot set headers
// on the upgrade request; a connection that already has a caller (from the
// upgrade's own header) keeps it. A bad token closes the connection with
// 4403, an unreachable database with 1013, a principal over its stream
// quota with 4429.
func websocketInit(authn func(*http.Request) (*viewer.Viewer, error), limits *streamLimits) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		v := viewer.FromContext(ctx)
		if v == nil && authn != nil {
			if tok := p.Authorization(); tok != "" {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/graphql", nil)
				if err != nil {
					return ctx, nil, err
				}
				req.Header.Set("Authorization", tok)
				if v, err = authn(req); err != nil {
					if store.Unavailable(err) {
						return transport.WithWebsocketCloseCode(ctx, closeTryAgain), nil,
							errors.New("the service is unavailable; retry later")
					}
					return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil,
						errors.New("forbidden: the token is invalid, expired or revoked")
				}
				ctx = viewer.NewContext(ctx, v)
			}
		}
		if slot, _ := ctx.Value(streamSlotKey{}).(*streamSlot); slot != nil {
			release, ok := limits.acquire(principalKey(v, requestOf(ctx)))
			if !ok {
				return transport.WithWebsocketCloseCode(ctx, closeTooMany), nil,
					errors.New("too many open connections for this credential")
			}
			slot.set(release)
		}
		return context.WithValue(reqctx.WithWebSocket(ctx), connSubscriptionsKey{}, &connSubscriptions{}), nil, nil
	}
}

type upgradeRequestKey struct{}

// requestOf returns the upgrade request a WebSocket connection came from.
func requestOf(ctx context.Context) *http.Request {
	r, _ := ctx.Value(upgradeRequestKey{}).(*http.Request)
	if r == nil {
		return &http.Request{}
	}
	return r
}

// serveStream serves a WebSocket or SSE request: it ends with the
// subscription or when done is cancelled (server shutdown). An SSE request
// takes one of its principal's stream slots for its whole life; a WebSocket
// takes one of its IP's until connection_init and then one of its
// principal's.
func serveStream(w http.ResponseWriter, r *http.Request, next http.Handler, done context.Context, limits *streamLimits) {
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), streamRequestKey{}, true))
	defer cancel()
	stop := context.AfterFunc(done, cancel)
	defer stop()
	if isWebSocket(r) {
		pending, ok := limits.acquire("pending:" + clientIP(r))
		if !ok {
			w.Header().Set("Retry-After", "5")
			WriteGraphQLError(w, http.StatusTooManyRequests, codeRateLimited, "Too many WebSocket connections from this address wait for connection_init.")
			return
		}
		slot := &streamSlot{pending: pending}
		defer slot.done()
		ctx = context.WithValue(ctx, streamSlotKey{}, slot)
		ctx = context.WithValue(ctx, upgradeRequestKey{}, r)
	} else {
		release, ok := limits.acquire(principalKey(viewer.FromContext(r.Context()), r))
		if !ok {
			w.Header().Set("Retry-After", "5")
			WriteGraphQLError(w, http.StatusTooManyRequests, codeRateLimited, "Too many open streams for this credential; close one first.")
			return
		}
		defer release()
	}
	next.ServeHTTP(w, r.WithContext(ctx))
}

type streamRequestKey struct{}

// subscriptionsOnly refuses queries and mutations sent over a stream
// (WebSocket or SSE): those would run outside the plain path's timeout,
// admission bound, rate limit and idempotency, and a client that
// disconnects would leave them running. They belong on plain HTTP.
type subscriptionsOnly struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = subscriptionsOnly{}

func (subscriptionsOnly) ExtensionName() string                   { return "SubscriptionsOnlyOnStreams" }
func (subscriptionsOnly) Validate(graphql.ExecutableSchema) error { return nil }

func (subscriptionsOnly) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation == ast.Subscription || ctx.Value(streamRequestKey{}) == nil {
		return nil
	}
	return &gqlerror.Error{Message: "Only subscriptions run over WebSocket and SSE; send queries and mutations as plain HTTP requests.",
		Extensions: map[string]any{"code": codeBadRequest}}
}
