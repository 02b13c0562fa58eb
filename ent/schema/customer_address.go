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

// CustomerAddress holds the schema definition for the CustomerAddress
// entity: one entry of a customer's address book.
type CustomerAddress struct {
	ent.Schema
}

// Mixin of the CustomerAddress.
func (CustomerAddress) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.CustomerAddresses}, referenceMixin{}}
}

// Fields of the CustomerAddress.
func (CustomerAddress) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable().Comment("The ID of the customer that owns the entry."),
		field.String("address_id").Comment("The ID of the address the entry points to."),
		field.String("name").Default("").
			Comment("A copy of the linked address's name (the address on one line, with the name), kept in step with the address.").
			Annotations(noInput),
	}
}

// Edges of the CustomerAddress.
func (CustomerAddress) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("customer_addresses").
			Field("customer_id").
			Immutable().
			Unique().
			Required().
			Comment("The customer that owns the entry."),
		edge.From("address", Address.Type).
			Ref("customer_addresses").
			Field("address_id").
			Unique().
			Required().
			Comment("The address the entry points to."),
	}
}

// Indexes of the CustomerAddress.
func (CustomerAddress) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
		index.Fields("address_id"),
	}
}

// Annotations of the CustomerAddress.
func (CustomerAddress) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Address-book entries of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("An entry of a customer's address book, linking the customer to an address."),
	}
}
