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

	"clientele/internal/apperr"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// accessExtension refuses, before any resolver runs, operations the caller
// may not run at all (resource.Admit: nothing without a token, no writes
// from read-only integrations), so that such a request gets one error and
// no data. Only __typename is open to all. The privacy policies apply the
// same rule to every query and write (ent/schema/access.go), with the
// finer ones (which records).
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
	if v == nil && onlyTypename(oc.Operation.SelectionSet, oc.Doc) {
		return nil
	}
	if err := resource.Admit(v, oc.Operation.Operation == ast.Mutation); err != nil {
		e, _ := apperr.As(err)
		return &gqlerror.Error{Message: e.Message, Extensions: map[string]any{"code": topCodes[e.Code]}}
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
		ip := r.RemoteAddr
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ip = host
		}
		key := "ip:" + ip
		if v := viewer.FromContext(r.Context()); v != nil {
			key = "cred:" + v.CredentialID + ":" + v.CustomerID
			if v.Kind == viewer.SalesChannel {
				// A storefront's anonymous token is shared by all its
				// visitors: limit each visitor, not the storefront.
				key += ":ip:" + ip
			}
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
