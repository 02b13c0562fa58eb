// Command clientele serves the customers GraphQL API.
//
//	clientele [serve]   run the server (the default)
//	clientele migrate   create or upgrade the database tables
//	clientele schema    print the GraphQL schema (SDL)
//	clientele credentials create|list|revoke   manage API credentials
//	clientele seed      fill the database with reproducible sample data
package main

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod ./internal/gqlexec/generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"clientele/graph"
	"clientele/internal/auth"
	"clientele/internal/graphiql"
	"clientele/internal/httpapi"
	"clientele/internal/idempotency"
	"clientele/internal/metrics"
	"clientele/internal/rest"
	"clientele/internal/store"

	"entgo.io/ent/dialect"
	"github.com/vektah/gqlparser/v2/formatter"
)

// Config is the server's configuration: defaults, then environment, then
// flags.
type Config struct {
	Command       string
	Addr          string
	DatabaseURL   string
	PublicURL     string
	LogLevel      string
	Introspection bool
	// DirectReads answers queries by the direct path where it can (see
	// internal/gqlexec); false sends every query through gqlgen's executor.
	DirectReads bool
	Limits      graph.Limits
	SigningKey  string
	RateLimit   float64
	RateBurst   int
	CORSOrigins string
	// CORSAllowHeaders lists the request headers browsers may send ("*":
	// whatever the preflight asks for).
	CORSAllowHeaders string
	// MetricsAddr, if set, serves /metrics on its own listener (keep it
	// private); MetricsToken, if set, serves /metrics on the main address
	// to requests bearing it. With neither, /metrics is not served.
	MetricsAddr  string
	MetricsToken string
	// ConnectTimeout bounds the start-up connection to the database and
	// its migration.
	ConnectTimeout time.Duration
	// DrainDelay is how long a stopping server keeps answering (each
	// response closing its connection, /readyz failing) before it stops
	// accepting and closes idle connections.
	DrainDelay time.Duration
	// MaxStreamsPerCredential and MaxSubscriptionsPerConnection cap
	// WebSocket/SSE streams (see graph.Options).
	MaxStreamsPerCredential       int
	MaxSubscriptionsPerConnection int
	// MaxInFlight bounds the GraphQL requests executing at once.
	MaxInFlight int
	// GCPercent and MemoryLimitMiB tune the Go garbage collector (see
	// tuneGC); the GOGC and GOMEMLIMIT environment variables win.
	GCPercent      int
	MemoryLimitMiB int
	// Credentials and Seed are the flags of those subcommands.
	Credentials credentialArgs
	Seed        seedArgs
	// Args are the arguments after the command's flags (credentials).
	Args []string
	// OnListen, if set, is called with the bound address (tests use port 0).
	OnListen func(addr string)
}

// DefaultConfig returns the defaults (README, Configuration).
func DefaultConfig() Config {
	return Config{
		Command:                       "serve",
		Addr:                          ":8080",
		DatabaseURL:                   "sqlite:clientele.db",
		LogLevel:                      "info",
		Introspection:                 true,
		DirectReads:                   true,
		Limits:                        graph.DefaultLimits(),
		RateLimit:                     50,
		RateBurst:                     100,
		MaxInFlight:                   4 * runtime.NumCPU(),
		GCPercent:                     800,
		MemoryLimitMiB:                48,
		CORSAllowHeaders:              httpapi.DefaultCORSAllowHeaders,
		ConnectTimeout:                15 * time.Second,
		DrainDelay:                    time.Second,
		MaxStreamsPerCredential:       20,
		MaxSubscriptionsPerConnection: 10,
		Seed:                          defaultSeedArgs(),
	}
}

// parseConfig reads the environment and then the flags over the defaults.
func parseConfig(args []string, getenv func(string) string) (Config, error) {
	return parseConfigOut(args, getenv, os.Stderr)
}

