package signing

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ict is Asia/Ho_Chi_Minh's fixed offset; tests never read the wall clock.
var ict = time.FixedZone("ICT", 7*3600)

// testNow is the fixed "current time" of every test.
var testNow = time.Date(2026, 3, 15, 9, 0, 0, 0, ict)

type keyPair struct {
	key  crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
	cert *x509.Certificate
}

// rsaKey is kp's key for tests that need RSA specifically.
func (kp keyPair) rsaKey() *rsa.PrivateKey { return kp.key.(*rsa.PrivateKey) }

// fixtureSet holds one family of keys per key type: sender, other and
// expired play the same roles for RSA as ecSender, ecOther and ecExpired
// for EC P-256.
type fixtureSet struct {
	sender  keyPair // pinned, valid at testNow for a year
	other   keyPair // valid but not pinned
	expired keyPair // pinned in some tests, expired a month before testNow

	ecSender  keyPair // EC P-256, like sender
	ecOther   keyPair // EC P-256, like other
	ecExpired keyPair // EC P-256, like expired
	ec384     keyPair // EC P-384, pinned, valid
}

// senderFor is the pinned, valid key pair alg signs with.
func (f *fixtureSet) senderFor(alg Algorithm) keyPair {
	switch alg {
	case ECDSASHA256:
		return f.ecSender
	case ECDSASHA384:
		return f.ec384
	}
	return f.sender
}

// fixtures generates the keys once per test binary: RSA key generation is
// the slow part, and the tests only need distinct keys, not particular ones.
var fixtures = sync.OnceValues(func() (*fixtureSet, error) {
	var f fixtureSet
	year := 365 * 24 * time.Hour
	for _, g := range []struct {
		kp   *keyPair
		alg  Algorithm
		cn   string
		from time.Time
	}{
		{&f.sender, RSASHA256, "UBND Phường Bến Thành (test)", testNow},
		{&f.other, RSASHA256, "Someone Else (test)", testNow},
		{&f.expired, RSASHA256, "Expired Sender (test)", testNow.AddDate(-1, -1, 0)},
		{&f.ecSender, ECDSASHA256, "UBND Phường Bến Thành (test, EC P-256)", testNow},
		{&f.ecOther, ECDSASHA256, "Someone Else (test, EC P-256)", testNow},
		{&f.ecExpired, ECDSASHA256, "Expired Sender (test, EC P-256)", testNow.AddDate(-1, -1, 0)},
		{&f.ec384, ECDSASHA384, "UBND Phường Bến Thành (test, EC P-384)", testNow},
	} {
		key, cert, err := GenerateSelfSignedFor(g.alg, g.cn, year, g.from)
		if err != nil {
			return nil, err
		}
		*g.kp = keyPair{key, cert}
	}
	return &f, nil
})

func mustFixtures(t testing.TB) *fixtureSet {
	t.Helper()
	f, err := fixtures()
	if err != nil {
		t.Fatalf("generate test keys: %v", err)
	}
	return f
}

func mustSigner(t testing.TB, kp keyPair, alg Algorithm) *Signer {
	t.Helper()
	s, err := NewSigner(kp.key, kp.cert, alg)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func mustVerifier(t testing.TB, o VerifierOptions, trusted ...*x509.Certificate) *Verifier {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	v, err := NewVerifierWithOptions(trusted, o)
	if err != nil {
		t.Fatalf("NewVerifierWithOptions: %v", err)
	}
	return v
}

func mustSign(t testing.TB, s *Signer, doc string) []byte {
	t.Helper()
	out, err := s.Sign([]byte(doc))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return out
}

// xmlsec1Path finds the independent verifier. Its absence is a failure,
// not a skip: without it nothing proves our signatures are standard.
func xmlsec1Path(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("xmlsec1"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/xmlsec1"); err == nil {
		return "/usr/bin/xmlsec1"
	}
	t.Fatal("xmlsec1 not found: install the Debian/Ubuntu package xmlsec1 (apt-get install xmlsec1); the signing tests check every signature with it")
	return ""
}

// xmlsecTime is testNow in the format of xmlsec1 --verification-gmt-time,
// so certificate validity is judged at the same instant as in Go.
func xmlsecTime() string { return testNow.UTC().Format("2006-01-02 15:04:05") }

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runXmlsec1 runs xmlsec1 with args and returns its combined output.
func runXmlsec1(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(xmlsec1Path(t), args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// xmlsec1Verify checks doc with xmlsec1, trusting exactly certPEM and
// allowing only the whole-document reference.
func xmlsec1Verify(t testing.TB, doc, certPEM []byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	certFile := writeFile(t, dir, "cert.pem", certPEM)
	docFile := writeFile(t, dir, "signed.xml", doc)
	return runXmlsec1(t, "--verify",
		"--enabled-reference-uris", "empty",
		"--trusted-pem", certFile,
		"--verification-gmt-time", xmlsecTime(),
		docFile)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
