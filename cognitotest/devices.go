package cognitotest

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// DeviceConfig is a pool's device-tracking configuration, as its
// DeviceConfiguration; [WithDeviceTracking] sets it.
type DeviceConfig struct {
	// ChallengeRequiredOnNewDevice is the pool setting of that name: when
	// set, a sign-in from a remembered device proves the device
	// (DEVICE_SRP_AUTH) in place of MFA, while any other device, a new one
	// above all, still meets MFA. When not set, as in Cognito, every
	// sign-in meets the user's MFA, and a sign-in from a device proves it
	// after MFA.
	ChallengeRequiredOnNewDevice bool
	// DeviceOnlyRememberedOnUserPrompt makes remembering opt-in: ConfirmDevice
	// answers UserConfirmationNecessary true, and the device is remembered
	// only once UpdateDeviceStatus sets it "remembered". When not set,
	// ConfirmDevice remembers the device.
	DeviceOnlyRememberedOnUserPrompt bool
}

// WithDeviceTracking turns device tracking on, with c as the pool's
// configuration. A sign-in that names no device then ends with
// NewDeviceMetadata {DeviceKey "<region>_<uuid>", DeviceGroupKey
// "-<random>"}: a new device, which the client confirms with ConfirmDevice
// (and UpdateDeviceStatus on an opt-in pool), and which its refresh tokens
// are bound to. Later sign-ins that send the device's key as DEVICE_KEY
// prove the device with DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER,
// checked against the verifier ConfirmDevice stored, and get no new
// device; see [DeviceConfig] for when that replaces MFA. The package
// documentation has the details.
func WithDeviceTracking(c DeviceConfig) Option {
	return func(cfg *config) { cfg.devices = &c }
}

// Device is what the pool knows of a user's confirmed device.
type Device struct {
	// Key is the DeviceKey, "<region>_<uuid>".
	Key string
	// GroupKey is the DeviceGroupKey, "-" and random letters and digits.
	GroupKey string
	// Name is the DeviceName that ConfirmDevice gave.
	Name string
	// Remembered reports whether the device is remembered: since
	// ConfirmDevice, or, on an opt-in pool, since UpdateDeviceStatus set it
	// so.
	Remembered bool
	// Created is when the sign-in that handed the device out ended.
	Created time.Time
	// LastAuthenticated is when the device last proved itself in a
	// sign-in (Created until it has).
	LastAuthenticated time.Time
	// LastModified is when ConfirmDevice or UpdateDeviceStatus last
	// changed the device.
	LastModified time.Time
}

// Devices returns the confirmed devices of username, oldest first, as
// ListDevices lists them. Devices handed out in NewDeviceMetadata and not
// confirmed, and forgotten ones, are not included. It panics for an
// unknown user.
func (s *Server) Devices(username string) []Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("Devices", username)
	var out []Device
	for _, d := range s.devices.confirmedOf(u) {
		out = append(out, Device{Key: d.key, GroupKey: d.groupKey, Name: d.name, Remembered: d.remembered,
			Created: d.created, LastAuthenticated: d.lastAuth, LastModified: d.lastModified})
	}
	return out
}

// device is a device that a sign-in handed out. Its fields other than key,
// groupKey, user and created are read and written with the Server's mu
// held.
type device struct {
	key, groupKey string
	user          *user
	created       time.Time
	// Set by ConfirmDevice: the device's SRP salt (as the client sent its
	// bytes) and verifier.
	confirmed  bool
	name       string
	salt       []byte
	verifier   *big.Int
	remembered bool
	// lastAuth and lastModified are as in Device.
	lastAuth, lastModified time.Time
}

// deviceStore holds the devices handed out: by key, and the unconfirmed
// ones in order, so that devices that are never confirmed (a client that
// ignores NewDeviceMetadata) are dropped, oldest first, beyond max. Its
// methods must be called with the Server's mu held.
type deviceStore struct {
	max   int
	byKey map[string]*device
	// pending lists the devices handed out unconfirmed, oldest first; it
	// may still hold some since confirmed or forgotten, which trim drops.
	pending []*device
}

