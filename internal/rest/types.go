package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"clientele/ent"
	"clientele/internal/account"
	"clientele/internal/apperr"
	"clientele/internal/resource"
)

// rtype is one resource type as the REST transport serves it, derived from
// the resource registry (name, prefix, machine) and the generated table
// description (ent.Tables: columns, edges, and what GraphQL reads,
// filters, orders and writes).
type rtype struct {
	res  *resource.Resource
	info *ent.TableInfo
	// attrs are the readable attributes, in schema order: the columns the
	// GraphQL type has, except foreign keys (those are relationships).
	attrs []*ent.TableField
	rels  []*rel
	relBy map[string]*rel
	// filters maps a filter attribute (filter[q][<attr>_<predicate>]) to
	// its column.
	filters map[string]*ent.TableField
	// sortable lists the attributes sort= accepts.
	sortable map[string]bool
	// create and update map an attribute name, or a relationship name, to
	// the generated input field it fills (nil: no such action).
	create, update map[string]*ent.TableInput
	// names maps the field names of errors (GraphQL spelling:
	// customerGroupID) to the JSON pointer of the member that caused them.
	names map[string]string
	surface
}

// rel is one relationship: an edge of the schema, or the events of a
// record (every type's events: those whose resource_id is the record).
type rel struct {
	name   string
	target *rtype
	unique bool
	// column is the foreign key: in this type's table when ownFK, in the
	// target's otherwise.
	column string
	ownFK  bool
}

// surface is what the REST API offers on a type beyond the generated
// create and update inputs: the API surface of the transport (GraphQL's is
// its list of mutations in schema.graphqls), not a rule; the rules stay in
// ent.
type surface struct {
	// deletable types answer DELETE (GraphQL: a delete<Type> mutation).
	deletable bool
	// triggers lets PATCH fire the type's state machine moves by their
	// action, _<action>: true (GraphQL: placeOrder, approveReturn, …).
	triggers bool
	// computed adds attributes derived from the record (GraphQL: computed
	// fields such as hasPassword).
	computed func(ent.Noder) []kv
	// computedNames names the computed attributes (and those only a
	// write's answer carries), for fields[<type>].
	computedNames []string
	// createExtra and updateExtra are attributes beyond the generated
	// input, handed to prepare (or to create/update when those replace the
	// generic write).
	createExtra, updateExtra []string
	// prepareCreate adds the extra attributes to the create mutation.
	prepareCreate func(attrs map[string]json.RawMessage) (func(ent.Mutation) error, error)
	// create and update replace the generic write where the type's writes
	// go through a flow of their own (password resets); extra attributes
	// of the answer (a reset's token, shown once) come back as kvs.
	create func(ctx context.Context, c *ent.Client, attrs map[string]json.RawMessage) (ent.Noder, []kv, error)
	update func(ctx context.Context, c *ent.Client, id string, attrs map[string]json.RawMessage) (ent.Noder, error)
	// fields maps error field names of the type's own flows to attributes.
	fields map[string]string
}

// surfaces lists each type's API surface beyond the generated inputs.
var surfaces = map[resource.Name]surface{
	resource.Customers: {deletable: true, computedNames: []string{"has_password"}, computed: func(n ent.Noder) []kv {
		return []kv{{"has_password", n.(*ent.Customer).Password != nil}}
	}},
	resource.CustomerGroups:         {deletable: true},
	resource.Addresses:              {deletable: true},
	resource.CustomerAddresses:      {deletable: true},
	resource.CustomerPaymentSources: {deletable: true},
	resource.CustomerSubscriptions:  {deletable: true},
	resource.Attachments:            {deletable: true},
	resource.Orders: {deletable: true, triggers: true,
		// An order may name its customer by email: the order's create
		// hook finds or creates that customer (GraphQL: customerEmail).
		createExtra: []string{"customer_email"},
		prepareCreate: func(attrs map[string]json.RawMessage) (func(ent.Mutation) error, error) {
			if raw, ok := attrs["customer_email"]; !ok || string(raw) == "null" {
				return nil, nil
			}
			var email string
			if err := stringAttr(attrs, "customer_email", &email, true); err != nil {
				return nil, err
			}
			return func(m ent.Mutation) error { return m.SetField("customer_email", email) }, nil
		},
	},
	resource.Returns:            {deletable: true, triggers: true},
	resource.OrderSubscriptions: {triggers: true},
	resource.Events:             {},
	// A reset starts from an email and ends with its single-use token and
	// the new password (GraphQL: createCustomerPasswordReset,
	// resetCustomerPassword), both through package account.
	resource.CustomerPasswordResets: {
		createExtra:   []string{"customer_email"},
		updateExtra:   []string{"customer_password", "_reset_password_token"},
		computedNames: []string{"reset_password_token"},
		fields:        map[string]string{"customerEmail": "customer_email", "token": "_reset_password_token", "password": "customer_password"},
		create: func(ctx context.Context, c *ent.Client, attrs map[string]json.RawMessage) (ent.Noder, []kv, error) {
			var email string
			if err := stringAttr(attrs, "customer_email", &email, true); err != nil {
				return nil, nil, err
			}
			r, token, err := account.CreatePasswordReset(ctx, c, email)
			if err != nil {
				return nil, nil, err
			}
			var extra []kv
			if token != nil {
				extra = []kv{{"reset_password_token", *token}}
			}
			return r, extra, nil
		},
		update: func(ctx context.Context, c *ent.Client, id string, attrs map[string]json.RawMessage) (ent.Noder, error) {
			var token, pw string
			if err := stringAttr(attrs, "_reset_password_token", &token, true); err != nil {
				return nil, err
			}
			if err := stringAttr(attrs, "customer_password", &pw, true); err != nil {
				return nil, err
			}
			return account.ResetPassword(ctx, c, id, token, pw)
		},
	},
}

