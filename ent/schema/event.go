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

// Event holds the schema definition for the Event entity: an immutable
// record of something that happened to a resource, written in the same
// transaction as the change, when it commits (see outbox in hooks.go).
type Event struct {
	ent.Schema
}

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.Events}}
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("sequence").
			Immutable().
			Unique().
			Comment("A number that grows with every event, in commit order: the events of one mutation are consecutive, the change first, then what it caused (orders.place, then customers.acquired). Use it as a cursor to follow the log.").
			Annotations(entgql.OrderField("SEQUENCE")),
		field.String("name").
			Immutable().
			Comment("What happened, as <plural_type>.<action>, e.g. customers.create.").
			Annotations(entgql.OrderField("NAME")),
		field.String("resource_type").
			Immutable().
			Comment("The plural type of the resource the event is about, e.g. customers."),
		field.String("resource_id").
			Immutable().
			Comment("The ID of the resource the event is about."),
		field.String("owner_customer_id").
			Optional().
			Nillable().
			Immutable().
			Comment("The ID of the customer who owns the resource, if any.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("payload", map[string]any{}).
			Immutable().
			Comment("The changed fields, by their names in this schema (customerGroupID, totalOrdersCount) and times as Time writes them; never passwords, hashes or tokens. A transition carries its field's from and to.").
			Annotations(entgql.Type("Map")),
	}
}

// Edges of the Event.
func (Event) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("events").
			Field("owner_customer_id").
			Unique().
			Immutable().
			Comment("The customer who owns the resource the event is about, if any."),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("resource_id", "sequence"),
		index.Fields("mode", "name", "sequence"),
		index.Fields("owner_customer_id", "sequence"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("The event log of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		schema.Comment("An immutable record of a create, update, delete or transition of a resource."),
	}
}
