package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/catalog"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// Catalogs is the `catalogs:` section: the shared code catalogs cached
// locally for the mapping (catalog, catalog_map, from_catalog,
// rename_units). The section's presence turns the cache on; without it
// there is none, and a mapping that uses catalogs is refused.
//
//	catalogs:
//	  refresh: [units, procedures, LayThuTuc]   # default: every city catalog and every catalog the mapping uses
//	  schedule: "0 3 * * *"                     # default: daily 03:00 in schedule.timezone
//	  city:
//	    units: /danh-muc/1.0/don-vi
//	    procedures: /danh-muc/1.0/thu-tuc
//	  thu_tuc: {from: procedures}               # which MaTTHC LayThuTuc fetches
//	  unit_renames:
//	    - {old: "000.00.01.H29", new: "000.00.12.H29", from: "2025-07-01"}
//
// Environment variables do not reach this section: it is off by default
// and has no leaves to overlay.
type Catalogs struct {
	// Path is the cache file; default catalogs.db beside store.path.
	Path string `mapstructure:"path"`
	// Refresh lists the catalogs kept fresh: names of City, and the
	// national portal's catalogues (LayDanhMucCoQuan, LayThuTuc …).
	Refresh []string `mapstructure:"refresh"`
	// Schedule is the refresh's cron spec, read in schedule.timezone.
	Schedule string `mapstructure:"schedule"`
	// City maps a city catalog's name (units, officials, procedures,
	// rating_criteria …) to its LGSP path.
	City map[string]string `mapstructure:"city"`
	// CityFields names the JSON fields of city catalog entries when they
	// differ from the documented ones (Ma, Ten, MaCha, HieuLucTu,
	// HieuLucDen).
	CityFields CatalogFields `mapstructure:"city_fields"`
	// DVCQGFields names the code and name fields of portal catalogues
	// whose rows the connector cannot read on its own.
	DVCQGFields map[string]CatalogFields `mapstructure:"dvcqg_fields"`
	// ThuTuc says which procedures LayThuTuc fetches (one call each).
	ThuTuc ThuTucCodes `mapstructure:"thu_tuc"`
	// UnitRenames maps units dissolved in 2025 to their successors.
	UnitRenames []UnitRename `mapstructure:"unit_renames"`
}

// CatalogFields names the fields of catalog rows; empty keys keep their
// default.
type CatalogFields struct {
	Code      string `mapstructure:"code"`
	Name      string `mapstructure:"name"`
	Parent    string `mapstructure:"parent"`
	ValidFrom string `mapstructure:"valid_from"`
	ValidTo   string `mapstructure:"valid_to"`
}

// ThuTucCodes lists procedure codes: Codes, plus every code of the cached
// catalog From (e.g. procedures, or LayDanhSachTTHC).
type ThuTucCodes struct {
	Codes []string `mapstructure:"codes"`
	From  string   `mapstructure:"from"`
}

// UnitRename is one dissolved unit: its code, its successor's, and the
// first day (YYYY-MM-DD, in Viet Nam) the successor took over.
type UnitRename struct {
	Old  string `mapstructure:"old"`
	New  string `mapstructure:"new"`
	From string `mapstructure:"from"`
}

// DefaultCatalogSchedule refreshes the catalogs daily at 03:00, when
// nobody is at the one-stop desk.
const DefaultCatalogSchedule = "0 3 * * *"

// portalCatalogue reports whether name is a national portal catalogue:
// the portal's catalogue services are all named Lay….
func portalCatalogue(name string) bool { return strings.HasPrefix(name, "Lay") }

// complete resolves the path against the config file's directory and
// fills the defaults that depend on other sections.
func (c *Catalogs) complete(cfg *Config, baseDir string) {
	if c == nil {
		return
	}
	if c.Path != "" && baseDir != "" && !filepath.IsAbs(c.Path) {
		c.Path = filepath.Join(baseDir, c.Path)
	}
	if c.Path == "" && cfg.Store.Path != "" {
		c.Path = filepath.Join(filepath.Dir(cfg.Store.Path), "catalogs.db")
	}
	if strings.TrimSpace(c.Schedule) == "" {
		c.Schedule = DefaultCatalogSchedule
	}
	d := catalog.DefaultCityFields()
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&c.CityFields.Code, d.Code}, {&c.CityFields.Name, d.Name}, {&c.CityFields.Parent, d.Parent},
		{&c.CityFields.ValidFrom, d.ValidFrom}, {&c.CityFields.ValidTo, d.ValidTo},
	} {
		if strings.TrimSpace(*f.v) == "" {
			*f.v = f.def
		}
	}
	if len(c.Refresh) == 0 {
		seen := map[string]bool{}
		for name := range c.City {
			seen[name] = true
		}
		for _, name := range cfg.Mapping.CatalogsUsed() {
			seen[name] = true
		}
		c.Refresh = sortedKeys(seen)
	}
	if slices.Contains(c.Refresh, catalog.ServiceLayThuTuc) && c.ThuTuc.From == "" && len(c.ThuTuc.Codes) == 0 {
		switch {
		case c.City["procedures"] != "":
			c.ThuTuc.From = "procedures"
		case slices.Contains(c.Refresh, "LayDanhSachTTHC"):
			c.ThuTuc.From = "LayDanhSachTTHC"
		}
	}
}