func newDeviceStore(maxPending int) deviceStore {
	return deviceStore{max: maxPending, byKey: make(map[string]*device)}
}

// add hands out a new, unconfirmed device of u.
func (ds *deviceStore) add(u *user, now time.Time) *device {
	d := &device{
		key:          region + "_" + newUUID(),
		groupKey:     "-" + randomString(9, alnum),
		user:         u,
		created:      now,
		lastAuth:     now,
		lastModified: now,
	}
	ds.byKey[d.key] = d
	ds.pending = append(ds.pending, d)
	ds.trim()
	return d
}

// trim forgets the oldest unconfirmed devices while there are more than
// max.
func (ds *deviceStore) trim() {
	if len(ds.pending) <= ds.max {
		return
	}
	live := make([]*device, 0, len(ds.pending))
	for _, d := range ds.pending {
		if !d.confirmed && ds.byKey[d.key] == d {
			live = append(live, d)
		}
	}
	for len(live) > ds.max {
		delete(ds.byKey, live[0].key)
		live = live[1:]
	}
	ds.pending = live
}

// confirmedOf returns u's confirmed devices, oldest first.
func (ds *deviceStore) confirmedOf(u *user) []*device {
	var out []*device
	for _, d := range ds.byKey {
		if d.user == u && d.confirmed {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *device) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		if a.key < b.key {
			return -1
		}
		return 1
	})
	return out
}

func errDeviceNotFound() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: "Device does not exist."}
}

// signInDevice returns the device that a sign-in of u names with key, its
// DEVICE_KEY, once the password is verified: nil for no key, or on a pool
// without device tracking (where the key is ignored), and
// ResourceNotFoundException "Device does not exist." for a key that is
// not one of u's confirmed devices (never handed out, forgotten, another
// user's, or not confirmed), as Cognito answers a device it has
// forgotten.
func (s *Server) signInDevice(u *user, key string) (*device, *apiError) {
	if key == "" || s.cfg.devices == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices.byKey[key]
	if d == nil || d.user != u || !d.confirmed {
		return nil, errDeviceNotFound()
	}
	return d, nil
}

// skipsMFA reports whether a sign-in from d proves the device in place of
// MFA: d is remembered, on a pool with ChallengeRequiredOnNewDevice. It
// must be called with the Server's mu held.
func (s *Server) skipsMFA(d *device) bool {
	return s.cfg.devices.ChallengeRequiredOnNewDevice && d.remembered
}

// deviceChallenge returns DEVICE_SRP_AUTH for a sign-in of u from
// p.device.
func (s *Server) deviceChallenge(u *user, p progress, now time.Time) *authOutput {
	sess := &challengeSession{user: u, challenge: challengeDeviceSRP, progress: p}
	return s.newChallenge(sess, map[string]string{"USERNAME": u.username}, now)
}

// deviceExchange is the SRP exchange of DEVICE_SRP_AUTH: the client's A,
// the server's key pair for the device's verifier, and the SECRET_BLOCK
// the answer must return.
type deviceExchange struct {
	a     *big.Int
	srv   *srp.Server
	block []byte
}

