package connectors

import "sort"

// FirstStream is the stream polled first unless configured otherwise:
// dossiers before the steps, answers and other records about them.
const FirstStream = "ho_so"

// OrderStreams is the polling order of a source's streams: the streams of
// preferred that exist, in that order, then the others with FirstStream
// first and the rest by name. Connectors share it so that every source
// polls alike.
func OrderStreams(preferred, streams []string) []string {
	exists := make(map[string]bool, len(streams))
	for _, n := range streams {
		exists[n] = true
	}
	out := make([]string, 0, len(streams))
	listed := map[string]bool{}
	for _, n := range preferred {
		if exists[n] && !listed[n] {
			out = append(out, n)
			listed[n] = true
		}
	}
	rest := make([]string, 0, len(streams))
	for _, n := range streams {
		if !listed[n] {
			rest = append(rest, n)
			listed[n] = true
		}
	}
	sort.Slice(rest, func(i, j int) bool {
		if (rest[i] == FirstStream) != (rest[j] == FirstStream) {
			return rest[i] == FirstStream
		}
		return rest[i] < rest[j]
	})
	return append(out, rest...)
}
