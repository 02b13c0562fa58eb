package graph

import (
	"context"

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
