package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"clientele/ent"
	"clientele/ent/credential"
	"clientele/ent/customer"
	"clientele/internal/account"
	"clientele/internal/password"
	"clientele/internal/viewer"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Password attempts allowed per account and per client IP: a burst of 10,
// then one every 6 seconds.
const (
	loginRate  = rate.Limit(1.0 / 6)
	loginBurst = 10
)

// limiter hands out a token bucket per key, remembering the most recent
// 100,000 keys.
type limiter struct {
	mu      sync.Mutex
	buckets *lru.Cache[string, *rate.Limiter]
	r       rate.Limit
	burst   int
}

func newLimiter(r rate.Limit, burst int) *limiter {
	c, _ := lru.New[string, *rate.Limiter](100_000)
	return &limiter{buckets: c, r: r, burst: burst}
}

// Allow takes one token for key, or returns how long to wait.
func (l *limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.r, l.burst)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// NewRateLimiter returns a per-key limiter of perSecond requests with the
// given burst (the GraphQL endpoint limits each token with it).
func NewRateLimiter(perSecond float64, burst int) interface {
	Allow(key string, now time.Time) (bool, time.Duration)
} {
	return newLimiter(rate.Limit(perSecond), burst)
}

// tokenResponse is the OAuth 2.0 token response.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
	OwnerID      string `json:"owner_id,omitempty"`
	OwnerType    string `json:"owner_type,omitempty"`
}

