// Package auth holds clientele's credentials and tokens: creating and
// revoking API credentials, the OAuth token endpoint (client_credentials,
// password and refresh_token grants), and turning a bearer token back into
// the request's viewer.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"clientele/ent"
	"clientele/ent/credential"
	"clientele/internal/viewer"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes (DESIGN §7).
const (
	AccessTTL  = 2 * time.Hour
	RefreshTTL = 14 * 24 * time.Hour
)

// ErrUnauthenticated is returned for missing, malformed, expired or revoked
// credentials and tokens.
var ErrUnauthenticated = errors.New("unauthenticated")

// Service issues and checks tokens.
type Service struct {
	Client *ent.Client
	Key    []byte
	Now    func() time.Time
	logins *limiter
}

// NewService returns a token service signing with key.
func NewService(c *ent.Client, key []byte) *Service {
	return &Service{Client: c, Key: key, Now: time.Now, logins: newLimiter(loginRate, loginBurst)}
}

// Claims are what a token carries.
type Claims struct {
	Kind       string `json:"knd"`
	Role       string `json:"rol,omitempty"`
	Mode       string `json:"mod"`
	Owner      string `json:"own,omitempty"` // customer ID for customer tokens
	Credential string `json:"cid"`
	Type       string `json:"typ"` // access or refresh
	jwt.RegisteredClaims
}

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
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
	b := c.Credential.Create().SetMode(mode).SetName(name).SetClientID(random(24))
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
func (s *Service) Issue(cr *ent.Credential, owner, typ string) (string, time.Time, error) {
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
	}
	claims := Claims{
		Kind: kind, Role: role, Mode: string(cr.Mode), Owner: owner, Credential: cr.ID, Type: typ,
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

// parse checks a token's signature, expiry and type.
func (s *Service) parse(token, typ string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return s.Key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("clientele"), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.Now))
	if err != nil || c.Type != typ {
		return nil, ErrUnauthenticated
	}
	return &c, nil
}

// activeCredential returns the credential if it exists and is not revoked.
func (s *Service) activeCredential(ctx context.Context, id string) (*ent.Credential, error) {
	cr, err := s.Client.Credential.Query().Where(credential.ID(id), credential.RevokedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrUnauthenticated
	}
	return cr, err
}

// Authenticate returns the viewer of a request: nil without a token (the
// GraphQL layer then allows only __typename), or an error for a bad,
// expired or revoked token, or a token in the query string (tokens in URLs
// leak into logs and referrers).
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
	if _, err := s.activeCredential(r.Context(), c.Credential); err != nil {
		return nil, fmt.Errorf("%w: the credential was revoked", ErrUnauthenticated)
	}
	mode, err := viewer.ParseMode(c.Mode)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	return &viewer.Viewer{Mode: mode, Kind: viewer.Kind(c.Kind), Role: viewer.Role(c.Role), CustomerID: c.Owner, CredentialID: c.Credential}, nil
}
