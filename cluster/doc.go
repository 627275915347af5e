// Package cluster holds the tests of cluster mode as an operator runs it:
// several seance processes, built from this tree, sharing one PostgreSQL
// database and one Redis, with WebSocket clients spread over the nodes.
// They check what a single process cannot show: delivery and presence
// across nodes, capacity counted cluster-wide, one answer per question,
// a node killed mid-answer, and Redis restarted under a running séance.
//
// The package has no code of its own. Its tests skip without PostgreSQL or
// redis-server, and fail instead when SEANCE_REQUIRE_SERVICES=1 (as in CI).
package cluster
