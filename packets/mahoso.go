package packets

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Dossier codes (MaHoSo) follow Circular 01/2018/TT-VPCP Art. 19:
// <agency identifier>-<YYMMDD of receipt>-<NNNN sequence of that day>, e.g.
// 000.00.12.H29-251103-0042. Agency identifiers follow QCVN 102:2016/BTTTT:
// ddd.dd.dd.Xdd, e.g. 000.00.12.H29 (H29 = Ho Chi Minh City).
var (
	agencyIDPattern = regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)
	maHoSoPattern   = regexp.MustCompile(`^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(\d{6})-(\d{4})$`)
)

// CheckAgencyID returns nil when id has the QCVN 102:2016 shape ddd.dd.dd.Xdd,
// else an error saying why. Whether the unit exists is the catalog's business.
func CheckAgencyID(id string) error {
	if agencyIDPattern.MatchString(id) {
		return nil
	}
	return fmt.Errorf("agency identifier %q does not have the QCVN 102:2016 shape ddd.dd.dd.Xdd (e.g. 000.00.12.H29)", id)
}

// CheckMaHoSo returns nil when code follows Circular 01/2018 Art. 19 and its
// YYMMDD is a real calendar date, else an error saying what is wrong.
// Short legacy forms such as "H56.14-250225-0001" and 5-digit sequences do
// not conform.
func CheckMaHoSo(code string) error {
	if problem := maHoSoProblem(code); problem != "" {
		return fmt.Errorf("dossier code %q %s", code, problem)
	}
	return nil
}

// maHoSoProblem says what is wrong with code, or "" when it conforms.
func maHoSoProblem(code string) string {
	m := maHoSoPattern.FindStringSubmatch(code)
	if m == nil {
		return "does not have the Circular 01/2018 Art. 19 shape ddd.dd.dd.Xdd-YYMMDD-NNNN (e.g. 000.00.12.H29-251103-0042)"
	}
	if _, err := time.ParseInLocation("060102", m[2], VietnamZone); err != nil {
		return fmt.Sprintf("has date part %q, which is not a real date YYMMDD", m[2])
	}
	return ""
}

// MaHoSoPolicy says what Validate does with a dossier code that breaks
// Circular 01/2018 Art. 19. Legacy databases hold such codes; the choice is
// the operator's, in configuration.
type MaHoSoPolicy string

// The MaHoSo policies.
const (
	// PolicyWarn sends the code unchanged and returns a warning (default).
	PolicyWarn MaHoSoPolicy = "warn"
	// PolicyReject makes the code a validation error: the packet is not sent.
	PolicyReject MaHoSoPolicy = "reject"
	// PolicySubstitute replaces the code with SubstituteMaHoSo's result and
	// returns a warning naming both codes.
	PolicySubstitute MaHoSoPolicy = "substitute"
)

// ParseMaHoSoPolicy reads a policy name from configuration; "" means
// PolicyWarn.
func ParseMaHoSoPolicy(s string) (MaHoSoPolicy, error) {
	switch p := MaHoSoPolicy(strings.TrimSpace(s)); p {
	case "":
		return PolicyWarn, nil
	case PolicyWarn, PolicyReject, PolicySubstitute:
		return p, nil
	}
	return "", fmt.Errorf("unknown MaHoSo policy %q: use %q, %q or %q", s, PolicyWarn, PolicyReject, PolicySubstitute)
}

// SubstituteMaHoSo derives a conforming dossier code for a legacy code that
// breaks Art. 19: <unit>-<YYMMDD of received>-<NNNN>, where NNNN is taken
// from a SHA-256 hash of the original code, so the same dossier always gets
// the same substitute (re-sends, progress steps, other connectors).
//
// unit is the agency identifier that received the dossier: the original
// code's own prefix when it is a well-formed identifier, else fallbackUnit
// (normally the header's MaDonViGui). received is the dossier's NgayTiepNhan.
//
// Four hashed digits can collide: two legacy codes of the same unit and day
// have a 1 in 10 000 chance of getting the same substitute (about 1 in 3
// among 100 such codes). The warning Validate returns names both codes so
// an operator can trace a collision.
func SubstituteMaHoSo(original, fallbackUnit string, received time.Time) (string, error) {
	unit := fallbackUnit
	if prefix, _, ok := strings.Cut(original, "-"); ok && agencyIDPattern.MatchString(prefix) {
		unit = prefix
	}
	if err := CheckAgencyID(unit); err != nil {
		return "", fmt.Errorf("cannot substitute dossier code %q: %v", original, err)
	}
	if received.IsZero() {
		return "", fmt.Errorf("cannot substitute dossier code %q: NgayTiepNhan is not set", original)
	}
	if y := received.In(VietnamZone).Year(); y < 2000 || y > 2099 {
		// YYMMDD cannot tell 1925 from 2025; refuse rather than guess.
		return "", fmt.Errorf("cannot substitute dossier code %q: NgayTiepNhan year %d is outside 2000–2099", original, y)
	}
	sum := sha256.Sum256([]byte(original))
	seq := binary.BigEndian.Uint32(sum[:4]) % 10000
	return fmt.Sprintf("%s-%s-%04d", unit, received.In(VietnamZone).Format("060102"), seq), nil
}
