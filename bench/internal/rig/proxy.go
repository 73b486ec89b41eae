package rig

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Proxy forwards TCP connections to a MySQL server and counts the
// commands its clients send. The server's own counters (SHOW GLOBAL
// STATUS) include every other client of a shared server; the proxy sees
// only the connector.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   int
	cmds    map[string]int64
	texts   map[string]int64
	full    map[string]string // every distinct full text → its shortened form
	closing bool
	open    map[net.Conn]struct{}
}

// StartProxy listens on a free loopback port and forwards to target.
func StartProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, cmds: map[string]int64{}, texts: map[string]int64{}, full: map[string]string{}, open: map[net.Conn]struct{}{}}
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops the proxy and its connections.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closing = true
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.ln.Close()
}

// ProxyCounts is a snapshot of what clients sent.
type ProxyCounts struct {
	Connections int
	Commands    map[string]int64 // COM_QUERY, COM_STMT_EXECUTE, …
	Statements  map[string]int64 // statement text (shortened) of COM_QUERY and COM_STMT_PREPARE
}

// Queries counts what the server's Questions counter counts: COM_QUERY
// and COM_STMT_EXECUTE.
func (c ProxyCounts) Queries() int64 { return c.Commands["COM_QUERY"] + c.Commands["COM_STMT_EXECUTE"] }

// RoundTrips counts every command (each waits for the server's answer,
// except COM_STMT_CLOSE and COM_QUIT).
func (c ProxyCounts) RoundTrips() int64 {
	var n int64
	for k, v := range c.Commands {
		if k != "COM_STMT_CLOSE" && k != "COM_QUIT" {
			n += v
		}
	}
	return n
}

// Sub returns c − before.
func (c ProxyCounts) Sub(before ProxyCounts) ProxyCounts {
	out := ProxyCounts{Connections: c.Connections - before.Connections, Commands: map[string]int64{}, Statements: map[string]int64{}}
	for k, v := range c.Commands {
		if d := v - before.Commands[k]; d != 0 {
			out.Commands[k] = d
		}
	}
	for k, v := range c.Statements {
		if d := v - before.Statements[k]; d != 0 {
			out.Statements[k] = d
		}
	}
	return out
}

// Lines renders the counts, each divided by per (e.g. polls).
func (c ProxyCounts) Lines(per float64) []string {
	var out []string
	keys := make([]string, 0, len(c.Commands))
	for k := range c.Commands {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%-20s %8d  (%.2f per poll)", k, c.Commands[k], float64(c.Commands[k])/per))
	}
	keys = keys[:0]
	for k := range c.Statements {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("  %6d × (%.2f per poll) %s", c.Statements[k], float64(c.Statements[k])/per, k))
	}
	return out
}

// Statements returns every distinct statement text seen (the first
// thousand, cut at 16 KiB) with its shortened form.
func (p *Proxy) Statements() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.full))
	for k, v := range p.full {
		out[k] = v
	}
	return out
}

// Snapshot copies the counters.
func (p *Proxy) Snapshot() ProxyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := ProxyCounts{Connections: p.conns, Commands: map[string]int64{}, Statements: map[string]int64{}}
	for k, v := range p.cmds {
		out.Commands[k] = v
	}
	for k, v := range p.texts {
		out.Statements[k] = v
	}
	return out
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *Proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closing {
			return false
		}
		p.open[c] = struct{}{}
	} else {
		delete(p.open, c)
	}
	return true
}

func (p *Proxy) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, true) || !p.track(server, true) {
		_ = client.Close()
		_ = server.Close()
		return
	}
	p.mu.Lock()
	p.conns++
	p.mu.Unlock()
	defer func() {
		p.track(client, false)
		p.track(server, false)
		_ = client.Close()
		_ = server.Close()
	}()
	go func() {
		_, _ = io.Copy(client, server)
		_ = client.Close()
	}()
	p.forward(bufio.NewReaderSize(client, 64<<10), server)
}

var commandNames = map[byte]string{
	0x01: "COM_QUIT", 0x02: "COM_INIT_DB", 0x03: "COM_QUERY", 0x0e: "COM_PING",
	0x16: "COM_STMT_PREPARE", 0x17: "COM_STMT_EXECUTE", 0x19: "COM_STMT_CLOSE",
	0x1a: "COM_STMT_RESET", 0x1f: "COM_RESET_CONNECTION",
}

// forward copies client packets to the server. A packet is a 3-byte
// little-endian length, a sequence number and the payload; a command is
// a packet with sequence 0 and its first payload byte names it.
func (p *Proxy) forward(r *bufio.Reader, w io.Writer) {
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
		if _, err := w.Write(hdr[:]); err != nil {
			return
		}
		if hdr[3] == 0 && n > 0 {
			head, err := r.Peek(min(n, 16<<10))
			if err != nil {
				return
			}
			p.count(head)
		}
		if _, err := io.CopyN(w, r, int64(n)); err != nil {
			return
		}
	}
}

var (
	spaces    = regexp.MustCompile(`\s+`)
	fromTable = regexp.MustCompile(`(?i)\b(?:FROM|INTO|UPDATE)\s+([A-Za-z_][\w.]*)`)
)

func (p *Proxy) count(payload []byte) {
	name, ok := commandNames[payload[0]]
	if !ok {
		name = fmt.Sprintf("COM_0x%02x", payload[0])
	}
	var text string
	if payload[0] == 0x03 || payload[0] == 0x16 {
		text = shorten(string(payload[1:]))
	}
	p.mu.Lock()
	p.cmds[name]++
	if text != "" {
		p.texts[name+": "+text]++
		if len(p.full) < 1000 {
			p.full[string(payload[1:])] = text
		}
	}
	p.mu.Unlock()
}

// shorten keeps a statement's first words and the tables it names.
func shorten(q string) string {
	q = strings.TrimSpace(spaces.ReplaceAllString(q, " "))
	var tables []string
	for _, m := range fromTable.FindAllStringSubmatch(q, -1) {
		tables = append(tables, m[1])
	}
	head := q
	if len(head) > 40 {
		head = head[:40] + "…"
	}
	if len(tables) > 0 {
		return head + " [" + strings.Join(tables, ",") + "]"
	}
	return head
}
