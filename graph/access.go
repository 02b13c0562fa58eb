package graph

import (
	"context"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"clientele/internal/viewer"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// accessExtension refuses, before any resolver runs, operations the caller
// may not run at all: anything but __typename without a token, and
// mutations from read-only integrations. Finer rules (which records) are ent
// privacy policies (ent/schema/access.go).
type accessExtension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = accessExtension{}

func (accessExtension) ExtensionName() string                   { return "Access" }
func (accessExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (accessExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		if onlyTypename(oc.Operation.SelectionSet, oc.Doc) {
			return nil
		}
		return &gqlerror.Error{Message: "Authenticate with Authorization: Bearer <token> (see POST /oauth/token).",
			Extensions: map[string]any{"code": CodeUnauthenticated}}
	}
	if oc.Operation.Operation == ast.Mutation && v.Kind == viewer.Integration && v.Role != viewer.Admin {
		return &gqlerror.Error{Message: "This credential is read-only.", Extensions: map[string]any{"code": CodeForbidden}}
	}
	return nil
}

// onlyTypename reports whether a selection set asks for nothing but
// __typename.
func onlyTypename(set ast.SelectionSet, doc *ast.QueryDocument) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "__typename" {
				return false
			}
		case *ast.InlineFragment:
			if !onlyTypename(s.SelectionSet, doc) {
				return false
			}
		case *ast.FragmentSpread:
			f := doc.Fragments.ForName(s.Name)
			if f == nil || !onlyTypename(f.SelectionSet, doc) {
				return false
			}
		}
	}
	return true
}

// rateLimit limits each token (anonymous callers: each client IP).
func rateLimit(next http.Handler, l interface {
	Allow(string, time.Time) (bool, time.Duration)
}, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + r.RemoteAddr
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			key = "ip:" + host
		}
		if v := viewer.FromContext(r.Context()); v != nil {
			key = "cred:" + v.CredentialID + ":" + v.CustomerID
		}
		if ok, wait := l.Allow(key, now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, http.StatusTooManyRequests, CodeRateLimited, "Too many requests; retry after the number of seconds in Retry-After.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// DefaultCORSAllowHeaders are the request headers browsers may send from an
// allowed origin: what GraphQL clients (Apollo, urql, Relay, GraphiQL) send.
const DefaultCORSAllowHeaders = "Authorization, Content-Type, Accept, Idempotency-Key, X-Request-Id, Apollo-Require-Preflight, X-Apollo-Operation-Name"

// corsExposeHeaders are the response headers browser scripts may read.
const corsExposeHeaders = "Retry-After, X-Request-Id, Idempotent-Replayed"

// cors answers browsers from the allowed origins only; with none allowed it
// adds no CORS headers at all (closed). allowHeaders lists the request
// headers they may send ("*": whatever the preflight asks for).
func cors(next http.Handler, origins, allowHeaders []string) http.Handler {
	if len(allowHeaders) == 0 {
		allowHeaders = strings.Split(DefaultCORSAllowHeaders, ", ")
	}
	allow := strings.Join(allowHeaders, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (slices.Contains(origins, origin) || slices.Contains(origins, "*")) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			if allow == "*" {
				if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
					h.Set("Access-Control-Allow-Headers", req)
					h.Add("Vary", "Access-Control-Request-Headers")
				}
			} else {
				h.Set("Access-Control-Allow-Headers", allow)
			}
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
