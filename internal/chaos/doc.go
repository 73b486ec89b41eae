// Package chaos holds the connector's reliability tests: the connector
// process killed with SIGKILL at random moments and restarted, and
// delivery through an LGSP sandbox that fails, throttles, stalls, goes
// down and refuses some packets for good. Both run against a real MariaDB
// legacy database and the in-process sandbox, and check the promise of
// the design: nothing lost, nothing sent twice under different message
// IDs, nothing stuck.
//
// The tests are short by default; LGSP_CHAOS_LONG=1 runs the long
// versions. docs/RELIABILITY.md gives the commands and the figures seen.
package chaos
