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
	return &s
})