// parseConfigOut is parseConfig with the help written to out.
func parseConfigOut(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	origArgs := args
	cfg := DefaultConfig()
	if len(args) > 0 && args[0] == "help" {
		fmt.Fprint(out, topUsage())
		return cfg, flag.ErrHelp
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cfg.Command, args = args[0], args[1:]
	}
	env := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	envInt := func(name string, dst *int) error {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			*dst = n
		}
		return nil
	}
	env("CLIENTELE_ADDR", &cfg.Addr)
	env("DATABASE_URL", &cfg.DatabaseURL)
	env("CLIENTELE_PUBLIC_URL", &cfg.PublicURL)
	env("CLIENTELE_LOG_LEVEL", &cfg.LogLevel)
	env("CLIENTELE_SIGNING_KEY", &cfg.SigningKey)
	env("CLIENTELE_CORS_ORIGINS", &cfg.CORSOrigins)
	env("CLIENTELE_CORS_ALLOW_HEADERS", &cfg.CORSAllowHeaders)
	env("CLIENTELE_METRICS_ADDR", &cfg.MetricsAddr)
	env("CLIENTELE_METRICS_TOKEN", &cfg.MetricsToken)
	for name, dst := range map[string]*time.Duration{"CLIENTELE_CONNECT_TIMEOUT": &cfg.ConnectTimeout, "CLIENTELE_DRAIN_DELAY": &cfg.DrainDelay} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", name, err)
			}
			*dst = d
		}
	}
	if v := getenv("CLIENTELE_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return cfg, fmt.Errorf("CLIENTELE_RATE_LIMIT: %w", err)
		}
		cfg.RateLimit = f
	}
	if v := getenv("CLIENTELE_DIRECT_READS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("CLIENTELE_DIRECT_READS: %w", err)
		}
		cfg.DirectReads = b
	}
	if v := getenv("CLIENTELE_INTROSPECTION"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("CLIENTELE_INTROSPECTION: %w", err)
		}
		cfg.Introspection = b
	}
	l := &cfg.Limits
	for name, dst := range map[string]*int{
		"CLIENTELE_MAX_DEPTH": &l.MaxDepth, "CLIENTELE_MAX_COMPLEXITY": &l.MaxComplexity,
		"CLIENTELE_MAX_ALIASES": &l.MaxAliases, "CLIENTELE_MAX_TOKENS": &l.MaxTokens,
		"CLIENTELE_MAX_PAGE": &l.MaxPage, "CLIENTELE_REQUEST_TIMEOUT": &l.RequestTimeout,
		"CLIENTELE_MAX_SELECTIONS": &l.MaxSelections, "CLIENTELE_MAX_FILTER_TERMS": &l.MaxFilterTerms, "CLIENTELE_MAX_METADATA_KEYS": &l.MaxMetadataKeys,
		"CLIENTELE_RATE_BURST": &cfg.RateBurst, "CLIENTELE_MAX_IN_FLIGHT": &cfg.MaxInFlight,
		"CLIENTELE_GC_PERCENT": &cfg.GCPercent, "CLIENTELE_MEMORY_LIMIT_MIB": &cfg.MemoryLimitMiB,
		"CLIENTELE_MAX_STREAMS_PER_CREDENTIAL":       &cfg.MaxStreamsPerCredential,
		"CLIENTELE_MAX_SUBSCRIPTIONS_PER_CONNECTION": &cfg.MaxSubscriptionsPerConnection,
	} {
		if err := envInt(name, dst); err != nil {
			return cfg, err
		}
	}

	cmd, ok := commandNamed(cfg.Command)
	if !ok {
		return cfg, fmt.Errorf("unknown command %q\n\n%s", cfg.Command, topUsage())
	}
	fs := flag.NewFlagSet("clientele "+cfg.Command, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		if len(origArgs) > 0 && strings.HasPrefix(origArgs[0], "-") {
			fmt.Fprint(out, topUsage())
			fmt.Fprintln(out, "\nFlags of serve (the default command):")
		} else {
			fmt.Fprintf(out, "Usage: clientele %s\n\n%s\n\nFlags:\n", cmd.usage, cmd.summary)
		}
		fs.PrintDefaults()
	}
	if cfg.Command != "schema" {
		fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "sqlite:<path> or postgres://… (DATABASE_URL)")
	}
	switch cfg.Command {
	case "serve":
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (CLIENTELE_ADDR)")
		fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "base URL of links.self (CLIENTELE_PUBLIC_URL; default http://localhost:<port>)")
		fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (CLIENTELE_LOG_LEVEL)")
		fs.BoolVar(&cfg.Introspection, "introspection", cfg.Introspection, "allow schema introspection (CLIENTELE_INTROSPECTION)")
		fs.BoolVar(&cfg.DirectReads, "direct-reads", cfg.DirectReads, "answer queries by the direct path where it can; false runs all through gqlgen's executor (CLIENTELE_DIRECT_READS)")
		fs.IntVar(&l.MaxDepth, "max-depth", l.MaxDepth, "largest query depth (CLIENTELE_MAX_DEPTH)")
		fs.IntVar(&l.MaxComplexity, "max-complexity", l.MaxComplexity, "largest query cost; connections multiply by first/last (CLIENTELE_MAX_COMPLEXITY)")
		fs.IntVar(&l.MaxAliases, "max-aliases", l.MaxAliases, "most aliases in one operation (CLIENTELE_MAX_ALIASES)")
		fs.IntVar(&l.MaxTokens, "max-tokens", l.MaxTokens, "most parser tokens in one document (CLIENTELE_MAX_TOKENS)")
		fs.IntVar(&l.MaxPage, "max-page", l.MaxPage, "largest first/last (CLIENTELE_MAX_PAGE)")
		fs.IntVar(&l.MaxSelections, "max-selections", l.MaxSelections, "most selections in one document with its fragments written out (CLIENTELE_MAX_SELECTIONS)")
		fs.IntVar(&l.MaxFilterTerms, "max-filter-terms", l.MaxFilterTerms, "most values and nested filters in one where argument (CLIENTELE_MAX_FILTER_TERMS)")
		fs.IntVar(&l.MaxMetadataKeys, "max-metadata-keys", l.MaxMetadataKeys, "most metadata keys in one where argument (CLIENTELE_MAX_METADATA_KEYS)")
		fs.IntVar(&l.RequestTimeout, "request-timeout", l.RequestTimeout, "seconds before a request is cut off (CLIENTELE_REQUEST_TIMEOUT)")
		fs.StringVar(&cfg.SigningKey, "signing-key", cfg.SigningKey, "token signing key, ≥ 32 chars (CLIENTELE_SIGNING_KEY; default: generated once and stored in the database)")
		fs.Float64Var(&cfg.RateLimit, "rate-limit", cfg.RateLimit, "requests per second per token, 0 for none (CLIENTELE_RATE_LIMIT)")
		fs.IntVar(&cfg.RateBurst, "rate-burst", cfg.RateBurst, "requests a token may burst above the rate (CLIENTELE_RATE_BURST)")
		fs.StringVar(&cfg.CORSOrigins, "cors-origins", cfg.CORSOrigins, "comma-separated origins browsers may call from; empty is closed (CLIENTELE_CORS_ORIGINS)")
		fs.StringVar(&cfg.CORSAllowHeaders, "cors-allow-headers", cfg.CORSAllowHeaders, "request headers browsers may send from allowed origins; * allows what the preflight asks (CLIENTELE_CORS_ALLOW_HEADERS)")
		fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "serve /metrics on this separate, private address (CLIENTELE_METRICS_ADDR)")
		fs.StringVar(&cfg.MetricsToken, "metrics-token", cfg.MetricsToken, "serve /metrics on the main address to Authorization: Bearer <this> (CLIENTELE_METRICS_TOKEN)")
		fs.DurationVar(&cfg.DrainDelay, "drain-delay", cfg.DrainDelay, "on SIGTERM, keep answering this long with Connection: close and /readyz failing before closing idle connections (CLIENTELE_DRAIN_DELAY)")
		fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", cfg.ConnectTimeout, "give up starting when the database does not answer within this (CLIENTELE_CONNECT_TIMEOUT)")
		fs.IntVar(&cfg.MaxStreamsPerCredential, "max-streams-per-credential", cfg.MaxStreamsPerCredential, "WebSocket connections and SSE streams one credential (or customer) may hold open; 0 = no cap (CLIENTELE_MAX_STREAMS_PER_CREDENTIAL)")
		fs.IntVar(&cfg.MaxSubscriptionsPerConnection, "max-subscriptions-per-connection", cfg.MaxSubscriptionsPerConnection, "subscriptions one WebSocket connection may run at once; 0 = no cap (CLIENTELE_MAX_SUBSCRIPTIONS_PER_CONNECTION)")
		fs.IntVar(&cfg.MaxInFlight, "max-in-flight", cfg.MaxInFlight, "GraphQL requests executing at once; others queue (CLIENTELE_MAX_IN_FLIGHT; 0 = no bound)")
		fs.IntVar(&cfg.GCPercent, "gc-percent", cfg.GCPercent, "garbage collector target percentage, as GOGC (CLIENTELE_GC_PERCENT; GOGC wins)")
		fs.IntVar(&cfg.MemoryLimitMiB, "memory-limit-mib", cfg.MemoryLimitMiB, "soft limit of Go memory in MiB, as GOMEMLIMIT (CLIENTELE_MEMORY_LIMIT_MIB; GOMEMLIMIT wins; 0 = none)")
	case "credentials":
		return cfg, parseCredentialArgs(&cfg, fs, args)
	case "seed":
		seedFlags(fs, &cfg.Seed)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.Args = fs.Args()
	return cfg, nil
}

