package schema

import (
	"clientele/internal/resource"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CustomerGroup holds the schema definition for the CustomerGroup entity.
type CustomerGroup struct {
	ent.Schema
}

// Mixin of the CustomerGroup.
func (CustomerGroup) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.CustomerGroups}, referenceMixin{}}
}

// Fields of the CustomerGroup.
func (CustomerGroup) Fields() []ent.Field {
	return []ent.Field{
		maxLen(field.String("name").NotEmpty(), 255).
			Comment("The group's internal name.").
			Annotations(entgql.OrderField("NAME")),
		maxLen(field.String("code").Optional().Nillable().NotEmpty(), 64).
			Comment("A short code for the group, unique within the mode when set.").
			Annotations(entgql.OrderField("CODE")),
	}
}

// Edges of the CustomerGroup.
func (CustomerGroup) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customers", Customer.Type).
			Comment("The customers in the group.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("attachments", Attachment.Type).
			Comment("The files attached to the group.").
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the CustomerGroup.
func (CustomerGroup) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("mode", "code").Unique(),
		index.Fields("mode", "name"),
	}
}

// Annotations of the CustomerGroup.
func (CustomerGroup) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Customer groups of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A group of customers, e.g. for private markets or price lists."),
	}
}
