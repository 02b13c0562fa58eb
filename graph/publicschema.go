package graph

import (
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// internalDirectives are declared for the code generators and mean nothing
// to clients; @defer is declared by the GraphQL prelude, but this server
// does not deliver responses incrementally, so it is not advertised (a
// document using it fails validation instead of silently getting one
// ordinary response).
var internalDirectives = map[string]bool{"goField": true, "goModel": true, "goExtraField": true, "goTag": true, "defer": true}

// PublicSchema is the schema clients see, by introspection and from
// `clientele schema`: the generated schema without internal directives.
var PublicSchema = sync.OnceValue(func() *ast.Schema {
	base := NewExecutableSchema(Config{}).Schema()
	s := *base
	s.Directives = make(map[string]*ast.DirectiveDefinition, len(base.Directives))
	for name, d := range base.Directives {
		if !internalDirectives[name] {
			s.Directives[name] = d
		}
	}
	// The Cursor scalar is declared by the pagination generator with a
	// generic description; say what a client needs to know.
	s.Types = make(map[string]*ast.Definition, len(base.Types))
	for name, d := range base.Types {
		s.Types[name] = d
	}
	if c := base.Types["Cursor"]; c != nil {
		cc := *c
		cc.Description = "An opaque string that marks a position in a connection (Relay cursor). " +
			"Pass it back as after or before to the same connection with the same orderBy; never parse or build one."
		s.Types["Cursor"] = &cc
	}
	return &s
})

// SDLSchema is PublicSchema for printing as SDL (`clientele schema`): the
// uses of the internal directives go too, or the printed file would name
// directives it does not declare. Introspection never shows applied
// directives, so the executable schema keeps them.
func SDLSchema() *ast.Schema {
	pub := PublicSchema()
	s := *pub
	s.Types = make(map[string]*ast.Definition, len(pub.Types))
	for name, d := range pub.Types {
		c := *d
		c.Directives = publicDirectives(d.Directives)
		c.Fields = make(ast.FieldList, len(d.Fields))
		for i, f := range d.Fields {
			fc := *f
			fc.Directives = publicDirectives(f.Directives)
			c.Fields[i] = &fc
		}
		s.Types[name] = &c
	}
	for _, t := range []**ast.Definition{&s.Query, &s.Mutation, &s.Subscription} {
		if *t != nil {
			*t = s.Types[(*t).Name]
		}
	}
	return &s
}

func publicDirectives(list ast.DirectiveList) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range list {
		if !internalDirectives[d.Name] {
			out = append(out, d)
		}
	}
	return out
}
