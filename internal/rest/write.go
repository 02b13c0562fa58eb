package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"clientele/ent"
	"clientele/internal/apperr"
	"clientele/internal/resource"
	"clientele/internal/txn"
)

// input is the resource object of a write request.
type input struct {
	attrs map[string]json.RawMessage
	// rels holds the IDs given for to-one relationships (nil: null).
	rels map[string]*string
	// trigger is the state machine action a PATCH fires (_place: true).
	trigger string
}

// readInput decodes and checks the body of a write: a document whose data
// is a resource object of type t (with the URL's id on PATCH) whose
// attributes and relationships the create or update input of t takes.
func (h *handler) readInput(r *http.Request, t *rtype, id string) (*input, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			// The HTTP layer answers a declared length over the limit the
			// same way (httpapi.bodyLimit).
			return nil, &requestError{status: http.StatusRequestEntityTooLarge, code: CodeBadRequest, msg: "The request body is too large."}
		}
		// A body cut short is the client's doing, not an internal error.
		return nil, badDocument("", "The body could not be read: %s.", err.Error())
	}
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, badDocument("", "The body is not a JSON:API document: %s.", jsonProblem(err))
	}
	if len(doc.Data) == 0 || bytes.Equal(doc.Data, []byte("null")) {
		return nil, badDocument("/data", "The body needs a data member: a resource object.")
	}
	var data struct {
		Type          *string                    `json:"type"`
		ID            *string                    `json:"id"`
		Attributes    map[string]json.RawMessage `json:"attributes"`
		Relationships map[string]json.RawMessage `json:"relationships"`
	}
	if err := json.Unmarshal(doc.Data, &data); err != nil {
		return nil, badDocument("/data", "data must be a resource object: %s.", jsonProblem(err))
	}
	if data.Type == nil || *data.Type != t.name() {
		return nil, badDocument("/data/type", "data.type must be %q.", t.name())
	}
	switch {
	case id == "" && data.ID != nil:
		return nil, badDocument("/data/id", "IDs are given by the server: leave data.id out.")
	case id != "" && (data.ID == nil || *data.ID != id):
		return nil, badDocument("/data/id", "data.id must be the ID in the URL.")
	}
	in := &input{attrs: data.Attributes, rels: map[string]*string{}}
	if in.attrs == nil {
		in.attrs = map[string]json.RawMessage{}
	}
	fields, extra := t.create, t.createExtra
	if id != "" {
		fields, extra = t.update, t.updateExtra
	}
	for name, raw := range in.attrs {
		if a, ok := strings.CutPrefix(name, "_"); ok && id != "" && t.triggers {
			if _, ok := t.res.Machine.Action(a); !ok {
				return nil, badRequestMember("/data/attributes/"+name, "%s is not a trigger of %s.", name, t.name())
			}
			var fire bool
			if err := json.Unmarshal(raw, &fire); err != nil {
				return nil, apperr.New(apperr.Invalid, apperr.Field(name), "%s must be true or false", name)
			}
			if fire {
				if in.trigger != "" {
					return nil, badRequestMember("/data/attributes/"+name, "Fire one trigger per request.")
				}
				in.trigger = a
			}
			delete(in.attrs, name)
			continue
		}
		if f, ok := fields[name]; ok && f.Edge == "" || slices.Contains(extra, name) {
			continue
		}
		return nil, badRequestMember("/data/attributes/"+name, "%s is not an attribute %s of %s (allowed: %s).", name, verb(id), t.name(), strings.Join(t.writable(id != ""), ", "))
	}
	for name, raw := range data.Relationships {
		f, ok := fields[name]
		if !ok || f.Edge == "" {
			return nil, badRequestMember("/data/relationships/"+name, "%s is not a relationship %s of %s.", name, verb(id), t.name())
		}
		var rd struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &rd); err != nil || len(rd.Data) == 0 {
			return nil, badDocument("/data/relationships/"+name, "A relationship is {\"data\": {\"type\": …, \"id\": …}} or {\"data\": null}.")
		}
		if bytes.Equal(rd.Data, []byte("null")) {
			in.rels[name] = nil
			continue
		}
		var ident struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(rd.Data, &ident); err != nil || ident.ID == "" {
			return nil, badDocument("/data/relationships/"+name+"/data", "A to-one relationship's data is a resource identifier {\"type\": …, \"id\": …}.")
		}
		if want := t.relBy[name].target.name(); ident.Type != want {
			return nil, badDocument("/data/relationships/"+name+"/data/type", "%s points to %s.", name, want)
		}
		in.rels[name] = &ident.ID
	}
	if id == "" {
		for _, key := range sortedKeys(fields) {
			f := fields[key]
			if !f.Required {
				continue
			}
			if _, ok := in.attrs[key]; ok && f.Edge == "" {
				continue
			}
			if _, ok := in.rels[key]; ok && f.Edge != "" {
				continue
			}
			return nil, apperr.New(apperr.Invalid, apperr.Field(f.Name), "%s is required", key)
		}
	}
	return in, nil
}

