// Package hardening holds cross-package tests of how the assembled
// connector copes with hostile conditions: malformed legacy rows, a full
// disk under the outbox, logs that must carry no secrets or personal data,
// and the inbound endpoints that exist today. It has no production code;
// docs/RELIABILITY.md ("Bad input", "Storage (disk full)", "Security")
// says what each test proves and how to run the long versions
// (LGSP_HARDENING_LONG=1).
package hardening
