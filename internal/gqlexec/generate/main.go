// Command generate runs gqlgen's code generation (what `gqlgen generate`
// does, from gqlgen.yml) with two changes to the executor it writes:
//
//   - Objects without a Batched resolver field (see package gqlexec) resolve
//     their fields in the calling goroutine (gqlgen's DisableConcurrency,
//     which it sets only on Mutation). Their context-taking fields are ent
//     edges that entgql has eager-loaded, or computations: a goroutine per
//     field and record only costs CPU.
//   - Lists are marshalled by gqlexec.MarshalSlice instead of
//     graphql.MarshalSliceConcurrently: one element after the other unless
//     the selection below asks for a Batched field.
//   - Objects start their deferred group with gqlexec.NewDeferredGroup,
//     which builds it only when one of their fields is deferred, and are
//     written by gqlexec.Object. Objects whose fields all resolve in the
//     calling goroutine (nothing scheduled, so nothing deferred) use
//     gqlexec.NewObject instead: one allocation, no field set.
//   - Fields are collected through the executionContext's own cache
//     (gqlexec.Collected), which needs no allocation per lookup.
//   - The arguments of a record's field are parsed once per response
//     (gqlexec.Args), not once per record.
//   - Plain fields (a struct field of a leaf type: scalar or enum, with no
//     resolver, method or directive) are marshalled directly. gqlgen runs
//     each through graphql.ResolveField: a field context, a context value,
//     the field middleware chain, a recover, four closures and two boxings
//     of the value, per field and record, for reading a struct field that
//     cannot fail. clientele installs no field middleware (graph.NewServer
//     refuses an extension that would intercept fields), so nothing is
//     skipped but allocations. Plain fields of an object or list type keep
//     the field context gqlgen makes for them (their children's paths and
//     null checks need it) and lose the rest of ResolveField the same way.
//
// It also writes the direct path of queries next to the executor
// (graph/direct.go, from direct.gotpl; see package gqlexec): objects,
// interfaces, lists and leaves written as they are loaded, without the
// executor's tree of marshallers, and the Exec of queries tries it first.
//
// server.go runs it: //go:generate go run -mod=mod ./internal/gqlexec/generate
package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"go/format"
	"go/types"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"

	"clientele/internal/gqlexec"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		log.Fatalf("gqlgen: loading config: %v", err)
	}
	// gqlgen checks the package it writes, which the last direct path
	// (written for the executor being replaced) would not compile with.
	if err := os.Remove(directFile(cfg)); err != nil && !os.IsNotExist(err) {
		log.Fatalf("gqlgen: %v", err)
	}
	p := &sequential{leaves: map[string]bool{}}
	if err := api.Generate(cfg, api.AddPlugin(p)); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
	if err := rewriteSlices(cfg.Exec.Filename, p.leaves); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
	if err := writeDirect(p.data); err != nil {
		log.Fatalf("gqlgen: direct path: %v", err)
	}
}

// sequential is the gqlgen plugin: it runs before the executor is written.
// It also notes the plain leaf fields, by the name of the executor's
// function for them (_Object_field).
type sequential struct {
	leaves map[string]bool
	data   *codegen.Data // for writeDirect, once the executor is written
}

func (*sequential) Name() string { return "clientele-sequential" }

func (p *sequential) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if !o.Root && !f.IsResolver && !f.IsMethod() && !f.HasDirectives() && !f.Stream &&
				f.TypeReference != nil && f.TypeReference.Definition.IsLeafType() {
				p.leaves["_"+o.Name+"_"+f.Name] = true
			}
		}
		if o.Root || o.DisableConcurrency {
			continue
		}
		batched := false
		for _, f := range o.Fields {
			batched = batched || f.IsResolver && gqlexec.Batched[f.Name]
		}
		o.DisableConcurrency = !batched
	}
	p.data = data
	return nil
}

// directFile is where the direct path is written: next to the executor.
func directFile(cfg *config.Config) string {
	return filepath.Join(filepath.Dir(cfg.Exec.Filename), "direct.go")
}

//go:embed direct.gotpl
var directTemplate string

