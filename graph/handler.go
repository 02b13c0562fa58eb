package graph

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"clientele/ent"
	"clientele/internal/gqlexec"
	"clientele/internal/metrics"
	"clientele/internal/reqctx"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options configure the GraphQL executor.
type Options struct {
	Client        *ent.Client
	Dialect       string // dialect.SQLite or dialect.Postgres
	PublicURL     string // base of links.self, without a trailing slash
	Logger        *slog.Logger
	Limits        Limits
	Introspection bool
	// NoDirect sends every query through gqlgen's executor instead of the
	// direct path (internal/gqlexec) where it can answer.
	NoDirect bool
	// VerifyDirect, if set, also runs every query the direct path answers
	// through gqlgen's executor and calls it with both answers when they
	// differ (tests).
	VerifyDirect func(direct, gqlgen []byte)
	// Metrics, if set, records every operation.
	Metrics *metrics.Registry
	// PollInterval is how often subscriptions read the event log
	// (default 500 ms).
	PollInterval time.Duration
	// Recheck re-validates a stream's caller (credential not revoked, token
	// not expired, customer still there, no password change since): open
	// subscriptions end within RecheckInterval once it fails.
	Recheck         func(ctx context.Context, v *viewer.Viewer) error
	RecheckInterval time.Duration
}

// NewServer returns the GraphQL executor: the schema and its resolvers, the
// query cache, APQ, the limits, the access check, the per-mutation
// transaction, dataloaders and the error presenter. It has no transports:
// the HTTP layer (internal/httpapi) adds them and the middleware in front.
func NewServer(o Options) *handler.Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
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
	if o.RecheckInterval == 0 {
		o.RecheckInterval = 2 * time.Second
	}
	r := &Resolver{client: o.Client, publicURL: strings.TrimSuffix(o.PublicURL, "/"), dialect: o.Dialect,
		metrics: o.Metrics, pollInterval: o.PollInterval, recheck: o.Recheck, recheckInterval: o.RecheckInterval}
	mtx := mutationTx{client: o.Client, dialect: o.Dialect}
	es := NewExecutableSchema(Config{Schema: PublicSchema(), Resolvers: r, Directives: DirectiveRoot{Transaction: mtx.directive}})
	checkTransactional(es.Schema())
	srv := handler.New(es)
	limits := o.Limits.withDefaults()
	queries := pageCache{Cache: lru.New[*ast.QueryDocument](1000), defaultPage: limits.DefaultPage}
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.SetValidationRulesFn(validationRules)
	// The executor marshals plain leaf fields without gqlgen's field
	// middleware (internal/gqlexec/generate): no extension may intercept
	// fields, or it would see only some of them.
	use := func(ext graphql.HandlerExtension) {
		if _, ok := ext.(graphql.FieldInterceptor); ok {
			panic(fmt.Sprintf("graph: extension %s intercepts fields, which plain leaf fields skip", ext.ExtensionName()))
		}
		if _, ok := ext.(graphql.RootFieldInterceptor); ok {
			panic(fmt.Sprintf("graph: extension %s intercepts root fields, which the direct path skips", ext.ExtensionName()))
		}
		srv.Use(ext)
	}
	if o.Introspection {
		use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true)
	}
	use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	use(preflight{limits: limits, cache: queries})
	use(accessExtension{})
	use(limitsExtension{limits: limits, schema: es.Schema()})
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
	direct := &gqlexec.DirectMode{Off: o.NoDirect, Verify: o.VerifyDirect, Quiet: metrics.Uncounted, Present: presenter(o.Logger)}
	if o.Metrics != nil {
		direct.Answered = o.Metrics.DirectAnswered
	}
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		ctx = gqlexec.WithDirect(context.WithValue(ctx, loadersKey{}, newLoaders(o.Client)), direct)
		return next(gqlexec.WithArgs(ctx))
	})
	srv.SetErrorPresenter(presenter(o.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		o.Logger.ErrorContext(ctx, "panic in resolver", "request_id", reqctx.ID(ctx), "panic", p)
		return &codedError{code: CodeInternal, msg: "internal error"}
	})

	return srv
}