func verb(id string) string {
	if id == "" {
		return "creatable"
	}
	return "updatable"
}

func badRequestMember(pointer, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: CodeParamNotAllowed, pointer: pointer, msg: sprintf(format, args...)}
}

// writable lists what a create (or update) takes, for messages.
func (t *rtype) writable(update bool) []string {
	fields, extra := t.create, t.createExtra
	if update {
		fields, extra = t.update, t.updateExtra
	}
	out := append([]string{}, extra...)
	for k, f := range fields {
		if f.Edge == "" {
			out = append(out, k)
		}
	}
	if update && t.triggers {
		for _, tr := range t.res.Machine.Transitions {
			out = append(out, "_"+tr.Action)
		}
	}
	slices.Sort(out)
	return out
}

// decoder fills the generated input from the request: attributes by name,
// relationships by the input field of their edge. null clears what can be
// cleared; a value of the wrong type is INVALID on its member.
func (t *rtype) decoder(in *input, fields []*ent.TableInput, update bool) ent.InputDecoder {
	byName := map[string]*ent.TableInput{}
	for _, f := range fields {
		byName[f.Name] = f
	}
	return func(name string, target any, clear *bool) error {
		f := byName[name]
		if f == nil {
			return nil
		}
		var raw json.RawMessage
		if f.Edge != "" {
			id, ok := in.rels[f.Edge]
			if !ok {
				return nil
			}
			if id != nil {
				raw, _ = json.Marshal(*id)
			}
		} else {
			var ok bool
			if raw, ok = in.attrs[name]; !ok {
				return nil
			}
		}
		if raw == nil || bytes.Equal(raw, []byte("null")) {
			switch {
			case clear != nil:
				*clear = true
			case update || f.Required:
				return apperr.New(apperr.Invalid, apperr.Field(name), "%s cannot be null", name)
			}
			return nil
		}
		if col := t.info.Field(name); col != nil && col.Kind == "enum" {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				raw, _ = json.Marshal(strings.ToUpper(s))
			}
		}
		if err := json.Unmarshal(raw, target); err != nil {
			return apperr.New(apperr.Invalid, apperr.Field(name), "%s has the wrong type: %s", name, jsonKind(err))
		}
		return nil
	}
}

// jsonKind says what was wrong with a value, in JSON's terms.
func jsonKind(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected " + jsonType(te.Type) + ", got " + te.Value
	}
	return err.Error()
}

// jsonProblem says what is wrong with a document, in JSON's terms (the
// decoder's own messages name Go types).
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return te.Field + " must be " + jsonType(te.Type) + ", not " + te.Value
		}
		return "expected " + jsonType(te.Type) + ", not " + te.Value
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	return "not JSON"
}

// jsonType names the JSON value a Go type decodes from.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another kind of value"
}

// createOne answers POST /api/<type>.
func (h *handler) createOne(w http.ResponseWriter, r *http.Request, t *rtype) {
	q, err := parseQuery(r.URL.Query(), t, false)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	in, err := h.readInput(r, t, "")
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	var saved ent.Noder
	var extra []kv
	err = h.tx(r.Context(), func(ctx context.Context, c *ent.Client) error {
		if t.surface.create != nil {
			saved, extra, err = t.surface.create(ctx, c, in.attrs)
			return err
		}
		var prepare func(ent.Mutation) error
		if t.prepareCreate != nil {
			if prepare, err = t.prepareCreate(in.attrs); err != nil {
				return err
			}
		}
		saved, err = c.CreateOf(ctx, t.name(), t.decoder(in, t.info.Create, false), prepare)
		return err
	})
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	g := newGraph()
	n := g.add(t, []ent.Noder{saved}, true)[0]
	n.extra = extra
	w.Header().Set("Location", h.self(t, n.id))
	h.written(w, r, http.StatusCreated, g, n, q)
}

