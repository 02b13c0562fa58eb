// Package auth holds clientele's credentials and tokens: creating and
// revoking API credentials, the OAuth token endpoint (client_credentials,
// password and refresh_token grants), and turning a bearer token back into
// the request's viewer.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	stdsql "database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"clientele/ent"
	"clientele/ent/credential"
	"clientele/ent/customer"
	"clientele/internal/store"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes: access tokens 2 hours, refresh tokens 14 days.
const (
	AccessTTL  = 2 * time.Hour
	RefreshTTL = 14 * 24 * time.Hour
)

// ErrUnauthenticated is returned for missing, malformed, expired or revoked
// credentials and tokens, and for customer tokens whose session ended (the
// password changed) or whose customer no longer exists.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrUnavailable is returned when a token cannot be checked because the
// database failed: the caller's credentials may be fine, so this is not
// ErrUnauthenticated (HTTP 503, not 401). The error's message is safe to
// show a client; the database's error is in its chain for the log.
// It is store.ErrUnavailable, so store.Unavailable recognises it.
var ErrUnavailable = store.ErrUnavailable

// unavailableError wraps a database failure as ErrUnavailable without
// putting the driver's text in the message.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string   { return ErrUnavailable.Error() }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

func unavailable(err error) error { return &unavailableError{cause: err} }

// Service issues and checks tokens.
type Service struct {
	Client *ent.Client
	Key    []byte
	Now    func() time.Time
	// Log receives the database failures behind 503 answers of the token
	// endpoint (slog.Default when nil).
	Log    *slog.Logger
	logins *limiter
	// checks caches credential checks on a database that tells cheaply
	// whether they can have changed (SQLite; PostgreSQL for credential
	// tokens only; nil otherwise).
	checks *checkCache
	// tokens caches the claims of access tokens whose signature checked.
	tokens tokenCache
	// dialect of a database opened by package store: lookup runs its
	// statement directly (lookupSQL); empty: through ent.
	dialect string
}

// NewService returns a token service signing with key. On a database
// opened by package store that offers credential versions (SQLite,
// PostgreSQL), it caches credential checks (see checkCache).
func NewService(c *ent.Client, key []byte) *Service {
	s := &Service{Client: c, Key: key, Now: time.Now, logins: newLimiter(loginRate, loginBurst)}
	if db := store.Of(c); db != nil {
		if _, ok := lookupStatements[db.Dialect]; ok {
			s.dialect = db.Dialect
		}
		if db.HasCredentialVersions() {
			s.checks = &checkCache{versions: db, entries: map[checkKey]checkEntry{}}
		}
	}
	return s
}