// answerDeviceSRP answers DEVICE_SRP_AUTH {USERNAME, DEVICE_KEY, SRP_A}
// with DEVICE_PASSWORD_VERIFIER: SALT (hex), SRP_B, SECRET_BLOCK, USERNAME
// and DEVICE_KEY, and a new Session. DEVICE_KEY must be the sign-in's
// device.
func (s *Server) answerDeviceSRP(sess *challengeSession, resp map[string]string, now time.Time) (any, *apiError) {
	d := sess.progress.device
	if resp["DEVICE_KEY"] != d.key {
		return nil, errNotAuthorized(badCredentials)
	}
	a, err := srp.ParseHex(resp["SRP_A"])
	if err != nil || new(big.Int).Mod(a, srp.N()).Sign() == 0 {
		return nil, errInvalidParameter("SRP_A is not a valid SRP public value")
	}
	s.mu.Lock()
	known := s.devices.byKey[d.key] == d
	salt, verifier := d.salt, d.verifier
	s.mu.Unlock()
	if !known {
		return nil, errDeviceNotFound()
	}
	srv, err := srp.NewServer(rand.Reader, verifier)
	if err != nil {
		return nil, errInternal("generating the SRP challenge failed")
	}
	ex := &deviceExchange{a: a, srv: srv, block: randomBytes(64)}
	next := &challengeSession{user: sess.user, challenge: challengeDeviceProof, progress: sess.progress, exchange: ex}
	return s.newChallenge(next, map[string]string{
		"SALT":         hex.EncodeToString(salt),
		"SRP_B":        srv.PublicHex(),
		"SECRET_BLOCK": base64.StdEncoding.EncodeToString(ex.block),
		"USERNAME":     sess.user.username,
		"DEVICE_KEY":   d.key,
	}, now), nil
}

// answerDeviceProof checks a DEVICE_PASSWORD_VERIFIER answer, as a
// PASSWORD_VERIFIER one is checked but with the device's group key for the
// pool name and its key for the user: the SECRET_BLOCK sent with the
// challenge, the TIMESTAMP, and PASSWORD_CLAIM_SIGNATURE under the key of
// the exchange. A wrong answer fails the sign-in with
// NotAuthorizedException; a right one goes on with it.
func (s *Server) answerDeviceProof(sess *challengeSession, resp map[string]string, now time.Time) (any, *apiError) {
	d, ex := sess.progress.device, sess.exchange
	block, err := base64.StdEncoding.DecodeString(resp["PASSWORD_CLAIM_SECRET_BLOCK"])
	timestamp := resp["TIMESTAMP"]
	if resp["DEVICE_KEY"] != d.key || err != nil || !hmac.Equal(block, ex.block) || !timestampValid(timestamp, now) {
		return nil, errNotAuthorized(badCredentials)
	}
	key, err := ex.srv.Key(ex.a)
	if err != nil || !srp.VerifySignature(resp["PASSWORD_CLAIM_SIGNATURE"], key, d.groupKey, d.key, block, timestamp) {
		return nil, errNotAuthorized(badCredentials)
	}
	s.mu.Lock()
	known := s.devices.byKey[d.key] == d
	if known {
		d.lastAuth = now
	}
	skip := known && s.skipsMFA(d)
	s.mu.Unlock()
	if !known {
		return nil, errDeviceNotFound()
	}
	p := sess.progress
	p.deviceDone = true
	if skip {
		p.mfaDone = true
	}
	return s.nextStep(sess.user, p, now)
}

type confirmDeviceInput struct {
	AccessToken                string
	DeviceKey                  string
	DeviceName                 string
	DeviceSecretVerifierConfig *struct {
		PasswordVerifier string
		Salt             string
	}
}

type confirmDeviceOutput struct {
	UserConfirmationNecessary bool
}

// errInvalidDeviceKey is Cognito's answer to a ConfirmDevice it refuses
// the device key of.
func errInvalidDeviceKey() *apiError { return errInvalidParameter("Invalid device key given.") }

