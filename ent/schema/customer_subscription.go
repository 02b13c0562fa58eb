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

// CustomerSubscription holds the schema definition for the
// CustomerSubscription entity: a newsletter or marketing opt-in.
type CustomerSubscription struct {
	ent.Schema
}

// Mixin of the CustomerSubscription.
func (CustomerSubscription) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.CustomerSubscriptions}}
}

// Fields of the CustomerSubscription.
func (CustomerSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable().Comment("The ID of the subscribed customer."),
		maxLen(field.String("reference").NotEmpty(), 255).
			Comment("The subscription's topic key, e.g. newsletter; unique per customer.").
			Annotations(entgql.OrderField("REFERENCE")),
		maxLen(field.String("reference_origin").Optional().Nillable(), 255).
			Comment("The name of the external system that defines `reference`.").
			Annotations(entgql.OrderField("REFERENCE_ORIGIN")),
		metadataField(),
	}
}

// Edges of the CustomerSubscription.
func (CustomerSubscription) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("customer_subscriptions").
			Field("customer_id").
			Immutable().
			Unique().
			Required().
			Comment("The subscribed customer."),
	}
}

// Indexes of the CustomerSubscription.
func (CustomerSubscription) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "reference").Unique(),
	}
}

// Annotations of the CustomerSubscription.
func (CustomerSubscription) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Newsletter subscriptions of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A customer's newsletter or marketing subscription, keyed by topic."),
	}
}
