package connectors

import (
	"slices"
	"testing"
)

func TestOrderStreams(t *testing.T) {
	tests := []struct {
		name                     string
		preferred, streams, want []string
	}{
		{"default: ho_so first, then by name", nil, []string{"qua_trinh_xu_ly", "danh_gia", "ho_so"}, []string{"ho_so", "danh_gia", "qua_trinh_xu_ly"}},
		{"configured order first", []string{"qua_trinh_xu_ly"}, []string{"ho_so", "qua_trinh_xu_ly", "danh_gia"}, []string{"qua_trinh_xu_ly", "ho_so", "danh_gia"}},
		{"unknown and repeated names in the configured order are ignored", []string{"x", "danh_gia", "danh_gia"}, []string{"ho_so", "danh_gia"}, []string{"danh_gia", "ho_so"}},
		{"no ho_so", nil, []string{"b", "a"}, []string{"a", "b"}},
		{"none", []string{"a"}, nil, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := OrderStreams(tc.preferred, tc.streams); !slices.Equal(got, tc.want) {
				t.Errorf("OrderStreams(%v, %v) = %v, want %v", tc.preferred, tc.streams, got, tc.want)
			}
		})
	}
}
