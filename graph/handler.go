package graph

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"clientele/ent"
	"clientele/internal/auth"
	"clientele/internal/clock"
	"clientele/internal/idempotency"
	"clientele/internal/metrics"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options configure the GraphQL handler.
type Options struct {
	Client        *ent.Client
	Dialect       string // dialect.SQLite or dialect.Postgres
	PublicURL     string // base of links.self, without a trailing slash
	Logger        *slog.Logger
	Limits        Limits
	Introspection bool
	// Authenticate returns the caller of a request (nil for an anonymous
	// one), or an error (UNAUTHENTICATED). Without it every request is
	// anonymous: the handler fails closed.
	Authenticate func(r *http.Request) (*viewer.Viewer, error)
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
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
	// Metrics, if set, records every operation.
	Metrics *metrics.Registry
	// Done ends open subscriptions (WebSocket and SSE) when it is
	// cancelled: the server cancels it on shutdown.
	Done context.Context
	// PollInterval is how often subscriptions read the event log
	// (default 500 ms).
	PollInterval time.Duration
	// MaxInFlight bounds the GraphQL requests executing at once (0: no
	// bound); the others wait their turn (within the request timeout).
	// Running more than the CPUs can serve only adds memory: each request
	// holds its result tree until it is written.
	MaxInFlight int
	// Recheck re-validates a stream's caller (credential not revoked, token
	// not expired, customer still there, no password change since): open
	// subscriptions end within RecheckInterval once it fails.
	Recheck         func(ctx context.Context, v *viewer.Viewer) error
	RecheckInterval time.Duration
	// MaxStreamsPerCredential caps the WebSocket connections and SSE
	// streams one principal holds open in this process (0: no cap);
	// MaxSubscriptionsPerConnection caps the subscriptions one WebSocket
	// connection runs at once (0: no cap).
	MaxStreamsPerCredential       int
	MaxSubscriptionsPerConnection int
}

// NewHandler returns the /graphql handler: gqlgen with GET (queries only) and
// POST transports, GraphQL-over-HTTP status codes, the query cache, APQ,
// limits, the per-mutation transaction, dataloaders and the error presenter.
func NewHandler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits()
	}
	if o.Dialect == "" {
		o.Dialect = dialect.SQLite
	}
	if o.PollInterval == 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Done == nil {
		o.Done = context.Background()
	}
	if o.RecheckInterval == 0 {
		o.RecheckInterval = 2 * time.Second
	}
	streams := newStreamLimits(o.MaxStreamsPerCredential, o.MaxSubscriptionsPerConnection)
	r := &Resolver{client: o.Client, publicURL: strings.TrimSuffix(o.PublicURL, "/"), now: o.Now, dialect: o.Dialect,
		metrics: o.Metrics, pollInterval: o.PollInterval, recheck: o.Recheck, recheckInterval: o.RecheckInterval, streams: streams}
	mtx := mutationTx{client: o.Client, dialect: o.Dialect}
	es := NewExecutableSchema(Config{Schema: PublicSchema(), Resolvers: r, Directives: DirectiveRoot{Transaction: mtx.directive}})
	checkTransactional(es.Schema())
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: 15 * time.Second})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			// Same-origin upgrades are accepted; cross-origin ones only
			// from the CORS allow-list.
			OriginPatterns: originHosts(o.CORSOrigins),
		}},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc:              websocketInit(o.Authenticate, streams),
	})
	limits := o.Limits.withDefaults()
	queries := pageCache{Cache: lru.New[*ast.QueryDocument](1000), defaultPage: limits.DefaultPage}
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.SetValidationRulesFn(validationRules)
	if o.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(preflight{limits: limits, cache: queries})
	srv.Use(accessExtension{})
	srv.Use(subscriptionsOnly{})
	srv.Use(limitsExtension{limits: limits, schema: es.Schema()})
	if o.Metrics != nil {
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			start := time.Now()
			name := graphql.GetOperationContext(ctx).OperationName
			if op := graphql.GetOperationContext(ctx).Operation; name == "" && op != nil {
				name = op.Name
			}
			h := next(ctx)
			return func(ctx context.Context) *graphql.Response {
				resp := h(ctx)
				outcome := "ok"
				if resp == nil || len(resp.Errors) > 0 {
					outcome = "error"
				}
				o.Metrics.ObserveOperation(name, outcome, time.Since(start))
				return resp
			}
		})
	}
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		// One clock for resolvers and the ent hooks they trigger.
		ctx = clock.NewContext(ctx, o.Now)
		return next(context.WithValue(ctx, loadersKey{}, newLoaders(o.Client)))
	})
	srv.SetErrorPresenter(presenter(o.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		o.Logger.ErrorContext(ctx, "panic in resolver", "request_id", requestID(ctx), "panic", p)
		return &codedError{code: CodeInternal, msg: "internal error"}
	})

	// Plain requests get GraphQL-over-HTTP semantics and a timeout;
	// streams (WebSocket, SSE) get neither, and end when Done is cancelled.
	var exec http.Handler = srv
	if o.MaxInFlight > 0 {
		exec = admission(exec, o.MaxInFlight)
	}
	var plain http.Handler = http.TimeoutHandler(httpSemantics(exec), time.Duration(o.Limits.RequestTimeout)*time.Second,
		`{"errors":[{"message":"The request took too long.","extensions":{"code":"`+CodeTimeout+`"}}]}`)
	// A POST with an Idempotency-Key runs at most once per caller and key.
	plain = idempotency.Middleware(plain, idempotency.Options{Client: o.Client, Now: o.Now, WriteError: writeError, Logger: o.Logger})
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isStream(r) {
			plain.ServeHTTP(w, r)
			return
		}
		serveStream(w, r, srv, o.Done, streams)
	})
	if o.RateLimit > 0 {
		h = rateLimit(h, auth.NewRateLimiter(o.RateLimit, max(o.RateBurst, 1)), o.Now)
	}
	h = authenticate(h, o.Authenticate)
	h = cors(h, o.CORSOrigins, o.CORSAllowHeaders)
	h = bodyLimit(h, o.Limits.MaxBodyBytes)
	return h
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// NewRequestID returns a random request ID.
func NewRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// authenticate puts the caller in the request context.
func authenticate(next http.Handler, auth func(*http.Request) (*viewer.Viewer, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v *viewer.Viewer
		if auth != nil {
			var err error
			if v, err = auth(r); err != nil {
				if unavailable(err) {
					w.Header().Set("Retry-After", retryAfterUnavailable)
					writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "The service is unavailable; retry later.")
					return
				}
				writeError(w, http.StatusUnauthorized, CodeUnauthenticated, err.Error())
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}

// bodyLimit caps the request body; a larger body gets 413 and is not echoed.
func bodyLimit(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, CodeBadUserInput, "The request body is too large.")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}})
}