// stringAttr reads a string attribute; a missing required one is INVALID.
func stringAttr(attrs map[string]json.RawMessage, name string, dst *string, required bool) error {
	raw, ok := attrs[name]
	if !ok || string(raw) == "null" {
		if required {
			return apperr.New(apperr.Invalid, apperr.Field(name), "%s is required", name)
		}
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return apperr.New(apperr.Invalid, apperr.Field(name), "%s must be a string", name)
	}
	return nil
}

// types holds every resource type by name.
var types = buildTypes()

func buildTypes() map[string]*rtype {
	out := map[string]*rtype{}
	for _, res := range resource.All() {
		info, ok := ent.Tables[res.Table()]
		if !ok {
			panic(fmt.Sprintf("rest: no table description for %s", res.Name))
		}
		s, ok := surfaces[res.Name]
		if !ok {
			panic(fmt.Sprintf("rest: no surface for %s", res.Name))
		}
		out[res.Table()] = &rtype{res: res, info: info, surface: s, relBy: map[string]*rel{}}
	}
	for _, t := range out {
		t.derive(out)
	}
	return out
}

// derive fills in what the REST shape takes from the table description.
func (t *rtype) derive(all map[string]*rtype) {
	info := t.info
	visible := func(col string) bool { return slices.Contains(info.Visible, col) }
	for _, f := range info.Fields {
		if visible(f.Name) && f.Edge == "" {
			t.attrs = append(t.attrs, f)
		}
	}
	// Relationships: the edges GraphQL exposes, then the record's events
	// where the schema has no events edge (GraphQL: every type's events
	// connection).
	for _, e := range info.Edges {
		if !slices.Contains(info.VisibleEdges, e.Name) {
			continue
		}
		t.addRel(&rel{name: e.Name, target: all[e.Target], unique: e.Unique, column: e.Column, ownFK: e.OwnFK})
	}
	if !t.res.Log && t.relBy["events"] == nil {
		t.addRel(&rel{name: "events", target: all[string(resource.Events)], column: "resource_id"})
	}
	// Filters: the ID, the columns GraphQL's where input filters on, and
	// the foreign key of each to-one relationship as <relationship>_id.
	t.filters = map[string]*ent.TableField{"id": info.Field("id")}
	for _, f := range t.attrs {
		// Of the JSON columns, metadata is filtered (_jcont); the event
		// log's payload is not (GraphQL filters on neither but customers'
		// metadata).
		if slices.Contains(info.Filterable, f.Name) && (f.Kind != "json" || f.Name == "metadata") {
			t.filters[f.Name] = f
		}
	}
	for _, r := range t.rels {
		if r.unique && r.ownFK {
			if f := info.Field(r.column); f != nil {
				t.filters[r.name+"_id"] = f
			}
		}
	}
	t.sortable = map[string]bool{"id": true}
	for _, f := range info.Sortable {
		if visible(f) {
			t.sortable[f] = true
		}
	}
	t.create = inputs(info.Create)
	t.update = inputs(info.Update)
	if t.surface.create != nil && t.create == nil {
		t.create = map[string]*ent.TableInput{}
	}
	if t.surface.update != nil && t.update == nil {
		t.update = map[string]*ent.TableInput{}
	}
	t.names = map[string]string{}
	for _, f := range info.Fields {
		t.names[apperr.FieldName(f.Name)] = "/data/attributes/" + f.Name
		t.names[f.Name] = "/data/attributes/" + f.Name
	}
	for _, in := range append(slices.Clone(info.Create), info.Update...) {
		if in.Edge == "" {
			t.names[apperr.FieldName(in.Name)] = "/data/attributes/" + in.Name
			t.names[in.Name] = "/data/attributes/" + in.Name
		} else {
			t.names[apperr.FieldName(in.Name)] = "/data/relationships/" + in.Edge
			t.names[in.Name] = "/data/relationships/" + in.Edge
		}
	}
	for k, v := range t.surface.fields {
		t.names[k] = "/data/attributes/" + v
	}
	for _, a := range append(slices.Clone(t.createExtra), t.updateExtra...) {
		t.names[apperr.FieldName(a)] = "/data/attributes/" + a
		t.names[a] = "/data/attributes/" + a
	}
}

func (t *rtype) addRel(r *rel) {
	t.rels = append(t.rels, r)
	t.relBy[r.name] = r
}

// inputs keys the fields of a generated input by attribute name, or by
// relationship name for the IDs of edges.
func inputs(list []*ent.TableInput) map[string]*ent.TableInput {
	if list == nil {
		return nil
	}
	m := make(map[string]*ent.TableInput, len(list))
	for _, in := range list {
		if in.Edge != "" {
			m[in.Edge] = in
		} else {
			m[in.Name] = in
		}
	}
	return m
}

// name returns the type's name (its table, the REST type).
func (t *rtype) name() string { return string(t.res.Name) }

// attrNames lists the readable attributes and relationships, for errors.
func (t *rtype) fieldNames() []string {
	var out []string
	for _, a := range t.attrs {
		out = append(out, a.Name)
	}
	for _, r := range t.rels {
		out = append(out, r.name)
	}
	out = append(out, t.computedNames...)
	sort.Strings(out)
	return out
}
