package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"clientele/ent"
	"clientele/internal/gqlscalar"

	"entgo.io/ent/dialect/sql"
)

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// object is a JSON object whose members keep their order (attributes in
// schema order, like the GraphQL type lists its fields).
type object []kv

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshal(m.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes v without escaping <, > and & (links carry & in their
// query strings).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// node is one record being rendered, with the relationships loaded for
// include.
type node struct {
	t     *rtype
	id    string
	n     ent.Noder
	vals  map[string]any
	extra []kv
	rels  map[string][]*node
}

func newNode(t *rtype, n ent.Noder) *node {
	_, vals := ent.ValuesOf(n)
	id, _ := vals["id"].(string)
	return &node{t: t, id: id, n: n, vals: vals}
}

func (n *node) key() string { return n.t.name() + "/" + n.id }

// graph keeps one node per record for a response, so that a record reached
// by two include paths is rendered once, with every relationship loaded
// for it.
type graph struct {
	nodes    map[string]*node
	included []*node
	primary  map[string]bool
	// budget is how many more records include may read (maxIncluded).
	budget int
}

func newGraph() *graph {
	return &graph{nodes: map[string]*node{}, primary: map[string]bool{}, budget: maxIncluded}
}

func (g *graph) add(t *rtype, rows []ent.Noder, primary bool) []*node {
	out := make([]*node, 0, len(rows))
	for _, r := range rows {
		n := newNode(t, r)
		if have, ok := g.nodes[n.key()]; ok {
			n = have
		} else {
			g.nodes[n.key()] = n
			if !primary {
				g.included = append(g.included, n)
			}
		}
		if primary {
			g.primary[n.key()] = true
		}
		out = append(out, n)
	}
	return out
}

// load fetches the relationships of tree for parents, all of one type:
// one query per relationship and level, whatever the number of parents.
func (h *handler) load(ctx context.Context, c *ent.Client, g *graph, parents []*node, tree includeTree) error {
	if len(parents) == 0 {
		return nil
	}
	t := parents[0].t
	for _, name := range sortedKeys(tree) {
		r := t.relBy[name]
		children, err := h.loadRel(ctx, c, g, parents, r)
		if err != nil {
			return err
		}
		if err := h.load(ctx, c, g, children, tree[name]); err != nil {
			return err
		}
	}
	return nil
}

// loadRel loads relationship r of every parent with one query and returns
// the records it found.
func (h *handler) loadRel(ctx context.Context, c *ent.Client, g *graph, parents []*node, r *rel) ([]*node, error) {
	var keys []any
	seen := map[string]bool{}
	for _, p := range parents {
		k := p.id
		if r.ownFK {
			k, _ = p.vals[r.column].(string)
		}
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var rows []ent.Noder
	if len(keys) > 0 {
		col := r.column
		if r.ownFK {
			col = "id"
		}
		var err error
		rows, err = c.ListOf(ctx, r.target.name(), []func(*sql.Selector){func(s *sql.Selector) { s.Where(sql.In(s.C(col), keys...)) }},
			[]func(*sql.Selector){sql.OrderByField("id").ToFunc()}, 0, g.budget+1)
		if err != nil {
			return nil, err
		}
		if len(rows) > g.budget {
			return nil, badRequest(CodeInvalidInclude, "include", "include reads at most %d records per request; %s has more: read it page by page at its related link.", maxIncluded, r.name)
		}
		g.budget -= len(rows)
	}
	children := g.add(r.target, rows, false)
	by := map[string][]*node{}
	for _, ch := range children {
		k := ch.id
		if !r.ownFK {
			k, _ = ch.vals[r.column].(string)
		}
		by[k] = append(by[k], ch)
	}
	for _, p := range parents {
		k := p.id
		if r.ownFK {
			k, _ = p.vals[r.column].(string)
		}
		if p.rels == nil {
			p.rels = map[string][]*node{}
		}
		p.rels[r.name] = by[k]
	}
	return children, nil
}

// resource renders a node as a JSON:API resource object.
func (h *handler) resource(n *node, fields map[string]map[string]bool) object {
	t := n.t
	want := func(name string) bool {
		set, sparse := fields[t.name()]
		return !sparse || set[name]
	}
	attrs := object{}
	for _, f := range t.attrs {
		if want(f.Name) {
			attrs = append(attrs, kv{f.Name, attrValue(f, n.vals[f.Name])})
		}
	}
	if t.computed != nil {
		for _, a := range t.computed(n.n) {
			if want(a.k) {
				attrs = append(attrs, a)
			}
		}
	}
	for _, a := range n.extra {
		if want(a.k) {
			attrs = append(attrs, a)
		}
	}
	self := h.self(t, n.id)
	rels := object{}
	for _, r := range t.rels {
		if !want(r.name) {
			continue
		}
		rel := object{{"links", object{{"self", self + "/relationships/" + r.name}, {"related", self + "/" + r.name}}}}
		if loaded, ok := n.rels[r.name]; ok {
			rel = append(rel, kv{"data", linkage(r, loaded)})
		}
		rels = append(rels, kv{r.name, rel})
	}
	mode, _ := n.vals["mode"].(string)
	return object{
		{"type", t.name()},
		{"id", n.id},
		{"links", object{{"self", self}}},
		{"attributes", attrs},
		{"relationships", rels},
		{"meta", object{{"mode", strings.ToLower(mode)}}},
	}
}

// linkage is the data of a relationship: resource identifiers.
func linkage(r *rel, nodes []*node) any {
	if r.unique {
		if len(nodes) == 0 {
			return nil
		}
		return object{{"type", nodes[0].t.name()}, {"id", nodes[0].id}}
	}
	out := make([]object, len(nodes))
	for i, n := range nodes {
		out[i] = object{{"type", n.t.name()}, {"id", n.id}}
	}
	return out
}

// attrValue renders a column value: times in UTC with milliseconds, enums
// lower-cased (the platform's spelling), metadata as an object.
func attrValue(f *ent.TableField, v any) any {
	if v == nil {
		if f.Kind == "json" {
			return map[string]any{}
		}
		return nil
	}
	switch f.Kind {
	case "time":
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format(gqlscalar.TimeLayout)
		}
	case "enum":
		return strings.ToLower(fmt.Sprint(v))
	case "json":
		if m, ok := v.(map[string]any); ok && m == nil {
			return map[string]any{}
		}
	}
	return v
}

// included renders the included records.
func (h *handler) includedDoc(g *graph, fields map[string]map[string]bool) []object {
	out := []object{}
	for _, n := range g.included {
		if !g.primary[n.key()] {
			out = append(out, h.resource(n, fields))
		}
	}
	return out
}

// respond writes a JSON:API document.
func respond(w http.ResponseWriter, status int, doc object) {
	body, err := marshal(doc)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, CodeInternal, "internal error")
		return
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// pageLinks returns the links of one page of a list: the request's own
// URL with page[number] set.
func (h *handler) pageLinks(r *http.Request, q *query, pages int) object {
	link := func(n int) string {
		v := r.URL.Query()
		v.Set("page[number]", strconv.Itoa(n))
		if q.size != DefaultPageSize {
			v.Set("page[size]", strconv.Itoa(q.size))
		}
		return h.base + r.URL.Path + "?" + v.Encode()
	}
	self := h.base + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	last := max(pages, 1)
	links := object{{"self", self}, {"first", link(1)}}
	if q.number > 1 {
		links = append(links, kv{"prev", link(min(q.number-1, last))})
	}
	if q.number < pages {
		links = append(links, kv{"next", link(q.number + 1)})
	}
	links = append(links, kv{"last", link(last)})
	return links
}
