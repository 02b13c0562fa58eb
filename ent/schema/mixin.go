package schema

import (
	"clientele/internal/ids"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// noInput keeps a field out of the generated create and update inputs: the
// server sets it, callers never do (no mass assignment).
var noInput = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// resourceMixin holds what every resource carries: a prefixed, time-ordered
// ID, its mode, its creation and update times and (but for the event log,
// which never changes) its version; and it installs the hooks, policy and
// interceptors its description (package resource) calls for.
type resourceMixin struct {
	mixin.Schema
	name resource.Name
}

func (m resourceMixin) Fields() []ent.Field {
	fields := []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			DefaultFunc(ids.NewFunc(resource.Get(m.name).Prefix)).
			Comment("The resource's globally unique, opaque identifier."),
		field.Enum("mode").
			GoType(viewer.Mode("")).
			Immutable().
			Comment("The environment the resource belongs to, fixed by the credential that created it.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Both times come from the clock in the context (timesHook), so
		// that a test's or a seed's clock decides them like every other
		// time the rules set.
		field.Time("created_at").
			Immutable().
			Comment("When the resource was created.").
			Annotations(entgql.OrderField("CREATED_AT"), noInput),
		field.Time("updated_at").
			Comment("When the resource was last updated.").
			Annotations(entgql.OrderField("UPDATED_AT"), noInput),
	}
	if resource.Get(m.name).Log {
		// Events are never changed: their version would always be 1.
		return fields
	}
	return append(fields, versionField())
}

// Hooks bind writes to the caller's mode, stamp their times, keep the
// version and check an expected one, keep edges inside the mode, turn
// unique violations into TAKEN, apply the state machines and record events.
// The event log only takes creates. The version hook runs before the
// others that can refuse a write, so that a stale write answers CONFLICT
// rather than what the change would have met.
func (m resourceMixin) Hooks() []ent.Hook {
	r := resource.Get(m.name)
	if r.Log {
		return []ent.Hook{modeHook, timesHook, immutableHook}
	}
	hooks := []ent.Hook{modeHook, timesHook, metadataHook, versionHook(r), takenHook, edgeModeHook(r), recordHook(r.Table())}
	if r.AttachedBy != "" {
		hooks = append(hooks, attachmentsHook(r))
	}
	return hooks
}

// Policy decides who may read and write the records (access.go).
func (m resourceMixin) Policy() ent.Policy {
	return accessPolicy(resource.Get(m.name))
}

// Interceptors make every read see only the caller's mode.
func (resourceMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{modeInterceptor}
}

func (resourceMixin) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("mode", "created_at"),
		// Lists are ordered by ID by default, within the caller's mode.
		index.Fields("mode", "id"),
	}
}

// referenceMixin holds the external reference and the free metadata object
// that most resources carry.
type referenceMixin struct {
	mixin.Schema
}

func (referenceMixin) Fields() []ent.Field {
	return []ent.Field{
		maxLen(field.String("reference").Optional().Nillable(), 255).
			Comment("Any identifier of the resource in an external system (ERP, CRM, marketing tool).").
			Annotations(entgql.OrderField("REFERENCE")),
		maxLen(field.String("reference_origin").Optional().Nillable(), 255).
			Comment("The name of the external system that defines `reference`.").
			Annotations(entgql.OrderField("REFERENCE_ORIGIN")),
		metadataField(),
	}
}

func metadataField() ent.Field {
	return field.JSON("metadata", map[string]any{}).
		Default(map[string]any{}).
		Comment("Free key-value pairs attached to the resource. On update the whole object is replaced.").
		Annotations(entgql.Type("Map"))
}
