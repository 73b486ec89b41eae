package config

import (
	"errors"
	"strings"
	"testing"
)

// TestSigningAlgorithmValues: every algorithm the signing package knows is
// a valid signing.algorithm, including the opt-in ECDSA ones; others are
// refused with the list, or a suggestion for a near miss.
func TestSigningAlgorithmValues(t *testing.T) {
	for _, name := range []string{"rsa-sha256", "rsa-sha512", "rsa-sha1", "ecdsa-sha256", "ecdsa-sha384"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LGSP_SIGNING_ALGORITHM", name)
			cfg, err := LoadBytes([]byte(readTestdata(t, "good.yaml")), absTestdata(t), LoadOptions{})
			if err != nil {
				t.Fatalf("signing.algorithm %q refused: %v", name, err)
			}
			if cfg.Signing.Algorithm != name {
				t.Fatalf("signing.algorithm = %q, want %q", cfg.Signing.Algorithm, name)
			}
		})
	}

	for value, want := range map[string]string{
		"ecdsa-sha512": "use one of: rsa-sha256, rsa-sha512, rsa-sha1, ecdsa-sha256, ecdsa-sha384",
		"ecdsa_sha256": "did you mean ecdsa-sha256?",
	} {
		t.Run("refused "+value, func(t *testing.T) {
			t.Setenv("LGSP_SIGNING_ALGORITHM", value)
			_, err := LoadBytes([]byte(readTestdata(t, "good.yaml")), absTestdata(t), LoadOptions{})
			var verr *ValidationErrors
			if !errors.As(err, &verr) || len(verr.Problems) != 1 {
				t.Fatalf("want one validation problem, got %v", err)
			}
			got := verr.Problems[0].String()
			if !strings.HasPrefix(got, "signing.algorithm: ") || !strings.Contains(got, want) {
				t.Errorf("problem %q, want signing.algorithm and %q", got, want)
			}
		})
	}
}
