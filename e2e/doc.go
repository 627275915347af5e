// Package e2e drives the real seance binary with headless Chromium: two
// browsers in one séance, a server restart, the host ending a séance,
// keyboard-only use and a phone-sized screen. Screenshots of each state go
// to artifacts/screenshots/ at the module root.
//
// TestMain builds ./cmd/seance from this module; SEANCE_E2E_BINARY names
// a binary to test instead. The tests need Debian's chromium (or SEANCE_CHROME naming a Chrome
// binary); without it they skip, unless SEANCE_REQUIRE_SERVICES=1.
package e2e
