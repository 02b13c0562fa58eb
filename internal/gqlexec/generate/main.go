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
//     which builds it only when one of their fields is deferred.
//
// server.go runs it: //go:generate go run -mod=mod ./internal/gqlexec/generate
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"

	"clientele/internal/gqlexec"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		log.Fatalf("gqlgen: loading config: %v", err)
	}
	if err := api.Generate(cfg, api.AddPlugin(sequential{})); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
	if err := rewriteSlices(cfg.Exec.Filename); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
}

// sequential is the gqlgen plugin: it runs before the executor is written.
type sequential struct{}

func (sequential) Name() string { return "clientele-sequential" }

func (sequential) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if o.Root || o.DisableConcurrency {
			continue
		}
		batched := false
		for _, f := range o.Fields {
			batched = batched || f.IsResolver && gqlexec.Batched[f.Name]
		}
		o.DisableConcurrency = !batched
	}
	return nil
}

const importPath = `"clientele/internal/gqlexec"`

// rewrites are the executor's calls replaced, each found at least once.
var rewrites = [][2]string{
	{"graphql.MarshalSliceConcurrently(ctx, len(v), ", "gqlexec.MarshalSlice(ctx, sel, len(v), "},
	{"deferred := graphql.NewDeferredGroup(ctx)\n", "deferred := gqlexec.NewDeferredGroup(ctx, fields)\n"},
}

// rewriteSlices points the executor's list marshalling at gqlexec.
func rewriteSlices(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out := string(src)
	for _, r := range rewrites {
		if !bytes.Contains(src, []byte(r[0])) {
			return fmt.Errorf("%s: no %q: gqlgen's template changed, update internal/gqlexec/generate", path, r[0])
		}
		out = strings.ReplaceAll(out, r[0], r[1])
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