// RefreshOrder is Refresh with LayThuTuc after the catalog its codes come
// from.
func (c *Catalogs) RefreshOrder() []string {
	out := make([]string, 0, len(c.Refresh))
	late := false
	for _, n := range c.Refresh {
		if n == catalog.ServiceLayThuTuc {
			late = true
			continue
		}
		out = append(out, n)
	}
	if late {
		out = append(out, catalog.ServiceLayThuTuc)
	}
	return out
}

// MappingRenames converts UnitRenames for mapping.Options; each takes
// effect at 00:00 in Viet Nam on its From day. Call it on a validated
// configuration.
func (c *Catalogs) MappingRenames() []mapping.UnitRename {
	if c == nil {
		return nil
	}
	out := make([]mapping.UnitRename, 0, len(c.UnitRenames))
	for _, r := range c.UnitRenames {
		from, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(r.From), catalog.Zone)
		if err != nil {
			continue // validation reported it
		}
		out = append(out, mapping.UnitRename{Old: strings.TrimSpace(r.Old), New: strings.TrimSpace(r.New), From: from})
	}
	return out
}

func (c *Config) validateCatalogs(k *checker) {
	used := c.Mapping.CatalogsUsed()
	cs := c.Catalogs
	if cs == nil {
		if len(used) > 0 {
			list := strings.Join(used, ", ")
			k.fail("catalogs", "ánh xạ dùng danh mục ("+list+") nhưng chưa có mục catalogs: để tải và lưu chúng",
				"the mapping uses catalogs ("+list+") but there is no catalogs: section to fetch and cache them")
		}
		return
	}
	if k.required("catalogs.path", cs.Path) {
		if filepath.Clean(cs.Path) == filepath.Clean(c.Store.Path) {
			k.fail("catalogs.path", "phải là tệp riêng, khác store.path", "must be a file of its own, not store.path")
		} else if !k.o.SkipFileChecks {
			dir := filepath.Dir(cs.Path)
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				k.fail("catalogs.path", fmt.Sprintf("thư mục %q không tồn tại; hãy tạo nó trước", dir),
					fmt.Sprintf("directory %q does not exist; create it first", dir))
			}
		}
	}
	if _, err := scheduler.ParseSpec(cs.Schedule); err != nil {
		k.failMsg("catalogs.schedule", err.Error())
	}

	for _, name := range sortedKeys(cs.City) {
		path := "catalogs.city." + name
		switch ep := strings.TrimSpace(cs.City[name]); {
		case !catalog.ValidName(name):
			k.fail(path, "tên danh mục chỉ gồm chữ, số và _", "a catalog name is letters, digits and _ (e.g. units)")
		case portalCatalogue(name):
			k.fail(path, "tên bắt đầu bằng Lay dành cho danh mục của Cổng DVCQG; đặt tên khác",
				"names starting with Lay are the national portal's catalogues; choose another name")
		case ep == "":
			k.fail(path, "bắt buộc: đường dẫn LGSP của danh mục", "required: the catalog's LGSP path")
		case strings.HasPrefix(ep, "/"):
		default:
			k.endpointURL(path, ep, c.LGSP.InsecureSkipVerify)
		}
	}
	for _, name := range sortedKeys(cs.DVCQGFields) {
		path := "catalogs.dvcqg_fields." + name
		if !portalCatalogue(name) {
			k.fail(path, "chỉ dành cho danh mục của Cổng DVCQG (Lay…)", "only for the national portal's catalogues (Lay…)")
		} else if strings.TrimSpace(cs.DVCQGFields[name].Code) == "" {
			k.fail(path+".code", "bắt buộc", "required")
		}
	}

	known := make([]string, 0, len(cs.City))
	for name := range cs.City {
		known = append(known, name)
	}
	sort.Strings(known)
	seen := map[string]bool{}
	for i, name := range cs.Refresh {
		path := fmt.Sprintf("catalogs.refresh[%d]", i)
		switch {
		case seen[name]:
			k.fail(path, fmt.Sprintf("%q có hai lần", name), fmt.Sprintf("%q is listed twice", name))
		case portalCatalogue(name):
			switch {
			case !catalog.ValidName(name):
				k.fail(path, fmt.Sprintf("tên danh mục %q không hợp lệ", name), fmt.Sprintf("invalid catalog name %q", name))
			case !c.DVCQG.Enabled:
				k.fail(path, fmt.Sprintf("danh mục %q lấy từ Cổng DVCQG: cần mục dvcqg: với enabled: true", name),
					fmt.Sprintf("catalog %q comes from the national portal: it needs the dvcqg: section with enabled: true", name))
			}
		case cs.City[name] == "" && suggest(name, known) != "" && suggest(name, known) != name:
			s := suggest(name, known)
			k.fail(path, fmt.Sprintf("danh mục %q không có trong catalogs.city (có phải %s?)", name, s),
				fmt.Sprintf("catalog %q is not under catalogs.city (did you mean %s?)", name, s))
		case cs.City[name] == "":
			hint := strings.Join(known, ", ")
			if hint == "" {
				hint = "không có / none"
			}
			k.fail(path, fmt.Sprintf("danh mục %q không có đường dẫn trong catalogs.city (có: %s), cũng không phải danh mục Cổng DVCQG (Lay…)", name, hint),
				fmt.Sprintf("catalog %q has no path under catalogs.city (there: %s) and is not a national portal catalogue (Lay…)", name, hint))
		}
		seen[name] = true
	}
	for _, name := range used {
		if !seen[name] {
			k.fail("catalogs.refresh", fmt.Sprintf("ánh xạ dùng danh mục %q nhưng danh sách refresh không có nó", name),
				fmt.Sprintf("the mapping uses catalog %q, but refresh does not list it", name))
		}
	}

	if seen[catalog.ServiceLayThuTuc] {
		t := cs.ThuTuc
		switch {
		case t.From == "" && len(t.Codes) == 0:
			k.fail("catalogs.thu_tuc", "LayThuTuc lấy từng thủ tục một: cho biết mã nào (codes) hoặc lấy từ danh mục nào (from, ví dụ procedures)",
				"LayThuTuc fetches one procedure at a time: say which codes (codes) or which cached catalog lists them (from, e.g. procedures)")
		case t.From != "" && !seen[t.From]:
			k.fail("catalogs.thu_tuc.from", fmt.Sprintf("danh mục %q phải có trong refresh", t.From), fmt.Sprintf("catalog %q must be listed in refresh", t.From))
		case t.From == catalog.ServiceLayThuTuc:
			k.fail("catalogs.thu_tuc.from", "không thể lấy từ chính nó", "cannot list itself")
		}
		for i, code := range t.Codes {
			if strings.TrimSpace(code) == "" {
				k.fail(fmt.Sprintf("catalogs.thu_tuc.codes[%d]", i), "không được để trống", "must not be empty")
			}
		}
	}

	c.validateUnitRenames(k)
}

