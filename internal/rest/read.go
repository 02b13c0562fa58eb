package rest

import (
	"net/http"
	"strconv"

	"clientele/internal/apperr"

	"entgo.io/ent/dialect/sql"
)

// list answers GET /api/<type>.
func (h *handler) list(w http.ResponseWriter, r *http.Request, t *rtype) {
	h.listScoped(w, r, t, nil, false)
}

// listScoped lists the records of t within scope (a relationship's), as
// resource objects or, for linkage, as resource identifiers.
func (h *handler) listScoped(w http.ResponseWriter, r *http.Request, t *rtype, scope []func(*sql.Selector), linkageOnly bool) {
	q, err := parseQuery(r.URL.Query(), t, true)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	ctx := r.Context()
	where := append(scope, q.where...)
	count, err := h.client.CountOf(ctx, t.name(), where...)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	rows, err := h.client.ListOf(ctx, t.name(), where, q.order, (q.number-1)*q.size, q.size)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	g := newGraph()
	nodes := g.add(t, rows, true)
	pages := (count + q.size - 1) / q.size
	meta := object{{"record_count", count}, {"page_count", pages}}
	if linkageOnly {
		respond(w, http.StatusOK, object{{"data", linkage(&rel{}, nodes)}, {"meta", meta}, {"links", h.pageLinks(r, q, pages)}})
		return
	}
	if err := h.load(ctx, h.client, g, nodes, q.include); err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	data := make([]object, len(nodes))
	for i, n := range nodes {
		data[i] = h.resource(n, q.fields)
	}
	doc := object{{"data", data}}
	if q.include != nil {
		doc = append(doc, kv{"included", h.includedDoc(g, q.fields)})
	}
	doc = append(doc, kv{"meta", meta}, kv{"links", h.pageLinks(r, q, pages)})
	respond(w, http.StatusOK, doc)
}

// retrieve answers GET /api/<type>/<id>.
func (h *handler) retrieve(w http.ResponseWriter, r *http.Request, t *rtype, id string) {
	q, err := parseQuery(r.URL.Query(), t, false)
	if err != nil {
		h.fail(w, r, t, err, true)
		return
	}
	n, g, err := h.find(r, t, id)
	if err != nil {
		h.fail(w, r, t, err, true)
		return
	}
	h.single(w, r, http.StatusOK, g, n, q)
}

// single writes a document whose data is one record, with its includes.
func (h *handler) single(w http.ResponseWriter, r *http.Request, status int, g *graph, n *node, q *query) {
	if n != nil {
		if err := h.load(r.Context(), h.client, g, []*node{n}, q.include); err != nil {
			h.fail(w, r, n.t, err, true)
			return
		}
	}
	var data any
	if n != nil {
		data = h.resource(n, q.fields)
	}
	doc := object{{"data", data}}
	if q.include != nil {
		doc = append(doc, kv{"included", h.includedDoc(g, q.fields)})
	}
	if n != nil {
		doc = append(doc, kv{"links", object{{"self", h.self(n.t, n.id)}}})
		setETag(w, n)
	}
	respond(w, status, doc)
}

// find reads one record of t visible to the caller; a missing one, one of
// another mode and one the caller may not read are all NOT_FOUND.
func (h *handler) find(r *http.Request, t *rtype, id string) (*node, *graph, error) {
	if !t.ownID(id) {
		return nil, nil, notFound()
	}
	rows, err := h.client.ListOf(r.Context(), t.name(), []func(*sql.Selector){func(s *sql.Selector) { s.Where(sql.EQ(s.C("id"), id)) }}, nil, 0, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, notFound()
	}
	g := newGraph()
	return g.add(t, rows, true)[0], g, nil
}

func notFound() error {
	return apperr.New(apperr.NotFound, apperr.Field("id"), "no record with this ID")
}

// related answers GET /api/<type>/<id>/<rel> (the related records) and
// GET /api/<type>/<id>/relationships/<rel> (their linkage).
func (h *handler) related(w http.ResponseWriter, r *http.Request, t *rtype, id string, rl *rel, linkageOnly bool) {
	parent, _, err := h.find(r, t, id)
	if err != nil {
		h.fail(w, r, t, err, true)
		return
	}
	if !rl.unique || !rl.ownFK {
		scope := []func(*sql.Selector){func(s *sql.Selector) { s.Where(sql.EQ(s.C(rl.column), id)) }}
		if !rl.unique {
			h.listScoped(w, r, rl.target, scope, linkageOnly)
			return
		}
		h.relatedOne(w, r, rl, scope, linkageOnly)
		return
	}
	fk, _ := parent.vals[rl.column].(string)
	if fk == "" {
		h.relatedOne(w, r, rl, nil, linkageOnly)
		return
	}
	h.relatedOne(w, r, rl, []func(*sql.Selector){func(s *sql.Selector) { s.Where(sql.EQ(s.C("id"), fk)) }}, linkageOnly)
}

// relatedOne answers a to-one relationship: the record (or null) in scope.
func (h *handler) relatedOne(w http.ResponseWriter, r *http.Request, rl *rel, scope []func(*sql.Selector), linkageOnly bool) {
	t := rl.target
	q, err := parseQuery(r.URL.Query(), t, false)
	if err != nil {
		h.fail(w, r, t, err, true)
		return
	}
	g := newGraph()
	var n *node
	if scope != nil {
		rows, err := h.client.ListOf(r.Context(), t.name(), scope, nil, 0, 1)
		if err != nil {
			h.fail(w, r, t, err, true)
			return
		}
		if len(rows) > 0 {
			n = g.add(t, rows, true)[0]
		}
	}
	if linkageOnly {
		var data any
		if n != nil {
			data = linkage(rl, []*node{n})
		}
		respond(w, http.StatusOK, object{{"data", data}})
		return
	}
	h.single(w, r, http.StatusOK, g, n, q)
}

// setETag gives a response about one record its version as ETag, "3":
// send it back as If-Match to change or delete the record only if nobody
// changed it since (the event log has no versions).
func setETag(w http.ResponseWriter, n *node) {
	switch v := n.vals["version"].(type) {
	case int:
		w.Header().Set("ETag", `"`+strconv.Itoa(v)+`"`)
	case int64:
		w.Header().Set("ETag", `"`+strconv.FormatInt(v, 10)+`"`)
	}
}
