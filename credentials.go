package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"clientele/ent"
	"clientele/ent/credential"
	"clientele/internal/auth"
	"clientele/internal/store"
	"clientele/internal/viewer"
)

// credentialArgs are the flags of `clientele credentials …`.
type credentialArgs struct {
	action, kind, role, mode, name string
	json                           bool
	target                         string
}

// parseCredentialArgs reads `credentials <create|list|revoke> [flags] [id]`.
func parseCredentialArgs(cfg *Config, fs *flag.FlagSet, args []string) error {
	a := &cfg.Credentials
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		credentialFlags(fs, a)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return fmt.Errorf("usage: clientele credentials create|list|revoke [flags]")
	}
	*a = credentialArgs{action: args[0]}
	credentialFlags(fs, a)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg.Args = fs.Args()
	if len(cfg.Args) > 0 {
		a.target = cfg.Args[0]
	}
	return nil
}

func credentialFlags(fs *flag.FlagSet, a *credentialArgs) {
	fs.StringVar(&a.kind, "kind", "integration", "integration or sales_channel")
	fs.StringVar(&a.role, "role", "", "admin or read_only (integrations only)")
	fs.StringVar(&a.mode, "mode", "test", "test or live")
	fs.StringVar(&a.name, "name", "", "a name to recognise the credential by")
	fs.BoolVar(&a.json, "json", false, "print JSON")
}

// credentials runs `clientele credentials …`.
func credentials(ctx context.Context, cfg Config, stdout io.Writer) error {
	db, err := openMigrated(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	a := cfg.Credentials
	switch a.action {
	case "create":
		mode, err := viewer.ParseMode(a.mode)
		if err != nil {
			return err
		}
		cr, err := auth.CreateCredential(ctx, db.Client, a.kind, a.role, mode, a.name)
		if err != nil {
			return err
		}
		if a.json {
			return json.NewEncoder(stdout).Encode(cr)
		}
		fmt.Fprintf(stdout, "created %s credential %s (mode %s)\nclient_id=%s\n", strings.TrimSpace(cr.Kind+" "+cr.Role), cr.ID, cr.Mode, cr.ClientID)
		if cr.ClientSecret != "" {
			fmt.Fprintf(stdout, "client_secret=%s\n(the secret is shown only now)\n", cr.ClientSecret)
		}
		return nil
	case "list":
		list, err := db.Client.Credential.Query().Order(ent.Asc(credential.FieldCreatedAt)).All(ctx)
		if err != nil {
			return err
		}
		if a.json {
			type row struct {
				ID, Kind, Role, Mode, Name, ClientID string
				Revoked                              bool
			}
			out := []row{}
			for _, c := range list {
				role := ""
				if c.Role != nil {
					role = string(*c.Role)
				}
				out = append(out, row{c.ID, string(c.Kind), role, c.Mode.Lower(), c.Name, c.ClientID, c.RevokedAt != nil})
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tROLE\tMODE\tCLIENT_ID\tSTATUS\tNAME")
		for _, c := range list {
			role, status := "-", "active"
			if c.Role != nil {
				role = string(*c.Role)
			}
			if c.RevokedAt != nil {
				status = "revoked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, role, c.Mode.Lower(), c.ClientID, status, c.Name)
		}
		return tw.Flush()
	case "revoke":
		if a.target == "" {
			return fmt.Errorf("usage: clientele credentials revoke <id or client_id>")
		}
		if err := auth.Revoke(ctx, db.Client, a.target, time.Now()); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "revoked", a.target)
		return nil
	}
	return fmt.Errorf("unknown credentials action %q (want create, list or revoke)", a.action)
}

// firstStart makes local use one step: on a database without any
// credential it creates a test-mode integration admin and prints a token
// for it once. It never does so in live mode (the credential is test-mode)
// and never again once a credential exists.
func firstStart(ctx context.Context, db *store.DB, tokens *auth.Service, stdout io.Writer) error {
	n, err := db.Client.Credential.Query().Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	cr, err := auth.CreateCredential(ctx, db.Client, "integration", "admin", viewer.Test, "first-start admin (test mode)")
	if err != nil {
		return err
	}
	row, err := db.Client.Credential.Get(ctx, cr.ID)
	if err != nil {
		return err
	}
	tok, exp, err := tokens.Issue(row, "", "access")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "First start: created a test-mode integration admin credential.\n"+
		"  client_id=%s\n  client_secret=%s\n"+
		"A token valid until %s (paste it into GraphiQL's Token field at / or send Authorization: Bearer <token>):\n"+
		"CLIENTELE_ADMIN_TOKEN=%s\n", cr.ClientID, cr.ClientSecret, exp.UTC().Format(time.RFC3339), tok)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