// writeDirect writes the direct path of queries (gqlexec.Direct) next to
// the executor: a function per object type that writes its selection, one
// per type reference that writes a value of it, and directQuery.
func writeDirect(data *codegen.Data) error {
	types := map[string]*config.TypeReference{}
	var add func(t *config.TypeReference)
	add = func(t *config.TypeReference) {
		name := t.MarshalFunc()
		if name == "" || types[name] != nil {
			return
		}
		types[name] = t
		if t.IsSlice() || t.IsPtrToSlice() || t.IsPtrToIntf() || t.IsPtrToPtr() && t.Unmarshaler == nil && !t.IsMarshaler {
			add(t.Elem())
		}
	}
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if directField(f) {
				add(f.TypeReference)
			}
		}
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	ordered := make([]*config.TypeReference, len(names))
	for i, n := range names {
		ordered[i] = types[n]
	}
	funcs := template.FuncMap{}
	funcs["directField"] = directField
	funcs["directObject"] = func(t *config.TypeReference) bool {
		k := t.Definition.Kind
		return (k == ast.Object || k == ast.Interface || k == ast.Union) && !t.IsRoot
	}
	funcs["directTypes"] = func() []*config.TypeReference { return ordered }
	funcs["directLeaf"] = directLeaf
	return templates.Render(templates.Options{
		PackageName:     data.Config.Exec.Package,
		Filename:        directFile(data.Config),
		Template:        directTemplate,
		Data:            data,
		Funcs:           funcs,
		GeneratedHeader: true,
		Packages:        data.Config.Packages,
	})
}

// directLeaf is the statement that writes a leaf value v of t without
// gqlgen's marshaller (which allocates a closure per value), for the
// marshallers whose output gqlexec's writers reproduce (tested against
// them); "" for any other.
func directLeaf(t *config.TypeReference) string {
	if t.Marshaler == nil || t.IsContext || t.CastType != nil || t.HasEnumValues() || t.IsMarshaler {
		return ""
	}
	v, elem := "v", t.GO
	if p, ok := types.Unalias(elem).(*types.Pointer); ok {
		v, elem = "*v", p.Elem()
	}
	basic, _ := types.Unalias(elem).(*types.Basic)
	kind := func(kinds ...types.BasicKind) bool {
		return basic != nil && slices.Contains(kinds, basic.Kind())
	}
	switch t.Marshaler.Pkg().Path() + "." + t.Marshaler.Name() {
	case "github.com/99designs/gqlgen/graphql.MarshalString", "github.com/99designs/gqlgen/graphql.MarshalID":
		if kind(types.String) {
			return "gqlexec.WriteString(w, " + v + ")"
		}
	case "github.com/99designs/gqlgen/graphql.MarshalInt", "github.com/99designs/gqlgen/graphql.MarshalInt64", "github.com/99designs/gqlgen/graphql.MarshalInt32":
		if kind(types.Int, types.Int64, types.Int32) {
			return "gqlexec.WriteInt(w, int64(" + v + "))"
		}
	case "github.com/99designs/gqlgen/graphql.MarshalBoolean":
		if kind(types.Bool) {
			return "gqlexec.WriteBool(w, " + v + ")"
		}
	case "clientele/internal/gqlscalar.MarshalTime":
		if n, ok := types.Unalias(elem).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time" {
			return "w.Write(gqlscalar.AppendTime(w.AvailableBuffer(), " + v + "))"
		}
	}
	return ""
}

// directField reports whether the direct path covers f: a struct field, a
// method or a resolver, without directives, streams, batching or a
// per-request loader (gqlexec.Batched: a record's field; a root field
// runs once), of an object, list or leaf type.
func directField(f *codegen.Field) bool {
	if f.HasDirectives() || f.Stream || f.IsBatch() || f.IsMap() || f.VOkFunc || f.HasHaser ||
		f.IsResolver && !f.Object.Root && gqlexec.Batched[f.Name] || f.TypeReference == nil || f.TypeReference.MarshalFunc() == "" {
		return false
	}
	return f.IsResolver || f.IsMethod() || f.IsVariable()
}

const importPath = `"clientele/internal/gqlexec"`

