// Package rest is clientele's second transport: a JSON:API twin of the
// GraphQL API under /api, in the shape of the platform's REST API
// (resource objects with type, id, links.self, snake_case attributes,
// relationships and meta.mode). It restates no domain rule: every read and
// write goes through the same ent client (privacy policies, hooks,
// validators, mode interceptors), each type comes from the resource
// registry and the generated table description (ent/table.go: columns,
// edges and the generated create and update inputs), writes run in the
// same transaction helper as GraphQL's mutations (package txn), and errors
// are classified once (package enterr) and mapped to statuses in one table
// (errors.go).
//
// Routes (docs/rest.md):
//
//	GET    /api/<type>                           list: filter, sort, page, include, fields
//	POST   /api/<type>                           create (201, Location)
//	GET    /api/<type>/<id>                      retrieve: include, fields
//	PATCH  /api/<type>/<id>                      update; _<action>: true fires a state machine move
//	DELETE /api/<type>/<id>                      delete (204)
//	GET    /api/<type>/<id>/<relationship>       the related records (a list or one record)
//	GET    /api/<type>/<id>/relationships/<rel>  the relationship's linkage
//
// The handler expects the HTTP layer to have authenticated the caller
// (viewer.NewContext), set the clock (clock.NewContext) and applied CORS,
// the body limit, rate limits and Idempotency-Key.
package rest

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"clientele/ent"
	"clientele/internal/resource"
	"clientele/internal/viewer"
)

// MediaType is the JSON:API media type of every request and response body.
const MediaType = "application/vnd.api+json"

// The paging of lists: the platform's default and largest page sizes.
const (
	DefaultPageSize = 10
	MaxPageSize     = 25
)

// Options configure the handler.
type Options struct {
	Client *ent.Client
	// Dialect is dialect.SQLite or dialect.Postgres: on SQLite, writes
	// queue on the client's write lock (package txn).
	Dialect string
	// PublicURL is the base of every link, without a trailing slash.
	PublicURL string
	Logger    *slog.Logger
}

type handler struct {
	client  *ent.Client
	dialect string
	base    string
	log     *slog.Logger
}

// NewHandler returns the /api handler.
func NewHandler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = discard
	}
	return &handler{client: o.Client, dialect: o.Dialect, base: strings.TrimSuffix(o.PublicURL, "/"), log: o.Logger}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	t := types[parts[0]]
	if t == nil || len(parts) > 4 || (len(parts) == 4 && parts[2] != "relationships") {
		WriteError(w, http.StatusNotFound, "NOT_FOUND", "There is no such resource type or route.")
		return
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	allowed := t.allowed(len(parts))
	if !slices.Contains(strings.Split(allowed, ", "), r.Method) {
		h.fail(w, r, t, &requestError{status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, parameter: allowed,
			msg: fmt.Sprintf("%s is not allowed here; allowed: %s.", r.Method, allowed)}, false)
		return
	}
	// What resource.Admit refuses is refused before anything runs.
	if err := resource.Admit(viewer.FromContext(r.Context()), write); err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	if write && r.Method != http.MethodDelete {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != MediaType {
			h.fail(w, r, t, &requestError{status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMediaType,
				msg: "Send request bodies as " + MediaType + "."}, false)
			return
		}
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodPost:
		h.createOne(w, r, t)
	case len(parts) == 1:
		h.list(w, r, t)
	case len(parts) == 2 && r.Method == http.MethodPatch:
		h.updateOne(w, r, t, parts[1])
	case len(parts) == 2 && r.Method == http.MethodDelete:
		h.deleteOne(w, r, t, parts[1])
	case len(parts) == 2:
		h.retrieve(w, r, t, parts[1])
	default:
		rl := t.relBy[parts[len(parts)-1]]
		if rl == nil {
			WriteError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("%s has no relationship %q.", t.name(), parts[len(parts)-1]))
			return
		}
		h.related(w, r, t, parts[1], rl, len(parts) == 4)
	}
}

// allowed lists the methods a route of the type answers, by its number of
// path segments.
func (t *rtype) allowed(segments int) string {
	// HEAD is GET without the body (net/http drops it).
	m := []string{http.MethodGet, http.MethodHead}
	switch segments {
	case 1:
		if t.create != nil {
			m = append(m, http.MethodPost)
		}
	case 2:
		if t.update != nil {
			m = append(m, http.MethodPatch)
		}
		if t.deletable {
			m = append(m, http.MethodDelete)
		}
	}
	return strings.Join(m, ", ")
}

// self returns the link of a record.
func (h *handler) self(t *rtype, id string) string { return h.base + t.res.Path(id) }

// ownID reports whether id is well formed and of type t: other IDs name
// no record here.
func (t *rtype) ownID(id string) bool {
	r, ok := resource.ByID(id)
	return ok && r == t.res
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}