// admission lets at most n requests execute at once; the others wait for
// a turn or until their context ends.
func admission(next http.Handler, n int) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			return // the timeout handler answers
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// isStream reports whether a request opens a WebSocket or an SSE stream.
func isStream(r *http.Request) bool {
	return isWebSocket(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// originHosts turns allowed origins (https://shop.example) into the host
// patterns the WebSocket library checks.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		} else if o == "*" {
			hosts = append(hosts, "*")
		}
	}
	return hosts
}

// httpSemantics adapts gqlgen's transports to the GraphQL-over-HTTP spec:
// a request without a query is 400; with Accept application/json, request
// errors are 200 (gqlgen says 422); with application/graphql-response+json
// they are 4xx and carry no data key. Malformed bodies are never echoed.
func httpSemantics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			// Media types are case-insensitive (RFC 9110 §8.3.1).
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if ct != "application/json" && ct != "application/graphql-response+json" {
				writeError(w, http.StatusUnsupportedMediaType, CodeBadUserInput, "Send the request as application/json.")
				return
			}
			r.Header.Set("Content-Type", "application/json")
			body, err := io.ReadAll(r.Body)
			if err != nil {
				writeError(w, http.StatusRequestEntityTooLarge, CodeBadUserInput, "The request body is too large.")
				return
			}
			// The parameters must have their GraphQL-over-HTTP types; a
			// wrong one is refused here, without echoing the body.
			var params struct {
				Query         *string        `json:"query"`
				OperationName *string        `json:"operationName"`
				Variables     map[string]any `json:"variables"`
				Extensions    map[string]any `json:"extensions"`
			}
			if err := json.Unmarshal(body, &params); err != nil {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, "The request body is not a valid GraphQL request: query must be a string, variables and extensions objects.")
				return
			}
			if (params.Query == nil || *params.Query == "") && params.Extensions["persistedQuery"] == nil {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, "The request has no query.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		case http.MethodGet:
			q := r.URL.Query()
			if q.Get("query") == "" && q.Get("extensions") == "" {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, "The request has no query.")
				return
			}
		}
		rec := &bufferedWriter{header: http.Header{}}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		body := rec.buf.Bytes()
		ct := rec.header.Get("Content-Type")
		if status == http.StatusUnprocessableEntity && strings.HasPrefix(ct, "application/json") {
			status = http.StatusOK
		}
		if status >= 400 && strings.HasPrefix(ct, "application/graphql-response+json") {
			var resp map[string]json.RawMessage
			if json.Unmarshal(body, &resp) == nil {
				if d, ok := resp["data"]; ok && string(d) == "null" {
					delete(resp, "data")
					body, _ = json.Marshal(resp)
				}
			}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

type bufferedWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
