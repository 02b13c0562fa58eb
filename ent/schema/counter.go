package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Counter holds named, atomically incremented numbers: the event sequence
// and the order and return numbers of each mode. It is internal and not
// exposed over GraphQL.
type Counter struct {
	ent.Schema
}

// Fields of the Counter.
func (Counter) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("The counter's name."),
		field.Int64("value").Default(0).Comment("The counter's last handed-out value."),
	}
}

// Annotations of the Counter.
func (Counter) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
