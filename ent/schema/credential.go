package schema

import (
	"time"

	"clientele/internal/ids"
	"clientele/internal/viewer"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Credential holds the schema definition for the Credential entity: an API
// client that can get tokens. It is managed from the CLI, never over
// GraphQL, and read without a mode (the credential decides the mode).
type Credential struct {
	ent.Schema
}

// Fields of the Credential.
func (Credential) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().DefaultFunc(ids.NewFunc(ids.Credential)),
		field.Enum("mode").GoType(viewer.Mode("")).Immutable(),
		field.Enum("kind").Values("integration", "sales_channel").Immutable(),
		field.Enum("role").Values("admin", "read_only").Optional().Nillable().Immutable(),
		field.String("name").Default(""),
		field.String("client_id").Unique().Immutable(),
		field.String("secret_hash").Optional().Nillable().Sensitive().Immutable().
			Comment("SHA-256 of the client secret (secrets are 256 random bits, so a fast hash suffices)."),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Indexes of the Credential.
func (Credential) Indexes() []ent.Index {
	return []ent.Index{index.Fields("mode", "kind")}
}

// Annotations of the Credential.
func (Credential) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Setting holds server-wide values, such as the token signing key when none
// is configured. It is internal.
type Setting struct {
	ent.Schema
}

// Fields of the Setting.
func (Setting) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("value").Sensitive(),
	}
}

// Annotations of the Setting.
func (Setting) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