// confirmDevice answers ConfirmDevice: a device handed out to a sign-in of
// the access token's user gets the verifier and salt of its password, and
// a name; it is remembered unless remembering is opt-in, which
// UserConfirmationNecessary then says. The access token may be of another
// sign-in of the user, as Cognito allows. A device may be confirmed again,
// which replaces its verifier and name and keeps its remembered status.
func (s *Server) confirmDevice(in *confirmDeviceInput) (any, *apiError) {
	if e := requireAccessAndDevice(in.AccessToken, in.DeviceKey); e != nil {
		return nil, e
	}
	now := s.now()
	u, _, e := s.verifyAccessToken(in.AccessToken, now)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	d := s.devices.byKey[in.DeviceKey]
	s.mu.Unlock()
	if d == nil || d.user != u {
		return nil, errInvalidDeviceKey()
	}
	vc := in.DeviceSecretVerifierConfig
	if vc == nil {
		return nil, errInvalidParameter("Missing required parameter DeviceSecretVerifierConfig")
	}
	verifier, _, e := parsePositive("DeviceSecretVerifierConfig.PasswordVerifier", vc.PasswordVerifier)
	if e != nil {
		return nil, e
	}
	if verifier.Cmp(srp.N()) >= 0 {
		return nil, errInvalidParameter("DeviceSecretVerifierConfig.PasswordVerifier is not below the group's prime")
	}
	_, salt, e := parsePositive("DeviceSecretVerifierConfig.Salt", vc.Salt)
	if e != nil {
		return nil, e
	}
	optIn := s.cfg.devices.DeviceOnlyRememberedOnUserPrompt
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.devices.byKey[d.key] != d {
		return nil, errInvalidDeviceKey() // forgotten meanwhile
	}
	if !d.confirmed {
		d.remembered = !optIn
	}
	d.confirmed, d.name, d.salt, d.verifier, d.lastModified = true, in.DeviceName, salt, verifier, now
	return confirmDeviceOutput{UserConfirmationNecessary: optIn}, nil
}

// requireAccessAndDevice checks that the AccessToken and DeviceKey of a
// device operation are there.
func requireAccessAndDevice(accessToken, deviceKey string) *apiError {
	if accessToken == "" {
		return errInvalidParameter("Missing required parameter AccessToken")
	}
	if deviceKey == "" {
		return errInvalidParameter("Missing required parameter DeviceKey")
	}
	return nil
}

// parsePositive decodes a number of DeviceSecretVerifierConfig: base64 of
// its big-endian bytes as the reference client sends them (those of
// padHex), which read as a positive two's-complement number, as a server
// that parses them as a signed integer (Java's BigInteger) needs: a
// leading zero byte where the first byte would be 0x80 or more. Zero is
// refused. It returns the number and its bytes.
func parsePositive(field, b64 string) (*big.Int, []byte, *apiError) {
	b, err := base64.StdEncoding.DecodeString(b64)
	switch {
	case err != nil || len(b) == 0:
		return nil, nil, errInvalidParameter(field + " is not base64 of a number's bytes")
	case b[0] >= 0x80:
		return nil, nil, errInvalidParameter(field + " reads as a negative number: its bytes need a leading zero byte, as padHex gives them")
	}
	n := new(big.Int).SetBytes(b)
	if n.Sign() == 0 {
		return nil, nil, errInvalidParameter(field + " is zero")
	}
	return n, b, nil
}

type updateDeviceStatusInput struct {
	AccessToken            string
	DeviceKey              string
	DeviceRememberedStatus string
}

// updateDeviceStatus answers UpdateDeviceStatus: the user's confirmed
// device becomes remembered or not_remembered.
func (s *Server) updateDeviceStatus(in *updateDeviceStatusInput) (any, *apiError) {
	if e := requireAccessAndDevice(in.AccessToken, in.DeviceKey); e != nil {
		return nil, e
	}
	var remembered bool
	switch in.DeviceRememberedStatus {
	case "remembered":
		remembered = true
	case "not_remembered", "":
	default:
		return nil, errInvalidParameter("DeviceRememberedStatus must be remembered or not_remembered")
	}
	now := s.now()
	u, _, e := s.verifyAccessToken(in.AccessToken, now)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices.byKey[in.DeviceKey]
	if d == nil || d.user != u || !d.confirmed {
		return nil, errDeviceNotFound()
	}
	if in.DeviceRememberedStatus != "" {
		d.remembered, d.lastModified = remembered, now
	}
	return struct{}{}, nil
}

type forgetDeviceInput struct {
	AccessToken string
	DeviceKey   string
}

