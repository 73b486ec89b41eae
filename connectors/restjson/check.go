package restjson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// Check runs the doctor's checks on the vendor API: the transport's
// security, then for every stream its first page — reachable, credentials
// accepted, the answer is JSON with the items where configured, and the
// items carry a readable key and update time — and the API's clock against
// the lag window. It runs them all even after failures and needs no Start.
func (s *Source) Check(ctx context.Context) []connectors.CheckResult {
	var results []connectors.CheckResult
	results = append(results, s.checkTransport())
	var date, asked time.Time
	for _, name := range s.order {
		sp := s.streams[name]
		start := s.now()
		res, err := s.fetch(ctx, sp, s.firstRequest(sp))
		if err == nil && date.IsZero() && !res.date.IsZero() {
			date, asked = res.date, start
		}
		results = append(results, s.checkRequest(sp, err))
		var re *requestError
		if err != nil && (!errors.As(err, &re) || re.kind != kindBody) {
			continue // nothing to read
		}
		results = append(results, s.checkResponse(sp, res, err))
		if err != nil {
			continue
		}
		results = append(results, s.checkFields(sp, res.page))
	}
	if !date.IsZero() {
		results = append(results, s.checkClock(date, asked))
	}
	return results
}

// firstRequest asks for the first page, from the start of the stream.
func (s *Source) firstRequest(sp *streamPlan) request {
	if sp.paging.Type == PagingCursor {
		return s.cursorRequest(sp, connectors.Cursor{})
	}
	return s.walkRequest(sp, connectors.Cursor{}, sp.paging.firstPage(), "", nil)
}

func (s *Source) checkTransport() connectors.CheckResult {
	name := "API: bảo mật kết nối / transport security"
	switch {
	case s.base.Scheme == "http":
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
			Detail: "http không mã hóa (allow_insecure_http) / plain http (allow_insecure_http): " + s.base.String(),
			Hint:   "dùng https / use https outside a trusted network"}
	case s.cfg.TLS.InsecureSkipVerify:
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
			Detail: "không kiểm tra chứng thư TLS / TLS certificate verification is OFF (tls.insecure_skip_verify)",
			Hint:   "đặt tls.ca_file thay vì tắt kiểm tra / set tls.ca_file instead of turning verification off"}
	}
	detail := "https, chứng thư được kiểm tra / certificate verified"
	if s.cfg.TLS.CAFile != "" {
		detail += " (CA: " + s.cfg.TLS.CAFile + ")"
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckOK, Detail: detail}
}

func (s *Source) checkRequest(sp *streamPlan, err error) connectors.CheckResult {
	name := fmt.Sprintf("luồng / stream %s: kết nối / request", sp.name)
	var re *requestError
	switch {
	case err == nil, errors.As(err, &re) && re.kind == kindBody:
		return connectors.CheckResult{Name: name, Status: connectors.CheckOK,
			Detail: fmt.Sprintf("%s %s: trả lời / answered", sp.method, s.display(sp.endpoint))}
	case !errors.As(err, &re):
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error()}
	case re.kind == kindNetwork:
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: "không tới được API: kiểm tra base_url, mạng, tường lửa / the API is unreachable: check base_url, the network and the firewall"}
	case re.kind == kindTLS:
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: "chứng thư của API không tin cậy: đặt tls.ca_file / the API's certificate is not trusted: set tls.ca_file to the vendor's CA"}
	case re.status == http.StatusUnauthorized || re.status == http.StatusForbidden:
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: "API từ chối thông tin xác thực: kiểm tra headers, bearer_token và biến môi trường / the API refused the credentials: check headers, bearer_token and the environment variables they name"}
	case re.status == http.StatusNotFound:
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: fmt.Sprintf("sai đường dẫn / wrong endpoint: check base_url and streams.%s.path", sp.name)}
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(), Hint: re.hint}
}