// Claims are what a token carries.
type Claims struct {
	Kind       string `json:"knd"`
	Role       string `json:"rol,omitempty"`
	Mode       string `json:"mod"`
	Owner      string `json:"own,omitempty"` // customer ID for customer tokens
	Credential string `json:"cid"`
	Type       string `json:"typ"` // access or refresh
	// Epoch is the owner's session epoch when the token was issued
	// (customer tokens): a password change moves the customer's epoch on
	// and ends every earlier session.
	Epoch int64 `json:"sep,omitempty"`
	jwt.RegisteredClaims
}

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// newClientID returns a random client ID in hex: it is typed on command
// lines (`clientele credentials revoke <client_id>`), where one starting
// with "-" (possible in base64url) would read as a flag.
func newClientID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// NewCredential is a created credential with its secret, shown once.
type NewCredential struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Role         string `json:"role,omitempty"`
	Mode         string `json:"mode"`
	Name         string `json:"name,omitempty"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// CreateCredential creates a credential. Integrations get a role (admin or
// read_only) and a secret; sales channels are public and have neither.
func CreateCredential(ctx context.Context, c *ent.Client, kind, role string, mode viewer.Mode, name string) (*NewCredential, error) {
	b := c.Credential.Create().SetMode(mode).SetName(name).SetClientID(newClientID())
	out := &NewCredential{Kind: kind, Mode: mode.Lower(), Name: name}
	switch kind {
	case "integration":
		if role != "admin" && role != "read_only" {
			return nil, fmt.Errorf("an integration needs --role admin or read_only")
		}
		out.ClientSecret = random(32)
		b.SetKind(credential.KindIntegration).SetRole(credential.Role(role)).SetSecretHash(hashSecret(out.ClientSecret))
		out.Role = role
	case "sales_channel":
		if role != "" {
			return nil, fmt.Errorf("a sales channel has no role")
		}
		b.SetKind(credential.KindSalesChannel)
	default:
		return nil, fmt.Errorf("unknown kind %q (want integration or sales_channel)", kind)
	}
	cr, err := b.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create credential: %w", err)
	}
	out.ID, out.ClientID = cr.ID, cr.ClientID
	return out, nil
}

// Revoke revokes the credential with the given ID or client ID at once:
// tokens issued for it stop working on their next request.
func Revoke(ctx context.Context, c *ent.Client, idOrClientID string, now time.Time) error {
	n, err := c.Credential.Update().
		Where(credential.Or(credential.ID(idOrClientID), credential.ClientID(idOrClientID)), credential.RevokedAtIsNil()).
		SetRevokedAt(now).
		Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no active credential %q", idOrClientID)
	}
	return nil
}

// SigningKey returns the configured key, or the one stored in the database,
// creating it on first use (every replica then shares it).
func SigningKey(ctx context.Context, c *ent.Client, configured string) ([]byte, error) {
	if configured != "" {
		if len(configured) < 32 {
			return nil, errors.New("the signing key must be at least 32 characters")
		}
		return []byte(configured), nil
	}
	const name = "token_signing_key"
	if _, err := c.Setting.Get(ctx, name); ent.IsNotFound(err) {
		// Another replica may create it at the same moment; whichever
		// insert wins, everyone reads the stored key below.
		_ = c.Setting.Create().SetID(name).SetValue(random(32)).Exec(ctx)
	}
	s, err := c.Setting.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	return base64.RawURLEncoding.DecodeString(s.Value)
}

// Issue signs a token of the given type for a credential (and customer).
// A customer token carries the customer's current session epoch, which
// Issue reads from the database; an unknown customer gets epoch 0 (its
// tokens are refused anyway).
func (s *Service) Issue(cr *ent.Credential, owner, typ string) (string, time.Time, error) {
	var epoch int64
	if owner != "" {
		ctx := viewer.SystemContext(context.Background(), cr.Mode)
		n, err := s.Client.Customer.Query().Where(customer.ID(owner)).Select(customer.FieldSessionEpoch).Int(ctx)
		switch {
		case err == nil:
			epoch = int64(n)
		case !ent.IsNotFound(err):
			return "", time.Time{}, unavailable(err)
		}
	}
	return s.issue(cr, owner, epoch, typ)
}

// issue signs a token; epoch is the owner's session epoch.
func (s *Service) issue(cr *ent.Credential, owner string, epoch int64, typ string) (string, time.Time, error) {
	ttl := AccessTTL
	if typ == "refresh" {
		ttl = RefreshTTL
	}
	now := s.Now()
	exp := now.Add(ttl)
	role := ""
	if cr.Role != nil {
		role = string(*cr.Role)
	}
	kind := string(cr.Kind)
	if owner != "" {
		kind = string(viewer.Customer)
	} else {
		epoch = 0
	}
	claims := Claims{
		Kind: kind, Role: role, Mode: string(cr.Mode), Owner: owner, Credential: cr.ID, Type: typ, Epoch: epoch,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        random(12),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			Issuer:    "clientele",
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.Key)
	return tok, exp, err
}

// parse checks a token's signature, expiry and type, and that a customer
// token (and only a customer token) names its customer. The claims of
// access tokens are cached by the token's text: a token seen before is
// only checked for expiry.
func (s *Service) parse(token, typ string) (*Claims, error) {
	if typ == "access" {
		if c := s.tokens.get(token); c != nil {
			if !s.Now().Before(c.ExpiresAt.Time) {
				return nil, ErrUnauthenticated
			}
			return c, nil
		}
	}
	c, err := s.parseSigned(token, typ)
	if err == nil && typ == "access" {
		s.tokens.put(token, c)
	}
	return c, err
}

// parseSigned is parse without the cache.
func (s *Service) parseSigned(token, typ string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return s.Key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("clientele"), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.Now))
	if err != nil || c.Type != typ || (c.Owner != "") != (c.Kind == string(viewer.Customer)) || c.ExpiresAt == nil {
		return nil, ErrUnauthenticated
	}
	return &c, nil
}

// session is what one lookup tells about a token's credential and owner.
type session struct {
	ID   string  `json:"id"`
	Mode string  `json:"mode"`
	Kind string  `json:"kind"`
	Role *string `json:"role"`
	// Epoch is the owner's session epoch; nil when the token has no owner
	// or the owner does not exist (in the token's mode).
	Epoch *int64 `json:"session_epoch"`
}

// credential returns the session's credential, enough to issue tokens.
func (ss *session) credential() *ent.Credential {
	cr := &ent.Credential{ID: ss.ID, Mode: viewer.Mode(ss.Mode), Kind: credential.Kind(ss.Kind)}
	if ss.Role != nil {
		r := credential.Role(*ss.Role)
		cr.Role = &r
	}
	return cr
}

// lookup reads, in one statement, the active credential with the given ID
// and, when owner is set, that customer's session epoch in the given mode
// (a LEFT JOIN on the customer's primary key). A revoked or unknown
// credential gives ErrUnauthenticated; a database failure ErrUnavailable.
func (s *Service) lookup(ctx context.Context, credentialID, owner string, mode viewer.Mode) (*session, error) {
	if s.dialect != "" {
		return s.lookupSQL(ctx, credentialID, owner, mode)
	}
	var rows []session
	err := s.Client.Credential.Query().
		Where(credential.ID(credentialID), credential.RevokedAtIsNil()).
		Modify(func(sel *sql.Selector) {
			cols := []string{sel.C(credential.FieldID), sel.C(credential.FieldMode), sel.C(credential.FieldKind), sel.C(credential.FieldRole)}
			if owner != "" {
				t := sql.Table(customer.Table).As("cu")
				sel.LeftJoin(t).OnP(sql.And(
					sql.EQ(t.C(customer.FieldID), owner),
					sql.EQ(t.C(customer.FieldMode), string(mode)),
				))
				cols = append(cols, sql.As(t.C(customer.FieldSessionEpoch), "session_epoch"))
			}
			sel.Select(cols...)
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, unavailable(err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: the credential was revoked", ErrUnauthenticated)
	}
	return &rows[0], nil
}

// lookupStatements are lookup's statements by dialect and whether the
// token has an owner: the same as lookup's ent query, without building it
// and scanning it by reflection on every request.
var lookupStatements = map[string][2]string{}

func init() {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		var st [2]string
		for i, owner := range []bool{false, true} {
			b := sql.Dialect(d)
			t := sql.Table(credential.Table)
			sel := b.Select(t.C(credential.FieldID), t.C(credential.FieldMode), t.C(credential.FieldKind), t.C(credential.FieldRole)).From(t)
			if owner {
				cu := sql.Table(customer.Table).As("cu")
				sel.LeftJoin(cu).OnP(sql.And(sql.EQ(cu.C(customer.FieldID), "owner"), sql.EQ(cu.C(customer.FieldMode), "mode")))
				sel.AppendSelect(cu.C(customer.FieldSessionEpoch))
			}
			sel.Where(sql.And(sql.EQ(t.C(credential.FieldID), "credential"), sql.IsNull(t.C(credential.FieldRevokedAt))))
			st[i], _ = sel.Query()
		}
		lookupStatements[d] = st
	}
}

// lookupSQL is lookup in a prepared statement of lookupStatements.
func (s *Service) lookupSQL(ctx context.Context, credentialID, owner string, mode viewer.Mode) (*session, error) {
	st := lookupStatements[s.dialect]
	q, args := st[0], []any{credentialID}
	if owner != "" {
		q, args = st[1], []any{owner, string(mode), credentialID}
	}
	rows, err := s.Client.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, unavailable(err)
		}
		return nil, fmt.Errorf("%w: the credential was revoked", ErrUnauthenticated)
	}
	var ss session
	var role stdsql.NullString
	var epoch stdsql.NullInt64
	dest := []any{&ss.ID, &ss.Mode, &ss.Kind, &role}
	if owner != "" {
		dest = append(dest, &epoch)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, unavailable(err)
	}
	if err := rows.Close(); err != nil {
		return nil, unavailable(err)
	}
	if role.Valid {
		ss.Role = &role.String
	}
	if epoch.Valid {
		ss.Epoch = &epoch.Int64
	}
	return &ss, nil
}

// checkSession requires the looked-up session to still hold for a token of
// the given owner and epoch: the customer exists and its session epoch is
// the token's.
func checkSession(ss *session, owner string, epoch int64) error {
	if owner == "" {
		return nil
	}
	if ss.Epoch == nil {
		return fmt.Errorf("%w: the customer no longer exists", ErrUnauthenticated)
	}
	if *ss.Epoch != epoch {
		return fmt.Errorf("%w: the session ended (the password changed); log in again", ErrUnauthenticated)
	}
	return nil
}

// Authenticate returns the viewer of a request: nil without a token (the
// GraphQL layer then allows only __typename), or an error for a bad,
// expired or revoked token, a customer token whose session ended or whose
// customer is gone, or a token in the query string (tokens in URLs leak
// into logs and referrers). Those errors wrap ErrUnauthenticated; when the
// database fails the error wraps ErrUnavailable instead. It runs at most
// one SQL statement (none when cached: cache.go): the credential, joined
// to the customer for customer tokens.
func (s *Service) Authenticate(r *http.Request) (*viewer.Viewer, error) {
	if q := r.URL.Query(); q.Has("access_token") || q.Has("token") {
		return nil, fmt.Errorf("%w: send the token in the Authorization header, not the URL", ErrUnauthenticated)
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return nil, fmt.Errorf("%w: use Authorization: Bearer <token>", ErrUnauthenticated)
	}
	c, err := s.parse(strings.TrimSpace(token), "access")
	if err != nil {
		return nil, fmt.Errorf("%w: the token is invalid or expired", ErrUnauthenticated)
	}
	mode, err := viewer.ParseMode(c.Mode)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	v := &viewer.Viewer{Mode: mode, Kind: viewer.Kind(c.Kind), Role: viewer.Role(c.Role), CustomerID: c.Owner,
		CredentialID: c.Credential, ExpiresAt: c.ExpiresAt.Time, SessionEpoch: c.Epoch}
	if err := s.check(r.Context(), v); err != nil {
		return nil, err
	}
	return v, nil
}

// Recheck re-validates a viewer that Authenticate returned, for callers that
// keep one for long (subscription streams): the token has not expired, its
// credential is still active and, for a customer token, the customer still
// exists and its session epoch is the token's (no password change since).
// It runs at most one SQL statement (cache.go). Errors wrap
// ErrUnauthenticated, or ErrUnavailable when the database fails. A nil viewer (anonymous) and
// viewers that did not come from a token (no CredentialID, e.g. the system)
// have nothing to recheck.
func (s *Service) Recheck(ctx context.Context, v *viewer.Viewer) error {
	if v == nil || v.CredentialID == "" {
		return nil
	}
	if v.ExpiresAt.IsZero() || !s.Now().Before(v.ExpiresAt) {
		return fmt.Errorf("%w: the token expired", ErrUnauthenticated)
	}
	return s.check(ctx, v)
}

// check looks the viewer's credential (and customer) up and requires its
// session to hold. With a check cache, a lookup that the database's
// versions say cannot have changed is not repeated.
func (s *Service) check(ctx context.Context, v *viewer.Viewer) error {
	key := checkKey{credential: v.CredentialID, owner: v.CustomerID, mode: v.Mode}
	var ver checkVersion
	cached := false
	if s.checks != nil {
		var err error
		ver, err = s.checks.version(ctx)
		// PostgreSQL: customer sessions are always looked up.
		cached = err == nil && s.checks.cacheable(key, ver)
	}
	var ss *session
	if cached {
		ss = s.checks.get(key, ver)
	}
	if ss == nil {
		var err error
		if ss, err = s.lookup(ctx, v.CredentialID, v.CustomerID, v.Mode); err != nil {
			return err
		}
		if cached {
			// The versions were read before the lookup: a change that
			// commits after them moves them on, and this entry no
			// longer matches.
			s.checks.put(key, ver, ss)
		}
	}
	if ss.Mode != string(v.Mode) {
		return fmt.Errorf("%w: the token does not match its credential", ErrUnauthenticated)
	}
	return checkSession(ss, v.CustomerID, v.SessionEpoch)
}
