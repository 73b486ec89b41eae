package rig

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// packet frames a MySQL client packet: 3-byte little-endian length,
// sequence number, payload.
func packet(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

func TestProxyCountsCommandsAndPassesBytesThrough(t *testing.T) {
	poll := "SELECT * FROM (\nSELECT id, so_ho_so FROM hs_hoso\n) src WHERE src.`ngay_cap_nhat` >= ? LIMIT ?"
	tests := []struct {
		name       string
		packets    [][]byte
		commands   map[string]int64
		statements map[string]int64
	}{
		{
			name:     "handshake response is not a command",
			packets:  [][]byte{packet(1, []byte("\x8d\xa6\x0f\x00root\x00")), packet(0, []byte{0x0e})},
			commands: map[string]int64{"COM_PING": 1},
		},
		{
			name: "prepared poll",
			packets: [][]byte{
				packet(0, append([]byte{0x16}, poll...)),
				packet(0, []byte{0x17, 1, 0, 0, 0}),
				packet(0, []byte{0x19, 1, 0, 0, 0}),
			},
			commands:   map[string]int64{"COM_STMT_PREPARE": 1, "COM_STMT_EXECUTE": 1, "COM_STMT_CLOSE": 1},
			statements: map[string]int64{"COM_STMT_PREPARE: " + shorten(poll): 1},
		},
		{
			name: "continuation packets of a long query are one command",
			packets: [][]byte{
				packet(0, append([]byte{0x03}, "SELECT 1 FROM hs_tai_lieu"...)),
				packet(1, []byte("more of the same statement")),
			},
			commands:   map[string]int64{"COM_QUERY": 1},
			statements: map[string]int64{"COM_QUERY: SELECT 1 FROM hs_tai_lieu [hs_tai_lieu]": 1},
		},
		{
			name:     "unknown command byte",
			packets:  [][]byte{packet(0, []byte{0x99})},
			commands: map[string]int64{"COM_0x99": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := bytes.Join(tc.packets, nil)
			var out bytes.Buffer
			p := &Proxy{cmds: map[string]int64{}, texts: map[string]int64{}, full: map[string]string{}}
			p.forward(bufio.NewReader(bytes.NewReader(in)), &out)
			if !bytes.Equal(out.Bytes(), in) {
				t.Errorf("forwarded %q, want the input %q unchanged", out.Bytes(), in)
			}
			got := p.Snapshot()
			if len(got.Commands) != len(tc.commands) {
				t.Errorf("commands %v, want %v", got.Commands, tc.commands)
			}
			for k, v := range tc.commands {
				if got.Commands[k] != v {
					t.Errorf("%s = %d, want %d (all: %v)", k, got.Commands[k], v, got.Commands)
				}
			}
			for k, v := range tc.statements {
				if got.Statements[k] != v {
					t.Errorf("statement %q counted %d, want %d (all: %v)", k, got.Statements[k], v, got.Statements)
				}
			}
		})
	}
}

func TestShorten(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT  a,\n b FROM hs_hoso h JOIN x ON 1", "SELECT a, b FROM hs_hoso h JOIN x ON 1 [hs_hoso]"},
		{"INSERT INTO hs_qua_trinh (id) VALUES (?)", "INSERT INTO hs_qua_trinh (id) VALUES (?) [hs_qua_trinh]"},
		{strings.Repeat("x", 50), strings.Repeat("x", 40) + "…"},
	}
	for _, tc := range tests {
		if got := shorten(tc.in); got != tc.want {
			t.Errorf("shorten(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzProxyForward: whatever a client sends, the proxy forwards a prefix
// of it byte for byte (all of it when it ends on a packet boundary) and
// counts without panicking.
func FuzzProxyForward(f *testing.F) {
	f.Add(packet(0, []byte{0x03, 'S'}))
	f.Add(append(packet(0, []byte{0x16, 'x'}), packet(1, nil)...))
	f.Add([]byte{0xff, 0xff, 0xff, 0x00, 0x03})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		p := &Proxy{cmds: map[string]int64{}, texts: map[string]int64{}, full: map[string]string{}}
		p.forward(bufio.NewReader(bytes.NewReader(in)), &out)
		if !bytes.HasPrefix(in, out.Bytes()) {
			t.Fatalf("forwarded bytes are not a prefix of the input")
		}
		whole := 0
		for rest := in; len(rest) >= 4; {
			n := int(rest[0]) | int(rest[1])<<8 | int(rest[2])<<16
			if len(rest) < 4+n {
				break
			}
			whole += 4 + n
			rest = rest[4+n:]
		}
		if out.Len() < whole {
			t.Fatalf("forwarded %d bytes, but the first %d form whole packets", out.Len(), whole)
		}
	})
}