func (c *Config) validateUnitRenames(k *checker) {
	type key struct{ old, from string }
	seen := map[key]int{}
	next := map[string]string{}
	for i, r := range c.Catalogs.UnitRenames {
		path := fmt.Sprintf("catalogs.unit_renames[%d]", i)
		old, nu, from := strings.TrimSpace(r.Old), strings.TrimSpace(r.New), strings.TrimSpace(r.From)
		ok := k.required(path+".old", old)
		ok = k.required(path+".new", nu) && ok
		if k.required(path+".from", from) {
			if _, err := time.Parse(time.DateOnly, from); err != nil {
				k.fail(path+".from", fmt.Sprintf("cần ngày dạng YYYY-MM-DD, ví dụ 2025-07-01; nhận được %q", from),
					fmt.Sprintf("must be a date YYYY-MM-DD, e.g. 2025-07-01; got %q", from))
				ok = false
			}
		} else {
			ok = false
		}
		if !ok {
			continue
		}
		if old == nu {
			k.fail(path, fmt.Sprintf("mã cũ và mã mới giống nhau (%q)", old), fmt.Sprintf("old and new codes are the same (%q)", old))
			continue
		}
		if j, dup := seen[key{old, from}]; dup {
			k.fail(path, fmt.Sprintf("trùng với unit_renames[%d]", j), fmt.Sprintf("duplicates unit_renames[%d]", j))
			continue
		}
		seen[key{old, from}] = i
		next[old] = nu
	}
	// A cycle (A → B → A) would rename forever; follow each chain.
	for _, start := range sortedKeys(next) {
		code, steps := start, 0
		for steps <= len(next) {
			n, ok := next[code]
			if !ok {
				break
			}
			code, steps = n, steps+1
			if code == start {
				k.fail("catalogs.unit_renames", fmt.Sprintf("đổi mã thành vòng tròn bắt đầu từ %q", start),
					fmt.Sprintf("the renames form a cycle starting at %q", start))
				return
			}
		}
	}
}
