//go:build ignore

// entc generates the ent code and, through entgql, graph/ent.graphqls. It
// runs from the repository root (see the go:generate line in server.go), so
// the paths below are spelled exactly as in gqlgen.yml.
package main

import (
	"fmt"
	"log"
	"os"
	"strings"
	"unicode"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		// Our nested totalCount (ent/template/load_total.tmpl) and root
		// Paginate body (ent/template/paginate.tmpl) replace entgql's
		// helpers of the same names; options that add templates (where
		// inputs) must come after this one.
		entgql.WithTemplates(append(entgql.AllTemplates,
			gen.MustParse(gen.NewTemplate("load_total").ParseFiles("./ent/template/load_total.tmpl")),
			gen.MustParse(gen.NewTemplate("paginate").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/paginate.tmpl")))...),
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphqls"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithSchemaHook(describe),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	// resource.tmpl gives hand-written code generic access to the tables
	// of the resources (ent/resource.go).
	resource := gen.MustParse(gen.NewTemplate("resource").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/resource.tmpl"))
	// table.tmpl describes each resource table (columns, edges, what
	// GraphQL reads, filters, orders and writes) and reads and writes
	// records by table name, for the REST transport (ent/table.go).
	table := gen.MustParse(gen.NewTemplate("table").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/table.tmpl"))
	// row_count.tmpl: the per-mode row counters behind root totalCounts.
	rowCount := gen.MustParse(gen.NewTemplate("row_count").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/row_count.tmpl"))
	// limit_per_row.tmpl: a nested connection's page per parent, cheaper
	// on SQLite than entgql's window query (see rewriteGenerated).
	limitPerRow := gen.MustParse(gen.NewTemplate("limit_per_row").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/limit_per_row.tmpl"))
	err = entc.Generate("./ent/schema", &gen.Config{
		Templates: []*gen.Template{resource, table, rowCount, limitPerRow},
		Target:    "./ent",
		Package:   "clientele/ent",
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureIntercept,
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureExecQuery,
			gen.FeatureNamedEdges,
			gen.FeatureModifier,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
	if err := rewriteGenerated(); err != nil {
		log.Fatalf("rewriting generated code: %v", err)
	}
}

// rewriteGenerated changes two things in entgql's output, each where
// entgql's templates have no way in but one whole template:
//
//   - gql_collection.go loads a nested connection's page per parent with
//     query.limitPerRow (ent/template/limit_per_row.tmpl) instead of
//     entgql.LimitPerRow;
//   - a connection's build keeps the first `first` (or `last`) nodes of
//     however many it is given, not only of first+1: on SQLite the nested
//     page may hold more rows of a parent than the page (limitPerRowPlain).
//     For first+1 nodes, the one case entgql meets, the result is the same.
//
// Each rewrite must find what it replaces, so an entgql upgrade that
// changes the text fails generation instead of dropping the rewrite.
func rewriteGenerated() error {
	for _, r := range []struct {
		file, old, new string
	}{
		{"./ent/gql_collection.go", "entgql.LimitPerRow(", "query.limitPerRow("},
		{"./ent/gql_pagination.go",
			"\tif first != nil && *first+1 == len(nodes) {\n\t\tc.PageInfo.HasNextPage = true\n\t\tnodes = nodes[:len(nodes)-1]\n\t} else if last != nil && *last+1 == len(nodes) {\n\t\tc.PageInfo.HasPreviousPage = true\n\t\tnodes = nodes[:len(nodes)-1]\n\t}",
			"\tif first != nil && len(nodes) > *first {\n\t\tc.PageInfo.HasNextPage = true\n\t\tnodes = nodes[:*first]\n\t} else if last != nil && len(nodes) > *last {\n\t\tc.PageInfo.HasPreviousPage = true\n\t\tnodes = nodes[:*last]\n\t}"},
	} {
		b, err := os.ReadFile(r.file)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), r.old) {
			return fmt.Errorf("%s: %q not found", r.file, r.old)
		}
		if err := os.WriteFile(r.file, []byte(strings.ReplaceAll(string(b), r.old, r.new)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// describe gives every generated type, field, argument and enum value a
// description, because introspection is the API's documentation. Ent
// comments already describe entities and their fields; this fills in what
// entgql generates on its own (inputs, filters, orderings, connections).
func describe(g *gen.Graph, s *ast.Schema) error {
	comments := map[string]string{}
	for _, n := range g.Nodes {
		name := n.Name
		if ant, ok := n.Annotations["EntGQL"].(map[string]any); ok {
			if t, ok := ant["Type"].(string); ok && t != "" {
				name = t
			}
		}
		if c, ok := n.Annotations["Comment"].(map[string]any); ok {
			if text, ok := c["Text"].(string); ok {
				comments[name] = text
			}
		}
	}
	for _, def := range s.Types {
		if strings.HasPrefix(def.Name, "__") || def.BuiltIn {
			continue
		}
		if c := comments[def.Name]; c != "" {
			def.Description = c
		} else if def.Description == "" || strings.Contains(def.Description, "generated by ent") || strings.Contains(def.Description, " is enum for the field ") {
			def.Description = typeDescription(def)
		}
		for _, f := range def.Fields {
			if f.Description == "" || strings.HasSuffix(f.Description, " field predicates") || strings.HasSuffix(f.Description, " edge predicates") {
				f.Description = fieldDescription(def, f.Name)
			}
			for _, a := range f.Arguments {
				if a.Description == "" {
					a.Description = argDescription(a.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			if v.Description == "" {
				v.Description = enumValueDescription(def.Name, v.Name)
			}
		}
	}
	return nil
}

func typeDescription(def *ast.Definition) string {
	n := def.Name
	switch {
	case n == "Query":
		return "The root of all reads. Every list is a Relay connection; node and nodes fetch any record by its ID."
	case strings.HasSuffix(n, "Connection"):
		return fmt.Sprintf("A Relay connection: a page of %s records.", strings.TrimSuffix(n, "Connection"))
	case strings.HasSuffix(n, "Edge"):
		return fmt.Sprintf("An edge of a %sConnection: one record and its cursor.", strings.TrimSuffix(n, "Edge"))
	case strings.HasSuffix(n, "OrderField"):
		return fmt.Sprintf("The fields %s records can be ordered by.", strings.TrimSuffix(n, "OrderField"))
	case strings.HasSuffix(n, "Order") && def.Kind == ast.InputObject:
		return fmt.Sprintf("One term of an ordering of %s records: a field and a direction.", strings.TrimSuffix(n, "Order"))
	case strings.HasSuffix(n, "WhereInput"):
		return fmt.Sprintf("Filters for %s records. Conditions on different fields are ANDed; use or/not for other combinations.", strings.TrimSuffix(n, "WhereInput"))
	case strings.HasPrefix(n, "Create") && strings.HasSuffix(n, "Input"):
		return fmt.Sprintf("The fields of a new %s.", strings.TrimSuffix(strings.TrimPrefix(n, "Create"), "Input"))
	case strings.HasPrefix(n, "Update") && strings.HasSuffix(n, "Input"):
		return fmt.Sprintf("The fields of a %s to change; omitted fields keep their value.", strings.TrimSuffix(strings.TrimPrefix(n, "Update"), "Input"))
	case def.Kind == ast.Enum:
		return fmt.Sprintf("The values of %s.", words(n))
	}
	return fmt.Sprintf("The %s type.", n)
}

// words turns firstName into "first name".
func words(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.ReplaceAll(b.String(), "i d", "ID")
}

// predicates are the entgql where-input suffixes, longest first.
var predicates = []struct{ suffix, text string }{
	{"ContainsFold", "contains the value, ignoring case"},
	{"EqualFold", "equals the value, ignoring case"},
	{"HasPrefix", "starts with the value"},
	{"HasSuffix", "ends with the value"},
	{"Contains", "contains the value"},
	{"NotIn", "is none of the values"},
	{"NotNil", "is set"},
	{"IsNil", "is not set"},
	{"NEQ", "is not equal to the value"},
	{"GTE", "is greater than or equal to the value"},
	{"LTE", "is less than or equal to the value"},
	{"GT", "is greater than the value"},
	{"LT", "is less than the value"},
	{"In", "is one of the values"},
}

func fieldDescription(def *ast.Definition, name string) string {
	if strings.HasSuffix(def.Name, "WhereInput") {
		switch name {
		case "not":
			return "Matches records that do not match this filter."
		case "and":
			return "Matches records that match every filter in the list."
		case "or":
			return "Matches records that match at least one filter in the list."
		}
		for _, p := range predicates {
			if f, ok := strings.CutSuffix(name, p.suffix); ok && f != "" {
				return fmt.Sprintf("Matches records whose %s %s.", words(f), p.text)
			}
		}
		if rest, ok := strings.CutPrefix(name, "has"); ok && rest != "" && unicode.IsUpper(rune(rest[0])) {
			if edge, ok := strings.CutSuffix(rest, "With"); ok {
				return fmt.Sprintf("Matches records with at least one %s matching all the given filters.", words(edge))
			}
			return fmt.Sprintf("Matches records that have (true) or lack (false) a %s.", words(rest))
		}
		return fmt.Sprintf("Matches records whose %s equals the value.", words(name))
	}
	switch name {
	case "edges":
		return "The records of this page, with their cursors."
	case "node":
		return "The record."
	case "cursor":
		return "An opaque cursor for this record, for after/before."
	case "pageInfo":
		return "Where this page sits in the whole list."
	case "totalCount":
		return "The number of records in the whole list, ignoring pagination."
	case "direction":
		return "The direction to order in; ascending by default."
	case "field":
		return "The field to order by."
	}
	if strings.HasPrefix(def.Name, "Update") {
		if f, ok := strings.CutPrefix(name, "clear"); ok {
			return fmt.Sprintf("Unsets the %s.", words(f))
		}
	}
	return fmt.Sprintf("The %s.", words(name))
}

func argDescription(name string) string {
	switch name {
	case "after":
		return "Returns the records after this cursor."
	case "first":
		return "Returns the first n records (default 20, at most 100)."
	case "before":
		return "Returns the records before this cursor."
	case "last":
		return "Returns the last n records (at most 100)."
	case "orderBy":
		return "The ordering of the records; ties are broken by ID."
	case "where":
		return "Filters the records."
	}
	return fmt.Sprintf("The %s.", words(name))
}

// enumValues describes the values of the state enums.
var enumValues = map[string]string{
	"CustomerStatus.PROSPECT":             "The customer has not placed an order yet.",
	"CustomerStatus.ACQUIRED":             "The customer has placed exactly one order.",
	"CustomerStatus.REPEAT":               "The customer has placed two or more orders.",
	"OrderStatus.DRAFT":                   "The order was created and is not ready to place.",
	"OrderStatus.PENDING":                 "The order has a customer and items and can be placed.",
	"OrderStatus.PLACED":                  "The order was placed.",
	"OrderStatus.APPROVED":                "The order was approved and can be fulfilled.",
	"OrderStatus.CANCELLED":               "The order was cancelled after placement.",
	"OrderPaymentStatus.UNPAID":           "No payment was taken yet.",
	"OrderPaymentStatus.AUTHORIZED":       "The payment was authorized at placement.",
	"OrderPaymentStatus.PAID":             "The payment was captured.",
	"OrderPaymentStatus.VOIDED":           "The authorization was voided by a cancellation.",
	"OrderPaymentStatus.REFUNDED":         "The payment was refunded.",
	"OrderPaymentStatus.FREE":             "The order total is zero.",
	"OrderFulfillmentStatus.UNFULFILLED":  "Nothing was shipped yet.",
	"OrderFulfillmentStatus.IN_PROGRESS":  "Fulfillment has started.",
	"OrderFulfillmentStatus.FULFILLED":    "Everything was shipped.",
	"OrderFulfillmentStatus.NOT_REQUIRED": "Nothing needs shipping.",
	"OrderSubscriptionStatus.DRAFT":       "The subscription was created and is not active yet.",
	"OrderSubscriptionStatus.INACTIVE":    "The subscription is paused.",
	"OrderSubscriptionStatus.ACTIVE":      "The subscription generates orders.",
	"OrderSubscriptionStatus.CANCELLED":   "The subscription was cancelled for good.",
	"ReturnStatus.DRAFT":                  "The return was created and not requested yet.",
	"ReturnStatus.REQUESTED":              "The customer asked to return the items.",
	"ReturnStatus.APPROVED":               "The return was approved.",
	"ReturnStatus.CANCELLED":              "The return was cancelled before approval.",
	"ReturnStatus.SHIPPED":                "The items were shipped back.",
	"ReturnStatus.REJECTED":               "The received parcel was refused.",
	"ReturnStatus.RECEIVED":               "The items arrived back.",
	"ReturnStatus.REFUNDED":               "The customer was refunded.",
}

func enumValueDescription(enum, value string) string {
	if d, ok := enumValues[enum+"."+value]; ok {
		return d
	}
	switch {
	case enum == "OrderDirection" && value == "ASC":
		return "Ascending order."
	case enum == "OrderDirection" && value == "DESC":
		return "Descending order."
	case strings.HasSuffix(enum, "OrderField"):
		return fmt.Sprintf("Order by %s.", words(strings.ToLower(value)))
	}
	return fmt.Sprintf("The %s value of %s.", value, enum)
}
