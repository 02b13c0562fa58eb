// Package httpapi is clientele's HTTP layer. Every API endpoint (GraphQL at
// /graphql, the JSON:API twin at /api/) meets the same layers before its own
// code runs: the body limit, CORS, authentication, the rate limit, then, for
// plain requests, Idempotency-Key, the request timeout and the admission
// bound. The GraphQL endpoint adds the GraphQL-over-HTTP rules and the
// stream transports (WebSocket, SSE) with their caps. The API layers below
// (graph, rest) know nothing of HTTP beyond what package reqctx carries; the
// rules themselves live in ent/schema and are the same for every endpoint.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"clientele/ent"
	"clientele/internal/apperr"
	"clientele/internal/auth"
	"clientele/internal/clock"
	"clientele/internal/idempotency"
	"clientele/internal/viewer"
)

// Options configure the HTTP layer.
type Options struct {
	// Client stores Idempotency-Key records.
	Client *ent.Client
	Logger *slog.Logger
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// Authenticate returns the caller of a request (nil for an anonymous
	// one), or an error (UNAUTHENTICATED, or UNAVAILABLE when the database
	// cannot say). Without it every request is anonymous: fail closed.
	Authenticate func(r *http.Request) (*viewer.Viewer, error)
	// RateLimit is the number of requests per second each token (or, for
	// anonymous calls, each client IP) may make, with RateBurst on top.
	// Zero means no limit.
	RateLimit float64
	RateBurst int
	// CORSOrigins lists the origins browsers may call from; empty is closed.
	CORSOrigins []string
	// CORSAllowHeaders lists the request headers browsers may send (nil:
	// DefaultCORSAllowHeaders; "*": whatever the preflight asks for).
	CORSAllowHeaders []string
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// RequestTimeout bounds a plain request (default 30 s); streams have
	// none and end when Done is cancelled.
	RequestTimeout time.Duration
	// MaxInFlight bounds the plain requests executing at once, over all
	// the endpoints built from one Options (0: no bound); the others wait
	// their turn within the request timeout. Running more than the CPUs
	// can serve only adds memory.
	MaxInFlight int
	// Done ends open streams when it is cancelled (server shutdown).
	Done context.Context
	// MaxStreamsPerCredential caps the WebSocket connections and SSE
	// streams one principal holds open in this process (0: no cap);
	// MaxSubscriptionsPerConnection caps the subscriptions one WebSocket
	// connection runs at once (0: no cap).
	MaxStreamsPerCredential       int
	MaxSubscriptionsPerConnection int

	// slots are the MaxInFlight admission tickets and limiter the rate
	// limit's buckets, shared by every endpoint built from these options:
	// a caller's budget is one, whichever API it calls.
	slots   chan struct{}
	limiter limiter
}

type limiter interface {
	Allow(key string, now time.Time) (bool, time.Duration)
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.Done == nil {
		o.Done = context.Background()
	}
	return o
}

// ErrorWriter writes a refusal in an API's own error shape (GraphQL's
// errors[].extensions.code, JSON:API's errors[].code).
type ErrorWriter func(w http.ResponseWriter, status int, code, msg string)

// An API is one endpoint's own handler and how it speaks.
type API struct {
	// Plain serves ordinary requests (not streams).
	Plain http.Handler
	// Stream, if set, serves the requests Streams reports as streams.
	Stream http.Handler
	// WriteError writes refusals in the endpoint's error shape.
	WriteError ErrorWriter
	// Methods are the methods browsers may use (CORS).
	Methods string
	// Idempotent lists the methods an Idempotency-Key applies to (nil:
	// POST).
	Idempotent []string
}

// Handler wraps an API in the common layers, outermost first: body limit,
// CORS, the clock (clock.NewContext: one clock for the request and the
// rules it runs), authentication, rate limit; then, for plain requests,
// Idempotency-Key, the timeout and admission. Streams skip the last three:
// they are long by nature and end with the server (Options.Done).
func (o *Options) Handler(api API) http.Handler {
	if o.MaxInFlight > 0 && o.slots == nil {
		o.slots = make(chan struct{}, o.MaxInFlight)
	}
	if o.RateLimit > 0 && o.limiter == nil {
		o.limiter = auth.NewRateLimiter(o.RateLimit, max(o.RateBurst, 1))
	}
	c := o.withDefaults()
	var plain http.Handler = api.Plain
	if c.slots != nil {
		plain = admission(plain, c.slots)
	}
	plain = timeout(plain, c.RequestTimeout, api.WriteError)
	plain = idempotency.Middleware(plain, idempotency.Options{Client: c.Client, Now: c.Now, WriteError: api.WriteError, Logger: c.Logger, Methods: api.Idempotent})
	h := plain
	if api.Stream != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isStream(r) {
				api.Stream.ServeHTTP(w, r)
				return
			}
			plain.ServeHTTP(w, r)
		})
	}
	if c.limiter != nil {
		h = rateLimit(h, c.limiter, c.Now, api.WriteError)
	}
	h = authenticate(h, c.Authenticate, api.WriteError)
	h = withClock(h, c.Now)
	h = cors(h, c.CORSOrigins, c.CORSAllowHeaders, api.Methods)
	return bodyLimit(h, c.MaxBodyBytes, api.WriteError)
}

// retryAfterUnavailable is the Retry-After, in seconds, of UNAVAILABLE
// answers.
const retryAfterUnavailable = "5"

// Codes of the refusals this layer makes.
var (
	codeBadRequest      = string(apperr.BadRequest)
	codeUnauthenticated = string(apperr.Unauthenticated)
	codeRateLimited     = string(apperr.RateLimited)
	codeUnavailable     = string(apperr.Unavailable)
	codeTimeout         = string(apperr.Timeout)
)

// withClock puts the clock in the request context: every time the request's
// rules set (ent hooks, token checks) comes from it.
func withClock(next http.Handler, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(clock.NewContext(r.Context(), now)))
	})
}

// REST serves the JSON:API twin (rest.NewHandler) behind the common
// layers; its writes (POST, PATCH, DELETE) take Idempotency-Key.
func (o *Options) REST(api http.Handler, writeError ErrorWriter) http.Handler {
	return o.Handler(API{
		Plain:      api,
		WriteError: writeError,
		Methods:    "GET, POST, PATCH, DELETE, OPTIONS",
		Idempotent: idempotency.RESTMethods,
	})
}
