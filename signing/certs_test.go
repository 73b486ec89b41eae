package signing

import (
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestInspect(t *testing.T) {
	f := mustFixtures(t)
	s := mustSigner(t, f.sender, RSASHA256)
	notAfter := f.sender.cert.NotAfter
	day := 24 * time.Hour
	tests := []struct {
		name         string
		now          time.Time
		wantDays     int
		wantWarning  string // substring of a warning; "" means no warnings
		wantProblem  string // substring of a problem; "" means OK
		wantOKResult bool
	}{
		{"fresh", testNow, 365, "", "", true},
		{"61 days left", notAfter.Add(-61 * day), 61, "", "", true},
		{"59 days left", notAfter.Add(-59*day - time.Minute), 59, "expires in 59 days", "", true},
		{"last hour", notAfter.Add(-time.Hour), 0, "expires in 0 days", "", true},
		{"expired a second ago", notAfter.Add(time.Second), -1, "", "expired", false},
		{"not yet valid", f.sender.cert.NotBefore.Add(-time.Minute), 365, "", "not valid yet", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Inspect(s, tc.now)
			if r.DaysLeft != tc.wantDays {
				t.Errorf("DaysLeft = %d, want %d", r.DaysLeft, tc.wantDays)
			}
			if !r.KeyMatches {
				t.Error("KeyMatches = false for a matching key")
			}
			if r.OK() != tc.wantOKResult {
				t.Errorf("OK() = %v, problems %q", r.OK(), r.Problems)
			}
			checkMessages(t, "warning", r.Warnings, tc.wantWarning)
			checkMessages(t, "problem", r.Problems, tc.wantProblem)
			if r.Subject != f.sender.cert.Subject.String() || r.Issuer != f.sender.cert.Issuer.String() ||
				!r.NotBefore.Equal(f.sender.cert.NotBefore) || !r.NotAfter.Equal(notAfter) || r.KeyBits != 2048 || r.KeyType != "RSA-2048" || r.Algorithm != "rsa-sha256" {
				t.Errorf("report fields wrong: %+v", r)
			}
		})
	}
}

func checkMessages(t *testing.T, kind string, got []string, want string) {
	t.Helper()
	if want == "" {
		if len(got) > 0 {
			t.Errorf("unexpected %ss: %q", kind, got)
		}
		return
	}
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("%ss = %q, want one containing %q", kind, got, want)
	}
}

func TestInspectWarnsAboutSHA1(t *testing.T) {
	f := mustFixtures(t)
	r := Inspect(mustSigner(t, f.sender, RSASHA1), testNow)
	checkMessages(t, "warning", r.Warnings, "rsa-sha1 is weak")
}

// TestInspectNamesKeyTypeAndAlgorithm: the doctor shows which algorithm
// and which key a Signer uses; an EC key fitting its algorithm is no
// problem, and a certificate with a key no algorithm can use is one.
func TestInspectNamesKeyTypeAndAlgorithm(t *testing.T) {
	f := mustFixtures(t)
	for _, tc := range []struct {
		kp      keyPair
		alg     Algorithm
		keyType string
		bits    int
	}{
		{f.sender, RSASHA512, "RSA-2048", 2048},
		{f.ecSender, ECDSASHA256, "EC P-256", 256},
		{f.ec384, ECDSASHA384, "EC P-384", 384},
	} {
		r := Inspect(mustSigner(t, tc.kp, tc.alg), testNow)
		if r.KeyType != tc.keyType || r.KeyBits != tc.bits || r.Algorithm != tc.alg.String() || !r.KeyMatches || !r.OK() || len(r.Warnings) > 0 {
			t.Errorf("%s: KeyType %q, KeyBits %d, Algorithm %q, KeyMatches %v, problems %q, warnings %q; want %q, %d, %q, true, none, none",
				tc.alg, r.KeyType, r.KeyBits, r.Algorithm, r.KeyMatches, r.Problems, r.Warnings, tc.keyType, tc.bits, tc.alg)
		}
	}
	r := InspectCertificate(ecKeyPair(t, elliptic.P521()).cert, testNow)
	if r.KeyType != "EC P-521" || r.OK() {
		t.Errorf("P-521 certificate: KeyType %q, problems %q; want a problem", r.KeyType, r.Problems)
	}
	checkMessages(t, "problem", r.Problems, "EC P-521 is not supported")
}

func TestGenerateSelfSignedFor(t *testing.T) {
	f := mustFixtures(t)
	for _, tc := range []struct {
		kp   keyPair
		want string
	}{{f.sender, "RSA-2048"}, {f.ecSender, "EC P-256"}, {f.ec384, "EC P-384"}} {
		if got := KeyDescription(tc.kp.cert.PublicKey); got != tc.want {
			t.Errorf("certificate key %s, want %s", got, tc.want)
		}
		if err := CheckKeyPair(tc.kp.key, tc.kp.cert); err != nil {
			t.Errorf("%s: %v", tc.want, err)
		}
		c := tc.kp.cert
		if c.SignatureAlgorithm == x509.UnknownSignatureAlgorithm || c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) != nil {
			t.Errorf("%s: the self-signature does not verify", tc.want)
		}
	}
	if _, _, err := GenerateSelfSignedFor(Algorithm(77), "x", time.Hour, testNow); err == nil {
		t.Error("GenerateSelfSignedFor accepted an unknown algorithm")
	}
}

func TestGenerateSelfSigned(t *testing.T) {
	f := mustFixtures(t)
	c := f.sender.cert
	if c.Subject.CommonName != "UBND Phường Bến Thành (test)" || c.Subject.String() != c.Issuer.String() {
		t.Errorf("subject %q issuer %q", c.Subject, c.Issuer)
	}
	if !c.NotBefore.Equal(testNow.Add(-time.Hour)) || !c.NotAfter.Equal(testNow.Add(365*24*time.Hour)) {
		t.Errorf("validity %s – %s", c.NotBefore, c.NotAfter)
	}
	if err := CheckKeyPair(f.sender.key, c); err != nil || f.sender.rsaKey().N.BitLen() != 2048 {
		t.Errorf("key pair: %v, %d bits", err, f.sender.rsaKey().N.BitLen())
	}
	if err := CheckKeyPair(f.other.key, c); err == nil {
		t.Error("CheckKeyPair accepted another key")
	}
	for _, bad := range []struct {
		cn  string
		dur time.Duration
	}{{"", time.Hour}, {"x", 0}} {
		if _, _, err := GenerateSelfSigned(bad.cn, bad.dur, testNow); err == nil {
			t.Errorf("GenerateSelfSigned(%q, %s) succeeded", bad.cn, bad.dur)
		}
	}
}

func TestFingerprint(t *testing.T) {
	f := mustFixtures(t)
	sum := sha256.Sum256(f.sender.cert.Raw)
	want := strings.ToUpper(hex.EncodeToString(sum[:]))
	got := strings.ReplaceAll(Fingerprint(f.sender.cert), ":", "")
	if got != want || len(Fingerprint(f.sender.cert)) != 32*3-1 {
		t.Errorf("Fingerprint = %s, want %s in colon form", Fingerprint(f.sender.cert), want)
	}
}

func TestDaysLeft(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {day - 1, 0}, {day, 1}, {-1, -1}, {-day, -1}, {-day - 1, -2}, {60*day + time.Hour, 60}} {
		if got := daysLeft(testNow.Add(tc.d), testNow); got != tc.want {
			t.Errorf("daysLeft(now%+v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
