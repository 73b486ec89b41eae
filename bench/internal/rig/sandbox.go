package rig

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SandboxStats is the part of GET /sandbox/stats the benchmarks read.
type SandboxStats struct {
	Received         int            `json:"received"`
	Accepted         int            `json:"accepted"`
	Unique           int            `json:"unique"`
	Duplicates       int            `json:"duplicates"`
	Rejected         int            `json:"rejected"`
	InvalidSignature int            `json:"invalid_signature"`
	ByKind           map[string]int `json:"by_kind"`
}

// AcceptedPacket is one entry of GET /sandbox/packets.
type AcceptedPacket struct {
	MessageID string    `json:"message_id"`
	Kind      string    `json:"kind"`
	MaHoSo    string    `json:"ma_ho_so"`
	At        time.Time `json:"at"` // when the sandbox first accepted it
}

// Sandbox reads the sandbox's admin endpoints (open to loopback).
type Sandbox struct {
	BaseURL string
	Client  *http.Client
}

// NewSandbox returns a client for the sandbox at baseURL.
func NewSandbox(baseURL string) *Sandbox {
	return &Sandbox{BaseURL: baseURL, Client: &http.Client{Timeout: 30 * time.Second}}
}

func (s *Sandbox) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.BaseURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Stats returns the sandbox counters.
func (s *Sandbox) Stats(ctx context.Context) (SandboxStats, error) {
	var st SandboxStats
	err := s.get(ctx, "/sandbox/stats", &st)
	return st, err
}

// Packets returns accepted packets in arrival order from offset on.
func (s *Sandbox) Packets(ctx context.Context, offset int) ([]AcceptedPacket, error) {
	var all []AcceptedPacket
	for {
		var page struct {
			Total   int              `json:"total"`
			Packets []AcceptedPacket `json:"packets"`
		}
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {"10000"}}
		if err := s.get(ctx, "/sandbox/packets?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Packets...)
		offset += len(page.Packets)
		if len(page.Packets) == 0 || offset >= page.Total {
			return all, nil
		}
	}
}

// WaitUnique waits until the sandbox holds at least want distinct packets,
// or the count stops moving for stall, or ctx ends. It returns the last
// count seen.
func (s *Sandbox) WaitUnique(ctx context.Context, want int, stall time.Duration, progress func(n int)) (int, error) {
	last, lastChange := -1, time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := s.Stats(ctx)
		if err != nil {
			return last, err
		}
		if st.Unique != last {
			last, lastChange = st.Unique, time.Now()
			if progress != nil {
				progress(last)
			}
		}
		if last >= want {
			return last, nil
		}
		if time.Since(lastChange) > stall {
			return last, fmt.Errorf("sandbox stuck at %d of %d packets for %s", last, want, stall)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-tick.C:
		}
	}
}