// updateOne answers PATCH /api/<type>/<id>: the attributes and
// relationships given, then the trigger, if any, as the state machine move
// its action names (the same update GraphQL's transition mutations make),
// in one transaction.
func (h *handler) updateOne(w http.ResponseWriter, r *http.Request, t *rtype, id string) {
	q, err := parseQuery(r.URL.Query(), t, false)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	ctx, err := target(r, t, id)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	in, err := h.readInput(r, t, id)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	var saved ent.Noder
	err = h.tx(ctx, func(ctx context.Context, c *ent.Client) error {
		if t.surface.update != nil {
			saved, err = t.surface.update(ctx, c, id, in.attrs)
			return err
		}
		if len(in.attrs) > 0 || len(in.rels) > 0 || in.trigger == "" {
			if saved, err = c.UpdateOf(ctx, t.name(), id, t.decoder(in, t.info.Update, true), nil); err != nil {
				return err
			}
		}
		if in.trigger != "" {
			move, _ := t.res.Machine.Action(in.trigger)
			saved, err = c.UpdateOf(ctx, t.name(), id, func(string, any, *bool) error { return nil },
				func(m ent.Mutation) error { return ent.SetEnum(m, move.Field, move.To) })
		}
		return err
	})
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	g := newGraph()
	h.written(w, r, http.StatusOK, g, g.add(t, []ent.Noder{saved}, true)[0], q)
}

// deleteOne answers DELETE /api/<type>/<id> with 204.
func (h *handler) deleteOne(w http.ResponseWriter, r *http.Request, t *rtype, id string) {
	ctx, err := target(r, t, id)
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	err = h.tx(ctx, func(ctx context.Context, c *ent.Client) error {
		return c.DeleteOf(ctx, t.name(), id)
	})
	if err != nil {
		h.fail(w, r, t, err, false)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// written answers a write with the record as saved; what include asks for
// is read after the commit, with the caller's rights (a storefront that
// may not read what it created gets the record without its includes).
func (h *handler) written(w http.ResponseWriter, r *http.Request, status int, g *graph, n *node, q *query) {
	if err := h.load(r.Context(), h.client, g, []*node{n}, q.include); err != nil {
		h.log.InfoContext(r.Context(), "rest: includes of a write left out", "error", err.Error())
		g.included = nil
		n.rels = nil
	}
	doc := object{{"data", h.resource(n, q.fields)}}
	if q.include != nil {
		doc = append(doc, kv{"included", h.includedDoc(g, q.fields)})
	}
	doc = append(doc, kv{"links", object{{"self", h.self(n.t, n.id)}}})
	setETag(w, n)
	respond(w, status, doc)
}

// target is the context of a write of record id of t: NOT_FOUND for an
// ID of another type, the If-Match condition (expectVersion) otherwise.
func target(r *http.Request, t *rtype, id string) (context.Context, error) {
	if !t.ownID(id) {
		return nil, notFound()
	}
	return expectVersion(r, id)
}

// expectVersion applies an If-Match header, "<version>" (the ETag of a
// record), to the write of record id (resource.ExpectVersion): the write
// then applies only at that version and otherwise answers CONFLICT (409)
// without writing. If-Match: * and no header check nothing.
func expectVersion(r *http.Request, id string) (context.Context, error) {
	bad := &requestError{status: http.StatusBadRequest, code: CodeBadRequest, header: "If-Match",
		msg: `If-Match takes one ETag of the record, e.g. "3" (its version).`}
	vals := r.Header.Values("If-Match")
	if len(vals) > 1 {
		return nil, bad // a list: which version was read?
	}
	h := ""
	if len(vals) == 1 {
		h = strings.TrimSpace(vals[0])
	}
	if h == "" || h == "*" {
		return r.Context(), nil
	}
	// ETags compare as strings: only the tag as the server wrote it
	// ("3", not "03" or "+3") names a version.
	tag, ok := strings.CutPrefix(h, `"`)
	tag, ok2 := strings.CutSuffix(tag, `"`)
	n, err := strconv.Atoi(tag)
	if !ok || !ok2 || err != nil || n < 1 || strconv.Itoa(n) != tag {
		return nil, bad
	}
	return resource.ExpectVersion(r.Context(), id, n), nil
}

// tx runs a write in one transaction (package txn, shared with GraphQL's
// mutations): any error rolls everything back, events included.
func (h *handler) tx(ctx context.Context, fn func(ctx context.Context, c *ent.Client) error) error {
	return txn.Run(ctx, h.client, h.dialect, func(ctx context.Context, tx *ent.Tx) (bool, error) {
		err := fn(ctx, tx.Client())
		return err == nil, err
	})
}