// forgetDevice answers ForgetDevice: the device is forgotten, so that
// sign-ins naming it fail with ResourceNotFoundException and the refresh
// tokens bound to it with NotAuthorizedException. With an access token the
// device must be its user's; without one, the key alone names it.
func (s *Server) forgetDevice(in *forgetDeviceInput) (any, *apiError) {
	if in.DeviceKey == "" {
		return nil, errInvalidParameter("Missing required parameter DeviceKey")
	}
	var u *user
	if in.AccessToken != "" {
		var e *apiError
		if u, _, e = s.verifyAccessToken(in.AccessToken, s.now()); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices.byKey[in.DeviceKey]
	if d == nil || u != nil && d.user != u {
		return nil, errDeviceNotFound()
	}
	delete(s.devices.byKey, d.key)
	return struct{}{}, nil
}

type listDevicesInput struct {
	AccessToken     string
	Limit           int
	PaginationToken string
}

// attributeType is a name and value pair of the wire protocol.
type attributeType struct {
	Name  string
	Value string
}

// deviceType is a device as ListDevices describes it. The dates are
// seconds since the epoch, as AWS JSON 1.1 writes timestamps.
type deviceType struct {
	DeviceKey                   string
	DeviceAttributes            []attributeType
	DeviceCreateDate            float64
	DeviceLastAuthenticatedDate float64
	DeviceLastModifiedDate      float64
}

type listDevicesOutput struct {
	Devices         []deviceType
	PaginationToken string `json:",omitempty"`
}

// maxListDevices is the most devices ListDevices returns at once, and how
// many it returns without a Limit.
const maxListDevices = 60

// listDevices answers ListDevices: the access token's user's confirmed
// devices, oldest first, at most Limit (1–60, 60 without one) at a time;
// the PaginationToken of a response asks for the next ones.
func (s *Server) listDevices(in *listDevicesInput) (any, *apiError) {
	if in.AccessToken == "" {
		return nil, errInvalidParameter("Missing required parameter AccessToken")
	}
	limit := in.Limit
	if limit < 0 || limit > maxListDevices {
		return nil, errInvalidParameter("Limit must be between 0 and " + strconv.Itoa(maxListDevices))
	}
	if limit == 0 {
		limit = maxListDevices
	}
	u, _, e := s.verifyAccessToken(in.AccessToken, s.now())
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	devices := s.devices.confirmedOf(u)
	from := 0
	if in.PaginationToken != "" {
		var ok bool
		if from, ok = parsePageToken(in.PaginationToken); !ok || from > len(devices) {
			return nil, errInvalidParameter("Invalid pagination token")
		}
	}
	to := min(from+limit, len(devices))
	out := listDevicesOutput{Devices: []deviceType{}}
	for _, d := range devices[from:to] {
		status := "not_remembered"
		if d.remembered {
			status = "remembered"
		}
		out.Devices = append(out.Devices, deviceType{
			DeviceKey: d.key,
			DeviceAttributes: []attributeType{
				{Name: "device_status", Value: "valid"},
				{Name: "device_name", Value: d.name},
				{Name: "dev:device_remembered_status", Value: status},
			},
			DeviceCreateDate:            epochSeconds(d.created),
			DeviceLastAuthenticatedDate: epochSeconds(d.lastAuth),
			DeviceLastModifiedDate:      epochSeconds(d.lastModified),
		})
	}
	if to < len(devices) {
		out.PaginationToken = pageToken(to)
	}
	return out, nil
}

// pageToken and parsePageToken write and read a ListDevices
// PaginationToken: the position of the next device, opaque to clients.
func pageToken(next int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("devices:" + strconv.Itoa(next)))
}

func parsePageToken(token string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < len("devices:") || string(b[:len("devices:")]) != "devices:" {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[len("devices:"):]))
	return n, err == nil && n >= 0
}

// epochSeconds writes t as seconds since the epoch, to the millisecond.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}