type oauthError struct {
	status      int
	code        string
	description string
	retryAfter  time.Duration
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="clientele"`)
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": e.code, "error_description": e.description})
}

var (
	errInvalidClient = &oauthError{http.StatusUnauthorized, "invalid_client", "The client credentials are wrong or revoked.", 0}
	errInvalidGrant  = &oauthError{http.StatusUnauthorized, "invalid_grant", "The email, password or refresh token is wrong.", 0}
	// errUnavailable answers when the database fails: the client's
	// credentials may be fine, so it should retry rather than give up.
	errUnavailable = &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable", "The service is temporarily unavailable; retry later.", unavailableRetry}
)

// unavailableRetry is the Retry-After of a 503 from the token endpoint.
const unavailableRetry = 5 * time.Second

// unavailableGrant logs a database failure and returns errUnavailable.
func (s *Service) unavailableGrant(ctx context.Context, err error) *oauthError {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(ctx, "token endpoint: database unavailable", "error", err.Error())
	return errUnavailable
}

// dummyHash is verified when the email is unknown, so that a wrong email
// and a wrong password take the same time.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("not-a-real-password")
	return h
})

// TokenHandler serves POST /oauth/token with JSON or form bodies.
func (s *Service) TokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeOAuthError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "Use POST.", 0})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		p := map[string]string{}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var raw map[string]any
			if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
				writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request", "The body is not valid JSON.", 0})
				return
			}
			for k, v := range raw {
				if str, ok := v.(string); ok {
					p[k] = str
				}
			}
		} else {
			if err := r.ParseForm(); err != nil {
				writeOAuthError(w, &oauthError{http.StatusBadRequest, "invalid_request", "The body is not a valid form.", 0})
				return
			}
			for k := range r.PostForm {
				p[k] = r.PostForm.Get(k)
			}
		}
		if id, secret, ok := r.BasicAuth(); ok && p["client_id"] == "" {
			p["client_id"], p["client_secret"] = id, secret
		}
		res, oerr := s.grant(r.Context(), p, clientIP(r))
		if oerr != nil {
			writeOAuthError(w, oerr)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(res)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Service) grant(ctx context.Context, p map[string]string, ip string) (*tokenResponse, *oauthError) {
	switch p["grant_type"] {
	case "client_credentials":
		cr, oerr := s.client(ctx, p["client_id"], p["client_secret"])
		if oerr != nil {
			return nil, oerr
		}
		return s.respond(cr, "", 0, false)
	case "password":
		cr, oerr := s.activeClient(ctx, p["client_id"])
		if oerr != nil {
			return nil, oerr
		}
		if cr.Kind != credential.KindSalesChannel {
			return nil, &oauthError{http.StatusBadRequest, "unauthorized_client", "Only sales channels may use the password grant.", 0}
		}
		email := account.NormalizeEmail(p["username"])
		now := s.Now()
		for _, key := range []string{"account:" + string(cr.Mode) + ":" + email, "ip:" + ip} {
			if ok, wait := s.logins.Allow(key, now); !ok {
				return nil, &oauthError{http.StatusTooManyRequests, "rate_limited", "Too many login attempts; retry later.", wait}
			}
		}
		sys := viewer.SystemContext(ctx, cr.Mode)
		cust, err := s.Client.Customer.Query().Where(customer.Email(email)).Only(sys)
		if err != nil && !ent.IsNotFound(err) {
			return nil, s.unavailableGrant(ctx, err)
		}
		hash := dummyHash()
		if err == nil && cust.Password != nil {
			hash = *cust.Password
		}
		ok, _ := password.Verify(p["password"], hash)
		if err != nil || cust.Password == nil || !ok {
			return nil, errInvalidGrant
		}
		return s.respond(cr, cust.ID, cust.SessionEpoch, true)
	case "refresh_token":
		// A refresh token lives two weeks: it works only while its
		// credential is active and, for a customer, while the customer
		// exists and has not changed its password since (session epoch).
		c, err := s.parse(p["refresh_token"], "refresh")
		if err != nil {
			return nil, errInvalidGrant
		}
		ss, err := s.lookup(ctx, c.Credential, c.Owner, viewer.Mode(c.Mode))
		if errors.Is(err, ErrUnavailable) {
			return nil, s.unavailableGrant(ctx, err)
		}
		if err != nil || ss.Mode != c.Mode || checkSession(ss, c.Owner, c.Epoch) != nil {
			return nil, errInvalidGrant
		}
		return s.respond(ss.credential(), c.Owner, c.Epoch, true)
	case "":
		return nil, &oauthError{http.StatusBadRequest, "invalid_request", "grant_type is required.", 0}
	}
	return nil, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Use client_credentials, password or refresh_token.", 0}
}

// client finds an active credential and checks an integration's secret in
// constant time.
func (s *Service) client(ctx context.Context, clientID, secret string) (*ent.Credential, *oauthError) {
	cr, oerr := s.activeClient(ctx, clientID)
	if oerr != nil {
		return nil, oerr
	}
	if cr.Kind == credential.KindIntegration {
		if cr.SecretHash == nil || subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(*cr.SecretHash)) != 1 {
			return nil, errInvalidClient
		}
	}
	return cr, nil
}

// activeClient finds the credential with the client ID if it is not revoked.
func (s *Service) activeClient(ctx context.Context, clientID string) (*ent.Credential, *oauthError) {
	if clientID == "" {
		return nil, errInvalidClient
	}
	cr, err := s.Client.Credential.Query().Where(credential.ClientID(clientID), credential.RevokedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errInvalidClient
	}
	if err != nil {
		return nil, s.unavailableGrant(ctx, err)
	}
	return cr, nil
}

func (s *Service) respond(cr *ent.Credential, owner string, epoch int64, withRefresh bool) (*tokenResponse, *oauthError) {
	tok, _, err := s.issue(cr, owner, epoch, "access")
	if err != nil {
		return nil, &oauthError{http.StatusInternalServerError, "server_error", "internal error", 0}
	}
	res := &tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: int(AccessTTL.Seconds()),
		Scope: "mode:" + cr.Mode.Lower(), CreatedAt: s.Now().Unix()}
	if withRefresh {
		if res.RefreshToken, _, err = s.issue(cr, owner, epoch, "refresh"); err != nil {
			return nil, &oauthError{http.StatusInternalServerError, "server_error", "internal error", 0}
		}
	}
	if owner != "" {
		res.OwnerID, res.OwnerType = owner, "customer"
	}
	return res, nil
}
