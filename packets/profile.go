package packets

import (
	"fmt"
	"sort"
)

// Profile is a named, versioned mapping from the canonical model to bytes
// on the wire (see docs/packets.md).
type Profile interface {
	// Name is the profile's configuration name, e.g. "hcm-lgsp".
	Name() string
	// ContentType is the HTTP media type of encoded packets.
	ContentType() string
	// Encode serialises p deterministically: the same packet gives the
	// same bytes.
	Encode(p *Packet) ([]byte, error)
	// Decode parses bytes produced by Encode (and by other senders of the
	// same profile) back into a packet. It never trusts its input.
	Decode(b []byte) (*Packet, error)
}

var profiles = map[string]Profile{}

func registerProfile(p Profile) {
	if _, dup := profiles[p.Name()]; dup {
		panic("packets: duplicate profile " + p.Name())
	}
	profiles[p.Name()] = p
}

// ProfileByName returns the named profile.
func ProfileByName(name string) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown packet profile %q (known: %v)", name, ProfileNames())
	}
	return p, nil
}

// ProfileNames lists the known profiles, sorted.
func ProfileNames() []string {
	out := make([]string, 0, len(profiles))
	for n := range profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