// command is one subcommand of the binary.
type command struct {
	name, usage, summary string
}

// commands lists the subcommands, for the help and for checking a name.
var commands = []command{
	{"serve", "serve [flags]", "Run the GraphQL server (the default command)."},
	{"migrate", "migrate [flags]", "Create or upgrade the database tables."},
	{"schema", "schema", "Print the GraphQL schema (SDL)."},
	{"credentials", "credentials create|list|revoke [flags] [id or client_id]", "Create, list or revoke API credentials (secrets are shown once)."},
	{"seed", "seed [flags]", "Fill the database with reproducible sample data."},
}

func commandNamed(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// topUsage is the help of the binary itself: its subcommands.
func topUsage() string {
	var b strings.Builder
	b.WriteString("Usage: clientele [command] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'clientele <command> --help' for the flags of one command.\n")
	return b.String()
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	tuneGC(cfg, os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, newLogger(cfg.LogLevel, os.Stderr)); err != nil {
		fmt.Fprintln(os.Stderr, "clientele:", err)
		os.Exit(1)
	}
}

// tuneGC trades memory the server does not need for CPU: a q50 response
// allocated ~2.7 MB (now ~1.2 MB), and at Go's default GOGC=100 the
// collector took ~40% of the CPU of that benchmark (5.8 ms/op at GOGC=100,
// 3.5 ms at 400). The soft memory limit keeps the heap bounded all the
// same: near it, the collector runs as often as it must. 48 MiB keeps the
// process under 100 MB at 64 connections (the rest is the binary, SQLite
// and the C heap: ~47 MB); 64 MiB cost ~110 MB of RSS for 0–10% less CPU.
// With a live heap of ~5 MB, GOGC=800 lets the heap grow to ~45 MB, near
// that limit, before a collection: half as many collections as at 400
// when few requests run (q50 at c=1: −5% server CPU), and the same peak
// at 64 connections, where the limit decides (82 MB on Postgres, 91 MB on
// SQLite, either setting). Environment variables GOGC and GOMEMLIMIT win.
func tuneGC(cfg Config, getenv func(string) string) {
	if getenv("GOGC") == "" && cfg.GCPercent > 0 {
		debug.SetGCPercent(cfg.GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" && cfg.MemoryLimitMiB > 0 {
		debug.SetMemoryLimit(int64(cfg.MemoryLimitMiB) << 20)
	}
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// run executes the configured command until ctx is done.
func run(ctx context.Context, cfg Config, stdout io.Writer, log *slog.Logger) error {
	switch cfg.Command {
	case "schema":
		formatter.NewFormatter(stdout, formatter.WithIndent("  ")).FormatSchema(graph.SDLSchema())
		return nil
	case "migrate":
		db, err := openMigrated(ctx, cfg.DatabaseURL, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintln(stdout, "migrated", redact(cfg.DatabaseURL))
		return nil
	case "serve":
		return serve(ctx, cfg, stdout, log)
	case "credentials":
		return credentials(ctx, cfg, stdout)
	case "seed":
		return seed(ctx, cfg, stdout)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, schema, credentials or seed)", cfg.Command)
}

// serve opens and migrates the database and serves HTTP until ctx is done,
// then shuts down gracefully: stop accepting, finish in-flight requests,
// close the database.
func serve(ctx context.Context, cfg Config, stdout io.Writer, log *slog.Logger) error {
	reg := metrics.New()
	// Start-up talks to the database under one deadline: a database that
	// accepts connections but never answers must not hang the start.
	sctx, scancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer scancel()
	startErr := func(err error) error {
		if sctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("the database at %s did not answer within %s (--connect-timeout): %w", redact(cfg.DatabaseURL), cfg.ConnectTimeout, err)
		}
		return err
	}
	db, err := openMigrated(sctx, cfg.DatabaseURL, reg.WrapDriver)
	if err != nil {
		return startErr(err)
	}
	defer db.Close()
	key, err := auth.SigningKey(sctx, db.Client, cfg.SigningKey)
	if err != nil {
		return startErr(err)
	}
	tokens := auth.NewService(db.Client, key)
	if err := firstStart(sctx, db, tokens, stdout); err != nil {
		return startErr(err)
	}
	scancel()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	public := cfg.PublicURL
	if public == "" {
		public = fmt.Sprintf("http://localhost:%d", addr.Port)
	}
	web := httpapi.Options{
		Client:                        db.Client,
		Logger:                        log,
		Authenticate:                  tokens.Authenticate,
		RateLimit:                     cfg.RateLimit,
		RateBurst:                     cfg.RateBurst,
		CORSOrigins:                   splitList(cfg.CORSOrigins),
		CORSAllowHeaders:              splitList(cfg.CORSAllowHeaders),
		MaxBodyBytes:                  cfg.Limits.MaxBodyBytes,
		RequestTimeout:                time.Duration(cfg.Limits.RequestTimeout) * time.Second,
		MaxInFlight:                   cfg.MaxInFlight,
		Done:                          ctx,
		MaxStreamsPerCredential:       cfg.MaxStreamsPerCredential,
		MaxSubscriptionsPerConnection: cfg.MaxSubscriptionsPerConnection,
	}
	gql := web.GraphQL(graph.NewServer(graph.Options{
		Client:        db.Client,
		Dialect:       db.Dialect,
		PublicURL:     public,
		Logger:        log,
		Limits:        cfg.Limits,
		Introspection: cfg.Introspection,
		NoDirect:      !cfg.DirectReads,
		Recheck:       tokens.Recheck,
		Metrics:       reg,
	}))
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", tokens.TokenHandler())
	if cfg.MetricsToken != "" {
		mux.Handle("GET /metrics", httpapi.BearerOnly(reg.Handler(), cfg.MetricsToken))
	}
	mux.Handle("/graphql", gql)
	// The JSON:API twin: every links.self resolves here.
	mux.Handle("/api/", web.REST(rest.NewHandler(rest.Options{Client: db.Client, Dialect: db.Dialect, PublicURL: public, Logger: log}), rest.WriteError))
	graphiql.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	var draining atomic.Bool
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{
		Handler:           httpapi.AccessLog(httpapi.Drain(mux, &draining), log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	log.Info("listening", "addr", addr.String(), "database", redact(cfg.DatabaseURL), "public_url", public)
	if cfg.OnListen != nil {
		cfg.OnListen(addr.String())
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go purgeIdempotencyKeys(ctx, db, log)
	var msrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen (metrics): %w", err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", reg.Handler())
		msrv = &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second}
		log.Info("metrics listening", "addr", mln.Addr().String())
		go func() { errc <- msrv.Serve(mln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Drain: readiness fails and every response from now on closes its
	// connection, so keep-alive clients learn to re-dial from a response
	// instead of finding a socket closed under a request they already
	// sent; after the drain delay, Shutdown stops accepting, closes idle
	// connections and waits for in-flight and queued requests.
	draining.Store(true)
	if cfg.DrainDelay > 0 {
		t := time.NewTimer(cfg.DrainDelay)
		select {
		case <-t.C:
		case err := <-errc:
			t.Stop()
			return err
		}
	}
	dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if msrv != nil {
		_ = msrv.Shutdown(dctx)
	}
	if err := srv.Shutdown(dctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// openMigrated opens the database and creates or upgrades its tables.
func openMigrated(ctx context.Context, url string, wrap func(dialect.Driver) dialect.Driver) (*store.DB, error) {
	db, err := store.Open(url, wrap)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// purgeIdempotencyKeys deletes expired idempotency keys every hour (any
// replica may; deleting twice is harmless).
func purgeIdempotencyKeys(ctx context.Context, db *store.DB, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := idempotency.Purge(ctx, db.Client, time.Now()); err != nil {
				log.Warn("purge idempotency keys", "error", err.Error())
			} else if n > 0 {
				log.Info("purged idempotency keys", "count", n)
			}
		}
	}
}

// redact hides a database URL's password from the logs.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.LastIndexByte(u, '@'); at > i {
			if colon := strings.IndexByte(u[i+3:at], ':'); colon >= 0 {
				return u[:i+3+colon+1] + "xxxxx" + u[at:]
			}
		}
	}
	return u
}