// rewrites are the executor's calls replaced, each found at least once.
var rewrites = [][2]string{
	{"graphql.MarshalSliceConcurrently(ctx, len(v), ", "gqlexec.MarshalSlice(ctx, sel, len(v), "},
	{"deferred := graphql.NewDeferredGroup(ctx)\n", "deferred := gqlexec.NewDeferredGroup(ctx, fields)\n"},
	{"\n\treturn out\n}\n", "\n\treturn gqlexec.Object(fields, out, len(deferred.Defers))\n}\n"},
	{"graphql.CollectFields(ec.OperationContext, sel, ", "ec.collected.Fields(ec.OperationContext, sel, "},
	{"\t\t\t\tdata = ec._Query(ctx, opCtx.Operation.SelectionSet)\n",
		"\t\t\t\tif b := ec.directQuery(ctx, opCtx.Operation.SelectionSet); b != nil {\n\t\t\t\t\treturn &graphql.Response{Data: b}\n\t\t\t\t}\n\t\t\t\tdata = ec._Query(ctx, opCtx.Operation.SelectionSet)\n"},
	{"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n}\n",
		"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\tcollected gqlexec.Collected\n}\n"},
}

// plainField is gqlgen's function for a field read from a struct field:
// its name, the struct field, the value's Go type and the marshaller.
var plainField = regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj [^)]+\) \(ret graphql\.Marshaler\) \{\n)` +
	`\treturn graphql\.ResolveField\(\n\t\tctx,\n\t\tec\.OperationContext,\n\t\tfield,\n` +
	`\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{\n\t\t\treturn ec\.fieldContext\w+\(ctx, field\)\n\t\t\},\n` +
	`\t\tfunc\(ctx context\.Context\) \(any, error\) \{\n\t\t\treturn obj\.(\w+), nil\n\t\t\},\n` +
	`\t\tnil,\n` +
	`\t\tfunc\(ctx context\.Context, selections ast\.SelectionSet, v ([^)]+)\) graphql\.Marshaler \{\n\t\t\treturn ec\.(marshal[^(]+)\(ctx, selections, v\)\n\t\t\},\n` +
	`\t\ttrue,\n\t\t(true|false),\n\t\)\n\}\n`)

// plainLeaves replaces gqlgen's function of every plain leaf field by a
// direct call of its marshaller. A nullable value (a pointer) must have a
// nullable marshaller (marshalO…), which writes null for nil. Leaves that
// gqlgen reads through a method or getter keep ResolveField; if no field at
// all matches, gqlgen's template changed and generation fails.
func plainLeaves(src string, leaves map[string]bool) (string, error) {
	done := map[string]bool{}
	out := plainField.ReplaceAllStringFunc(src, func(fn string) string {
		m := plainField.FindStringSubmatch(fn)
		name, field, typ, marshal := m[2], m[3], m[4], m[5]
		if !leaves[name] {
			// An object or list: its children need the field's context
			// (their paths, the null checks of marshalN…, the loaders'
			// look at Result to find a record's list), so it is made and
			// filled as gqlgen does; only the middleware and recover go.
			done[name] = true
			fieldContext := "fieldContext" + name
			return m[1] + "\tfc, err := ec." + fieldContext + "(ctx, field)\n\tif err != nil {\n\t\treturn graphql.Null\n\t}\n" +
				"\tfc.Result = obj." + field + "\n" +
				"\treturn ec." + marshal + "(graphql.WithFieldContext(ctx, fc), field.Selections, obj." + field + ")\n}\n"
		}
		if strings.HasPrefix(typ, "*") && !strings.HasPrefix(marshal, "marshalO") {
			return fn
		}
		done[name] = true
		return m[1] + "\treturn ec." + marshal + "(ctx, field.Selections, obj." + field + ")\n}\n"
	})
	if len(done) == 0 {
		return "", fmt.Errorf("no plain leaf field rewritten: gqlgen's template changed, update internal/gqlexec/generate")
	}
	return out, nil
}

// fieldArgs is the parsing of a field's arguments in its field context.
var fieldArgs = regexp.MustCompile(`if fc\.Args, err = ec\.field_(\w+?)_(\w+)_args\(ctx, field\.ArgumentMap\(ec\.Variables\)\); err != nil \{`)

// sharedArgs parses the arguments of the fields of records once per
// response (gqlexec.Args). Root fields run once anyway; their arguments
// (mutation inputs) stay the resolver's own.
func sharedArgs(src string) (string, error) {
	n := 0
	out := fieldArgs.ReplaceAllStringFunc(src, func(s string) string {
		m := fieldArgs.FindStringSubmatch(s)
		if m[1] == "Query" || m[1] == "Mutation" || m[1] == "Subscription" {
			return s
		}
		n++
		return "if fc.Args, err = gqlexec.Args(ctx, field, func() (map[string]any, error) {\n" +
			"return ec.field_" + m[1] + "_" + m[2] + "_args(ctx, field.ArgumentMap(ec.Variables))\n}); err != nil {"
	})
	if n == 0 {
		return "", fmt.Errorf("no field arguments found: gqlgen's template changed, update internal/gqlexec/generate")
	}
	return out, nil
}

// objectFunc is gqlgen's executor function of an object type, as the
// rewrites above leave it: its field set, its deferred group, the loop over
// its fields and the return of gqlexec.Object.
var objectFunc = regexp.MustCompile(`(?ms)^func \(ec \*executionContext\) _\w+\(ctx context\.Context, sel ast\.SelectionSet, obj [^)]+\) graphql\.Marshaler \{\n.*?^\}\n`)

// The parts of an object function that a sequential one does without.
const (
	objectHead = "\tout := graphql.NewFieldSet(fields)\n\tdeferred := gqlexec.NewDeferredGroup(ctx, fields)\n"
	objectTail = "\tout.Dispatch(ctx)\n\tif out.Invalids > 0 {\n\t\treturn graphql.Null\n\t}\n\n" +
		"\tif n := len(deferred.Defers); n > 0 {\n\t\tatomic.AddInt32(&ec.Deferred, int32(min(n, math.MaxInt32)))\n\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n" +
		"\treturn gqlexec.Object(fields, out, len(deferred.Defers))\n}\n"
)

// sequentialObjects writes the objects whose fields all resolve in the
// calling goroutine with gqlexec.NewObject instead of a graphql.FieldSet:
// nothing in them is scheduled (ResolveConcurrently) or deferred (only a
// scheduled field can be), so the field set, its values, the deferred group
// and gqlexec.Object's wrapper were four allocations per object where one
// does. Objects with a concurrent field keep gqlgen's code.
func sequentialObjects(src string) (string, error) {
	n := 0
	out := objectFunc.ReplaceAllStringFunc(src, func(fn string) string {
		if strings.Contains(fn, "Concurrently(") || strings.Count(fn, "deferred") != 4 ||
			strings.Count(fn, objectHead) != 1 || !strings.HasSuffix(fn, objectTail) {
			return fn
		}
		n++
		fn = strings.Replace(fn, objectHead, "\tout := gqlexec.NewObject(fields)\n", 1)
		return strings.TrimSuffix(fn, objectTail) + "\tif out.Invalids > 0 {\n\t\treturn graphql.Null\n\t}\n\treturn out\n}\n"
	})
	if n == 0 {
		return "", fmt.Errorf("no sequential object rewritten: gqlgen's template changed, update internal/gqlexec/generate")
	}
	return out, nil
}

// rewriteSlices points the executor's list marshalling at gqlexec and
// rewrites the plain leaf fields.
func rewriteSlices(path string, leaves map[string]bool) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := plainLeaves(string(src), leaves)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if out, err = sharedArgs(out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range rewrites {
		if !bytes.Contains(src, []byte(r[0])) {
			return fmt.Errorf("%s: no %q: gqlgen's template changed, update internal/gqlexec/generate", path, r[0])
		}
		out = strings.ReplaceAll(out, r[0], r[1])
	}
	if out, err = sequentialObjects(out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	i := strings.Index(out, "import (\n")
	if i < 0 {
		return fmt.Errorf("%s: no import block", path)
	}
	out = out[:i+len("import (\n")] + "\t" + importPath + "\n" + out[i+len("import (\n"):]
	formatted, err := format.Source([]byte(out))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, formatted, 0o644)
}