func (s *Source) checkResponse(sp *streamPlan, res fetchResult, err error) connectors.CheckResult {
	name := fmt.Sprintf("luồng / stream %s: dữ liệu / response", sp.name)
	if err != nil {
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail, Detail: err.Error(),
			Hint: fmt.Sprintf("kiểm tra streams.%s.items / check streams.%s.items", sp.name, sp.name)}
	}
	where := "items " + quoteOr(sp.items, "(the response itself)")
	if !res.page.itemsFound {
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
			Detail: fmt.Sprintf("trang đầu không có / the first page has no field %s (top-level fields: %s)", sp.items, strings.Join(res.page.rootKeys, ", ")),
			Hint:   fmt.Sprintf("nếu API bỏ danh sách rỗng thì không sao; nếu không, sửa streams.%s.items / fine if the API leaves an empty list out; otherwise fix streams.%s.items", sp.name, sp.name)}
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckOK,
		Detail: fmt.Sprintf("JSON, %s: %d mục trên trang đầu / items on the first page", where, len(res.page.items))}
}

// checkFields reads the first page's items as Read would.
func (s *Source) checkFields(sp *streamPlan, pg page) connectors.CheckResult {
	name := fmt.Sprintf("luồng / stream %s: trường khóa và thời gian / key and updated fields", sp.name)
	if len(pg.items) == 0 {
		return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
			Detail: "trang đầu không có mục nào để kiểm tra / the first page has no item to check key and updated against"}
	}
	bad := 0
	var first *connectors.RecordError
	var example item
	for _, v := range pg.items {
		it := sp.makeItem(v)
		if rerr := connectors.RecordErrorOf(it.rec); rerr != nil {
			bad++
			if first == nil {
				first = rerr
			}
			continue
		}
		if !example.placed {
			example = it
		}
	}
	switch {
	case bad == 0:
		return connectors.CheckResult{Name: name, Status: connectors.CheckOK,
			Detail: fmt.Sprintf("%d/%d mục đọc được / items readable, e.g. key %q updated %s",
				len(pg.items), len(pg.items), example.pos.Key, example.pos.Updated.Format(time.RFC3339))}
	case bad == len(pg.items):
		return connectors.CheckResult{Name: name, Status: connectors.CheckFail,
			Detail: fmt.Sprintf("không mục nào đọc được / none of %d items is readable: %v", len(pg.items), first),
			Hint:   fmt.Sprintf("kiểm tra streams.%s.key, updated, key_type, updated_format / check streams.%s.key, updated, key_type and updated_format", sp.name, sp.name)}
	}
	return connectors.CheckResult{Name: name, Status: connectors.CheckWarn,
		Detail: fmt.Sprintf("%d/%d mục không đọc được, sẽ bị cách ly / items unreadable, they will be quarantined: %v", bad, len(pg.items), first),
		Hint:   "báo nhà cung cấp sửa dữ liệu / ask the vendor to fix those items"}
}

// checkClock compares the API's clock (its Date header) with ours. An API
// clock behind ours by more than a stream's lag can make the cursor pass
// items the vendor stamps late.
func (s *Source) checkClock(date, asked time.Time) connectors.CheckResult {
	name := "API: đồng hồ / clock"
	// Date has whole seconds; allow for that and the request's duration.
	skew := date.Sub(asked.Truncate(time.Second))
	minLag := time.Duration(1<<63 - 1)
	for _, sp := range s.streams {
		minLag = min(minLag, sp.lag)
	}
	r := connectors.CheckResult{Name: name, Status: connectors.CheckOK,
		Detail: fmt.Sprintf("lệch so với máy này / skew vs this machine %s", skew.Round(time.Second))}
	switch {
	case skew < -time.Second && -skew > minLag:
		r.Status = connectors.CheckFail
		r.Hint = fmt.Sprintf("đồng hồ API chậm hơn lag (%s): có thể bỏ sót dữ liệu; đồng bộ NTP hoặc tăng lag / the API's clock is behind by more than the lag (%s): items may be missed; fix NTP or raise lag", minLag, minLag)
	case skew > 3*time.Second || skew < -3*time.Second:
		r.Status = connectors.CheckWarn
		r.Hint = "đồng bộ giờ (NTP) cho máy chủ API và máy này / synchronise both clocks (NTP)"
	}
	return r
}

func quoteOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return fmt.Sprintf("%q", s)
}
