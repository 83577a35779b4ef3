// Package pgtest holds the helpers of the tests that run against a real
// PostgreSQL server: the test database's DSN, a fresh schema per test, a
// private cluster a test may stop and start, a TCP proxy that cuts or
// holds the store's connection, and ending a client's connections from
// the server's side.
//
// The tests run against the server named by $PARLOR_TEST_POSTGRES (a
// DSN; scripts/postgres.sh start prints one). Without it they skip,
// except in CI (CI=true), where they fail.
package pgtest
