package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// ParseOutage reads an outage flag of the form DURATION@OFFSET ("10m@5m":
// ten minutes of outage starting five minutes after start) or DURATION
// alone (starting at once). Durations use Go syntax (90s, 10m, 1h30m).
func ParseOutage(spec string, start time.Time) (Window, error) {
	durText, offText, hasOffset := strings.Cut(strings.TrimSpace(spec), "@")
	dur, err := time.ParseDuration(strings.TrimSpace(durText))
	if err != nil || dur <= 0 {
		return Window{}, fmt.Errorf("outage %q: want DURATION@OFFSET such as 10m@5m (a positive duration, then when it starts after the sandbox starts)", spec)
	}
	var off time.Duration
	if hasOffset {
		off, err = time.ParseDuration(strings.TrimSpace(offText))
		if err != nil || off < 0 {
			return Window{}, fmt.Errorf("outage %q: offset %q is not a duration >= 0 (e.g. 5m)", spec, offText)
		}
	}
	// Keep the end representable: durations this long are typos anyway.
	const maxSpan = 100 * 365 * 24 * time.Hour
	if dur > maxSpan || off > maxSpan {
		return Window{}, fmt.Errorf("outage %q: longer than a century", spec)
	}
	return Window{Start: start.Add(off), End: start.Add(off + dur)}, nil
}

// faultsJSON is the wire form of Faults for /sandbox/faults: durations as
// Go duration strings ("2s"), windows as RFC 3339 times. On POST every field
// is optional and only the fields present change; outage_for is a shortcut
// that adds an outage starting now.
type faultsJSON struct {
	ErrorRate     *float64      `json:"error_rate,omitempty"`
	ThrottleRate  *float64      `json:"throttle_rate,omitempty"`
	DropAckRate   *float64      `json:"drop_ack_rate,omitempty"`
	RetryAfter    *string       `json:"retry_after,omitempty"`
	Latency       *string       `json:"latency,omitempty"`
	LatencyJitter *string       `json:"latency_jitter,omitempty"`
	Outages       *[]windowJSON `json:"outages,omitempty"`
	OutageFor     *string       `json:"outage_for,omitempty"`
}

type windowJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

func faultsToJSON(f Faults) faultsJSON {
	str := func(d time.Duration) *string { s := d.String(); return &s }
	num := func(v float64) *float64 { return &v }
	windows := make([]windowJSON, 0, len(f.Outages))
	for _, w := range f.Outages {
		windows = append(windows, windowJSON{Start: w.Start, End: w.End})
	}
	return faultsJSON{
		ErrorRate: num(f.ErrorRate), ThrottleRate: num(f.ThrottleRate), DropAckRate: num(f.DropAckRate),
		RetryAfter: str(f.RetryAfter), Latency: str(f.Latency), LatencyJitter: str(f.LatencyJitter),
		Outages: &windows,
	}
}

// mergeFaults applies a JSON update to cur. Unknown keys are errors, so a
// typo ("error-rate") does not silently do nothing.
func mergeFaults(cur Faults, body []byte, now time.Time) (Faults, error) {
	var in faultsJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return cur, fmt.Errorf("faults: %w (keys: error_rate, throttle_rate, drop_ack_rate, retry_after, latency, latency_jitter, outages, outage_for)", err)
	}
	if dec.More() {
		return cur, errors.New("faults: more than one JSON value")
	}
	out := cur
	out.Outages = append([]Window(nil), cur.Outages...)
	var errs []error
	setRate := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	setRate(&out.ErrorRate, in.ErrorRate)
	setRate(&out.ThrottleRate, in.ThrottleRate)
	setRate(&out.DropAckRate, in.DropAckRate)
	setDur := func(name string, dst *time.Duration, v *string) {
		if v == nil {
			return
		}
		d, err := time.ParseDuration(*v)
		if err != nil {
			errs = append(errs, fmt.Errorf("faults %s %q: want a duration such as 2s or 150ms", name, *v))
			return
		}
		*dst = d
	}
	setDur("retry_after", &out.RetryAfter, in.RetryAfter)
	setDur("latency", &out.Latency, in.Latency)
	setDur("latency_jitter", &out.LatencyJitter, in.LatencyJitter)
	if in.Outages != nil {
		out.Outages = out.Outages[:0]
		for _, w := range *in.Outages {
			out.Outages = append(out.Outages, Window{Start: w.Start, End: w.End})
		}
	}
	if in.OutageFor != nil {
		w, err := ParseOutage(*in.OutageFor, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("faults outage_for: %w", err))
		} else {
			out.Outages = append(out.Outages, w)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return cur, err
	}
	if err := out.validate(); err != nil {
		return cur, err
	}
	return out, nil
}

// isLoopback reports whether a RemoteAddr is this machine.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether a browser Origin names the host being asked.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}
