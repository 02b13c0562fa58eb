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

// Address holds the schema definition for the Address entity.
type Address struct {
	ent.Schema
}

// Mixin of the Address.
func (Address) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.Addresses}, referenceMixin{}}
}

func optionalText(name string, n int, comment string) ent.Field {
	return maxLen(field.String(name).Optional().Nillable(), n).Comment(comment)
}

// Fields of the Address.
func (Address) Fields() []ent.Field {
	return []ent.Field{
		field.Bool("business").
			Default(false).
			Comment("Whether this is a business address (company required) rather than a personal one (first and last name required)."),
		optionalText("first_name", 255, "The first name; required for a personal address."),
		optionalText("last_name", 255, "The last name; required for a personal address."),
		optionalText("company", 255, "The company name; required for a business address."),
		maxLen(field.String("line_1").NotEmpty(), 255).
			Comment("The first line of the address: street, PO box."),
		optionalText("line_2", 255, "The second line of the address: apartment, suite, floor."),
		maxLen(field.String("city").NotEmpty(), 255).
			Comment("The city.").
			Annotations(entgql.OrderField("CITY")),
		optionalText("zip_code", 32, "The ZIP or postal code."),
		maxLen(field.String("state_code").Optional().Nillable(), 64).
			Comment("The state, province or region code.").
			Annotations(entgql.OrderField("STATE_CODE")),
		field.String("country_code").
			Validate(validateCountryCode).
			Comment("The ISO 3166-1 alpha-2 country code, e.g. IT.").
			Annotations(entgql.OrderField("COUNTRY_CODE")),
		maxLen(field.String("phone").NotEmpty(), 64).
			Comment("The phone number for delivery."),
		maxLen(field.String("email").Optional().Nillable(), 254).
			Validate(validateEmail).
			Comment("An email address for delivery notices."),
		optionalText("notes", 1024, "Delivery instructions."),
		field.Float("lat").Optional().Nillable().Min(-90).Max(90).
			Comment("The latitude, when geocoded."),
		field.Float("lng").Optional().Nillable().Min(-180).Max(180).
			Comment("The longitude, when geocoded."),
		optionalText("billing_info", 255, "Billing details such as a VAT number or tax code."),
		field.String("full_name").Default("").
			Comment("The company for a business address, otherwise the first and last name.").
			Annotations(noInput),
		field.String("full_address").Default("").
			Comment("The address on one line, without the name.").
			Annotations(noInput),
		field.String("name").Default("").
			Comment("The address on one line, with the name.").
			Annotations(noInput),
		field.Bool("is_localized").Default(false).
			Comment("Whether the address has coordinates (lat and lng).").
			Annotations(noInput),
		field.String("created_by_customer_id").Optional().Nillable().Immutable().
			Comment("The customer whose token created the address; lets that customer see it before linking it.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Address.
func (Address) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer_addresses", CustomerAddress.Type).
			Comment("The address-book entries that point to this address.").
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the Address.
func (Address) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("mode", "country_code", "city"),
	}
}

// Annotations of the Address.
func (Address) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Addresses of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A postal address, referenced by address-book entries."),
	}
}
